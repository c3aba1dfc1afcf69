"""Operators: names, NumPy/``operator`` functions, libcu++ functors and device functions.

Every operator argument (``scan_op``, ``binary_op``) accepts

* a name: ``"+"``/``"add"``/``"sum"``, ``"*"``/``"mul"``, ``"min"``, ``"max"``, ``"&"``,
  ``"|"``, ``"^"``, ``"and"``, ``"or"``;
* ``operator.add``/``mul``/``and_``/``or_``/``xor``, ``min``/``max``, ``numpy.add``,
  ``numpy.multiply``, ``numpy.minimum``/``maximum``, ``numpy.bitwise_and``/``or``/``xor``,
  ``numpy.logical_and``/``or``;
* a ``cub_bindings.functional`` functor (``functional.maximum``);
* a ``@cuda.jit(device=True)`` function (on the host, a plain Python function is compiled
  as one), which may work on a user-defined type (a Numba record).

Named operators become libcu++ functors in the C++ shim, so CUB sees exactly what a C++
caller would write (``cuda::std::plus<>{}``).
"""

from __future__ import annotations

import operator

import numpy as np
from numba import cuda
from numba.cuda import types

from cub_bindings import functional as F
from cub_bindings.extending import CxxFunctorType, StatefulOpType

NAMES = {
    "+": F.plus, "add": F.plus, "sum": F.plus, "plus": F.plus,
    "*": F.multiplies, "mul": F.multiplies, "multiply": F.multiplies, "multiplies": F.multiplies,
    "min": F.minimum, "minimum": F.minimum, "max": F.maximum, "maximum": F.maximum,
    "&": F.bit_and, "bit_and": F.bit_and, "|": F.bit_or, "bit_or": F.bit_or, "^": F.bit_xor, "bit_xor": F.bit_xor,
    "and": F.logical_and, "&&": F.logical_and, "logical_and": F.logical_and,
    "or": F.logical_or, "||": F.logical_or, "logical_or": F.logical_or,
}
FUNCTIONS = {
    operator.add: F.plus, operator.mul: F.multiplies, operator.and_: F.bit_and, operator.or_: F.bit_or,
    operator.xor: F.bit_xor, min: F.minimum, max: F.maximum,
    np.add: F.plus, np.multiply: F.multiplies, np.minimum: F.minimum, np.maximum: F.maximum,
    np.fmin: F.minimum, np.fmax: F.maximum,
    np.bitwise_and: F.bit_and, np.bitwise_or: F.bit_or,
    np.bitwise_xor: F.bit_xor, np.logical_and: F.logical_and, np.logical_or: F.logical_or,
}
VALID = ('a name ("+", "*", "min", "max", "&", "|", "^", "and", "or"), operator.add/mul/and_/or_/xor, min/max, '
         "numpy.add/multiply/minimum/maximum/bitwise_and/bitwise_or/bitwise_xor/logical_and/logical_or, "
         "a cub_bindings.functional functor, or a @cuda.jit(device=True) function")


def host_op(op):
    """Normalize an operator given on the host: a CxxFunctor or a device-function dispatcher."""
    if isinstance(op, F.CxxFunctor):
        return op
    if isinstance(op, str):
        f = NAMES.get(op.strip().lower())
        if f is None:
            raise ValueError(f"unknown operator {op!r}; valid: {VALID}")
        return f
    try:
        f = FUNCTIONS.get(op)
    except TypeError:
        f = None
    if f is not None:
        return f
    if hasattr(op, "py_func") and hasattr(op, "overloads"):  # a numba-cuda dispatcher
        return op
    if callable(op):
        return cuda.jit(device=True)(op)
    raise ValueError(f"unsupported operator {op!r}; valid: {VALID}")


def kernel_op(ty):
    """(kind, functor-or-None) for an operator argument's Numba type, or (None, None).

    kind: "cxx" (a libcu++ functor; the argument's value is not needed), "device" (a device
    function passed through), "stateful" (a cub_bindings StatefulOp).
    """
    if isinstance(ty, types.StringLiteral):
        f = NAMES.get(ty.literal_value.strip().lower())
        return ("cxx", f) if f is not None else (None, None)
    if isinstance(ty, CxxFunctorType):
        return "cxx", ty.functor
    if isinstance(ty, types.Dispatcher):
        return "device", None
    if isinstance(ty, StatefulOpType):
        return "stateful", None
    key = getattr(ty, "typing_key", None)
    if key is not None:
        try:
            f = FUNCTIONS.get(key)
        except TypeError:
            f = None
        if f is not None:
            return "cxx", f
    return None, None
