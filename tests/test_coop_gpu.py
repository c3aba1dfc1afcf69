"""GPU tier for the coop facade: results against NumPy over dtypes, block shapes, items per
thread, partial tiles, logical warp sizes, both phases, and the seed documents' examples."""

import operator
from functools import reduce as freduce

import numba
import numpy as np
import pytest
from numba import cuda

import coop
from backend import blocks, cases, not_simulated

pytestmark = pytest.mark.gpu
rng = np.random.default_rng(7)

INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
DTYPES = INT_DTYPES + [np.float32, np.float64]


def nthreads(dims):
    return dims if isinstance(dims, int) else freduce(operator.mul, dims)


def sample(dtype, n):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return rng.integers(-8, 9, n).astype(dt)
    lo = 0 if dt.kind == "u" else -8
    return rng.integers(lo, 9, n).astype(dt)


def exclusive(t, dtype):
    inc = np.cumsum(t, axis=1, dtype=dtype)
    return (inc - t).astype(dtype)


# --------------------------------------------------------------------------- block: one kernel, every primitive


@cuda.jit(device=True)
def dev_max(a, b):
    return a if a > b else b


def _block_kernel():
    @cuda.jit
    def k(d_in, ipt_arg, valid, o_copy, o_exsum, o_insum, o_inmax, o_exmin, o_agg, o_sum, o_max, o_part):
        ipt = ipt_arg
        nt = cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z
        tile = nt * ipt
        off = cuda.blockIdx.x * tile
        tid = cuda.threadIdx.x + cuda.blockDim.x * (cuda.threadIdx.y + cuda.blockDim.y * cuda.threadIdx.z)
        items = coop.local.array(ipt_arg, d_in.dtype)
        work = coop.local.array(ipt_arg, d_in.dtype)
        agg = coop.local.array(1, d_in.dtype)
        coop.block.load(d_in[off:], items, algorithm=coop.BlockLoadAlgorithm.WARP_TRANSPOSE)
        for i in range(ipt):
            work[i] = items[i]
        coop.block.store(o_copy[off:], work, algorithm="transpose")  # transposing stores rearrange `work`
        cuda.syncthreads()
        coop.block.exclusive_sum(items, work, block_aggregate=agg)
        coop.block.store(o_exsum[off:], work)
        cuda.syncthreads()
        coop.block.scan(items, work, mode="inclusive", scan_op="+")
        coop.block.store(o_insum[off:], work)
        cuda.syncthreads()
        coop.block.inclusive_scan(items, work, dev_max)
        coop.block.store(o_inmax[off:], work)
        cuda.syncthreads()
        coop.block.exclusive_scan(items, work, "min")
        coop.block.store(o_exmin[off:], work)
        cuda.syncthreads()
        s = coop.block.sum(items)
        cuda.syncthreads()
        m = coop.block.reduce(items, np.maximum, algorithm="raking")
        if tid == 0:
            o_agg[cuda.blockIdx.x] = agg[0]
            o_sum[cuda.blockIdx.x] = s
            o_max[cuda.blockIdx.x] = m
        # a partial tile: the first `valid` items of this tile, the rest filled with 1
        cuda.syncthreads()
        coop.block.load(d_in[off:], work, num_valid_items=valid, oob_default=1)
        coop.block.store(o_part[off:], work, num_valid_items=valid, algorithm=coop.BlockStoreAlgorithm.WARP_TRANSPOSE)

    return k


BLOCK_KERNEL = _block_kernel()
BLOCK_CASES = cases([(dt, 128, 4) for dt in DTYPES]
                    + [(np.int32, d, 2) for d in (32, 256, 1024, (16, 8), (8, 4, 4))]
                    + [(np.float64, 128, i) for i in (1, 7)] + [(np.float32, 128, 16)],
                    sim=[(np.int8, 64, 4), (np.uint64, 32, 3), (np.float32, (8, 4, 2), 2), (np.int32, (16, 4), 1)])


@pytest.mark.parametrize("dtype,dims,ipt", BLOCK_CASES, ids=lambda v: str(getattr(v, "__name__", v)))
def test_block_primitives(dtype, dims, ipt):
    nt, nblocks = nthreads(dims), blocks(3)
    tile = nt * ipt
    h = sample(dtype, nblocks * tile)
    d = cuda.to_device(h)
    outs = [cuda.device_array(nblocks * tile, dtype) for _ in range(5)]
    aggs = [cuda.device_array(nblocks, dtype) for _ in range(3)]
    part = cuda.to_device(np.zeros(nblocks * tile, dtype))
    valid = tile - 5
    BLOCK_KERNEL[nblocks, dims](d, ipt, valid, *outs, *aggs, part)
    t = h.reshape(nblocks, tile)
    got = [o.copy_to_host().reshape(nblocks, tile) for o in outs]
    np.testing.assert_array_equal(got[0], t)
    np.testing.assert_array_equal(got[1], exclusive(t, dtype))
    np.testing.assert_array_equal(got[2], np.cumsum(t, axis=1, dtype=dtype))
    np.testing.assert_array_equal(got[3], np.maximum.accumulate(t, axis=1))
    exmin = np.minimum.accumulate(t, axis=1)
    ident = np.iinfo(dtype).max if np.dtype(dtype).kind in "iu" else np.inf
    np.testing.assert_array_equal(got[4][:, 1:], exmin[:, :-1])
    np.testing.assert_array_equal(got[4][:, 0], np.full(nblocks, ident, dtype))
    np.testing.assert_array_equal(aggs[0].copy_to_host(), t.sum(axis=1, dtype=dtype))
    np.testing.assert_array_equal(aggs[1].copy_to_host(), t.sum(axis=1, dtype=dtype))
    np.testing.assert_array_equal(aggs[2].copy_to_host(), t.max(axis=1))
    p = part.copy_to_host().reshape(nblocks, tile)
    np.testing.assert_array_equal(p[:, :valid], t[:, :valid])
    np.testing.assert_array_equal(p[:, valid:], 0)  # not stored past num_valid_items


# --------------------------------------------------------------------------- exchange


@pytest.mark.parametrize("dims,time_slicing", [(128, False), ((16, 4), True)])
def test_block_exchange_variants(dims, time_slicing):
    ipt = 4

    @cuda.jit
    def k(d_in, o_s2b, o_b2s, o_ws2b, o_b2ws, o_sc2b, o_sc2s, o_guard, o_flag):
        nt = cuda.blockDim.x * cuda.blockDim.y
        tid = cuda.threadIdx.x + cuda.blockDim.x * cuda.threadIdx.y
        items = coop.local.array(ipt, d_in.dtype)
        out = coop.local.array(ipt, d_in.dtype)
        ranks = coop.local.array(ipt, np.int32)
        flags = coop.local.array(ipt, np.bool_)
        for i in range(ipt):
            items[i] = d_in[tid * ipt + i]
        coop.block.exchange(items, out, block_exchange_type=coop.BlockExchangeType.StripedToBlocked,
                            warp_time_slicing=time_slicing)
        for i in range(ipt):
            o_s2b[tid * ipt + i] = out[i]
        coop.block.exchange(items, out, block_exchange_type="blocked_to_striped", warp_time_slicing=time_slicing)
        for i in range(ipt):
            o_b2s[tid * ipt + i] = out[i]
        coop.block.exchange(items, out, block_exchange_type="warp_striped_to_blocked", warp_time_slicing=time_slicing)
        for i in range(ipt):
            o_ws2b[tid * ipt + i] = out[i]
        coop.block.exchange(items, out, block_exchange_type="blocked_to_warp_striped", warp_time_slicing=time_slicing)
        for i in range(ipt):
            o_b2ws[tid * ipt + i] = out[i]
            ranks[i] = nt * ipt - 1 - (tid * ipt + i)  # reverse
            flags[i] = (tid * ipt + i) % 3 != 0
        coop.block.exchange(items, out, block_exchange_type="scatter_to_blocked", ranks=ranks)
        for i in range(ipt):
            o_sc2b[tid * ipt + i] = out[i]
        coop.block.exchange(items, out, block_exchange_type="scatter_to_striped", ranks=ranks)
        for i in range(ipt):
            o_sc2s[tid * ipt + i] = out[i]
        for i in range(ipt):
            out[i] = -1
        coop.block.exchange(items, out, block_exchange_type="scatter_to_striped_guarded", ranks=ranks)
        for i in range(ipt):
            o_guard[tid * ipt + i] = out[i]
            out[i] = -1
        coop.block.exchange(items, block_exchange_type="scatter_to_striped_flagged", ranks=ranks, valid_flags=flags)
        for i in range(ipt):
            o_flag[tid * ipt + i] = items[i]

    nt = nthreads(dims)
    n = nt * ipt
    h = np.arange(n, dtype=np.int32)  # thread t item i holds t*ipt + i
    outs = [cuda.device_array(n, np.int32) for _ in range(8)]
    k[1, dims](cuda.to_device(h), *outs)
    got = [o.copy_to_host() for o in outs]
    G = np.arange(n)  # output position t*ipt + i
    t, i = G // ipt, G % ipt
    w, lane = t // 32, t % 32
    np.testing.assert_array_equal(got[0], (G % nt) * ipt + G // nt)  # striped -> blocked
    np.testing.assert_array_equal(got[1], i * nt + t)  # blocked -> striped
    src = lane * ipt + i  # warp-local blocked index, read from warp-striped input
    np.testing.assert_array_equal(got[2], (w * 32 + src % 32) * ipt + src // 32)
    np.testing.assert_array_equal(got[3], w * 32 * ipt + i * 32 + lane)  # blocked -> warp-striped
    np.testing.assert_array_equal(got[4], n - 1 - G)  # scatter by reversed rank to blocked
    q = i * nt + t  # striped rank of output (t, i)
    np.testing.assert_array_equal(got[5], n - 1 - q)
    np.testing.assert_array_equal(got[6], n - 1 - q)  # every rank in range
    valid = (n - 1 - q) % 3 != 0
    np.testing.assert_array_equal(got[7][valid], (n - 1 - q)[valid])


# --------------------------------------------------------------------------- scan / reduce features


@cuda.jit(device=True)
def running_total(state, block_aggregate):
    old = state[0]
    state[0] += block_aggregate
    return old


def test_scan_scalar_initial_value_prefix_callback_and_reduce_num_valid():
    T, IPT, TILES = 128, 4, 5

    @cuda.jit
    def k(d_in, o_scalar, o_init, o_tiles, o_nv):
        tid = cuda.threadIdx.x
        x = d_in[tid]
        o_scalar[tid] = coop.block.scan(x, mode="inclusive")  # scalar in, scalar out
        items = coop.local.array(IPT, d_in.dtype)
        for i in range(IPT):
            items[i] = d_in[tid * IPT + i]
        coop.block.exclusive_scan(items, items, "+", initial_value=100)
        for i in range(IPT):
            o_init[tid * IPT + i] = items[i]
        state = coop.local.array(1, d_in.dtype)
        state[0] = 0
        for tile in range(TILES):
            coop.block.load(d_in[tile * T * IPT:], items)
            coop.block.exclusive_sum(items, items, block_prefix_callback_op=coop.StatefulOp(running_total, state))
            coop.block.store(o_tiles[tile * T * IPT:], items)
        s = coop.block.sum(x, num_valid=50)
        if tid == 0:
            o_nv[0] = s

    h = rng.integers(-9, 10, T * IPT * TILES).astype(np.int64)
    outs = [cuda.device_array(T, np.int64), cuda.device_array(T * IPT, np.int64),
            cuda.device_array(h.size, np.int64), cuda.device_array(1, np.int64)]
    k[1, T](cuda.to_device(h), *outs)
    np.testing.assert_array_equal(outs[0].copy_to_host(), np.cumsum(h[:T]))
    np.testing.assert_array_equal(outs[1].copy_to_host(), 100 + np.cumsum(h[:T * IPT]) - h[:T * IPT])
    np.testing.assert_array_equal(outs[2].copy_to_host(), np.cumsum(h) - h)
    assert outs[3].copy_to_host()[0] == h[:50].sum()


pair = np.dtype([("lo", np.int32), ("hi", np.int32)], align=True)
pair_t = numba.from_dtype(pair)


@cuda.jit(device=True)
def pair_max(a, b):  # lexicographic max of a Numba record
    return a if (a.hi > b.hi or (a.hi == b.hi and a.lo >= b.lo)) else b


def test_user_defined_type_scan_and_reduce():
    T = 64

    @cuda.jit
    def k(d_in, o_scan, o_red):
        tid = cuda.threadIdx.x
        o_scan[tid] = coop.block.scan(d_in[tid], mode="inclusive", scan_op=pair_max)
        r = coop.block.reduce(d_in[tid], pair_max)
        if tid == 0:
            o_red[0] = r

    h = np.zeros(T, pair)
    h["lo"] = rng.integers(0, 100, T)
    h["hi"] = rng.integers(0, 4, T)
    o1, o2 = cuda.device_array(T, pair), cuda.device_array(1, pair)
    k[1, T](cuda.to_device(h), o1, o2)
    key = h["hi"].astype(np.int64) * 1000 + h["lo"]
    best = np.maximum.accumulate(key)
    got = o1.copy_to_host()
    np.testing.assert_array_equal(got["hi"].astype(np.int64) * 1000 + got["lo"], best)
    r = o2.copy_to_host()[0]
    assert r["hi"] * 1000 + r["lo"] == key.max()


# --------------------------------------------------------------------------- warp


@pytest.mark.parametrize("dtype", [np.int32, np.float64, np.uint8])
@pytest.mark.parametrize("lw", [32, 16, 8])
def test_warp_scalar_primitives(dtype, lw):
    T = 128

    @cuda.jit
    def k(d_in, o_sum, o_max, o_ex, o_in, o_exmax, o_inpart, o_agg, o_sumv):
        tid = cuda.threadIdx.x
        v = d_in[tid]
        s = coop.warp.sum(v, threads_in_warp=lw)
        m = coop.warp.reduce(v, "max", threads_in_warp=lw)
        sv = coop.warp.sum(v, threads_in_warp=lw, valid_items=lw // 2)
        agg = coop.local.array(1, d_in.dtype)
        o_ex[tid] = coop.warp.exclusive_sum(v, threads_in_warp=lw, warp_aggregate=agg)
        o_in[tid] = coop.warp.inclusive_sum(v, threads_in_warp=lw)
        o_exmax[tid] = coop.warp.exclusive_scan(v, dev_max, initial_value=0, threads_in_warp=lw)
        o_inpart[tid] = coop.warp.inclusive_scan(v, "+", valid_items=lw - 1, threads_in_warp=lw)
        if tid % lw == 0:
            o_sum[tid // lw] = s
            o_max[tid // lw] = m
            o_agg[tid // lw] = agg[0]
            o_sumv[tid // lw] = sv

    h = sample(dtype, T) if np.dtype(dtype).kind != "u" else rng.integers(0, 5, T).astype(dtype)
    nw = T // lw
    outs = [cuda.device_array(nw, dtype), cuda.device_array(nw, dtype)] + [cuda.device_array(T, dtype) for _ in range(4)] \
        + [cuda.device_array(nw, dtype), cuda.device_array(nw, dtype)]
    k[1, T](cuda.to_device(h), *outs)
    w = h.reshape(nw, lw)
    g = [o.copy_to_host() for o in outs]
    np.testing.assert_array_equal(g[0], w.sum(axis=1, dtype=dtype))
    np.testing.assert_array_equal(g[1], w.max(axis=1))
    np.testing.assert_array_equal(g[2].reshape(nw, lw), exclusive(w, dtype))
    np.testing.assert_array_equal(g[3].reshape(nw, lw), np.cumsum(w, axis=1, dtype=dtype))
    exmax = np.maximum(np.maximum.accumulate(w, axis=1), 0)
    np.testing.assert_array_equal(g[4].reshape(nw, lw)[:, 1:], exmax[:, :-1])
    np.testing.assert_array_equal(g[4].reshape(nw, lw)[:, 0], 0)
    part = g[5].reshape(nw, lw)[:, : lw - 1]
    np.testing.assert_array_equal(part, np.cumsum(w[:, : lw - 1], axis=1, dtype=dtype))
    np.testing.assert_array_equal(g[6], w.sum(axis=1, dtype=dtype))
    np.testing.assert_array_equal(g[7], w[:, : lw // 2].sum(axis=1, dtype=dtype))


@pytest.mark.parametrize("lw,ipt,alg", [(32, 4, "direct"), (16, 7, "striped"), (32, 2, "transpose"), (8, 4, "vectorize")])
def test_warp_load_exchange_store(lw, ipt, alg):
    T = 64

    @cuda.jit
    def k(d_in, o_copy, o_b2s, o_scatter, o_part, valid):
        tid = cuda.threadIdx.x
        w = tid // lw
        off = w * lw * ipt
        items = coop.local.array(ipt, d_in.dtype)
        out = coop.local.array(ipt, d_in.dtype)
        ranks = coop.local.array(ipt, np.int32)
        coop.warp.load(d_in[off:], items, algorithm=alg, threads_in_warp=lw)
        coop.warp.store(o_copy[off:], items, algorithm=alg, threads_in_warp=lw)  # may rearrange `items`
        coop.warp.load(d_in[off:], items, threads_in_warp=lw)  # blocked
        coop.warp.exchange(items, out, warp_exchange_type=coop.WarpExchangeType.BlockedToStriped, threads_in_warp=lw)
        for i in range(ipt):
            o_b2s[off + i * lw + tid % lw] = out[i]  # a striped item i of lane l is element i*lw + l
            ranks[i] = lw * ipt - 1 - ((tid % lw) * ipt + i)
        coop.warp.exchange(items, warp_exchange_type="scatter_to_striped", ranks=ranks, threads_in_warp=lw)
        for i in range(ipt):
            o_scatter[off + (tid % lw) * ipt + i] = items[i]
        coop.warp.load(d_in[off:], out, num_valid_items=valid, oob_default=-1, threads_in_warp=lw)
        coop.warp.store(o_part[off:], out, threads_in_warp=lw)

    n = T * ipt
    h = np.arange(n, dtype=np.int32)
    outs = [cuda.device_array(n, np.int32) for _ in range(4)]
    valid = lw * ipt - 3
    k[1, T](cuda.to_device(h), *outs, valid)
    g = [o.copy_to_host() for o in outs]
    np.testing.assert_array_equal(g[0], h)
    np.testing.assert_array_equal(g[1], h)  # blocked -> striped, stored at striped positions = identity
    seg = lw * ipt
    G = np.arange(n)
    lane, i = (G % seg) // ipt, G % ipt
    q = i * lw + lane  # striped rank held by (lane, i)
    np.testing.assert_array_equal(g[2], (G // seg) * seg + seg - 1 - q)
    p = g[3].reshape(-1, seg)
    np.testing.assert_array_equal(p[:, :valid], h.reshape(-1, seg)[:, :valid])
    np.testing.assert_array_equal(p[:, valid:], -1)


# --------------------------------------------------------------------------- two-phase and explicit TempStorage


def test_two_phase_with_and_without_temp_storage():
    T, IPT = 128, 4
    load = coop.block.load(np.int32, T, IPT, algorithm="warp_transpose")
    scan = coop.block.scan(np.int32, T, IPT, mode="inclusive", scan_op="max")
    store = coop.block.store(np.int32, T, IPT, algorithm=coop.BlockStoreAlgorithm.WARP_TRANSPOSE)
    red = coop.block.reduce(np.int32, T, "+", IPT)
    wsum = coop.warp.sum(np.int32)
    nbytes = max(p.temp_storage_bytes for p in (load, scan, store, red))
    align = max(p.temp_storage_alignment for p in (load, scan, store, red))

    @cuda.jit
    def k(d_in, o1, o2, o_red, o_w):
        off = cuda.blockIdx.x * T * IPT
        temp = coop.TempStorage(nbytes, align)
        items = coop.local.array(IPT, np.int32)
        load(d_in[off:], items)
        scan(items, items)
        store(o1[off:], items)
        load(d_in[off:], items, temp_storage=temp)
        scan(items, items, temp_storage=temp)
        store(o2[off:], items, temp_storage=temp)
        r = red(items, temp_storage=temp)
        s = wsum(d_in[off + cuda.threadIdx.x])
        if cuda.threadIdx.x == 0:
            o_red[cuda.blockIdx.x] = r
        if cuda.threadIdx.x % 32 == 0:
            o_w[cuda.blockIdx.x * 4 + cuda.threadIdx.x // 32] = s

    blocks = 4
    h = rng.integers(-50, 50, blocks * T * IPT).astype(np.int32)
    o1, o2 = cuda.device_array_like(h), cuda.device_array_like(h)
    o_red, o_w = cuda.device_array(blocks, np.int32), cuda.device_array(blocks * 4, np.int32)
    k[blocks, T](cuda.to_device(h), o1, o2, o_red, o_w)
    t = h.reshape(blocks, -1)
    ref = np.maximum.accumulate(t, axis=1)
    np.testing.assert_array_equal(o1.copy_to_host().reshape(blocks, -1), ref)
    np.testing.assert_array_equal(o2.copy_to_host().reshape(blocks, -1), ref)
    np.testing.assert_array_equal(o_red.copy_to_host(), ref.sum(axis=1))
    np.testing.assert_array_equal(o_w.copy_to_host(), t[:, :T].reshape(blocks, 4, 32).sum(axis=2).reshape(-1))


# --------------------------------------------------------------------------- launch inference never goes stale


@cuda.jit(device=True)
def dev_block_sum(x):
    return coop.block.sum(x)


def test_relaunch_with_other_block_shape_and_items_per_thread():
    @cuda.jit
    def k(d_in, d_out, items_per_thread):
        off = cuda.blockIdx.x * cuda.blockDim.x * items_per_thread
        items = coop.local.array(items_per_thread, d_in.dtype)
        coop.block.load(d_in[off:], items)
        coop.block.inclusive_sum(items, items)
        coop.block.store(d_out[off:], items)
        s = dev_block_sum(items[0])
        if cuda.threadIdx.x == 0:
            d_out[off] = s

    for tpb, ipt in [(128, 4), (256, 4), (128, 2), (64, 8), (128, 4)]:
        tile = tpb * ipt
        h = rng.integers(-9, 10, 2 * tile).astype(np.int32)
        out = cuda.device_array_like(h)
        k[2, tpb](cuda.to_device(h), out, ipt)
        t = h.reshape(2, tile)
        ref = np.cumsum(t, axis=1).astype(np.int32)
        ref[:, 0] = ref[:, ::ipt].sum(axis=1)  # every thread's first scanned item, summed by the device function
        np.testing.assert_array_equal(out.copy_to_host().reshape(2, tile), ref, err_msg=f"tpb={tpb} ipt={ipt}")


# --------------------------------------------------------------------------- the seed documents' examples


def test_seed_single_phase_memcpy():
    @cuda.jit
    def elaborate_gpu_memcpy(d_in, d_out, items_per_thread):
        thread_data = coop.local.array(items_per_thread, dtype=d_in.dtype)
        coop.block.load(d_in, thread_data)
        coop.block.store(d_out, thread_data)

    h = np.arange(128 * 16, dtype=np.float32)
    out = cuda.device_array_like(h)
    elaborate_gpu_memcpy[1, 128](cuda.to_device(h), out, 16)
    np.testing.assert_array_equal(out.copy_to_host(), h)


@not_simulated("the simulator's cuda.jit refuses link= (even an empty list)")
def test_seed_two_phase_load_store_with_link_files():
    dtype, threads_per_block, items_per_thread = np.int32, 128, 4
    block_load = coop.block.load(dtype=dtype, threads_per_block=threads_per_block, items_per_thread=items_per_thread)
    block_store = coop.block.store(dtype=dtype, threads_per_block=threads_per_block, items_per_thread=items_per_thread)

    @cuda.jit(link=block_load.files + block_store.files)
    def elaborate_gpu_memcpy(d_in, d_out):
        thread_data = cuda.local.array(items_per_thread, dtype=dtype)
        block_load(d_in, thread_data)
        block_store(d_out, thread_data)

    h = np.arange(512, dtype=np.int32)
    out = cuda.device_array_like(h)
    elaborate_gpu_memcpy[1, 128](cuda.to_device(h), out)
    np.testing.assert_array_equal(out.copy_to_host(), h)


def test_seed_two_phase_load_with_kernel_items_per_thread():
    dtype, dim, items_per_thread = np.int32, 128, 16
    block_load = coop.block.load(dtype, dim, items_per_thread)

    @cuda.jit
    def kernel(d_in, d_out, items_per_thread):
        thread_data = coop.local.array(items_per_thread, dtype=d_in.dtype)
        block_load(d_in, thread_data)
        coop.block.load(d_in, thread_data, items_per_thread)
        for i in range(items_per_thread):
            d_out[cuda.threadIdx.x * items_per_thread + i] = thread_data[i]

    h = np.arange(dim * items_per_thread, dtype=np.int32)
    out = cuda.device_array_like(h)
    kernel[1, dim](cuda.to_device(h), out, items_per_thread)
    np.testing.assert_array_equal(out.copy_to_host(), h)


def test_seed_block_sum_single_and_two_phase():
    @cuda.jit
    def kernel(x, out):
        out[0] = coop.block.sum(x[cuda.threadIdx.x])

    block_sum = coop.block.sum(np.int32, threads_per_block=128)

    @cuda.jit
    def kernel2(x, out):
        out[0] = block_sum(x[cuda.threadIdx.x])

    h = np.arange(128, dtype=np.int32)
    # As written in the seed, every thread stores to out[0], but CUB defines the sum only in
    # thread 0; the guarded variants below are the ones whose result is defined.
    @cuda.jit
    def kernel_guarded(x, out):
        s = coop.block.sum(x[cuda.threadIdx.x])
        if cuda.threadIdx.x == 0:
            out[0] = s

    @cuda.jit
    def kernel2_guarded(x, out):
        s = block_sum(x[cuda.threadIdx.x])
        if cuda.threadIdx.x == 0:
            out[0] = s

    for k in (kernel, kernel2):  # the seed's kernels compile and run
        k[1, 128](cuda.to_device(h), cuda.device_array(1, np.int32))
    for k in (kernel_guarded, kernel2_guarded):
        out = cuda.device_array(1, np.int32)
        k[1, 128](cuda.to_device(h), out)
        assert out.copy_to_host()[0] == h.sum()


def test_seed_temp_storage_thread_data_pipeline():
    block_scan = coop.block.scan(np.int32, 128, 4)
    bytes_ = block_scan.temp_storage_bytes
    align = block_scan.temp_storage_alignment

    @cuda.jit
    def kernel(inp, out):
        temp = coop.TempStorage(bytes_, align)
        td = coop.ThreadData(4)
        coop.block.load(inp, td, temp_storage=temp)
        coop.block.scan(td, td, temp_storage=temp)
        coop.block.store(out, td, temp_storage=temp)

    h = rng.integers(-9, 10, 512).astype(np.int32)
    out = cuda.device_array_like(h)
    kernel[1, 128](cuda.to_device(h), out)
    np.testing.assert_array_equal(out.copy_to_host(), np.cumsum(h) - h)
