"""The public API for building on cub_bindings (what ``coop`` uses, and nothing else).

Layers above cub_bindings specialize CUB class templates, resolve a method call against
the generated overloads, and emit the call into the kernel being lowered, through these
names only; everything under ``cub_bindings._runtime`` stays private and may change.

Typing (host or kernel):

* ``specialize(template, targs) -> Specialization``: bind template arguments given as host
  values (NumPy dtypes / Numba types, ints, bools, ``cub_bindings.enums`` members).
* ``resolve_method(typingctx, specialization, mode, method, kinds, what) -> CallPlan``:
  pick the overload of ``method`` that accepts CUB parameter name -> Numba type ``kinds``
  (strict; ``NoOverload`` lists every candidate and why it failed). ``mode``: "implicit"
  (CUB's private shared memory), "explicit" (a TempStorage pointer) or "persistent" (an
  object constructed once, see ``emit_construct``).
* ``temp_storage_layouts(specializations)``: TempStorage (bytes, alignment), one batched
  NVRTC call for everything not known yet.
* ``value_object_type(typingctx, template, targs, args) -> ValueObjectType``: the Numba type
  of a CUB value object (a digit extractor such as ``BFEDigitExtractor<KeyT>(bit_start,
  num_bits)``) built from compile-time constructor arguments; a method parameter of role
  "extractor" accepts it.

Lowering:

* ``emit_call(context, builder, plan, storage_ptr, storage_index, values, storage_symbol=None)``:
  add the shim for ``plan`` to the kernel's shim set and call it; returns the result value or
  None. With ``storage_symbol`` (``planned_storage``) the TempStorage is that plan getter's.
* ``emit_construct(context, builder, plan, ts_ptr, ts_index, values, storage_symbol=None) -> object pointer``:
  placement-construct a persistent CUB object (e.g. BlockRunLengthDecode).
* ``emit_temp_storage(context, builder, specialization, count) -> i8*``: ``count``
  TempStorage objects in shared memory of their own.
* ``planned_storage(context, kind, specialization=None, count=1, nbytes=0, align=16,
  what=None) -> symbol`` and ``emit_planned_storage(...) -> i8*``: shared memory from the kernel's plan, one buffer for the whole kernel
  (static, or dynamic past 48 KB with the launch adding its size): a block-wide call's
  TempStorage (``"overlap"``: may share memory with other such calls, with a barrier before
  each when they do), ``count`` TempStorage kept apart (``"own"``), or ``nbytes`` of bytes
  (``"bytes"``). ``planned_storage`` returns the getter's symbol, for
  ``emit_call(..., storage_symbol=symbol)`` (the shim calls it: C++ sees a constant shared
  address); ``emit_planned_storage`` the address in the kernel's own code. ``what`` names it in messages (default: the call being lowered). See
  ``cub_bindings/_runtime/smem_plan.py``.
* ``emit_value_object(context, builder, vtype, args)``: the value of that object.
* ``trap(builder)``, ``load_value(context, builder, ty, ptr)``.

Carrying a typing decision to lowering: ``planned(sig, plan, callee)`` returns ``sig`` with
``recvr=PlannedCall(plan, callee)``; numba then hands that signature, and the callee's value
as the first argument, to the implementation registered for ``get_impl_key`` of the callee
(``lowering_registry.lower(CalleeClass, types.VarArg(types.Any))``).
"""

from __future__ import annotations

from numba.cuda import types
from numba.cuda.core.errors import TypingError

from cub_bindings._runtime import arrays as _arrays
from cub_bindings._runtime import cxx as _cxx
from cub_bindings._runtime import lower as _lower
from cub_bindings._runtime import smem_plan as _smem_plan
from cub_bindings._runtime.arrays import ADDRSPACE_LOCAL, ADDRSPACE_SHARED, FixedArray, static_length
from cub_bindings._runtime.arrays import _dtype_of
from cub_bindings._runtime.class_template import HostSpecialization, _make_instance, _type_construct, template_named
from cub_bindings._runtime.enums import CubEnum, CubEnumMember, CubEnumValue
from cub_bindings._runtime.layouts import temp_storage_layouts
from cub_bindings._runtime.nvrtc_service import set_facade_error
from cub_bindings._runtime.ntypes import (CxxFunctorType, DecomposerType, PlannedCall, StatefulOpType, ValueObjectType,
                                          planned)
from cub_bindings._runtime.registry import ENABLE_CUDASIM, lowering_registry, register_model, typeof_impl, typing_registry
from cub_bindings._runtime.resolve import ArgPlan, CallPlan, resolve
from cub_bindings._runtime.specialize import Specialization, TemplateArgumentError, bind
from cub_bindings.functional import CxxFunctor, Decomposer, StatefulOp

#: a resolution failure: no overload accepts the arguments (message lists the candidates)
NoOverload = TypingError


def dtype_of(ty):
    """The Numba scalar/record type a typed ``dtype`` argument designates (``np.int32``,
    ``arr.dtype``, a Numba type), or None."""
    return _dtype_of(ty)


def is_supported_scalar(ty) -> bool:
    """Whether values of Numba type ``ty`` can cross into CUB (numbers, bool, records)."""
    return _cxx.is_supported_scalar(ty)


def numba_type_of_dtype(dtype):
    """A Numba scalar or record type for a NumPy dtype, scalar class or Numba type."""
    return _cxx.numba_type_of_dtype(dtype)


def cxx_name(ty) -> str:
    """The C++ spelling shims use for a Numba scalar or record type."""
    return _cxx.cxx_name(ty)


def specialize(template: str, targs: dict) -> Specialization:
    """``template`` (a CUB class name such as "BlockScan") with template arguments ``targs``
    (name -> host value; None keeps CUB's default); raises ``TemplateArgumentError``."""
    return bind(template_named(template).spec, (), {k: v for k, v in targs.items() if v is not None},
                from_numba=False)


def class_spec(template: str):
    """The generated description of a class template (template parameters, overloads, docs)."""
    return template_named(template).spec


def resolve_method(typingctx, specialization: Specialization, mode: str, method: str, kinds: dict,
                   what: str) -> CallPlan:
    """The overload of ``method`` (constructors: "__init__" / "__init__ts") accepting ``kinds``."""
    spec = specialization.spec
    if method.startswith("__init__"):
        overloads = tuple(c for c in spec.constructors if c.name == method)
    else:
        overloads = spec.methods_named(method)
    if not overloads:
        raise NoOverload(f"{what}: {spec.name} has no method {method}")
    return resolve(typingctx, specialization, mode, overloads, (), kinds, what)


def value_object_type(typingctx, template: str, targs: dict, args: tuple):
    """The Numba type of value object ``template<targs>(*args)`` (``args``: Python ints, the
    constructor's compile-time arguments), resolved against the class's constructors."""
    sp = specialize(template, targs)
    inst, _ = _type_construct(typingctx, sp.spec, sp, _ctor_arg_types(args), {})
    return inst


def emit_value_object(context, builder, vtype, args: tuple):
    """The value of a ``value_object_type(...)`` object constructed from the same ``args``."""
    sp = vtype.specialization
    tys = _ctor_arg_types(args)
    _, plan = _type_construct(context.typing_context, sp.spec, sp, tys, {})
    vals = [context.get_constant(t, a) for t, a in zip(tys, args)]
    return _make_instance(context, builder, vtype, plan, vals, None)


def _ctor_arg_types(args) -> tuple:
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        raise TypeError(f"value object constructor arguments must be ints, got {args!r}")
    return tuple(types.int64 for _ in args)


def emit_call(context, builder, plan: CallPlan, storage_ptr, storage_index, values, storage_symbol=None):
    return _lower.emit_call(context, builder, plan, storage_ptr, storage_index, values, storage_symbol=storage_symbol)


def emit_construct(context, builder, plan: CallPlan, ts_ptr, ts_index, values, storage_symbol=None):
    """Construct a persistent object in a thread-local buffer; returns the buffer (i8*)."""
    buf = _lower.persistent_buffer(builder)
    _lower.emit_call(context, builder, plan, buf, context.get_constant(types.int32, 0), values,
                     ctor_ts=(ts_ptr, ts_index), storage_symbol=storage_symbol)
    return buf


#: shared memory one block may opt in to, per architecture ("sm_90": bytes)
SHARED_OPT_IN_BYTES = dict(_smem_plan.OPT_IN_BYTES)


def array_at(context, builder, ty, data, length=None):
    """A 1-D C array value of Numba type ``ty`` over memory at ``data``: ``length`` items (an
    intp value), or ``ty.length`` for a ``FixedArray``."""
    return _lower.array_at(context, builder, ty, data, length)


def advance_array(context, builder, ty, val, offset, offset_ty):
    """The 1-D array value ``val`` (Numba type ``ty``) from item ``offset`` (a value of integer
    type ``offset_ty``) on, as C++'s ``d + offset``: no slice rules (``cub_bindings.advance``)."""
    return _arrays.advance_array(context, builder, ty, val, offset, offset_ty)


def planned_storage(context, kind: str, specialization: Specialization | None = None, count: int = 1,
                    nbytes: int = 0, align: int = 16, what: str | None = None) -> str:
    return _lower.planned_storage(context, kind, specialization, count, nbytes, align, what)


def emit_planned_storage(context, builder, kind: str, specialization: Specialization | None = None, count: int = 1,
                         nbytes: int = 0, align: int = 16, what: str | None = None):
    return _lower.emit_planned_storage(context, builder, kind, specialization, count, nbytes, align, what)


def emit_temp_storage(context, builder, specialization: Specialization, count: int = 1):
    return _lower.emit_temp_storage(context, builder, specialization, count)


def trap(builder) -> None:
    """Abort the kernel (``llvm.trap``)."""
    _lower._trap(builder)


def load_value(context, builder, ty, ptr):
    """The value of Numba type ``ty`` stored at ``ptr`` (any pointer type)."""
    return _lower._load(context, builder, ty, ptr)


__all__ = [
    "set_facade_error",
    "ADDRSPACE_LOCAL", "ADDRSPACE_SHARED", "ENABLE_CUDASIM",
    "ArgPlan", "CallPlan", "CubEnum", "CubEnumMember", "CubEnumValue", "CxxFunctor", "CxxFunctorType", "FixedArray",
    "HostSpecialization", "NoOverload", "PlannedCall", "Specialization", "StatefulOp", "StatefulOpType", "TemplateArgumentError",
    "class_spec", "cxx_name", "dtype_of", "SHARED_OPT_IN_BYTES", "advance_array", "array_at", "emit_call", "emit_construct", "emit_planned_storage", "planned_storage", "emit_temp_storage", "is_supported_scalar",
    "load_value", "lowering_registry", "numba_type_of_dtype", "planned", "register_model", "resolve_method", "specialize",
    "static_length", "temp_storage_layouts", "trap", "typeof_impl", "typing_registry",
    "ValueObjectType", "value_object_type", "emit_value_object", "Decomposer", "DecomposerType",
]
