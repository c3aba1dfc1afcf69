"""32-bit shared-memory pointers in numba-cuda's NVVM data layout, as nvcc's.

numba-cuda's data layout (``e-p:64:64:64-...``) gives every address space 64-bit pointers.
Linked with LTO, the kernel's module comes first and its layout wins, so CUB's shared-memory
addresses (TempStorage) are built in 64 bits (``mov.u64``/``mul.wide``/``st.shared [%rd]``)
and ptxas recomputes them every tile, where nvcc's layout (``p3:32:32:32``) gives 32-bit
addresses with immediate offsets. Measured on an H200 (2026-12-03, same run): the coop
grid-stride example 1.17x -> 1.01x the C++ time, the selective scan 1.22-1.27x -> 1.15-1.22x.

Applied once, before anything is compiled, when cub_bindings is imported (not under the
CUDA simulator, which compiles nothing). ``CUB_COOP_SHARED_PTR32=0`` keeps numba-cuda's layout.
"""

from __future__ import annotations

import os

SHORT = "p3:32:32:32"


def enabled() -> bool:
    return os.environ.get("CUB_COOP_SHARED_PTR32", "1") not in ("", "0")


def apply() -> bool:
    """Give numba-cuda's NVVM data layout 32-bit shared pointers; True when in effect."""
    if not enabled():
        return False
    from numba.cuda.cudadrv import nvvm

    layout = getattr(nvvm, "_datalayout", None)
    if not isinstance(layout, str) or not layout.startswith("e-p:64:64:64-"):
        return False  # another numba-cuda: leave its layout alone
    if SHORT not in layout:
        nvvm._datalayout = layout.replace("e-p:64:64:64-", f"e-p:64:64:64-{SHORT}-", 1)
    return True


def in_effect() -> bool:
    from numba.cuda.cudadrv import nvvm

    return SHORT in getattr(nvvm, "_datalayout", "")
