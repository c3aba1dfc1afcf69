"""GPU tier for coop.block.radix_sort_* and coop.block.radix_rank against NumPy.

References follow CUB's documented semantics (cub/util_type.cuh radix traits,
cub/block/block_radix_sort.cuh, cub/block/block_radix_rank.cuh): keys are compared on bits
[begin_bit, end_bit) of their order-preserving unsigned form (signed: sign bit flipped; float:
sign bit flipped if positive, all bits if negative; -0.0 read as +0.0), and the sort is stable
(a stable NumPy argsort of that digit). Keys and values are compared bit for bit.

A sample of the grid runs by default; COOP_FULL_GRID=1 runs all of it.
"""

import os

import numpy as np
import pytest
from numba import cuda

import coop
from backend import SIMULATOR, cases

pytestmark = pytest.mark.gpu
FULL = bool(os.environ.get("COOP_FULL_GRID"))

KEY_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
              np.float16, np.float32, np.float64, np.bool_]
VALUE_DTYPES = [np.int32, np.float64, np.uint8, np.int64, np.float16]
BLOCKS = [32, 128, 256, 1024, (16, 8), (8, 4, 4)]
IPTS = [1, 2, 4, 7, 16]
GRID_BLOCKS = 2  # thread blocks per launch: each sorts its own tile


def nthreads(dims):
    return int(np.prod(dims))


def jit_bounded(threads):
    """``cuda.jit(launch_bounds=threads)``; the simulator's cuda.jit takes no launch bounds."""
    return cuda.jit if SIMULATOR else cuda.jit(launch_bounds=threads)


# --------------------------------------------------------------------------- references


def ordered_bits(keys):
    """CUB's bit-ordered form of the keys (radix traits' TwiddleIn; -0.0 read as +0.0), as uint64."""
    dt = keys.dtype
    if dt == np.bool_:
        return keys.view(np.uint8).astype(np.uint64)
    nbits = dt.itemsize * 8
    u = keys.view(f"u{dt.itemsize}").astype(np.uint64)
    high = np.uint64(1 << (nbits - 1))
    full = np.uint64((1 << nbits) - 1)
    if dt.kind == "i":
        return u ^ high
    if dt.kind == "f":
        u = np.where(u & high, u ^ full, u ^ high)
        return np.where(u == (full ^ high), high, u)  # twiddled -0.0 -> twiddled +0.0
    return u


def digits(keys, begin, end):
    if begin is None and end is None:
        return ordered_bits(keys)
    begin = begin or 0
    end = keys.dtype.itemsize * 8 if end is None else end
    return (ordered_bits(keys) >> np.uint64(begin)) & np.uint64((1 << (end - begin)) - 1)


def sort_order(keys, begin, end, descending):
    d = digits(keys, begin, end)
    return np.argsort(~d if descending else d, kind="stable")


def striped(tile, threads, ipt):
    """A sorted tile as the blocked-order memory of threads holding it striped."""
    return tile.reshape(ipt, threads).T.reshape(-1)


def bits_of(a):
    return a.view(np.uint8 if a.dtype == np.bool_ else f"u{a.dtype.itemsize}")


def assert_same_bits(got, want, what):
    assert got.dtype == want.dtype
    bad = np.flatnonzero(bits_of(got) != bits_of(want))
    assert bad.size == 0, f"{what}: {bad.size} items differ, first at {bad[0]}: {got[bad[0]]!r} != {want[bad[0]]!r}"


rng = np.random.default_rng(11)


def make_keys(dtype, n):
    """Keys with many ties (stability), the whole range, and for floats -0.0/+0.0, +-inf and NaNs
    of both signs and several payloads."""
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return rng.integers(0, 2, n).astype(np.bool_)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        wide = rng.integers(info.min, info.max, n, dtype=dt, endpoint=True)
        small = rng.integers(max(info.min, -4), 5, n).astype(dt)
        return np.where(rng.random(n) < 0.5, wide, small)
    k = np.where(rng.random(n) < 0.5, rng.normal(0, 1e3, n), rng.integers(-3, 4, n)).astype(dt)
    u = f"u{dt.itemsize}"
    nbits = dt.itemsize * 8
    quiet = {16: 0x7E00, 32: 0x7FC00000, 64: 0x7FF8000000000000}[nbits]
    sign = 1 << (nbits - 1)
    nans = np.array([quiet, quiet | 1, quiet | 5, sign | quiet, sign | quiet | 3], dtype=u).view(dt)
    special = np.concatenate([np.array([0.0, -0.0, np.inf, -np.inf], dtype=dt), nans])
    pick = rng.random(n) < 0.25
    k[pick] = special[rng.integers(0, special.size, int(pick.sum()))]
    return k


def make_values(dtype, n):
    return (np.arange(n) % 251).astype(dtype) if np.dtype(dtype).kind != "f" else np.arange(n).astype(dtype)


# --------------------------------------------------------------------------- radix sort: every mode in one kernel


@cuda.jit(device=True)
def _load(keys, vals, d_keys, d_vals, base, ipt):
    for i in range(ipt):
        keys[i] = d_keys[base + i]
        vals[i] = d_vals[base + i]


@cuda.jit(device=True)
def _save(o_keys, o_vals, keys, vals, base, ipt):
    for i in range(ipt):
        o_keys[base + i] = keys[i]
        o_vals[base + i] = vals[i]


# mode: (pairs, descending, blocked_to_striped)
MODES = [(p, d, s) for p in (False, True) for d in (False, True) for s in (False, True)]


SMEM = 227 * 1024  # shared memory a block may use on sm_90 (past 48 KB the kernel's plan is dynamic shared memory)


def sort_kernel(ipt, begin, end, nbytes, align, threads):
    """One kernel sorting the same tiles in the 8 modes (keys/pairs x ascending/descending x
    blocked/striped), mode m writing to o_keys[m] / o_vals[m]. The sorts share one
    coop.TempStorage: each specialization's own (implicit) storage would not fit twice.
    launch_bounds: CUB's code needs more than the 64 registers a 1024-thread block leaves."""
    B, E = begin, end

    @jit_bounded(threads)
    def k(d_keys, d_vals, o_keys, o_vals):
        temp = coop.TempStorage(nbytes, align)
        nt = cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z
        tid = cuda.threadIdx.x + cuda.blockDim.x * (cuda.threadIdx.y + cuda.blockDim.y * cuda.threadIdx.z)
        base = cuda.blockIdx.x * nt * ipt + tid * ipt
        keys = coop.local.array(ipt, d_keys.dtype)
        vals = coop.local.array(ipt, d_vals.dtype)
        _load(keys, vals, d_keys, d_vals, base, ipt)
        coop.block.radix_sort_keys(keys, begin_bit=B, end_bit=E, temp_storage=temp)
        _save(o_keys[0], o_vals[0], keys, vals, base, ipt)
        cuda.syncthreads()
        _load(keys, vals, d_keys, d_vals, base, ipt)
        coop.block.radix_sort_keys(keys, ipt, B, E, blocked_to_striped=True, temp_storage=temp)
        _save(o_keys[1], o_vals[1], keys, vals, base, ipt)
        cuda.syncthreads()
        _load(keys, vals, d_keys, d_vals, base, ipt)
        coop.block.radix_sort_keys_descending(keys, begin_bit=B, end_bit=E, temp_storage=temp)
        _save(o_keys[2], o_vals[2], keys, vals, base, ipt)
        cuda.syncthreads()
        _load(keys, vals, d_keys, d_vals, base, ipt)
        coop.block.radix_sort_keys_descending(keys, begin_bit=B, end_bit=E, blocked_to_striped=True, temp_storage=temp)
        _save(o_keys[3], o_vals[3], keys, vals, base, ipt)
        cuda.syncthreads()
        _load(keys, vals, d_keys, d_vals, base, ipt)
        coop.block.radix_sort_pairs(keys, vals, begin_bit=B, end_bit=E, temp_storage=temp)
        _save(o_keys[4], o_vals[4], keys, vals, base, ipt)
        cuda.syncthreads()
        _load(keys, vals, d_keys, d_vals, base, ipt)
        coop.block.radix_sort_keys(keys, values=vals, begin_bit=B, end_bit=E, blocked_to_striped=True, temp_storage=temp)
        _save(o_keys[5], o_vals[5], keys, vals, base, ipt)
        cuda.syncthreads()
        _load(keys, vals, d_keys, d_vals, base, ipt)
        coop.block.radix_sort_pairs_descending(keys, vals, ipt, B, E, temp_storage=temp)
        _save(o_keys[6], o_vals[6], keys, vals, base, ipt)
        cuda.syncthreads()
        _load(keys, vals, d_keys, d_vals, base, ipt)
        coop.block.radix_sort_pairs_descending(keys, vals, begin_bit=B, end_bit=E, blocked_to_striped=True,
                                               temp_storage=temp)
        _save(o_keys[7], o_vals[7], keys, vals, base, ipt)

    return k


def check_sorts(h_keys, h_vals, o_keys, o_vals, threads, ipt, begin, end):
    tile = threads * ipt
    for m, (pairs, desc, strip) in enumerate(MODES):
        for b in range(h_keys.size // tile):
            sl = slice(b * tile, (b + 1) * tile)
            k_in, v_in = h_keys[sl], h_vals[sl]
            order = sort_order(k_in, begin, end, desc)
            want_k = k_in[order]
            want_v = v_in[order] if pairs else v_in  # keys only: values untouched
            if strip:
                want_k = striped(want_k, threads, ipt)
                want_v = striped(want_v, threads, ipt) if pairs else want_v
            what = f"mode pairs={pairs} descending={desc} striped={strip}, block {b}"
            assert_same_bits(o_keys[m, sl], want_k, what + " keys")
            assert_same_bits(o_vals[m, sl], want_v, what + " values")


def bit_range(key_dtype, i):
    """The bits a grid point compares: all (CUB's defaults), or a sub-range, by grid index."""
    nbits = np.dtype(key_dtype).itemsize * 8
    choice = i % 4
    if choice == 0:
        return None, None
    if choice == 1:
        return 0, max(1, nbits // 2)
    if choice == 2:
        return nbits // 2, nbits
    return 1, nbits - 1 if nbits > 2 else nbits


SORT_GRID = [(kd, VALUE_DTYPES[i % len(VALUE_DTYPES)], blk, ipt)
             for i, (kd, blk, ipt) in enumerate((kd, blk, ipt) for kd in KEY_DTYPES for blk in BLOCKS for ipt in IPTS)]
# the sample: every key dtype twice, the block shapes and items per thread spread over them
SORT_SAMPLE = [next(g for g in SORT_GRID if g[0] == kd and g[2] == BLOCKS[(d + 3 * s) % len(BLOCKS)]
                    and g[3] == IPTS[(d + 2 * s) % len(IPTS)])
               for d, kd in enumerate(KEY_DTYPES) for s in (0, 1)]
# under the simulator: every key dtype once, on 32 threads (two of them on 2-D and 3-D blocks of 128)
_SIM_BLOCKS = {1: (16, 8), 6: (8, 4, 4)}
SORT_SIM = [next(g for g in SORT_GRID if g[0] == kd and g[2] == _SIM_BLOCKS.get(d, 32) and g[3] == IPTS[d % len(IPTS)])
            for d, kd in enumerate(KEY_DTYPES)]
SORT_CASES = cases(SORT_GRID if FULL else SORT_SAMPLE, sim=SORT_SIM)


def _sort_id(g):
    kd, vd, blk, ipt = g
    return f"{np.dtype(kd).name}-{np.dtype(vd).name}-{blk}-ipt{ipt}"


@pytest.mark.parametrize("key_dtype, value_dtype, block, ipt", SORT_CASES, ids=[_sort_id(g) for g in SORT_CASES])
def test_radix_sort_every_mode(key_dtype, value_dtype, block, ipt):
    threads = nthreads(block)
    begin, end = bit_range(key_dtype, SORT_GRID.index((key_dtype, value_dtype, block, ipt)))
    try:
        tps = (coop.block.radix_sort_keys(key_dtype, block, ipt),
               coop.block.radix_sort_pairs(key_dtype, value_dtype, block, ipt))
    except coop.CoopError as exc:  # a tile past coop's limits is refused before compiling (tests/test_coop_misuse.py)
        assert "shared memory" in str(exc) or "budget" in str(exc), exc
        pytest.skip(f"refused by coop before compiling: {str(exc).splitlines()[0]}")
    if SIMULATOR:  # a hand-given size is not checked there; measuring it costs an NVRTC call per case
        nbytes, align = 16, 16
    else:
        nbytes, align = max(t.temp_storage_bytes for t in tps), max(t.temp_storage_alignment for t in tps)
    if nbytes > SMEM:
        pytest.skip(f"CUB's TempStorage for this tile is {nbytes} bytes, more than the {SMEM} bytes a block may use")
    n = GRID_BLOCKS * threads * ipt
    h_keys, h_vals = make_keys(key_dtype, n), make_values(value_dtype, n)
    o_keys = cuda.device_array((len(MODES), n), h_keys.dtype)
    o_vals = cuda.device_array((len(MODES), n), h_vals.dtype)
    k = sort_kernel(ipt, begin, end, nbytes, align, threads)
    k[GRID_BLOCKS, block](cuda.to_device(h_keys), cuda.to_device(h_vals), o_keys, o_vals)
    check_sorts(h_keys, h_vals, o_keys.copy_to_host(), o_vals.copy_to_host(), threads, ipt, begin, end)


# --------------------------------------------------------------------------- radix sort: special values


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_order_zeros_and_nans(dtype):
    """-0.0 and +0.0 compare equal (input order kept), NaNs sort by their bits: sign-less NaNs
    after +inf, signed ones before -inf, in both directions."""
    threads, ipt = 64, 4
    dt = np.dtype(dtype)
    u = f"u{dt.itemsize}"
    nbits = dt.itemsize * 8
    quiet, sign = {16: 0x7E00, 32: 0x7FC00000, 64: 0x7FF8000000000000}[nbits], 1 << (nbits - 1)
    base = np.array([-0.0, 0.0, -0.0, 0.0, 1.0, -1.0, np.inf, -np.inf, 2.0, -2.0], dtype=dt)
    nans = np.array([quiet, quiet | 7, sign | quiet, sign | quiet | 9], dtype=u).view(dt)
    h = np.resize(np.concatenate([base, nans]), threads * ipt)
    rng.shuffle(h)
    vals = np.arange(h.size, dtype=np.int32)
    o_keys = cuda.device_array((2, h.size), dt)
    o_vals = cuda.device_array((2, h.size), np.int32)

    @cuda.jit
    def k(d_keys, d_vals, ok, ov):
        tid = cuda.threadIdx.x
        keys = coop.local.array(ipt, d_keys.dtype)
        v = coop.local.array(ipt, d_vals.dtype)
        _load(keys, v, d_keys, d_vals, tid * ipt, ipt)
        coop.block.radix_sort_pairs(keys, v)
        _save(ok[0], ov[0], keys, v, tid * ipt, ipt)
        cuda.syncthreads()
        _load(keys, v, d_keys, d_vals, tid * ipt, ipt)
        coop.block.radix_sort_pairs_descending(keys, v)
        _save(ok[1], ov[1], keys, v, tid * ipt, ipt)

    k[1, threads](cuda.to_device(h), cuda.to_device(vals), o_keys, o_vals)
    got_k, got_v = o_keys.copy_to_host(), o_vals.copy_to_host()
    for m, desc in enumerate((False, True)):
        order = sort_order(h, None, None, desc)
        assert_same_bits(got_k[m], h[order], f"descending={desc} keys")
        assert_same_bits(got_v[m], vals[order], f"descending={desc} values")
    # the order spelled out: zeros tie (input order), NaNs by sign at the ends
    asc = got_k[0]
    is_nan = np.isnan(asc)
    neg_nan = is_nan & np.signbit(asc)
    assert neg_nan[: neg_nan.sum()].all() and (is_nan & ~np.signbit(asc))[asc.size - (is_nan & ~neg_nan).sum():].all()
    finite = asc[~is_nan]
    assert np.all(finite[1:] >= finite[:-1])
    zeros = got_v[0][(asc == 0)]
    assert np.all(np.diff(zeros) > 0), "-0.0 and +0.0 keep their input order"


# --------------------------------------------------------------------------- radix sort: random bit ranges


@pytest.mark.parametrize("key_dtype", [np.int32, np.uint64, np.float32, np.int16])
def test_random_bit_ranges_runtime_bits(key_dtype):
    """begin_bit/end_bit as runtime values: 24 random ranges per dtype against the stable
    NumPy reference (only bits [begin_bit, end_bit) compared)."""
    block, ipt = ((8, 4) if SIMULATOR else (32, 4)), 3
    threads = nthreads(block)
    nbits = np.dtype(key_dtype).itemsize * 8
    prng = np.random.default_rng(int(np.dtype(key_dtype).num) * 1009)

    @cuda.jit
    def k(d_keys, d_vals, o_keys, o_vals, begin, end):
        nt = cuda.blockDim.x * cuda.blockDim.y
        tid = cuda.threadIdx.x + cuda.blockDim.x * cuda.threadIdx.y
        base = cuda.blockIdx.x * nt * ipt + tid * ipt
        keys = coop.local.array(ipt, d_keys.dtype)
        vals = coop.local.array(ipt, d_vals.dtype)
        _load(keys, vals, d_keys, d_vals, base, ipt)
        coop.block.radix_sort_pairs(keys, vals, begin_bit=begin, end_bit=end)
        _save(o_keys[0], o_vals[0], keys, vals, base, ipt)
        cuda.syncthreads()
        _load(keys, vals, d_keys, d_vals, base, ipt)
        coop.block.radix_sort_keys_descending(keys, values=vals, begin_bit=begin, end_bit=end, radix_bits=3)
        _save(o_keys[1], o_vals[1], keys, vals, base, ipt)

    n = GRID_BLOCKS * threads * ipt
    for _ in range(3 if SIMULATOR else 24):
        begin = int(prng.integers(0, nbits))
        end = int(prng.integers(begin + 1, nbits + 1))
        h_keys, h_vals = make_keys(key_dtype, n), np.arange(n, dtype=np.int64)
        o_keys, o_vals = cuda.device_array((2, n), h_keys.dtype), cuda.device_array((2, n), np.int64)
        k[GRID_BLOCKS, block](cuda.to_device(h_keys), cuda.to_device(h_vals), o_keys, o_vals, begin, end)
        got_k, got_v = o_keys.copy_to_host(), o_vals.copy_to_host()
        tile = threads * ipt
        for b in range(GRID_BLOCKS):
            sl = slice(b * tile, (b + 1) * tile)
            for m, desc in enumerate((False, True)):
                order = sort_order(h_keys[sl], begin, end, desc)
                what = f"bits [{begin}, {end}) descending={desc} block {b}"
                assert_same_bits(got_k[m, sl], h_keys[sl][order], what + " keys")
                assert_same_bits(got_v[m, sl], h_vals[sl][order], what + " values")


# --------------------------------------------------------------------------- radix sort: two-phase, TempStorage, knobs


def test_two_phase_sorts_and_temp_storage():
    threads, ipt = (32 if SIMULATOR else 128), 5
    tp_keys = coop.block.radix_sort_keys(np.int32, threads, ipt, begin_bit=2, end_bit=20)
    tp_pairs = coop.block.radix_sort_pairs_descending(np.float32, np.int32, threads, ipt, blocked_to_striped=True,
                                                       radix_bits=6, memoize_outer_scan=False,
                                                       inner_scan_algorithm="raking")
    tp_kv = coop.block.radix_sort_keys(np.uint16, threads, ipt, np.int32, smem_config="eight_byte")
    nbytes = max(p.temp_storage_bytes for p in (tp_keys, tp_pairs, tp_kv))
    align = max(p.temp_storage_alignment for p in (tp_keys, tp_pairs, tp_kv))
    assert nbytes > 0 and align > 0

    @cuda.jit
    def k(d_i, d_f, d_u, d_v, o_i, o_f, o_u, o_v1, o_v2):
        temp = coop.TempStorage(nbytes, align)
        base = cuda.threadIdx.x * ipt
        ki = coop.local.array(ipt, np.int32)
        kf = coop.local.array(ipt, np.float32)
        ku = coop.local.array(ipt, np.uint16)
        v1 = coop.local.array(ipt, np.int32)
        v2 = coop.local.array(ipt, np.int32)
        for i in range(ipt):
            ki[i] = d_i[base + i]
            kf[i] = d_f[base + i]
            ku[i] = d_u[base + i]
            v1[i] = d_v[base + i]
            v2[i] = d_v[base + i]
        tp_keys(ki)
        tp_pairs(kf, v1, temp_storage=temp)
        tp_kv(ku, values=v2, temp_storage=temp)
        for i in range(ipt):
            o_i[base + i] = ki[i]
            o_f[base + i] = kf[i]
            o_u[base + i] = ku[i]
            o_v1[base + i] = v1[i]
            o_v2[base + i] = v2[i]

    n = threads * ipt
    h_i, h_f, h_u = make_keys(np.int32, n), make_keys(np.float32, n), make_keys(np.uint16, n)
    h_v = np.arange(n, dtype=np.int32)
    outs = [cuda.device_array(n, a.dtype) for a in (h_i, h_f, h_u, h_v, h_v)]
    k[1, threads](*[cuda.to_device(a) for a in (h_i, h_f, h_u, h_v)], *outs)
    o_i, o_f, o_u, o_v1, o_v2 = [o.copy_to_host() for o in outs]
    assert_same_bits(o_i, h_i[sort_order(h_i, 2, 20, False)], "two-phase keys, bits [2, 20)")
    order = sort_order(h_f, None, None, True)
    assert_same_bits(o_f, striped(h_f[order], threads, ipt), "two-phase descending striped pairs keys")
    assert_same_bits(o_v1, striped(h_v[order], threads, ipt), "two-phase descending striped pairs values")
    order = sort_order(h_u, None, None, False)
    assert_same_bits(o_u, h_u[order], "two-phase keys with value_dtype")
    assert_same_bits(o_v2, h_v[order], "two-phase keys with value_dtype: values")


# --------------------------------------------------------------------------- radix rank


ALGORITHMS = ["BASIC", "MEMOIZE", "MATCH", "MATCH_EARLY_COUNTS_ANY", "MATCH_EARLY_COUNTS_ATOMIC_OR"]
RANK_DTYPES = [np.uint8, np.uint16, np.uint32, np.uint64]


def rank_bits(dtype, threads, i):
    """(begin_bit, end_bit) for a grid point: at most 8 bits, and few enough that two
    BlockRadixRanks' counters (2**(bits-1)+1 lanes x threads x 4 bytes each) fit in 48 KB."""
    nbits = np.dtype(dtype).itemsize * 8
    most = max(b for b in range(1, 9) if 2 * (2 ** (b - 1) + 1) * threads * 4 <= 48 * 1024)
    bits = [1, 2, 3, 4, 5, 6, 7, 8][i % 8]
    bits = min(bits, most, nbits)
    begin = (i * 7) % (nbits - bits + 1)
    return begin, begin + bits


def rank_kernel(ipt, begin, end, nbins, algorithm, threads, nbytes, align, desc):
    """Ascending ranks with CUB's own storage, then ranks (descending if ``desc``) in a
    coop.TempStorage."""

    @jit_bounded(threads)
    def k(d_keys, o_ranks, o_prefix):
        temp = coop.TempStorage(nbytes, align)
        nt = cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z
        tid = cuda.threadIdx.x + cuda.blockDim.x * (cuda.threadIdx.y + cuda.blockDim.y * cuda.threadIdx.z)
        base = cuda.blockIdx.x * nt * ipt + tid * ipt
        pbase = cuda.blockIdx.x * nt * nbins + tid * nbins
        keys = coop.local.array(ipt, d_keys.dtype)
        ranks = coop.local.array(ipt, np.int32)
        prefix = coop.local.array(nbins, np.int32)
        for i in range(ipt):
            keys[i] = d_keys[base + i]
        for j in range(nbins):
            prefix[j] = -1
        coop.block.radix_rank(keys, ranks, ipt, begin, end, exclusive_digit_prefix=prefix, algorithm=algorithm)
        for i in range(ipt):
            o_ranks[0, base + i] = ranks[i]
        for j in range(nbins):
            o_prefix[0, pbase + j] = prefix[j]
        cuda.syncthreads()
        coop.block.radix_rank(keys, ranks, begin_bit=begin, end_bit=end, descending=desc,
                              exclusive_digit_prefix=prefix, algorithm=algorithm, temp_storage=temp)
        for i in range(ipt):
            o_ranks[1, base + i] = ranks[i]
        for j in range(nbins):
            o_prefix[1, pbase + j] = prefix[j]

    return k


def check_ranks(keys, ranks, prefix, threads, ipt, begin, end, nbins, descending, algorithm):
    what = f"{algorithm} descending={descending} bits [{begin}, {end})"
    d = digits(keys, begin, end)
    ndig = 1 << (end - begin)
    # the keys in rank order: every rank once, digits in order
    assert np.array_equal(np.sort(ranks), np.arange(keys.size)), f"{what}: ranks are not a permutation"
    by_rank = np.empty_like(d)
    by_rank[ranks] = d
    steps = np.diff(by_rank.astype(np.int64))
    assert np.all(steps <= 0 if descending else steps >= 0), f"{what}: digits out of order: {by_rank[:64]}"
    # ties: blocked order for BlockRadixRank; warp, then item, then lane for the match rankers
    pos = np.arange(keys.size)
    t, i = pos // ipt, pos % ipt
    if algorithm in ("BASIC", "MEMOIZE"):
        tie = pos
    else:
        tie = (t // 32) * (32 * ipt) + i * 32 + t % 32
    order = np.lexsort((tie, ~d if descending else d))
    want = np.empty(keys.size, np.int64)
    want[order] = np.arange(keys.size)
    np.testing.assert_array_equal(ranks, want, err_msg=f"{what}: ties")
    # exclusive digit prefix: thread t entry j is digit t * nbins + j
    counts = np.bincount(d.astype(np.int64), minlength=ndig)
    before = np.cumsum(counts) - counts if not descending else counts[::-1].cumsum()[::-1] - counts
    dig = np.arange(threads * nbins)
    ok = dig < ndig
    np.testing.assert_array_equal(prefix[ok], before[dig[ok]], err_msg=f"{what}: exclusive_digit_prefix")


RANK_GRID = [(dt, alg, blk, ipt) for dt in RANK_DTYPES for alg in ALGORITHMS for blk in BLOCKS for ipt in IPTS
             if not (alg.startswith("MATCH_EARLY") and not isinstance(blk, int))]

def _rank_pick(d, a):
    blocks = [b for b in BLOCKS if isinstance(b, int) or not ALGORITHMS[a].startswith("MATCH_EARLY")]
    return blocks[(d + 2 * a) % len(blocks)], IPTS[(d + a) % len(IPTS)]


# the sample: every (dtype, algorithm) once, the block shapes and items per thread spread over them
RANK_SAMPLE = [(dt, alg, *_rank_pick(d, a)) for d, dt in enumerate(RANK_DTYPES) for a, alg in enumerate(ALGORITHMS)]
# under the simulator: the same (dtype, algorithm) pairs on blocks of at most 128 threads
RANK_SIM = [(dt, alg, ((128 if alg.startswith("MATCH_EARLY") else (16, 8)) if (d + a) % 4 == 0 else 32),
             IPTS[(d + a) % len(IPTS)]) for d, dt in enumerate(RANK_DTYPES) for a, alg in enumerate(ALGORITHMS)]
RANK_CASES = cases(RANK_GRID if FULL else RANK_SAMPLE, sim=RANK_SIM)


@pytest.mark.parametrize("dtype, algorithm, block, ipt", RANK_CASES,
                         ids=[f"{np.dtype(g[0]).name}-{g[1]}-{g[2]}-ipt{g[3]}" for g in RANK_CASES])
def test_radix_rank(dtype, algorithm, block, ipt):
    threads = nthreads(block)
    begin, end = rank_bits(dtype, threads, RANK_GRID.index((dtype, algorithm, block, ipt)))
    nbins = max(1, -(-(1 << (end - begin)) // threads))
    n = GRID_BLOCKS * threads * ipt
    h = make_keys(dtype, n)
    o_ranks = cuda.device_array((2, n), np.int32)
    o_prefix = cuda.device_array((2, GRID_BLOCKS * threads * nbins), np.int32)
    alg = getattr(coop.RadixRankAlgorithm, algorithm)
    desc = not algorithm.startswith("MATCH_EARLY")  # CUB's early-counts ranker ranks ascending only
    tp = coop.block.radix_rank(dtype, block, ipt, begin, end, desc, alg)
    k = rank_kernel(ipt, begin, end, nbins, alg, threads, tp.temp_storage_bytes, tp.temp_storage_alignment, desc)
    k[GRID_BLOCKS, block](cuda.to_device(h), o_ranks, o_prefix)
    ranks, prefix = o_ranks.copy_to_host(), o_prefix.copy_to_host()
    tile, ptile = threads * ipt, threads * nbins
    for b in range(GRID_BLOCKS):
        for m, descending in enumerate((False, desc)):
            check_ranks(h[b * tile:(b + 1) * tile], ranks[m, b * tile:(b + 1) * tile],
                        prefix[m, b * ptile:(b + 1) * ptile], threads, ipt, begin, end, nbins, descending, algorithm)


def test_radix_rank_two_phase_with_temp_storage():
    threads, ipt, begin, end = 256, 3, 4, 9
    tp = coop.block.radix_rank(np.uint32, threads, ipt, begin, end, True, coop.RadixRankAlgorithm.MATCH)
    nbins = max(1, -(-(1 << (end - begin)) // threads))
    nbytes, align = tp.temp_storage_bytes, tp.temp_storage_alignment

    @cuda.jit
    def k(d_keys, o_ranks, o_prefix):
        temp = coop.TempStorage(nbytes, align)
        tid = cuda.threadIdx.x
        keys = coop.local.array(ipt, np.uint32)
        ranks = coop.local.array(ipt, np.int32)
        prefix = coop.local.array(nbins, np.int32)
        for i in range(ipt):
            keys[i] = d_keys[tid * ipt + i]
        tp(keys, ranks, exclusive_digit_prefix=prefix, temp_storage=temp)
        for i in range(ipt):
            o_ranks[tid * ipt + i] = ranks[i]
        for j in range(nbins):
            o_prefix[tid * nbins + j] = prefix[j]

    h = make_keys(np.uint32, threads * ipt)
    o_ranks, o_prefix = cuda.device_array(h.size, np.int32), cuda.device_array(threads * nbins, np.int32)
    k[1, threads](cuda.to_device(h), o_ranks, o_prefix)
    check_ranks(h, o_ranks.copy_to_host(), o_prefix.copy_to_host(), threads, ipt, begin, end, nbins, True, "MATCH")


# --------------------------------------------------------------------------- record keys (decomposer)

_RECORDS = [
    ([("a", np.float32)], ("a",)),
    ([("hi", np.int16), ("lo", np.float32)], ("hi", "lo")),
    ([("hi", np.int16), ("lo", np.float32), ("pad", np.uint8)], ("lo", "hi")),
    ([("a", np.uint8), ("b", np.int64), ("c", np.float64)], ("a", "b", "c")),
    ([("w", np.int32), ("x", np.uint16), ("y", np.float32), ("z", np.int8)], ("z", "x", "w", "y")),
]


def _records(dt, n, rng):
    out = np.zeros(n, dt)
    for name in dt.names:
        ft = dt.fields[name][0]
        vals = rng.integers(-3 if ft.kind in "if" else 0, 4, n)  # few values: ties reach later fields
        out[name] = vals.astype(ft) + (ft.type(0.5) if ft.kind == "f" else 0)
    return out


@pytest.mark.parametrize("fields, order", _RECORDS, ids=["1", "2", "2-reversed", "3", "4"])
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("pairs", [False, True], ids=["keys", "pairs"])
def test_record_keys_with_a_decomposer(fields, order, descending, pairs):
    import numba

    dt = np.dtype(fields, align=True)
    dec = coop.Decomposer(*order)
    threads, ipt = (32 if SIMULATOR else 128), 4
    sort_keys = coop.block.radix_sort_keys_descending if descending else coop.block.radix_sort_keys
    sort_pairs = coop.block.radix_sort_pairs_descending if descending else coop.block.radix_sort_pairs

    @cuda.jit
    def k(d_keys, d_vals):
        base = cuda.blockIdx.x * threads * ipt
        keys = coop.local.array(ipt, d_keys.dtype)
        vals = coop.local.array(ipt, d_vals.dtype)
        coop.block.load(d_keys[base:], keys)
        coop.block.load(d_vals[base:], vals)
        if pairs:
            sort_pairs(keys, vals, decomposer=dec)
        else:
            sort_keys(keys, decomposer=dec)
        coop.block.store(d_keys[base:], keys)
        coop.block.store(d_vals[base:], vals)

    assert numba.from_dtype(dt)  # an aligned record dtype
    rng = np.random.default_rng(len(order) * 7 + descending)
    n = GRID_BLOCKS * threads * ipt
    keys = _records(dt, n, rng)
    idx = np.arange(n, dtype=np.int32)
    d_keys, d_vals = cuda.to_device(keys), cuda.to_device(idx)
    k[GRID_BLOCKS, threads](d_keys, d_vals)
    got, got_vals = d_keys.copy_to_host(), d_vals.copy_to_host()
    sign = -1 if descending else 1
    for b in range(GRID_BLOCKS):
        tile = slice(b * threads * ipt, (b + 1) * threads * ipt)
        kt = keys[tile]
        # np.lexsort: the last key is the primary one; stable like CUB's radix sort in both directions
        perm = np.lexsort(tuple(sign * kt[f].astype(np.float64) for f in reversed(order)))
        for f in dt.names:
            np.testing.assert_array_equal(got[tile][f], kt[f][perm], err_msg=f"block {b} field {f}")
        want_vals = idx[tile][perm] if pairs else idx[tile]
        np.testing.assert_array_equal(got_vals[tile], want_vals)


def test_record_keys_bit_range_counts_over_the_fields():
    """begin_bit/end_bit index the decomposed key: the last field's lowest bit is bit 0."""
    dt = np.dtype([("hi", np.uint8), ("lo", np.uint8)], align=True)
    dec = coop.Decomposer("hi", "lo")
    threads, ipt = 64, 2

    @cuda.jit
    def k(d_keys):
        keys = coop.local.array(ipt, d_keys.dtype)
        coop.block.load(d_keys, keys)
        coop.block.radix_sort_keys(keys, decomposer=dec, begin_bit=4, end_bit=12)
        coop.block.store(d_keys, keys)

    rng = np.random.default_rng(3)
    keys = np.zeros(threads * ipt, dt)
    keys["hi"], keys["lo"] = rng.integers(0, 256, keys.size), rng.integers(0, 256, keys.size)
    d = cuda.to_device(keys)
    k[1, threads](d)
    combined = keys["hi"].astype(np.uint32) << 8 | keys["lo"].astype(np.uint32)
    perm = np.argsort((combined >> 4) & 0xFF, kind="stable")
    got = d.copy_to_host()
    np.testing.assert_array_equal(got["hi"], keys["hi"][perm])
    np.testing.assert_array_equal(got["lo"], keys["lo"][perm])
