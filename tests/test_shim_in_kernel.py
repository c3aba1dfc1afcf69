"""End to end through the compile service: a numba kernel calls a CUB shim.

The shim is compiled by NVRTC into LTOIR, attached to a declared device function, and
linked into the kernel automatically (no ``link=`` on ``cuda.jit``). CPU tier: compile and
link to an sm_90 cubin with nvJitLink. GPU tier: run it and compare with numpy.
"""

import functools

import numpy as np
import pytest
from numba import cuda, types

from cub_bindings._runtime import nvrtc_service as svc
from shim_sources import BLOCK_SCAN_TEMP_STORAGE, block_scan_exclusive_sum_shim
from cub_bindings._runtime.pointers import data_pointer

THREADS = 128
SHIM = block_scan_exclusive_sum_shim("cub_coop_test_exclusive_sum")
TS = BLOCK_SCAN_TEMP_STORAGE


@functools.lru_cache(maxsize=None)
def shim():
    compiled = svc.compile_shims(SHIM, [TS])
    # one LTOIR object per shim: numba keeps linking files in a set compared by identity
    ltoir = cuda.LTOIR(compiled.ltoir, name="cub_coop_test_exclusive_sum")
    fn = cuda.declare_device("cub_coop_test_exclusive_sum", types.int32(types.voidptr, types.int32), link=[ltoir])
    return fn, compiled.layouts[TS]


def make_kernel():
    exclusive_sum, (size, align) = shim()
    assert align <= 16  # the shared array below is 16-byte aligned

    def kernel(d_in, d_out):
        ts = cuda.shared.array(size, np.uint8, alignment=16)
        i = cuda.grid(1)
        d_out[i] = exclusive_sum(data_pointer(ts), d_in[i])

    return kernel


def test_kernel_compiles_and_links_without_gpu():
    from numba.cuda.compiler import compile_all

    kernel = make_kernel()
    sig = (types.int32[::1], types.int32[::1])
    codes, _ = compile_all(kernel, sig, device=False, abi="numba", cc=(9, 0), output="ltoir")
    # the kernel's own LTOIR plus the shim, attached automatically
    assert len(codes) == 2 and isinstance(codes[1], cuda.LTOIR)
    blobs = [c if isinstance(c, bytes) else bytes(c.data) for c in codes]
    cubin = svc.link_cubin(blobs)
    assert cubin[:4] == b"\x7fELF"


@pytest.mark.gpu
def test_block_exclusive_sum_on_gpu():
    kernel = cuda.jit(make_kernel())
    blocks = 64
    rng = np.random.default_rng(0)
    h_in = rng.integers(-1000, 1000, size=blocks * THREADS, dtype=np.int32)
    d_out = cuda.device_array_like(h_in)
    kernel[blocks, THREADS](cuda.to_device(h_in), d_out)
    tiles = h_in.reshape(blocks, THREADS)
    expected = (np.cumsum(tiles, axis=1) - tiles).reshape(-1)
    np.testing.assert_array_equal(d_out.copy_to_host(), expected)
