"""The GPU tier's result tests, run under the CUDA simulator (NUMBA_ENABLE_CUDASIM=1), so the
CPU tier checks results against NumPy for every primitive, not only that kernels compile.

The simulator is chosen when numba-cuda is imported, so each test file runs in a pytest
subprocess of its own (as Triton runs its interpreter tests): the same tests as on the GPU,
with the smaller grids ``tests/backend.py`` picks there. A simulated kernel runs on one core
(the GIL), so the selected files' subprocesses all start with the first of these tests, up
to one per core (at most 4), the largest files first; each test then waits for its own file.
"""

import os
import pathlib
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from backend import SIMULATOR

HERE = pathlib.Path(__file__).parent
FILES = sorted(p.name for p in HERE.glob("test_*.py")
               if p.name != pathlib.Path(__file__).name
               and any(m in p.read_text() for m in ("mark.gpu", "mark.simulator")))


WORKERS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
TIMEOUT_S = 1200


class _Runs:
    """The simulator runs of some test files, on ``WORKERS`` concurrent subprocesses."""

    def __init__(self, names):
        self.procs, self.closed, self.lock = {}, False, threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=WORKERS)
        order = sorted(names, key=lambda n: -(HERE / n).stat().st_size)  # a file's size: a rough cost
        self.futures = {n: self.pool.submit(self._run, n) for n in order}

    def _run(self, name):
        env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
        env.pop("COOP_DRYRUN", None)
        cmd = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-m", "gpu or simulator"]
        text = (HERE / name).read_text()
        if "hypothesis" not in text and "property_support" not in text:
            cmd += ["-p", "no:hypothesispytest"]  # its summary imports hypothesis: a second or two per subprocess
        with self.lock:
            if self.closed:
                return None
            proc = self.procs[name] = subprocess.Popen(cmd + [str(HERE / name)], cwd=HERE.parent, env=env,
                                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            out, _ = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            out += f"\n(killed after {TIMEOUT_S} s)"
        return proc.returncode, out

    def result(self, name):
        return self.futures[name].result()

    def close(self):
        with self.lock:
            self.closed = True
            for proc in self.procs.values():
                if proc.poll() is None:  # a run nobody waits for any more (pytest -x stopped early)
                    proc.kill()
        self.pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def simulated(request):
    names = [item.callspec.params["name"] for item in request.session.items
             if getattr(item, "originalname", None) == "test_under_the_simulator" and hasattr(item, "callspec")]
    runs = _Runs(names)
    yield runs
    runs.close()


@pytest.mark.skipif(SIMULATOR, reason="already running under the simulator")
@pytest.mark.parametrize("name", FILES)
def test_under_the_simulator(name, simulated):
    returncode, out = simulated.result(name)
    tail = "\n".join(out.strip().splitlines()[-60:])
    if returncode == 5:
        pytest.skip(f"{name}: no GPU-tier tests selected")
    assert returncode == 0, f"{name} under the simulator:\n{tail}"
    print(tail.splitlines()[-1] if tail else "")


def test_every_cub_method_coop_reaches_has_simulator_semantics():
    """One declaration, two backends: each CUB method a declaration can call is computed by
    the simulator too (coop/_sim/families)."""
    from coop._sim.semantics import registered
    from coop.docs import all_primitives

    reached = {(cls, m) for p in all_primitives() for cls, methods in p.reaches.items() for m in methods}
    missing = sorted(f"{c}::{m}" for c, m in reached - registered())
    assert not missing, f"no simulator semantics for: {', '.join(missing)}"
