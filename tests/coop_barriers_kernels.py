"""Kernels shared by tests/test_coop_barriers.py (compiled on the CPU tier, barriers counted)
and tests/test_coop_barriers_gpu.py (results on the GPU and under the simulator): calls taking
turns in one coop.TempStorage, consecutive WARP_TRANSPOSE loads waiting for their warp only."""

import numpy as np
from numba import cuda

import coop

T, IPT = 64, 4
TILE = T * IPT


def k_two_loads_then_scan(a, b, out):
    """Over tiles: load a tile of ``a`` and one of ``b`` (the second waits for its warp only),
    add them, exclusive prefix sum, store; all four calls in one TempStorage."""
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.int32)
    t = cuda.blockIdx.x
    while t < a.size // TILE:
        coop.block.load(a[t * TILE:], x, algorithm="warp_transpose", temp_storage=temp)
        coop.block.load(b[t * TILE:], y, algorithm="warp_transpose", temp_storage=temp)
        for i in range(IPT):
            x[i] += y[i]
        coop.block.exclusive_sum(x, x, temp_storage=temp)
        coop.block.store(out[t * TILE:], x, algorithm="warp_transpose", temp_storage=temp)
        t += cuda.gridDim.x


def k_three_loads(a, b, c, out):
    """Three consecutive WARP_TRANSPOSE loads with ``valid_items`` (a partial last tile), then a
    WARP_TRANSPOSE store: out = a + 2 b + 3 c, zero past the end."""
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.int32)
    z = coop.local.array(IPT, np.int32)
    base = cuda.blockIdx.x * TILE
    valid = min(TILE, a.size - base)
    coop.block.load(a, x, offset=base, valid_items=valid, oob_default=0, algorithm="warp_transpose",
                    temp_storage=temp)
    coop.block.load(b, y, offset=base, valid_items=valid, oob_default=0, algorithm="warp_transpose",
                    temp_storage=temp)
    coop.block.load(c, z, offset=base, valid_items=valid, oob_default=0, algorithm="warp_transpose",
                    temp_storage=temp)
    for i in range(IPT):
        x[i] += 2 * y[i] + 3 * z[i]
    coop.block.store(out, x, offset=base, valid_items=valid, algorithm="warp_transpose", temp_storage=temp)
