"""Warp-wide primitives over logical warps of ``threads_in_warp`` threads (a power of two
up to 32): ``coop.warp.load``, ``store``, ``exchange``, ``reduce``, ``sum``,
``exclusive_sum``, ``inclusive_sum``, ``exclusive_scan`` and ``inclusive_scan``.

CUB's warp classes need a TempStorage per logical warp; unless a ``coop.TempStorage`` is
given, one array of them is allocated for the block (its size taken from the launch's
block shape, or for 1024 threads when compiled without one) and indexed by warp.
"""

from __future__ import annotations

from cub_bindings import functional as F

from coop._common import (DTYPE, IPT, TEMP, VALID, VALID_LANES, WARP, WARP_ALIASES, initial_source, load_call,
                          no_bool_sum, op_source, store_call)
from coop._kinds import Enum, GlobalArray, IndexArray, Items, Operator, Output, Ref, Value
from coop._decl import REQUIRED, Arg, CubCall, Functor, Param, Primitive, Scratch
from coop._host import PrimitiveFunction
from coop.enums import WARP_TYPES, WarpExchangeAlgorithm, WarpExchangeType, WarpLoadAlgorithm, WarpStoreAlgorithm, cub_member

_ALIASES = WARP_ALIASES


def _load_build(c):
    return load_call(c, "block_itr", "items", "valid_items")


load = PrimitiveFunction(Primitive(
    "warp", "load",
    """Load ``items_per_thread * threads_in_warp`` items from ``src`` into each lane's ``dst``
    (CUB WarpLoad); ``valid_items``/``oob_default`` for a partial tile.""",
    params=(Param("src", GlobalArray(), REQUIRED), Param("dst", Output(), REQUIRED), IPT,
            Param("algorithm", Enum(WarpLoadAlgorithm), WarpLoadAlgorithm.DIRECT), WARP,
            VALID, Param("oob_default", Value()), TEMP, DTYPE),
    kernel_order=("src", "dst", "items_per_thread", "algorithm", "threads_in_warp", "valid_items", "oob_default",
                  "temp_storage"),
    host_order=("dtype", "items_per_thread", "threads_in_warp", "algorithm"),
    template=lambda c: ("WarpLoad", {"InputT": c.dtype(), "ITEMS_PER_THREAD": c.ipt,
                                     "ALGORITHM": cub_member(c.value("algorithm")),
                                     "LOGICAL_WARP_THREADS": c.warp_threads}),
    build=_load_build, aliases=_ALIASES))


def _store_build(c):
    return store_call(c, "block_itr", "items", "valid_items")


store = PrimitiveFunction(Primitive(
    "warp", "store",
    """Store each lane's ``src`` items to ``dst`` (CUB WarpStore); ``valid_items`` for a partial tile.""",
    params=(Param("dst", GlobalArray(), REQUIRED), Param("src", Output(), REQUIRED), IPT,
            Param("algorithm", Enum(WarpStoreAlgorithm), WarpStoreAlgorithm.DIRECT), WARP,
            VALID, TEMP, DTYPE),
    kernel_order=("dst", "src", "items_per_thread", "algorithm", "threads_in_warp", "valid_items", "temp_storage"),
    host_order=("dtype", "items_per_thread", "threads_in_warp", "algorithm"),
    template=lambda c: ("WarpStore", {"T": c.dtype(), "ITEMS_PER_THREAD": c.ipt,
                                      "ALGORITHM": cub_member(c.value("algorithm")),
                                      "LOGICAL_WARP_THREADS": c.warp_threads}),
    build=_store_build, aliases=_ALIASES))


def _exchange_build(c):
    kind = c.value("warp_exchange_type")
    scatter = kind == WarpExchangeType.ScatterToStriped
    if scatter and not c.has("ranks"):
        c.fail("ranks", "ScatterToStriped scatters by rank: ranks is required", "an int array of items-per-thread length")
    if not scatter and c.has("ranks"):
        c.fail("ranks", f"{kind!r} does not take ranks", "warp_exchange_type=ScatterToStriped")
    out = Arg("out") if c.has("out") else Arg("items")
    args = {"input_items": Arg("items"), "output_items": out}
    if scatter:
        args["ranks"] = Arg("ranks")
    return CubCall(kind.name, args, returns=None)


exchange = PrimitiveFunction(Primitive(
    "warp", "exchange",
    """Rearrange items across a logical warp (CUB WarpExchange): ``warp_exchange_type`` is
    StripedToBlocked, BlockedToStriped or ScatterToStriped (with ``ranks``). Writes ``out``,
    or ``items`` in place.""",
    params=(Param("items", Output(), REQUIRED), Param("out", Output()),
            Param("warp_exchange_type", Enum(WarpExchangeType), WarpExchangeType.StripedToBlocked),
            Param("ranks", IndexArray()), IPT, WARP,
            Param("algorithm", Enum(WarpExchangeAlgorithm), WarpExchangeAlgorithm.SMEM), TEMP, DTYPE),
    kernel_order=("items", "out", "warp_exchange_type", "ranks", "items_per_thread", "threads_in_warp", "algorithm",
                  "temp_storage"),
    host_order=("dtype", "items_per_thread", "threads_in_warp", "warp_exchange_type", "algorithm"),
    template=lambda c: ("WarpExchange", {"InputT": c.dtype(), "ITEMS_PER_THREAD": c.ipt,
                                         "LOGICAL_WARP_THREADS": c.warp_threads,
                                         "WARP_EXCHANGE_ALGORITHM": cub_member(c.value("algorithm"))}),
    build=_exchange_build,
    aliases=_ALIASES | {"input_items": "items", "output_items": "out", "kind": "warp_exchange_type"}))


# --------------------------------------------------------------------------- reduce / sum


def _reduce_call(c, method):
    if method == "Sum":
        no_bool_sum(c, "src")
    args = {"input": Arg("src")}
    if method == "Reduce":
        args["reduction_op"] = op_source(c, "binary_op")[2]
    if c.has("valid_items"):
        if not c.scalar:
            c.fail("valid_items", "CUB takes valid_items only with one item per lane", "a scalar input")
        args["valid_items"] = Arg("valid_items")
    return CubCall(method, args, returns="cub")


def _reduce_params(*extra):
    return (Param("src", Items(), REQUIRED), *extra, WARP, VALID_LANES, IPT, TEMP, DTYPE)


def _reduce_template(c):
    return "WarpReduce", {"T": c.dtype(), "LogicalWarpThreads": c.warp_threads}


reduce = PrimitiveFunction(Primitive(
    "warp", "reduce",
    """Reduce a logical warp's items with ``binary_op`` (CUB WarpReduce); the result is valid in
    lane 0. ``valid_items`` limits it to the first lanes. An array input is reduced per lane first.""",
    params=_reduce_params(Param("binary_op", Operator(), REQUIRED)),
    kernel_order=("src", "binary_op", "threads_in_warp", "valid_items", "items_per_thread", "temp_storage"),
    host_order=("dtype", "binary_op", "threads_in_warp", "items_per_thread"),
    template=_reduce_template, build=lambda c: _reduce_call(c, "Reduce"),
    aliases=_ALIASES | {"op": "binary_op", "reduction_op": "binary_op"}))

sum = PrimitiveFunction(Primitive(  # noqa: A001
    "warp", "sum",
    """Sum a logical warp's items (CUB WarpReduce::Sum); the result is valid in lane 0.""",
    params=_reduce_params(),
    kernel_order=("src", "threads_in_warp", "valid_items", "items_per_thread", "temp_storage"),
    host_order=("dtype", "threads_in_warp", "items_per_thread"),
    template=_reduce_template, build=lambda c: _reduce_call(c, "Sum"), aliases=_ALIASES))


# --------------------------------------------------------------------------- scans


def _scan_call(c, mode, op_param):
    if not c.scalar:
        c.fail("src", "warp scans take one item per lane", "a scalar (use coop.block scans for arrays)")
    kind, functor, op_src = op_source(c, op_param, F.plus) if op_param else ("cxx", F.plus, Functor(F.plus))
    is_sum = kind == "cxx" and functor is F.plus
    if is_sum:
        no_bool_sum(c, "src")
    partial = c.has("valid_items")
    tail = {"warp_aggregate": Arg("warp_aggregate")} if c.has("warp_aggregate") else {}
    name = "Exclusive" if mode == "exclusive" else "Inclusive"
    out = {"input": Arg("src"), f"{mode}_output": Scratch("out")}
    if is_sum and not partial and not c.has("initial_value"):
        return CubCall(f"{name}Sum", {**out, **tail}, returns="out")
    args = dict(out)
    if mode == "exclusive":
        init = initial_source(c, "initial_value", kind, functor, "an exclusive scan with a custom operator")
        if init is None:
            c.fail("initial_value", "an exclusive scan with a device-function operator needs initial_value "
                   "(CUB leaves lane 0's output undefined without one)")
        args["initial_value"] = init
    elif c.has("initial_value"):
        args["initial_value"] = Arg("initial_value")
    args["scan_op"] = op_src if op_src is not None else op_source(c, None, F.plus)[2]
    if partial:
        args["valid_items"] = Arg("valid_items")
    return CubCall(f"{name}Scan" + ("Partial" if partial else ""), {**args, **tail}, returns="out")


def _scan_params(*extra):
    return (Param("src", Items(), REQUIRED), *extra, Param("initial_value", Value()),
            VALID_LANES, Param("warp_aggregate", Ref()), WARP, TEMP, DTYPE)


def _scan_template(c):
    return "WarpScan", {"T": c.dtype(), "LOGICAL_WARP_THREADS": c.warp_threads}


_SCAN_DOC = """{what} across a logical warp (CUB WarpScan), one item per lane; returns the
    lane's result. ``initial_value`` seeds it, ``valid_items`` limits it to the first lanes,
    ``warp_aggregate`` (a 1-element array) receives the warp's total."""


def _sum_like(mode):
    return PrimitiveFunction(Primitive(
        "warp", f"{mode}_sum", _SCAN_DOC.format(what=f"An {mode} prefix sum"),
        params=_scan_params(),
        kernel_order=("src", "initial_value", "valid_items", "warp_aggregate", "threads_in_warp", "temp_storage"),
        host_order=("dtype", "threads_in_warp", "initial_value"),
        template=_scan_template, build=lambda c: _scan_call(c, mode, None), aliases=_ALIASES))


def _scan_like(mode):
    return PrimitiveFunction(Primitive(
        "warp", f"{mode}_scan", _SCAN_DOC.format(what=f"An {mode} scan with ``scan_op``"),
        params=_scan_params(Param("scan_op", Operator(), REQUIRED)),
        kernel_order=("src", "scan_op", "initial_value", "valid_items", "warp_aggregate", "threads_in_warp",
                      "temp_storage"),
        host_order=("dtype", "scan_op", "initial_value", "threads_in_warp"),
        template=_scan_template, build=lambda c: _scan_call(c, mode, "scan_op"), aliases=_ALIASES))


exclusive_sum = _sum_like("exclusive")
inclusive_sum = _sum_like("inclusive")
exclusive_scan = _scan_like("exclusive")
inclusive_scan = _scan_like("inclusive")

__all__ = ["load", "store", "exchange", "reduce", "sum", "exclusive_sum", "inclusive_sum", "exclusive_scan",
           "inclusive_scan"]
__all__ += WARP_TYPES


# --------------------------------------------------------------------------- families declared in their own modules
# (each module declares its primitives with the same model; they are public here, as coop.warp.<name>)
# [merge_sort]
