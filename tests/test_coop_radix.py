"""CPU tier for coop.block.radix_sort_* and coop.block.radix_rank: every overload family
compiles and links to sm_90 (few kernels, many calls each), the calls reach the CUB methods
and specializations they should, two-phase objects report their TempStorage, and every misuse
is one CoopError naming the argument, at the user's line."""

import numpy as np
import pytest
from numba import cuda, types

import coop
import cub_bindings as cb
from error_marks import MARK, compile_error
from test_coop_cpu import build, classes, shim_calls

I32 = types.int32[::1]
U32 = types.uint32[::1]


def shims(src, method):
    return [a for m, _, a in shim_calls(src, method)]


# =========================================================================== radix sort: every family compiles


def k_sort_families(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    vals = coop.local.array(4, np.float64)
    coop.block.radix_sort_keys(keys)
    coop.block.radix_sort_keys(keys, 4, 3, 9)  # items_per_thread, begin_bit, end_bit positionally
    coop.block.radix_sort_keys(keys, end_bit=9)  # begin_bit defaults to 0
    coop.block.radix_sort_keys(keys, begin_bit=d_in[0])  # runtime bit, CUB's end_bit default
    coop.block.radix_sort_keys(keys, begin_bit=d_in[0], end_bit=d_in[1])
    coop.block.radix_sort_keys(keys, blocked_to_striped=True)
    coop.block.radix_sort_keys_descending(keys)
    coop.block.radix_sort_keys_descending(keys, begin_bit=8, blocked_to_striped=True)
    coop.block.radix_sort_keys(keys, values=vals)  # the earlier API's pairs spelling
    coop.block.radix_sort_keys_descending(keys, values=vals, blocked_to_striped=True)
    coop.block.radix_sort_pairs(keys, vals)
    coop.block.radix_sort_pairs(keys, vals, 4, 0, 16, None, True)  # (..., decomposer, blocked_to_striped)
    coop.block.radix_sort_pairs_descending(keys, vals, end_bit=31)
    coop.block.radix_sort_pairs_descending(keys, vals, blocked_to_striped=True, dim=128)


def test_sort_families_reach_cubs_methods():
    src = build(k_sort_families).shim_source
    assert classes(src) == {
        "::cub::BlockRadixSort<::cuda::std::int32_t, 128, 4, ::cub::NullType, 4, true, "
        "::cub::BlockScanAlgorithm::BLOCK_SCAN_WARP_SCANS, ::cudaSharedMemConfig::cudaSharedMemBankSizeFourByte, 1, 1>",
        "::cub::BlockRadixSort<::cuda::std::int32_t, 128, 4, double, 4, true, "
        "::cub::BlockScanAlgorithm::BLOCK_SCAN_WARP_SCANS, ::cudaSharedMemConfig::cudaSharedMemBankSizeFourByte, 1, 1>"}
    # Sort: keys; keys + begin_bit; keys + values (values=, and radix_sort_pairs: one shim); keys + both bits
    # (constants, runtime values and end_bit alone with begin_bit 0: one shim)
    assert shim_calls(src, "Sort") == [("Sort", 1, "array"), ("Sort", 2, "array"), ("Sort", 2, "array"),
                                       ("Sort", 3, "array")]
    assert shim_calls(src, "SortBlockedToStriped") == [("SortBlockedToStriped", 1, "array"),
                                                       ("SortBlockedToStriped", 4, "array")]
    assert shim_calls(src, "SortDescending") == [("SortDescending", 1, "array"), ("SortDescending", 4, "array")]
    # keys + begin_bit (keys only), keys + values (pairs)
    assert shim_calls(src, "SortDescendingBlockedToStriped") == [("SortDescendingBlockedToStriped", 2, "array"),
                                                                 ("SortDescendingBlockedToStriped", 2, "array")]


def k_sort_key_dtypes(d_in, d_out):
    coop.block.radix_sort_keys(coop.local.array(2, np.int8))
    coop.block.radix_sort_keys(coop.local.array(2, np.int16))
    coop.block.radix_sort_keys(coop.local.array(2, np.int32))
    coop.block.radix_sort_keys(coop.local.array(2, np.int64))
    coop.block.radix_sort_keys(coop.local.array(2, np.uint8))
    coop.block.radix_sort_keys(coop.local.array(2, np.uint16))
    coop.block.radix_sort_keys(coop.local.array(2, np.uint32))
    coop.block.radix_sort_keys(coop.local.array(2, np.uint64))
    coop.block.radix_sort_keys(coop.local.array(2, np.float16))
    coop.block.radix_sort_keys(coop.local.array(2, np.float32))
    coop.block.radix_sort_keys(coop.local.array(2, np.float64))
    coop.block.radix_sort_keys(coop.local.array(2, np.bool_))
    k16 = coop.local.array(2, np.float16)
    v16 = coop.local.array(2, np.float16)
    vb = coop.local.array(2, np.bool_)
    coop.block.radix_sort_pairs_descending(k16, v16, end_bit=16)
    kb = coop.local.array(2, np.bool_)
    coop.block.radix_sort_pairs(kb, vb, 2, 0, 8)


def test_every_key_dtype_and_cubs_knobs():
    src = build(k_sort_key_dtypes, block=(8, 2, 2)).shim_source  # 14 sorters' storage in 48 KB
    cls = classes(src)
    for cxx in ("::cuda::std::int8_t", "::cuda::std::int64_t", "::cuda::std::uint16_t", "__half", "float", "double",
                "bool"):
        assert any(c.startswith(f"::cub::BlockRadixSort<{cxx}, 8, 2, ::cub::NullType,") and c.endswith(", 2, 2>")
                   for c in cls), cxx
    assert any(c.startswith("::cub::BlockRadixSort<__half, 8, 2, __half,") for c in cls)
    assert any(c.startswith("::cub::BlockRadixSort<bool, 8, 2, bool,") for c in cls)
    assert len(cls) == 14


def k_sort_knobs(d_in, d_out):
    keys = coop.local.array(3, np.uint64)
    vals = coop.local.array(3, np.int8)
    coop.block.radix_sort_keys(keys, radix_bits=6, memoize_outer_scan=False, inner_scan_algorithm="raking",
                               smem_config=coop.SharedMemConfig.EightByte)
    coop.block.radix_sort_pairs(keys, vals, radix_bits=1, inner_scan_algorithm=coop.BlockScanAlgorithm.RAKING_MEMOIZE,
                                smem_config=cb.cudaSharedMemBankSizeDefault)


def test_knobs_reach_the_template():
    cls = classes(build(k_sort_knobs, block=64).shim_source)
    assert cls == {
        "::cub::BlockRadixSort<::cuda::std::uint64_t, 64, 3, ::cub::NullType, 6, false, "
        "::cub::BlockScanAlgorithm::BLOCK_SCAN_RAKING, ::cudaSharedMemConfig::cudaSharedMemBankSizeEightByte, 1, 1>",
        "::cub::BlockRadixSort<::cuda::std::uint64_t, 64, 3, ::cuda::std::int8_t, 1, true, "
        "::cub::BlockScanAlgorithm::BLOCK_SCAN_RAKING_MEMOIZE, ::cudaSharedMemConfig::cudaSharedMemBankSizeDefault, 1, 1>"}


# =========================================================================== radix rank: every algorithm compiles


def k_rank_algorithms(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    k8 = coop.local.array(4, np.uint8)
    ranks = coop.local.array(4, np.int32)
    prefix = coop.local.array(1, np.int32)
    prefix2 = coop.local.array(2, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4)
    coop.block.radix_rank(keys, ranks, 4, 3, 7, True, prefix)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4, algorithm="basic", smem_config="eight_byte")
    coop.block.radix_rank(keys, ranks, begin_bit=2, end_bit=7, exclusive_digit_prefix=prefix,
                          algorithm=coop.RadixRankAlgorithm.MATCH, inner_scan_algorithm="raking")
    coop.block.radix_rank(k8, ranks, begin_bit=0, end_bit=8, exclusive_digit_prefix=prefix2,
                          algorithm="match_early_counts_any", descending=False)
    coop.block.radix_rank(keys=k8, ranks=ranks, begin_bit=1, end_bit=2,
                          algorithm=cb.RADIX_RANK_MATCH_EARLY_COUNTS_ATOMIC_OR)


def test_rank_algorithms_reach_their_classes():
    src = build(k_rank_algorithms).shim_source
    assert classes(src) == {
        "::cub::BlockRadixRank<128, 4, false, true, ::cub::BlockScanAlgorithm::BLOCK_SCAN_WARP_SCANS, "
        "::cudaSharedMemConfig::cudaSharedMemBankSizeFourByte, 1, 1>",
        "::cub::BlockRadixRank<128, 4, true, true, ::cub::BlockScanAlgorithm::BLOCK_SCAN_WARP_SCANS, "
        "::cudaSharedMemConfig::cudaSharedMemBankSizeFourByte, 1, 1>",
        "::cub::BlockRadixRank<128, 4, false, false, ::cub::BlockScanAlgorithm::BLOCK_SCAN_WARP_SCANS, "
        "::cudaSharedMemConfig::cudaSharedMemBankSizeEightByte, 1, 1>",
        "::cub::BlockRadixRankMatch<128, 5, false, ::cub::BlockScanAlgorithm::BLOCK_SCAN_RAKING, 1, 1>",
        "::cub::BlockRadixRankMatchEarlyCounts<128, 8, false, ::cub::BlockScanAlgorithm::BLOCK_SCAN_WARP_SCANS, "
        "::cub::WarpMatchAlgorithm::WARP_MATCH_ANY>",
        "::cub::BlockRadixRankMatchEarlyCounts<128, 1, false, ::cub::BlockScanAlgorithm::BLOCK_SCAN_WARP_SCANS, "
        "::cub::WarpMatchAlgorithm::WARP_MATCH_ATOMIC_OR>"}
    assert len(shim_calls(src, "RankKeys")) == 6
    # the digit extractor: BFEDigitExtractor<KeyT>(begin_bit, end_bit - begin_bit)
    assert "::cub::BFEDigitExtractor<::cuda::std::uint32_t>(__v_digit_extractor.a0, __v_digit_extractor.a1)" in src
    assert "::cub::BFEDigitExtractor<::cuda::std::uint8_t>(" in src


def k_rank_2d(d_in, d_out):
    keys = coop.local.array(3, np.uint16)
    ranks = coop.local.array(3, np.int32)
    prefix = coop.local.array(4, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=8, end_bit=14, exclusive_digit_prefix=prefix, algorithm="match")
    coop.block.radix_rank(keys, ranks, begin_bit=8, end_bit=14, exclusive_digit_prefix=prefix)


def test_rank_multi_dimensional_block_and_digit_prefix_length():
    # 2**6 digits over 16 threads: 4 prefix entries per thread (CUB's BINS_TRACKED_PER_THREAD)
    cls = classes(build(k_rank_2d, block=(8, 2)).shim_source)
    assert "::cub::BlockRadixRankMatch<8, 6, false, ::cub::BlockScanAlgorithm::BLOCK_SCAN_WARP_SCANS, 2, 1>" in cls
    assert any(c.startswith("::cub::BlockRadixRank<8, 6, false, true,") and c.endswith(", 2, 1>") for c in cls)


# =========================================================================== two-phase


def test_two_phase_objects_report_temp_storage():
    ks = coop.block.radix_sort_keys(np.int32, 128, 4)
    kv = coop.block.radix_sort_keys(np.int32, 128, 4, np.float64)  # value_dtype: pairs
    ps = coop.block.radix_sort_pairs(np.float32, np.int64, (32, 4), 2, 0, 16, None, True, 5, False, "raking",
                                 "eight_byte")
    pd = coop.block.radix_sort_pairs_descending(np.uint8, np.int8, 64, items_per_thread=3, begin_bit=1, end_bit=7)
    rk = coop.block.radix_rank(np.uint32, 256, 4, 0, 6, True)
    rm = coop.block.radix_rank(np.uint16, 128, 2, 3, 8, algorithm="match")
    re_ = coop.block.radix_rank(np.uint64, 96, 1, 60, 64, False, coop.RadixRankAlgorithm.MATCH_EARLY_COUNTS_ATOMIC_OR)
    for tp in (ks, kv, ps, pd, rk, rm, re_):
        assert tp.temp_storage_bytes > 0 and tp.temp_storage_alignment > 0, tp
    assert "::cub::NullType" in ks.cxx and ", double, 4, true," in kv.cxx
    assert ps.cxx == ("::cub::BlockRadixSort<float, 32, 2, ::cuda::std::int64_t, 5, false, "
                      "::cub::BlockScanAlgorithm::BLOCK_SCAN_RAKING, "
                      "::cudaSharedMemConfig::cudaSharedMemBankSizeEightByte, 4, 1>")
    assert rk.cxx.startswith("::cub::BlockRadixRank<256, 6, true, true,")
    assert rm.cxx.startswith("::cub::BlockRadixRankMatch<128, 5, false,")
    assert re_.cxx.endswith("<96, 4, false, ::cub::BlockScanAlgorithm::BLOCK_SCAN_WARP_SCANS, "
                            "::cub::WarpMatchAlgorithm::WARP_MATCH_ATOMIC_OR>")
    # a larger tile needs more TempStorage
    assert coop.block.radix_sort_keys(np.int64, 128, 8).temp_storage_bytes > ks.temp_storage_bytes


tp_keys = coop.block.radix_sort_keys(np.int32, 128, 4, begin_bit=4, end_bit=12)
tp_kv = coop.block.radix_sort_keys_descending(np.int32, 128, 4, np.int16, blocked_to_striped=True)
tp_pairs = coop.block.radix_sort_pairs(np.int32, np.float32, 128, 4)
tp_rank = coop.block.radix_rank(np.uint32, 128, 4, 2, 6, algorithm="match")


def k_two_phase(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    v16 = coop.local.array(4, np.int16)
    vf = coop.local.array(4, np.float32)
    uk = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    prefix = coop.local.array(1, np.int32)
    temp = coop.TempStorage(8192, 16)
    tp_keys(keys)
    tp_kv(keys, values=v16, temp_storage=temp)
    tp_pairs(keys, vf)
    tp_rank(uk, ranks, exclusive_digit_prefix=prefix, temp_storage=temp)


def test_two_phase_objects_in_kernels():
    src = build(k_two_phase).shim_source
    assert shim_calls(src, "Sort") == [("Sort", 2, "array"), ("Sort", 3, "array")]  # pairs; keys with host bits
    assert shim_calls(src, "SortDescendingBlockedToStriped") == [("SortDescendingBlockedToStriped", 2, "array")]
    assert shim_calls(src, "RankKeys") == [("RankKeys", 5, "array")]  # keys, ranks, extractor(2 args), prefix
    assert {tp_keys.cxx, tp_kv.cxx, tp_pairs.cxx, tp_rank.cxx} <= classes(src)


def test_enums_and_docs():
    assert str(coop.SharedMemConfig.FourByte) == "::cudaSharedMemBankSizeFourByte"
    assert [m.name for m in coop.RadixRankAlgorithm] == ["BASIC", "MEMOIZE", "MATCH", "MATCH_EARLY_COUNTS_ANY",
                                                        "MATCH_EARLY_COUNTS_ATOMIC_OR"]
    for fn in (coop.block.radix_sort_keys, coop.block.radix_sort_pairs_descending, coop.block.radix_rank):
        assert fn.prim.name in fn.__doc__ and "begin_bit" in fn.__doc__


# =========================================================================== misuse: one CoopError each


def e_lengths(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    vals = coop.local.array(3, np.int32)
    coop.block.radix_sort_pairs(keys, vals)  # <- error


def e_ipt_disagrees(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    coop.block.radix_sort_keys(keys, items_per_thread=2)  # <- error


def e_values_positional_on_keys(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    vals = coop.local.array(4, np.int32)
    coop.block.radix_sort_keys(keys, vals)  # <- error


def e_begin_out_of_range(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    coop.block.radix_sort_keys(keys, begin_bit=32)  # <- error


def e_end_out_of_range(d_in, d_out):
    keys = coop.local.array(4, np.int16)
    coop.block.radix_sort_keys_descending(keys, end_bit=17)  # <- error


def e_end_not_after_begin(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    vals = coop.local.array(4, np.int32)
    coop.block.radix_sort_pairs(keys, vals, begin_bit=9, end_bit=9)  # <- error


def e_end_zero(d_in, d_out):
    keys = coop.local.array(4, np.uint8)
    coop.block.radix_sort_keys(keys, end_bit=0)  # <- error


def e_negative_begin(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    coop.block.radix_sort_keys(keys, begin_bit=-1)  # <- error


def e_float_bit(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    coop.block.radix_sort_keys(keys, begin_bit=1.5)  # <- error


def e_const_begin_runtime_end(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    coop.block.radix_sort_keys(keys, begin_bit=40, end_bit=d_in[0])  # <- error


def e_radix_bits_zero(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    coop.block.radix_sort_keys(keys, radix_bits=0)  # <- error


def e_radix_bits_runtime(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    coop.block.radix_sort_keys(keys, radix_bits=d_in[0])  # <- error


def e_unknown_scan(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    coop.block.radix_sort_keys(keys, inner_scan_algorithm="fastest")  # <- error


def e_unknown_smem(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    coop.block.radix_sort_keys(keys, smem_config=cb.BLOCK_SCAN_RAKING)  # <- error


def e_memoize_not_flag(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    coop.block.radix_sort_keys(keys, memoize_outer_scan=d_in[0] > 0)  # <- error


def e_complex_keys(d_in, d_out):
    keys = coop.local.array(4, np.complex64)
    coop.block.radix_sort_keys(keys)  # <- error


_REC = np.dtype([("hi", np.int32), ("lo", np.int32)], align=True)


def e_record_keys(d_in, d_out):
    keys = coop.local.array(4, _REC)
    coop.block.radix_sort_keys(keys)  # <- error


def e_shared_keys(d_in, d_out):
    keys = coop.shared.array(4, np.int32)
    coop.block.radix_sort_keys(keys)  # <- error


def e_scalar_keys(d_in, d_out):
    coop.block.radix_sort_keys(d_in[0])  # <- error


def e_tile_too_large(d_in, d_out):
    keys = coop.local.array(64, np.uint8)
    coop.block.radix_sort_keys(keys)  # <- error


def e_rank_signed(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    ranks = coop.local.array(4, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4)  # <- error


def e_rank_float(d_in, d_out):
    keys = coop.local.array(4, np.float32)
    ranks = coop.local.array(4, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4)  # <- error


def e_rank_runtime_bits(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=d_in[0])  # <- error


def e_rank_missing_bits(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    coop.block.radix_rank(keys, ranks)  # <- error


def e_rank_bits_order(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=6, end_bit=2)  # <- error


def e_rank_bits_past_key(d_in, d_out):
    keys = coop.local.array(4, np.uint8)
    ranks = coop.local.array(4, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=4, end_bit=9)  # <- error


def e_rank_too_many_bits(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=17)  # <- error


def e_rank_ranks_dtype(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int64)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4)  # <- error


def e_rank_ranks_length(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(2, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4)  # <- error


def e_rank_prefix_short(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    prefix = coop.local.array(1, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=8, exclusive_digit_prefix=prefix)  # <- error


def e_rank_prefix_dtype(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    prefix = coop.local.array(1, np.uint32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4, exclusive_digit_prefix=prefix)  # <- error


def e_rank_prefix_unknown_length(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    prefix = cuda.local.array(1, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4, exclusive_digit_prefix=prefix)  # <- error


def e_rank_unknown_algorithm(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4, algorithm="onesweep")  # <- error


def e_rank_match_smem(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4, algorithm="match", smem_config="four_byte")  # <- error


def e_rank_early_2d(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4, algorithm="match_early_counts_any")  # <- error


def e_rank_early_partial_warp(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4, algorithm="match_early_counts_atomic_or")  # <- error


def e_rank_early_descending(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    coop.block.radix_rank(keys, ranks, 4, 0, 4, True, algorithm="match_early_counts_any")  # <- error


def e_rank_descending_1bit_eight_byte(d_in, d_out):
    keys = coop.local.array(4, np.uint32)
    ranks = coop.local.array(4, np.int32)
    prefix = coop.local.array(1, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=3, end_bit=4, descending=True, exclusive_digit_prefix=prefix,  # <- error
                          smem_config="eight_byte")


def e_rank_tile(d_in, d_out):
    keys = coop.local.array(64, np.uint32)
    ranks = coop.local.array(64, np.int32)
    coop.block.radix_rank(keys, ranks, begin_bit=0, end_bit=4)  # <- error


tp_keys_only = coop.block.radix_sort_keys(np.int32, 128, 4)
tp_with_values = coop.block.radix_sort_keys(np.int32, 128, 4, value_dtype=np.int32)


def e_two_phase_values_on_keys_only(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    vals = coop.local.array(4, np.int32)
    tp_keys_only(keys, values=vals)  # <- error


def e_two_phase_missing_values(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    tp_with_values(keys)  # <- error


def e_two_phase_key_dtype(d_in, d_out):
    keys = coop.local.array(4, np.int64)
    tp_keys_only(keys)  # <- error


def e_two_phase_bits_fixed(d_in, d_out):
    keys = coop.local.array(4, np.int32)
    tp_keys(keys, begin_bit=0)  # <- error


ERRORS = [
    (e_lengths, "radix_sort_pairs", "keys", "items per thread disagree (keys: 4, values: 3)"),
    (e_ipt_disagrees, "radix_sort_keys", "items_per_thread", "items_per_thread=2, but `keys` holds 4 items"),
    (e_values_positional_on_keys, "radix_sort_keys", "items_per_thread", "must be a positive integer constant"),
    (e_begin_out_of_range, "radix_sort_keys", "begin_bit", "32 is not a bit of int32 keys (32 bits)"),
    (e_end_out_of_range, "radix_sort_keys_descending", "end_bit", "17 is past the 16 bits of int16 keys"),
    (e_end_not_after_begin, "radix_sort_pairs", "end_bit", "end_bit=9 is not greater than begin_bit=9"),
    (e_end_zero, "radix_sort_keys", "end_bit", "must be positive, got 0"),
    (e_negative_begin, "radix_sort_keys", "begin_bit", "must be at least 0, got -1"),
    (e_float_bit, "radix_sort_keys", "begin_bit", "must be an integer"),
    (e_const_begin_runtime_end, "radix_sort_keys", "begin_bit", "40 is not a bit of int32 keys"),
    (e_radix_bits_zero, "radix_sort_keys", "radix_bits", "must be in 1..16, got 0"),
    (e_radix_bits_runtime, "radix_sort_keys", "radix_bits", "must be an int known at compile time"),
    (e_unknown_scan, "radix_sort_keys", "inner_scan_algorithm", "'fastest' is not a BlockScanAlgorithm"),
    (e_unknown_smem, "radix_sort_keys", "smem_config", "is not a SharedMemConfig"),
    (e_memoize_not_flag, "radix_sort_keys", "memoize_outer_scan", "must be the constant True or False"),
    (e_complex_keys, "radix_sort_keys", "keys", "not supported"),
    (e_record_keys, "radix_sort_keys", "keys", "CUB sorts them through a decomposer naming the fields"),
    (e_shared_keys, "radix_sort_keys", "keys", "is a coop.shared.array"),
    (e_scalar_keys, "radix_sort_keys", "keys", "must be an array, got"),
    (e_tile_too_large, "radix_sort_keys", "items_per_thread", "1024 threads x 64 items = 65536 keys", 1024),
    (e_rank_signed, "radix_rank", "items", "rank unsigned integer keys (their bits), got int32 keys"),
    (e_rank_float, "radix_rank", "items", "got float32 keys"),
    (e_rank_runtime_bits, "radix_rank", "end_bit", "must be an int known at compile time"),
    (e_rank_missing_bits, "radix_rank", "begin_bit", "is required"),
    (e_rank_bits_order, "radix_rank", "end_bit", "end_bit=2 is not greater than begin_bit=6"),
    (e_rank_bits_past_key, "radix_rank", "end_bit", "9 is past the 8 bits of uint8 keys"),
    (e_rank_too_many_bits, "radix_rank", "end_bit", "end_bit - begin_bit = 17 bits"),
    (e_rank_ranks_dtype, "radix_rank", "ranks", "must be an array of int32"),
    (e_rank_ranks_length, "radix_rank", "ranks", "holds 2 items, but items per thread is 4"),
    (e_rank_prefix_short, "radix_rank", "exclusive_digit_prefix", "holds 1 items, but CUB writes 4 per thread", 64),
    (e_rank_prefix_dtype, "radix_rank", "exclusive_digit_prefix", "must be a 1-D int32 array"),
    (e_rank_prefix_unknown_length, "radix_rank", "exclusive_digit_prefix", "its length must be known at compile time"),
    (e_rank_unknown_algorithm, "radix_rank", "algorithm", "'onesweep' is not a RadixRankAlgorithm"),
    (e_rank_match_smem, "radix_rank", "smem_config", "only BlockRadixRank (algorithm BASIC or MEMOIZE)"),
    (e_rank_early_2d, "radix_rank", "threads_per_block", "needs a 1-D block of whole warps", (32, 4)),
    (e_rank_early_partial_warp, "radix_rank", "threads_per_block", "needs a 1-D block of whole warps", 48),
    (e_rank_early_descending, "radix_rank", "descending", "ranks ascending even when asked to rank descending"),
    (e_rank_descending_1bit_eight_byte, "radix_rank", "exclusive_digit_prefix", "wrong digit prefixes"),
    (e_rank_tile, "radix_rank", "items_per_thread", "1024 threads x 64 items = 65536 keys", 1024),
    (e_two_phase_values_on_keys_only, "radix_sort_keys", "values", "made to sort keys only"),
    (e_two_phase_missing_values, "radix_sort_keys", "values", "is required: this two-phase object sorts key-value"),
    (e_two_phase_key_dtype, "radix_sort_keys", "keys", "mismatched dtypes"),
    (e_two_phase_bits_fixed, "radix_sort_keys", "begin_bit", "is fixed by the two-phase constructor"),
]


@pytest.mark.parametrize("kernel, primitive, arg, message, block", [(*e, 128)[:5] for e in ERRORS],
                         ids=[e[0].__name__ for e in ERRORS])
def test_misuse_is_one_coop_error(kernel, primitive, arg, message, block):
    text = compile_error(kernel, block=block)
    assert text.startswith(f"coop.block.{primitive}: argument `{arg}`: "), text
    assert message in text, text
    assert MARK in text, text


@pytest.mark.parametrize("call, arg, message", [
    (lambda: coop.block.radix_sort_pairs(np.int32, 128, 4), "value_dtype", "must be a NumPy/Numba scalar"),
    (lambda: coop.block.radix_sort_keys(np.int32, 128, 4, begin_bit=3, end_bit=3), "end_bit", "is not greater"),
    (lambda: coop.block.radix_sort_keys(np.int8, 128, 4, end_bit=9), "end_bit", "9 is past the 8 bits"),
    (lambda: coop.block.radix_sort_keys(np.int32, 128, 4, radix_bits=17), "radix_bits", "must be in 1..16, got 17"),
    (lambda: coop.block.radix_sort_keys(np.int32, 128, 4, smem_config="huge"), "smem_config", "is not a SharedMemConfig"),
    (lambda: coop.block.radix_sort_keys(np.complex64, 128, 4), "dtype", "is not supported"),
    (lambda: coop.block.radix_rank(np.uint32, 128, 4), "begin_bit", "missing argument 'begin_bit'"),
    (lambda: coop.block.radix_rank(np.int32, 128, 4, 0, 4), "dtype", "rank unsigned integer keys"),
    (lambda: coop.block.radix_rank(np.uint32, 128, 4, 0, 4, algorithm="match", smem_config="default"),
     "smem_config", "only BlockRadixRank"),
    (lambda: coop.block.radix_rank(np.uint32, (32, 2), 4, 0, 4, algorithm="match_early_counts_any"),
     "threads_per_block", "1-D block of whole warps"),
    (lambda: coop.block.radix_rank(np.uint32, 128, 4, 0, 4, descending=1), "descending", "must be True or False"),
    (lambda: coop.block.radix_rank(np.uint32, 128, 4, 0, 4, True, "match_early_counts_atomic_or"), "descending",
     "ranks ascending even when asked"),
    (lambda: coop.block.radix_rank(np.uint32, 128, 4, -1, 4), "begin_bit", "must be 0 or more, got -1"),
    (lambda: coop.block.radix_rank(np.uint32, 128, 4, 0, 2.0), "end_bit", "must be an int, got 2.0"),
])
def test_host_misuse_is_one_coop_error(call, arg, message):
    with pytest.raises(coop.CoopError) as info:
        call()
    text = str(info.value)
    assert f"argument `{arg}`" in text and message in text, text


# --------------------------------------------------------------------------- record keys (decomposer)

REC = __import__("numba").from_dtype(np.dtype([("hi", np.int16), ("lo", np.float32), ("tag", np.uint8)],
                                                           align=True))
DEC = coop.Decomposer(lambda k: (k.hi, k.lo))
DEC_BAD_FIELD = coop.Decomposer("hi", "nope")
DEC_BAD_RET = coop.Decomposer("hi", ret_type=(np.float32,))


def k_record_keys(d_keys, d_vals):
    keys = coop.local.array(4, d_keys.dtype)
    vals = coop.local.array(4, d_vals.dtype)
    coop.block.load(d_keys, keys)
    coop.block.load(d_vals, vals)
    coop.block.radix_sort_keys(keys, decomposer=DEC)
    cuda.syncthreads()
    coop.block.radix_sort_pairs_descending(keys, vals, decomposer=DEC, blocked_to_striped=True)
    cuda.syncthreads()
    coop.block.radix_sort_keys_descending(keys, 4, 0, 20, None, DEC)  # the earlier API's positional order
    cuda.syncthreads()
    coop.block.radix_sort_pairs(keys, vals, end_bit=48, decomposer=DEC)
    coop.block.store(d_keys, keys)


def test_record_keys_sort_through_a_decomposer():
    src = build(k_record_keys, (REC[::1], I32)).shim_source
    assert re.search(r"::cuda::std::tuple<::cuda::std::int16_t&, float&> operator\(\)\(cub_coop_rec_\w+& key\)", src)
    calls = sorted(re.findall(r"__obj\.(Sort\w*)\(([^;]*)\);", src))
    assert [m for m, _ in calls] == ["Sort", "Sort", "SortDescending", "SortDescendingBlockedToStriped"]
    assert all("cub_coop_dec_" in args for _, args in calls)
    # bits: the constant begin_bit is passed, and a missing one of the pair defaults (CUB takes both or neither)
    two_phase = coop.block.radix_sort_pairs(REC, np.int32, 128, 4, decomposer=lambda k: (k.lo,))
    assert two_phase.temp_storage_bytes > 0


import re  # noqa: E402


def e_record_without_decomposer(d_keys, d_vals):
    keys = coop.local.array(4, d_keys.dtype)
    coop.block.radix_sort_keys(keys)  # <- error


def e_decomposer_unknown_field(d_keys, d_vals):
    keys = coop.local.array(4, d_keys.dtype)
    coop.block.radix_sort_keys(keys, decomposer=DEC_BAD_FIELD)  # <- error


def e_decomposer_ret_type(d_keys, d_vals):
    keys = coop.local.array(4, d_keys.dtype)
    coop.block.radix_sort_keys(keys, decomposer=DEC_BAD_RET)  # <- error


def e_decomposer_bits(d_keys, d_vals):
    keys = coop.local.array(4, d_keys.dtype)
    coop.block.radix_sort_keys(keys, decomposer=DEC, end_bit=49)  # <- error


def e_decomposer_on_numbers(d_keys, d_vals):
    keys = coop.local.array(4, d_vals.dtype)
    coop.block.radix_sort_keys(keys, decomposer=DEC)  # <- error


@pytest.mark.parametrize("kernel, arg, message", [
    (e_record_without_decomposer, "keys", "CUB sorts them through a decomposer"),
    (e_decomposer_unknown_field, "decomposer", "names field 'nope', which the key record does not have"),
    (e_decomposer_ret_type, "decomposer", "ret_type ('float32',) does not match the fields' types ('int16',)"),
    (e_decomposer_bits, "end_bit", "49 is past the 48 bits"),
    (e_decomposer_on_numbers, "decomposer", "is for record keys; these keys are int32"),
])
def test_decomposer_misuse_is_one_coop_error(kernel, arg, message):
    text = compile_error(kernel, argtypes=(REC[::1], I32))
    assert text.startswith(f"coop.block.radix_sort_keys: argument `{arg}`: "), text
    assert message in text and MARK in text, text


def test_decomposer_misuse_on_the_host():
    with pytest.raises(coop.CoopError, match="argument `decomposer`: Decomposer: .* must return the key's fields"):
        coop.block.radix_sort_keys(REC, 128, 4, decomposer=lambda k: (k.hi + 1,))
    with pytest.raises(TypeError, match="must return the key's fields themselves"):
        coop.Decomposer(lambda k: 3)
