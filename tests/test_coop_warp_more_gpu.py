"""GPU tier for the warp reductions and scans beyond reduce/sum: ``max``/``min``, the head/tail
segmented reductions, ``scan`` (both results), ``broadcast``, ``reduce_batched``/``sum_batched``
and ``exchange`` with SHUFFLE and ``offset_dtype``, against NumPy references built from CUB's
documented semantics. The grid is every dtype x logical warp size (1..32) x block size
(32..1024); by default a sample covering each value of each axis, the whole grid with
COOP_FULL_GRID=1. Kernels state ``launch_bounds=block`` so that ptxas keeps the heavier ones
(32 items per thread) within a 1024-thread block's registers."""

import os
import zlib

import numpy as np
import pytest
from numba import cuda

import coop
from backend import SIMULATOR, cases

pytestmark = pytest.mark.gpu
FULL = bool(os.environ.get("COOP_FULL_GRID"))

DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.float32, np.float64]
LANES = [1, 2, 4, 8, 16, 32]
BLOCKS = [32, 128, 256, 1024]
GRID = [(d, lw, b) for d in DTYPES for lw in LANES for b in BLOCKS]
NBLOCKS = 2


def grid(n, shift=0):
    """The whole grid, or ``n`` cases in which every dtype, logical warp and block size occurs
    (``shift`` varies the pairing between tests). Under the simulator: one case per logical
    warp size, in blocks of 32 or 64 threads."""
    sim = [(DTYPES[(i + shift) % len(DTYPES)], LANES[i], 32 * (1 + (i + shift) % 2)) for i in range(len(LANES))]
    if FULL:
        return cases(GRID, sim)
    return cases([(DTYPES[(i + shift) % len(DTYPES)], LANES[i % len(LANES)], BLOCKS[(i + shift // 2) % len(BLOCKS)])
                  for i in range(n)], sim)


def jit(block):
    """``cuda.jit(launch_bounds=block)``; the simulator's cuda.jit takes no launch_bounds."""
    return cuda.jit if SIMULATOR else cuda.jit(launch_bounds=block)


def ids(v):
    return getattr(v, "__name__", str(v))


def rng_for(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def sample(rng, dtype, n):
    lo = 0 if np.dtype(dtype).kind == "u" else -8
    return rng.integers(lo, 9, n).astype(dtype)


def by_warp(a, lw):
    return a.reshape(-1, lw)


@cuda.jit(device=True)
def dev_max(a, b):
    return a if a > b else b


@cuda.jit(device=True)
def dev_min(a, b):
    return b if b < a else a


def partial_lanes(lw):
    return max(1, (3 * lw) // 4)


# --------------------------------------------------------------------------- max / min / segmented


def segments(starts):
    """[(begin, end)] of the segments that begin where ``starts`` is True (starts[0] is)."""
    b = list(np.flatnonzero(starts)) + [len(starts)]
    return list(zip(b[:-1], b[1:]))


def segmented(x, starts, ufunc, dtype):
    """{first lane of each segment: its reduction} (CUB defines the result there only)."""
    return {s: ufunc.reduce(x[s:e], dtype=dtype) for s, e in segments(starts)}


@pytest.mark.parametrize("dtype,lw,block", grid(20), ids=ids)
def test_max_min_and_segmented_reductions(dtype, lw, block):
    n = partial_lanes(lw)

    @jit(block)
    def k(d_in, d_head, d_tail, valid, o_max, o_min, o_maxv, o_minv, o_hr, o_tr, o_hs, o_ts):
        g = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
        v = d_in[g]
        o_max[g] = coop.warp.max(v, threads_in_warp=lw)
        o_min[g] = coop.warp.min(v, threads_in_warp=lw)
        o_maxv[g] = coop.warp.max(v, valid_items=valid, threads_in_warp=lw)
        o_minv[g] = coop.warp.min(v, threads_in_warp=lw, valid_items=valid)
        o_hr[g] = coop.warp.head_segmented_reduce(v, d_head[g], "max", threads_in_warp=lw)
        o_tr[g] = coop.warp.tail_segmented_reduce(v, d_tail[g], dev_min, threads_in_warp=lw)
        o_hs[g] = coop.warp.head_segmented_sum(v, d_head[g] != 0, threads_in_warp=lw)
        o_ts[g] = coop.warp.tail_segmented_sum(v, d_tail[g], threads_in_warp=lw)

    total = NBLOCKS * block
    rng = rng_for(dtype, lw, block)
    h = sample(rng, dtype, total)
    head = (rng.random(total) < 0.3).astype(np.uint8)
    tail = rng.random(total) < 0.3
    outs = [cuda.device_array(total, dtype) for _ in range(8)]
    k[NBLOCKS, block](cuda.to_device(h), cuda.to_device(head), cuda.to_device(tail), n, *outs)
    got = [by_warp(o.copy_to_host(), lw) for o in outs]
    w, hf, tf = by_warp(h, lw), by_warp(head, lw), by_warp(tail, lw)
    # the reductions are valid in lane 0
    np.testing.assert_array_equal(got[0][:, 0], w.max(axis=1))
    np.testing.assert_array_equal(got[1][:, 0], w.min(axis=1))
    np.testing.assert_array_equal(got[2][:, 0], w[:, :n].max(axis=1))
    np.testing.assert_array_equal(got[3][:, 0], w[:, :n].min(axis=1))
    for r in range(w.shape[0]):
        heads = hf[r] != 0
        heads[0] = True  # lane 0 starts a segment whatever its flag
        tails = np.zeros(lw, bool)
        tails[0] = True
        tails[1:] = tf[r][:-1]  # the lane after a tail starts the next segment
        for got_row, starts, ufunc in ((got[4], heads, np.maximum), (got[5], tails, np.minimum),
                                       (got[6], heads, np.add), (got[7], tails, np.add)):
            want = segmented(w[r], starts, ufunc, dtype)
            lanes = sorted(want)
            np.testing.assert_array_equal(got_row[r][lanes], [want[s] for s in lanes], err_msg=f"warp {r}")


# --------------------------------------------------------------------------- scan (both results) and broadcast


@pytest.mark.parametrize("dtype,lw,block", grid(20, shift=3), ids=ids)
def test_scan_both_results_and_broadcast(dtype, lw, block):
    n = partial_lanes(lw)
    far = lw + 1  # a runtime lane past the logical warp: CUDA takes it modulo threads_in_warp

    @jit(block)
    def k(d_in, valid, o_inc, o_exc, o_incm, o_excm, o_incp, o_excp, o_bc, o_br, o_bf):
        g = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
        v = d_in[g]
        inc, exc = coop.warp.scan(v, threads_in_warp=lw)  # "+": the identity seeds lane 0's exclusive result
        o_inc[g] = inc
        o_exc[g] = exc
        both = coop.warp.scan(v, dev_max, initial_value=2, threads_in_warp=lw)
        o_incm[g] = both[0]
        o_excm[g] = both[1]
        inc, exc = coop.warp.scan(v, "min", 5, valid_items=valid, threads_in_warp=lw)
        o_incp[g] = inc
        o_excp[g] = exc
        o_bc[g] = coop.warp.broadcast(v, lw - 1, threads_in_warp=lw)
        lane = (cuda.threadIdx.x // lw * 5 + 2) % lw  # a runtime lane, per logical warp
        o_br[g] = coop.warp.broadcast(v, lane, threads_in_warp=lw)
        o_bf[g] = coop.warp.broadcast(v, cuda.threadIdx.x * 0 + far, threads_in_warp=lw)

    total = NBLOCKS * block
    h = sample(rng_for(dtype, lw, block, "scan"), dtype, total)
    outs = [cuda.device_array(total, dtype) for _ in range(9)]
    k[NBLOCKS, block](cuda.to_device(h), n, *outs)
    got = [by_warp(o.copy_to_host(), lw) for o in outs]
    w = by_warp(h, lw)
    nw = w.shape[0]

    def seeded(x, ufunc, init):
        inc = ufunc.accumulate(np.concatenate([np.full((x.shape[0], 1), init, dtype), x], axis=1), axis=1,
                               dtype=dtype)
        return inc[:, 1:], inc[:, :-1]  # inclusive, exclusive (lane 0: init)

    inc, exc = seeded(w, np.add, 0)
    np.testing.assert_array_equal(got[0], inc)
    np.testing.assert_array_equal(got[1], exc)
    inc, exc = seeded(w, np.maximum, 2)
    np.testing.assert_array_equal(got[2], inc)
    np.testing.assert_array_equal(got[3], exc)
    inc, exc = seeded(w[:, :n], np.minimum, 5)  # only the valid lanes are defined
    np.testing.assert_array_equal(got[4][:, :n], inc)
    np.testing.assert_array_equal(got[5][:, :n], exc)
    np.testing.assert_array_equal(got[6], np.repeat(w[:, lw - 1:], lw, axis=1))
    lanes = ((np.arange(nw) % (block // lw)) * 5 + 2) % lw  # warp index within the block
    np.testing.assert_array_equal(got[7], np.repeat(w[np.arange(nw), lanes][:, None], lw, axis=1))
    np.testing.assert_array_equal(got[8], np.repeat(w[:, far % lw][:, None], lw, axis=1))


# --------------------------------------------------------------------------- batched reductions


@pytest.mark.parametrize("dtype,lw,block", grid(16, shift=6), ids=ids)
def test_batched_reductions_returned_striped_and_blocked(dtype, lw, block):
    few = min(lw, 3)  # at most one batch per lane: lane i returns batch i
    many = 2 * lw + 1  # three results per lane (one for lw == 1: 3 batches)
    per = -(-many // lw)

    @jit(block)
    def k(d_few, d_many, o_sum, o_max, o_striped, o_blocked):
        g = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
        a = coop.local.array(few, d_few.dtype)
        b = coop.local.array(many, d_many.dtype)
        r = coop.local.array(per, d_many.dtype)
        for i in range(few):
            a[i] = d_few[g * few + i]
        for i in range(many):
            b[i] = d_many[g * many + i]
        o_sum[g] = coop.warp.sum_batched(a, threads_in_warp=lw)
        o_max[g] = coop.warp.reduce_batched(a, "max", threads_in_warp=lw, sync_physical_warp=True)
        coop.warp.reduce_batched(b, r, dev_min, threads_in_warp=lw)  # striped (the default)
        for j in range(per):
            o_striped[g * per + j] = r[j]
        coop.warp.sum_batched(b, r, arrangement="blocked", threads_in_warp=lw)
        for j in range(per):
            o_blocked[g * per + j] = r[j]

    total = NBLOCKS * block
    rng = rng_for(dtype, lw, block, "batched")
    hf, hm = sample(rng, dtype, total * few), sample(rng, dtype, total * many)
    outs = [cuda.device_array(total, dtype), cuda.device_array(total, dtype),
            cuda.device_array(total * per, dtype), cuda.device_array(total * per, dtype)]
    k[NBLOCKS, block](cuda.to_device(hf), cuda.to_device(hm), *outs)
    got = [o.copy_to_host() for o in outs]
    f = hf.reshape(-1, lw, few)  # warp, lane, batch
    m = hm.reshape(-1, lw, many)
    sums = f.sum(axis=1, dtype=dtype)  # warp, batch
    maxs = f.max(axis=1)
    mins = m.min(axis=1)
    msums = m.sum(axis=1, dtype=dtype)
    np.testing.assert_array_equal(by_warp(got[0], lw)[:, :few], sums)
    np.testing.assert_array_equal(by_warp(got[1], lw)[:, :few], maxs)
    striped = got[2].reshape(-1, lw, per)
    blocked = got[3].reshape(-1, lw, per)
    for lane in range(lw):
        for j in range(per):
            bs, bb = lane + j * lw, lane * per + j  # the batch CUB puts there, if any
            if bs < many:
                np.testing.assert_array_equal(striped[:, lane, j], mins[:, bs], err_msg=f"striped lane {lane} [{j}]")
            if bb < many:
                np.testing.assert_array_equal(blocked[:, lane, j], msums[:, bb], err_msg=f"blocked lane {lane} [{j}]")


# --------------------------------------------------------------------------- exchange: SHUFFLE and offset_dtype


@pytest.mark.parametrize("dtype,lw,block", grid(12, shift=1), ids=ids)
def test_exchange_shuffle_and_offset_dtype(dtype, lw, block):
    ipt = lw  # SHUFFLE: as many items per thread as threads
    seg = lw * ipt
    off_t = np.int16 if lw.bit_length() % 2 else np.int64  # int16 for 1, 4, 16 lanes

    @jit(block)
    def k(d_in, o_b2s, o_s2b, o_scatter):
        g = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
        lane = cuda.threadIdx.x % lw
        base = (g // lw) * seg
        items = coop.local.array(ipt, d_in.dtype)
        out = coop.local.array(ipt, d_in.dtype)
        for i in range(ipt):
            items[i] = d_in[base + lane * ipt + i]  # blocked
        coop.warp.exchange(items, out, "blocked_to_striped", algorithm="shuffle", threads_in_warp=lw)
        for i in range(ipt):
            o_b2s[base + i * lw + lane] = out[i]  # striped item i of a lane is element i * lw + lane
        for i in range(ipt):
            items[i] = d_in[base + i * lw + lane]  # striped
        coop.warp.exchange(items, warp_exchange_type="striped_to_blocked", algorithm="shuffle", threads_in_warp=lw)
        for i in range(ipt):
            o_s2b[base + lane * ipt + i] = items[i]
        few = coop.local.array(4, d_in.dtype)  # SMEM scatter: 4 items per thread keep its shared memory small
        ranks = coop.local.array(4, off_t)
        sbase = (g // lw) * lw * 4
        for i in range(4):
            few[i] = d_in[sbase + lane * 4 + i]
            ranks[i] = lw * 4 - 1 - (lane * 4 + i)  # reverse the warp's items
        coop.warp.exchange(few, warp_exchange_type="scatter_to_striped", ranks=ranks, offset_dtype=off_t,
                           threads_in_warp=lw)
        for i in range(4):
            o_scatter[sbase + i * lw + lane] = few[i]

    n, m = NBLOCKS * block * ipt, NBLOCKS * block * 4  # the shuffles' items, the scatter's
    total = max(n, m)  # (fewer than 4 items per thread: the scatter reaches further)
    h = sample(rng_for(dtype, lw, block, "exchange"), dtype, total)
    outs = [cuda.device_array(total, dtype) for _ in range(3)]
    k[NBLOCKS, block](cuda.to_device(h), *outs)
    got = [o.copy_to_host() for o in outs]
    np.testing.assert_array_equal(got[0][:n], h[:n])
    np.testing.assert_array_equal(got[1][:n], h[:n])
    scattered = h[:m].reshape(-1, lw * 4)[:, ::-1].reshape(-1)  # striped rank q holds item q
    np.testing.assert_array_equal(got[2][:m], scattered)


# --------------------------------------------------------------------------- two-phase


@pytest.mark.parametrize("dtype,lw", [(np.int32, 16), (np.float64, 32), (np.uint8, 4)], ids=ids)
def test_two_phase_objects(dtype, lw):
    block = 128
    wmax = coop.warp.max(dtype, lw)
    hsum = coop.warp.head_segmented_sum(dtype, lw)
    scan = coop.warp.scan(dtype, "max", 1, lw)
    bcast = coop.warp.broadcast(dtype, lw)
    nb = lw + 1
    batched = coop.warp.reduce_batched(dtype, nb, "+", lw, "blocked")
    per = -(-nb // lw)
    src = 1 % lw
    nbytes = max(o.temp_storage_bytes for o in (wmax, hsum, scan, bcast, batched)) * (block // lw)
    align = max(o.temp_storage_alignment for o in (wmax, hsum, scan, bcast, batched))

    @jit(block)
    def k(d_in, d_head, o_max, o_hs, o_inc, o_exc, o_bc, o_b):
        g = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
        temp = coop.TempStorage(nbytes, align)
        v = d_in[g]
        o_max[g] = wmax(v, temp_storage=temp)
        o_hs[g] = hsum(v, d_head[g])
        inc, exc = scan(v, temp_storage=temp)
        o_inc[g] = inc
        o_exc[g] = exc
        o_bc[g] = bcast(v, src)
        b = coop.local.array(nb, d_in.dtype)
        r = coop.local.array(per, d_in.dtype)
        for i in range(nb):
            b[i] = v + i
        batched(b, r)
        for j in range(per):
            o_b[g * per + j] = r[j]

    total = NBLOCKS * block
    rng = rng_for(dtype, lw, "two-phase")
    h = sample(rng, dtype, total)
    head = (rng.random(total) < 0.25).astype(np.int32)
    outs = [cuda.device_array(total, dtype) for _ in range(5)] + [cuda.device_array(total * per, dtype)]
    k[NBLOCKS, block](cuda.to_device(h), cuda.to_device(head), *outs)
    got = [o.copy_to_host() for o in outs]
    w = by_warp(h, lw)
    np.testing.assert_array_equal(by_warp(got[0], lw)[:, 0], w.max(axis=1))
    hs = by_warp(got[1], lw)
    for r in range(w.shape[0]):
        starts = by_warp(head, lw)[r] != 0
        starts[0] = True
        want = segmented(w[r], starts, np.add, dtype)
        np.testing.assert_array_equal(hs[r][sorted(want)], [want[s] for s in sorted(want)])
    inc = np.maximum.accumulate(np.maximum(w, dtype(1)), axis=1)
    np.testing.assert_array_equal(by_warp(got[2], lw), inc)
    np.testing.assert_array_equal(by_warp(got[3], lw)[:, 1:], inc[:, :-1])
    np.testing.assert_array_equal(by_warp(got[3], lw)[:, 0], 1)
    np.testing.assert_array_equal(by_warp(got[4], lw), np.repeat(w[:, 1 % lw][:, None], lw, axis=1))
    batches = (w[:, :, None] + np.arange(lw + 1, dtype=dtype)).astype(dtype).sum(axis=1, dtype=dtype)  # warp, batch
    blocked = got[5].reshape(-1, lw, per)
    for lane in range(lw):
        for j in range(per):
            if lane * per + j < lw + 1:
                np.testing.assert_array_equal(blocked[:, lane, j], batches[:, lane * per + j])
