"""IR content checked against facts read in the CUB 3.5.0 headers (nvidia-cuda-cccl 13.3.5.0.6).

Each expectation below was read from the header named in the comment, not from the IR.
"""

import pytest

# primitive -> (scope, header, template parameters as (name, kind, default))
TEMPLATES = {
    "BlockAdjacentDifference": ("block", "cub/block/block_adjacent_difference.cuh",
        [("T", "type", None), ("BlockDimX", "integer", None), ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1")]),
    "BlockDiscontinuity": ("block", "cub/block/block_discontinuity.cuh",
        [("T", "type", None), ("BlockDimX", "integer", None), ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1")]),
    "BlockExchange": ("block", "cub/block/block_exchange.cuh",
        [("T", "type", None), ("BlockDimX", "integer", None), ("ItemsPerThread", "integer", None),
         ("WarpTimeSlicing", "bool", "false"), ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1")]),
    "BlockHistogram": ("block", "cub/block/block_histogram.cuh",
        [("T", "type", None), ("BlockDimX", "integer", None), ("ItemsPerThread", "integer", None), ("Bins", "integer", None),
         ("Algorithm", "enum", "BLOCK_HISTO_SORT"), ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1")]),
    "BlockLoad": ("block", "cub/block/block_load.cuh",
        [("T", "type", None), ("BlockDimX", "integer", None), ("ItemsPerThread", "integer", None),
         ("Algorithm", "enum", "BLOCK_LOAD_DIRECT"), ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1")]),
    "BlockStore": ("block", "cub/block/block_store.cuh",
        [("T", "type", None), ("BlockDimX", "integer", None), ("ItemsPerThread", "integer", None),
         ("Algorithm", "enum", "BLOCK_STORE_DIRECT"), ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1")]),
    "BlockMergeSort": ("block", "cub/block/block_merge_sort.cuh",
        [("KeyT", "type", None), ("BlockDimX", "integer", None), ("ItemsPerThread", "integer", None),
         ("ValueT", "type", "NullType"), ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1"), ("_Unroll", "bool", "true")]),
    "BlockRadixRank": ("block", "cub/block/block_radix_rank.cuh",
        [("BlockDimX", "integer", None), ("RadixBits", "integer", None), ("IsDescending", "bool", None),
         ("MemoizeOuterScan", "bool", "true"), ("InnerScanAlgorithm", "enum", "BLOCK_SCAN_WARP_SCANS"),
         ("SMemConfig", "enum", "cudaSharedMemBankSizeFourByte"), ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1")]),
    "BlockRadixRankMatch": ("block", "cub/block/block_radix_rank.cuh",
        [("BlockDimX", "integer", None), ("RadixBits", "integer", None), ("IsDescending", "bool", None),
         ("InnerScanAlgorithm", "enum", "BLOCK_SCAN_WARP_SCANS"), ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1")]),
    "BlockRadixRankMatchEarlyCounts": ("block", "cub/block/block_radix_rank.cuh",
        [("BlockDimX", "integer", None), ("RadixBits", "integer", None), ("IsDescending", "bool", None),
         ("InnerScanAlgorithm", "enum", "BLOCK_SCAN_WARP_SCANS"), ("MATCH_ALGORITHM", "enum", "WARP_MATCH_ANY"),
         ("NUM_PARTS", "integer", "1")]),
    "BlockRadixSort": ("block", "cub/block/block_radix_sort.cuh",
        [("KeyT", "type", None), ("BlockDimX", "integer", None), ("ItemsPerThread", "integer", None),
         ("ValueT", "type", "NullType"), ("RadixBits", "integer", "4"), ("MemoizeOuterScan", "bool", "true"),
         ("InnerScanAlgorithm", "enum", "BLOCK_SCAN_WARP_SCANS"), ("SMemConfig", "enum", "cudaSharedMemBankSizeFourByte"),
         ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1")]),
    "BlockReduce": ("block", "cub/block/block_reduce.cuh",
        [("T", "type", None), ("BlockDimX", "integer", None), ("Algorithm", "enum", "BLOCK_REDUCE_WARP_REDUCTIONS"),
         ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1")]),
    "BlockRunLengthDecode": ("block", "cub/block/block_run_length_decode.cuh",
        [("ItemT", "type", None), ("BlockDimX", "integer", None), ("RunsPerThread", "integer", None),
         ("DecodedItemsPerThread", "integer", None), ("DecodedOffsetT", "type", "uint32_t"),
         ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1")]),
    "BlockScan": ("block", "cub/block/block_scan.cuh",
        [("T", "type", None), ("BlockDimX", "integer", None), ("Algorithm", "enum", "BLOCK_SCAN_RAKING"),
         ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1")]),
    "BlockShuffle": ("block", "cub/block/block_shuffle.cuh",
        [("T", "type", None), ("BlockDimX", "integer", None), ("BlockDimY", "integer", "1"), ("BlockDimZ", "integer", "1")]),
    "WarpExchange": ("warp", "cub/warp/warp_exchange.cuh",
        [("InputT", "type", None), ("ITEMS_PER_THREAD", "integer", None), ("LOGICAL_WARP_THREADS", "integer", "32"),
         ("WARP_EXCHANGE_ALGORITHM", "enum", "WARP_EXCHANGE_SMEM")]),
    "WarpLoad": ("warp", "cub/warp/warp_load.cuh",
        [("InputT", "type", None), ("ITEMS_PER_THREAD", "integer", None), ("ALGORITHM", "enum", "WARP_LOAD_DIRECT"),
         ("LOGICAL_WARP_THREADS", "integer", "32")]),
    "WarpStore": ("warp", "cub/warp/warp_store.cuh",
        [("T", "type", None), ("ITEMS_PER_THREAD", "integer", None), ("ALGORITHM", "enum", "WARP_STORE_DIRECT"),
         ("LOGICAL_WARP_THREADS", "integer", "32")]),
    "WarpMergeSort": ("warp", "cub/warp/warp_merge_sort.cuh",
        [("KeyT", "type", None), ("ITEMS_PER_THREAD", "integer", None), ("LOGICAL_WARP_THREADS", "integer", "32"),
         ("ValueT", "type", "NullType")]),
    "WarpReduce": ("warp", "cub/warp/warp_reduce.cuh", [("T", "type", None), ("LogicalWarpThreads", "integer", "32")]),
    "WarpReduceBatched": ("warp", "cub/warp/warp_reduce_batched.cuh",
        [("T", "type", None), ("Batches", "integer", None), ("LogicalWarpThreads", "integer", "32"),
         ("SyncPhysicalWarp", "bool", "false")]),
    "WarpScan": ("warp", "cub/warp/warp_scan.cuh", [("T", "type", None), ("LOGICAL_WARP_THREADS", "integer", "32")]),
}  # fmt: skip

# primitive -> {method: overload count}, counted in the headers (public declarations,
# including those a public base declares: BlockMergeSort/WarpMergeSort get Sort/StableSort
# from BlockMergeSortStrategy).
METHODS = {
    "BlockAdjacentDifference": {"SubtractLeft": 2, "SubtractLeftPartialTile": 2, "SubtractRight": 2, "SubtractRightPartialTile": 1},
    "BlockDiscontinuity": {"FlagHeads": 4, "FlagHeadsAndTails": 4, "FlagTails": 2},
    "BlockExchange": {"BlockedToStriped": 2, "BlockedToWarpStriped": 2, "ScatterToBlocked": 2, "ScatterToStriped": 2,
                      "ScatterToStripedFlagged": 2, "ScatterToStripedGuarded": 2, "StripedToBlocked": 2, "WarpStripedToBlocked": 2},
    "BlockHistogram": {"Composite": 1, "Histogram": 1, "InitHistogram": 1},
    "BlockLoad": {"Load": 3},
    "BlockStore": {"Store": 2},
    "BlockReduce": {"Reduce": 3, "Sum": 3},
    "BlockScan": {"ExclusiveScan": 10, "ExclusiveSum": 6, "InclusiveScan": 8, "InclusiveSum": 6},
    "BlockShuffle": {"Down": 2, "Offset": 1, "Rotate": 1, "Up": 2},
    "BlockRunLengthDecode": {"RunLengthDecode": 2},
    "WarpExchange": {"BlockedToStriped": 1, "ScatterToStriped": 2, "StripedToBlocked": 1},
    "WarpLoad": {"Load": 3},
    "WarpStore": {"Store": 2},
    "WarpReduce": {"HeadSegmentedReduce": 1, "HeadSegmentedSum": 1, "Max": 3, "Min": 3, "Reduce": 3, "Sum": 3,
                   "TailSegmentedReduce": 1, "TailSegmentedSum": 1},
    "WarpScan": {"Broadcast": 1, "ExclusiveScan": 4, "ExclusiveScanPartial": 4, "ExclusiveSum": 2, "InclusiveScan": 4,
                 "InclusiveScanPartial": 4, "InclusiveSum": 2, "Scan": 2, "ScanPartial": 2},
    "WarpReduceBatched": {"Reduce": 1, "ReduceToBlocked": 1, "ReduceToStriped": 1, "Sum": 1, "SumToBlocked": 1, "SumToStriped": 1},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_parameters(snap35, name):
    scope, header, tparams = TEMPLATES[name]
    p = snap35.primitives[name]
    assert p.qualname == f"cub::{name}"
    assert (p.scope, p.header) == (scope, header)
    assert [(tp.name, tp.kind, tp.default) for tp in p.template_params] == tparams


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_primitive_has_temp_storage_and_docs(snap35, name):
    p = snap35.primitives[name]
    assert p.temp_storage is not None and p.temp_storage.spelling == "TempStorage"
    assert p.doc, f"{name} lost its documentation comment"
    # a TempStorage-taking constructor, spelled with the public name
    assert any(c.params and c.params[0].type == "TempStorage &" for c in p.constructors)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_overload_counts(snap35, name):
    p = snap35.primitives[name]
    assert {m: len(p.overloads(m)) for m in p.method_names} == METHODS[name]


def test_temp_storage_kinds(snap35):
    ts = {n: snap35.primitives[n].temp_storage for n in TEMPLATES}
    # block_scan.cuh: `struct TempStorage : Uninitialized<_TempStorage> {}`
    assert (ts["BlockScan"].declared_as, ts["BlockScan"].source) == ("struct", "ast_canopy")
    # block_load.cuh / warp_reduce.cuh: `using TempStorage = Uninitialized<_TempStorage>;` (ast_canopy misses it)
    for name in ("BlockLoad", "BlockExchange", "WarpReduce", "WarpScan", "WarpExchange"):
        assert (ts[name].declared_as, ts[name].source) == ("alias", "libclang"), name
    # block_merge_sort.cuh / warp_merge_sort.cuh: inherited from BlockMergeSortStrategy
    assert ts["BlockMergeSort"].declared_as == "inherited"
    assert ts["WarpMergeSort"].declared_as == "inherited"


def test_block_scan_array_overloads_carry_items_per_thread(snap35):
    p = snap35.primitives["BlockScan"]
    arrays = [m for m in p.methods if any(x.passing == "array_reference" for x in m.params)]
    scalars = [m for m in p.methods if not any(x.passing == "array_reference" for x in m.params)]
    assert len(arrays) == 16 and len(scalars) == 14
    for m in arrays:
        assert m.template_params[0].name == "ITEMS_PER_THREAD" and m.template_params[0].kind == "integer"
        for x in m.params[:2]:
            assert (x.type, x.extent, x.extent_owner) == ("T (&)[ITEMS_PER_THREAD]", "ITEMS_PER_THREAD", "method")
    # InclusiveSum(T input, T& output, T& block_aggregate)
    sig = [m for m in p.overloads("InclusiveSum") if [x.name for x in m.params] == ["input", "output", "block_aggregate"]]
    assert len(sig) == 2  # scalar and ITEMS_PER_THREAD array form
    scalar = [m for m in sig if not m.template_params][0]
    assert [x.passing for x in scalar.params] == ["value", "reference", "reference"]


def test_block_load_overloads(snap35):
    p = snap35.primitives["BlockLoad"]
    full = [m for m in p.overloads("Load") if len(m.params) == 4][0]
    assert [x.name for x in full.params] == ["block_src_it", "dst_items", "block_items_end", "oob_default"]
    assert [tp.name for tp in full.template_params] == ["RandomAccessIterator", "DefaultT"]
    dst = full.params[1]
    assert (dst.type, dst.passing, dst.extent, dst.extent_owner) == ("T (&)[ItemsPerThread]", "array_reference", "ItemsPerThread", "class")


def test_run_length_decode_extents_are_its_own_parameters(snap35):
    # ast_canopy's canonical types name these extents after another template's parameter
    # ("ItemsPerThread"); the header writes RunsPerThread / DecodedItemsPerThread.
    p = snap35.primitives["BlockRunLengthDecode"]
    ctor = [c for c in p.constructors if c.params[0].name == "temp_storage" and len(c.params) == 4][0]
    assert ctor.params[1].type == "ItemT (&)[RunsPerThread]"
    decode = [m for m in p.overloads("RunLengthDecode") if len(m.params) == 2][0]
    assert decode.params[0].type == "ItemT (&)[DecodedItemsPerThread]"
    assert decode.params[1].default == "0"  # from_decoded_offset = 0


def test_merge_sort_methods_are_inherited_and_respelled(snap35):
    for name, extent in (("BlockMergeSort", "ItemsPerThread"), ("WarpMergeSort", "ITEMS_PER_THREAD")):
        sort = [m for m in snap35.primitives[name].overloads("Sort") if len(m.params) == 2][0]
        assert sort.inherited_from == "BlockMergeSortStrategy"
        assert sort.params[0].type == f"KeyT (&)[{extent}]" and sort.params[0].extent_owner == "class"
        assert [tp.name for tp in sort.template_params] == ["CompareOp"]


def test_requires_macros_are_filtered_and_recorded(snap35):
    p = snap35.primitives["WarpReduce"]
    for m in p.methods:
        assert all(not tp.name.startswith("__cccl") and tp.name for tp in m.template_params)
    assert any("dropped requires-clause template parameters" in f and "Sum" in f for f in p.filtered)
    assert any("partial specialization WarpReduce<T, 1>" in f for f in p.filtered)
    assert any("detail::warp_threads" in f for f in p.filtered)


def test_sfinae_return_types_become_constraints(snap35):
    p = snap35.primitives["BlockRadixSort"]
    dec = [m for m in p.overloads("Sort") if [x.name for x in m.params] == ["keys", "decomposer"]][0]
    assert dec.return_type == "void"
    assert "is_convertible_v<DecomposerT, int>" in dec.constraint


def test_no_internal_spelling_left_unrecorded(snap35):
    from bindgen.spelling import is_internal

    for p in snap35.primitives.values():
        for m in p.constructors + p.methods:
            for x in m.params:
                if is_internal(x.type):
                    assert any(x.type in f for f in p.filtered), (p.name, m.signature)


def test_enums_with_values(snap35):
    e = snap35.enums
    assert [(v.name, v.value) for v in e["BlockScanAlgorithm"].values] == [
        ("BLOCK_SCAN_RAKING", 0), ("BLOCK_SCAN_RAKING_MEMOIZE", 1), ("BLOCK_SCAN_WARP_SCANS", 2)]  # fmt: skip
    assert [v.name for v in e["BlockReduceAlgorithm"].values][-1] == "BLOCK_REDUCE_WARP_REDUCTIONS_NONDETERMINISTIC"
    assert e["BlockLoadAlgorithm"].header == "cub/block/block_load.cuh"
    assert len(e["BlockLoadAlgorithm"].values) == 6
    assert {"WarpExchangeAlgorithm", "WarpLoadAlgorithm", "WarpStoreAlgorithm", "BlockHistogramAlgorithm",
            "BlockStoreAlgorithm", "RadixRankAlgorithm", "WarpMatchAlgorithm"} <= set(e)  # fmt: skip
    # used by BlockRadixSort's SMemConfig, declared by the CUDA runtime
    assert e["cudaSharedMemConfig"].qualname == "cudaSharedMemConfig"
    assert e["BlockScanAlgorithm"].values[0].doc  # enumerator docs from the header


def test_method_docs_come_from_cub(snap35):
    m = snap35.primitives["BlockScan"].overloads("ExclusiveSum")[0]
    assert "exclusive block-wide prefix scan" in m.doc
    assert not m.doc.startswith("//")


def test_internal_templates_are_skipped_and_listed(snap35):
    assert "cub::detail::block_topk" in snap35.skipped_templates
    assert not any("detail" in p.qualname for p in snap35.primitives.values())
