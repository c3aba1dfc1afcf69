"""Block-wide primitives: ``coop.block.load``, ``store``, ``exchange``, ``scan`` (and
``exclusive_sum``, ``inclusive_sum``, ``exclusive_scan``, ``inclusive_scan``), ``reduce``,
``sum``, and the parent/child ``histogram`` and ``run_length``.

Each is declared once below: parameters, argument order in kernels and in the two-phase
constructor, the CUB class it specializes and the method call it makes. Everything else
(inference, checks, two-phase objects, lowering) is generic.
"""

from __future__ import annotations

from cub_bindings import functional as F

import numpy as np

from coop._common import (BLOCK_ALIASES, DIMS, DTYPE, IPT, OFFSET, TEMP, VALID, block_class, initial_source, load_call,
                          check_sum, op_source, store_call)
from coop._kinds import (Callback, CallbackFunction, Choice, Count, Counters, DType, Enum, Flag, GlobalArray,
                         IndexArray, Items, Operator, Output, Ref, Value)
from coop._decl import REQUIRED, Arg, Construct, CubCall, Functor, Method, Param, Primitive, Scratch
from coop._host import PrimitiveFunction, make_factories
from coop.enums import (BLOCK_TYPES, BlockAdjacentDifferenceType, BlockDiscontinuityType,  # noqa: F401
                        BlockExchangeType, BlockHistogramAlgorithm, BlockLoadAlgorithm, BlockReduceAlgorithm,
                        BlockScanAlgorithm, BlockShuffleType, BlockStoreAlgorithm, cub_member)

_ALIASES = BLOCK_ALIASES
_block = block_class


# --------------------------------------------------------------------------- load / store


def _load_build(c):
    return load_call(c, "block_src_it", "dst_items", "block_items_end")


load = PrimitiveFunction(Primitive(
    "block", "load",
    """Load a tile of ``items_per_thread * threads`` items from ``src`` (from ``src[offset]`` on) into
    each thread's ``dst`` (CUB BlockLoad). ``valid_items`` guards a partial tile; ``oob_default``
    fills the rest.""",
    params=(Param("src", GlobalArray(), REQUIRED), Param("dst", Output(), REQUIRED), IPT,
            Param("algorithm", Enum(BlockLoadAlgorithm), BlockLoadAlgorithm.DIRECT),
            VALID, Param("oob_default", Value()), TEMP, DIMS, OFFSET, DTYPE),
    kernel_order=("src", "dst", "items_per_thread", "algorithm", "valid_items", "oob_default", "temp_storage",
                  "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "algorithm"),
    template=lambda c: _block(c, "BlockLoad", ItemsPerThread=c.ipt, Algorithm=cub_member(c.value("algorithm"))),
    build=_load_build, aliases=_ALIASES, reaches={"BlockLoad": ("Load",)}))


def _store_build(c):
    return store_call(c, "block_itr", "items", "valid_items")


store = PrimitiveFunction(Primitive(
    "block", "store",
    """Store each thread's ``src`` items to a tile of ``dst`` (from ``dst[offset]`` on) (CUB
    BlockStore); ``valid_items`` guards a partial tile.""",
    params=(Param("dst", GlobalArray(), REQUIRED), Param("src", Output(), REQUIRED), IPT,
            Param("algorithm", Enum(BlockStoreAlgorithm), BlockStoreAlgorithm.DIRECT),
            VALID, TEMP, DIMS, OFFSET, DTYPE),
    kernel_order=("dst", "src", "items_per_thread", "algorithm", "valid_items", "temp_storage", "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "algorithm"),
    template=lambda c: _block(c, "BlockStore", ItemsPerThread=c.ipt, Algorithm=cub_member(c.value("algorithm"))),
    build=_store_build, aliases=_ALIASES, reaches={"BlockStore": ("Store",)}))


# --------------------------------------------------------------------------- exchange

_SCATTER = {BlockExchangeType.ScatterToBlocked, BlockExchangeType.ScatterToStriped,
            BlockExchangeType.ScatterToStripedGuarded, BlockExchangeType.ScatterToStripedFlagged}


def _exchange_build(c):
    kind = c.value("block_exchange_type")
    if kind in _SCATTER and not c.has("ranks"):
        c.fail("ranks", f"{kind!r} scatters by rank: ranks is required", "an int array of items-per-thread length")
    if kind not in _SCATTER and c.has("ranks"):
        c.fail("ranks", f"{kind!r} does not take ranks", "a Scatter* block_exchange_type")
    flagged = kind == BlockExchangeType.ScatterToStripedFlagged
    if flagged and not c.has("valid_flags"):
        c.fail("valid_flags", "ScatterToStripedFlagged needs valid_flags")
    if not flagged and c.has("valid_flags"):
        c.fail("valid_flags", f"{kind!r} does not take valid_flags", "block_exchange_type=ScatterToStripedFlagged")
    args = {"input_items": Arg("items"), "output_items": Arg("out")} if c.has("out") else {"items": Arg("items")}
    if c.has("ranks"):
        args["ranks"] = Arg("ranks")
    if flagged:
        args["is_valid"] = Arg("valid_flags")
    return CubCall(kind.name, args, returns=None)


exchange = PrimitiveFunction(Primitive(
    "block", "exchange",
    """Rearrange items across the block (CUB BlockExchange): ``block_exchange_type`` picks one of
    the eight methods (``coop.BlockExchangeType``); scatters take ``ranks`` (and ``valid_flags``).
    Writes ``out``, or ``items`` in place.""",
    params=(Param("items", Output(), REQUIRED), Param("out", Output()),
            Param("block_exchange_type", Enum(BlockExchangeType), BlockExchangeType.StripedToBlocked),
            Param("ranks", IndexArray()), Param("valid_flags", IndexArray(flags=True)), IPT,
            Param("warp_time_slicing", Flag(), False), TEMP, DIMS, DTYPE),
    kernel_order=("items", "out", "block_exchange_type", "ranks", "valid_flags", "items_per_thread",
                  "warp_time_slicing", "temp_storage", "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "block_exchange_type", "warp_time_slicing"),
    template=lambda c: _block(c, "BlockExchange", ItemsPerThread=c.ipt, WarpTimeSlicing=c.value("warp_time_slicing")),
    build=_exchange_build,
    aliases=_ALIASES | {"input_items": "items", "output_items": "out", "kind": "block_exchange_type"},
    reaches={"BlockExchange": tuple(t.name for t in BlockExchangeType)}))


# --------------------------------------------------------------------------- scan


def _scan_call(c, mode, op_param):
    kind, functor, op_src = op_source(c, op_param, F.plus) if op_param else ("cxx", F.plus, Functor(F.plus))
    is_sum = kind == "cxx" and functor is F.plus
    if is_sum:
        check_sum(c, "src")
    prefix, agg = c.has("block_prefix_callback_op"), c.has("block_aggregate")
    if prefix and agg:
        c.fail("block_aggregate", "CUB has no scan taking both a prefix callback and block_aggregate",
               "one of them (the callback receives the block aggregate)")
    if c.has("prefix_function") and not prefix:
        c.fail("block_prefix_callback_op", "this two-phase object was made with prefix_op=coop.StatefulFunction(...), "
               "so its kernel call needs the callback's state", "prefix_op=state: a 1-element array of "
               f"{c.value('prefix_function').state_type}")
    if prefix:
        if c.has("initial_value"):
            c.fail("initial_value", "with a prefix callback the callback supplies the prefix", "omit initial_value")
    if c.scalar:
        if c.has("dst"):
            c.fail("dst", "a scan of one item per thread returns its result", "omit dst: out = coop.block.scan(x)")
        inp, out, returns = Arg("src"), Scratch("out"), "out"
    else:
        inp, out, returns = Arg("src"), Arg("dst") if c.has("dst") else Arg("src"), None
    tail = {"block_aggregate": Arg("block_aggregate")} if agg else {}
    if prefix:
        tail = {"block_prefix_callback_op": Arg("block_prefix_callback_op")}
    name = "Exclusive" if mode == "exclusive" else "Inclusive"
    if is_sum and not c.has("initial_value"):
        return CubCall(f"{name}Sum", {"input": inp, "output": out, **tail}, returns=returns)
    args = {"input": inp, "output": out}
    if mode == "exclusive" and not prefix:
        init = initial_source(c, "initial_value", kind, functor, "an exclusive scan with a custom operator")
        if init is None:
            c.fail("initial_value", "an exclusive scan with a device-function operator needs initial_value "
                   "(CUB leaves thread 0's first output undefined without one)")
        args["initial_value"] = init
    elif mode == "inclusive" and c.has("initial_value"):
        if c.scalar:
            c.fail("initial_value", "CUB's inclusive scan of one item per thread takes no initial_value",
                   "an array input, or an exclusive scan")
        args["initial_value"] = Arg("initial_value")
    args["scan_op"] = op_src
    return CubCall(f"{name}Scan", {**args, **tail}, returns=returns)


def _scan_params(*extra):
    return (Param("src", Items(), REQUIRED), Param("dst", Output()), IPT, *extra,
            Param("initial_value", Value()), Param("block_prefix_callback_op", Callback()),
            Param("prefix_function", CallbackFunction(), host_only=True), Param("block_aggregate", Ref()),
            Param("algorithm", Enum(BlockScanAlgorithm), BlockScanAlgorithm.RAKING), TEMP, DIMS, DTYPE)


def _scan_template(c):
    return _block(c, "BlockScan", Algorithm=cub_member(c.value("algorithm")))


_SCAN_DOC = """{what} across the block (CUB BlockScan). ``src`` is a scalar (the result is
    returned) or an array (the result goes to ``dst``, or ``src`` in place). ``initial_value``
    seeds the scan, ``block_aggregate`` (a 1-element array) receives the block's total,
    ``block_prefix_callback_op`` (``prefix_op``: ``coop.StatefulOp(fn, state)``, or the earlier
    API's state array of a class with ``__call__(self_ptr, block_aggregate)``, its class given on
    the host as ``coop.StatefulFunction(cls, state_type)``) supplies a running prefix across
    tiles."""
_SCAN_ALIASES = _ALIASES | {"prefix_op": "block_prefix_callback_op"}
_SCAN_REACHES = {"BlockScan": ("ExclusiveSum", "InclusiveSum", "ExclusiveScan", "InclusiveScan")}

scan = PrimitiveFunction(Primitive(
    "block", "scan", _SCAN_DOC.format(what="An exclusive or inclusive (``mode``) scan with ``scan_op``"),
    params=_scan_params(Param("mode", Choice("exclusive", "inclusive"), "exclusive"),
                        Param("scan_op", Operator())),
    kernel_order=("src", "dst", "items_per_thread", "initial_value", "mode", "scan_op", "block_prefix_callback_op",
                  "block_aggregate", "algorithm", "temp_storage", "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "initial_value", "mode", "scan_op", "algorithm",
                "block_prefix_callback_op"),
    template=_scan_template, build=lambda c: _scan_call(c, c.value("mode"), "scan_op"), aliases=_SCAN_ALIASES,
    reaches=_SCAN_REACHES))


def _sum_like(mode):
    what = f"An {mode} prefix sum"
    return PrimitiveFunction(Primitive(
        "block", f"{mode}_sum", _SCAN_DOC.format(what=what),
        params=_scan_params(),
        kernel_order=("src", "dst", "items_per_thread", "initial_value", "block_prefix_callback_op", "block_aggregate",
                      "algorithm", "temp_storage", "threads_per_block"),
        host_order=("dtype", "threads_per_block", "items_per_thread", "initial_value", "algorithm",
                    "block_prefix_callback_op"),
        template=_scan_template, build=lambda c: _scan_call(c, mode, None),
        aliases=_SCAN_ALIASES, reaches={"BlockScan": (f"{mode.title()}Sum", f"{mode.title()}Scan")}))


def _scan_like(mode):
    return PrimitiveFunction(Primitive(
        "block", f"{mode}_scan", _SCAN_DOC.format(what=f"An {mode} scan with ``scan_op``"),
        params=_scan_params(Param("scan_op", Operator(), REQUIRED)),
        kernel_order=("src", "dst", "scan_op", "initial_value", "items_per_thread", "block_prefix_callback_op",
                      "block_aggregate", "algorithm", "temp_storage", "threads_per_block"),
        host_order=("dtype", "threads_per_block", "scan_op", "initial_value", "items_per_thread", "algorithm",
                    "block_prefix_callback_op"),
        template=_scan_template, build=lambda c: _scan_call(c, mode, "scan_op"),
        aliases=_SCAN_ALIASES, reaches={"BlockScan": (f"{mode.title()}Sum", f"{mode.title()}Scan")}))


exclusive_sum = _sum_like("exclusive")
inclusive_sum = _sum_like("inclusive")
exclusive_scan = _scan_like("exclusive")
inclusive_scan = _scan_like("inclusive")


# --------------------------------------------------------------------------- reduce / sum


def _reduce_call(c, method):
    if method == "Sum":
        check_sum(c, "src")
    args = {("input" if c.scalar else "inputs"): Arg("src")}
    if method == "Reduce":
        kind, f, src = op_source(c, "binary_op")
        args["reduction_op"] = src
    if c.has("valid_items"):
        if not c.scalar:
            c.fail("valid_items", "CUB takes valid_items only with one item per thread", "a scalar input")
        args["num_valid"] = Arg("valid_items")
    return CubCall(method, args, returns="cub")


def _reduce_params(*extra):
    return (Param("src", Items(), REQUIRED), *extra, IPT, VALID,
            Param("algorithm", Enum(BlockReduceAlgorithm), BlockReduceAlgorithm.WARP_REDUCTIONS), TEMP, DIMS, DTYPE)


def _reduce_template(c):
    return _block(c, "BlockReduce", Algorithm=cub_member(c.value("algorithm")))


reduce = PrimitiveFunction(Primitive(
    "block", "reduce",
    """Reduce the block's items with ``binary_op`` (CUB BlockReduce); the result is valid in
    thread 0. ``valid_items`` limits a scalar reduction to the first threads.""",
    params=_reduce_params(Param("binary_op", Operator(), REQUIRED)),
    kernel_order=("src", "binary_op", "items_per_thread", "valid_items", "algorithm", "temp_storage", "threads_per_block"),
    host_order=("dtype", "threads_per_block", "binary_op", "items_per_thread", "algorithm"),
    template=_reduce_template, build=lambda c: _reduce_call(c, "Reduce"),
    aliases=_ALIASES | {"op": "binary_op", "reduction_op": "binary_op"}, reaches={"BlockReduce": ("Reduce",)}))

sum = PrimitiveFunction(Primitive(  # noqa: A001 (the seeds' name)
    "block", "sum",
    """Sum the block's items (CUB BlockReduce::Sum); the result is valid in thread 0.""",
    params=_reduce_params(),
    kernel_order=("src", "items_per_thread", "valid_items", "algorithm", "temp_storage", "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "algorithm"),
    template=_reduce_template, build=lambda c: _reduce_call(c, "Sum"), aliases=_ALIASES,
    reaches={"BlockReduce": ("Sum",)}))

__all__ = ["load", "store", "exchange", "scan", "exclusive_sum", "inclusive_sum", "exclusive_scan",
           "inclusive_scan", "reduce", "sum"]


# --------------------------------------------------------------------------- histogram (parent/child)


def _need(c, group, kind, hint):
    have = c.dtype(group) if kind == "dtype" else c.length(group)
    if have is None:
        what = c.group_label(group) if kind == "dtype" else c.length_label(group)
        c.fail(None, f"the {'dtype of ' if kind == 'dtype' else ''}{what} cannot be inferred", hint)
    return have


def _histogram_template(c):
    return _block(
        c, "BlockHistogram",
        {"T": _need(c, "T", "dtype", "pass the thread's samples (items), or item_dtype= to the two-phase constructor")},
        ItemsPerThread=_need(c, "ipt", "length", "pass the samples array (items) or items_per_thread="),
        Bins=_need(c, "bins", "length", "pass the histogram array (its length is the number of bins) or bins="),
        Algorithm=cub_member(c.value("algorithm")))


def _histogram_construct(c):
    return Construct(captured=("histogram",))


def _histogram_target(c):
    if not c.has("histogram"):
        c.fail("histogram", "no histogram array: none was given to coop.block.histogram(...) either",
               "pass the counters array here or to the constructor")
    return c.source("histogram")


_HIST = Param("histogram", Counters("CounterT", "bins"),
              doc="the bin counters, one per bin (shared memory, e.g. coop.shared.array(bins, np.uint32))")

histogram = PrimitiveFunction(Primitive(
    "block", "histogram",
    """A block-wide histogram (CUB BlockHistogram), as a parent object: ``histo =
    coop.block.histogram(items, smem_histogram)`` infers the sample dtype and items per thread
    from ``items``, the counter dtype and the number of bins from the histogram array, and the
    block shape from the launch. ``histo.init()`` zeroes the counters (CUB InitHistogram),
    ``histo.composite(items)`` adds a tile of samples to them (CUB Composite),
    ``histo.histogram(items)`` does both at once (CUB Histogram). Samples must be
    non-negative and below the number of bins.""",
    params=(Param("items", Items("T", "ipt", scalar=False), doc="the thread's samples"), _HIST,
            Param("algorithm", Enum(BlockHistogramAlgorithm), BlockHistogramAlgorithm.ATOMIC),
            Param("items_per_thread", Count("ipt")),
            Param("bins", Count("bins"), host_required=True, doc="the number of bins"),
            TEMP, DIMS,
            Param("item_dtype", DType("T"), REQUIRED, host_only=True, doc="the sample dtype"),
            Param("counter_dtype", DType("CounterT"), REQUIRED, host_only=True, doc="the counter dtype")),
    kernel_order=("items", "histogram", "algorithm", "items_per_thread", "bins", "temp_storage", "threads_per_block"),
    host_order=("item_dtype", "counter_dtype", "threads_per_block", "items_per_thread", "bins", "algorithm"),
    template=_histogram_template, construct=_histogram_construct,
    methods=(
        Method("init", "Zero the counters (CUB BlockHistogram::InitHistogram).",
               params=(Param("histogram", Counters("CounterT", "bins"), doc="the counters (default: the constructor's)"),),
               order=("histogram",),
               build=lambda c: CubCall("InitHistogram", {"histogram": _histogram_target(c)}, returns=None)),
        Method("composite", "Add the thread's samples to the counters (CUB BlockHistogram::Composite).",
               params=(Param("items", Items("T", "ipt", scalar=False), REQUIRED, doc="the thread's samples"),
                       Param("histogram", Counters("CounterT", "bins"), doc="the counters (default: the constructor's)")),
               order=("items", "histogram"),
               build=lambda c: CubCall("Composite", {"items": Arg("items"), "histogram": _histogram_target(c)},
                                       returns=None)),
        Method("histogram", "Zero the counters, then add the thread's samples (CUB BlockHistogram::Histogram: "
               "init and composite in one call).",
               params=(Param("items", Items("T", "ipt", scalar=False), REQUIRED, doc="the thread's samples"),
                       Param("histogram", Counters("CounterT", "bins"), doc="the counters (default: the constructor's)")),
               order=("items", "histogram"),
               build=lambda c: CubCall("Histogram", {"items": Arg("items"), "histogram": _histogram_target(c)},
                                       returns=None)),
    ),
    aliases=_ALIASES, reaches={"BlockHistogram": ("InitHistogram", "Composite", "Histogram")}))


# --------------------------------------------------------------------------- run-length decode (parent/child)


def _run_length_template(c):
    return _block(
        c, "BlockRunLengthDecode",
        {"ItemT": _need(c, "ItemT", "dtype", "pass run_values (or item_dtype= to the two-phase constructor)")},
        RunsPerThread=_need(c, "runs", "length", "pass run_values of a known length, or runs_per_thread="),
        DecodedItemsPerThread=_need(c, "decoded", "length", "pass decoded_items_per_thread="),
        DecodedOffsetT=c.dtype("DecodedOffsetT"))


def _run_length_construct(c):
    lengths, offsets = c.has("run_lengths"), c.has("run_offsets")
    if lengths == offsets:
        c.fail("run_lengths", "give exactly one of run_lengths and run_offsets" if lengths else
               "the runs need their lengths or their offsets", "run_lengths=... (with total_decoded_size) or run_offsets=...")
    if lengths and not c.has("total_decoded_size"):
        c.fail("total_decoded_size", "is required with run_lengths: CUB writes the decoded size to it",
               "a 1-element integer array")
    if offsets and c.has("total_decoded_size"):
        c.fail("total_decoded_size", "is not used with run_offsets (the last offset ends the decoded range)")
    args = {"run_values": Arg("run_values")}
    if lengths:
        args |= {"run_lengths": Arg("run_lengths"), "total_decoded_size": Arg("total_decoded_size")}
    else:
        args["run_offsets"] = Arg("run_offsets")
    return Construct(ctor=CubCall("__init__ts", args, returns=None))


def _decode_build(c):
    args = {"decoded_items": Arg("decoded_items"), "from_decoded_offset": Arg("decoded_window_offset")}
    if c.has("relative_offsets"):
        args["item_offsets"] = Arg("relative_offsets")
    if not c.has("decoded_window_offset"):
        args.pop("from_decoded_offset")
    return CubCall("RunLengthDecode", args, returns=None)


run_length = PrimitiveFunction(Primitive(
    "block", "run_length",
    """Run-length decoding (CUB BlockRunLengthDecode), as a parent object: ``rl =
    coop.block.run_length(run_values, run_lengths, runs_per_thread, decoded_items_per_thread,
    total_decoded_size)`` takes each thread's runs (values and lengths, or ``run_offsets=``
    instead of lengths) and writes the total decoded size to ``total_decoded_size[0]``;
    ``rl.decode(decoded_items, decoded_window_offset)`` writes the window of
    ``decoded_items_per_thread * threads`` decoded items starting at that offset, blocked, with
    ``relative_offsets`` (optional) receiving each item's offset within its run. Run lengths
    must be positive (CUB does not skip zero-length runs: measured on an H200).""",
    params=(Param("run_values", Items("ItemT", "runs", scalar=False), REQUIRED, doc="the thread's run values"),
            Param("run_lengths", IndexArray("runs", group="RunLengthT"), doc="the thread's run lengths"),
            Param("runs_per_thread", Count("runs")),
            Param("decoded_items_per_thread", Count("decoded"), REQUIRED, doc="decoded items per thread and window"),
            Param("total_decoded_size", Ref("TotalT"), doc="receives the number of decoded items"),
            Param("decoded_offset_dtype", DType("DecodedOffsetT", kernel=True), np.uint32,
                  doc="the type of decoded offsets"),
            Param("run_offsets", IndexArray("runs", group="RunOffsetT"), doc="each run's offset (instead of lengths)"),
            TEMP, DIMS,
            Param("item_dtype", DType("ItemT"), REQUIRED, host_only=True, doc="the run value dtype")),
    kernel_order=("run_values", "run_lengths", "runs_per_thread", "decoded_items_per_thread", "total_decoded_size",
                  "decoded_offset_dtype", "run_offsets", "temp_storage", "threads_per_block"),
    host_order=("item_dtype", "threads_per_block", "runs_per_thread", "decoded_items_per_thread",
                "decoded_offset_dtype"),
    template=_run_length_template, construct=_run_length_construct,
    methods=(
        Method("decode", "Decode one window of decoded_items_per_thread items per thread (CUB RunLengthDecode).",
               params=(Param("decoded_items", Items("ItemT", "decoded", scalar=False), REQUIRED,
                             doc="receives the decoded items (blocked)"),
                       Param("decoded_window_offset", Value("DecodedOffsetT"), doc="where the window starts (default 0)"),
                       Param("relative_offsets", IndexArray("decoded"),
                             doc="receives each item's offset within its run")),
               order=("decoded_items", "decoded_window_offset", "relative_offsets"),
               build=_decode_build),
    ),
    aliases=_ALIASES, reaches={"BlockRunLengthDecode": ("__init__ts", "RunLengthDecode")}))

__all__ += ["histogram", "run_length", *BLOCK_TYPES]


# --------------------------------------------------------------------------- families declared in their own modules
# (each module declares its primitives with the same model; they are public here, as coop.block.<name>)
from coop._radix import (radix_rank, radix_sort_keys, radix_sort_keys_descending, radix_sort_pairs,  # noqa: E402
                         radix_sort_pairs_descending)
__all__ += ["radix_sort_keys", "radix_sort_keys_descending", "radix_sort_pairs", "radix_sort_pairs_descending",
            "radix_rank"]
from coop._merge_sort import block_merge_sort_keys as merge_sort_keys  # noqa: E402
from coop._merge_sort import block_merge_sort_pairs as merge_sort_pairs  # noqa: E402
__all__ += ["merge_sort_keys", "merge_sort_pairs"]
from coop._neighbors import discontinuity, adjacent_difference, shuffle  # noqa: E402
__all__ += ["discontinuity", "adjacent_difference", "shuffle"]

# the earlier API's two-phase factory names (make_load, make_scan, ...): thin aliases of the host call
__all__ += make_factories(globals(), list(__all__))
