"""GPU tier for coop.block/coop.warp merge_sort_keys and merge_sort_pairs against NumPy: key
dtypes int8..uint64, float16/32/64; blocks of 32..1024 threads, 2-D and 3-D; 1..16 items per
thread; logical warps of 1..32 lanes; ascending and descending (named and device-function
orders), Sort and StableSort, partial tiles. A sample of the grid by default, all of it with
COOP_FULL_GRID=1.

References follow CUB's documented semantics: the tile (``items_per_thread * threads`` keys,
blocked) ends sorted by ``compare_op``; pairs move each value with its key; StableSort keeps
equal keys in their input order (``np.argsort(kind="stable")``), Sort only promises the
multiset of values of each run of equal keys; with ``valid_items`` the first ``valid_items``
keys of the tile end sorted at its front (nothing is promised past them).
"""

import math
import operator
import os
from functools import reduce as freduce

import numba
import numpy as np
import pytest
from numba import cuda

import coop
from backend import SIMULATOR, cases

pytestmark = pytest.mark.gpu
FULL = bool(os.environ.get("COOP_FULL_GRID"))
rng = np.random.default_rng(11)

KEY_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
              np.float16, np.float32, np.float64]
VALUE_DTYPES = [np.int32, np.float64, np.uint16, np.int64]  # value dtypes differ from the keys'
BLOCKS = [32, 128, 256, 1024, (16, 8), (4, 8, 4)]
IPTS = [1, 2, 4, 7, 16]
WARPS = [1, 2, 4, 8, 16, 32]
STATIC_SMEM = 48 * 1024  # CUB's TempStorage is a static __shared__ array here


@cuda.jit(device=True)
def dev_less(a, b):
    return a < b


@cuda.jit(device=True)
def dev_greater(a, b):
    return a > b


#: (pairs, stable, order, partial): order "<", ">" (named) or "dev<", "dev>" (device functions);
#: partial None (the whole tile), "default" (oob_default omitted) or "explicit"
VARIANTS = [
    (False, False, "<", None),
    (True, True, "<", None),
    (False, True, ">", "default"),
    (True, False, "dev>", "explicit"),
    (True, True, ">", "default"),
    (False, False, "dev<", None),
    (True, False, "<", "explicit"),
    (True, True, "dev<", "explicit"),
]
_OPS = {"<": "<", ">": ">", "dev<": dev_less, "dev>": dev_greater}


def _for_dtype(variant, dtype):
    """float16: no device-function order (Numba's half comparisons need its fp16 library), so
    those variants use the named order."""
    pairs, stable, order, partial = variant
    if np.dtype(dtype) == np.float16:
        order = order[-1]
    return pairs, stable, order, partial


def nthreads(dims):
    return dims if isinstance(dims, int) else freduce(operator.mul, dims)


def sample_keys(dtype, n):
    """Many duplicates (stability shows), and the type's extremes (the default oob_default
    equals them: they must still sort into the valid range)."""
    dt = np.dtype(dtype)
    if dt.kind == "f":
        k = rng.integers(-20, 21, n).astype(dt)
        hi, lo = dt.type(np.inf), dt.type(-np.inf)
    else:
        info = np.iinfo(dt)
        k = rng.integers(max(info.min, -20), min(info.max, 20) + 1, n).astype(dt)
        hi, lo = info.max, info.min
    picks = rng.choice(n, size=min(n, 4), replace=False)
    k[picks[: len(picks) // 2]] = hi
    k[picks[len(picks) // 2:]] = lo
    return k


def sorted_ref(keys, vals, descending):
    """CUB's stable order: np.argsort(kind="stable"); descending keeps equal keys in input order."""
    n = len(keys)
    order = (n - 1 - np.argsort(keys[::-1], kind="stable"))[::-1] if descending else np.argsort(keys, kind="stable")
    return keys[order], vals[order]


def check_tiles(ok, ov, hk, hv, tile, valid, pairs, stable, descending):
    for t in range(len(hk) // tile):
        s = slice(t * tile, t * tile + valid)
        rk, rv = sorted_ref(hk[s], hv[s], descending)
        np.testing.assert_array_equal(ok[s], rk, err_msg=f"keys of tile {t}")
        if not pairs:
            continue
        if stable:
            np.testing.assert_array_equal(ov[s], rv, err_msg=f"values of tile {t} (stable)")
        else:  # each run of equal keys carries the same values, in some order
            a, b = np.lexsort((ov[s], ok[s])), np.lexsort((rv, rk))
            np.testing.assert_array_equal(ov[s][a], rv[b], err_msg=f"values of tile {t}")


def _valid(tile):
    return (2 * tile) // 3 + 1 if tile > 1 else 1


def _oob(dtype, descending):
    """An explicit oob_default: a key sorting after every other."""
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return np.array([-np.inf if descending else np.inf], dt)
    info = np.iinfo(dt)
    return np.array([info.min if descending else info.max], dt)


# --------------------------------------------------------------------------- kernels (one per variant and scope)

_KERNELS = {}


def sort_kernel(scope, variant, lw=32):
    key = (scope, variant, lw)
    if key in _KERNELS:
        return _KERNELS[key]
    pairs, stable, order, partial = variant
    op = _OPS[order]
    whole, default = partial is None, partial == "default"
    block = scope == "block"

    @cuda.jit
    def k(d_keys, d_vals, ipt_arg, valid, d_oob, o_keys, o_vals):
        ipt = ipt_arg
        nt = cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z
        tid = cuda.threadIdx.x + cuda.blockDim.x * (cuda.threadIdx.y + cuda.blockDim.y * cuda.threadIdx.z)
        base = (cuda.blockIdx.x * nt + tid) * ipt  # blocked: the block's (each logical warp's) tile in order
        keys = coop.local.array(ipt_arg, d_keys.dtype)
        vals = coop.local.array(ipt_arg, d_vals.dtype)
        for i in range(ipt):
            keys[i] = d_keys[base + i]
            vals[i] = d_vals[base + i]
        if block:
            if pairs:
                if whole:
                    coop.block.merge_sort_pairs(keys, vals, ipt_arg, op, stable=stable)
                elif default:
                    coop.block.merge_sort_pairs(keys, vals, compare_op=op, valid_items=valid, stable=stable)
                else:
                    coop.block.merge_sort_pairs(keys, vals, compare_op=op, valid_items=valid, oob_default=d_oob[0],
                                                stable=stable)
            else:
                if whole:
                    coop.block.merge_sort_keys(keys, ipt_arg, op, stable=stable)
                elif default:
                    coop.block.merge_sort_keys(keys, compare_op=op, valid_items=valid, stable=stable)
                else:
                    coop.block.merge_sort_keys(keys, compare_op=op, valid_items=valid, oob_default=d_oob[0],
                                               stable=stable)
        else:
            if pairs:
                if whole:
                    coop.warp.merge_sort_pairs(keys, vals, ipt_arg, op, lw, stable=stable)
                elif default:
                    coop.warp.merge_sort_pairs(keys, vals, compare_op=op, threads_in_warp=lw, valid_items=valid,
                                               stable=stable)
                else:
                    coop.warp.merge_sort_pairs(keys, vals, compare_op=op, threads_in_warp=lw, valid_items=valid,
                                               oob_default=d_oob[0], stable=stable)
            else:
                if whole:
                    coop.warp.merge_sort_keys(keys, ipt_arg, op, lw, stable=stable)
                elif default:
                    coop.warp.merge_sort_keys(keys, compare_op=op, threads_in_warp=lw, valid_items=valid,
                                              stable=stable)
                else:
                    coop.warp.merge_sort_keys(keys, compare_op=op, threads_in_warp=lw, valid_items=valid,
                                              oob_default=d_oob[0], stable=stable)
        for i in range(ipt):
            o_keys[base + i] = keys[i]
            o_vals[base + i] = vals[i]

    _KERNELS[key] = k
    return k


def run_sort(scope, variant, key_dtype, value_dtype, dims, ipt, lw=32, blocks=2, valid=None):
    pairs, stable, order, partial = variant
    descending = order.endswith(">")
    nt = nthreads(dims)
    tile = ipt * (nt if scope == "block" else lw)
    n = blocks * nt * ipt
    hk = sample_keys(key_dtype, n)
    hv = np.tile(np.arange(tile), n // tile).astype(value_dtype)  # each item's position in its tile
    if partial is not None and valid is None:
        valid = _valid(tile)
    ok, ov = cuda.device_array(n, hk.dtype), cuda.device_array(n, hv.dtype)
    sort_kernel(scope, variant, lw)[blocks, dims](cuda.to_device(hk), cuda.to_device(hv), ipt,
                                                  tile if valid is None else valid,
                                                  cuda.to_device(_oob(key_dtype, descending)), ok, ov)
    got_k, got_v = ok.copy_to_host(), ov.copy_to_host()
    check_tiles(got_k, got_v, hk, hv, tile, tile if valid is None else valid, pairs, stable, descending)
    if not pairs:
        np.testing.assert_array_equal(got_v, hv)  # the keys-only sort left the values alone


def _fits(key_dtype, value_dtype, tile, pairs):
    size = max(np.dtype(key_dtype).itemsize, np.dtype(value_dtype).itemsize if pairs else 1)
    return (tile + 1) * size <= STATIC_SMEM


# --------------------------------------------------------------------------- block grid

BLOCK_GRID = []
for di, kd in enumerate(KEY_DTYPES):
    for bi, dims in enumerate(BLOCKS):
        for ii, ipt in enumerate(IPTS):
            v = _for_dtype(VARIANTS[(di + 3 * bi + ii) % len(VARIANTS)], kd)
            vd = VALUE_DTYPES[(di + bi + 2 * ii) % len(VALUE_DTYPES)]
            if _fits(kd, vd, nthreads(dims) * ipt, v[0]):
                BLOCK_GRID.append((kd, vd, dims, ipt, v))
BLOCK_SAMPLE = BLOCK_GRID[::9]
# under the simulator: a sample of the blocks of at most 128 threads and at most 7 items each
BLOCK_SIM = [g for g in BLOCK_GRID if nthreads(g[2]) <= 128 and g[3] <= 7][::11]
BLOCK_CASES = cases(BLOCK_GRID if FULL else BLOCK_SAMPLE, sim=BLOCK_SIM)


def _id(g):
    kd, vd, dims, ipt, (pairs, stable, order, partial) = g[:5]
    shape = "x".join(map(str, dims)) if isinstance(dims, tuple) else str(dims)
    what = ("pairs-" + np.dtype(vd).name if pairs else "keys") + ("-stable" if stable else "") + f"-{order}" + \
        (f"-partial-{partial}" if partial else "")
    return f"{np.dtype(kd).name}-{shape}-ipt{ipt}-{what}"


@pytest.mark.parametrize("g", BLOCK_CASES, ids=_id)
def test_block_merge_sort(g):
    kd, vd, dims, ipt, variant = g
    run_sort("block", variant, kd, vd, dims, ipt)


# --------------------------------------------------------------------------- warp grid

WARP_GRID = []
for di, kd in enumerate(KEY_DTYPES):
    for wi, lw in enumerate(WARPS):
        for ii, ipt in enumerate(IPTS):
            v = _for_dtype(VARIANTS[(di + 5 * wi + ii) % len(VARIANTS)], kd)
            vd = VALUE_DTYPES[(di + wi + ii) % len(VALUE_DTYPES)]
            WARP_GRID.append((kd, vd, lw, ipt, v))
WARP_SAMPLE = WARP_GRID[::11]
WARP_CASES = cases(WARP_GRID if FULL else WARP_SAMPLE, sim=WARP_SAMPLE[::4])
SIM_WARP_BLOCK = 32 if SIMULATOR else 64  # threads per block of the warp sorts


@pytest.mark.parametrize("g", WARP_CASES, ids=lambda g: _id(g).replace("-", f"-lw{g[2]}-", 1))
def test_warp_merge_sort(g):
    kd, vd, lw, ipt, variant = g
    run_sort("warp", variant, kd, vd, SIM_WARP_BLOCK, ipt, lw=lw)


# ------------------------------------------------------------------ partial tiles, stability, records, two-phase


@pytest.mark.parametrize("valid", cases([0, 1, 127, 511, 512], sim=[0, 1, 31, 127, 128]))
def test_block_partial_tile_edges(valid):
    # 128 threads x 4 (32 in the simulator): nothing, one key, a thread short, one short of the tile, the whole tile
    run_sort("block", (True, True, "<", "default"), np.int32, np.int32, 32 if SIMULATOR else 128, 4, valid=valid)


@pytest.mark.parametrize("valid", [0, 5, 63, 64])
def test_warp_partial_tile_edges(valid):
    run_sort("warp", (True, False, ">", "explicit"), np.uint8, np.int64, SIM_WARP_BLOCK, 4, lw=16, valid=valid)


def test_stable_sort_keeps_equal_keys_in_order_descending_1024_threads():
    # two distinct keys over 1024 x 4 items: every value's place is decided by stability alone
    pairs, stable, order = True, True, ">"

    @cuda.jit
    def k(d_keys, d_vals, o_keys, o_vals):
        tid = cuda.threadIdx.x
        keys = coop.local.array(4, d_keys.dtype)
        vals = coop.local.array(4, d_vals.dtype)
        for i in range(4):
            keys[i] = d_keys[tid * 4 + i]
            vals[i] = d_vals[tid * 4 + i]
        coop.block.merge_sort_pairs(keys, vals, compare_op=order, stable=stable)
        for i in range(4):
            o_keys[tid * 4 + i] = keys[i]
            o_vals[tid * 4 + i] = vals[i]

    threads = 64 if SIMULATOR else 1024
    n = threads * 4
    hk = rng.integers(0, 2, n).astype(np.int16)
    hv = np.arange(n, dtype=np.int32)
    ok, ov = cuda.device_array(n, np.int16), cuda.device_array(n, np.int32)
    k[1, threads](cuda.to_device(hk), cuda.to_device(hv), ok, ov)
    check_tiles(ok.copy_to_host(), ov.copy_to_host(), hk, hv, n, n, pairs, stable, True)


rec = np.dtype([("lo", np.int32), ("hi", np.int32)], align=True)


@cuda.jit(device=True)
def rec_less(a, b):  # lexicographic (hi, lo)
    return a.hi < b.hi or (a.hi == b.hi and a.lo < b.lo)


def test_record_keys_block_partial_and_warp_stable():
    T, IPT, LW = 64, 3, 8

    @cuda.jit
    def k(d_keys, d_vals, valid, d_oob, o_bk, o_bv, o_wk, o_wv):
        tid = cuda.threadIdx.x
        keys = coop.local.array(IPT, d_keys.dtype)
        vals = coop.local.array(IPT, d_vals.dtype)
        for i in range(IPT):
            keys[i] = d_keys[tid * IPT + i]
            vals[i] = d_vals[tid * IPT + i]
        coop.block.merge_sort_pairs(keys, vals, compare_op=rec_less, valid_items=valid, oob_default=d_oob[0],
                                    stable=True)
        for i in range(IPT):
            o_bk[tid * IPT + i] = keys[i]
            o_bv[tid * IPT + i] = vals[i]
            keys[i] = d_keys[tid * IPT + i]
            vals[i] = d_vals[tid * IPT + i]
        coop.warp.merge_sort_pairs(keys, vals, compare_op=rec_less, threads_in_warp=LW, stable=True)
        for i in range(IPT):
            o_wk[tid * IPT + i] = keys[i]
            o_wv[tid * IPT + i] = vals[i]

    n, valid = T * IPT, 150
    hk = np.zeros(n, rec)
    hk["hi"], hk["lo"] = rng.integers(0, 3, n), rng.integers(0, 3, n)  # many equal keys
    hv = np.arange(n, dtype=np.float32)
    oob = np.array([(2**31 - 1, 2**31 - 1)], rec)
    outs = [cuda.device_array(n, rec), cuda.device_array(n, np.float32), cuda.device_array(n, rec),
            cuda.device_array(n, np.float32)]
    k[1, T](cuda.to_device(hk), cuda.to_device(hv), valid, cuda.to_device(oob), *outs)
    bk, bv, wk, wv = (o.copy_to_host() for o in outs)

    def ref(keys, vals):  # np.lexsort is stable: last key primary
        order = np.lexsort((keys["lo"], keys["hi"]))
        return keys[order], vals[order]

    rk, rv = ref(hk[:valid], hv[:valid])
    np.testing.assert_array_equal(bk[:valid], rk)
    np.testing.assert_array_equal(bv[:valid], rv)
    tile = LW * IPT
    for t in range(n // tile):
        s = slice(t * tile, (t + 1) * tile)
        rk, rv = ref(hk[s], hv[s])
        np.testing.assert_array_equal(wk[s], rk)
        np.testing.assert_array_equal(wv[s], rv)


def test_two_phase_block_and_warp_with_temp_storage():
    T, IPT, LW = (32 if SIMULATOR else 128), 4, 16
    block_sort = coop.block.merge_sort_pairs(np.float32, np.int32, T, IPT, ">", stable=True)
    warp_sort = coop.warp.merge_sort_keys(np.float32, IPT, dev_less, LW)
    nbytes = max(block_sort.temp_storage_bytes, warp_sort.temp_storage_bytes * (T // LW))
    align = max(block_sort.temp_storage_alignment, warp_sort.temp_storage_alignment)

    @cuda.jit
    def k(d_keys, d_vals, valid, o_bk, o_bv, o_wk):
        tid = cuda.threadIdx.x
        temp = coop.TempStorage(nbytes, align)
        keys = cuda.local.array(IPT, numba.float32)
        vals = cuda.local.array(IPT, numba.int32)
        for i in range(IPT):
            keys[i] = d_keys[tid * IPT + i]
            vals[i] = d_vals[tid * IPT + i]
        block_sort(keys, vals, valid_items=valid, temp_storage=temp)  # oob_default: -inf for ">"
        for i in range(IPT):
            o_bk[tid * IPT + i] = keys[i]
            o_bv[tid * IPT + i] = vals[i]
            keys[i] = d_keys[tid * IPT + i]
        warp_sort(keys, temp_storage=temp)
        for i in range(IPT):
            o_wk[tid * IPT + i] = keys[i]

    n, valid = T * IPT, (75 if SIMULATOR else 300)
    hk = sample_keys(np.float32, n)
    hv = np.arange(n, dtype=np.int32)
    outs = [cuda.device_array(n, np.float32), cuda.device_array(n, np.int32), cuda.device_array(n, np.float32)]
    k[1, T](cuda.to_device(hk), cuda.to_device(hv), valid, *outs)
    bk, bv, wk = (o.copy_to_host() for o in outs)
    check_tiles(bk, bv, hk, hv, n, valid, True, True, True)
    np.testing.assert_array_equal(wk.reshape(-1, LW * IPT), np.sort(hk.reshape(-1, LW * IPT), axis=1))


def test_float16_keys_partial_tile_with_explicit_inf():
    @cuda.jit
    def k(d_keys, valid, o_keys):
        tid = cuda.threadIdx.x
        keys = coop.local.array(4, d_keys.dtype)
        for i in range(4):
            keys[i] = d_keys[tid * 4 + i]
        coop.block.merge_sort_keys(keys, valid_items=valid, oob_default=np.float16(math.inf))
        for i in range(4):
            o_keys[tid * 4 + i] = keys[i]

    threads = 32 if SIMULATOR else 256
    n, valid = threads * 4, (90 if SIMULATOR else 700)
    hk = sample_keys(np.float16, n)
    ok = cuda.device_array(n, np.float16)
    k[1, threads](cuda.to_device(hk), valid, ok)
    np.testing.assert_array_equal(ok.copy_to_host()[:valid], np.sort(hk[:valid], kind="stable"))
