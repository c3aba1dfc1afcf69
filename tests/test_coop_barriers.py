"""The barrier plan (coop/_barriers.py), CPU tier: which barrier each call on a shared
``auto_sync`` coop.TempStorage waits at, read from the kernel's LLVM. Results against NumPy:
test_coop_barriers_gpu.py."""

import pathlib
import re
import sys

import pytest
from numba.cuda import types

import coop
import coop_barriers_kernels as K
from backend import not_simulated

pytestmark = not_simulated("reads the compiled kernel's LLVM")

F = types.float32[::1]
SIGS = {
    K.k_pair: (F,) * 3,
    K.k_three: (F,) * 4,
    K.k_rows: (types.float32[:, ::1], F),
    K.k_other_layout: (F, types.int32[::1], F),
    K.k_after_transpose: (F,) * 3,
    K.k_call_between: (F,) * 3,
    K.k_store_between: (F,) * 3,
    K.k_two_buffers: (F,) * 3,
    K.k_store_then_load: (F,) * 2,
}
_BARRIER = re.compile(r'call void @"?llvm\.nvvm\.(barrier0|bar\.warp\.sync)')


def _barriers(kernel, argtypes, block):
    from numba.cuda.compiler import compile_cuda

    from cub_bindings.inspect import _device_functions_without_gpu

    with _device_functions_without_gpu((9, 0)), coop.launch_shape(block=block):
        llvm = str(compile_cuda(getattr(kernel, "py_func", kernel), None, argtypes, cc=(9, 0)).library.get_llvm_str())
    return ["warp" if m == "bar.warp.sync" else "block" for m in _BARRIER.findall(llvm)]


def test_every_kernel_is_listed():
    assert set(SIGS) == set(K.BARRIERS)


@pytest.mark.parametrize("kernel", list(K.BARRIERS), ids=lambda k: k.__name__)
@pytest.mark.parametrize("block", [128, (32, 4)], ids=["1d", "2d"])
def test_barrier_before_each_call(kernel, block):
    assert _barriers(kernel, SIGS[kernel], block) == K.BARRIERS[kernel]


def test_the_selective_scan_state_loop_waits_once_per_warp():
    """examples/selective_scan.py, ``temp_storage`` style: the loads of u and delta, and of
    B and C in the state loop, are pairs; the scan and the store keep their block barriers."""
    sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "examples"))
    import selective_scan as ss

    F2, F3 = types.float32[:, ::1], types.float32[:, :, ::1]
    kernels = ss.make_kernels(128, 8, 4)
    for style in ("temp_storage", "temp_storage_vector"):
        got = _barriers(kernels[style], (F2, F2, F2, F3, F3, F, F2), 128)
        assert got == ["block", "warp", "block", "warp", "block", "block"], (style, got)
