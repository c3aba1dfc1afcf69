"""Typing of every primitive call, from its declaration: kernel calls, two-phase constructors
and the methods of parent objects all go through ``Call``.

``bind`` is the one argument folder (kernel calls, two-phase constructors, methods).
``infer`` runs every parameter kind's ``infer``/``check`` to fill the dtype groups, length
groups and block shape; the primitive's ``template``/``build`` then name the CUB class and
call, which ``cub_bindings.extending.resolve_method`` resolves. The result is a ``Plan``;
``_numba_types`` returns it inside the call's signature so lowering receives it.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from numba.cuda import types

from cub_bindings.extending import (CxxFunctorType, FixedArray, NoOverload, numba_type_of_dtype, TemplateArgumentError, is_supported_scalar,
                                    resolve_method, specialize, temp_storage_layouts, static_length,
                                    value_object_type)

from coop import _launch, _limits, _ops
from coop._arrays import PlannedStorageType, ThreadDataType, refine_temp_storage, refine_thread_data
from coop._decl import Arg, Captured, Const, CubCall, Functor, Helper, Primitive, Scratch
from coop._barriers import block_sync
from coop._errors import CoopError, current_call, fail
from coop._kinds import (BlockDims, Count, DType, GlobalArray, Operator, Output, Ref, WarpThreads, _absent,
                         is_array)

P = inspect.Parameter
_GROUP_LABELS = {"T": "the items", "CounterT": "the counters", "KeyT": "the keys", "ValueT": "the values",
                 "FlagT": "the flags", "OffsetT": "the ranks"}
_LENGTH_LABELS = {"ipt": "items per thread", "bins": "bins", "runs": "runs per thread",
                  "decoded": "decoded items per thread"}


@dataclass
class Plan:
    """What one call means: the CUB class, method and arguments, and its storage."""

    what: str  # "coop.block.scan" or "coop.block.histogram.init"
    call: CubCall | None
    cub: object  # cub_bindings CallPlan (None for a non-persistent parent's construction)
    specialization: object
    names: list  # argument names, in signature order
    sources: list  # per CUB supplied argument: (source, Numba type handed to CUB)
    storage: str  # "implicit" | "user" | "per_warp" | "object"
    warps: int
    warp_threads: int
    scope: str
    sync: str | None  # "block" | "warp" | None: barrier before the call
    length_checks: list  # (argument name, items): runtime guards for arrays of unknown length
    returns: object
    consts: dict  # host-fixed argument values
    obj: object = None  # parent construction: the ObjectType it returns
    captured: dict = field(default_factory=dict)  # parent construction: captured name -> Numba type
    bound_storage: bool = False  # temp_storage is the callee's value (``prim[temp](...)``), not an argument
    storage_offset: int = 0  # bytes into a user TempStorage where this call's CUB TempStorage starts


class Call:
    """The folded arguments of one call, and what inference made of them."""

    def __init__(self, what: str, params, context=None, given=None, fixed=None, scope="block"):
        self.what, self.context, self.scope = what, context, scope
        self.params = {p.name: p for p in params}
        self.given = dict(given or {})  # name -> Numba type (kernel arguments)
        self.fixed = dict(fixed or {})  # name -> (Numba type, host value): two-phase / captured
        self.dtypes: dict = {}
        self.lengths: dict = {}
        self._votes: dict = {}
        self._length_votes: dict = {}
        self.scalar = False
        self.dims = None
        self.warp_threads = None
        self.variables: dict = {}  # argument name -> the call's IR variable (for type refinement)

    # ------------------------------------------------------------------ access
    def type(self, name):
        if name in self.given:
            t = self.given[name]
            return None if _absent(t) else t
        if name in self.fixed:
            return self.fixed[name][0]
        return None

    def has(self, name) -> bool:
        return self.type(name) is not None

    def value(self, name):
        """The compile-time value of a constant argument (or its default)."""
        p = self.params[name]
        if name in self.fixed and name not in self.given:
            return self.fixed[name][1]
        ty = self.type(name)
        if ty is None:
            return None if p.required else p.default
        return p.kind.value(self, p, ty)

    def dtype(self, group="T"):
        return self.dtypes.get(group)

    def length(self, group="ipt"):
        return self.lengths.get(group)

    @property
    def ipt(self):
        return self.lengths.get("ipt")

    def group_label(self, group):
        return _GROUP_LABELS.get(group, f"the {group} values")

    def length_label(self, group):
        return _LENGTH_LABELS.get(group, group)

    def source(self, name):
        """Where a method's argument comes from: the call (Arg) or the parent object (Captured)."""
        from coop._decl import Arg, Captured

        return Arg(name) if name in self.given and not _absent(self.given[name]) else Captured(name)

    def op(self, name):
        """(kind, functor) of an operator argument; kind "cxx" | "device" | "stateful"."""
        role = getattr(self.params[name].kind, "role", "binary")
        kind, f = _ops.kernel_op(self.type(name), role)
        if kind is None:
            self.fail(name, f"is not an operator here: {self.type(name)}", _ops.ROLES[role].valid)
        return kind, f

    def fail(self, arg, message, valid=None):
        fail(self.what, arg, message, valid)

    # ------------------------------------------------------------------ inference facts
    def vote_dtype(self, group, ty, source, explicit=False, weak=False):
        if group is not None:
            self._votes.setdefault(group, []).append((types.unliteral(ty), source, explicit, weak))

    def voted_dtypes(self, group) -> list:
        """The dtypes voted for ``group`` so far (before settling), in vote order."""
        return [v[0] for v in self._votes.get(group, [])]

    def vote_length(self, group, n, source, explicit=False):
        if group is not None:
            self._length_votes.setdefault(group, []).append((n, source, explicit))

    def normalize_dims(self, name, vals):
        try:
            return _launch.normalize_dims(vals)
        except (TypeError, ValueError) as exc:
            self.fail(name, str(exc))

    def resolve_thread_data(self, name, ty, group):
        """A ThreadData argument is refined to the local array of its group's dtype."""
        if isinstance(ty, ThreadDataType):
            return refine_thread_data(ty, self.dtype(group), self.variables.get(name), self.what, name)
        return ty


# --------------------------------------------------------------------------- folding


def bind(what: str, params, order, args, kws, aliases, *, fixed=(), host=False):
    """Fold a call's arguments: (name -> value or type, names in call order, names as written).

    The rule (kernel calls, two-phase constructors and methods alike): positional arguments
    bind in ``order``, skipping parameters already fixed (by a two-phase constructor); an
    optional output array is skipped when the positional value is not an array (so
    ``exclusive_scan(x, "max")`` reads naturally). Keywords bind by name or alias. Every
    value is then checked against the kind of the parameter it bound to, so a value that
    lands on a parameter of another kind is an error naming that parameter, never a guess.
    """
    by_name = {p.name: p for p in params}
    names = [n for n in order if n not in fixed]
    given, order_out, written = {}, [], []
    k = 0
    for i, a in enumerate(args):
        while k < len(names) and not host and _skippable(by_name[names[k]], a):
            k += 1
        if k >= len(names):
            fail(what, None, f"takes at most {len(names)} positional arguments ({', '.join(names)}), got {len(args)}")
        given[names[k]] = a
        order_out.append(names[k])
        written.append(names[k])
        k += 1
    for key, a in kws.items():
        name = aliases.get(key, key)
        p = by_name.get(name)
        if name in fixed:
            fail(what, key, "is fixed by the two-phase constructor of this primitive",
                 f"omit it here, or use the single-phase form {what}(...)")
        allowed = p is not None and ((name in order or p.host_only) if host else (p.kind.kernel and not p.host_only))
        if not allowed:
            if host and p is not None:
                fail(what, key, "cannot be fixed on the host; pass it in the kernel call")
            valid = list(order) if host else [q.name for q in params
                                              if q.kind.kernel and not q.host_only and q.name not in fixed]
            fail(what, key, "unknown keyword", ", ".join(valid))
        if name in given:
            fail(what, key, "given twice")
        given[name] = a
        order_out.append(name)
        written.append(key)
    return given, order_out, written


def _skippable(p, value) -> bool:
    return isinstance(p.kind, Output) and not p.required and not is_array(value)


# --------------------------------------------------------------------------- inference


def default_votes(c: Call, params):
    """Dtype parameters left at their default (``decoded_offset_dtype=np.uint32``) vote last."""
    for p in params:
        if isinstance(p.kind, DType) and p.default is not None and not p.required and not c.has(p.name):
            c.vote_dtype(p.kind.group, numba_type_of_dtype(p.default), p.name, weak=True)


def infer(c: Call, params, *, scalar_group="T"):
    """Run the kinds' inference over the given arguments, settle the groups, check."""
    default_votes(c, params)
    for p in params:
        if p.name in c.fixed and p.name not in c.given:
            p.kind.infer_host(c, p, c.fixed[p.name][1])
    for p in params:
        ty = c.given.get(p.name)
        if ty is None or _absent(ty):
            continue
        p.kind.infer(c, p, ty)
    _settle_dtypes(c)
    _settle_lengths(c, params)
    counts = {getattr(p.kind, "length", None): p.name for p in params if isinstance(p.kind, Count)}
    for p in params:
        ty = c.given.get(p.name)
        if ty is None or _absent(ty):
            continue
        group = getattr(p.kind, "group", None)
        if group is not None and c.dtype(group) is None:
            require_dtype(c, group, p.name)
        length = getattr(p.kind, "length", None)
        if length is not None and c.length(length) is None and is_array(ty):
            require_length(c, length, counts.get(length, "items_per_thread"))
    for p in params:
        ty = c.given.get(p.name)
        if ty is not None and not _absent(ty):
            p.kind.check(c, p, ty)


def _settle_dtypes(c: Call):
    for group, votes in c._votes.items():
        explicit = [v for v in votes if v[2]]
        strong = [v for v in votes if not v[3]]
        pick = (explicit or strong or votes)[0]
        for ty, source, _, weak in votes:
            if ty != pick[0] and not weak:
                what = f"an array of {ty}" if is_array(c.type(source)) else str(ty)
                c.fail(source, f"mismatched dtypes: {what}, but {c.group_label(group)} are {pick[0]}",
                       f"an array of {pick[0]}" if is_array(c.type(source)) else f"{pick[0]} (convert explicitly)")
        if not is_supported_scalar(pick[0]):
            c.fail(pick[1], f"items of type {pick[0]} are not supported",
                   "integers, floats, bool, a Numba record type, or an extension type with "
                   "methods={'construct': f(this), 'assign': f(this, that)}")
        if isinstance(pick[0], types.Record) and (why := _limits.record_problem(pick[0])):
            c.fail(pick[1], f"items of type {pick[0]}: {why}", "an aligned dtype: numpy.dtype([...], align=True)")
        c.dtypes[group] = pick[0]


def _settle_lengths(c: Call, params):
    if c.scalar:
        for n, source, explicit in c._length_votes.get("ipt", []):
            if explicit and n != 1:
                c.fail(source, f"items_per_thread={n}, but the input is a single scalar", "1, or pass an array")
            if not explicit:
                c.fail(source, f"an array of {n} items, but the input is a scalar",
                       "a scalar output (or omit it to get the result returned)")
        c.lengths["ipt"] = 1
    for group, votes in c._length_votes.items():
        if group == "ipt" and c.scalar:
            continue
        explicit = [v for v in votes if v[2]]
        pick = (explicit or votes)[0]
        for n, source, _ in votes:
            if n != pick[0]:
                if explicit and source != pick[1]:
                    c.fail(pick[1], f"{pick[1]}={pick[0]}, but `{source}` holds {n} items", f"{pick[1]}={n}, or omit it")
                desc = ", ".join(f"{s}: {m}" for m, s, _ in votes)
                c.fail(votes[0][1], f"{c.length_label(group)} disagree ({desc})", "arrays of the same length")
        c.lengths[group] = pick[0]


def require_length(c: Call, group: str, param: str | None):
    if c.length(group) is None:
        arr = next((p.name for p in c.params.values() if getattr(p.kind, "length", None) == group and c.has(p.name)
                    and is_array(c.type(p.name))), None)
        c.fail(arr or param, f"{c.length_label(group)} cannot be inferred from an array of unknown length",
               f"coop.local.array(n, dtype) / coop.ThreadData(n), or pass {param}=n")


def require_dtype(c: Call, group: str, param: str):
    if c.dtype(group) is None:
        td = [n for n, t in c.given.items() if isinstance(t, ThreadDataType)]
        if td:
            c.fail(td[0], "the dtype of this coop.ThreadData is not known yet",
                   "pass dtype= to coop.ThreadData, or first pass it to a primitive that reads an array")
        c.fail(param, "is required" if not c.has(param) else f"cannot take a dtype from {c.type(param)}",
               "an array or a scalar of a NumPy/Numba number or record type")


def infer_shape(c: Call, params):
    """The block shape (block scope) or logical warp size (warp scope)."""
    known = _launch.current_block_dims(c.context) if c.context is not None else None
    if c.scope == "warp":
        wp = next(p for p in params if isinstance(p.kind, WarpThreads))
        c.warp_threads = c.value(wp.name) if c.has(wp.name) else wp.default
        c.dims = known[0] if known else None
        return
    dp = next(p for p in params if isinstance(p.kind, BlockDims))
    if c.has(dp.name):
        c.dims = c.value(dp.name)
        if known is not None and known[0] != c.dims:
            how = "the two-phase object fixes" if dp.name in c.fixed and dp.name not in c.given else "states"
            c.fail(dp.name, f"{how} a block shape of {_dims(c.dims)}, but this kernel is compiled for "
                   f"{known[1]} ({_dims(known[0])}): CUB would compute a wrong result",
                   f"launch with block={_dims(c.dims)}, or omit {dp.name} to use the launch's shape")
        return
    if known is None:
        c.fail(dp.name, "the block shape is not known: this kernel is not being compiled for a launch",
               "launch it (kernel[grid, block](...)), pass threads_per_block=..., or compile inside "
               "`with coop.launch_shape(block=...):`")
    c.dims = known[0]


def _dims(d):
    d = tuple(d)
    while len(d) > 1 and d[-1] == 1:
        d = d[:-1]
    return d[0] if len(d) == 1 else d


# --------------------------------------------------------------------------- CUB argument types


def cub_type(c: Call, params: dict, src):
    if isinstance(src, (Arg, Captured)):
        p = params[src.name]
        return p.kind.cub_type(c, p, c.type(src.name))
    if isinstance(src, Scratch):
        return FixedArray(c.dtype(src.group), src.n, "local")
    if isinstance(src, Functor):
        return CxxFunctorType(src.functor)
    if isinstance(src, Const):
        return c.dtype(src.group)
    if isinstance(src, Helper):
        return value_object_type(c.context, src.template, dict(src.targs), src.args)
    raise AssertionError(src)


def length_checks(c: Call, params: dict, call: CubCall):
    checks = []
    for src in call.args.values():
        if isinstance(src, Arg) and src.name in c.given:
            p = params[src.name]
            ty = c.given[src.name]
            length = getattr(p.kind, "length", None)
            if isinstance(ty, types.Array) and static_length(ty) is None:
                if isinstance(p.kind, Ref):
                    checks.append((src.name, 1))
                elif length is not None and not c.scalar and not isinstance(p.kind, GlobalArray):
                    checks.append((src.name, c.length(length)))
    return checks


# --------------------------------------------------------------------------- storage


def _site() -> str:
    """This call's key among the uses of an exclusively shared TempStorage (line order)."""
    con, _ = current_call()
    if con is None:
        return "?"
    line = getattr(getattr(con, "loc", None), "line", 0) or 0
    return f"{line:06d}:{getattr(con.func, 'name', con.func)}"


def storage(c: Call, sp, has_ts: bool, *, parent=False):
    """(mode, warps, sync, byte offset into a user TempStorage) of CUB's TempStorage for this call."""
    ts = c.type("temp_storage") if has_ts else None
    warps = 1
    if c.scope == "warp":
        threads = c.dims[0] * c.dims[1] * c.dims[2] if c.dims else 1024
        warps = -(-threads // c.warp_threads)
    if ts is None:
        if parent:
            return "object", warps, None, 0
        if sp.spec.default_constructible and c.scope == "block":
            return "implicit", warps, None, 0
        return "per_warp", warps, None, 0
    nbytes, align = temp_storage_layouts([sp])[sp.cxx]
    need = nbytes * warps
    sync = ("block" if c.scope == "block" else "warp") if ts.auto_sync else None
    if ts.sharing == "exclusive":  # this call site's own slice
        site = _site()
        mine = dict((s, (n, a)) for s, n, a in getattr(ts, "slots", ()))
        if isinstance(ts, PlannedStorageType) or mine.get(site, (0, 1))[0] < need or mine[site][1] < align:
            ts = refine_temp_storage(ts, need, align, c.variables.get("temp_storage"), c.what, site)
        return "user", warps, None, ts.offsets()[site]
    if isinstance(ts, PlannedStorageType) or ts.planned:  # size omitted: this use sizes it too
        if isinstance(ts, PlannedStorageType) or ts.length < need or ts.alignment < align:
            refine_temp_storage(ts, need, align, c.variables.get("temp_storage"), c.what, _site())
        return "user", warps, _shared_sync(sync, sp, c), 0
    per = f" ({warps} logical warps x {nbytes} bytes: one TempStorage per warp)" if c.scope == "warp" else ""
    if ts.length < need:
        c.fail("temp_storage", f"{ts.length} bytes is too small: {sp!r} needs {need} bytes{per}",
               f"coop.TempStorage({need}, {max(align, ts.alignment or 1)}) or larger "
               "(two-phase primitives report .temp_storage_bytes)")
    if (ts.alignment or 1) < align:
        c.fail("temp_storage", f"alignment {ts.alignment} is too small: {sp!r} needs {align}",
               f"coop.TempStorage({ts.length}, {align})")
    return "user", warps, _shared_sync(sync, sp, c), 0


def _shared_sync(sync, sp, c: Call):
    """The barrier before a call on a shared TempStorage: ``auto_sync``'s, narrowed where
    ``_barriers`` shows a warp's is enough."""
    return block_sync(sp, c.variables.get("temp_storage")) if sync == "block" else sync


# --------------------------------------------------------------------------- entry points


def specialization(c: Call, prim: Primitive):
    cls, targs = prim.template(c)
    _limits.check_call(c, prim, cls, targs)
    for p in prim.params:  # operators fixed by a two-phase constructor are checked here
        if isinstance(p.kind, Operator) and p.name in c.fixed and p.name not in c.given:
            p.kind.check_items(c, p, c.fixed[p.name][0])
    try:
        return specialize(cls, targs)
    except TemplateArgumentError as exc:
        raise CoopError(f"{prim.qualname}: {exc}") from None


def _check_reaches(prim: Primitive, sp, method: str):
    """A call outside the declared ``reaches`` is a declaration bug: the coverage table would lie."""
    if method not in prim.reaches.get(sp.spec.name, ()):
        raise AssertionError(f"{prim.qualname} calls {sp.spec.name}::{method}, which its declaration's "
                             f"reaches= does not list")


def _resolve(c: Call, sp, mode: str, call: CubCall, params: dict):
    kinds = {name: cub_type(c, params, src) for name, src in call.args.items()}
    try:
        cub = resolve_method(c.context, sp, mode, call.method, kinds, f"{c.what} -> {sp!r}.{call.method}")
    except NoOverload as exc:
        raise CoopError(f"{c.what}: these arguments have no CUB counterpart: {exc}") from None
    return cub, [(call.args[ap.param.name], kinds[ap.param.name]) for ap in cub.supplied]


def _return_type(c: Call, call: CubCall, cub):
    if call.returns == "cub":
        return cub.return_type or types.none
    if call.returns is None:
        return types.none
    keys = call.returns if isinstance(call.returns, tuple) else (call.returns,)
    tys = [c.dtype(next(s.group for s in call.args.values() if isinstance(s, Scratch) and s.key == k)) for k in keys]
    if not isinstance(call.returns, tuple):
        return tys[0]
    return types.UniTuple(tys[0], len(tys)) if len(set(tys)) == 1 else types.Tuple(tys)


def call_variables(order, npositional) -> dict:
    """Argument name -> IR variable of the call Numba is typing (positional, then keywords)."""
    con, _ = current_call()
    if con is None:
        return {}
    kws = list(con.kws.items()) if isinstance(con.kws, dict) else list(con.kws)
    out = dict(zip(order[:npositional], con.args))
    out.update(zip(order[npositional:], (v for _, v in kws)))
    return out


def prepare(prim: Primitive, context, given: dict, fixed: dict, variables=None) -> Call:
    """A Call over ``prim``'s parameters with inference done (kernel typing or two-phase)."""
    c = Call(prim.qualname, prim.params, context, given, fixed, prim.scope)
    c.variables = variables or {}
    for p in prim.params:
        if p.required and not p.host_only and not c.has(p.name):
            c.fail(p.name, "is required")
    if c.scope == "warp":  # the logical warp size bounds constants such as valid_items
        wp = next(p for p in prim.params if isinstance(p.kind, WarpThreads))
        c.warp_threads = c.value(wp.name) if c.has(wp.name) else wp.default
    infer(c, prim.params)
    infer_shape(c, prim.params)
    return c


def type_call(context, prim: Primitive, args, kws, fixed: dict | None = None, extra_variables=None):
    """(return type, argument types, argument names, plan) of a kernel call of ``prim``."""
    fixed = fixed or {}
    given, order, written = bind(prim.qualname, prim.params, prim.kernel_order, tuple(args), dict(kws),
                                 prim.aliases, fixed=fixed)
    c = prepare(prim, context, given, fixed, {**call_variables(order, len(args)), **(extra_variables or {})})
    params = {p.name: p for p in prim.params}
    has_ts = "temp_storage" in params
    sp = specialization(c, prim)
    consts = {n: v for n, (t, v) in fixed.items()}
    if prim.is_parent:
        from coop._numba_types import ObjectType

        con = prim.construct(c)
        mode, warps, sync, offset = storage(c, sp, has_ts, parent=True)
        captured = {n: c.type(n) for n in con.captured if c.has(n)}
        cub, sources = (None, [])
        if con.ctor is not None:
            _check_reaches(prim, sp, con.ctor.method)
            cub, sources = _resolve(c, sp, "persistent", con.ctor, params)
        obj = ObjectType(prim, sp, mode, tuple(captured.items()), tuple(sorted(c.dtypes.items())),
                         tuple(sorted(c.lengths.items())), c.dims, persistent=con.ctor is not None)
        plan = Plan(prim.qualname, con.ctor, cub, sp, list(order), sources, mode, warps, c.warp_threads or 32,
                    prim.scope, sync, length_checks(c, params, con.ctor) if con.ctor else [], "object", consts,
                    obj=obj, captured=captured, storage_offset=offset)
        return obj, [given[n] for n in order], written, plan
    call: CubCall = prim.build(c)
    _check_reaches(prim, sp, call.method)
    mode, warps, sync, offset = storage(c, sp, has_ts)
    cub, sources = _resolve(c, sp, "explicit", call, params)  # implicit storage: from the kernel's plan
    plan = Plan(prim.qualname, call, cub, sp, list(order), sources, mode, warps, c.warp_threads or 32, prim.scope,
                sync, length_checks(c, params, call), call.returns, consts, storage_offset=offset)
    return _return_type(c, call, cub), [given[n] for n in order], written, plan


def prepare_method(context, prim: Primitive, name: str, captured: dict, dtypes, lengths, dims, args, kws,
                   variables=None):
    """(Call, CubCall, argument names in call order, names as written, parameters) of
    ``obj.name(...)`` on a parent object of ``prim`` that captured ``captured`` (name -> type)."""
    m = prim.method(name)
    what = f"{prim.qualname}(...).{name}"
    given, order, written = bind(what, m.params, m.order, tuple(args), dict(kws), {})
    all_params = {p.name: p for p in prim.params} | {p.name: p for p in m.params}
    c = Call(what, list(all_params.values()), context, given,
             {n: (t, None) for n, t in captured.items() if n not in given}, prim.scope)
    c.variables = call_variables(order, len(args)) if variables is None else variables
    for group, dt in dtypes:
        c.vote_dtype(group, dt, f"this {prim.name}", explicit=True)
    c.lengths.update(dict(lengths))
    c.dims = dims
    for p in m.params:
        if p.required and not c.has(p.name):
            c.fail(p.name, "is required")
    for p in m.params:
        ty = given.get(p.name)
        if ty is not None and not _absent(ty):
            p.kind.infer(c, p, ty)
    _settle_dtypes(c)
    for group, votes in c._length_votes.items():
        want = c.lengths.get(group)
        for n, source, _ in votes:
            if want is not None and n != want:
                c.fail(source, f"holds {n} items, but this {prim.name} was made for {c.length_label(group)} = {want}",
                       f"an array of {want} items")
            want = n
        c.lengths[group] = want
    for p in m.params:
        ty = given.get(p.name)
        if ty is not None and not _absent(ty):
            p.kind.check(c, p, ty)
    call: CubCall = m.build(c)
    return c, call, order, written, all_params


def type_method(context, obj, name: str, args, kws):
    """(return type, argument types, names, plan) of ``obj.name(...)`` on a parent object."""
    prim = obj.prim
    c, call, order, written, all_params = prepare_method(context, prim, name, dict(obj.captured), obj.dtypes,
                                                         obj.lengths, obj.dims, args, kws)
    _check_reaches(prim, obj.specialization, call.method)
    mode = "persistent" if obj.persistent else "explicit"
    cub, sources = _resolve(c, obj.specialization, mode, call, all_params)
    plan = Plan(c.what, call, cub, obj.specialization, list(order), sources, "object", 1, 32, prim.scope, None,
                length_checks(c, all_params, call), call.returns, {})
    return _return_type(c, call, cub), [c.given[n] for n in order], written, plan


def pysig(names):
    return inspect.Signature([P(n, P.POSITIONAL_OR_KEYWORD) for n in names])


__all__ = ["type_call", "type_method", "prepare", "prepare_method", "specialization", "Plan", "Call", "bind", "pysig"]
