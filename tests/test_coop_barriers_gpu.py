"""GPU tier (and, unchanged, the CUDA simulator) for the barrier plan (coop/_barriers.py):
the kernels of coop_barriers_kernels.py, where consecutive warp-transposing loads share one
``coop.TempStorage()`` and the second waits only at ``__syncwarp()``, give NumPy's answer for
1D, 2D and 3D blocks, several tiles and a partial last tile. The barriers themselves are
checked on the CPU tier (test_coop_barriers.py)."""

import numpy as np
import pytest
from numba import cuda

import coop_barriers_kernels as K
from backend import blocks, cases

pytestmark = pytest.mark.gpu
IPT = K.IPT
SHAPES = cases([128, (32, 4), (32, 2, 2), 256], sim=[32, (32, 2)])


def _threads(block):
    return int(np.prod(block))


def _data(n, seed, dtype=np.float32):
    # small integers: every sum below is exact in float32, whatever the order
    return np.random.default_rng(seed).integers(-4, 5, n).astype(dtype)


def _run(kernel, block, grid, *arrays, out_size):
    d_out = cuda.to_device(np.full(out_size, -99, np.float32))
    kernel[grid, block](*[cuda.to_device(a) for a in arrays], d_out)
    return d_out.copy_to_host()


@pytest.mark.parametrize("block", SHAPES, ids=str)
@pytest.mark.parametrize("kernel", [K.k_pair, K.k_other_layout, K.k_after_transpose, K.k_call_between,
                                    K.k_store_between, K.k_two_buffers], ids=lambda k: k.__name__)
def test_two_loads_then_a_store(kernel, block):
    grid = blocks(3)
    n = grid * _threads(block) * IPT
    a = _data(n, 1)
    b = _data(n, 2, np.int32 if kernel is K.k_other_layout else np.float32)
    got = _run(cuda.jit(kernel), block, grid, a, b, out_size=n)
    np.testing.assert_array_equal(got, a + 2 * b.astype(np.float32))


@pytest.mark.parametrize("block", SHAPES, ids=str)
@pytest.mark.parametrize("short", [0, 1, 37], ids=lambda s: f"short{s}")
def test_three_loads_with_valid_items(block, short):
    grid = blocks(3)
    n = grid * _threads(block) * IPT - short  # the last tile is partial unless short == 0
    a, b, c = _data(n, 3), _data(n, 4), _data(n, 5)
    size = grid * _threads(block) * IPT
    got = _run(cuda.jit(K.k_three), block, grid, a, b, c, out_size=size)
    z = c.copy()
    z[-1] = -1  # the third load reads one item fewer; the rest is oob_default
    np.testing.assert_array_equal(got[:n], a + 2 * b + 4 * z)
    np.testing.assert_array_equal(got[n:], -99)  # past valid_items nothing is stored


@pytest.mark.parametrize("block", SHAPES, ids=str)
def test_rows_loop_with_a_scan(block):
    grid, rows = blocks(2), 6
    tile = _threads(block) * IPT
    data = _data(rows * grid * tile, 6).reshape(rows, grid * tile)
    got = _run(cuda.jit(K.k_rows), block, grid, data, out_size=grid * tile)
    want = np.zeros(grid * tile, np.float32)
    for r in range(0, rows, 2):
        prod = (data[r] * data[r + 1]).reshape(grid, tile)
        want += np.cumsum(prod, axis=1).reshape(-1)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("block", SHAPES, ids=str)
def test_store_then_load(block):
    grid = blocks(3)
    n = grid * _threads(block) * IPT
    a = _data(n, 7)
    d_out = cuda.to_device(np.zeros(n, np.float32))
    cuda.jit(K.k_store_then_load)[grid, block](cuda.to_device(a), d_out)
    np.testing.assert_array_equal(d_out.copy_to_host(), 3 * a)
