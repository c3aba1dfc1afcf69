"""GPU tier (and, unchanged, the CUDA simulator) for ``coop.block_dim()``: equal to
``cuda.blockDim`` for 1-, 2- and 3-D blocks, in kernels and device functions, and a tile
size computed from it drives a block-wide scan (results against NumPy)."""

import numpy as np
import pytest
from numba import cuda

import coop
from backend import blocks, cases

pytestmark = pytest.mark.gpu


@cuda.jit(device=True)
def _threads():
    x, y, z = coop.block_dim()
    return x * y * z


@cuda.jit
def report(d_out):
    if cuda.threadIdx.x == 0 and cuda.threadIdx.y == 0 and cuda.threadIdx.z == 0:
        bd = coop.block_dim()
        d_out[0], d_out[1], d_out[2] = bd.x, bd.y, bd.z
        d_out[3], d_out[4], d_out[5] = cuda.blockDim.x, cuda.blockDim.y, cuda.blockDim.z
        d_out[6] = _threads()


@pytest.mark.parametrize("block", cases([32, (16, 4), (8, 4, 2), 256, (32, 8)], limit=3), ids=str)
def test_block_dim_is_the_launchs_block_shape(block):
    d = cuda.to_device(np.zeros(7, np.int64))
    report[2, block](d)
    x, y, z = (block,) + (1, 1) if isinstance(block, int) else tuple(block) + (1,) * (3 - len(block))
    np.testing.assert_array_equal(d.copy_to_host(), [x, y, z, x, y, z, x * y * z])


@cuda.jit
def scan_tiles(d_in, d_out):
    tile = coop.block_dim().x * 4
    items = coop.local.array(4, d_in.dtype)
    t = cuda.blockIdx.x
    while t < d_in.size // tile:
        coop.block.load(d_in, items, offset=t * tile, algorithm=coop.BlockLoadAlgorithm.WARP_TRANSPOSE)
        coop.block.inclusive_sum(items, items)
        coop.block.store(d_out, items, offset=t * tile, algorithm=coop.BlockStoreAlgorithm.WARP_TRANSPOSE)
        cuda.syncthreads()
        t += cuda.gridDim.x


@pytest.mark.parametrize("threads", cases([32, 128, 256], limit=1))
def test_a_tile_sized_by_block_dim(threads):
    tile = threads * 4
    n_tiles = blocks(6, sim=2)
    h = np.random.default_rng(threads).integers(-20, 20, n_tiles * tile, dtype=np.int32)
    d = cuda.to_device(np.zeros_like(h))
    scan_tiles[blocks(3, sim=1), threads](cuda.to_device(h), d)
    np.testing.assert_array_equal(d.copy_to_host(), np.cumsum(h.reshape(n_tiles, tile), axis=1).reshape(-1))
