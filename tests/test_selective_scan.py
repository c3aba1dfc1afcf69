"""The selective-scan example (examples/selective_scan.py, issue 12): its five styles compile
on the CPU tier and match the NumPy reference on the GPU and under the simulator."""

import pathlib
import sys

import numpy as np
import pytest
from numba.cuda import types
from numba.cuda.typing.typeof import typeof

import coop
from backend import SIMULATOR, cases

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "examples"))
import selective_scan as ss  # noqa: E402

F1, F2, F3 = types.float32[::1], types.float32[:, ::1], types.float32[:, :, ::1]
SIG = (F2, F2, F2, F3, F3, F1, F2)


@pytest.mark.skipif(SIMULATOR, reason="compiles kernels")
def test_every_style_compiles_and_the_traits_report_their_shared_memory():
    from cub_bindings.inspect import build_kernel

    kernels = ss.make_kernels(128, 8, 4)
    traits = ss.make_traits(128, 8)
    sizes = {n: p.temp_storage_layout for n, p in traits.primitives.items()}
    assert traits.temp_storage_bytes_max == max(b for b, _ in sizes.values())
    assert traits.temp_storage_alignment == max(a for _, a in sizes.values())
    assert traits.temp_storage_bytes_sum >= sum(b for b, _ in sizes.values())
    with coop.launch_shape(block=128):
        for style in ss.STYLES:
            sig = SIG + ((typeof(traits),) if style == "traits" else ())
            build = build_kernel(kernels[style], sig)
            assert build.cubin


GPU_CASES = cases([(style, length, threads, ipt) for style in ss.STYLES
                   for length, threads, ipt in ((1, 128, 8), (1000, 128, 8), (4096, 128, 8), (3000, 64, 4))],
                  sim=[(style, 150, 32, 2) for style in ("traits", "temp_storage", "implicit")])


@pytest.mark.gpu
@pytest.mark.parametrize("style,length,threads,ipt", GPU_CASES)
def test_matches_the_reference(style, length, threads, ipt):
    args = ss.inputs(batch=2 if not SIMULATOR else 1, dim=3 if not SIMULATOR else 2, dstate=4 if not SIMULATOR else 2,
                     length=length, seed=length)
    ref = ss.reference(*args)
    got = ss.run(style, threads, ipt, args)
    np.testing.assert_allclose(got, ref, rtol=2e-4, atol=2e-4 * (1 + np.abs(ref).max()))
