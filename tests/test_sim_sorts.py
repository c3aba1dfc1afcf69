"""The simulator's sorts and ranks (run with NUMBA_ENABLE_CUDASIM=1; the CPU tier runs this file
that way through tests/test_simulator_tier.py): CUB's documented float key order spelled out,
the tie rules of the radix rankers, stability, partial merge-sort tiles, and the misuse only
the simulator reports. Expected values come from CUB's documentation, written out by hand."""

import numpy as np
import pytest
from numba import cuda

import coop
from backend import SIMULATOR
from error_marks import MARK, line_of

pytestmark = [pytest.mark.simulator, pytest.mark.skipif(not SIMULATOR, reason="needs NUMBA_ENABLE_CUDASIM=1")]


def _raises(kernel, config, *args):
    with pytest.raises(coop.CoopError) as info:
        kernel[config](*args)
    return str(info.value)


# --------------------------------------------------------------------------- radix sort


def _float_classes(dtype):
    """CUB's ascending radix order of float keys, one class per rank (both zeros in one):
    signed NaNs first (larger payload first), -inf .. +inf, then sign-less NaNs by payload."""
    dt = np.dtype(dtype)
    u, width = f"u{dt.itemsize}", dt.itemsize * 8
    quiet, sign = {16: 0x7E00, 32: 0x7FC00000, 64: 0x7FF8000000000000}[width], 1 << (width - 1)
    nan = lambda bits: np.array([bits], u).view(dt)[0]  # noqa: E731
    return [[nan(sign | quiet | 3)], [nan(sign | quiet)], [-np.inf], [-2.0], [-1.0], [-0.5], [-0.0, 0.0], [0.5],
            [1.0], [2.0], [np.inf], [nan(quiet)], [nan(quiet | 7)]]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_keys_sort_in_cubs_documented_order(dtype):
    classes = _float_classes(dtype)
    bits = lambda a: np.asarray(a, dtype).view(f"u{np.dtype(dtype).itemsize}")  # noqa: E731
    members = [(c, x) for c, xs in enumerate(classes) for x in xs]
    members += [(6, np.dtype(dtype).type(-0.0)), (3, -2.0)]  # 16 keys
    np.random.default_rng(5).shuffle(members)
    cls = np.array([c for c, _ in members])
    keys = np.array([x for _, x in members], dtype)
    vals = np.arange(keys.size, dtype=np.int32)
    out_k, out_v = np.zeros((2, keys.size), dtype), np.zeros((2, keys.size), np.int32)

    @cuda.jit
    def k(d_keys, d_vals, ok, ov):
        t = cuda.threadIdx.x
        kk = coop.local.array(2, d_keys.dtype)
        vv = coop.local.array(2, d_vals.dtype)
        for i in range(2):
            kk[i], vv[i] = d_keys[2 * t + i], d_vals[2 * t + i]
        coop.block.radix_sort_pairs(kk, vv)
        for i in range(2):
            ok[0, 2 * t + i], ov[0, 2 * t + i] = kk[i], vv[i]
            kk[i], vv[i] = d_keys[2 * t + i], d_vals[2 * t + i]
        coop.block.radix_sort_pairs_descending(kk, vv)
        for i in range(2):
            ok[1, 2 * t + i], ov[1, 2 * t + i] = kk[i], vv[i]

    k[1, 8](keys, vals, out_k, out_v)
    for m, order in enumerate((np.argsort(cls, kind="stable"), np.argsort(-cls, kind="stable"))):
        np.testing.assert_array_equal(out_v[m], vals[order])  # ties (the zeros, the -2s) keep their input order
        np.testing.assert_array_equal(bits(out_k[m]), bits(keys[order]))  # -0.0 stays -0.0, NaN payloads kept


def test_bool_keys_and_record_keys_with_float_fields():
    rec = np.dtype([("f", np.float32), ("i", np.int8)], align=True)
    dec = coop.Decomposer("f", "i")
    T, IPT = 16, 2

    @cuda.jit
    def k(d_rec, d_bool, d_vals, o_vals):
        t = cuda.threadIdx.x
        r = coop.local.array(IPT, d_rec.dtype)
        b = coop.local.array(IPT, d_bool.dtype)
        v = coop.local.array(IPT, d_vals.dtype)
        w = coop.local.array(IPT, d_vals.dtype)
        for i in range(IPT):
            r[i], b[i], v[i], w[i] = d_rec[t * IPT + i], d_bool[t * IPT + i], d_vals[t * IPT + i], d_vals[t * IPT + i]
        coop.block.radix_sort_pairs(r, v, decomposer=dec)
        coop.block.radix_sort_pairs_descending(b, w)
        for i in range(IPT):
            d_rec[t * IPT + i], d_bool[t * IPT + i] = r[i], b[i]
            o_vals[0, t * IPT + i], o_vals[1, t * IPT + i] = v[i], w[i]

    rng = np.random.default_rng(8)
    n = T * IPT
    recs = np.zeros(n, rec)
    recs["f"] = rng.choice(np.array([-0.0, 0.0, 1.5, -1.5], np.float32), n)
    recs["i"] = rng.integers(-2, 3, n)
    flags = rng.integers(0, 2, n).astype(np.bool_)
    vals, out = np.arange(n, dtype=np.int32), np.zeros((2, n), np.int32)
    h_rec = recs.copy()
    k[1, T](h_rec, flags.copy(), vals, out)
    # f most significant (-0.0 ties +0.0), then i; stable
    order = np.lexsort((recs["i"], recs["f"] + np.float32(0.0)))
    np.testing.assert_array_equal(out[0], order)
    np.testing.assert_array_equal(h_rec["i"], recs["i"][order])
    np.testing.assert_array_equal(np.signbit(h_rec["f"]), np.signbit(recs["f"][order]))  # the keys' own zeros
    np.testing.assert_array_equal(out[1], np.argsort(~flags, kind="stable"))  # True first, ties in input order


# --------------------------------------------------------------------------- radix rank


def test_radix_rank_cub_doc_example():
    """block_radix_rank.cuh: keys { [16,10], [9,11] }, 5 bits -> ranks { [3,1], [0,2] }."""
    out = np.zeros((2, 2), np.int32)
    prefix = np.zeros((2, 16), np.int32)

    @cuda.jit
    def k(d, o, p):
        t = cuda.threadIdx.x
        keys = coop.local.array(2, np.uint32)
        ranks = coop.local.array(2, np.int32)
        pre = coop.local.array(16, np.int32)
        keys[0], keys[1] = d[t, 0], d[t, 1]
        coop.block.radix_rank(keys, ranks, 2, 0, 5, exclusive_digit_prefix=pre,
                              algorithm=coop.RadixRankAlgorithm.BASIC)
        o[t, 0], o[t, 1] = ranks[0], ranks[1]
        for j in range(16):
            p[t, j] = pre[j]

    k[1, 2](np.array([[16, 10], [9, 11]], np.uint32), out, prefix)
    np.testing.assert_array_equal(out, [[3, 1], [0, 2]])
    # thread t entry j: the keys with a digit below t * 16 + j (digits 9, 10, 11, 16)
    want = [sum(d < b for d in (9, 10, 11, 16)) for b in range(32)]
    np.testing.assert_array_equal(prefix.reshape(-1), want)


@pytest.mark.parametrize("algorithm", ["BASIC", "MATCH", "MATCH_EARLY_COUNTS_ANY"])
def test_radix_rank_ties(algorithm):
    """Equal digits: blocked order for BlockRadixRank; warp, then item, then lane for the
    match rankers (each warp ranks its keys one item at a time). 64 threads x 2 items."""
    alg = getattr(coop.RadixRankAlgorithm, algorithm)
    out = np.zeros((64, 2), np.int32)

    @cuda.jit
    def k(d, o):
        t = cuda.threadIdx.x
        keys = coop.local.array(2, np.uint16)
        ranks = coop.local.array(2, np.int32)
        keys[0], keys[1] = d[t, 0], d[t, 1]
        coop.block.radix_rank(keys, ranks, begin_bit=8, end_bit=10, algorithm=alg)  # digit 0 for keys < 256
        o[t, 0], o[t, 1] = ranks[0], ranks[1]

    keys = np.random.default_rng(2).integers(0, 256, (64, 2)).astype(np.uint16)
    keys[5, 1] = 0x300  # the one key with digit 3: ranked last
    k[1, 64](keys, out)
    t, i = np.meshgrid(np.arange(64), np.arange(2), indexing="ij")
    want = t * 2 + i if algorithm == "BASIC" else (t // 32) * 64 + i * 32 + t % 32
    want = np.where(want > want[5, 1], want - 1, want)
    want[5, 1] = 127
    np.testing.assert_array_equal(out, want)


def test_radix_rank_reads_items_per_thread_of_longer_arrays():
    out = np.zeros((32, 6), np.int32)

    @cuda.jit
    def k(d, o):
        t = cuda.threadIdx.x
        keys = cuda.local.array(6, np.uint8)
        ranks = cuda.local.array(6, np.int32)
        for i in range(6):
            keys[i], ranks[i] = d[t, i], -1
        coop.block.radix_rank(keys, ranks, 4, 0, 8, descending=True)  # items 4 and 5 are not keys
        for i in range(6):
            o[t, i] = ranks[i]

    keys = np.random.default_rng(4).integers(0, 256, (32, 6)).astype(np.uint8)
    k[1, 32](keys, out)
    tile = keys[:, :4].reshape(-1)
    want = np.empty(tile.size, np.int64)
    want[np.argsort(255 - tile.astype(np.int64), kind="stable")] = np.arange(tile.size)
    np.testing.assert_array_equal(out[:, :4].reshape(-1), want)
    np.testing.assert_array_equal(out[:, 4:], -1)


# --------------------------------------------------------------------------- merge sort


def test_merge_sort_partial_tile_and_unstable_sort():
    """Sort (not promised stable by CUB) is stable here; past valid_items the keys are
    oob_default (CUB's documentation) and the values keep theirs (undefined in CUB)."""
    T, IPT, valid = 16, 3, 37
    keys = np.random.default_rng(6).integers(0, 4, T * IPT).astype(np.int32)
    vals = np.arange(T * IPT, dtype=np.int32)
    ok, ov = np.zeros((2, T * IPT), np.int32), np.zeros((2, T * IPT), np.int32)

    @cuda.jit
    def k(d_keys, d_vals, n, ok, ov):
        t = cuda.threadIdx.x
        kk = coop.local.array(IPT, np.int32)
        vv = coop.local.array(IPT, np.int32)
        for i in range(IPT):
            kk[i], vv[i] = d_keys[t * IPT + i], -7
        coop.block.merge_sort_pairs(kk, vv, compare_op="<", valid_items=n, oob_default=99)
        for i in range(IPT):
            ok[0, t * IPT + i], ov[0, t * IPT + i] = kk[i], vv[i]
            kk[i], vv[i] = d_keys[t * IPT + i], d_vals[t * IPT + i]
        coop.warp.merge_sort_pairs(kk, vv, compare_op=">", threads_in_warp=8)
        for i in range(IPT):
            ok[1, t * IPT + i], ov[1, t * IPT + i] = kk[i], vv[i]

    k[1, T](keys, vals, valid, ok, ov)
    order = np.argsort(keys[:valid], kind="stable")
    np.testing.assert_array_equal(ok[0, :valid], keys[:valid][order])
    np.testing.assert_array_equal(ok[0, valid:], 99)
    np.testing.assert_array_equal(ov[0], -7)
    for w in range(2):
        s = slice(w * 24, (w + 1) * 24)
        order = np.argsort(-keys[s], kind="stable")  # descending, equal keys in input order
        np.testing.assert_array_equal(ok[1, s], keys[s][order])
        np.testing.assert_array_equal(ov[1, s], vals[s][order])


# --------------------------------------------------------------------------- what only the simulator reports


def test_radix_sort_runtime_bits_out_of_range_is_an_error():
    @cuda.jit
    def k(d, bits):
        keys = coop.local.array(2, np.int32)
        coop.block.radix_sort_keys(keys, begin_bit=bits[0], end_bit=bits[1])  # <- error

    for bits, arg in (((5, 5), "end_bit"), ((0, 33), "end_bit"), ((32, 40), "begin_bit")):
        msg = _raises(k, (1, 32), np.zeros(64, np.int32), np.array(bits, np.int32))
        assert f"coop.block.radix_sort_keys: argument `{arg}`: " in msg, msg
        assert f"begin_bit={bits[0]}, end_bit={bits[1]}" in msg and "0 <= begin_bit < end_bit <= 32" in msg
        assert f"line {line_of(k.py_func, MARK)}" in msg


def test_merge_sort_valid_key_after_oob_default_is_an_error():
    @cuda.jit
    def k(d):
        keys = coop.local.array(2, np.int32)
        keys[0], keys[1] = d[2 * cuda.threadIdx.x], d[2 * cuda.threadIdx.x + 1]
        coop.block.merge_sort_keys(keys, valid_items=50, oob_default=1000)  # <- error

    data = np.arange(64, dtype=np.int32)
    data[17] = 5000
    msg = _raises(k, (1, 32), data)
    assert "coop.block.merge_sort_keys: argument `oob_default`: the valid key 5000 (tile item 17)" in msg, msg
    assert f"line {line_of(k.py_func, MARK)}" in msg


@cuda.jit(device=True)
def less_equal(a, b):
    return a <= b


def test_merge_sort_non_strict_order_and_negative_valid_items_are_errors():
    @cuda.jit
    def k(d):
        keys = coop.local.array(2, np.int32)
        coop.warp.merge_sort_keys(keys, compare_op=less_equal, stable=True)  # <- error

    msg = _raises(k, (1, 32), np.zeros(4, np.int32))
    assert "coop.warp.merge_sort_keys: argument `compare_op`: compare_op(0, 0) returned True" in msg, msg
    assert f"line {line_of(k.py_func, MARK)}" in msg

    @cuda.jit
    def k2(d):
        keys = coop.local.array(2, np.int32)
        coop.block.merge_sort_keys(keys, valid_items=d[0])  # <- error

    msg = _raises(k2, (1, 32), np.array([-3], np.int32))
    assert "coop.block.merge_sort_keys: argument `valid_items`: -3 is negative" in msg, msg
    assert f"line {line_of(k2.py_func, MARK)}" in msg
