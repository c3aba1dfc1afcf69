"""The GPU tier's result tests, run under the CUDA simulator (NUMBA_ENABLE_CUDASIM=1), so the
CPU tier checks results against NumPy for every primitive, not only that kernels compile.

The simulator is chosen when numba-cuda is imported, so each test file runs in a pytest
subprocess of its own (as Triton runs its interpreter tests): the same tests as on the GPU,
with the smaller grids ``tests/backend.py`` picks there.
"""

import os
import pathlib
import subprocess
import sys

import pytest

from backend import SIMULATOR

HERE = pathlib.Path(__file__).parent
FILES = sorted(p.name for p in HERE.glob("test_*.py")
               if p.name != pathlib.Path(__file__).name
               and any(m in p.read_text() for m in ("mark.gpu", "mark.simulator")))


@pytest.mark.skipif(SIMULATOR, reason="already running under the simulator")
@pytest.mark.parametrize("name", FILES)
def test_under_the_simulator(name):
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    env.pop("COOP_DRYRUN", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           "-m", "gpu or simulator", str(HERE / name)],
                          cwd=HERE.parent, env=env, capture_output=True, text=True, timeout=1200)
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-60:])
    if proc.returncode == 5:
        pytest.skip(f"{name}: no GPU-tier tests selected")
    assert proc.returncode == 0, f"{name} under the simulator:\n{tail}"
    print(tail.splitlines()[-1] if tail else "")


def test_every_cub_method_coop_reaches_has_simulator_semantics():
    """One declaration, two backends: each CUB method a declaration can call is computed by
    the simulator too (coop/_sim/families)."""
    from coop._sim.semantics import registered
    from coop.docs import all_primitives

    reached = {(cls, m) for p in all_primitives() for cls, methods in p.reaches.items() for m in methods}
    missing = sorted(f"{c}::{m}" for c, m in reached - registered())
    assert not missing, f"no simulator semantics for: {', '.join(missing)}"
