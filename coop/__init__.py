"""coop: CUB's cooperative primitives in numba-cuda kernels, with inference.

In a ``@cuda.jit`` kernel (single-phase)::

    items = coop.local.array(items_per_thread, d_in.dtype)
    coop.block.load(d_in, items)
    coop.block.scan(items, items)            # dtype, items per thread, block shape inferred
    coop.block.store(d_out, items)

On the host (two-phase), the same names specialize a primitive up front::

    block_scan = coop.block.scan(np.int32, 128, 4)
    block_scan.temp_storage_bytes, block_scan.temp_storage_alignment

No ``link=``: the C++ is compiled and linked when the kernel is. See docs/coop.md.
"""

from cub_bindings import advance
from cub_bindings.functional import Decomposer, StatefulFunction, StatefulOp

from coop import block, enums, local, shared, warp
from coop._aot import compile, kernel_names  # noqa: A004 (numba-cuda's name)
from coop._arrays import TempStorage, ThreadData
from coop._block_dim import Dim3, block_dim
from coop._errors import CoopError
from cub_bindings.extending import set_facade_error

set_facade_error(CoopError)  # toolchain failures of coop's calls are CoopErrors too
from coop._launch import launch_shape
from coop._shapes import shaped
from coop._traits import KernelTraits, gpu_dataclass
from coop.enums import *  # noqa: F401,F403
from coop.enums import (BlockAdjacentDifferenceType, BlockDiscontinuityType, BlockExchangeType,  # noqa: F401
                        BlockShuffleType, WarpExchangeType)

__all__ = ["block", "warp", "local", "shared", "ThreadData", "TempStorage", "StatefulOp", "StatefulFunction", "Decomposer", "advance",
           "CoopError", "launch_shape", "block_dim", "Dim3", "shaped", "gpu_dataclass", "KernelTraits", "compile", "kernel_names", "enums", *enums.__all__, *enums.BLOCK_TYPES, *enums.WARP_TYPES]
