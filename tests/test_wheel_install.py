"""The packages as a user installs them: `python -m build` makes the sdist and, from it, the
wheel; the wheel goes with the `bindgen` extra into a fresh virtual environment; from a folder
outside the checkout, `bindgen scan --check`, `coverage`, `generate --check` and a coop
ahead-of-time compile (no GPU) all work there, on the installed files only.

Needs PyPI (the build backend and the dependencies): skipped only when it is unreachable."""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.network

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bindgen", "cub_bindings", "coop")
_OFFLINE = re.compile(r"NewConnectionError|Network is unreachable|Temporary failure in name resolution|"
                      r"No matching distribution found for setuptools|ProxyError|ConnectTimeout")  # fmt: skip

AOT = """\
import numpy as np
from numba import types
import coop

def sort_tile(d_in, d_out):
    items = coop.local.array(4, np.int32)
    coop.block.load(d_in, items)
    coop.block.radix_sort_keys(items)
    coop.block.store(d_out, items)

cubin = coop.compile(sort_tile, (types.int32[::1], types.int32[::1]), cc=(9, 0), block=128)
print(len(cubin), *coop.kernel_names(cubin))
"""


def _run(cmd, cwd, what, env=None, timeout=300):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0 and _OFFLINE.search(r.stdout + r.stderr):
        pytest.skip(f"{what}: PyPI not reachable ({_OFFLINE.search(r.stdout + r.stderr).group(0)})")
    return r


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """(python of a fresh venv holding the wheel, a folder outside the checkout, the wheel)."""
    work = tmp_path_factory.mktemp("wheel")
    r = _run([sys.executable, "-m", "build", "--outdir", work / "dist", ROOT], work, "python -m build")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    (wheel,) = (work / "dist").glob("*.whl")
    r = _run([sys.executable, "-m", "venv", work / "venv"], work, "python -m venv")
    assert r.returncode == 0, r.stderr
    python = work / "venv" / "bin" / "python"
    r = _run([python, "-m", "pip", "install", "-q", "--no-compile", f"{wheel}[bindgen]"], work, "pip install")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    outside = work / "outside"
    outside.mkdir()
    yield python, outside, wheel
    shutil.rmtree(work / "venv", ignore_errors=True)  # ~1 GB


def _env():
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def _cli(venv, *args):
    python, outside, _ = venv
    return _run([python, "-m", "bindgen", *args], outside, f"bindgen {args[0]}", env=_env())


def test_the_wheel_holds_every_file_of_the_packages(venv):
    names = set(zipfile.ZipFile(venv[2]).namelist())
    wanted = {p.relative_to(ROOT).as_posix() for pkg in PACKAGES for p in (ROOT / pkg).rglob("*")
              if p.suffix in (".py", ".json") and "__pycache__" not in p.parts}  # fmt: skip
    wanted |= {f"bindgen/overrides/{p.name}" for p in (ROOT / "overrides").iterdir() if p.is_file()}
    assert sorted(wanted - names) == [], "setup.py or [tool.setuptools.package-data] in pyproject.toml misses these"


def test_the_packages_are_the_installed_ones(venv):
    python, outside, _ = venv
    code = "import bindgen.resources as r, coop, cub_bindings; print(r.overrides_dir(), coop.__file__, cub_bindings.__file__)"
    r = _run([python, "-c", code], outside, "import", env=_env())
    assert r.returncode == 0, r.stderr
    site = python.parent.parent / "lib"
    for path in r.stdout.split():
        assert Path(path).is_relative_to(site) and not Path(path).is_relative_to(ROOT), r.stdout


def test_bindgen_scan_coverage_generate_from_outside_the_checkout(venv):
    r = _cli(venv, "scan", "--check")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert "identical to the checked-in cub_bindings/ir/cub-" in r.stdout
    r = _cli(venv, "coverage")
    assert r.returncode == 0 and re.search(r"\d+ of \d+ overloads bound", r.stdout), r.stdout[-2000:] + r.stderr
    r = _cli(venv, "generate", "--check")
    assert r.returncode == 0 and " 0 would change" in r.stdout, r.stdout + r.stderr


def test_generate_check_compares_the_installed_modules(venv):
    python, _, _ = venv
    (module,) = python.parent.parent.glob("lib/python*/site-packages/cub_bindings/block_scan.py")
    text = module.read_text()
    module.write_text(text + "# edited\n")
    try:
        r = _cli(venv, "generate", "--check")
    finally:
        module.write_text(text)
    assert r.returncode == 1 and "updated   cub_bindings/block_scan.py" in r.stdout, r.stdout + r.stderr


def test_coop_compiles_a_cubin_from_outside_the_checkout(venv):
    python, outside, _ = venv
    (outside / "aot.py").write_text(AOT)
    r = _run([python, "aot.py"], outside, "coop.compile", env=_env())
    assert r.returncode == 0, r.stderr[-3000:]
    size, name = r.stdout.split()
    assert int(size) > 4000 and "sort_tile" in name, r.stdout
