"""Finding what the parsers need: CUB headers, CUDA runtime headers, a clang, a CUDA root.

Header directories come from cuda-pathfinder (pip-installed wheels first, a CUDA toolkit
as its fallback); nothing here hard-codes an install path.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bindgen.errors import BindgenError

#: Searched in this order when CUB_COOP_CLANG is not set.
CLANG_CANDIDATES = ("clang++-22", "clang-22", "clang++-19", "clang-19", "clang++", "clang")
#: ast_canopy embeds Clang 20; only the resource directory comes from the external clang.
SUPPORTED_CLANG_MAJORS = (19, 20, 21, 22)


@dataclass(frozen=True)
class Clang:
    path: str
    major: int

    @property
    def defines(self) -> list[str]:
        # clang-19's resource headers lack what CUDA 13.x crt/math_functions.hpp expects.
        return ["_NV_RSQRT_SPECIFIER="] if self.major <= 19 else []

    @property
    def resource_dir(self) -> str:
        out = subprocess.run([self.path, "-print-resource-dir"], capture_output=True, text=True)
        return out.stdout.strip()


def cccl_include_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The CCCL include directory (the one holding ``cub/``)."""
    if explicit is not None:
        path = Path(explicit)
        if not (path / "cub" / "version.cuh").is_file():
            raise BindgenError(
                f"no CUB headers in {path}: expected {path}/cub/version.cuh; pass the include/cccl "
                "folder of a CCCL install (for a pip wheel: .../nvidia/cu13/include/cccl)"
            )
        return path.resolve()
    from cuda.pathfinder import find_nvidia_header_directory

    found = find_nvidia_header_directory("cccl")
    if not found or not (Path(found) / "cub" / "version.cuh").is_file():
        raise BindgenError(
            "CUB headers not found: `pip install nvidia-cuda-cccl`, or pass --include-dir DIR "
            "pointing at a CCCL include folder"
        )
    return Path(found).resolve()


def cub_version(include_dir: Path) -> str:
    """``CUB_VERSION`` from ``cub/version.cuh`` as "major.minor.patch"."""
    text = (include_dir / "cub" / "version.cuh").read_text()
    m = re.search(r"#\s*define\s+CUB_VERSION\s+(\d+)", text)
    if not m:
        raise BindgenError(f"{include_dir}/cub/version.cuh has no CUB_VERSION define; is this a CUB install?")
    v = int(m.group(1))
    return f"{v // 100000}.{v // 100 % 1000}.{v % 100}"


def header_source(include_dir: Path) -> str:
    """Which distribution the headers belong to, e.g. "nvidia-cuda-cccl 13.3.5.0.6".

    Looks for the wheel's ``*.dist-info`` folder beside the ``nvidia/`` tree (an installed
    or an unpacked wheel); headers from elsewhere are described by their CUB version only.
    """
    for parent in list(include_dir.parents)[:6]:
        for info in sorted(parent.glob("nvidia_cuda_cccl-*.dist-info")):
            version = info.name[len("nvidia_cuda_cccl-") : -len(".dist-info")]
            return f"nvidia-cuda-cccl {version}"
    return f"CUB {cub_version(include_dir)} headers (not from a pip wheel)"


def cuda_include_dirs() -> list[Path]:
    """CUDA runtime headers (cuda_runtime.h, crt/*) and curand (clang's CUDA wrapper needs it)."""
    from cuda.pathfinder import find_nvidia_header_directory

    dirs: list[Path] = []
    for lib, package in (("cudart", "nvidia-cuda-runtime nvidia-cuda-crt"), ("curand", "nvidia-curand")):
        found = find_nvidia_header_directory(lib)
        if not found:
            raise BindgenError(f"CUDA {lib} headers not found: `pip install {package}`")
        if Path(found) not in dirs:
            dirs.append(Path(found))
    if not (dirs[0] / "crt" / "host_defines.h").is_file():
        raise BindgenError(f"{dirs[0]}/crt/host_defines.h is missing: `pip install nvidia-cuda-crt`")
    return dirs


def find_clang() -> Clang:
    """The external clang whose resource directory ast_canopy uses."""
    requested = os.environ.get("CUB_COOP_CLANG")
    candidates = (requested,) if requested else CLANG_CANDIDATES
    for name in candidates:
        path = shutil.which(name)
        if path is None:
            continue
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
        except OSError:
            continue
        m = re.search(r"clang version (\d+)", out)
        if m and int(m.group(1)) in SUPPORTED_CLANG_MAJORS:
            return Clang(path, int(m.group(1)))
        if requested:
            raise BindgenError(
                f"CUB_COOP_CLANG={requested} is not a clang {SUPPORTED_CLANG_MAJORS[0]}-"
                f"{SUPPORTED_CLANG_MAJORS[-1]}: point it at clang-22 or clang-19"
            )
    if requested:
        raise BindgenError(f"CUB_COOP_CLANG={requested} was not found: point it at an installed clang binary")
    raise BindgenError(
        "no clang found: install Debian's clang-22 (`apt-get install clang-22`) or clang-19, "
        "or set CUB_COOP_CLANG to a clang binary"
    )


def cache_dir() -> Path:
    root = os.environ.get("CUB_COOP_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "cub-coop"


def clang_cuda_root(cudart_include: Path) -> Path:
    """A folder clang accepts as ``--cuda-path``: it needs include/, bin/ and nvvm/libdevice.

    A CUDA toolkit has all three; the pip wheels put include/ and nvvm/ side by side but no
    bin/. For those, a folder of symbolic links with an empty bin/ is made in the cache.
    """
    root = cudart_include.parent
    if all((root / sub).is_dir() for sub in ("include", "bin", "nvvm")):
        return root
    from cuda.pathfinder import locate_bitcode_lib

    try:
        libdevice = Path(locate_bitcode_lib("device").abs_path)
    except Exception as exc:  # pathfinder raises its own not-found error types
        raise BindgenError(f"libdevice not found ({exc}): `pip install nvidia-nvvm`") from None
    nvvm = libdevice.parent.parent
    key = hashlib.sha256(f"{cudart_include}|{nvvm}".encode()).hexdigest()[:16]
    synthetic = cache_dir() / "clang-cuda-root" / key
    if not (synthetic / "bin").is_dir():
        tmp = synthetic.with_name(f"{key}.tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / "bin").mkdir(parents=True)
        (tmp / "include").symlink_to(cudart_include, target_is_directory=True)
        (tmp / "nvvm").symlink_to(nvvm, target_is_directory=True)
        try:
            tmp.rename(synthetic)
        except OSError:  # another process made it first
            shutil.rmtree(tmp, ignore_errors=True)
    return synthetic
