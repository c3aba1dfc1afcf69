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

from cub_bindings._runtime.ntypes import CxxFunctorType, DecomposerType, StatefulOpType
from cub_bindings._runtime.registry import ENABLE_CUDASIM, lowering_registry, typeof_impl, typing_registry


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
    from cub_bindings._runtime.cxx import numba_type_of_dtype

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
