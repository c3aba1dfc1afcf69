"""Arrays whose length is part of their Numba type, so CUB's array extents can be checked.

Numba types ``cuda.local.array(4, int32)`` as ``array(int32, 1d, C)``: the length is lost
while typing. ``local_array(4, dtype)`` / ``shared_array(n, dtype)`` give a ``FixedArray``
(a subclass of Numba's ``Array``, with the same data model, so every array operation
works) whose length deduces ``ITEMS_PER_THREAD`` and is checked against class extents.
"""

from __future__ import annotations

import inspect

from numba.cuda.core.errors import TypingError
from numba.cuda import types
from numba.cuda.datamodel.models import ArrayModel
from numba.cuda.typing.templates import AbstractTemplate, signature

from cub_bindings._runtime import cxx
from cub_bindings._runtime.registry import lowering_registry, register_model, typing_registry


class FixedArray(types.Array):
    """A 1-D C-contiguous array of a known length (local or shared memory)."""

    def __init__(self, dtype, length: int, space: str, alignment: int | None = None):
        self.length, self.space, self.alignment = int(length), space, alignment
        super().__init__(dtype, 1, "C", aligned=True)
        align = f", align={alignment}" if alignment else ""
        self.name = f"{space}_array({dtype}, {self.length}{align})"

    @property
    def key(self):
        return super().key + (self.length, self.space, self.alignment)

    @property
    def mangling_args(self):
        return self.__class__.__name__, (self.dtype, self.length, self.space, self.alignment)


register_model(FixedArray)(ArrayModel)


def static_length(ty) -> int | None:
    """The array length if the type knows it."""
    return ty.length if isinstance(ty, FixedArray) else None


def local_array(shape, dtype, alignment=None):
    """Thread-local array with its length in the type; call inside kernels only."""
    raise RuntimeError("cub_bindings.local_array can only be called inside a CUDA kernel or device function")


def shared_array(shape, dtype, alignment=None):
    """Block-shared array with its length in the type; call inside kernels only."""
    raise RuntimeError("cub_bindings.shared_array can only be called inside a CUDA kernel or device function")


def _dtype_of(ty):
    if isinstance(ty, (types.NumberClass, types.DType)):
        return ty.dtype
    if isinstance(ty, types.TypeRef):
        return ty.instance_type
    if isinstance(ty, types.Type) and cxx.is_supported_scalar(ty):
        return ty
    if isinstance(ty, types.Function):  # a CUDA vector type's constructor, ``cuda.float32x2``
        return _vector_type(getattr(ty.typing_key, "__name__", None))
    return None


def _vector_type(name):
    try:
        from numba.cuda.vector_types import vector_types
    except Exception:  # noqa: BLE001 (the CUDA simulator has none)
        return None
    return vector_types.get(name)


def _make_template(func, space):
    class _ArrayTemplate(AbstractTemplate):
        key = func
        prefer_literal = True

        def generic(self, args, kws):
            kws = dict(kws)
            shape = kws.pop("shape", args[0] if args else None)
            dty = kws.pop("dtype", args[1] if len(args) > 1 else None)
            align = kws.pop("alignment", args[2] if len(args) > 2 else None)
            name = f"cub_bindings.{func.__name__}"
            if kws:
                raise TypingError(f"{name}: unknown keyword(s) {', '.join(kws)}; valid: shape, dtype, alignment")
            if not isinstance(shape, types.IntegerLiteral) or shape.literal_value <= 0:
                raise TypingError(f"{name}: shape must be a positive integer constant, got {shape}")
            dtype = _dtype_of(dty) if dty is not None else None
            if dtype is None:
                raise TypingError(f"{name}: dtype must be a NumPy/Numba scalar type or record dtype, got {dty}")
            if align is not None and not isinstance(align, (types.IntegerLiteral, types.NoneType)):
                raise TypingError(f"{name}: alignment must be an integer constant")
            ret = FixedArray(dtype, shape.literal_value, space,
                             align.literal_value if isinstance(align, types.IntegerLiteral) else None)
            given = [(n, a) for n, a in (("shape", shape), ("dtype", dty), ("alignment", align)) if a is not None]
            sig = signature(ret, *[a for _, a in given])
            P = inspect.Parameter
            return sig.replace(pysig=inspect.Signature([P(n, P.POSITIONAL_OR_KEYWORD) for n, _ in given]))

    return _ArrayTemplate


#: NVVM IR address spaces (fixed by the NVVM IR spec; numba-cuda's constants are absent under the simulator)
ADDRSPACE_SHARED, ADDRSPACE_LOCAL = 3, 5

for _func, _space, _addr in ((local_array, "local", ADDRSPACE_LOCAL), (shared_array, "shared", ADDRSPACE_SHARED)):
    typing_registry.register_global(_func, types.Function(_make_template(_func, _space)))

    def _impl(context, builder, sig, args, _addr=_addr, _space=_space):
        from numba.cuda.cudaimpl import _generic_array, _get_unique_smem_id  # not importable under the simulator

        aryty = sig.return_type
        align = sig.args[2].literal_value if len(sig.args) > 2 and isinstance(sig.args[2], types.IntegerLiteral) else None
        return _generic_array(context, builder, shape=(aryty.length,), dtype=aryty.dtype,
                              symbol_name=_get_unique_smem_id("_cub_coop_smem") if _space == "shared" else "_cub_coop_larray", addrspace=_addr, alignment=align)

    lowering_registry.lower(_func, types.IntegerLiteral, types.Any)(_impl)
    lowering_registry.lower(_func, types.IntegerLiteral, types.Any, types.Any)(_impl)


# --------------------------------------------------------------------------- advance


def advance(array, offset):
    """``array`` from item ``offset`` on, as C++'s ``d + offset``: inside kernels the data
    pointer moves by ``offset`` items and the length shrinks by as many, with none of a
    slice's rules (``d[offset:]`` wraps a negative start and clamps one past the end, code in
    every address computation). ``array`` is a 1-D C-contiguous array: a device array, or a
    ``local_array`` / ``shared_array`` (the result is then a plain array: its length is no
    longer in the type). An offset outside the array is, as in C++, an out-of-bounds access
    on the GPU; here (host, simulator) it is a ``ValueError``."""
    n, off = len(array), int(offset)
    if not 0 <= off <= n:
        raise ValueError(f"cub_bindings.advance: offset {off} is outside the {n} items of the array")
    return array[off:]


class _AdvanceTemplate(AbstractTemplate):
    key = advance

    def generic(self, args, kws):
        if kws or len(args) != 2:
            raise TypingError("cub_bindings.advance takes (array, offset)")
        ary, off = args
        if not isinstance(ary, types.Array) or ary.ndim != 1 or ary.layout != "C":
            raise TypingError(f"cub_bindings.advance: the array must be a 1-D C-contiguous array, got {ary}")
        if not isinstance(off, types.Integer) or isinstance(off, types.Boolean):
            raise TypingError(f"cub_bindings.advance: the offset must be an integer, got {types.unliteral(off)}")
        rest = types.Array(ary.dtype, 1, "C", readonly=not ary.mutable, aligned=ary.aligned) if isinstance(
            ary, FixedArray) else ary
        return signature(rest, ary, off)


typing_registry.register_global(advance, types.Function(_AdvanceTemplate))


def advance_array(context, builder, ty, val, offset, offset_ty):
    """Lowering of ``advance``: the 1-D array value ``val`` of type ``ty`` from item ``offset``
    (an integer value of ``offset_ty``) on: its data pointer advanced, its length shortened."""
    from numba.cuda import cgutils

    arr = cgutils.create_struct_proxy(ty)(context, builder, value=val)
    off = context.cast(builder, offset, offset_ty, types.intp)
    arr.data = builder.gep(arr.data, [off], inbounds=True)
    (n,) = cgutils.unpack_tuple(builder, arr.shape, 1)
    rest = builder.sub(n, off)
    arr.shape = cgutils.pack_array(builder, [rest])
    arr.nitems = rest
    return arr._getvalue()


@lowering_registry.lower(advance, types.Array, types.Integer)
def _lower_advance(context, builder, sig, args):
    return advance_array(context, builder, sig.args[0], args[0], args[1], sig.args[1])
