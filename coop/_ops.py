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
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Role:
    """What an operator parameter computes, and so which named operators it accepts: a
    reduction/scan operator must not be handed a comparison, nor a sort a sum."""

    names: dict
    functions: dict
    valid: str


_COMPARE_NAMES = {"<": F.less, "less": F.less, ">": F.greater, "greater": F.greater}
_COMPARE_FUNCTIONS = {operator.lt: F.less, operator.gt: F.greater, np.less: F.less, np.greater: F.greater}
_FLAG_NAMES = _COMPARE_NAMES | {"!=": F.not_equal_to, "not_equal": F.not_equal_to, "not_equal_to": F.not_equal_to,
                                "==": F.equal_to, "equal": F.equal_to, "equal_to": F.equal_to,
                                "<=": F.less_equal, "less_equal": F.less_equal,
                                ">=": F.greater_equal, "greater_equal": F.greater_equal}
_FLAG_FUNCTIONS = _COMPARE_FUNCTIONS | {operator.ne: F.not_equal_to, operator.eq: F.equal_to,
                                        operator.le: F.less_equal, operator.ge: F.greater_equal,
                                        np.not_equal: F.not_equal_to, np.equal: F.equal_to,
                                        np.less_equal: F.less_equal, np.greater_equal: F.greater_equal}
_DIFF_NAMES = {"-": F.minus, "minus": F.minus, "sub": F.minus, "subtract": F.minus,
               "+": F.plus, "add": F.plus, "plus": F.plus, "^": F.bit_xor, "bit_xor": F.bit_xor}
_DIFF_FUNCTIONS = {operator.sub: F.minus, np.subtract: F.minus, operator.add: F.plus, np.add: F.plus,
                   operator.xor: F.bit_xor, np.bitwise_xor: F.bit_xor}
_DEVICE = "a cub_bindings.functional functor, or a @cuda.jit(device=True) function"

ROLES = {
    #: reductions and scans: an associative binary operator
    "binary": Role(NAMES, FUNCTIONS, VALID),
    #: sorts: a strict weak order, ``compare_op(a, b) -> bool`` ("a sorts before b")
    "compare": Role(_COMPARE_NAMES, _COMPARE_FUNCTIONS,
                    '"<"/"less" (ascending), ">"/"greater" (descending), operator.lt/gt, numpy.less/greater, '
                    "cub_bindings.functional.less/greater, or a @cuda.jit(device=True) function returning bool "
                    "(a strict weak order: not <=/>=)"),
    #: discontinuity: ``flag_op(a, b) -> bool`` ("a discontinuity between a and b")
    "flag": Role(_FLAG_NAMES, _FLAG_FUNCTIONS,
                 f'"!="/"==", "<", ">", "<=", ">=", operator.ne/eq/lt/gt/le/ge, the numpy comparisons, {_DEVICE} '
                 "returning bool"),
    #: adjacent difference: ``difference_op(a, b) -> T``
    "difference": Role(_DIFF_NAMES, _DIFF_FUNCTIONS,
                       f'"-"/"minus", "+", "^", operator.sub/add/xor, numpy.subtract/add/bitwise_xor, {_DEVICE}'),
}


def host_op(op, role: str = "binary"):
    """Normalize an operator given on the host: a CxxFunctor or a device-function dispatcher."""
    r = ROLES[role]
    if isinstance(op, F.CxxFunctor):
        return op
    if isinstance(op, str):
        f = r.names.get(op.strip().lower())
        if f is None:
            raise ValueError(f"unknown operator {op!r}; valid: {r.valid}")
        return f
    try:
        f = r.functions.get(op)
    except TypeError:
        f = None
    if f is not None:
        return f
    if hasattr(op, "py_func") and hasattr(op, "overloads"):  # a numba-cuda dispatcher
        return op
    if callable(op) and not _known_elsewhere(op):
        return cuda.jit(device=True)(op)
    raise ValueError(f"unsupported operator {op!r}; valid: {r.valid}")


def _known_elsewhere(op) -> bool:
    """A named operator of another role (``operator.lt`` given as a scan operator): an error,
    not a device function to compile."""
    for r in ROLES.values():
        try:
            if op in r.functions:
                return True
        except TypeError:
            return False
    return False


def kernel_op(ty, role: str = "binary"):
    """(kind, functor-or-None) for an operator argument's Numba type, or (None, None).

    kind: "cxx" (a libcu++ functor; the argument's value is not needed), "device" (a device
    function passed through), "stateful" (a cub_bindings StatefulOp).
    """
    r = ROLES[role]
    if isinstance(ty, types.StringLiteral):
        f = r.names.get(ty.literal_value.strip().lower())
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
            f = r.functions.get(key)
        except TypeError:
            f = None
        if f is not None:
            return "cxx", f
    return None, None
