"""Numba types for the bound CUB objects and their data models."""

from __future__ import annotations

import itertools

from numba.cuda import types
from numba.cuda.datamodel.models import OpaqueModel, StructModel

from cub_bindings._runtime.registry import register_model


#: set by class_template: (callable type, typing context, args, kws) -> signature
CALL_TYPERS: dict = {}


class _CallableDummy(types.Callable):
    """A callable object whose calls are typed by ``CALL_TYPERS[type(self)]``; lowered by the
    implementation registered for its class."""

    def get_call_type(self, context, args, kws):
        return CALL_TYPERS[type(self)](self, context, args, kws)

    def get_call_signatures(self):
        return (), True

    def get_impl_key(self, sig):
        return type(self)


class PlannedCall(types.Type):
    """The receiver type of a typed call: it carries what typing decided (the ``plan``) to
    lowering, as numba's ``intrinsic`` returns ``(sig, codegen)``. A signature
    ``sig.replace(recvr=PlannedCall(plan, callee))`` makes numba pass the signature, and the
    callee's value as the first argument, to the implementation registered for the callee's
    class; no table is shared between typing and lowering. Its value is the callee's."""

    _ids = itertools.count()

    def __init__(self, plan, callee):
        self.plan, self.callee = plan, callee
        super().__init__(f"planned#{next(self._ids)}<{callee}>")


def planned(sig, plan, callee):
    """``sig`` carrying ``plan`` to the lowering of ``callee``'s calls."""
    return sig.replace(recvr=PlannedCall(plan, callee))


class ClassTemplateType(_CallableDummy):
    """The global ``BlockScan`` (a class template) seen from a kernel."""

    def __init__(self, name: str):
        self.template_name = name
        super().__init__(f"cub.{name}")


class SpecializationType(_CallableDummy):
    """A host-created specialization, e.g. ``BlockScan(np.int32, 128)`` made outside the kernel."""

    def __init__(self, specialization):
        self.specialization = specialization
        super().__init__(f"cub.{specialization!r}")


class TempStorageFactoryType(_CallableDummy):
    """``X.TempStorage`` where X is a class template (``owner`` is its name) or a specialization."""

    def __init__(self, owner):
        self.owner = owner
        super().__init__(f"cub.TempStorageFactory({owner!r})")


class TempStorageType(types.Type):
    """Shared memory laid out as ``count`` objects of ``X::TempStorage``."""

    def __init__(self, specialization, count: int = 1, element: bool = False, buffer=None):
        self.specialization, self.count, self.element = specialization, count, element
        self.buffer = buffer  # (length, alignment) of a caller-provided byte buffer, or None
        what = "TempStorage" if element or count == 1 else f"TempStorage[{count}]"
        where = f"@buffer{buffer}" if buffer else ""
        super().__init__(f"cub.{specialization!r}.{what}{where}")


class InstanceType(types.Type):
    """A constructed CUB object. ``mode``: implicit / explicit TempStorage, or persistent."""

    def __init__(self, specialization, mode: str):
        self.specialization, self.mode = specialization, mode
        super().__init__(f"cub.{specialization!r}[{mode}]")


class MethodType(_CallableDummy):
    """``obj.Method`` of a constructed CUB object; its value is the object."""

    def __init__(self, instance: InstanceType, method: str):
        self.instance, self.method = instance, method
        super().__init__(f"{instance}.{method}")


class CxxFunctorType(types.Dummy):
    def __init__(self, functor):
        self.functor = functor
        super().__init__(f"cub.functor({functor.cxx})")


class DecomposerType(types.Dummy):
    """``Decomposer("hi", "lo")``: the fields of a record key a radix sort compares, most
    significant first (a compile-time constant; the shim generates the C++ functor)."""

    def __init__(self, fields: tuple, ret_types: tuple | None = None):
        self.fields, self.ret_types = tuple(fields), ret_types
        extra = f" -> {ret_types}" if ret_types else ""
        super().__init__(f"cub.Decomposer({', '.join(self.fields)}{extra})")


class StatefulOpType(types.Type):
    """``StatefulOp(fn, state)``: a device function called as ``fn(state, ...)``."""

    def __init__(self, fn_type, state_type):
        self.fn_type, self.state_type = fn_type, state_type
        super().__init__(f"cub.StatefulOp({fn_type}, {state_type})")


class ValueObjectType(types.Type):
    """An object of a value class (digit extractor), kept as its constructor arguments."""

    def __init__(self, specialization, ctor_index: int, arg_types: tuple):
        self.specialization, self.ctor_index, self.arg_types = specialization, ctor_index, tuple(arg_types)
        super().__init__(f"cub.{specialization!r}{self.arg_types}")


class _PtrIndexModel(StructModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, [("ptr", types.voidptr), ("index", types.int32)])


class _StatefulOpModel(StructModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, [("state", fe_type.state_type)])


class _ValueObjectModel(StructModel):
    def __init__(self, dmm, fe_type):
        members = [(f"a{i}", t) for i, t in enumerate(fe_type.arg_types)] or [("dummy", types.int8)]
        super().__init__(dmm, fe_type, members)


for _t in (ClassTemplateType, SpecializationType, TempStorageFactoryType, CxxFunctorType, DecomposerType):
    register_model(_t)(OpaqueModel)
register_model(TempStorageType)(_PtrIndexModel)
register_model(InstanceType)(_PtrIndexModel)
register_model(MethodType)(_PtrIndexModel)


@register_model(PlannedCall)
def _planned_model(dmm, fe_type):
    return dmm.lookup(fe_type.callee)
register_model(StatefulOpType)(_StatefulOpModel)
register_model(ValueObjectType)(_ValueObjectModel)


def _dummy_constant(context, builder, ty, pyval):
    return context.get_dummy_value()


def _register_constants():
    from cub_bindings._runtime.registry import lowering_registry

    for t in (ClassTemplateType, SpecializationType, TempStorageFactoryType, CxxFunctorType, DecomposerType):
        lowering_registry.lower_constant(t)(_dummy_constant)


_register_constants()
