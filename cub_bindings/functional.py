"""Operators for CUB calls: libcu++ functors and stateful Python device functions.

Pass any of these where CUB takes a functor (``scan_op``, ``reduction_op``, ``flag_op``,
``compare_op``, ``difference_op``, ``block_prefix_callback_op``):

* a functor below (spelled in the shim as ``::cuda::std::plus<>{}`` etc.);
* a ``@cuda.jit(device=True)`` function, called with the operand values;
* ``StatefulOp(fn, state)`` for operators that keep state between calls (CUB's
  ``BlockPrefixCallbackOp``): ``fn(state, block_aggregate)`` is called and may update the
  array ``state`` (e.g. a running total in ``cub_bindings.local_array(1, dtype)``);
* the earlier cuda.coop form of that callback: a 1-element array holding an instance of a
  class with ``__call__(self_ptr, block_aggregate)`` (the class named on the host by
  ``StatefulFunction(cls, state_type)``).
"""

from __future__ import annotations

import inspect
import types as pytypes
from dataclasses import dataclass

import numpy as np

from numba.cuda.core.errors import TypingError
from numba.cuda import cgutils, types
from numba.cuda.datamodel.models import OpaqueModel, StructModel
from numba.cuda.typing.templates import AbstractTemplate, signature

from cub_bindings._runtime.cxx import numba_type_of_dtype
from cub_bindings._runtime.ntypes import CxxFunctorType, DecomposerType, StatefulOpType
from cub_bindings._runtime.registry import (ENABLE_CUDASIM, lowering_registry, register_model, typeof_impl,
                                            typing_registry)


@dataclass(frozen=True)
class CxxFunctor:
    name: str
    cxx: str  # e.g. "::cuda::std::plus<>"
    header: str = "cuda/std/functional"  # what a shim using it includes

    def __repr__(self):
        return f"cub_bindings.functional.{self.name}"


plus = CxxFunctor("plus", "::cuda::std::plus<>")
multiplies = CxxFunctor("multiplies", "::cuda::std::multiplies<>")
minus = CxxFunctor("minus", "::cuda::std::minus<>")
minimum = CxxFunctor("minimum", "::cuda::minimum<>", "cuda/functional")
maximum = CxxFunctor("maximum", "::cuda::maximum<>", "cuda/functional")
bit_and = CxxFunctor("bit_and", "::cuda::std::bit_and<>")
bit_or = CxxFunctor("bit_or", "::cuda::std::bit_or<>")
bit_xor = CxxFunctor("bit_xor", "::cuda::std::bit_xor<>")
logical_and = CxxFunctor("logical_and", "::cuda::std::logical_and<>")
logical_or = CxxFunctor("logical_or", "::cuda::std::logical_or<>")
less = CxxFunctor("less", "::cuda::std::less<>")
greater = CxxFunctor("greater", "::cuda::std::greater<>")
less_equal = CxxFunctor("less_equal", "::cuda::std::less_equal<>")
greater_equal = CxxFunctor("greater_equal", "::cuda::std::greater_equal<>")
equal_to = CxxFunctor("equal_to", "::cuda::std::equal_to<>")
not_equal_to = CxxFunctor("not_equal_to", "::cuda::std::not_equal_to<>")

FUNCTORS = {f.name: f for f in (plus, multiplies, minus, minimum, maximum, bit_and, bit_or, bit_xor, logical_and,
                                logical_or, less, greater, less_equal, greater_equal, equal_to, not_equal_to)}


@typeof_impl.register(CxxFunctor)
def _typeof_functor(val, c):
    return CxxFunctorType(val)


class Decomposer:
    """The fields of a user-defined (record) key that a radix sort compares, most significant
    first: ``Decomposer("hi", "lo")`` or ``Decomposer(lambda key: (key.hi, key.lo))``.

    CUB sorts such keys through a functor returning ``::cuda::std::tuple<Field&...>`` of
    references into the key; the shim generates it from these field names. A function is
    only read for the fields it returns (it is called once on the host with a stand-in key),
    so it must return the fields themselves, not values computed from them. ``ret_type``
    (the earlier cuda.coop API's second argument: the field types, e.g.
    ``(numba.float32, numba.int32)``) is checked against the record when given.
    """

    def __init__(self, *fields, ret_type=None):
        if len(fields) in (1, 2) and callable(fields[0]) and not isinstance(fields[0], str):
            if len(fields) == 2:
                if ret_type is not None:
                    raise TypeError("Decomposer(fn, ret_type): ret_type given twice")
                ret_type = fields[1]
            fields = _fields_returned_by(fields[0])
        if not fields or not all(isinstance(f, str) and f.isidentifier() for f in fields):
            raise TypeError("Decomposer takes record field names (Decomposer(\"hi\", \"lo\")) or a function "
                            f"returning the key's fields (Decomposer(lambda k: (k.hi, k.lo))), got {fields!r}")
        if len(set(fields)) != len(fields):
            raise TypeError(f"Decomposer: a field is named twice in {fields!r}")
        self.fields = tuple(fields)
        self.ret_types = _ret_types(ret_type, len(self.fields))

    def __repr__(self):
        return f"cub_bindings.Decomposer({', '.join(map(repr, self.fields))})"


class _Field:
    def __init__(self, name):
        self.name = name


class _StandInKey:
    """Records which fields a decomposer function returns."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Field(name)

    def __getitem__(self, name):
        if not isinstance(name, str):
            raise TypeError("index a record key by field name")
        return _Field(name)


def _fields_returned_by(fn) -> tuple:
    fn = getattr(fn, "py_func", fn)
    try:
        out = fn(_StandInKey())
    except Exception as exc:
        raise TypeError(f"Decomposer: {fn!r} must return the key's fields, e.g. lambda k: (k.hi, k.lo); "
                        f"calling it on a stand-in key failed: {exc}") from None
    out = out if isinstance(out, (tuple, list)) else (out,)
    if not all(isinstance(f, _Field) for f in out):
        raise TypeError(f"Decomposer: {fn!r} must return the key's fields themselves (a tuple such as "
                        "(k.hi, k.lo)); CUB sorts through references into the key, so computed values cannot be sorted")
    return tuple(f.name for f in out)


def _ret_types(ret_type, n):
    if ret_type is None:
        return None
    items = tuple(getattr(ret_type, "types", None) or (ret_type if isinstance(ret_type, (tuple, list)) else (ret_type,)))
    if len(items) != n:
        raise TypeError(f"Decomposer: ret_type has {len(items)} types for {n} fields")
    return tuple(numba_type_of_dtype(t) for t in items)


@typeof_impl.register(Decomposer)
def _typeof_decomposer(val, c):
    return DecomposerType(val.fields, val.ret_types)


class StatefulOp:
    """``StatefulOp(fn, state)``: construct inside a kernel; ``fn`` is a device function."""

    def __init__(self, fn, state):
        if not ENABLE_CUDASIM:  # compiled kernels type and lower the call instead
            raise RuntimeError("StatefulOp is constructed inside a kernel: StatefulOp(device_fn, state_array)")
        self.fn, self.state = fn, state  # the simulator runs kernels as Python: keep both


@typing_registry.register_global(StatefulOp)
class _StatefulOpTemplate(AbstractTemplate):
    def generic(self, args, kws):
        if kws or len(args) != 2:
            raise TypingError("StatefulOp(fn, state) takes a device function and a state array")
        fn, state = args
        if not isinstance(fn, types.Dispatcher):
            raise TypingError(f"StatefulOp: fn must be a @cuda.jit(device=True) function, got {fn}")
        if not isinstance(state, types.Array):
            raise TypingError(f"StatefulOp: state must be an array (e.g. cub_bindings.local_array(1, dtype)), got {state}")
        return signature(StatefulOpType(fn, state), fn, state)


@lowering_registry.lower(StatefulOp, types.Dispatcher, types.Array)
def _lower_stateful_op(context, builder, sig, args):
    op = cgutils.create_struct_proxy(sig.return_type)(context, builder)
    op.state = args[1]
    return op._getvalue()


# --------------------------------------------------------------------------- the earlier API's form


class StatefulFunction:
    """The earlier cuda.coop API's stateful callback: ``StatefulFunction(cls, state_type,
    name=None)`` on the host, where ``cls`` defines ``__call__(self_ptr, x)`` and Numba types
    its instances as ``state_type`` (an extension type). A kernel keeps the state in a
    1-element array of ``state_type`` (``p[0] = cls(...)``) and passes that array;
    ``__call__`` gets a pointer to ``p[0]`` (``self_ptr[0].field``, ``self_ptr[0] = cls(...)``)
    and returns the result. Inside a kernel ``StatefulFunction(fn, state)`` is
    ``StatefulOp(fn, state)``."""

    def __new__(cls_, fn, state_type=None, name=None):
        if not isinstance(fn, type):  # the StatefulOp spelling (inside a kernel)
            if name is not None:
                raise _error("name", "is taken only by the host form StatefulFunction(cls, state_type, name=...)",
                             "StatefulOp(fn, state) inside a kernel, without name=")
            return StatefulOp(fn, state_type)
        return super().__new__(cls_)

    def __init__(self, cls, state_type=None, name=None):
        self.cls = cls
        self.state_type = _state_type(cls, state_type)
        if name is not None and not (isinstance(name, str) and name.isidentifier()):
            raise _error("name", f"must be an identifier string, got {name!r}", "e.g. name=\"prefix_state\"")
        self.name = name or cls.__name__
        check_call_method(cls)

    @property
    def fn(self):
        """``cls.__call__`` as a device function."""
        return call_dispatcher(self.cls)

    def __repr__(self):
        return f"StatefulFunction({self.cls.__name__}, {self.state_type}, name={self.name!r})"


def _error(arg, message, valid):
    """A misuse of StatefulFunction (a TypeError; the facade's error type once one registered)."""
    from cub_bindings._runtime.nvrtc_service import _FACADE_BASE, facade_error

    pkg = _FACADE_BASE[0].__module__.split(".")[0] if _FACADE_BASE else "cub_bindings"
    return facade_error(f"{pkg}.StatefulFunction: argument `{arg}`: {message}\n  valid: {valid}", TypeError, True)


_STATE_VALID = "the Numba type of the class's instances, e.g. prefix_state_type = PrefixStateType()"


def _state_type(cls, state_type):
    if state_type is None:
        raise _error("state_type", f"is required: the Numba type of {cls.__name__}'s instances", _STATE_VALID)
    if isinstance(state_type, type) and not issubclass(state_type, np.generic):
        raise _error("state_type", f"is the class {state_type.__name__}, not a Numba type instance", _STATE_VALID)
    if isinstance(state_type, types.Type):
        return state_type
    try:
        return numba_type_of_dtype(state_type)
    except Exception:
        raise _error("state_type", f"must be a Numba type, got {state_type!r}", _STATE_VALID) from None


def _call_function(cls):
    for k in cls.__mro__:
        if k is not object and "__call__" in vars(k):
            return vars(k)["__call__"]
    return None


def check_call_method(cls):
    """``cls`` defines ``__call__(self_ptr, x)`` as a plain function (a TypeError says what is wrong)."""
    fn = _call_function(cls)
    valid = "a class defining def __call__(self_ptr, block_aggregate): ... returning the prefix"
    if not isinstance(fn, pytypes.FunctionType):
        raise _error("cls", f"{cls.__name__} defines no __call__ method", valid)
    try:
        inspect.signature(fn).bind(None, None)
    except TypeError:
        raise _error("cls", f"{cls.__name__}.__call__{inspect.signature(fn)} cannot be called as "
                     "(self_ptr, block_aggregate)", valid) from None


_CALLS: dict = {}


def call_dispatcher(cls):
    """``cls.__call__`` compiled as a ``@cuda.jit(device=True)`` function (one per class),
    named ``<Class>_call`` so its compiled symbol reads after the class."""
    fn = _call_function(cls)
    disp = _CALLS.get(fn)
    if disp is None:
        from numba import cuda

        src = pytypes.FunctionType(fn.__code__, fn.__globals__, f"{cls.__name__}_call", fn.__defaults__,
                                   fn.__closure__)
        src.__qualname__, src.__module__ = f"{cls.__qualname__}.__call__", fn.__module__
        disp = _CALLS[fn] = cuda.jit(device=True)(src) if not ENABLE_CUDASIM else src
    return disp


def callback_class(state_type):
    """The class with a ``__call__`` whose instances Numba types as ``state_type`` (found
    among the ``typeof_impl`` registrations), or None."""
    cls = _CLASSES.get(state_type)
    if cls is not None:
        return cls
    registries = [typeof_impl]
    try:
        from numba.core.extending import typeof_impl as core_typeof

        registries.append(core_typeof)
    except ImportError:
        pass
    for reg in registries:
        for k, impl in list(getattr(reg, "registry", {}).items()):
            if not isinstance(k, type) or k.__module__.split(".")[0] in _NOT_USER:
                continue
            if not isinstance(_call_function(k), pytypes.FunctionType):
                continue
            try:
                ty = impl(object.__new__(k), None)
            except Exception:  # noqa: BLE001 (a typeof that needs a real instance)
                continue
            if ty == state_type:
                _CLASSES[state_type] = k
                return k
    return None


_CLASSES: dict = {}
_NOT_USER = ("numba", "numba_cuda", "numpy", "builtins", "cub_bindings", "coop", "llvmlite")


class StatefulFunctionType(StatefulOpType):
    """A state array passed as a stateful callback (the earlier API's form): the array's own
    value, laid out as the array, with its data pointer as ``state``; ``fn_type`` is called
    as ``fn(pointer to state[0], ...)``."""

    def __init__(self, fn_type, array_type):
        self.fn_type, self.array_type = fn_type, array_type
        self.state_type = types.CPointer(array_type.dtype)
        types.Type.__init__(self, f"cub.StatefulFunction({fn_type}, {array_type})")


class HostStatefulFunctionType(types.Dummy):
    """A host ``StatefulFunction(cls, state_type)`` (what a two-phase constructor fixes)."""

    def __init__(self, sf):
        self.cls, self.state_type = sf.cls, sf.state_type
        super().__init__(f"cub.StatefulFunction({sf.cls.__qualname__}, {sf.state_type})")


@typeof_impl.register(StatefulFunction)
def _typeof_stateful_function(val, c):
    return HostStatefulFunctionType(val)


class _StatefulFunctionModel(StructModel):
    """The state array's own layout, its ``data`` member named ``state``."""

    def __init__(self, dmm, fe_type):
        arr = dmm.lookup(fe_type.array_type)
        super().__init__(dmm, fe_type, [("state" if n == "data" else n, t) for n, t in zip(arr._fields, arr._members)])


register_model(StatefulFunctionType)(_StatefulFunctionModel)
register_model(HostStatefulFunctionType)(OpaqueModel)


@typing_registry.register_global(StatefulFunction)
class _StatefulFunctionTemplate(_StatefulOpTemplate):
    pass


lowering_registry.lower(StatefulFunction, types.Dispatcher, types.Array)(_lower_stateful_op)
