"""GPU tier for coop/_barriers.py: kernels whose consecutive WARP_TRANSPOSE loads share one
coop.TempStorage and wait for their warp only (tests/coop_barriers_kernels.py; their barriers
are counted on the CPU tier by tests/test_coop_barriers.py), over many tiles and blocks, with
a partial last tile. Results against NumPy; under the simulator on a few blocks."""

import numpy as np
import pytest
from numba import cuda

from backend import blocks
from coop_barriers_kernels import TILE, T, k_three_loads, k_two_loads_then_scan

pytestmark = pytest.mark.gpu


def test_two_loads_then_scan_over_many_tiles():
    ntiles = blocks(96, sim=2) * 3
    rng = np.random.default_rng(7)
    a = rng.integers(-50, 50, ntiles * TILE, dtype=np.int32)
    b = rng.integers(-50, 50, ntiles * TILE, dtype=np.int32)
    out = cuda.device_array(a.size, np.int32)
    cuda.jit(k_two_loads_then_scan)[blocks(96, sim=2), T](cuda.to_device(a), cuda.to_device(b), out)
    s = (a + b).reshape(ntiles, TILE)
    np.testing.assert_array_equal(out.copy_to_host().reshape(ntiles, TILE), np.cumsum(s, axis=1) - s)


@pytest.mark.parametrize("n", [3 * TILE, 5 * TILE - 37])
def test_three_loads_with_a_partial_last_tile(n):
    n = n if blocks(8) == 8 else min(n, 2 * TILE - 37)
    rng = np.random.default_rng(n)
    a, b, c = (rng.integers(-1000, 1000, n, dtype=np.int32) for _ in range(3))
    out = cuda.to_device(np.full(n, 12345, np.int32))
    grid = -(-n // TILE)
    cuda.jit(k_three_loads)[grid, T](cuda.to_device(a), cuda.to_device(b), cuda.to_device(c), out)
    np.testing.assert_array_equal(out.copy_to_host(), a + 2 * b + 3 * c)
