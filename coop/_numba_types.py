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

import operator

from numba.cuda import types
from numba.cuda.datamodel.models import OpaqueModel, StructModel
from numba.cuda.typing.templates import AbstractTemplate, AttributeTemplate, signature

from cub_bindings.extending import lowering_registry, planned, register_model, typeof_impl, typing_registry

from coop._arrays import PlannedStorageType, TempStorageType
from coop._errors import current_call, fail
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


class BoundStorageType(types.Callable):
    """``coop.block.load[temp]``: a primitive with its ``temp_storage`` given by subscript (the
    earlier API's form); its value is the TempStorage, and calling it is calling the
    primitive with ``temp_storage=temp``."""

    def __init__(self, primitive: PrimitiveType, storage):
        self.primitive, self.storage = primitive, storage
        super().__init__(f"{primitive.name}[{storage}]")

    def get_call_type(self, context, args, kws):
        what = self.primitive.fn.prim.qualname
        if "temp_storage" in kws:
            fail(what, "temp_storage", f"is given twice: by subscript ({what}[temp](...)) and by keyword",
                 "one of them")
        variables = _subscript_variables()
        ret, argtys, written, plan = type_call(context, self.primitive.fn.prim, args,
                                               {**kws, "temp_storage": self.storage}, self.primitive.fn.fixed,
                                               extra_variables=variables)
        # the subscript's TempStorage is the callee's value, not an argument of the call
        keep = [i for i, n in enumerate(plan.names) if n != "temp_storage"]
        plan.names = [plan.names[i] for i in keep]
        plan.bound_storage = True
        return _signature(self, ret, [argtys[i] for i in keep], [written[i] for i in keep], plan)

    def get_call_signatures(self):
        return (), True

    def get_impl_key(self, sig):
        return type(self)

    def unify(self, typingctx, other):
        """``prim[temp]`` typed before and after a size-omitted ``temp`` was refined."""
        if isinstance(other, BoundStorageType) and other.primitive == self.primitive:
            storage = typingctx.unify_pairs(self.storage, other.storage)
            if storage is not None and not isinstance(storage, PlannedStorageType):
                return BoundStorageType(self.primitive, storage)
        return None


def _subscript_variables() -> dict:
    """``{"temp_storage": var}`` for the call being typed, when its callee is ``prim[var]``
    (so a size-omitted TempStorage can be refined by this use)."""
    con, typeinfer = current_call()
    if con is None or typeinfer is None:
        return {}
    try:
        expr = typeinfer.func_ir.get_definition(con.func)
    except Exception:
        return {}
    if getattr(expr, "op", None) == "getitem":
        return {"temp_storage": expr.index}
    return {}


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


@register_model(BoundStorageType)
def _bound_model(dmm, fe_type):
    return dmm.lookup(fe_type.storage)


@typing_registry.register_global(operator.getitem)
class _PrimitiveSubscript(AbstractTemplate):
    def generic(self, args, kws):
        if len(args) == 2 and isinstance(args[0], PrimitiveType):
            prim, ts = args
            if not isinstance(ts, (TempStorageType, PlannedStorageType)):
                fail(prim.fn.prim.qualname, "temp_storage", f"the subscript must be a coop.TempStorage(), got {ts}",
                     f"{prim.fn.prim.qualname}[temp](...) with temp = coop.TempStorage()")
            if "temp_storage" not in prim.fn.prim.names:
                fail(prim.fn.prim.qualname, "temp_storage", "this primitive takes no TempStorage")
            return signature(BoundStorageType(prim, ts), prim, ts)
        return None


@lowering_registry.lower(operator.getitem, PrimitiveType, types.Any)
def _lower_subscript(context, builder, sig, args):
    return context.cast(builder, args[1], sig.args[1], sig.return_type.storage)  # the bound value: its TempStorage


@lowering_registry.lower_cast(BoundStorageType, BoundStorageType)
def _cast_bound(context, builder, fromty, toty, val):
    return context.cast(builder, val, fromty.storage, toty.storage)
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


for _callee in (PrimitiveType, MethodType, BoundStorageType):
    lowering_registry.lower(_callee, types.VarArg(types.Any))(_lower)


def register_callable(cls):
    """Make instances of ``cls`` (PrimitiveFunction, TwoPhase) typed as PrimitiveType."""
    typeof_impl.register(cls)(lambda val, c: PrimitiveType(val))
