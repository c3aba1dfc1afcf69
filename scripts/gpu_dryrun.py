"""Dry-run the GPU tier on a machine without a GPU, before spending device time.

    COOP_DRYRUN=1 .venv/bin/python scripts/gpu_dryrun.py tests/test_coop_gpu.py [-x] [-k ...]

Each test runs until its first kernel launch; the launch compiles and links the kernel to an
sm_90 cubin for its launch shape (integer arguments typed as literals), and the test stops
there. Device arrays are NumPy arrays; nothing is checked beyond compiling. Progress goes to
stderr: what runs, one line per test file (kernels compiled, seconds), and a one-line summary.
"""
import sys
import time
from collections import Counter

import numpy as np
import pytest
from numba import cuda, types
from numba.cuda.dispatcher import CUDADispatcher
from numba.cuda.typing.typeof import typeof
import coop
from cub_bindings.inspect import build_kernel

class Launched(Exception): pass
LAUNCHES = []
def getitem(self, cfg):
    block = cfg[1]
    def launch(*args):
        tys = []
        for a in args:
            if isinstance(a, (int, np.integer)) and not isinstance(a, bool):
                tys.append(types.literal(int(a)) if LIT else types.int64)
            else:
                tys.append(typeof(a))
        from coop._shapes import ShapeRequest

        while True:  # what the dispatcher does at a launch: shape-specialize when asked
            try:
                with coop.launch_shape(block=block):
                    b = build_kernel(self, tuple(tys), cc=(9, 0))
                    b.cubin
                break
            except ShapeRequest as req:
                for i in req.positions:
                    tys[i] = coop.shaped(tys[i], np.shape(args[i]))
        LAUNCHES.append(self.py_func.__name__)
        if STOP: raise Launched()
    return launch
CUDADispatcher.__getitem__ = getitem
cuda.to_device = lambda a: np.ascontiguousarray(a)
cuda.device_array = lambda n, dtype=np.float64: np.zeros(n, dtype)
cuda.device_array_like = lambda a: np.zeros_like(a)
LIT = True; STOP = True
def note(msg): print(f"gpu_dryrun: {msg}", file=sys.stderr, flush=True)
class Plugin:
    def __init__(self):
        self.t0 = self.t_file = time.perf_counter(); self.file = None
        self.kernels, self.outcomes = Counter(), Counter()
    @pytest.hookimpl(hookwrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        n = len(LAUNCHES)
        out = yield
        self.kernels[pyfuncitem.nodeid.split("::")[0]] += len(LAUNCHES) - n
        if out.excinfo and out.excinfo[0] is Launched:
            out.force_result(True)
    def pytest_collection_finish(self, session):
        files = {i.nodeid.split("::")[0] for i in session.items}
        note(f"{len(session.items)} GPU tests in {len(files)} files: compiling each test's first kernel launch "
             f"for sm_90 (nothing runs)")
    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            self.outcomes[report.outcome] += 1
    def pytest_runtest_logstart(self, nodeid, location):
        self._file_done(nodeid.split("::")[0])
    def pytest_sessionfinish(self, session):
        self._file_done(None)
    def _file_done(self, new):
        if new == self.file: return
        if self.file is not None:
            reporter = CONFIG[0].pluginmanager.get_plugin("terminalreporter")
            if reporter is not None and reporter._tw.width_of_current_line: reporter._tw.line()  # end the row of dots
            note(f"{self.file}: {self.kernels[self.file]} kernels compiled ({time.perf_counter() - self.t_file:.0f} s)")
        self.file, self.t_file = new, time.perf_counter()
    def pytest_configure(self, config): CONFIG[:] = [config]
CONFIG = []
plugin = Plugin()
rc = pytest.main(["-q", "-x" if "-x" in sys.argv else "-q", "-p", "no:cacheprovider", "--override-ini=markers=gpu", "-m", "gpu", *[a for a in sys.argv[1:] if a != "-x"]], plugins=[plugin])
o = plugin.outcomes
note(f"{'ok' if rc == 0 else f'FAILED (pytest exit {int(rc)})'}: {len(LAUNCHES)} kernels compiled in {time.perf_counter() - plugin.t0:.0f} s; "
     f"{o['passed']} tests passed, {o['failed']} failed, {o['skipped']} skipped")
sys.exit(rc)
