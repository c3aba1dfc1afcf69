"""The compile service: C++ shims -> LTOIR with one NVRTC call, cached on disk.

Hand-written runtime support for the generated bindings (it is not generated). One call
of ``compile_shims`` compiles every shim a kernel needs in a single NVRTC invocation
(cuda.core ``Program``) and, in the same invocation, measures ``sizeof``/``alignof`` of
any C++ types asked for (TempStorage specializations): each becomes a name expression
``&__cub_coop_layout<sizeof(T), alignof(T)>`` whose mangled name carries both numbers.

Environment:
  CUB_COOP_CCCL_INCLUDE  CCCL include folder to compile against (default: cuda-pathfinder's)
  CUB_COOP_CACHE_DIR   cache root (default ~/.cache/cub-coop); entries under shims/
  CUB_COOP_NO_CACHE=1  neither read nor write the cache
  CUB_COOP_DUMP_SHIMS  a folder: every compiled shim source is written there as <key>.cu
  CUB_COOP_NVRTC_LOG=1 one line on stderr per NVRTC compile (key, seconds, LTOIR bytes)
  CUB_COOP_NVRTC_TIMEOUT seconds one NVRTC compile may take (default 600; 0: no limit):
                       NVRTC's flow callback cancels it (``NVRTCTimeout``). nvJitLink has no
                       such hook: see docs/cub_bindings.md, "Time and memory guards"
``nvrtc_compile_count()`` counts the compiles of this process.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from cub_bindings._runtime.cache import DiskCache, key_digest

DEFAULT_ARCH = "sm_90"
_LAYOUT_DECL = "template <unsigned long long S, unsigned long long A> __device__ char __cub_coop_layout;\n"
_LAYOUT_RE = re.compile(r"__cub_coop_layoutILy(\d+)ELy(\d+)EE")

_lock = threading.Lock()
_count = 0


class ShimCompileError(RuntimeError):
    """NVRTC rejected a shim; the message carries NVRTC's first errors and the dump hint.

    ``errors``: those errors, shortened (``shorten``); ``lines``: the lines of the compiled
    source the log points at (where an error is, or the instantiation that led to it), so
    the caller can name the shims, and the calls that made them, behind the failure."""

    def __init__(self, message: str, errors: tuple = (), lines: tuple = ()):
        super().__init__(message)
        self.errors, self.lines = tuple(errors), tuple(lines)


class NVRTCTimeout(ShimCompileError):
    """NVRTC was cancelled after ``CUB_COOP_NVRTC_TIMEOUT`` seconds."""


class LinkError(RuntimeError):
    """nvJitLink (ptxas, at link time) rejected a kernel; the message says why in a line."""


_FACADE_ERRORS: dict = {}
_FACADE_BASE: list = []  # the error class a facade registered (``set_facade_error``)


def set_facade_error(cls: type) -> None:
    """A layer above (``coop``) registers the one error type its users catch for every
    misuse; toolchain failures of its calls are then raised as that type too."""
    _FACADE_BASE[:] = [cls]


def facade_error(message: str, base: type, facade: bool) -> Exception:
    """``base(message)``; for a failure of the facade's calls (``facade``), once a facade has
    registered its error type (``set_facade_error``), an error that is also of that type."""
    coop_error = _FACADE_BASE[0] if facade and _FACADE_BASE else None
    if coop_error is None:
        return base(message)
    cls = _FACADE_ERRORS.get(base)
    if cls is None:
        cls = _FACADE_ERRORS[base] = type(base.__name__, (coop_error, base), {"__module__": base.__module__})
    return cls(message)


_PROGRAM_LINE = re.compile(r"default_program\((\d+)\)|at line (\d+) of default_program")
_VERSIONED_NS = re.compile(r"(::)?(_V_\w+|__\d+)::")


def shorten(text: str, limit: int = 400) -> str:
    """A toolchain message without include paths and versioned inline namespaces."""
    text = re.sub(r"\S*/include/(cccl/)?", "", text.strip())
    text = _VERSIONED_NS.sub(lambda m: m.group(1) or "", text)
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def log_errors(log: str, offset: int = 0) -> tuple[list[str], list[int]]:
    """(error messages, shortened; source lines referred to, minus ``offset``) of an NVRTC log."""
    errors = [shorten(ln) for ln in log.splitlines() if ": error" in ln or ln.startswith("error")]
    lines = sorted({int(a or b) - offset for a, b in _PROGRAM_LINE.findall(log)})
    return errors, lines


@dataclass(frozen=True)
class CompiledShims:
    ltoir: bytes
    layouts: dict[str, tuple[int, int]] = field(default_factory=dict)  # C++ type -> (size, alignment)
    key: str = ""
    from_cache: bool = False


def nvrtc_compile_count() -> int:
    return _count


@functools.lru_cache(maxsize=1)
def include_dirs() -> tuple[str, ...]:
    from cuda.pathfinder import find_nvidia_header_directory

    dirs = []
    for lib, package in (("cccl", "nvidia-cuda-cccl"), ("cudart", "nvidia-cuda-runtime nvidia-cuda-crt")):
        found = os.environ.get("CUB_COOP_CCCL_INCLUDE") if lib == "cccl" else None
        if found and not (Path(found) / "cub" / "version.cuh").is_file():
            raise ShimCompileError(f"CUB_COOP_CCCL_INCLUDE={found} holds no cub/version.cuh")
        found = found or find_nvidia_header_directory(lib)
        if not found:
            raise ShimCompileError(f"CUDA {lib} headers not found: `pip install {package}`")
        dirs.append(found)
    return tuple(dirs)


@functools.lru_cache(maxsize=1)
def toolchain_id() -> str:
    """What besides the source decides the output: CUB version and NVRTC version."""
    from cuda.bindings import nvrtc

    text = (Path(include_dirs()[0]) / "cub" / "version.cuh").read_text()
    cub = re.search(r"#\s*define\s+CUB_VERSION\s+(\d+)", text).group(1)
    _, major, minor = nvrtc.nvrtcVersion()
    return f"cub={cub};nvrtc={major}.{minor}"


def _option_values(arch: str) -> dict:
    """``ProgramOptions``' arguments: the compile and its cache key read the same values."""
    # link_time_optimization is required: without -dlto, compile("ltoir") returns 0 bytes.
    # device_as_default_execution_space (-default-device): NVRTC 13.0 rejects CUB 3.5's
    # unannotated lambdas (WarpReduceBatched) as host code in JIT mode.
    # _CCCL_META_UNROLL_LIMIT=10: the value libcu++ picks for nvcc (it picks 16 for every
    # other compiler, NVRTC included). It only sets how many types libcu++'s type-list folds
    # take per step (<cuda/std/__type_traits/type_list.h>); preprocessing those folds' 17
    # specializations at 16 took NVRTC 1.0 s of a 1.9 s load+scan+store compile, at 10 0.06 s
    # (docs/performance.md). The same headers compile as nvcc compiles them.
    return dict(arch=arch, std="c++17", include_path=list(include_dirs()), link_time_optimization=True,
                device_as_default_execution_space=True, define_macro=[("_CCCL_META_UNROLL_LIMIT", "10")])


def _options(arch: str):
    from cuda.core import ProgramOptions

    return ProgramOptions(**_option_values(arch))


def compile_shims(
    source: str, layout_types: Sequence[str] = (), arch: str = DEFAULT_ARCH, cache: DiskCache | None = None
) -> CompiledShims:
    """LTOIR for ``source`` and the (size, alignment) of each of ``layout_types``."""
    global _count
    layout_types = tuple(dict.fromkeys(layout_types))
    options = repr(sorted(_option_values(arch).items()))  # every option (ProgramOptions' repr shows only two)
    key = key_digest(source, "\n".join(layout_types), toolchain_id(), arch, options)
    use_cache = os.environ.get("CUB_COOP_NO_CACHE") != "1"
    cache = cache if cache is not None else DiskCache()
    if use_cache:
        blob = cache.get(key)
        if blob is not None:
            ltoir, layouts = _unpack(blob)
            return CompiledShims(ltoir, layouts, key, from_cache=True)
    full = _LAYOUT_DECL + source if layout_types else source
    from cub_bindings._runtime.cxx import type_headers

    full = "".join(f"#include <{h}>\n" for h in type_headers(source, *layout_types)) + full
    if dump := os.environ.get("CUB_COOP_DUMP_SHIMS"):
        Path(dump).mkdir(parents=True, exist_ok=True)
        (Path(dump) / f"{key}.cu").write_text(full)
    offset = full[: len(full) - len(source)].count("\n")  # the log's line numbers are of `full`
    ltoir, layouts, seconds = _nvrtc(full, layout_types, arch, key, offset)
    with _lock:
        _count += 1
    if os.environ.get("CUB_COOP_NVRTC_LOG") == "1":
        print(f"cub-coop: NVRTC compile {key[:12]} {seconds:.2f} s, {len(ltoir)} B LTOIR", file=sys.stderr)
    if use_cache:
        cache.put(key, _pack(ltoir, layouts))
    return CompiledShims(ltoir, layouts, key, from_cache=False)


_FLOW_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


def nvrtc_timeout() -> float:
    """Seconds one NVRTC compile may take (``CUB_COOP_NVRTC_TIMEOUT``, default 600); 0: no limit."""
    text = os.environ.get("CUB_COOP_NVRTC_TIMEOUT", "600")
    try:
        return max(float(text), 0.0)
    except ValueError:
        raise ShimCompileError(f"CUB_COOP_NVRTC_TIMEOUT={text!r} is not a number of seconds (0: no limit)") from None


def _deadline_callback(program, limit: float):
    """Cancel ``program``'s compile once ``limit`` seconds have passed (NVRTC's flow callback,
    which NVRTC calls often while optimizing and generating code, in the compiling thread).
    Returns the callback: keep it alive until the compile returns."""
    from cuda.bindings import nvrtc

    deadline = time.monotonic() + limit

    @_FLOW_CALLBACK
    def stop(_payload, _reserved):
        return 1 if time.monotonic() > deadline else 0

    nvrtc.nvrtcSetFlowCallback(program.handle, ctypes.cast(stop, ctypes.c_void_p).value, 0)
    return stop


def _nvrtc(source: str, layout_types: tuple[str, ...], arch: str, key: str, offset: int = 0):
    from cuda.core import Program

    exprs = [f"&__cub_coop_layout<sizeof({t}), alignof({t})>" for t in layout_types]
    limit = nvrtc_timeout()
    t0 = time.perf_counter()
    try:
        program = Program(source, code_type="c++", options=_options(arch))
        guard = _deadline_callback(program, limit) if limit else None
        obj = program.compile("ltoir", name_expressions=exprs, logs=None)
        del guard
    except Exception as exc:  # cuda.core raises its own error types carrying the NVRTC log
        if "NVRTC_ERROR_CANCELLED" in str(exc):
            seconds = time.perf_counter() - t0
            msg = (f"NVRTC stopped after {seconds:.0f} s, over CUB_COOP_NVRTC_TIMEOUT={limit:g} s (0: no limit); "
                   "fewer items per thread or smaller tiles compile faster")
            raise NVRTCTimeout(msg, (msg,)) from None
        errors, lines = log_errors(str(exc), offset)
        errors = errors[:3] or [shorten(str(exc))]
        hint = "set CUB_COOP_DUMP_SHIMS=DIR to see the source" if not os.environ.get("CUB_COOP_DUMP_SHIMS") else (
            f"source in {os.environ['CUB_COOP_DUMP_SHIMS']}/{key}.cu"
        )
        raise ShimCompileError(f"NVRTC could not compile the CUB shim ({hint}): " + " | ".join(errors),
                               errors, lines) from None
    seconds = time.perf_counter() - t0
    ltoir = bytes(obj.code)
    if not ltoir:
        raise ShimCompileError("NVRTC returned empty LTOIR (was -dlto dropped from the options?)")
    layouts = {}
    for t, e in zip(layout_types, exprs):
        mangled = obj.symbol_mapping[e]
        mangled = mangled.decode() if isinstance(mangled, bytes) else mangled
        m = _LAYOUT_RE.search(mangled)
        if m is None:
            raise ShimCompileError(f"could not read the layout of {t} from {mangled!r}")
        layouts[t] = (int(m.group(1)), int(m.group(2)))
    return ltoir, layouts, seconds


def _pack(ltoir: bytes, layouts: dict[str, tuple[int, int]]) -> bytes:
    meta = json.dumps({t: list(v) for t, v in layouts.items()}, sort_keys=True).encode()
    return len(meta).to_bytes(4, "little") + meta + ltoir


def _unpack(blob: bytes) -> tuple[bytes, dict[str, tuple[int, int]]]:
    n = int.from_bytes(blob[:4], "little")
    layouts = {t: (v[0], v[1]) for t, v in json.loads(blob[4 : 4 + n]).items()}
    return blob[4 + n :], layouts


def link_cubin(ltoirs: Sequence[bytes], arch: str = DEFAULT_ARCH, target: str = "cubin") -> bytes:
    """Link LTOIR modules with nvJitLink (no GPU needed) into a cubin, or PTX (``target="ptx"``)."""
    from cuda.core import Linker, LinkerOptions, ObjectCode

    objs = [ObjectCode.from_ltoir(b) for b in ltoirs]
    opts = LinkerOptions(arch=arch, link_time_optimization=True, optimize_unused_variables=True,
                         ptx=target == "ptx")
    try:
        out = Linker(*objs, options=opts).link(target).code
    except Exception as exc:  # nvJitLink's error carries ptxas's log
        raise facade_error(explain_link_log(str(exc)), LinkError, True) from None
    return out.encode() if isinstance(out, str) else bytes(out)


_SHARED = re.compile(r"Entry function '(\w+)' uses too much shared data \((0x[0-9a-f]+) bytes, (0x[0-9a-f]+) max\)")
_ENTRY = re.compile(r"Entry function '(\w+)'")


def kernel_name(mangled: str) -> str:
    """``_ZN8__main__10big_sharedB2v8...`` -> ``__main__.big_shared`` (its nested names)."""
    if not mangled.startswith("_ZN"):
        return mangled
    pos, parts = 3, []
    while pos < len(mangled) and mangled[pos].isdigit():
        m = re.match(r"\d+", mangled[pos:])
        n = int(m.group())
        pos += len(m.group())
        parts.append(mangled[pos : pos + n])
        pos += n
    return ".".join(p.replace("_3clocals_3e", "<locals>") for p in parts) or mangled


def explain_link_log(log: str) -> str:
    """One line saying why nvJitLink/ptxas refused a kernel (its raw log shortened)."""
    m = _SHARED.search(log)
    if m:
        used, limit = int(m.group(2), 16), int(m.group(3), 16)
        return (f"kernel {kernel_name(m.group(1))} needs {used} bytes ({used / 1024:.0f} KB) of static shared "
                f"memory, over the {limit} bytes ({limit // 1024} KB) a kernel's static shared memory may hold "
                "(ptxas, at link time): use smaller shared arrays / TempStorage, fewer items per thread, or "
                "dynamic shared memory")
    lines = [ln for ln in log.splitlines() if "error" in ln.lower() and "nvJitLink error log" not in ln]
    text = " | ".join(lines[:3]) or log
    text = _ENTRY.sub(lambda e: f"kernel {kernel_name(e.group(1))}", text)
    return "nvJitLink could not link the kernel: " + shorten(text)
