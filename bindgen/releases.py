"""Released CCCL wheels as header folders: ``pip download`` once, unpack into the cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from bindgen.errors import BindgenError
from bindgen.locate import cache_dir
from bindgen.progress import note

PACKAGE = "nvidia-cuda-cccl"


def release_include_dir(version: str) -> Path:
    """The include/cccl folder of the nvidia-cuda-cccl wheel ``version`` (e.g. "13.0.85")."""
    root = cache_dir() / "cccl-releases" / version
    found = _find_include(root)
    if found is not None:
        note(f"{PACKAGE}=={version}: cached in {root}")
        return found
    note(f"downloading {PACKAGE}=={version} with pip ...")
    t0 = time.perf_counter()
    tmp = root.with_name(f"{version}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
           "-d", str(tmp / "wheel"), f"{PACKAGE}=={version}"]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True)
    wheels = list((tmp / "wheel").glob("*.whl"))
    if result.returncode != 0 or not wheels:
        shutil.rmtree(tmp, ignore_errors=True)
        last = (result.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise BindgenError(f"could not download {PACKAGE}=={version} ({last}); check the version with "
                           f"`pip index versions {PACKAGE}`")  # fmt: skip
    with zipfile.ZipFile(wheels[0]) as zf:
        zf.extractall(tmp / "unpacked")
    shutil.rmtree(tmp / "wheel")
    try:
        tmp.rename(root)
    except OSError:  # another process unpacked it first
        shutil.rmtree(tmp, ignore_errors=True)
    found = _find_include(root)
    if found is None:
        raise BindgenError(f"{PACKAGE}=={version} holds no include/cccl/cub/version.cuh")
    note(f"{PACKAGE}=={version}: downloaded and unpacked into {root} ({time.perf_counter() - t0:.1f} s)")
    return found


def _find_include(root: Path) -> Path | None:
    if not root.is_dir():
        return None
    for version_file in sorted(root.glob("unpacked/**/cub/version.cuh")):
        return version_file.parent.parent
    return None
