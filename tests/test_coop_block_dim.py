"""``coop.block_dim()`` (CPU tier): the block shape as compile-time constants, folded by NVVM;
the kernel compiled per block shape, a new grid reusing it; device functions too. Results
are in tests/test_coop_block_dim_gpu.py (GPU and simulator), errors in tests/misuse_cases.py."""

import re

import numpy as np
from numba import cuda, types

import coop
from backend import not_simulated
from cub_bindings.inspect import build_kernel
from test_coop_launch import fake_gpu

pytestmark = not_simulated("compiles kernels to PTX")
I32 = types.int32[::1]


def with_block_dim(d_in, d_out):
    x, y, z = coop.block_dim()
    tile = x * y * z * 4
    d_out[cuda.blockIdx.x * tile + cuda.threadIdx.x] = d_in[0] + tile + coop.block_dim().y


def with_block_dim_register(d_in, d_out):
    tile = cuda.blockDim.x * cuda.blockDim.y * cuda.blockDim.z * 4
    d_out[cuda.blockIdx.x * tile + cuda.threadIdx.x] = d_in[0] + tile + cuda.blockDim.y


def _ptx(fn, block):
    with coop.launch_shape(block=block):
        return build_kernel(fn, (I32, I32)).ptx


def test_the_shape_is_folded_into_the_code():
    ptx = _ptx(with_block_dim, (32, 4))
    assert "%ntid" not in ptx  # no read of the block-shape registers
    assert re.search(r"mul\.wide\.s32\s+%rd\d+, %r\d+, 512;", ptx), ptx  # tile = 32 * 4 * 4, a constant
    assert re.search(r"add\.s32\s+%r\d+, %r\d+, 516;", ptx), ptx  # tile + y, one constant
    plain = _ptx(with_block_dim_register, (32, 4))
    assert "%ntid.x" in plain and "%ntid.y" in plain


def block_dim_in_a_device_function():
    return coop.block_dim().x * 2


dev = cuda.jit(device=True)(block_dim_in_a_device_function)


def k_device(d_out):
    d_out[0] = dev()


def test_each_block_shape_compiles_once_and_a_new_grid_reuses_it():
    d_out = np.zeros(1, np.int64)
    k = cuda.jit(k_device)
    with fake_gpu() as rec:
        for grid, block in [(1, 64), (3, 64), (2, (32, 2)), (5, 64), (7, (32, 2))]:
            k[grid, block](d_out)
        kernels = {}
        for launch in rec.launches:
            kernels.setdefault(launch.block, set()).add(id(launch.kernel))
    assert {b: len(ids) for b, ids in kernels.items()} == {(64, 1, 1): 1, (32, 2, 1): 1}
    assert len(rec.typed) == 2 + 2  # the kernel and its device function, per block shape
    with coop.launch_shape(block=96):
        ptx = build_kernel(k_device, (types.int64[::1],)).ptx
    assert re.search(r"mov\.u64\s+%rd\d+, 192;", ptx) and "%ntid" not in ptx, ptx  # the device function folded too


def test_ahead_of_time_compile_states_the_shape():
    """``coop.compile(..., block=...)`` is the shape ``coop.block_dim()`` folds to."""
    ptx = coop.compile(with_block_dim, (I32, I32), block=(64, 2), output="ptx")
    assert "%ntid" not in ptx and re.search(r"mul\.wide\.s32\s+%rd\d+, %r\d+, 512;", ptx), ptx
