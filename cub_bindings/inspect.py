"""Debugging: see the shim C++, LTOIR sizes and SASS behind a kernel, with or without a GPU.

    from cub_bindings.inspect import build_kernel
    b = build_kernel(my_kernel, (int32[::1], int32[::1]), cc=(9, 0))
    print(b.shim_source)      # the C++ NVRTC compiled (one translation unit per code library)
    print(b.ltoir_sizes)      # {"kernel": bytes, "cub-coop-shims-…": bytes}
    print(b.sass())           # nvdisasm of the linked cubin (pip install nvidia-cuda-nvdisasm)

``build_kernel`` compiles the Python function as a kernel for an explicit compute
capability (``numba.cuda.compiler.compile_all``: no GPU needed), compiles the shims with
NVRTC, and links everything to a cubin with nvJitLink. For an already launched
``@cuda.jit`` dispatcher use ``shim_sources(dispatcher)``.
"""

from __future__ import annotations

import contextlib
import contextvars
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from cub_bindings._runtime.nvrtc_service import DEFAULT_ARCH, link_cubin
from cub_bindings._runtime.shims import ARCH, ShimLTOIR, prepare_kernel


@dataclass
class KernelBuild:
    kernel_ltoir: bytes
    shims: list = field(default_factory=list)  # ShimLTOIR objects (each: .shimset, .data)
    arch: str = DEFAULT_ARCH
    plan: object = None  # the kernel's shared-memory plan (smem_plan.PlanInfo), if its calls asked for one
    _cubin: bytes | None = None

    @property
    def dynamic_shared_bytes(self) -> int:
        """Dynamic shared memory a launch must add for the kernel's plan (0: its plan is static)."""
        return self.plan.dynamic_bytes if self.plan is not None else 0

    @property
    def shim_source(self) -> str:
        return "\n// ----\n".join(s.shimset.source() for s in self.shims)

    @property
    def ltoir_sizes(self) -> dict[str, int]:
        sizes = {"kernel": len(self.kernel_ltoir)}
        for s in self.shims:
            sizes[s.name] = len(s.data)
        return sizes

    @property
    def cubin(self) -> bytes:
        if self._cubin is None:
            self._cubin = link_cubin([self.kernel_ltoir, *[bytes(s.data) for s in self.shims]], arch=self.arch)
        return self._cubin

    @property
    def ptx(self) -> str:
        """The kernel and its shims linked (LTO) to one PTX module."""
        return link_cubin([self.kernel_ltoir, *[bytes(s.data) for s in self.shims]], arch=self.arch,
                          target="ptx").decode().rstrip("\0")

    def sass(self) -> str:
        return disassemble(self.cubin)


_DEVICE_CC: contextvars.ContextVar = contextvars.ContextVar("cub_coop_build_cc", default=None)
_patch_lock = threading.Lock()
_patch = {"users": 0, "original": None}


def _stated_device():
    cc = _DEVICE_CC.get()
    return SimpleNamespace(compute_capability=cc) if cc is not None else _patch["original"]()


@contextlib.contextmanager
def _device_functions_without_gpu(cc):
    """numba-cuda compiles ``@cuda.jit(device=True)`` callees for ``get_current_device()``'s
    compute capability, which fails without a driver; for an explicit-arch build, use ``cc``.
    The patch is shared by concurrent builds (counted) and ``cc`` is per thread."""
    from numba import cuda
    from numba.cuda import dispatcher

    if cuda.is_available():
        yield
        return
    token = _DEVICE_CC.set(tuple(cc))
    with _patch_lock:
        if _patch["users"] == 0:
            _patch["original"] = dispatcher.get_current_device
            dispatcher.get_current_device = _stated_device
        _patch["users"] += 1
    try:
        yield
    finally:
        with _patch_lock:
            _patch["users"] -= 1
            if _patch["users"] == 0:
                dispatcher.get_current_device = _patch["original"]
        _DEVICE_CC.reset(token)


def build_kernel(pyfunc, argtypes, cc=(9, 0)) -> KernelBuild:
    from numba.cuda.compiler import compile_all

    arch = f"sm_{cc[0]}{cc[1]}"
    token = ARCH.set(arch)  # this thread's shims only (other threads may build for other archs)
    with _device_functions_without_gpu(cc):
        try:
            fn = getattr(pyfunc, "py_func", pyfunc)
            codes, _ = compile_all(fn, tuple(argtypes), device=False, abi="numba", cc=cc, output="ltoir")
            shims = [c for c in codes if isinstance(c, ShimLTOIR)]
            lib = next((s.shimset.library for s in shims if s.shimset.library is not None
                        and getattr(s.shimset.library, "_entry_name", None)), None)
            plan = prepare_kernel(lib) if lib is not None else None  # may recompile the kernel's own code
            if lib is not None:  # the kernel's set has absorbed the others
                shims = [s for s in shims if s in lib._linking_files]
            for s in shims:
                s.data  # compile now, for the requested arch
            others = [c for c in codes if not isinstance(c, ShimLTOIR)]
            kernel = others[0] if isinstance(others[0], bytes) else bytes(others[0].data)
            if lib is not None and getattr(lib, "_cub_coop_reserved", None):
                kernel = bytes(lib.get_ltoir(cc=cc))
            return KernelBuild(kernel, shims, arch, plan=plan)
        finally:
            ARCH.reset(token)


def shim_sources(dispatcher) -> dict:
    """{signature: shim C++} for every compiled specialization of a ``@cuda.jit`` kernel."""
    from cub_bindings._runtime.shims import shimsets_of

    out = {}
    for sig, kernel in dispatcher.overloads.items():
        lib = getattr(kernel, "library", None) or getattr(kernel, "_codelibrary", None)
        out[sig] = "\n// ----\n".join(s.source() for s in shimsets_of(lib))
    return out


def find_nvdisasm() -> str | None:
    exe = shutil.which("nvdisasm")
    if exe:
        return exe
    try:
        import nvidia.cu13 as cu13  # nvidia-cuda-nvdisasm wheel

        cand = Path(next(iter(cu13.__path__))) / "bin" / "nvdisasm"
        return str(cand) if cand.is_file() else None
    except Exception:
        return None


def disassemble(cubin: bytes) -> str:
    exe = find_nvdisasm()
    if exe is None:
        raise RuntimeError("nvdisasm not found: `pip install nvidia-cuda-nvdisasm` (or put CUDA's bin/ on PATH)")
    with tempfile.NamedTemporaryFile(suffix=".cubin") as f:
        f.write(cubin)
        f.flush()
        return subprocess.run([exe, "-c", f.name], check=True, capture_output=True, text=True).stdout
