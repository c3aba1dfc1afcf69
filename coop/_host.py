"""The objects users call: ``coop.block.scan`` (single-phase in kernels, a two-phase
constructor on the host) and the two-phase objects it returns.

``coop.block.scan(np.int32, 128, 4)`` on the host returns a ``TwoPhase``: the same
primitive with its dtype, block shape, items per thread and compile-time options fixed,
reporting ``temp_storage_bytes``/``temp_storage_alignment`` and callable in kernels with the
remaining arguments. For a parent/child primitive (``coop.block.histogram``) the kernel call
of the two-phase object returns the parent object (``histo = block_hist(); histo.init()``).

The two-phase constructor folds its arguments with the same ``_typing.bind`` as kernel
calls, and checks them with the same parameter kinds.
"""

from __future__ import annotations

import inspect
import itertools

from cub_bindings.extending import HostSpecialization

from coop._decl import Primitive
from coop._kinds import BlockDims, Count, DType, Value, WarpThreads
from coop._numba_types import register_callable
from coop._sim import in_simulated_kernel
from coop._typing import Call, bind, infer_shape, specialization

_P = inspect.Parameter


class PrimitiveFunction:
    """``coop.<scope>.<name>``: call it in a kernel (single-phase) or on the host (two-phase)."""

    fixed = None

    def __init__(self, prim: Primitive):
        self.prim = prim
        self.__name__ = prim.name
        self.__qualname__ = prim.qualname
        self.__module__ = f"coop.{prim.scope}"
        from coop._docstrings import docstring, kernel_signature

        self.__doc__ = docstring(prim)
        self.__signature__ = kernel_signature(prim)
        self.type_name = prim.qualname

    def __call__(self, *args, **kws) -> "TwoPhase":
        if in_simulated_kernel():  # the CUDA simulator runs the kernel as Python: this is the call
            from coop._sim.run import call_primitive

            return call_primitive(self.prim, args, kws)
        return TwoPhase(self.prim, args, kws)

    def __getitem__(self, temp_storage):
        """``prim[temp_storage](...)``: the call with its TempStorage bound (kernels only)."""
        if in_simulated_kernel():
            from coop._sim.run import call_primitive

            return lambda *args, **kws: call_primitive(self.prim, args, kws, self.fixed, temp_storage)
        raise TypeError(f"{self.prim.qualname}[temp_storage](...) binds a TempStorage inside a kernel")

    def __repr__(self):
        return f"<{self.prim.qualname}>"


def host_needs(p) -> bool:
    """Whether the two-phase constructor must be given parameter ``p``."""
    return p.required or (p.default is None and (p.host_required or isinstance(p.kind, (BlockDims, DType))))


def host_call(prim: Primitive, args, kws) -> Call:
    """Fold and check a two-phase constructor's arguments; the Call holds what they fix."""
    what = f"{prim.qualname} (two-phase constructor)"
    order = list(prim.host_order)
    names, _, _ = bind(what, prim.params, order, tuple(args), dict(kws), prim.aliases, host=True)
    c = Call(what, prim.params, None, {}, {}, prim.scope)
    for n in order:
        if host_needs(prim.param(n)) and n not in names:
            c.fail(n, f"missing argument {n!r} (positional order: {', '.join(order)})")
    for name, v in names.items():
        if v is None:
            continue
        p = prim.param(name)
        c.fixed[name] = p.kind.host_value(c, p, v) if not isinstance(p.kind, Value) else (None, v)
    # values are checked once the dtype groups they convert to are known
    for p in prim.params:
        if p.name in c.fixed and not isinstance(p.kind, Value):
            p.kind.infer_host(c, p, c.fixed[p.name][1])
    from coop._typing import _settle_dtypes, _settle_lengths, default_votes

    default_votes(c, prim.params)
    _settle_dtypes(c)
    _settle_lengths(c, prim.params)
    for p in prim.params:
        if p.name in c.fixed and isinstance(p.kind, Value):
            c.fixed[p.name] = p.kind.host_value(c, p, c.fixed[p.name][1])
        length = getattr(p.kind, "length", None)
        if isinstance(p.kind, Count) and p.name not in c.fixed and c.length(length) is None:
            c.fixed[p.name] = p.kind.host_value(c, p, p.default if isinstance(p.default, int) else 1)
            c.lengths[length] = c.fixed[p.name][1]
        if isinstance(p.kind, WarpThreads) and p.name not in c.fixed:
            c.fixed[p.name] = p.kind.host_value(c, p, p.default)
    if prim.scope == "warp":
        c.warp_threads = c.fixed[next(p.name for p in prim.params if isinstance(p.kind, WarpThreads))][1]
    infer_shape(c, prim.params)
    return c


class TwoPhase:
    """A primitive specialized on the host; call it inside kernels."""

    _ids = itertools.count()

    def __init__(self, prim: Primitive, args, kws):
        self.prim = prim
        self._call = host_call(prim, args, kws)
        self.fixed = dict(self._call.fixed)
        self._id = next(self._ids)
        self.type_name = f"{prim.qualname}#{self._id}"
        self.specialization = specialization(self._call, prim)
        self._host_spec = HostSpecialization(self.specialization)  # sized with the others made before asking
        params = [_P(n, _P.POSITIONAL_OR_KEYWORD, default=None) for n in prim.kernel_order if n not in self.fixed]
        self.__signature__ = inspect.Signature(params)

    @property
    def cxx(self) -> str:
        """The CUB class this primitive is, in C++."""
        return self.specialization.cxx

    @property
    def temp_storage_layout(self) -> tuple[int, int]:
        """(bytes, alignment) of CUB's TempStorage; every object made before the first such
        question is sized in the same (batched, cached) NVRTC call."""
        return self._host_spec.temp_storage_layout

    @property
    def temp_storage_bytes(self) -> int:
        """Bytes of CUB's TempStorage for this primitive (per logical warp for warp primitives)."""
        return self.temp_storage_layout[0]

    @property
    def temp_storage_alignment(self) -> int:
        return self.temp_storage_layout[1]

    @property
    def files(self) -> list:
        """Always empty: nothing needs ``link=`` (kept so older code that passes
        ``link=prim.files`` to ``cuda.jit`` still runs)."""
        return []

    def create(self, *args, **kws):
        """The earlier API's alias: ``prim.create()`` is the object itself."""
        if args or kws:
            self._call.fail(None, "create() takes no arguments: the two-phase constructor fixed everything")
        return self

    def __call__(self, *args, **kws):
        if in_simulated_kernel():
            from coop._sim.run import call_primitive

            return call_primitive(self.prim, args, kws, self.fixed)
        self._call.fail(None, "a two-phase object is called inside a kernel (it specializes the primitive "
                        "there), not on the host", f"call it in a @cuda.jit kernel: {self.prim.name}(...)")

    def __repr__(self):
        fixed = ", ".join(f"{n}={v[1]!r}" for n, v in self.fixed.items() if not isinstance(self.prim.param(n).kind, DType))
        dts = ", ".join(str(v[1]) for n, v in self.fixed.items() if isinstance(self.prim.param(n).kind, DType))
        return f"<{self.prim.qualname}({dts}, {fixed}) -> {self.cxx}>"


TwoPhase.__getitem__ = PrimitiveFunction.__getitem__

def make_factory(fn: PrimitiveFunction):
    """``coop.block.make_<name>``: the earlier API's two-phase factory, a thin alias
    returning the same ``TwoPhase`` object as calling ``coop.block.<name>`` on the host."""
    prim = fn.prim

    def make(*args, **kws) -> TwoPhase:
        return TwoPhase(prim, args, kws)

    make.__name__ = make.__qualname__ = f"make_{prim.name}"
    make.__module__ = f"coop.{prim.scope}"
    make.__doc__ = (f"The two-phase form of {prim.qualname} (the earlier API's factory name): "
                    f"{prim.qualname}({', '.join(prim.host_order)}) on the host.")
    params, optional = [], False
    for n in prim.host_order:
        optional = optional or not host_needs(prim.param(n))
        params.append(_P(n, _P.POSITIONAL_OR_KEYWORD, default=None if optional else _P.empty))
    make.__signature__ = inspect.Signature(params)
    return make


def make_factories(namespace: dict, names) -> list:
    """Add ``make_<name>`` for every primitive in ``names`` to a module's namespace."""
    made = []
    for name in names:
        fn = namespace[name]
        if isinstance(fn, PrimitiveFunction):
            namespace[f"make_{name}"] = make_factory(fn)
            made.append(f"make_{name}")
    return made


register_callable(PrimitiveFunction)
register_callable(TwoPhase)
