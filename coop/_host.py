"""The objects users call: ``coop.block.scan`` (single-phase in kernels, a two-phase
constructor on the host) and the two-phase objects it returns; their Numba types.

``coop.block.scan(np.int32, 128, 4)`` on the host returns a ``TwoPhase``: the same
primitive with its dtype, block shape, items per thread and compile-time options fixed,
reporting ``temp_storage_bytes``/``temp_storage_alignment`` and callable in kernels with
the remaining (runtime) arguments.
"""

from __future__ import annotations

import itertools
import threading

from numba.cuda import types
from numba.cuda.datamodel.models import OpaqueModel
from numba.cuda.typing.typeof import typeof

from cub_bindings._runtime import cxx
from cub_bindings._runtime.class_template import HostSpecialization
from cub_bindings._runtime.ntypes import CALL_TYPERS, CxxFunctorType, _CallableDummy
from cub_bindings._runtime.registry import lowering_registry, register_model, typeof_impl
from cub_bindings.functional import CxxFunctor

from coop import _launch, _ops, enums
from coop._decl import Primitive
from coop._lowering import lower_plan
from coop._typing import Call, specialization, type_call

_PLANS: dict = {}
_plans_lock = threading.Lock()


class PrimitiveFunction:
    """``coop.<scope>.<name>``: call it in a kernel (single-phase) or on the host (two-phase)."""

    def __init__(self, prim: Primitive):
        self.prim = prim
        self.__name__ = prim.name
        self.__qualname__ = prim.qualname
        self.__doc__ = prim.doc

    def __call__(self, *args, **kws) -> "TwoPhase":
        return TwoPhase(self.prim, args, kws)

    def __repr__(self):
        return f"<{self.prim.qualname}>"


def _host_bind(prim: Primitive, args, kws) -> dict:
    what = f"{prim.qualname} (two-phase constructor)"
    order = list(prim.host_order)
    if len(args) > len(order):
        raise TypeError(f"{what} takes at most {len(order)} positional arguments ({', '.join(order)}), got {len(args)}")
    given = dict(zip(order, args))
    host_names = set(order) | {p.name for p in prim.params if p.host_only}
    for k, v in kws.items():
        name = prim.aliases.get(k, k)
        if name not in host_names:
            if name in prim.names:
                raise TypeError(f"{what}: {name} cannot be fixed on the host; pass it in the kernel call")
            raise TypeError(f"{what}: unknown keyword {k!r}; valid: {', '.join(order)}")
        if name in given:
            raise TypeError(f"{what}: {k!r} given twice")
        given[name] = v
    for n in order:
        p = prim.param(n)
        if (p.required or p.kind == "dims") and n not in given:
            raise TypeError(f"{what}: missing argument {n!r} (positional order: {', '.join(order)})")
        if p.kind in ("ipt", "warp") and n not in given:
            given[n] = p.default if p.default is not None else 1  # fixed now, so the layout is the kernel's
    bound = {}
    dtype = None
    if "dtype" in given:
        try:
            dtype = cxx.numba_type_of_dtype(given["dtype"]) if not isinstance(given["dtype"], types.Type) else given["dtype"]
        except Exception:
            raise TypeError(f"{what}: dtype must be a NumPy/Numba scalar or record dtype, got {given['dtype']!r}") from None
        bound["dtype"] = (dtype, dtype)
    for name, v in given.items():
        if name == "dtype" or v is None:
            continue
        p = prim.param(name)
        bound[name] = _host_value(what, p, v, dtype)
    return bound


def _host_value(what, p, v, dtype):
    k = p.kind
    if k in ("ipt", "warp"):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{what}: {p.name} must be a positive int, got {v!r}")
        if k == "warp" and (v > 32 or v & (v - 1)):
            raise ValueError(f"{what}: {p.name}={v} is not a logical warp size; valid: a power of two from 1 to 32 "
                             "(use a coop.block primitive for larger groups)")
        return types.IntegerLiteral(v), v
    if k == "dims":
        try:
            dims = _launch.normalize_dims(v)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what}: {p.name}: {exc}") from None
        return types.UniTuple(types.intp, 3), dims
    if k == "enum":
        m = enums.member_named(p.choices, v)
        if m is None:
            raise ValueError(f"{what}: {p.name}={v!r} is not a {p.choices.__name__}; valid: {enums.names(p.choices)}")
        return typeof(m), m
    if k == "choice":
        if v not in p.choices:
            raise ValueError(f"{what}: {p.name}={v!r}; valid: {', '.join(map(repr, p.choices))}")
        return types.StringLiteral(v), v
    if k == "bool":
        return types.BooleanLiteral(bool(v)), bool(v)
    if k == "op":
        try:
            op = _ops.host_op(v)
        except ValueError as exc:
            raise ValueError(f"{what}: {p.name}: {exc}") from None
        return (CxxFunctorType(op), op) if isinstance(op, CxxFunctor) else (types.Dispatcher(op), op)
    if k == "value":
        if dtype is None:
            raise TypeError(f"{what}: {p.name} needs the dtype")
        return dtype, v
    raise TypeError(f"{what}: {p.name} cannot be fixed on the host; pass it in the kernel call")


class TwoPhase:
    """A primitive specialized on the host; call it inside kernels."""

    _ids = itertools.count()

    def __init__(self, prim: Primitive, args, kws):
        self.prim = prim
        self.bound = _host_bind(prim, args, kws)
        self._id = next(self._ids)
        self.specialization = specialization(self._host_call())
        self._host_spec = HostSpecialization(self.specialization)

    def _host_call(self) -> Call:
        c = Call(self.prim, None, {}, self.bound)
        c.dtype = self.bound["dtype"][0]
        ipt = next((p.name for p in self.prim.params if p.kind == "ipt"), None)
        c.ipt = self.bound[ipt][1] if ipt in self.bound else 1
        if self.prim.scope == "block":
            dims = next(p.name for p in self.prim.params if p.kind == "dims")
            c.dims = self.bound[dims][1]
        else:
            wp = next(p for p in self.prim.params if p.kind == "warp")
            c.warp_threads = self.bound[wp.name][1] if wp.name in self.bound else wp.default
        return c

    @property
    def cxx(self) -> str:
        """The CUB class this primitive is, in C++."""
        return self.specialization.cxx

    @property
    def temp_storage_layout(self) -> tuple[int, int]:
        """(bytes, alignment) of CUB's TempStorage, from cub_bindings' batched layout query."""
        return self._host_spec.temp_storage_layout

    @property
    def temp_storage_bytes(self) -> int:
        """Bytes of CUB's TempStorage for this primitive (per logical warp for warp primitives)."""
        return self._host_spec.temp_storage_bytes

    @property
    def temp_storage_alignment(self) -> int:
        return self._host_spec.temp_storage_alignment

    @property
    def files(self) -> list:
        """Always empty: nothing needs ``link=`` (kept so older code that passes
        ``link=prim.files`` to ``cuda.jit`` still runs)."""
        return []

    def __repr__(self):
        fixed = ", ".join(f"{n}={v[1]!r}" for n, v in self.bound.items() if n != "dtype")
        return f"<{self.prim.qualname}({self.bound['dtype'][1]}, {fixed}) -> {self.cxx}>"


# --------------------------------------------------------------------------- Numba types


class PrimitiveType(_CallableDummy):
    def __init__(self, prim: Primitive):
        self.prim = prim
        super().__init__(f"{prim.qualname}")

    def get_impl_key(self, sig):
        return ("coop", self.prim.qualname)


class TwoPhaseType(_CallableDummy):
    def __init__(self, obj: TwoPhase):
        self.obj = obj
        super().__init__(f"{obj.prim.qualname}#{obj._id}")

    def get_impl_key(self, sig):
        return ("coop.two_phase", self.obj._id)


_lowered: set = set()


def _typer(fnty, context, args, kws):
    two_phase = isinstance(fnty, TwoPhaseType)
    prim = fnty.obj.prim if two_phase else fnty.prim
    sig, plan = type_call(context, prim, args, kws, fnty.obj.bound if two_phase else None)
    key = fnty.get_impl_key(sig)
    with _plans_lock:
        _PLANS[(key, tuple(sig.args), _launch.launch_key())] = plan
        if key not in _lowered:
            _lowered.add(key)
            lowering_registry.lower(key, types.VarArg(types.Any))(_make_lower(key))
    return sig


def _make_lower(key):
    def impl(context, builder, sig, args):
        plan = _PLANS[(key, tuple(sig.args), _launch.launch_key())]
        return lower_plan(context, builder, sig, args, plan)

    return impl


CALL_TYPERS[PrimitiveType] = _typer
CALL_TYPERS[TwoPhaseType] = _typer

for _cls in (PrimitiveType, TwoPhaseType):
    register_model(_cls)(OpaqueModel)
    lowering_registry.lower_constant(_cls)(lambda context, builder, ty, pyval: context.get_dummy_value())


@typeof_impl.register(PrimitiveFunction)
def _typeof_prim(val, c):
    return PrimitiveType(val.prim)


@typeof_impl.register(TwoPhase)
def _typeof_two_phase(val, c):
    return TwoPhaseType(val)
