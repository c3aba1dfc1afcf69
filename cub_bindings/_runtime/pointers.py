"""Small Numba intrinsics the bindings need to hand memory to C++ shims."""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.cuda.extending import intrinsic

_VOIDPTR = ir.IntType(8).as_pointer()


@intrinsic
def data_pointer(typingctx, arr):
    """The data pointer of an array (local, shared or global) as ``void*``.

    Shared and local arrays live in their own address spaces, but numba gives their data
    pointers in the generic space, which is what an ``extern "C"`` shim parameter expects.
    """
    if not isinstance(arr, types.Array):
        return None

    def codegen(context, builder, sig, args):
        ary = context.make_array(arr)(context, builder, value=args[0])
        return builder.bitcast(ary.data, _VOIDPTR)

    return types.voidptr(arr), codegen
