"""Launching a kernel whose shared-memory plan is in dynamic shared memory (``smem_plan``).

``_Kernel.launch`` is wrapped: for such a kernel the launch's dynamic shared memory grows by
the plan's size, the function is opted in to that much (``CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_
SHARED_SIZE_BYTES``, raised when a launch needs more than before; the preferred carveout set
to all shared memory once, unless the kernel set its own), and a launch past the device's
opt-in maximum is refused with the calls that planned the memory. Kernels without a dynamic
plan pay one attribute lookup.
"""

from __future__ import annotations

import threading

from numba.cuda.dispatcher import _Kernel

from cub_bindings._runtime.nvrtc_service import facade_error

_lock = threading.Lock()


class DynamicSharedMemoryError(RuntimeError):
    """A launch needs more shared memory than the device lets a block have."""


def _opt_in(kernel, info, total: int) -> None:
    from numba.cuda.cudadrv.driver import binding, driver

    cufunc = kernel._codelibrary.get_cufunc()
    dev = cufunc.device
    done = kernel.__dict__.setdefault("_cub_coop_opted", {})
    if done.get(dev.id, 0) >= total:
        return
    static = cufunc.attrs.shared
    most = dev.MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
    if total + static > most:
        raise facade_error(
            f"this kernel's launch needs {total + static} bytes of shared memory ({info.size} bytes of TempStorage "
            f"planned by cub-coop, {total - info.dynamic_bytes} bytes of dynamic shared memory of the launch's own, "
            f"{static} bytes static), over the {most} bytes the device ({dev.name.decode() if isinstance(dev.name, bytes) else dev.name}) "
            f"lets one block use: {info.describe()}\n"
            "  valid: a smaller dynamic shared memory size at launch, fewer items per thread or threads, or one "
            "coop.TempStorage() shared by the calls", DynamicSharedMemoryError,
            any(what.startswith("coop.") for what, _, _ in info.uses))
    attr = binding.CUfunction_attribute
    with _lock:
        driver.cuKernelSetAttribute(attr.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, total, cufunc.handle, dev.id)
        if not done and getattr(kernel, "shared_memory_carveout", None) is None:
            driver.cuKernelSetAttribute(attr.CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT, 100, cufunc.handle,
                                        dev.id)
        done[dev.id] = total


def _launch(self, args, griddim, blockdim, stream=0, sharedmem=0):
    lib = self._codelibrary
    if not lib._cufunc_cache:  # not linked yet: linking decides the plan
        lib.get_cufunc()
    info = getattr(lib, "_cub_coop_plan", None)
    if info is not None and info.dynamic:
        sharedmem = int(sharedmem) + info.dynamic_bytes
        _opt_in(self, info, sharedmem)
    return _original_launch(self, args, griddim, blockdim, stream, sharedmem)


if not getattr(_Kernel, "_cub_coop_launch", False):
    _original_launch = _Kernel.launch
    _Kernel.launch = _launch
    _Kernel._cub_coop_launch = True

__all__ = ["DynamicSharedMemoryError"]
