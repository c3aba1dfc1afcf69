"""Overload resolution while typing a kernel: Numba argument types -> a ``CallPlan``.

Strict by design: an argument that does not fit a parameter's role, dtype or extent makes
the overload fail with a reason naming the parameter; if no overload fits, the typing
error lists every candidate and its reason.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

from numba.core.typeconv import Conversion
from numba.cuda.core.errors import TypingError
from numba.cuda import types

from cub_bindings._runtime import cxx
from cub_bindings._runtime.arrays import static_length
from cub_bindings._runtime.ntypes import CxxFunctorType, DecomposerType, StatefulOpType, ValueObjectType
from cub_bindings._runtime.spec import Overload, Param


class NoMatch(Exception):
    pass


@dataclass
class OpPlan:
    kind: str  # "cxx" | "dispatcher" | "stateful"
    numba_type: types.Type
    operand_types: tuple  # C++ operand types (Numba scalars)
    return_type: types.Type
    fn_sig: object = None  # Numba signature of the device function call
    functor: object = None


@dataclass
class ArgPlan:
    param: Param
    numba_type: types.Type | None  # None: omitted (C++ default used)
    elem: types.Type | None = None
    extent: str | None = None  # C++ spelling of the array extent
    length: int | None = None  # static array length if known
    check_length: int | None = None  # runtime guard: the array must hold at least this many items
    op: OpPlan | None = None


@dataclass
class CallPlan:
    specialization: object
    mode: str
    overload: Overload
    args: list[ArgPlan]
    return_type: types.Type | None
    explicit_targs: dict = field(default_factory=dict)
    pysig: inspect.Signature | None = None

    @property
    def supplied(self) -> list[ArgPlan]:
        return [a for a in self.args if a.numba_type is not None]


def _fmt(ov: Overload) -> str:
    return f"{ov.name}(" + ", ".join(f"{p.cxx} {p.name}" + ("=…" if p.default else "") for p in ov.params) + ")"


def _scalar_ok(context, actual, target) -> bool:
    if actual == target:
        return True
    if isinstance(actual, (types.IntegerLiteral, types.BooleanLiteral)) and isinstance(target, (types.Integer, types.Boolean, types.Float)):
        return True
    if isinstance(target, types.Record) or isinstance(actual, types.Record):
        return False
    conv = context.can_convert(actual, target)
    return conv is not None and conv < Conversion.unsafe


class _Matcher:
    def __init__(self, context, specialization, mode, ov: Overload, args, kws):
        self.context, self.sp, self.mode, self.ov = context, specialization, mode, ov
        self.args, self.kws = list(args), dict(kws)
        self.method_tparams = {t.name: t for t in ov.template_params}
        self.deduced: dict[str, object] = {}
        self.explicit: dict[str, int] = {}

    # ---------------------------------------------------------------- helpers
    def elem(self, name: str):
        v = self.sp.value(name)
        if v is not None:
            return v
        if name in cxx.BUILTIN_CXX:
            return cxx.BUILTIN_CXX[name]
        if name in self.deduced:
            return self.deduced[name]
        if name in self.method_tparams:
            return None
        spec_tp = next((t for t in self.sp.spec.template_params if t.name == name), None)
        if spec_tp is not None and spec_tp.default == "::cub::NullType":
            raise NoMatch(f"{name} is cub::NullType in this specialization (keys only); specialize with {name}=dtype to pass values")
        if spec_tp is not None and spec_tp.default:
            return _default_type(spec_tp.default)
        raise NoMatch(f"type {name} cannot be resolved")

    def deduce(self, name: str, ty, p: Param):
        known = self.elem(name)
        if known is None:
            if not cxx.is_supported_scalar(ty):
                raise NoMatch(f"parameter `{p.name}`: element type {ty} is not supported")
            self.deduced[name] = ty
            return ty
        return known

    def int_value(self, name: str):
        v = self.sp.value(name)
        if v is not None:
            return int(v)
        return self.explicit.get(name, self.deduced.get(name))

    # ---------------------------------------------------------------- roles
    def match_array(self, p: Param, ty, role: str) -> ArgPlan:
        if not isinstance(ty, types.Array) or ty.ndim != 1:
            raise NoMatch(f"parameter `{p.name}` expects a 1-D array, got {ty}")
        if ty.layout != "C":
            raise NoMatch(f"parameter `{p.name}` expects a C-contiguous array, got {ty}")
        elem = self.deduce(p.elem, ty.dtype, p) if p.elem else ty.dtype
        if ty.dtype != elem:
            raise NoMatch(f"parameter `{p.name}` expects {elem} items, got an array of {ty.dtype}")
        if p.intent != "in" and not ty.mutable:
            raise NoMatch(f"parameter `{p.name}` is written to; got a read-only array")
        length = static_length(ty)
        plan = ArgPlan(p, ty, elem=elem, length=length)
        if role in ("ref", "iterator"):
            if role == "ref" and length is not None and length < 1:
                raise NoMatch(f"parameter `{p.name}` needs at least one element")
            return plan
        if role == "range":
            if length is None:
                raise NoMatch(f"parameter `{p.name}` is a statically sized range: allocate it with cub_bindings.local_array(n, dtype)")
            plan.extent = str(length)
            return plan
        owner, ext = p.extent_owner, p.extent
        if owner == "internal":
            plan.extent = f"C::{ext}"
            return plan
        n = self.int_value(ext)
        if owner == "method" and n is None:
            if length is None:
                raise NoMatch(
                    f"parameter `{p.name}`: {ext} cannot be deduced from an array of unknown length; allocate it with "
                    f"cub_bindings.local_array(n, dtype) or pass {ext}=n")
            self.deduced[ext] = n = length
        if length is not None and length != n:
            raise NoMatch(f"parameter `{p.name}` expects {n} items ({ext}={n}), got an array of length {length}")
        plan.extent = str(n)
        if length is None:
            plan.check_length = n
        return plan

    def match_decomposer(self, p: Param, ty) -> ArgPlan:
        if not isinstance(ty, DecomposerType):
            raise NoMatch(f"parameter `{p.name}` expects a cub_bindings.Decomposer(...) naming the key's fields, got {ty}")
        key = self.elem("KeyT")
        if not isinstance(key, types.Record):
            raise NoMatch(f"parameter `{p.name}`: a decomposer sorts record keys; the keys are {key}")
        field_types = []
        for name in ty.fields:
            if name not in key.fields:
                raise NoMatch(f"parameter `{p.name}`: the key record has no field {name!r} (fields: {', '.join(key.fields)})")
            fty = key.fields[name][0]
            if not isinstance(fty, (types.Integer, types.Float, types.Boolean)) or fty not in cxx.RADIX_SORTABLE:
                raise NoMatch(f"parameter `{p.name}`: field {name!r} is {fty}; CUB radix-sorts integer, float and bool fields")
            field_types.append(fty)
        if ty.ret_types is not None and tuple(ty.ret_types) != tuple(field_types):
            raise NoMatch(f"parameter `{p.name}`: ret_type {tuple(map(str, ty.ret_types))} does not match the fields' "
                          f"types {tuple(map(str, field_types))}")
        return ArgPlan(p, ty, elem=key)

    def _needs_decomposer(self) -> bool:
        """A record key sorted by an overload without a decomposer: CUB would fail to compile."""
        if any(p.role == "decomposer" for p in self.ov.params):
            return False
        if not any(p.role == "decomposer" for ov in self.sp.spec.methods_named(self.ov.name) for p in ov.params):
            return False
        return isinstance(self.sp.value("KeyT"), types.Record)

    def match_value(self, p: Param, ty) -> ArgPlan:
        if p.role == "extractor":
            if not isinstance(ty, ValueObjectType):
                raise NoMatch(f"parameter `{p.name}` expects a BFEDigitExtractor or ShiftDigitExtractor, got {ty}")
            return ArgPlan(p, ty)
        target = self.elem(p.elem)
        if target is None:
            if isinstance(ty, types.IntegerLiteral):
                ty = types.intp
            if isinstance(ty, types.BooleanLiteral):
                ty = types.boolean
            target = self.deduce(p.elem, ty, p)
        if not (isinstance(ty, (types.Number, types.Boolean)) or cxx.is_supported_scalar(ty)):
            raise NoMatch(f"parameter `{p.name}` expects a {target} value, got {ty}")
        if p.elem in cxx.BUILTIN_CXX and isinstance(ty, types.Integer):
            return ArgPlan(p, ty, elem=target)
        if not _scalar_ok(self.context, ty, target):
            raise NoMatch(f"parameter `{p.name}` expects {target}, got {ty} (convert explicitly, e.g. numba.{target}(x))")
        return ArgPlan(p, ty, elem=target)

    def match_functor(self, p: Param, ty) -> ArgPlan:
        ret_s, args_s = re.fullmatch(r"\s*(\S+)\((.*)\)\s*", p.op).groups()
        operands = tuple(self._op_type(s.strip()) for s in args_s.split(",") if s.strip())
        ret = self._op_type(ret_s)
        if isinstance(ty, CxxFunctorType):
            if ret is types.none:
                raise NoMatch(f"parameter `{p.name}` is a callback; pass a device function or StatefulOp(fn, state)")
            if p.stateful:
                raise NoMatch(f"parameter `{p.name}` is a stateful callback; pass a device function or StatefulOp(fn, state)")
            return ArgPlan(p, ty, op=OpPlan("cxx", ty, operands, ret, functor=ty.functor))
        if isinstance(ty, types.Dispatcher):
            sig = self._resolve_fn(p, ty, operands)
            self._check_ret(p, sig, ret)
            return ArgPlan(p, ty, op=OpPlan("dispatcher", ty, operands, ret, fn_sig=sig))
        if isinstance(ty, StatefulOpType):
            # a void callback acts through its state array, which every copy of the StatefulOp points to
            if not p.stateful and ret is not types.none:
                raise NoMatch(f"parameter `{p.name}` is copied by CUB, so a StatefulOp's state would be lost; pass a plain device function")
            sig = self._resolve_fn(p, ty.fn_type, (ty.state_type, *operands))
            self._check_ret(p, sig, ret)
            return ArgPlan(p, ty, op=OpPlan("stateful", ty, operands, ret, fn_sig=sig))
        raise NoMatch(f"parameter `{p.name}` expects an operator (a cub_bindings.functional functor or a @cuda.jit(device=True) function), got {ty}")

    def _op_type(self, s: str):
        if s == "void":  # a callback: its result is ignored
            return types.none
        if s.endswith("[]"):  # a C++ array reference of a class constant's length: a read-only 1-D array
            return types.Array(self._op_type(s[:-2]), 1, "C", readonly=True)
        if s.startswith("{"):
            pname = s.strip("{}")
            ap = self._by_name.get(pname)
            if ap is None or ap.elem is None:
                raise NoMatch(f"operator result type follows `{pname}`, which is not given")
            return ap.elem
        t = self.elem(s)
        if t is None:
            raise NoMatch(f"operator operand type {s} is not deduced")
        return t

    def _resolve_fn(self, p, fnty, argtys):
        try:
            sig = self.context.resolve_function_type(fnty, tuple(argtys), {})
        except Exception as exc:
            raise NoMatch(f"parameter `{p.name}`: {fnty} cannot be called with {tuple(map(str, argtys))}: {str(exc).splitlines()[0]}") from None
        if sig is None:
            raise NoMatch(f"parameter `{p.name}`: {fnty} cannot be called with {tuple(map(str, argtys))}")
        return sig

    def _check_ret(self, p, sig, ret):
        if ret is types.none:
            return
        if not _scalar_ok(self.context, sig.return_type, ret) and self.context.can_convert(sig.return_type, ret) is None:
            raise NoMatch(f"parameter `{p.name}`: the operator returns {sig.return_type}, CUB needs {ret}")

    # ---------------------------------------------------------------- main
    def run(self) -> CallPlan:
        for name in self.ov.requires_default:
            if self.sp.value(name) is not None:
                raise NoMatch(f"keys-only overload: CUB requires {name} to keep its default (specialize without {name})")
        if self._needs_decomposer():
            raise NoMatch("the keys are records: CUB sorts them through a decomposer (pass decomposer=Decomposer(...))")
        params = self.ov.params
        if len(self.args) > len(params):
            raise NoMatch(f"takes at most {len(params)} arguments, got {len(self.args)}")
        given: dict[str, types.Type] = {}
        for p, a in zip(params, self.args):
            given[p.name] = a
        names = {p.name for p in params}
        for k, a in self.kws.items():
            if k in names:
                if k in given:
                    raise NoMatch(f"argument `{k}` given twice")
                given[k] = a
            elif k in self.method_tparams and self.method_tparams[k].kind == "integer":
                if not isinstance(a, types.IntegerLiteral):
                    raise NoMatch(f"template argument {k} must be an integer constant")
                self.explicit[k] = a.literal_value
            else:
                raise NoMatch(f"unknown keyword `{k}`")
        for p in params:
            if p.name not in given and p.default is None:
                raise NoMatch(f"missing argument `{p.name}`")
        plans: dict[str, ArgPlan] = {}
        self._by_name = plans
        for p in params:  # functors last: their result type may follow another parameter
            if p.role == "functor" or p.name not in given:
                continue
            ty = given[p.name]
            if p.role in ("array", "range", "carray", "ref", "iterator"):
                plans[p.name] = self.match_array(p, ty, "array" if p.role == "carray" else p.role)
            elif p.role == "decomposer":
                plans[p.name] = self.match_decomposer(p, ty)
            else:
                plans[p.name] = self.match_value(p, ty)
        for p in params:
            if p.role == "functor" and p.name in given:
                plans[p.name] = self.match_functor(p, given[p.name])
        out = [plans.get(p.name, ArgPlan(p, None)) for p in params]
        ret = None
        if self.ov.returns:
            ret = self.elem(self.ov.returns)
        # explicit template arguments (ITEMS_PER_THREAD=4) come last; lowering ignores them
        supplied = [a.param.name for a in out if a.numba_type is not None] + list(self.explicit)
        pysig = inspect.Signature([inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in supplied])
        return CallPlan(self.sp, self.mode, self.ov, out, ret, dict(self.explicit), pysig)


def _default_type(spelling: str):
    ty = {"::cuda::std::uint32_t": types.uint32}.get(spelling)
    if ty is None:
        raise NoMatch(f"default type {spelling} has no Numba counterpart")
    return ty


def resolve(context, specialization, mode, overloads, args, kws, what: str) -> CallPlan:
    failures, plans = [], []
    for ov in overloads:
        try:
            plans.append(_Matcher(context, specialization, mode, ov, args, kws).run())
        except NoMatch as exc:
            failures.append(f"  {_fmt(ov)}: {exc}")
    if plans:
        # fewest omitted defaults first: the overload that uses every given argument directly
        plans.sort(key=lambda pl: sum(a.numba_type is None for a in pl.args))
        return plans[0]
    shown = ", ".join(str(a) for a in args) + "".join(f", {k}={v}" for k, v in kws.items())
    raise TypingError(f"{what}: no overload accepts ({shown.lstrip(', ')}):\n" + "\n".join(failures))
