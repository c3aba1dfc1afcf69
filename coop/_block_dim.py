"""``coop.block_dim()``: the block shape a kernel is compiled for, as compile-time constants.

A kernel whose primitives take the block shape from the launch is compiled per block shape
(``coop._launch``); inside it ``cuda.blockDim`` is still a register read, so ``tile =
cuda.blockDim.x * items_per_thread`` costs a multiply per use and keeps index arithmetic
general. ``coop.block_dim()`` is the same shape as ``(x, y, z)`` constants: its type carries
the values (``Literal[int]`` fields), lowering emits them, and NVVM folds everything computed
from them (tile sizes, strides, trip counts), as nvcc folds a C++ template's ``BLOCK_THREADS``.
Calling it makes the kernel block-shape specialized, like any primitive that infers the
shape (a new grid size still reuses the kernel; a new block shape compiles another).
"""

from __future__ import annotations

from collections import namedtuple

from numba.cuda import types
from numba.cuda.typing.templates import AbstractTemplate, signature

from cub_bindings.extending import lowering_registry, typing_registry

from coop._errors import fail
from coop._launch import current_block_dims

#: what ``coop.block_dim()`` returns: ``.x``, ``.y``, ``.z`` (or unpack ``x, y, z = ...``)
Dim3 = namedtuple("Dim3", "x y z")


def block_dim() -> Dim3:
    """The block shape this kernel is compiled for, ``(x, y, z)``, as compile-time constants.

    Inside a kernel (or a device function it calls) launched as ``k[grid, block](...)``, or
    compiled inside ``with coop.launch_shape(block=...)``. Equal to ``cuda.blockDim`` at run
    time, but known to the compiler: ``coop.block_dim().x * items_per_thread`` is a constant.
    The kernel is compiled per block shape (a new grid size reuses it).
    """
    from coop._arrays import _simulating

    if _simulating():
        from coop._sim.threads import block_dims, current

        return Dim3(*block_dims(current()))
    raise RuntimeError("coop.block_dim() can only be called inside a CUDA kernel or device function")


class _BlockDimTemplate(AbstractTemplate):
    key = block_dim

    def generic(self, args, kws):
        if args or kws:
            fail("coop.block_dim", None, f"takes no arguments, got {len(args) + len(kws)}",
                 "coop.block_dim() (then .x, .y, .z)")
        known = current_block_dims(self.context)
        if known is None:
            fail("coop.block_dim", None, "the block shape is not known: this kernel is not being compiled for a "
                 "launch", "launch it (kernel[grid, block](...)), or compile inside `with coop.launch_shape(block=...):`")
        return signature(types.NamedTuple([types.literal(d) for d in known[0]], Dim3))


typing_registry.register_global(block_dim, types.Function(_BlockDimTemplate))


@lowering_registry.lower(block_dim)
def _lower_block_dim(context, builder, sig, args):
    ty = sig.return_type
    return context.make_tuple(builder, ty, [context.get_constant(t, t.literal_value) for t in ty.types])
