"""GPU tier for cub_bindings: results of every primitive family against NumPy references."""

import numba
import numpy as np
import pytest
from numba import cuda

from backend import SIMULATOR

import cub_bindings as cb
from cub_bindings import functional as F

pytestmark = pytest.mark.gpu

if SIMULATOR:
    pytest.skip("raw cub_bindings calls are C++ shims: the CUDA simulator runs coop's primitives, not them",
                allow_module_level=True)
T, IPT = 128, 4
rng = np.random.default_rng(42)


@cuda.jit(device=True)
def max_op(a, b):
    return a if a > b else b


@cuda.jit(device=True)
def diff_op(a, b):
    return a - b


@cuda.jit(device=True)
def running_total(state, block_aggregate):
    old = state[0]
    state[0] += block_aggregate
    return old


def tiles(x, n=T * IPT):
    return x.reshape(-1, n)


def test_load_scan_store_pipeline():
    @cuda.jit
    def k(d_in, d_out):
        off = cuda.blockIdx.x * T * IPT
        items = cb.local_array(IPT, numba.int32)
        cb.BlockLoad(np.int32, T, IPT, cb.BLOCK_LOAD_WARP_TRANSPOSE).Load(d_in[off:], items)
        cb.BlockScan(np.int32, T, cb.BLOCK_SCAN_WARP_SCANS).ExclusiveSum(items, items)
        cb.BlockStore(np.int32, T, IPT, cb.BLOCK_STORE_WARP_TRANSPOSE).Store(d_out[off:], items)

    h = rng.integers(-100, 100, 64 * T * IPT, dtype=np.int32)
    out = cuda.device_array_like(h)
    k[64, T](cuda.to_device(h), out)
    t = tiles(h)
    np.testing.assert_array_equal(tiles(out.copy_to_host()), np.cumsum(t, 1) - t)


def test_load_scan_store_from_advanced_arrays():
    """``cb.advance(d, off)`` (C++'s ``d + off``) in place of the slices, from an odd start."""
    start = 5

    @cuda.jit
    def k(d_in, d_out):
        off = start + cuda.blockIdx.x * T * IPT
        items = cb.local_array(IPT, numba.int32)
        cb.BlockLoad(np.int32, T, IPT, cb.BLOCK_LOAD_WARP_TRANSPOSE).Load(cb.advance(d_in, off), items)
        cb.BlockScan(np.int32, T, cb.BLOCK_SCAN_WARP_SCANS).ExclusiveSum(items, items)
        cb.BlockStore(np.int32, T, IPT, cb.BLOCK_STORE_WARP_TRANSPOSE).Store(cb.advance(d_out, off), items)

    h = rng.integers(-100, 100, start + 16 * T * IPT, dtype=np.int32)
    out = cuda.to_device(np.zeros_like(h))
    k[16, T](cuda.to_device(h), out)
    got = out.copy_to_host()
    t = tiles(h[start:])
    assert not got[:start].any()
    np.testing.assert_array_equal(tiles(got[start:]), np.cumsum(t, 1) - t)


def test_scan_scalar_device_op_aggregate_and_initial_value():
    @cuda.jit
    def k(d_in, d_max, d_agg, d_ex):
        i = cuda.blockIdx.x * T + cuda.threadIdx.x
        out = cb.local_array(1, numba.float64)
        agg = cb.local_array(1, numba.float64)
        ts = cb.BlockScan.TempStorage(np.float64, T)
        scan = cb.BlockScan(np.float64, T, temp_storage=ts)
        scan.InclusiveScan(d_in[i], out, max_op, agg)
        d_max[i] = out[0]
        d_agg[i] = agg[0]
        cuda.syncthreads()
        scan.ExclusiveScan(d_in[i], out, 10.0, F.plus)
        d_ex[i] = out[0]

    h = rng.standard_normal(8 * T)
    outs = [cuda.device_array_like(h) for _ in range(3)]
    k[8, T](cuda.to_device(h), *outs)
    t = tiles(h, T)
    np.testing.assert_array_equal(tiles(outs[0].copy_to_host(), T), np.maximum.accumulate(t, 1))
    np.testing.assert_array_equal(tiles(outs[1].copy_to_host(), T), np.repeat(t.max(1, keepdims=True), T, 1))
    np.testing.assert_allclose(tiles(outs[2].copy_to_host(), T), 10.0 + np.cumsum(t, 1) - t)


def test_scan_stateful_prefix_callback_over_tiles():
    @cuda.jit
    def k(d_in, d_out, n_tiles):
        state = cb.local_array(1, numba.int64)
        state[0] = 0
        scan = cb.BlockScan(np.int64, T)
        for tile in range(n_tiles):
            items = cb.local_array(IPT, numba.int64)
            base = tile * T * IPT + cuda.threadIdx.x * IPT
            for j in range(IPT):
                items[j] = d_in[base + j]
            scan.InclusiveSum(items, items, cb.StatefulOp(running_total, state))
            for j in range(IPT):
                d_out[base + j] = items[j]
            cuda.syncthreads()

    h = rng.integers(0, 50, 16 * T * IPT).astype(np.int64)
    out = cuda.device_array_like(h)
    k[1, T](cuda.to_device(h), out, 16)
    np.testing.assert_array_equal(out.copy_to_host(), np.cumsum(h))


def test_reduce_sum_partial_and_array_max():
    @cuda.jit
    def k(d_in, d_sum, d_max, num_valid):
        i = cuda.blockIdx.x * T + cuda.threadIdx.x
        red = cb.BlockReduce(np.int32, T)
        s = red.Sum(d_in[i], num_valid)
        cuda.syncthreads()
        items = cb.local_array(2, numba.int32)
        items[0] = d_in[i]
        items[1] = -d_in[i]
        m = red.Reduce(items, F.maximum)
        if cuda.threadIdx.x == 0:
            d_sum[cuda.blockIdx.x] = s
            d_max[cuda.blockIdx.x] = m

    h = rng.integers(-1000, 1000, 4 * T, dtype=np.int32)
    s, m = cuda.device_array(4, np.int32), cuda.device_array(4, np.int32)
    k[4, T](cuda.to_device(h), s, m, 100)
    t = tiles(h, T)
    np.testing.assert_array_equal(s.copy_to_host(), t[:, :100].sum(1))
    np.testing.assert_array_equal(m.copy_to_host(), np.abs(t).max(1))


def test_exchange_blocked_to_striped():
    @cuda.jit
    def k(d_in, d_out):
        items = cb.local_array(IPT, numba.int16)
        for j in range(IPT):
            items[j] = d_in[cuda.threadIdx.x * IPT + j]
        cb.BlockExchange(np.int16, T, IPT).BlockedToStriped(items)
        for j in range(IPT):
            d_out[j * T + cuda.threadIdx.x] = items[j]

    h = np.arange(T * IPT, dtype=np.int16)
    out = cuda.device_array_like(h)
    k[1, T](cuda.to_device(h), out)
    np.testing.assert_array_equal(out.copy_to_host(), h)


@pytest.mark.parametrize("descending", [False, True])
def test_radix_sort_pairs(descending):
    @cuda.jit
    def k(keys_in, vals_in, keys_out, vals_out):
        keys = cb.local_array(IPT, numba.uint32)
        vals = cb.local_array(IPT, numba.int32)
        for j in range(IPT):
            keys[j] = keys_in[cuda.threadIdx.x * IPT + j]
            vals[j] = vals_in[cuda.threadIdx.x * IPT + j]
        sorter = cb.BlockRadixSort(np.uint32, T, IPT, ValueT=np.int32)
        if descending:
            sorter.SortDescending(keys, vals)
        else:
            sorter.Sort(keys, vals)
        for j in range(IPT):
            keys_out[cuda.threadIdx.x * IPT + j] = keys[j]
            vals_out[cuda.threadIdx.x * IPT + j] = vals[j]

    keys = rng.permutation(T * IPT * 7)[: T * IPT].astype(np.uint32)
    vals = np.arange(T * IPT, dtype=np.int32)
    ko, vo = cuda.device_array_like(keys), cuda.device_array_like(vals)
    k[1, T](cuda.to_device(keys), cuda.to_device(vals), ko, vo)
    order = np.argsort(keys)[::-1] if descending else np.argsort(keys)
    np.testing.assert_array_equal(ko.copy_to_host(), keys[order])
    np.testing.assert_array_equal(vo.copy_to_host(), vals[order])


def test_merge_sort_keys_with_functor_and_warp_merge_sort_with_device_op():
    @cuda.jit(device=True)
    def greater(a, b):
        return a > b

    @cuda.jit
    def k(d_in, d_block, d_warp):
        keys = cb.local_array(IPT, numba.float32)
        for j in range(IPT):
            keys[j] = d_in[cuda.threadIdx.x * IPT + j]
        cb.BlockMergeSort(np.float32, T, IPT).Sort(keys, F.less)
        for j in range(IPT):
            d_block[cuda.threadIdx.x * IPT + j] = keys[j]
        for j in range(IPT):
            keys[j] = d_in[cuda.threadIdx.x * IPT + j]
        ts = cb.WarpMergeSort.TempStorage(np.float32, IPT, count=4)  # T // 32 warps
        cb.WarpMergeSort(np.float32, IPT, temp_storage=ts[cuda.threadIdx.x // 32]).Sort(keys, greater)
        for j in range(IPT):
            d_warp[cuda.threadIdx.x * IPT + j] = keys[j]

    h = rng.standard_normal(T * IPT).astype(np.float32)
    b, w = cuda.device_array_like(h), cuda.device_array_like(h)
    k[1, T](cuda.to_device(h), b, w)
    np.testing.assert_array_equal(b.copy_to_host(), np.sort(h))
    np.testing.assert_array_equal(w.copy_to_host().reshape(-1, 32 * IPT), -np.sort(-h.reshape(-1, 32 * IPT), 1))


def test_histogram():
    @cuda.jit
    def k(d_in, d_hist):
        hist = cb.shared_array(256, numba.uint32)
        items = cb.local_array(IPT, numba.uint8)
        for j in range(IPT):
            items[j] = d_in[cuda.threadIdx.x * IPT + j]
        cb.BlockHistogram(np.uint8, T, IPT, 256, cb.BLOCK_HISTO_ATOMIC).Histogram(items, hist)
        cuda.syncthreads()
        for b in range(cuda.threadIdx.x, 256, T):
            d_hist[b] = hist[b]

    h = rng.integers(0, 256, T * IPT).astype(np.uint8)
    out = cuda.device_array(256, np.uint32)
    k[1, T](cuda.to_device(h), out)
    np.testing.assert_array_equal(out.copy_to_host(), np.bincount(h, minlength=256))


def test_discontinuity_adjacent_difference_shuffle():
    @cuda.jit
    def k(d_in, d_flags, d_diff, d_shift):
        tid = cuda.threadIdx.x
        items = cb.local_array(IPT, numba.int32)
        flags = cb.local_array(IPT, numba.int32)
        out = cb.local_array(IPT, numba.int32)
        for j in range(IPT):
            items[j] = d_in[tid * IPT + j]
        cb.BlockDiscontinuity(np.int32, T).FlagHeads(flags, items, F.not_equal_to)
        cuda.syncthreads()
        cb.BlockAdjacentDifference(np.int32, T).SubtractLeft(items, out, diff_op)
        for j in range(IPT):
            d_flags[tid * IPT + j] = flags[j]
            d_diff[tid * IPT + j] = out[j]
        shifted = cb.local_array(1, numba.int32)
        cb.BlockShuffle(np.int32, T).Offset(items[0], shifted, 1)
        if tid < T - 1:
            d_shift[tid] = shifted[0]

    h = np.sort(rng.integers(0, 60, T * IPT)).astype(np.int32)
    flags, diff, shift = cuda.device_array_like(h), cuda.device_array_like(h), cuda.device_array(T, np.int32)
    k[1, T](cuda.to_device(h), flags, diff, shift)
    exp_flags = np.r_[1, (h[1:] != h[:-1])].astype(np.int32)
    np.testing.assert_array_equal(flags.copy_to_host(), exp_flags)
    np.testing.assert_array_equal(diff.copy_to_host(), np.r_[h[0], np.diff(h)])
    np.testing.assert_array_equal(shift.copy_to_host()[: T - 1], h[::IPT][1:])


def test_run_length_decode():
    RUNS, DEC = 2, 4

    @cuda.jit
    def k(d_vals, d_lens, d_out, d_total):
        tid = cuda.threadIdx.x
        vals = cb.local_array(RUNS, numba.int32)
        lens = cb.local_array(RUNS, numba.int32)
        for j in range(RUNS):
            vals[j] = d_vals[tid * RUNS + j]
            lens[j] = d_lens[tid * RUNS + j]
        total = cb.local_array(1, numba.uint32)
        rld = cb.BlockRunLengthDecode(np.int32, T, RUNS, DEC, run_values=vals, run_lengths=lens, total_decoded_size=total)
        decoded = cb.local_array(DEC, numba.int32)
        offset = 0
        while offset < total[0]:
            rld.RunLengthDecode(decoded, numba.uint32(offset))
            for j in range(DEC):
                idx = offset + tid * DEC + j
                if idx < total[0]:
                    d_out[idx] = decoded[j]
            offset += T * DEC
            cuda.syncthreads()
        if tid == 0:
            d_total[0] = total[0]

    vals = np.arange(T * RUNS, dtype=np.int32)
    lens = rng.integers(1, 5, T * RUNS).astype(np.int32)
    expected = np.repeat(vals, lens)
    out, total = cuda.device_array(expected.size + 1, np.int32), cuda.device_array(1, np.uint32)
    k[1, T](cuda.to_device(vals), cuda.to_device(lens), out, total)
    assert total.copy_to_host()[0] == expected.size
    np.testing.assert_array_equal(out.copy_to_host()[: expected.size], expected)


def test_radix_rank_with_digit_extractor():
    @cuda.jit
    def k(d_keys, d_ranks):
        tid = cuda.threadIdx.x
        keys = cb.local_array(IPT, numba.uint32)
        ranks = cb.local_array(IPT, numba.int32)
        for j in range(IPT):
            keys[j] = d_keys[tid * IPT + j]
        cb.BlockRadixRank(T, 4, False).RankKeys(keys, ranks, cb.BFEDigitExtractor(np.uint32, 0, 4))
        for j in range(IPT):
            d_ranks[tid * IPT + j] = ranks[j]

    keys = rng.integers(0, 1 << 20, T * IPT).astype(np.uint32)
    ranks = cuda.device_array(T * IPT, np.int32)
    k[1, T](cuda.to_device(keys), ranks)
    expected = np.empty(T * IPT, np.int32)
    expected[np.argsort(keys & 0xF, kind="stable")] = np.arange(T * IPT)
    np.testing.assert_array_equal(ranks.copy_to_host(), expected)


def test_warp_reduce_scan_load_store_exchange_batched():
    W = 4

    @cuda.jit
    def k(d_in, d_sum, d_scan, d_ex, d_striped, d_batched):
        tid = cuda.threadIdx.x
        warp, lane = tid // 32, tid % 32
        rts = cb.WarpReduce.TempStorage(np.int32, count=W)
        s = cb.WarpReduce(np.int32, temp_storage=rts[warp]).Sum(d_in[tid])
        if lane == 0:
            d_sum[warp] = s
        sts = cb.WarpScan.TempStorage(np.int32, count=W)
        out = cb.local_array(1, numba.int32)
        scan = cb.WarpScan(np.int32, temp_storage=sts[warp])
        scan.InclusiveSum(d_in[tid], out)
        d_scan[tid] = out[0]
        scan.ExclusiveScan(d_in[tid], out, 0, max_op)
        d_ex[tid] = out[0]
        items = cb.local_array(IPT, numba.int32)
        base = warp * 32 * IPT
        cb.WarpLoad(np.int32, IPT, cb.WARP_LOAD_DIRECT).Load(d_in[base:], items)
        xts = cb.WarpExchange.TempStorage(np.int32, IPT, count=W)
        cb.WarpExchange(np.int32, IPT, temp_storage=xts[warp]).BlockedToStriped(items, items)
        cb.WarpStore(np.int32, IPT, cb.WARP_STORE_DIRECT).Store(d_striped[base:], items)
        bts = cb.WarpReduceBatched.TempStorage(np.int32, IPT, count=W)
        sums = cb.local_array(1, numba.int32)
        for j in range(IPT):
            items[j] = d_in[tid] * (j + 1)
        cb.WarpReduceBatched(np.int32, IPT, temp_storage=bts[warp]).SumToStriped(items, sums)
        if lane < IPT:
            d_batched[warp * IPT + lane] = sums[0]

    h = rng.integers(0, 100, 32 * W * IPT, dtype=np.int32)
    outs = [cuda.device_array(W, np.int32), cuda.device_array(32 * W, np.int32), cuda.device_array(32 * W, np.int32),
            cuda.device_array(32 * W * IPT, np.int32), cuda.device_array(W * IPT, np.int32)]
    k[1, 32 * W](cuda.to_device(h), *outs)
    x = h[: 32 * W].reshape(W, 32)
    np.testing.assert_array_equal(outs[0].copy_to_host(), x.sum(1))
    np.testing.assert_array_equal(outs[1].copy_to_host().reshape(W, 32), np.cumsum(x, 1))
    ex = np.maximum.accumulate(np.c_[np.zeros((W, 1), np.int32), x[:, :-1]], 1)
    np.testing.assert_array_equal(outs[2].copy_to_host().reshape(W, 32), ex)
    # lane l loads items l*IPT.. (blocked); after BlockedToStriped it holds l, l+32, ...; a direct
    # store writes them back at l*IPT.., so each warp's tile comes out transposed
    expected = h.reshape(W, IPT, 32).transpose(0, 2, 1)
    np.testing.assert_array_equal(outs[3].copy_to_host().reshape(W, 32, IPT), expected)
    np.testing.assert_array_equal(outs[4].copy_to_host().reshape(W, IPT), x.sum(1)[:, None] * np.arange(1, IPT + 1))


_DECOMPOSED = [
    ([("a", np.float32)], ("a",)),
    ([("hi", np.int16), ("lo", np.float32)], ("hi", "lo")),
    ([("hi", np.int16), ("lo", np.float32)], ("lo", "hi")),
    ([("a", np.uint8), ("b", np.int64), ("c", np.float64)], ("a", "b", "c")),
    ([("w", np.int32), ("x", np.uint16), ("y", np.float32), ("z", np.int8)], ("z", "x", "w", "y")),
]


def _random_records(dt, n):
    out = np.zeros(n, dt)
    for name in dt.names:
        ft = dt.fields[name][0]
        # few distinct values per field, so ties reach the less significant fields and the payload
        vals = rng.integers(-3 if ft.kind in "if" else 0, 4, n)
        out[name] = vals.astype(ft) if ft.kind != "f" else vals.astype(ft) + ft.type(0.5)
    return out


@pytest.mark.parametrize("fields, order", _DECOMPOSED)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("pairs", [False, True])
def test_radix_sort_of_record_keys_through_a_decomposer(fields, order, descending, pairs):
    dt = np.dtype(fields, align=True)
    rec = numba.from_dtype(dt)
    dec = cb.Decomposer(*order)

    @cuda.jit
    def k(d_keys, d_vals):
        tid = cuda.threadIdx.x
        keys = cb.local_array(IPT, rec)
        vals = cb.local_array(IPT, numba.int32)
        for j in range(IPT):
            keys[j] = d_keys[tid * IPT + j]
            vals[j] = d_vals[tid * IPT + j]
        if pairs:
            if descending:
                cb.BlockRadixSort(rec, T, IPT, ValueT=numba.int32).SortDescending(keys, vals, dec)
            else:
                cb.BlockRadixSort(rec, T, IPT, ValueT=numba.int32).Sort(keys, vals, dec)
        elif descending:
            cb.BlockRadixSort(rec, T, IPT).SortDescending(keys, dec)
        else:
            cb.BlockRadixSort(rec, T, IPT).Sort(keys, dec)
        for j in range(IPT):
            d_keys[tid * IPT + j] = keys[j]
            d_vals[tid * IPT + j] = vals[j]

    keys = _random_records(dt, T * IPT)
    idx = np.arange(T * IPT, dtype=np.int32)
    d_keys, d_vals = cuda.to_device(keys), cuda.to_device(idx)
    k[1, T](d_keys, d_vals)
    sign = -1 if descending else 1
    # np.lexsort: the last key is the primary one; stable, as CUB's radix sort is in both directions
    perm = np.lexsort(tuple(sign * keys[f].astype(np.float64) for f in reversed(order)))
    got = d_keys.copy_to_host()
    for f in dt.names:
        np.testing.assert_array_equal(got[f], keys[f][perm], err_msg=f"field {f}")
    if pairs:
        np.testing.assert_array_equal(d_vals.copy_to_host(), perm.astype(np.int32))


def test_float16_radix_sort_and_scan():
    @cuda.jit
    def k(d_in, d_sorted, d_scan):
        tid = cuda.threadIdx.x
        keys = cb.local_array(IPT, np.float16)
        for j in range(IPT):
            keys[j] = d_in[tid * IPT + j]
        cb.BlockRadixSort(np.float16, T, IPT).Sort(keys)
        for j in range(IPT):
            d_sorted[tid * IPT + j] = keys[j]
        cb.BlockScan(np.float16, T).InclusiveSum(keys, keys)
        for j in range(IPT):
            d_scan[tid * IPT + j] = keys[j]

    x = rng.integers(-4, 4, T * IPT).astype(np.float16)  # every partial sum is an integer within +-2048: exact in half
    srt, scan = cuda.device_array(T * IPT, np.float16), cuda.device_array(T * IPT, np.float16)
    k[1, T](cuda.to_device(x), srt, scan)
    np.testing.assert_array_equal(srt.copy_to_host(), np.sort(x))
    np.testing.assert_array_equal(scan.copy_to_host(), np.cumsum(np.sort(x).astype(np.float64)).astype(np.float16))
