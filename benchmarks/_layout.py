"""An experiment knob for the benchmarks: ``BENCH_SHARED_PTR32=1`` gives numba-cuda's NVVM
data layout 32-bit shared-memory pointers (``p3:32:32:32``, as nvcc's), before anything is
compiled. ../shared/notes/perf-forensics.md ranks 64-bit shared addresses in the linked
module first among the causes of the gap to nvcc; this measures it on the GPU."""

import os


def apply_from_env() -> bool:
    if os.environ.get("BENCH_SHARED_PTR32", "0") in ("", "0"):
        return False
    from numba.cuda.cudadrv import nvvm

    if "p3:32:32:32" not in nvvm._datalayout:
        nvvm._datalayout = nvvm._datalayout.replace("e-p:64:64:64-", "e-p:64:64:64-p3:32:32:32-", 1)
    return True
