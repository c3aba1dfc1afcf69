"""Warp-wide primitives over logical warps of ``threads_in_warp`` threads (a power of two
up to 32): ``coop.warp.load``, ``store``, ``exchange``, ``reduce``, ``sum``, ``max``,
``min``, the segmented reductions (``head_segmented_reduce``, ``tail_segmented_reduce``,
``head_segmented_sum``, ``tail_segmented_sum``), ``reduce_batched``, ``sum_batched``,
``exclusive_sum``, ``inclusive_sum``, ``exclusive_scan``, ``inclusive_scan``, ``scan``
(both results at once) and ``broadcast``.

CUB's warp classes need a TempStorage per logical warp; unless a ``coop.TempStorage`` is
given, one array of them is allocated for the block (its size taken from the launch's
block shape, or for 1024 threads when compiled without one) and indexed by warp.
"""

from __future__ import annotations

from cub_bindings import functional as F

from numba.cuda import types

from cub_bindings.extending import dtype_of, numba_type_of_dtype

from coop._common import (DTYPE, IPT, OFFSET, TEMP, VALID, VALID_LANES, WARP, WARP_ALIASES, initial_source, load_call,
                          check_sum, op_source, store_call)
from coop._kinds import (Choice, Count, Enum, Flag, GlobalArray, IndexArray, Items, Kind, Operator, Output,
                         Ref, Value, is_array)
from coop._decl import REQUIRED, Arg, CubCall, Functor, Param, Primitive, Scratch
from coop._host import PrimitiveFunction, make_factories
from coop.enums import WARP_TYPES, WarpExchangeAlgorithm, WarpExchangeType, WarpLoadAlgorithm, WarpStoreAlgorithm, cub_member

_ALIASES = WARP_ALIASES
_WARP_ONLY = {a: n for a, n in WARP_ALIASES.items() if n == "threads_in_warp"}  # no valid_items to alias


def _load_build(c):
    return load_call(c, "block_itr", "items", "valid_items")


load = PrimitiveFunction(Primitive(
    "warp", "load",
    """Load ``items_per_thread * threads_in_warp`` items from ``src`` (from ``src[offset]`` on)
    into each lane's ``dst`` (CUB WarpLoad); ``valid_items``/``oob_default`` for a partial tile.""",
    params=(Param("src", GlobalArray(), REQUIRED), Param("dst", Output(), REQUIRED), IPT,
            Param("algorithm", Enum(WarpLoadAlgorithm), WarpLoadAlgorithm.DIRECT), WARP,
            VALID, Param("oob_default", Value()), TEMP, OFFSET, DTYPE),
    kernel_order=("src", "dst", "items_per_thread", "algorithm", "threads_in_warp", "valid_items", "oob_default",
                  "temp_storage"),
    host_order=("dtype", "items_per_thread", "threads_in_warp", "algorithm"),
    template=lambda c: ("WarpLoad", {"InputT": c.dtype(), "ITEMS_PER_THREAD": c.ipt,
                                     "ALGORITHM": cub_member(c.value("algorithm")),
                                     "LOGICAL_WARP_THREADS": c.warp_threads}),
    build=_load_build, aliases=_ALIASES, reaches={"WarpLoad": ("Load",)}))


def _store_build(c):
    return store_call(c, "block_itr", "items", "valid_items")


store = PrimitiveFunction(Primitive(
    "warp", "store",
    """Store each lane's ``src`` items to ``dst`` (from ``dst[offset]`` on) (CUB WarpStore);
    ``valid_items`` for a partial tile.""",
    params=(Param("dst", GlobalArray(), REQUIRED), Param("src", Output(), REQUIRED), IPT,
            Param("algorithm", Enum(WarpStoreAlgorithm), WarpStoreAlgorithm.DIRECT), WARP,
            VALID, TEMP, OFFSET, DTYPE),
    kernel_order=("dst", "src", "items_per_thread", "algorithm", "threads_in_warp", "valid_items", "temp_storage"),
    host_order=("dtype", "items_per_thread", "threads_in_warp", "algorithm"),
    template=lambda c: ("WarpStore", {"T": c.dtype(), "ITEMS_PER_THREAD": c.ipt,
                                      "ALGORITHM": cub_member(c.value("algorithm")),
                                      "LOGICAL_WARP_THREADS": c.warp_threads}),
    build=_store_build, aliases=_ALIASES, reaches={"WarpStore": ("Store",)}))


class _OffsetDType(Kind):
    """The integer type of WarpExchange's ranks (CUB's OffsetT), stated in a kernel or on the host."""

    host = True
    compile_time = True
    doc = "a NumPy/Numba integer dtype"

    def _integer(self, c, p, dt, given):
        if dt is None or not isinstance(dt, types.Integer):
            c.fail(p.name, f"the ranks' offsets must be integers, got {dt if dt is not None else given!r}",
                   "np.int32 (or another integer type)")
        return dt

    def infer(self, c, p, ty):
        c.vote_dtype("OffsetT", self._integer(c, p, dtype_of(ty), ty), p.name, explicit=True)

    def host_value(self, c, p, v):
        try:
            ty = numba_type_of_dtype(v)
        except Exception:
            ty = None
        return types.NumberClass(self._integer(c, p, ty, v)), ty

    def infer_host(self, c, p, v):
        c.vote_dtype("OffsetT", v, p.name, explicit=True)


def _exchange_template(c):
    kind, alg = c.value("warp_exchange_type"), c.value("algorithm")
    if alg == WarpExchangeAlgorithm.SHUFFLE:  # CUB's WarpExchangeShfl static_asserts these
        if c.ipt != c.warp_threads:
            c.fail("algorithm", f"SHUFFLE needs items_per_thread == threads_in_warp, got {c.ipt} items per thread "
                   f"and {c.warp_threads} threads", "algorithm=\"smem\", or as many items per thread as threads")
        if kind == WarpExchangeType.ScatterToStriped:
            c.fail("algorithm", "SHUFFLE has no ScatterToStriped", "algorithm=\"smem\" to scatter by rank")
        if not isinstance(c.dtype(), (types.Integer, types.Float, types.Boolean)):
            c.fail("algorithm", f"SHUFFLE moves items with __shfl_xor_sync, which takes numbers, not {c.dtype()}",
                   "algorithm=\"smem\"")
    return "WarpExchange", {"InputT": c.dtype(), "ITEMS_PER_THREAD": c.ipt, "LOGICAL_WARP_THREADS": c.warp_threads,
                            "WARP_EXCHANGE_ALGORITHM": cub_member(alg)}


def _exchange_build(c):
    kind = c.value("warp_exchange_type")
    scatter = kind == WarpExchangeType.ScatterToStriped
    if scatter and not c.has("ranks"):
        c.fail("ranks", "ScatterToStriped scatters by rank: ranks is required", "an int array of items-per-thread length")
    if not scatter and c.has("ranks"):
        c.fail("ranks", f"{kind!r} does not take ranks", "warp_exchange_type=ScatterToStriped")
    if c.has("offset_dtype") and not scatter:
        c.fail("offset_dtype", f"is the type of ranks, which {kind!r} does not take", "omit it, or scatter_to_striped")
    out = Arg("out") if c.has("out") else Arg("items")
    args = {"input_items": Arg("items"), "output_items": out}
    if scatter:
        args["ranks"] = Arg("ranks")
    return CubCall(kind.name, args, returns=None)


exchange = PrimitiveFunction(Primitive(
    "warp", "exchange",
    """Rearrange items across a logical warp (CUB WarpExchange): ``warp_exchange_type`` is
    StripedToBlocked, BlockedToStriped or ScatterToStriped (with ``ranks``, whose integer type
    is CUB's OffsetT: ``offset_dtype`` states it). Writes ``out``, or ``items`` in place.
    ``algorithm="shuffle"`` (register shuffles, no shared memory) needs items_per_thread ==
    threads_in_warp, number items and no scatter, as CUB requires.""",
    params=(Param("items", Output(), REQUIRED), Param("out", Output()),
            Param("warp_exchange_type", Enum(WarpExchangeType), WarpExchangeType.StripedToBlocked),
            Param("ranks", IndexArray(group="OffsetT")), IPT, WARP,
            Param("algorithm", Enum(WarpExchangeAlgorithm), WarpExchangeAlgorithm.SMEM),
            Param("offset_dtype", _OffsetDType(),
                  doc="the ranks' integer type (CUB's OffsetT); default: the dtype of ranks"),
            TEMP, DTYPE),
    kernel_order=("items", "out", "warp_exchange_type", "ranks", "items_per_thread", "threads_in_warp", "algorithm",
                  "offset_dtype", "temp_storage"),
    host_order=("dtype", "items_per_thread", "threads_in_warp", "warp_exchange_type", "algorithm", "offset_dtype"),
    template=_exchange_template,
    build=_exchange_build, reaches={"WarpExchange": tuple(t.name for t in WarpExchangeType)},
    aliases=_ALIASES | {"input_items": "items", "output_items": "out", "kind": "warp_exchange_type"}))


# --------------------------------------------------------------------------- reduce / sum


def _reduce_call(c, method):
    if method == "Sum":
        check_sum(c, "src")
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
    aliases=_ALIASES | {"op": "binary_op", "reduction_op": "binary_op"}, reaches={"WarpReduce": ("Reduce",)}))

sum = PrimitiveFunction(Primitive(  # noqa: A001
    "warp", "sum",
    """Sum a logical warp's items (CUB WarpReduce::Sum); the result is valid in lane 0.""",
    params=_reduce_params(),
    kernel_order=("src", "threads_in_warp", "valid_items", "items_per_thread", "temp_storage"),
    host_order=("dtype", "threads_in_warp", "items_per_thread"),
    template=_reduce_template, build=lambda c: _reduce_call(c, "Sum"), aliases=_ALIASES,
    reaches={"WarpReduce": ("Sum",)}))


def _extreme(name, method):
    return PrimitiveFunction(Primitive(
        "warp", name,
        f"""The {name}imum of a logical warp's items (CUB WarpReduce::{method}); the result is valid in
    lane 0. ``valid_items`` limits it to the first lanes. An array input is reduced per lane first.""",
        params=_reduce_params(),
        kernel_order=("src", "threads_in_warp", "valid_items", "items_per_thread", "temp_storage"),
        host_order=("dtype", "threads_in_warp", "items_per_thread"),
        template=_reduce_template, build=lambda c: _reduce_call(c, method), aliases=_ALIASES,
        reaches={"WarpReduce": (method,)}))


max = _extreme("max", "Max")  # noqa: A001
min = _extreme("min", "Min")  # noqa: A001


# --------------------------------------------------------------------------- segmented reductions


class _LaneItem(Items):
    """One item per lane (CUB's ``T input``); an array is refused by the primitive's build."""

    def __init__(self):
        super().__init__()
        self.doc = "the lane's item: a scalar"


class _LaneFlag(Kind):
    """One flag per lane: an integer or bool scalar of its own type (CUB's FlagT)."""

    doc = "the lane's flag: an integer or bool scalar (nonzero: flagged)"

    def infer(self, c, p, ty):
        if is_array(ty):
            c.fail(p.name, f"CUB takes one flag per lane, got {ty}", "a scalar, e.g. flags[i]")
        if not isinstance(types.unliteral(ty), (types.Integer, types.Boolean)):
            c.fail(p.name, f"must be an integer or bool flag, got {ty} (CUB would truncate it to an int)",
                   "an integer or bool scalar, e.g. x != 0")
        c.vote_dtype("FlagT", types.unliteral(ty), p.name)

    def cub_type(self, c, p, ty):
        return types.unliteral(ty)


def _segmented_call(c, method, flag, op):
    if not c.scalar:
        c.fail("src", "CUB's segmented reductions take one item per lane", "a scalar")
    args = {"input": Arg("src"), flag: Arg(flag)}
    if op:
        args["reduction_op"] = op_source(c, "binary_op")[2]
    else:
        check_sum(c, "src")
    return CubCall(method, args, returns="cub")


_SEGMENT_DOC = """{what} of each segment of a logical warp (CUB WarpReduce::{method}), one item per
    lane. {segments} Each segment's result is returned to the first lane of the segment (lane 0
    always is one); what the other lanes get is undefined."""
_HEADS = ("Segments start at lane 0 and at every lane whose ``head_flag`` is nonzero (lane 0's "
          "flag is ignored).")
_TAILS = ("Segments end at every lane whose ``tail_flag`` is nonzero and at the last lane; the "
          "lane after a flagged lane starts the next one.")


def _segmented(name, method, flag, op):
    what = "The reduction with ``binary_op``" if op else "The sum"
    params = (Param("src", _LaneItem(), REQUIRED), Param(flag, _LaneFlag(), REQUIRED),
              *((Param("binary_op", Operator(), REQUIRED),) if op else ()), WARP, TEMP, DTYPE)
    ops = ("binary_op",) if op else ()
    return PrimitiveFunction(Primitive(
        "warp", name,
        _SEGMENT_DOC.format(what=what, method=method, segments=_HEADS if flag == "head_flag" else _TAILS),
        params=params,
        kernel_order=("src", flag, *ops, "threads_in_warp", "temp_storage"),
        host_order=("dtype", *ops, "threads_in_warp"),
        template=_reduce_template, build=lambda c: _segmented_call(c, method, flag, op),
        reaches={"WarpReduce": (method,)},
        aliases=_WARP_ONLY | {"flag": flag} | ({"op": "binary_op", "reduction_op": "binary_op"} if op else {})))


head_segmented_reduce = _segmented("head_segmented_reduce", "HeadSegmentedReduce", "head_flag", True)
tail_segmented_reduce = _segmented("tail_segmented_reduce", "TailSegmentedReduce", "tail_flag", True)
head_segmented_sum = _segmented("head_segmented_sum", "HeadSegmentedSum", "head_flag", False)
tail_segmented_sum = _segmented("tail_segmented_sum", "TailSegmentedSum", "tail_flag", False)


# --------------------------------------------------------------------------- batched reductions


class _BatchItems(Items):
    def __init__(self):
        super().__init__("T", "batches", scalar=False)
        self.doc = "a thread-local array, one item per batch"


class _BatchResults(Output):
    def __init__(self):
        super().__init__("T", "outs")
        self.doc = "a thread-local array of ceil(batches / threads_in_warp) items of the inputs' dtype"


def _batched_call(c, method):
    if method == "Sum":
        check_sum(c, "inputs")
    batches, lanes = c.length("batches"), c.warp_threads
    need = -(-batches // lanes)
    args = {"inputs": Arg("inputs")}
    if method == "Reduce":
        args["reduction_op"] = op_source(c, "binary_op")[2]
    if not c.has("outputs"):
        if batches > lanes:
            c.fail("outputs", f"{batches} batches over {lanes} lanes give each lane {need} results, not one",
                   f"outputs=coop.local.array({need}, dtype), with arrangement \"striped\" or \"blocked\"")
        if c.has("arrangement"):
            c.fail("arrangement", "only applies with outputs (one result per lane is both striped and blocked)",
                   "omit it, or pass outputs")
        return CubCall(method, args, returns="cub")
    n = c.length("outs")
    if n != need:
        c.fail("outputs", f"holds {n} items, but {batches} batches over {lanes} lanes give ceil({batches}/{lanes}) = "
               f"{need} results per lane", f"an array of {need} items")
    to = "ToBlocked" if c.value("arrangement") == "blocked" else "ToStriped"
    return CubCall(method + to, {"inputs": Arg("inputs"), "outputs": Arg("outputs"),
                                 **({"reduction_op": args["reduction_op"]} if method == "Reduce" else {})},
                   returns=None)


def _batched_template(c):
    return "WarpReduceBatched", {"T": c.dtype(), "Batches": c.length("batches"), "LogicalWarpThreads": c.warp_threads,
                                 "SyncPhysicalWarp": c.value("sync_physical_warp")}


_BATCHED_DOC = """{what}: ``batches`` independent reductions across a logical warp at once (CUB
    WarpReduceBatched); ``inputs[b]`` is the lane's item of batch ``b``. Without ``outputs`` (at
    most threads_in_warp batches) lane ``i`` returns batch ``i``'s result. With ``outputs`` (an
    array of ceil(batches / threads_in_warp) items), ``arrangement="striped"`` puts batch
    ``i + j * threads_in_warp`` in lane ``i``'s ``outputs[j]``, ``"blocked"`` batch
    ``i * len(outputs) + j``. Results without a batch are undefined. ``sync_physical_warp=True``
    syncs the whole 32-thread warp (faster for small logical warps; every logical warp of the
    physical warp must then make the call, or it deadlocks)."""


def _batched(name, method):
    op = method == "Reduce"
    ops = ("binary_op",) if op else ()
    return PrimitiveFunction(Primitive(
        "warp", name,
        _BATCHED_DOC.format(what="Reduce with ``binary_op``" if op else "Sum"),
        params=(Param("inputs", _BatchItems(), REQUIRED,
                      doc="the lane's item of every batch (its length is the number of batches)"),
                Param("outputs", _BatchResults(), doc="receives the lane's results (default: returned)"),
                *((Param("binary_op", Operator(), REQUIRED),) if op else ()),
                Param("arrangement", Choice("striped", "blocked"), "striped", doc="how results fill outputs"),
                Param("batches", Count("batches"), host_required=True,
                      doc="the number of batches; inferred from inputs when omitted"),
                WARP, Param("sync_physical_warp", Flag(), False, doc="CUB's SyncPhysicalWarp"), TEMP, DTYPE),
        kernel_order=("inputs", "outputs", *ops, "arrangement", "batches", "threads_in_warp", "sync_physical_warp",
                      "temp_storage"),
        host_order=("dtype", "batches", *ops, "threads_in_warp", "arrangement", "sync_physical_warp"),
        template=_batched_template, build=lambda c: _batched_call(c, method),
        reaches={"WarpReduceBatched": (method, f"{method}ToStriped", f"{method}ToBlocked")},
        aliases=_WARP_ONLY | {"src": "inputs", "dst": "outputs"}
        | ({"op": "binary_op", "reduction_op": "binary_op"} if op else {})))


reduce_batched = _batched("reduce_batched", "Reduce")
sum_batched = _batched("sum_batched", "Sum")


# --------------------------------------------------------------------------- scans


def _scan_call(c, mode, op_param):
    if not c.scalar:
        c.fail("src", "warp scans take one item per lane", "a scalar (use coop.block scans for arrays)")
    kind, functor, op_src = op_source(c, op_param, F.plus) if op_param else ("cxx", F.plus, Functor(F.plus))
    is_sum = kind == "cxx" and functor is F.plus
    if is_sum:
        check_sum(c, "src")
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
        template=_scan_template, build=lambda c: _scan_call(c, mode, None), aliases=_ALIASES,
        reaches={"WarpScan": (f"{mode.title()}Sum", f"{mode.title()}Scan", f"{mode.title()}ScanPartial")}))


def _scan_like(mode):
    return PrimitiveFunction(Primitive(
        "warp", f"{mode}_scan", _SCAN_DOC.format(what=f"An {mode} scan with ``scan_op``"),
        params=_scan_params(Param("scan_op", Operator(), REQUIRED)),
        kernel_order=("src", "scan_op", "initial_value", "valid_items", "warp_aggregate", "threads_in_warp",
                      "temp_storage"),
        host_order=("dtype", "scan_op", "initial_value", "threads_in_warp"),
        template=_scan_template, build=lambda c: _scan_call(c, mode, "scan_op"), aliases=_ALIASES,
        reaches={"WarpScan": (f"{mode.title()}Sum", f"{mode.title()}Scan", f"{mode.title()}ScanPartial")}))


exclusive_sum = _sum_like("exclusive")
inclusive_sum = _sum_like("inclusive")
exclusive_scan = _scan_like("exclusive")
inclusive_scan = _scan_like("inclusive")


def _both_call(c):
    if not c.scalar:
        c.fail("src", "warp scans take one item per lane", "a scalar (use coop.block scans for arrays)")
    kind, functor, op_src = op_source(c, "scan_op", F.plus)
    if kind == "cxx" and functor is F.plus:
        check_sum(c, "src")
    init = initial_source(c, "initial_value", kind, functor, "scan (its exclusive result)")
    if init is None:
        c.fail("initial_value", "is required with a device-function operator: CUB leaves lane 0's exclusive "
               "result undefined without one", "initial_value=<the operator's identity>")
    args = {"input": Arg("src"), "inclusive_output": Scratch("inclusive"), "exclusive_output": Scratch("exclusive"),
            "initial_value": init, "scan_op": op_src}
    if c.has("valid_items"):
        args["valid_items"] = Arg("valid_items")
    return CubCall("ScanPartial" if c.has("valid_items") else "Scan", args, returns=("inclusive", "exclusive"))


scan = PrimitiveFunction(Primitive(
    "warp", "scan",
    """Both scans at once across a logical warp (CUB WarpScan::Scan), one item per lane:
    ``inclusive, exclusive = coop.warp.scan(x, scan_op)``. ``initial_value`` seeds both (it is
    lane 0's exclusive result; default: the operator's identity, required for a device
    function). ``valid_items`` limits the scan to the first lanes (CUB ScanPartial; the other
    lanes' results are undefined). CUB's Scan has no warp aggregate: broadcast the last lane's
    inclusive result for it.""",
    params=(Param("src", _LaneItem(), REQUIRED), Param("scan_op", Operator(), doc="default \"+\""),
            Param("initial_value", Value()), VALID_LANES, WARP, TEMP, DTYPE),
    kernel_order=("src", "scan_op", "initial_value", "valid_items", "threads_in_warp", "temp_storage"),
    host_order=("dtype", "scan_op", "initial_value", "threads_in_warp"),
    template=_scan_template, build=_both_call, aliases=_ALIASES | {"op": "scan_op"},
    reaches={"WarpScan": ("Scan", "ScanPartial")}))


class _SourceLane(Value):
    """A lane of the logical warp: a constant is checked against threads_in_warp."""

    def __init__(self):
        super().__init__("int", minimum=0)
        self.doc = ("a lane index, 0..threads_in_warp-1 (a constant is checked; CUDA takes a runtime value "
                    "modulo threads_in_warp)")

    def check(self, c, p, ty):
        super().check(c, p, ty)
        from coop._sim import in_simulated_kernel  # there every int looks constant: a run-time lane is taken modulo

        if isinstance(ty, types.IntegerLiteral) and ty.literal_value >= c.warp_threads and not in_simulated_kernel():
            c.fail(p.name, f"lane {ty.literal_value} is not in the logical warp of {c.warp_threads} threads",
                   f"0..{c.warp_threads - 1}")


def _broadcast_call(c):
    if not c.scalar:
        c.fail("src", "CUB broadcasts one item per lane", "a scalar (broadcast each item of an array)")
    return CubCall("Broadcast", {"input": Arg("src"), "src_lane": Arg("src_lane")}, returns="cub")


broadcast = PrimitiveFunction(Primitive(
    "warp", "broadcast",
    """Every lane of a logical warp gets lane ``src_lane``'s ``src`` (CUB WarpScan::Broadcast).""",
    params=(Param("src", _LaneItem(), REQUIRED), Param("src_lane", _SourceLane(), REQUIRED, doc="the lane to read"),
            WARP, TEMP, DTYPE),
    kernel_order=("src", "src_lane", "threads_in_warp", "temp_storage"),
    host_order=("dtype", "threads_in_warp"),
    template=_scan_template, build=_broadcast_call, aliases=_WARP_ONLY | {"lane": "src_lane"},
    reaches={"WarpScan": ("Broadcast",)}))

__all__ = ["load", "store", "exchange", "reduce", "sum", "max", "min", "head_segmented_reduce",
           "tail_segmented_reduce", "head_segmented_sum", "tail_segmented_sum", "reduce_batched", "sum_batched",
           "exclusive_sum", "inclusive_sum", "exclusive_scan", "inclusive_scan", "scan", "broadcast"]
__all__ += WARP_TYPES


# --------------------------------------------------------------------------- families declared in their own modules
# (each module declares its primitives with the same model; they are public here, as coop.warp.<name>)
from coop._merge_sort import warp_merge_sort_keys as merge_sort_keys  # noqa: E402
from coop._merge_sort import warp_merge_sort_pairs as merge_sort_pairs  # noqa: E402
__all__ += ["merge_sort_keys", "merge_sort_pairs"]

# the earlier API's two-phase factory names (make_load, make_scan, ...): thin aliases of the host call
__all__ += make_factories(globals(), list(__all__))
