"""CPU tier for radix_rank's counts_callback (CUB's CountsCallback of BlockRadixRankMatch and
BlockRadixRankMatchEarlyCounts): device functions, plain functions and StatefulOps compile and
link to sm_90, reaching the callback overloads; two-phase objects fix the function."""

import numpy as np
from numba import cuda, types

import coop
from test_coop_cpu import build, shim_calls

I32 = types.int32[::1]


@cuda.jit(device=True)
def total_bins(bins):
    s = 0
    for j in range(len(bins)):
        s += bins[j]
    return s


def plain_callback(bins):
    t = 0
    for j in range(bins.shape[0]):
        t += bins[j]


def store_bins(state, bins):
    for j in range(len(bins)):
        state[j] = bins[j]


tp_match = coop.block.radix_rank(np.uint32, 128, 4, 0, 8, algorithm="match", counts_callback=plain_callback)
tp_early = coop.block.radix_rank(np.uint8, 128, 2, 0, 8, algorithm="match_early_counts_any",
                                 counts_callback=total_bins)


def k_callbacks(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    k8 = coop.local.array(2, np.uint8)
    ranks = coop.local.array(4, np.int32)
    r2 = coop.local.array(2, np.int32)
    prefix = coop.local.array(2, np.int32)
    for i in range(4):
        keys[i] = d_in[i]
    st = coop.local.array(2, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=8, algorithm="match", counts_callback=total_bins)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=8, exclusive_digit_prefix=prefix, algorithm="match",
                          counts_callback=coop.StatefulOp(store_bins, st))
    coop.block.radix_rank(k8, r2, begin_bit=0, end_bit=8, algorithm="match_early_counts_any",
                          counts_callback=plain_callback)
    coop.block.radix_rank(k8, r2, begin_bit=0, end_bit=8, exclusive_digit_prefix=prefix,
                          algorithm="match_early_counts_atomic_or", counts_callback=coop.StatefulOp(store_bins, st))
    coop.block.radix_rank(keys, ranks, 4, 0, 8, False, None, "match", "warp_scans", None, lambda b: b[0])
    tp_match(keys, ranks)
    tp_early(k8, r2, exclusive_digit_prefix=prefix)
    d_out[0] = ranks[0] + r2[0] + st[0] + prefix[0]


def test_counts_callbacks_compile_and_link():
    src = build(k_callbacks).shim_source
    calls = shim_calls(src, "RankKeys")
    # MATCH without prefix: keys, ranks, extractor (2 commas), callback; with a prefix (and early counts): 6
    assert [n for _, n, _ in calls].count(5) == 3 and [n for _, n, _ in calls].count(6) == 4, calls
    assert "operator()(::cuda::std::int32_t (&x0)[N0])" in src and "void* s;" in src
