"""Numba types of coop's callables and objects, and how a call's plan reaches lowering.

* ``PrimitiveType``: ``coop.block.scan`` (single-phase) or a two-phase object, seen in a kernel.
* ``ObjectType``: what a parent/child primitive's call returns (``histo``): the CUB class,
  its storage, the values it captured and the inferred groups, all in the type; its
  attributes are ``MethodType``\\ s, whose value is the object itself.
* The typing result carries its plan the way numba's ``intrinsic`` returns ``(sig, codegen)``:
  the call's signature has ``recvr=PlannedCall(plan, callee)`` (``cub_bindings.extending.planned``),
  so numba hands the signature (and with it the plan) to the one lowering function of all coop
  calls, and passes the callee's value (the parent object, for methods) as its first argument.
  No table is shared between typing and lowering.
"""

from __future__ import annotations

from numba.cuda import types
from numba.cuda.datamodel.models import OpaqueModel, StructModel
from numba.cuda.typing.templates import AttributeTemplate, signature

from cub_bindings.extending import lowering_registry, planned, register_model, typeof_impl, typing_registry

from coop._typing import pysig, type_call, type_method


def _signature(callee, ret, argtys, written, plan):
    return planned(signature(ret, *argtys).replace(pysig=pysig(written)), plan, callee)


class PrimitiveType(types.Callable):
    """A coop primitive (``fn.prim``), single-phase or fixed by a two-phase object (``fn.fixed``)."""

    def __init__(self, fn):
        self.fn = fn
        super().__init__(fn.type_name)

    def get_call_type(self, context, args, kws):
        ret, argtys, written, plan = type_call(context, self.fn.prim, args, kws, self.fn.fixed)
        return _signature(self, ret, argtys, written, plan)

    def get_call_signatures(self):
        return (), True

    def get_impl_key(self, sig):
        return type(self)


class ObjectType(types.Type):
    """A parent object (``histo = coop.block.histogram(items, smem)``)."""

    def __init__(self, prim, specialization, storage, captured, dtypes, lengths, dims, persistent=False):
        self.prim, self.specialization, self.storage = prim, specialization, storage
        self.captured, self.dtypes, self.lengths, self.dims = captured, dtypes, lengths, dims
        self.persistent = persistent
        cap = ", ".join(f"{n}={t}" for n, t in captured)
        super().__init__(f"{prim.qualname}<{specialization!r}, storage={storage}{', ' + cap if cap else ''}>")


class MethodType(types.Callable):
    """``obj.name``: a method of a parent object; its value is the object."""

    def __init__(self, obj: ObjectType, name: str):
        self.obj, self.method = obj, name
        super().__init__(f"{obj.name}.{name}")

    def get_call_type(self, context, args, kws):
        ret, argtys, written, plan = type_method(context, self.obj, self.method, args, kws)
        return _signature(self, ret, argtys, written, plan)

    def get_call_signatures(self):
        return (), True

    def get_impl_key(self, sig):
        return type(self)


class _ObjectModel(StructModel):
    def __init__(self, dmm, fe_type):
        members = [("ptr", types.voidptr), ("index", types.int32)]
        members += [(f"cap_{n}", t) for n, t in fe_type.captured]
        super().__init__(dmm, fe_type, members)


def _method_model(dmm, fe_type):
    return _ObjectModel(dmm, fe_type.obj)


register_model(PrimitiveType)(OpaqueModel)
register_model(ObjectType)(_ObjectModel)
register_model(MethodType)(_method_model)


@lowering_registry.lower_constant(PrimitiveType)
def _primitive_constant(context, builder, ty, pyval):
    return context.get_dummy_value()


@typing_registry.register_attr
class _ObjectAttrs(AttributeTemplate):
    key = ObjectType

    def generic_resolve(self, obj, attr):
        if obj.prim.method(attr) is not None:
            return MethodType(obj, attr)
        return None


@lowering_registry.lower_getattr_generic(ObjectType)
def _lower_method_attr(context, builder, ty, val, attr):
    return val  # a MethodType's value is its object


def _lower(context, builder, sig, args):
    from coop._lowering import lower_planned

    return lower_planned(context, builder, sig, args)


for _callee in (PrimitiveType, MethodType):
    lowering_registry.lower(_callee, types.VarArg(types.Any))(_lower)


def register_callable(cls):
    """Make instances of ``cls`` (PrimitiveFunction, TwoPhase) typed as PrimitiveType."""
    typeof_impl.register(cls)(lambda val, c: PrimitiveType(val))
