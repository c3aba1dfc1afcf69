"""Values in a simulated kernel, and the Numba types the compiler would give them.

The simulator runs kernels as Python, so coop sees values, not types. ``typeof`` gives each
value the type the CUDA compiler would infer for the same expression, so the declarations'
typing (argument folding, inference, every check and error) runs unchanged:

* ``coop.local.array`` / ``shared.array`` / ``ThreadData`` give ``SimArray``: a NumPy array
  that remembers it has a static length (a ``FixedArray``), so items per thread are inferred
  as in compiled kernels; ``cuda.local.array`` gives a plain array (unknown length, as on the GPU);
* global arrays (the simulator's ``FakeWithinKernelCUDAArray``) are unwrapped to NumPy views;
* ints, bools and strings are literals (the compiler makes kernel arguments literal when a
  primitive needs their value); Python functions and ``@cuda.jit(device=True)`` functions are
  device functions; NumPy/Python builtin operators keep their ``typing_key``.
"""

from __future__ import annotations

import numpy as np
from numba.cuda import types
from numba.cuda.np import numpy_support
from numba.cuda.typing.templates import Signature
from numba.cuda.typing.typeof import typeof as _numba_typeof

from cub_bindings.extending import FixedArray, StatefulOpType
from cub_bindings.functional import StatefulOp


class SimArray(np.ndarray):
    """A coop-made local or shared array: its length is static, like a ``FixedArray``."""

    space = None
    alignment = None
    numba_dtype = None  # an extension type's items (kept as Python objects)

    def __array_finalize__(self, obj):
        self.space = None  # views and copies are ordinary arrays (as slices are in compiled kernels)
        self.alignment = None
        self.numba_dtype = None

    def __setitem__(self, index, value):  # a record read from a global array arrives wrapped by the simulator
        super().__setitem__(index, unwrap(value))


def sim_array(ty: FixedArray, fill=None) -> SimArray:
    if not isinstance(ty.dtype, (types.Number, types.Boolean, types.Record)):  # an extension type: its instances
        a = np.full(ty.length, fill, object).view(SimArray)
        a.space, a.alignment, a.numba_dtype = ty.space, ty.alignment, ty.dtype
        return a
    dtype = numpy_support.as_dtype(ty.dtype)
    if dtype.fields is not None:  # items are records with attribute access (``a[i].x = ...``), as in kernels
        dtype = np.dtype((np.record, dtype))
    a = np.zeros(ty.length, dtype).view(SimArray) if fill is None else np.full(ty.length, fill, dtype).view(SimArray)
    a.space, a.alignment = ty.space, ty.alignment
    return a


class SimThreadData:
    """``coop.ThreadData(n)`` without a dtype: allocated by the first primitive it is passed to."""

    def __init__(self, ty):
        self.ty, self.array = ty, None

    def refine(self, array_type: FixedArray) -> FixedArray:
        """Called by ``coop._arrays.refine_thread_data`` when a primitive settles the dtype."""
        if self.array is None:
            self.array = sim_array(array_type)
        return array_type

    def _need(self):
        if self.array is None:
            from coop._errors import CoopError

            raise CoopError("coop.ThreadData: its dtype is not known yet (no primitive has been given it): "
                            "pass dtype= to coop.ThreadData, or first pass it to a primitive")
        return self.array

    def __getitem__(self, i):
        return self._need()[i]

    def __setitem__(self, i, v):
        self._need()[i] = v

    def __len__(self):
        return self.ty.length


class SimTempStorage:
    """``coop.TempStorage(...)`` in the simulator: the typed value only (the numpy semantics
    keep no state in it)."""

    def __init__(self, ty):
        self.ty = ty


class _KeyedFunction(types.Opaque):
    """A Python/NumPy builtin used as an operator: only its ``typing_key`` matters."""

    def __init__(self, fn):
        self.typing_key = fn
        super().__init__(f"function({getattr(fn, '__name__', fn)!s})")


def unwrap(value):
    """A simulator global array as the NumPy view it wraps; other values unchanged."""
    item = getattr(value, "__dict__", {}).get("_item") if not isinstance(value, np.ndarray) else None
    if item is not None and hasattr(item, "_ary"):
        return item._ary
    if isinstance(value, SimThreadData) and value.array is not None:
        return value.array
    return value


_ARRAY_TYPES: dict = {}  # an array's type by what it depends on (making it is most of a call's typing)
_LITERAL_TYPES: dict = {}


def typeof(value):
    """The Numba type a compiled kernel would give ``value``."""
    a = unwrap(value)  # a global array, an allocated ThreadData: the array
    if type(a) in (int, bool, str):  # a literal: made once per value
        return _cached(_LITERAL_TYPES, (type(a), a), a)
    if not isinstance(a, np.ndarray):
        return _typeof(value)
    space = getattr(a, "space", None)
    f = a.flags
    key = (type(a), a.dtype, a.ndim, f.c_contiguous, f.f_contiguous, f.writeable, f.aligned, space,
           getattr(a, "alignment", None), getattr(a, "numba_dtype", None), space and len(a))
    return _cached(_ARRAY_TYPES, key, a)


def _cached(cache: dict, key, value):
    """``_typeof(value)``, remembered under ``key`` (a bounded cache: cleared past 4096 entries)."""
    ty = cache.get(key)
    if ty is None:
        if len(cache) > 4096:
            cache.clear()
        ty = cache[key] = _typeof(value)
    return ty


def _typeof(value):
    if isinstance(value, SimThreadData):
        return value.ty if value.array is None else typeof(value.array)
    if isinstance(value, SimTempStorage):
        return value.ty
    if isinstance(value, StatefulOp):
        return StatefulOpType(typeof(value.fn), typeof(value.state))
    if isinstance(value, SimArray) and value.space is not None:
        dtype = value.numba_dtype or numpy_support.from_dtype(value.dtype)
        return FixedArray(dtype, len(value), value.space, value.alignment)
    value = unwrap(value)
    if type(value) in (bool, np.bool_):
        return types.literal(bool(value))
    if type(value) is int:  # not an int subclass such as a CUB enum value (typed by its own typeof)
        return types.literal(value)
    if type(value) is str:
        return types.literal(value)
    if isinstance(value, np.ndarray):
        return _numba_typeof(np.asarray(value))
    if isinstance(value, tuple) or type(value).__name__ == "FakeShape":  # a.shape, (n,)
        return types.BaseTuple.from_types([typeof(int(v)) if isinstance(v, (int, np.integer)) and not isinstance(
            v, bool) else typeof(v) for v in value])
    if _is_device_function(value):
        return types.Dispatcher(_as_device_function(value))
    try:
        return _numba_typeof(value)
    except (ValueError, TypeError):
        if callable(value):
            return _KeyedFunction(value)
        raise


def _is_device_function(value) -> bool:
    if isinstance(value, _fake_kernel()):
        return True
    return callable(value) and getattr(value, "__module__", None) not in ("builtins", "numpy", "_operator", "operator") \
        and not isinstance(value, (np.ufunc, type)) and hasattr(value, "__code__")


def _fake_kernel():
    """The simulator's ``FakeCUDAKernel`` (imported once: this is on every call's path)."""
    global _FAKE_KERNEL
    if _FAKE_KERNEL is None:
        from numba.cuda.simulator.kernel import FakeCUDAKernel

        _FAKE_KERNEL = FakeCUDAKernel
    return _FAKE_KERNEL


_FAKE_KERNEL = None


def _as_device_function(value):
    FakeCUDAKernel = _fake_kernel()
    if isinstance(value, FakeCUDAKernel):
        return value
    # types.Dispatcher keeps only a weak reference: the wrapper lives as long as the function
    kernel = getattr(value, "_coop_sim_kernel", None)
    if kernel is None:
        kernel = FakeCUDAKernel(value, device=True)
        try:
            value._coop_sim_kernel = kernel
        except AttributeError:  # a bound method: no attributes of its own
            pass
    return kernel


def as_record(x):
    """A record value as compiled kernels see it (fields as attributes: ``a.hi``); others unchanged."""
    if isinstance(x, np.void) and x.dtype.fields is not None:
        return np.array(x, dtype=x.dtype).view(np.recarray)[()]
    return x


def python_callable(fn):
    """The Python function behind a device function (simulator or plain)."""
    return getattr(fn, "fn", None) or getattr(fn, "py_func", None) or fn


class SimContext:
    """The little of a typing context the declarations use, answered by running Python."""

    callstack = ()

    def resolve_function_type(self, fnty, argtys, kws):
        """Call the device function on sample values of ``argtys``; its result's type is the
        return type (a sort's comparison must return bool, as in compiled kernels)."""
        fn = python_callable(getattr(fnty, "dispatcher", None) or fnty)
        result = fn(*[sample(t) for t in argtys])
        ret = typeof(result)
        if isinstance(ret, types.Literal):
            ret = types.unliteral(ret)
        return Signature(ret, tuple(argtys), recvr=None)


def sample(ty):
    """A zero value of Numba type ``ty``."""
    if isinstance(ty, types.Record):
        return as_record(np.zeros(1, numpy_support.as_dtype(ty))[0])
    return numpy_support.as_dtype(ty).type(0)


CONTEXT = SimContext()
