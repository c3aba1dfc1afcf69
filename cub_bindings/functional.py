"""Operators for CUB calls: libcu++ functors and stateful Python device functions.

Pass any of these where CUB takes a functor (``scan_op``, ``reduction_op``, ``flag_op``,
``compare_op``, ``difference_op``, ``block_prefix_callback_op``):

* a functor below (spelled in the shim as ``::cuda::std::plus<>{}`` etc.);
* a ``@cuda.jit(device=True)`` function, called with the operand values;
* ``StatefulOp(fn, state)`` for operators that keep state between calls (CUB's
  ``BlockPrefixCallbackOp``): ``fn(state, block_aggregate)`` is called and may update the
  array ``state`` (e.g. a running total in ``cub_bindings.local_array(1, dtype)``).
"""

from __future__ import annotations

from dataclasses import dataclass

from numba.cuda.core.errors import TypingError
from numba.cuda import cgutils, types
from numba.cuda.typing.templates import AbstractTemplate, signature

from cub_bindings._runtime.ntypes import CxxFunctorType, StatefulOpType
from cub_bindings._runtime.registry import lowering_registry, typeof_impl, typing_registry


@dataclass(frozen=True)
class CxxFunctor:
    name: str
    cxx: str  # e.g. "::cuda::std::plus<>"

    def __repr__(self):
        return f"cub_bindings.functional.{self.name}"


plus = CxxFunctor("plus", "::cuda::std::plus<>")
multiplies = CxxFunctor("multiplies", "::cuda::std::multiplies<>")
minus = CxxFunctor("minus", "::cuda::std::minus<>")
minimum = CxxFunctor("minimum", "::cuda::minimum<>")
maximum = CxxFunctor("maximum", "::cuda::maximum<>")
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


class StatefulOp:
    """``StatefulOp(fn, state)``: construct inside a kernel; ``fn`` is a device function."""

    def __init__(self, fn, state):
        raise RuntimeError("StatefulOp is constructed inside a kernel: StatefulOp(device_fn, state_array)")


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
