"""Operators: names, NumPy/``operator`` functions, libcu++ functors and device functions.

Every operator argument (``scan_op``, ``binary_op``) accepts

* a name: ``"+"``/``"add"``/``"sum"``, ``"*"``/``"mul"``, ``"min"``, ``"max"``, ``"&"``,
  ``"|"``, ``"^"``, ``"and"``, ``"or"``;
* ``operator.add``/``mul``/``and_``/``or_``/``xor``, ``min``/``max``, ``numpy.add``,
  ``numpy.multiply``, ``numpy.minimum``/``maximum``, ``numpy.bitwise_and``/``or``/``xor``,
  ``numpy.logical_and``/``or``;
* a ``cub_bindings.functional`` functor (``functional.maximum``);
* a ``@cuda.jit(device=True)`` function, or a plain Python function or ``lambda`` (compiled
  as one: ``device_function``), which may work on a user-defined type (a Numba record).

A plain function named in a kernel (a global, a closure variable) is typed as the device
function it compiles to (``_typeof_plain_function``), so ``coop.block.reduce(x, add)`` with a
module-level ``def add(a, b)`` works as in a two-phase constructor.

Named operators become libcu++ functors in the C++ shim, so CUB sees exactly what a C++
caller would write (``cuda::std::plus<>{}``).
"""

from __future__ import annotations

import operator
import re
import types as pytypes
import weakref
from dataclasses import dataclass

import numpy as np
from numba import cuda
from numba.cuda import types

from cub_bindings import functional as F
from cub_bindings.extending import CxxFunctorType, StatefulOpType, typeof_impl

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
#: operators C++ defines only for integers and bool
BITWISE = frozenset({F.bit_and, F.bit_or, F.bit_xor})
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
        return device_dispatcher(op)
    if isinstance(op, pytypes.FunctionType) and not _known_elsewhere(op):
        return device_function(op)
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


# --------------------------------------------------------------------------- plain functions and lambdas

_DEVICE_FUNCTIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def device_function(fn):
    """The ``@cuda.jit(device=True)`` dispatcher of plain Python function ``fn`` (one per
    function). A ``lambda`` is compiled from a copy named ``lambda_op``: the operator's
    compiled symbol is named after the function, and ``<lambda>`` is no identifier."""
    disp = _DEVICE_FUNCTIONS.get(fn)
    if disp is None:
        src = fn
        if not fn.__name__.isidentifier():
            src = pytypes.FunctionType(fn.__code__, fn.__globals__, "lambda_op", fn.__defaults__, fn.__closure__)
            src.__qualname__, src.__module__, src.__kwdefaults__ = fn.__qualname__, fn.__module__, fn.__kwdefaults__
        disp = _DEVICE_FUNCTIONS[fn] = cuda.jit(device=True)(src)
    return disp


def device_dispatcher(disp):
    """``disp`` (a device-function dispatcher), or for a ``lambda`` wrapped in
    ``cuda.jit(device=True)`` (or made by Numba from a lambda in the kernel) the same
    function compiled under an identifier name (``device_function``)."""
    fn = getattr(disp, "py_func", None)
    if fn is None or fn.__name__.isidentifier() or not isinstance(fn, pytypes.FunctionType):
        return disp
    return device_function(fn)


def device_type(ty):
    """The Numba type CUB gets for a device-function operator type ``ty`` (see ``device_dispatcher``)."""
    if isinstance(ty, types.Dispatcher):
        disp = device_dispatcher(ty.dispatcher)
        return ty if disp is ty.dispatcher else types.Dispatcher(disp)
    if isinstance(ty, StatefulOpType):
        fn = device_type(ty.fn_type)
        return ty if fn is ty.fn_type else StatefulOpType(fn, ty.state_type)
    return ty


def device_result(context, fnty, argtys):
    """(return type, None) of device-function type ``fnty`` called with ``argtys`` (compiling
    it), or (None, why not: the function's own typing error in a line, and where it is)."""
    try:
        sig = context.resolve_function_type(device_type(fnty), tuple(argtys), {})
    except Exception as exc:  # Numba's typing error of the function's body or arity
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        why = next((ln for ln in lines if not ln.startswith(("Failed in", "During:", "File ", "<source", "^"))),
                   type(exc).__name__)
        at = next((ln.rstrip(":") for ln in lines if ln.startswith("File ")), None)
        arity = re.search(r"to signature '(\(.*?\))'", why)
        if arity:
            why = f"it takes {arity.group(1)}, not {len(argtys)} arguments"
        return None, why + (f" ({at})" if at else "")
    return (sig.return_type, None) if sig is not None else (None, "no signature matches")


#: modules whose functions Numba types itself (or refuses): never compiled as operators
_NOT_USER = ("numba", "numpy", "math", "cmath", "operator", "builtins", "random", "cuda", "coop", "cub_bindings",
             "llvmlite", "functools", "itertools")


def _plain_user_function(fn) -> bool:
    mod = (getattr(fn, "__module__", None) or "").split(".")[0]
    if mod in _NOT_USER or _known_elsewhere(fn):
        return False
    try:  # a function Numba has typing for (``@overload``, ``register_jitable``) keeps it
        from numba.cuda.descriptor import cuda_target

        return cuda_target.typing_context._lookup_global(fn) is None
    except Exception:  # the CUDA simulator: nothing is typed
        return False


@typeof_impl.register(pytypes.FunctionType)
def _typeof_plain_function(val, c):
    """A plain Python function used in a kernel as a constant (a global or closure variable):
    the device function it compiles to, as a two-phase constructor compiles it. Arguments
    (``Purpose.argument``) and Numba's own or registered functions are left to Numba."""
    from numba.cuda.typing.typeof import Purpose

    if c.purpose is not Purpose.constant or not _plain_user_function(val):
        return None
    return types.Dispatcher(device_function(val))


# --------------------------------------------------------------------------- StatefulOp misuse


def _register_stateful_op_errors():
    """``coop.StatefulOp`` arguments cub_bindings' template rejects: a CoopError saying what
    each argument must be, not Numba's list of candidate implementations. This template is
    tried after cub_bindings' own (Numba tries a global's templates in order), so it runs
    only for arguments that one refused."""
    from numba.cuda.typing.templates import AbstractTemplate

    from cub_bindings.extending import StatefulOp, typing_registry
    from cub_bindings.functional import StatefulFunction
    from coop._errors import fail

    for cls in (StatefulOp, StatefulFunction):
        typing_registry.register_global(cls)(_errors_template(f"coop.{cls.__name__}", AbstractTemplate, fail))


def _errors_template(what, AbstractTemplate, fail):  # noqa: N803
    class _StatefulOpErrors(AbstractTemplate):
        def generic(self, args, kws):
            names = ("fn", "state")
            given = dict(zip(names, args))
            for k, v in kws.items():
                if k not in names or k in given:
                    fail(what, k, "unknown keyword" if k not in names else "given twice", "fn, state")
                given[k] = v
            if len(args) > 2 or set(given) != set(names):
                fail(what, None, f"takes a device function and a state array, got {len(given)} arguments",
                     "coop.StatefulOp(fn, state) with fn(state, x) -> new x")
            if not isinstance(given["fn"], types.Dispatcher):
                fail(what, "fn", f"must be a function, got {given['fn']}",
                     "a @cuda.jit(device=True) function or a plain Python function fn(state, x)")
            if not isinstance(given["state"], types.Array):
                fail(what, "state", f"must be an array (the callback keeps its state in it), got {given['state']}",
                     "a 1-element array, e.g. state = coop.local.array(1, numba.int32); state[0] = 0")
            return None

    return _StatefulOpErrors


_register_stateful_op_errors()
