"""GPU tier (and the CUDA simulator, with small blocks) for ``examples/grid_stride_scan.py``:
the grid-stride scan against NumPy, with full tiles, a partial last tile, and more tiles than
blocks; items per thread a kernel argument, the tile size from ``coop.block_dim()``."""

import sys
from pathlib import Path

import numpy as np
import pytest
from numba import cuda

from backend import cases

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
import grid_stride_scan as example  # noqa: E402

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("threads, ipt, tiles, rest, grid", cases([
    (256, 8, 10, 1000, 4), (128, 4, 7, 0, 3), (64, 2, 5, 1, 8), (256, 1, 3, 255, 1),
], sim=[(32, 2, 3, 5, 2)]))
def test_grid_stride_scan(threads, ipt, tiles, rest, grid):
    tile = threads * ipt
    n = tiles * tile + rest
    h = np.random.default_rng(n).integers(-100, 100, n, dtype=np.int32)
    d_out = cuda.to_device(np.full(n, 7, np.int32))
    example.launch(cuda.to_device(h), d_out, threads, ipt, blocks=grid)
    want = np.empty_like(h)
    for s in range(0, n, tile):
        t = h[s:s + tile]
        want[s:s + tile] = np.cumsum(t) - t
    np.testing.assert_array_equal(d_out.copy_to_host(), want)
