"""Block-wide primitives: ``coop.block.load``, ``store``, ``exchange``, ``scan`` (and
``exclusive_sum``, ``inclusive_sum``, ``exclusive_scan``, ``inclusive_scan``), ``reduce``
and ``sum``.

Each is declared once below: parameters, argument order in kernels and in the two-phase
constructor, the CUB class it specializes and the method call it makes. Everything else
(inference, checks, two-phase objects, lowering) is generic.
"""

from __future__ import annotations

from cub_bindings import functional as F

from coop._common import DIMS, DTYPE, IPT, TEMP, initial_source, load_call, op_source, store_call
from coop._decl import REQUIRED, Arg, CubCall, Param, Primitive, Scratch
from coop._host import PrimitiveFunction
from coop.enums import (BlockExchangeType, BlockLoadAlgorithm, BlockReduceAlgorithm, BlockScanAlgorithm,
                        BlockStoreAlgorithm, cub_member)

_ALIASES = {"dim": "threads_per_block"}


def _block(c, cls, **targs):
    x, y, z = c.dims
    return cls, {"T": c.dtype, "BlockDimX": x, **targs, "BlockDimY": y, "BlockDimZ": z}


# --------------------------------------------------------------------------- load / store


def _load_build(c):
    return load_call(c, "block_src_it", "dst_items", "block_items_end")


load = PrimitiveFunction(Primitive(
    "block", "load",
    """Load a tile of ``items_per_thread * threads`` items from ``src`` into each thread's ``dst``
    (CUB BlockLoad). ``num_valid_items`` guards a partial tile; ``oob_default`` fills the rest.""",
    params=(Param("src", "iterator", REQUIRED), Param("dst", "out", REQUIRED), IPT,
            Param("algorithm", "enum", BlockLoadAlgorithm.DIRECT, BlockLoadAlgorithm),
            Param("num_valid_items", "value", dtype="int"), Param("oob_default", "value"), TEMP, DIMS, DTYPE),
    kernel_order=("src", "dst", "items_per_thread", "algorithm", "num_valid_items", "oob_default", "temp_storage",
                  "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "algorithm"),
    template=lambda c: _block(c, "BlockLoad", ItemsPerThread=c.ipt, Algorithm=cub_member(c.value("algorithm"))),
    build=_load_build, dtype_from=("dst", "src"), aliases=_ALIASES))


def _store_build(c):
    return store_call(c, "block_itr", "items", "valid_items")


store = PrimitiveFunction(Primitive(
    "block", "store",
    """Store each thread's ``src`` items to a tile of ``dst`` (CUB BlockStore); ``num_valid_items``
    guards a partial tile.""",
    params=(Param("dst", "iterator", REQUIRED), Param("src", "out", REQUIRED), IPT,
            Param("algorithm", "enum", BlockStoreAlgorithm.DIRECT, BlockStoreAlgorithm),
            Param("num_valid_items", "value", dtype="int"), TEMP, DIMS, DTYPE),
    kernel_order=("dst", "src", "items_per_thread", "algorithm", "num_valid_items", "temp_storage", "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "algorithm"),
    template=lambda c: _block(c, "BlockStore", ItemsPerThread=c.ipt, Algorithm=cub_member(c.value("algorithm"))),
    build=_store_build, dtype_from=("src", "dst"), aliases=_ALIASES))


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
    params=(Param("items", "out", REQUIRED), Param("out", "out"),
            Param("block_exchange_type", "enum", BlockExchangeType.StripedToBlocked, BlockExchangeType),
            Param("ranks", "ranks"), Param("valid_flags", "flags"), IPT,
            Param("warp_time_slicing", "bool", False), TEMP, DIMS, DTYPE),
    kernel_order=("items", "out", "block_exchange_type", "ranks", "valid_flags", "items_per_thread",
                  "warp_time_slicing", "temp_storage", "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "block_exchange_type", "warp_time_slicing"),
    template=lambda c: _block(c, "BlockExchange", ItemsPerThread=c.ipt, WarpTimeSlicing=c.value("warp_time_slicing")),
    build=_exchange_build, dtype_from=("items", "out"),
    aliases=_ALIASES | {"input_items": "items", "output_items": "out", "kind": "block_exchange_type"}))


# --------------------------------------------------------------------------- scan


def _scan_call(c, mode, op_param):
    kind, functor, op_src = op_source(c, op_param, F.plus) if op_param else ("cxx", F.plus, None)
    is_sum = kind == "cxx" and functor is F.plus
    prefix, agg = c.has("block_prefix_callback_op"), c.has("block_aggregate")
    if prefix and agg:
        c.fail("block_aggregate", "CUB has no scan taking both a prefix callback and block_aggregate",
               "one of them (the callback receives the block aggregate)")
    if prefix:
        pk, _ = c.op("block_prefix_callback_op")
        if pk == "cxx":
            c.fail("block_prefix_callback_op", "must be stateful", "coop.StatefulOp(device_fn, state_array)")
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
    return (Param("src", "items", REQUIRED), Param("dst", "out"), IPT, *extra,
            Param("initial_value", "value"), Param("block_prefix_callback_op", "callback"),
            Param("block_aggregate", "ref"),
            Param("algorithm", "enum", BlockScanAlgorithm.RAKING, BlockScanAlgorithm), TEMP, DIMS, DTYPE)


def _scan_template(c):
    return _block(c, "BlockScan", Algorithm=cub_member(c.value("algorithm")))


_SCAN_DOC = """{what} across the block (CUB BlockScan). ``src`` is a scalar (the result is
    returned) or an array (the result goes to ``dst``, or ``src`` in place). ``initial_value``
    seeds the scan, ``block_aggregate`` (a 1-element array) receives the block's total,
    ``block_prefix_callback_op`` (``coop.StatefulOp(fn, state)``) supplies a running prefix
    across tiles."""
_SCAN_ALIASES = _ALIASES | {"prefix_op": "block_prefix_callback_op"}

scan = PrimitiveFunction(Primitive(
    "block", "scan", _SCAN_DOC.format(what="An exclusive or inclusive (``mode``) scan with ``scan_op``"),
    params=_scan_params(Param("mode", "choice", "exclusive", ("exclusive", "inclusive")),
                        Param("scan_op", "op")),
    kernel_order=("src", "dst", "items_per_thread", "initial_value", "mode", "scan_op", "block_prefix_callback_op",
                  "block_aggregate", "algorithm", "temp_storage", "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "initial_value", "mode", "scan_op", "algorithm"),
    template=_scan_template, build=lambda c: _scan_call(c, c.value("mode"), "scan_op"),
    dtype_from=("src", "dst"), aliases=_SCAN_ALIASES))


def _sum_like(mode):
    what = f"An {mode} prefix sum"
    return PrimitiveFunction(Primitive(
        "block", f"{mode}_sum", _SCAN_DOC.format(what=what),
        params=_scan_params(),
        kernel_order=("src", "dst", "items_per_thread", "initial_value", "block_prefix_callback_op", "block_aggregate",
                      "algorithm", "temp_storage", "threads_per_block"),
        host_order=("dtype", "threads_per_block", "items_per_thread", "initial_value", "algorithm"),
        template=_scan_template, build=lambda c: _scan_call(c, mode, None), dtype_from=("src", "dst"),
        aliases=_SCAN_ALIASES))


def _scan_like(mode):
    return PrimitiveFunction(Primitive(
        "block", f"{mode}_scan", _SCAN_DOC.format(what=f"An {mode} scan with ``scan_op``"),
        params=_scan_params(Param("scan_op", "op", REQUIRED)),
        kernel_order=("src", "dst", "scan_op", "initial_value", "items_per_thread", "block_prefix_callback_op",
                      "block_aggregate", "algorithm", "temp_storage", "threads_per_block"),
        host_order=("dtype", "threads_per_block", "scan_op", "initial_value", "items_per_thread", "algorithm"),
        template=_scan_template, build=lambda c: _scan_call(c, mode, "scan_op"), dtype_from=("src", "dst"),
        aliases=_SCAN_ALIASES))


exclusive_sum = _sum_like("exclusive")
inclusive_sum = _sum_like("inclusive")
exclusive_scan = _scan_like("exclusive")
inclusive_scan = _scan_like("inclusive")


# --------------------------------------------------------------------------- reduce / sum


def _reduce_call(c, method):
    args = {("input" if c.scalar else "inputs"): Arg("src")}
    if method == "Reduce":
        kind, f, src = op_source(c, "binary_op")
        args["reduction_op"] = src
    if c.has("num_valid"):
        if not c.scalar:
            c.fail("num_valid", "CUB takes num_valid only with one item per thread", "a scalar input")
        args["num_valid"] = Arg("num_valid")
    return CubCall(method, args, returns="cub")


def _reduce_params(*extra):
    return (Param("src", "items", REQUIRED), *extra, IPT, Param("num_valid", "value", dtype="int"),
            Param("algorithm", "enum", BlockReduceAlgorithm.WARP_REDUCTIONS, BlockReduceAlgorithm), TEMP, DIMS, DTYPE)


def _reduce_template(c):
    return _block(c, "BlockReduce", Algorithm=cub_member(c.value("algorithm")))


reduce = PrimitiveFunction(Primitive(
    "block", "reduce",
    """Reduce the block's items with ``binary_op`` (CUB BlockReduce); the result is valid in
    thread 0. ``num_valid`` limits a scalar reduction to the first threads.""",
    params=_reduce_params(Param("binary_op", "op", REQUIRED)),
    kernel_order=("src", "binary_op", "items_per_thread", "num_valid", "algorithm", "temp_storage", "threads_per_block"),
    host_order=("dtype", "threads_per_block", "binary_op", "items_per_thread", "algorithm"),
    template=_reduce_template, build=lambda c: _reduce_call(c, "Reduce"),
    aliases=_ALIASES | {"op": "binary_op", "reduction_op": "binary_op"}))

sum = PrimitiveFunction(Primitive(  # noqa: A001 (the seeds' name)
    "block", "sum",
    """Sum the block's items (CUB BlockReduce::Sum); the result is valid in thread 0.""",
    params=_reduce_params(),
    kernel_order=("src", "items_per_thread", "num_valid", "algorithm", "temp_storage", "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "algorithm"),
    template=_reduce_template, build=lambda c: _reduce_call(c, "Sum"), aliases=_ALIASES))

__all__ = ["load", "store", "exchange", "scan", "exclusive_sum", "inclusive_sum", "exclusive_scan",
           "inclusive_scan", "reduce", "sum"]
