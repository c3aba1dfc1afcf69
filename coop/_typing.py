"""Typing of every primitive call, single-phase and two-phase, from its declaration.

``type_call`` folds the arguments, infers the dtype, items per thread and block shape,
checks every argument (failing with one ``CoopError`` that names the primitive, the
argument and the kernel's source line), asks the primitive's ``build`` for the CUB call,
and resolves it against the generated bindings' overloads. The result is a ``Plan`` that
``_lowering`` turns into the shim call.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from numba.cuda import types
from numba.cuda.core.errors import TypingError
from numba.cuda.typing.templates import signature

from cub_bindings._runtime import cxx
from cub_bindings._runtime.arrays import FixedArray, static_length
from cub_bindings._runtime.class_template import template_named
from cub_bindings._runtime.enums import CubEnumMember
from cub_bindings._runtime.ntypes import CxxFunctorType
from cub_bindings._runtime.resolve import CallPlan, resolve
from cub_bindings._runtime.specialize import Specialization, TemplateArgumentError, bind

from coop import _launch, _ops, enums
from coop._arrays import TempStorageType, ThreadDataType, resolve_thread_data
from coop._decl import Arg, Const, CubCall, Functor, Primitive, Scratch
from coop._errors import CoopError, fail

@dataclass
class Plan:
    prim: Primitive
    call: CubCall
    cub: CallPlan
    names: list  # folded argument names, in signature order
    sources: list  # per CUB supplied argument: (source, numba type the value is handled as)
    storage: str  # "implicit" | "user" | "per_warp"
    warps: int  # per-warp TempStorage count
    warp_threads: int
    sync: str | None  # "block" | "warp" | None: barrier before the call
    length_checks: list  # (argument name, items) runtime guards for arrays of unknown length
    returns: object
    consts: dict


class Call:
    """What ``build`` sees: the folded, checked arguments of one call."""

    def __init__(self, prim: Primitive, context, given: dict, bound: dict):
        self.prim, self.context = prim, context
        self.given = given  # name -> Numba type (kernel arguments)
        self.bound = bound  # name -> (Numba type, host value) from a two-phase constructor
        self.dtype = None
        self.ipt = None
        self.scalar = False
        self.dims = None
        self.warp_threads = None
        self.consts: dict = {}

    # ------------------------------------------------------------------ access
    def type(self, name):
        if name in self.given:
            t = self.given[name]
            return None if isinstance(t, (types.NoneType, types.Omitted)) else t
        if name in self.bound:
            return self.bound[name][0]
        return None

    def has(self, name) -> bool:
        return self.type(name) is not None

    def value(self, name):
        """The compile-time value of an ``enum``/``choice``/``bool``/``ipt`` argument (or default)."""
        p = self.prim.param(name)
        if name in self.bound and name not in self.given:
            return self.bound[name][1]
        ty = self.type(name)
        if ty is None:
            return None if p.required else p.default
        return compile_time_value(self.prim, p, ty)

    def op(self, name):
        """(kind, functor) of an operator argument; kind "cxx" | "device" | "stateful"."""
        ty = self.type(name)
        kind, f = _ops.kernel_op(ty)
        if kind is None:
            self.fail(name, f"is not an operator: {ty}", _ops.VALID)
        return kind, f

    def fail(self, arg, message, valid=None):
        fail(self.prim.qualname, arg, message, valid)


def compile_time_value(prim, p, ty):
    what = prim.qualname
    if p.kind == "enum":
        v = None
        if isinstance(ty, CubEnumMember):
            v = enums.member_named(p.choices, ty.member)
        elif isinstance(ty, types.StringLiteral):
            v = enums.member_named(p.choices, ty.literal_value)
        if v is None:
            fail(what, p.name, f"{_show(ty)} is not a {p.choices.__name__}", enums.names(p.choices))
        return v
    if p.kind == "choice":
        if isinstance(ty, types.StringLiteral) and ty.literal_value in p.choices:
            return ty.literal_value
        fail(what, p.name, f"{_show(ty)} is not a valid choice", ", ".join(f'"{c}"' for c in p.choices))
    if p.kind == "bool":
        if isinstance(ty, types.BooleanLiteral):
            return ty.literal_value
        fail(what, p.name, f"must be the constant True or False, got {ty}")
    if p.kind in ("ipt", "warp"):
        if isinstance(ty, types.IntegerLiteral) and ty.literal_value > 0:
            return ty.literal_value
        fail(what, p.name, f"must be a positive integer constant, got {ty}",
             "a literal, a global/closure int, or a kernel argument used directly")
    if p.kind == "dims":
        vals = _literal_ints(ty)
        if vals is None or not 1 <= len(vals) <= 3 or any(v < 1 for v in vals):
            fail(what, p.name, f"must be a positive int or a tuple of 1-3 positive ints known at compile time, got {ty}")
        return vals + (1,) * (3 - len(vals))
    raise AssertionError(p.kind)


def _literal_ints(ty):
    if isinstance(ty, types.IntegerLiteral):
        return (ty.literal_value,)
    if isinstance(ty, types.BaseTuple) and all(isinstance(t, types.IntegerLiteral) for t in ty):
        return tuple(t.literal_value for t in ty)
    return None


def _show(ty):
    if isinstance(ty, types.StringLiteral):
        return repr(ty.literal_value)
    if isinstance(ty, CubEnumMember):
        return repr(ty.member)
    return str(ty)


# --------------------------------------------------------------------------- folding


def _array_like(ty) -> bool:
    return isinstance(ty, (types.Array, ThreadDataType))


def fold(prim: Primitive, args, kws, bound: dict):
    """(given: name -> type, canonical names in call order, names as written in the call).

    A positional argument that lands on an optional output array but is not an array
    skips it (``coop.block.exclusive_scan(x, "max")``: a scalar scan has no ``dst``).
    """
    names = [n for n in prim.kernel_order if n not in bound]
    valid = [n for n in prim.names if not prim.param(n).host_only]
    given: dict = {}
    order: list = []
    k = 0
    for a in args:
        while k < len(names) and prim.param(names[k]).kind == "out" and not prim.param(names[k]).required \
                and not _array_like(a) and _ops.kernel_op(a)[0] is not None:
            k += 1
        if k >= len(names):
            fail(prim.qualname, None, f"takes at most {len(names)} positional arguments ({', '.join(names)}), got {len(args)}")
        given[names[k]] = a
        order.append(names[k])
        k += 1
    written = list(order)
    for key, a in kws.items():
        name = prim.aliases.get(key, key)
        if name in bound:
            fail(prim.qualname, key, "is fixed by the two-phase constructor of this primitive",
                 "omit it here, or use the single-phase form coop." + prim.scope + "." + prim.name + "(...)")
        if name not in valid:
            fail(prim.qualname, key, "unknown keyword", ", ".join(valid))
        if name in given:
            fail(prim.qualname, key, "given twice")
        given[name] = a
        order.append(name)
        written.append(key)
    return given, order, written


# --------------------------------------------------------------------------- inference


def _is_array(ty):
    return isinstance(ty, (types.Array, ThreadDataType))


def _dtype_of(ty):
    if isinstance(ty, ThreadDataType):
        return ty.dtype
    if isinstance(ty, types.Array):
        return ty.dtype
    if isinstance(ty, (types.Number, types.Boolean, types.Record)):
        return types.unliteral(ty)
    return None


def _infer(c: Call):
    prim = c.prim
    what = prim.qualname
    # dtype
    if "dtype" in c.bound:
        c.dtype = c.bound["dtype"][0]
    else:
        for name in prim.dtype_from:
            ty = c.type(name)
            if ty is not None and _dtype_of(ty) is not None:
                c.dtype = _dtype_of(ty)
                break
    if c.dtype is None:
        td = [n for n in prim.dtype_from if isinstance(c.type(n), ThreadDataType)]
        if td:
            c.fail(td[0], "the dtype of this coop.ThreadData is not known yet",
                   "pass dtype= to coop.ThreadData, or first pass it to a primitive that reads an array")
        if prim.needs_items and not c.has(prim.dtype_from[0]):
            c.fail(prim.dtype_from[0], "is required")
        c.fail(prim.dtype_from[0], f"cannot take a dtype from {c.type(prim.dtype_from[0])}",
               "an array or a scalar of a NumPy/Numba number or record type")
    if not cxx.is_supported_scalar(c.dtype):
        c.fail(prim.dtype_from[0], f"items of type {c.dtype} are not supported",
               "integers, floats, bool, or a Numba record type")
    # arrays: dtypes and lengths
    lengths = {}
    for p in prim.params:
        ty = c.type(p.name)
        if ty is None or p.name in c.bound and p.name not in c.given:
            continue
        if p.kind in ("items", "out", "iterator"):
            if p.kind == "iterator" or p.kind == "out" or (p.kind == "items" and _is_array(ty)):
                if not _is_array(ty):
                    c.fail(p.name, f"must be an array, got {ty}")
                if isinstance(ty, ThreadDataType):
                    ty = resolve_thread_data(ty, c.dtype, what, p.name)
                if ty.dtype != c.dtype:
                    c.fail(p.name, f"mismatched dtypes: an array of {ty.dtype}, but the items are {c.dtype}",
                           f"an array of {c.dtype} (convert explicitly)")
                if ty.ndim != 1:
                    c.fail(p.name, f"must be 1-D, got {ty.ndim}-D", "a 1-D array (index or slice it, e.g. a[i, :])")
                if p.kind == "iterator":
                    if ty.layout not in "C":
                        c.fail(p.name, f"must be contiguous, got layout {ty.layout}", "a C-contiguous array or a slice a[start:]")
                elif static_length(ty) is not None:
                    lengths[p.name] = static_length(ty)
            elif p.kind == "items":
                if isinstance(ty, (types.Number, types.Boolean, types.Record)):
                    if types.unliteral(ty) != c.dtype and p.name not in prim.dtype_from[:1]:
                        c.fail(p.name, f"mismatched dtypes: {ty}, but the items are {c.dtype}")
                    c.scalar = True
                else:
                    c.fail(p.name, f"must be an array or a scalar, got {ty}")
    ipt_param = next((p for p in prim.params if p.kind == "ipt"), None)
    explicit = c.value(ipt_param.name) if ipt_param is not None and c.has(ipt_param.name) else None
    if c.scalar:
        if explicit not in (None, 1):
            c.fail(ipt_param.name, f"items_per_thread={explicit}, but the input is a single scalar", "1, or pass an array")
        if lengths:
            n, ln = next(iter(lengths.items()))
            c.fail(n, f"an array of {ln} items, but the input is a scalar", "a scalar output (or omit it to get the result returned)")
        c.ipt = 1
        return
    distinct = set(lengths.values())
    if len(distinct) > 1:
        desc = ", ".join(f"{n}: {ln}" for n, ln in lengths.items())
        c.fail(next(iter(lengths)), f"items per thread disagree ({desc})", "arrays of the same length")
    inferred = distinct.pop() if distinct else None
    if explicit is not None and inferred is not None and explicit != inferred:
        n = next(iter(lengths))
        c.fail(ipt_param.name, f"items_per_thread={explicit}, but `{n}` holds {inferred} items",
               f"items_per_thread={inferred}, or omit it")
    c.ipt = explicit or inferred
    if c.ipt is None:
        arr = next((p.name for p in prim.params if p.kind in ("items", "out") and c.has(p.name)), None)
        c.fail(arr, "items per thread cannot be inferred from an array of unknown length",
               "coop.local.array(n, dtype) / coop.ThreadData(n), or pass items_per_thread=n")


def _infer_shape(c: Call):
    prim = c.prim
    if prim.scope == "warp":
        wp = next(p for p in prim.params if p.kind == "warp")
        c.warp_threads = c.value(wp.name) if c.has(wp.name) else wp.default
        w = c.warp_threads
        if w > 32 or w & (w - 1):
            c.fail(wp.name, f"{w} threads is not a logical warp size",
                   "a power of two from 1 to 32 (use a coop.block primitive for larger groups)")
        known = _launch.current_block_dims(c.context)
        c.dims = known[0] if known else None
        return
    dp = next(p for p in prim.params if p.kind == "dims")
    if c.has(dp.name):
        c.dims = c.value(dp.name)
        return
    known = _launch.current_block_dims(c.context)
    if known is None:
        c.fail(dp.name, "the block shape is not known: this kernel is not being compiled for a launch",
               "launch it (kernel[grid, block](...)), pass threads_per_block=..., or compile inside "
               "`with coop.launch_shape(block=...):`")
    c.dims = known[0]


# --------------------------------------------------------------------------- CUB types of arguments


def _cub_type(c: Call, src):
    if isinstance(src, Arg):
        p = c.prim.param(src.name)
        ty = c.type(src.name)
        if p.kind in ("items", "out") and not c.scalar:
            return FixedArray(c.dtype, c.ipt, "local")
        if p.kind in ("items", "out"):
            return c.dtype
        if p.kind == "value":
            if p.dtype == "int":
                if not isinstance(ty, types.Integer):
                    c.fail(p.name, f"must be an integer, got {ty}")
                return types.int32
            if not isinstance(ty, (types.Number, types.Boolean, types.Record)):
                c.fail(p.name, f"must be a {c.dtype} value, got {ty}")
            if isinstance(c.dtype, types.Record) and types.unliteral(ty) != c.dtype:
                c.fail(p.name, f"must be a {c.dtype} value, got {ty}")
            return c.dtype
        if p.kind == "ref":
            if not isinstance(ty, types.Array) or ty.ndim != 1 or ty.dtype != c.dtype:
                c.fail(p.name, f"must be a 1-D array of {c.dtype} (its first element receives the result), got {ty}")
            ln = static_length(ty)
            if ln is not None and ln < 1:
                c.fail(p.name, "must hold at least one element")
            return FixedArray(c.dtype, 1, "local") if ln is None else ty
        if p.kind in ("ranks", "flags"):
            ty = c.type(src.name)
            okdt = (types.Integer,) if p.kind == "ranks" else (types.Integer, types.Boolean)
            if not isinstance(ty, types.Array) or ty.ndim != 1 or not isinstance(ty.dtype, okdt):
                kind = "integer" if p.kind == "ranks" else "bool or integer"
                c.fail(p.name, f"must be a 1-D {kind} array of items-per-thread length, got {ty}")
            ln = static_length(ty)
            if ln is not None and ln != c.ipt:
                c.fail(p.name, f"holds {ln} items, but items per thread is {c.ipt}", f"an array of {c.ipt} items")
            return FixedArray(ty.dtype, c.ipt, "local")
        if p.kind == "iterator":
            return types.unliteral(ty)
        if p.kind in ("op", "callback"):
            return ty
        raise AssertionError(p.kind)
    if isinstance(src, Scratch):
        return FixedArray(c.dtype, src.n, "local")
    if isinstance(src, Functor):
        return CxxFunctorType(src.functor)
    if isinstance(src, Const):
        return c.dtype
    raise AssertionError(src)


def _length_checks(c: Call, call: CubCall):
    checks = []
    for src in call.args.values():
        if isinstance(src, Arg):
            p = c.prim.param(src.name)
            ty = c.type(src.name)
            if p.kind in ("items", "out", "ranks", "flags") and isinstance(ty, types.Array) and static_length(ty) is None \
                    and not (c.scalar and p.kind in ("items", "out")):
                checks.append((src.name, c.ipt))
            if p.kind == "ref" and isinstance(ty, types.Array) and static_length(ty) is None:
                checks.append((src.name, 1))
    return checks


# --------------------------------------------------------------------------- temp storage


def _storage(c: Call, sp: Specialization):
    spec = sp.spec
    ts = c.type("temp_storage") if any(p.kind == "temp_storage" for p in c.prim.params) else None
    warps = 1
    if c.prim.scope == "warp":
        threads = c.dims[0] * c.dims[1] * c.dims[2] if c.dims else 1024
        warps = -(-threads // c.warp_threads)
    if ts is None:
        if spec.default_constructible and c.prim.scope == "block":
            return "implicit", warps, None
        return "per_warp", warps, None
    if not isinstance(ts, TempStorageType):
        c.fail("temp_storage", f"must be a coop.TempStorage(size_in_bytes, alignment), got {ts}")
    from cub_bindings._runtime.layouts import temp_storage_layouts

    nbytes, align = temp_storage_layouts([sp])[sp.cxx]
    need = nbytes * warps
    per = f" ({warps} logical warps x {nbytes} bytes: one TempStorage per warp)" if c.prim.scope == "warp" else ""
    if ts.length < need:
        c.fail("temp_storage", f"{ts.length} bytes is too small: {sp!r} needs {need} bytes{per}",
               f"coop.TempStorage({need}, {max(align, ts.alignment or 1)}) or larger "
               "(two-phase primitives report .temp_storage_bytes)")
    if (ts.alignment or 1) < align:
        c.fail("temp_storage", f"alignment {ts.alignment} is too small: {sp!r} needs {align}",
               f"coop.TempStorage({ts.length}, {align})")
    sync = ("block" if c.prim.scope == "block" else "warp") if ts.auto_sync else None
    return "user", warps, sync


# --------------------------------------------------------------------------- entry point


def specialization(c: Call) -> Specialization:
    cls, targs = c.prim.template(c)
    try:
        return bind(template_named(cls).spec, (), targs, from_numba=False)
    except TemplateArgumentError as exc:
        raise CoopError(f"{c.prim.qualname}: {exc}") from None


def type_call(context, prim: Primitive, args, kws, bound: dict | None = None):
    bound = bound or {}
    given, order, written = fold(prim, tuple(args), dict(kws), bound)
    c = Call(prim, context, given, bound)
    for p in prim.params:
        if p.required and not p.host_only and not c.has(p.name):
            c.fail(p.name, "is required")
    _infer(c)
    _infer_shape(c)
    sp = specialization(c)
    tmpl = template_named(sp.spec_name)
    call: CubCall = prim.build(c)
    storage, warps, sync = _storage(c, sp)
    mode = "implicit" if storage == "implicit" else "explicit"
    kinds = {name: _cub_type(c, src) for name, src in call.args.items()}
    if call.explicit_ipt:
        kinds[call.explicit_ipt] = types.IntegerLiteral(c.ipt)
    try:
        cub = resolve(context, sp, mode, tmpl.spec.methods_named(call.method), (), kinds,
                      f"{prim.qualname} -> {sp!r}.{call.method}")
    except TypingError as exc:
        raise CoopError(f"{prim.qualname}: these arguments have no CUB counterpart: {exc}") from None
    sources = []
    for ap in cub.supplied:
        src = call.args[ap.param.name]
        sources.append((src, kinds[ap.param.name]))
    if call.returns == "cub":
        ret = cub.return_type or types.none
    elif call.returns is None:
        ret = types.none
    else:
        ret = c.dtype
    P = inspect.Parameter
    argtys = [given[n] for n in order]
    # the signature's parameter names are the ones the call wrote (aliases included), so
    # Numba can bind the call's keywords; the plan keeps the canonical names in that order
    sig = signature(ret, *argtys).replace(pysig=inspect.Signature([P(n, P.POSITIONAL_OR_KEYWORD) for n in written]))
    consts = {n: v for n, (t, v) in bound.items()}
    plan = Plan(prim, call, cub, list(order), sources, storage, warps, c.warp_threads or 32, sync,
                _length_checks(c, call), call.returns, consts)
    return sig, plan


__all__ = ["type_call", "specialization", "Plan", "Call"]
