"""The benchmarks' shared harness: the C++ references are built by nvcc to a cubin, loaded by
kernel name and launched from Python on numba's default stream, and both sides are timed by
the same ``time_launches`` (CUDA events around batches of launches, with untimed launches
first, so host dispatch never sits inside either side's window). Importing it compiles
nothing, so the CPU tests and the simulator can load it."""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from pathlib import Path

from numba import cuda

ROOT = Path(__file__).resolve().parent.parent

#: launches per timed window, and untimed launches queued before each window
BATCH, LEAD = 10, 2


def time_launches(launch, reps: int, batch: int = BATCH, lead: int = LEAD) -> list[float]:
    """Milliseconds per launch: CUDA events around ``batch`` launches, ``reps`` times.
    ``lead`` untimed launches go first each time, so the GPU is busy when the first event is
    reached and the host's time to queue the timed launches stays out of the window (as long
    as queueing a launch takes the host less time than the kernel takes the GPU)."""
    launch()
    cuda.synchronize()
    out = []
    for _ in range(reps):
        a, b = cuda.event(), cuda.event()
        for _ in range(lead):
            launch()
        a.record()
        for _ in range(batch):
            launch()
        b.record()
        b.synchronize()
        out.append(cuda.event_elapsed_time(a, b) / batch)
    return out


def nvcc() -> str | None:
    path = shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc"
    return path if Path(path).exists() else None


def build_reference(work: Path, source: str, defines: dict | None = None) -> tuple[Path, str]:
    """nvcc ``benchmarks/<source>`` (``-O3 -arch=sm_90``, ``-D`` each of ``defines``) into
    ``work/<stem>.cubin``, against the CCCL headers cub_bindings compiles with; returns the
    cubin and ptxas's resource line ("Used N registers, ...") of the last kernel it reports."""
    cubin, usage = build_reference_kernels(work, source, defines)
    return cubin, list(usage.values())[-1] if usage else ""


def build_reference_kernels(work: Path, source: str, defines: dict | None = None) -> tuple[Path, dict]:
    """``build_reference`` for a source of several kernels: the cubin and {entry name: ptxas's
    resource line}."""
    exe = nvcc()
    if exe is None:
        raise SystemExit("benchmarks: nvcc not found (PATH or /usr/local/cuda/bin)")
    from cub_bindings._runtime.nvrtc_service import include_dirs

    cubin = work / (Path(source).stem + ".cubin")
    cmd = [exe, "-O3", "-Xptxas=-v", "-std=c++17", "-arch=sm_90", "-cubin",
           *(f"-D{k}={v}" for k, v in (defines or {}).items()), f"-I{include_dirs()[0]}",
           str(ROOT / "benchmarks" / source), "-o", str(cubin)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    usage, entry = {}, None
    for ln in out.stderr.splitlines():
        m = re.search(r"Compiling entry function '([^']+)'", ln)
        entry = m.group(1) if m else entry
        if "registers" in ln:
            usage[entry] = ln.strip()
    return cubin, usage


def load_kernels(cubin: Path, names) -> dict:
    """{name: cuda.core Kernel} of the ``extern "C"`` kernels ``names`` of an nvcc-built cubin."""
    from cuda.core import ObjectCode

    cuda.current_context()  # numba's (primary) context, current: cuda.core loads the module into it
    code = ObjectCode.from_cubin(cubin.read_bytes())
    return {name: code.get_kernel(name) for name in names}


def int32(v: int):
    """A kernel argument the C++ side declares ``int`` (a Python int goes as 8 bytes)."""
    return ctypes.c_int32(v)


def cpp_launch(kernel, grid: int, threads: int, args: list):
    """A no-argument launcher of a C++ kernel on the default stream (numba's, so the events of
    ``time_launches`` bracket it as they do numba's launches): device arrays go as their
    pointers, Python ints as 8-byte integers, ctypes values (``int32``) as themselves."""
    from cuda.core import LaunchConfig, Stream, launch

    stream, config = Stream.from_handle(0), LaunchConfig(grid=grid, block=threads)
    params = [a.__cuda_array_interface__["data"][0] if hasattr(a, "__cuda_array_interface__") else a for a in args]
    return lambda: launch(stream, config, kernel, *params)


def cpp_usage(kernel, device_id: int) -> tuple[int, int]:
    """(registers per thread, static shared bytes) of a cuda.core Kernel."""
    attrs = kernel.attributes
    try:
        attrs = attrs[device_id]  # cuda.core 1.x: a view per device
    except TypeError:
        pass
    vals = [getattr(attrs, name) for name in ("num_regs", "shared_size_bytes")]
    regs, smem = (v() if callable(v) else v for v in vals)  # methods before cuda.core 1.0, properties since
    return regs, smem


def one(v):
    """A numba dispatcher's per-signature figure (``get_regs_per_thread()``) for its one signature."""
    return next(iter(v.values())) if isinstance(v, dict) else v


def shared_ptr32() -> bool:
    """Whether the kernels were built with 32-bit shared-memory pointers (``CUB_COOP_SHARED_PTR32=0``
    measures without them)."""
    from cub_bindings._runtime.datalayout import in_effect

    return in_effect()


def device_name() -> str:
    name = cuda.get_current_device().name
    return name.decode() if isinstance(name, bytes) else name
