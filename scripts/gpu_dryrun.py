"""Dry-run the GPU tier on a machine without a GPU, before spending device time.

    COOP_DRYRUN=1 .venv/bin/python scripts/gpu_dryrun.py tests/test_coop_gpu.py [-x] [-k ...]

Each test runs until its first kernel launch; the launch compiles and links the kernel to an
sm_90 cubin for its launch shape (integer arguments typed as literals), and the test stops
there. Device arrays are NumPy arrays; nothing is checked beyond compiling.
"""
import sys

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
class Plugin:
    @pytest.hookimpl(hookwrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        out = yield
        if out.excinfo and out.excinfo[0] is Launched:
            out.force_result(True)
sys.exit(pytest.main(["-q", "-x" if "-x" in sys.argv else "-q", "-p", "no:cacheprovider", "--override-ini=markers=gpu", "-m", "gpu", *[a for a in sys.argv[1:] if a != "-x"]], plugins=[Plugin()]))
