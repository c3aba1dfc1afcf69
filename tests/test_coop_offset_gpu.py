"""GPU tier (and, unchanged, the CUDA simulator) for ``offset=`` of block and warp loads and
stores: the tile starts ``offset`` items past the array's start, as ``d + offset`` in C++.
Results against NumPy, next to the same kernel written with slices ``d[offset:]``: both give
the same answer for every in-range offset, including ones that are not multiples of the tile
and the last partial tile (``valid_items``)."""

import numpy as np
import pytest
from numba import cuda

import coop
from backend import blocks, cases

pytestmark = pytest.mark.gpu
rng = np.random.default_rng(5)


def _block_copy_scan(algorithm_load, algorithm_store, ipt):
    @cuda.jit
    def k(d_in, d_out, start, n):
        tile = cuda.blockDim.x * ipt
        base = start + cuda.blockIdx.x * tile
        items = coop.local.array(ipt, d_in.dtype)
        valid = min(tile, n - base)
        coop.block.load(d_in, items, offset=base, algorithm=algorithm_load, valid_items=valid, oob_default=0)
        coop.block.inclusive_sum(items, items)
        coop.block.store(d_out, items, offset=base, algorithm=algorithm_store, valid_items=valid)

    return k


@pytest.mark.parametrize("load_alg, store_alg", cases([
    (coop.BlockLoadAlgorithm.DIRECT, coop.BlockStoreAlgorithm.DIRECT),
    (coop.BlockLoadAlgorithm.WARP_TRANSPOSE, coop.BlockStoreAlgorithm.WARP_TRANSPOSE),
    (coop.BlockLoadAlgorithm.VECTORIZE, coop.BlockStoreAlgorithm.TRANSPOSE),  # vectorized only when aligned
], limit=3), ids=str)
@pytest.mark.parametrize("start", [0, 3, 129])
def test_block_load_store_from_an_offset(load_alg, store_alg, start):
    threads, ipt = 64, 4
    tile = threads * ipt
    grid = blocks(5)
    n = start + grid * tile - 17  # the last tile is partial
    h = rng.integers(-50, 50, n, dtype=np.int32)
    out = np.full(n, -1, np.int32)
    k = _block_copy_scan(load_alg, store_alg, ipt)
    d_out = cuda.to_device(out)
    k[grid, threads](cuda.to_device(h), d_out, start, n)
    got = d_out.copy_to_host()
    want = out.copy()
    for b in range(grid):
        lo, hi = start + b * tile, min(start + (b + 1) * tile, n)
        want[lo:hi] = np.cumsum(h[lo:hi])
    np.testing.assert_array_equal(got, want)


def test_block_offset_equals_the_slice():
    """The same kernel with ``d[base:]`` slices gives the same array."""
    threads, ipt, grid = 32, 2, blocks(4)
    tile = threads * ipt

    @cuda.jit
    def with_offset(d_in, d_out):
        base = 7 + cuda.blockIdx.x * tile
        items = coop.local.array(ipt, d_in.dtype)
        coop.block.load(d_in, items, offset=base)
        coop.block.exclusive_sum(items, items)
        coop.block.store(d_out, items, offset=base)

    @cuda.jit
    def with_slices(d_in, d_out):
        base = 7 + cuda.blockIdx.x * tile
        items = coop.local.array(ipt, d_in.dtype)
        coop.block.load(d_in[base:], items)
        coop.block.exclusive_sum(items, items)
        coop.block.store(d_out[base:], items)

    h = rng.integers(0, 100, 7 + grid * tile).astype(np.int64)
    outs = []
    for k in (with_offset, with_slices):
        d = cuda.to_device(np.zeros_like(h))
        k[grid, threads](cuda.to_device(h), d)
        outs.append(d.copy_to_host())
    np.testing.assert_array_equal(outs[0], outs[1])
    assert outs[0][:7].sum() == 0 and outs[0][7 + 1] == h[7]


@pytest.mark.parametrize("offset_type", [np.int32, np.uint32, np.int64])
def test_warp_load_store_from_an_offset(offset_type):
    """Each warp loads its tile of 32 x 3 items (striped) from ``start + warp * 96`` and stores
    it (direct, blocked) at the same offset of the output: the tile comes back transposed.
    The offset of any integer type."""
    ipt, warps = 3, 2
    start = 5

    @cuda.jit
    def k(d_in, d_out, first):
        warp = cuda.blockIdx.x * warps + cuda.threadIdx.x // 32
        base = first + offset_type(warp * 32 * ipt)
        items = coop.local.array(ipt, d_in.dtype)
        coop.warp.load(d_in, items, offset=base, algorithm=coop.WarpLoadAlgorithm.STRIPED)
        for i in range(ipt):
            items[i] += 1
        coop.warp.store(d_out, items, offset=base, algorithm=coop.WarpStoreAlgorithm.DIRECT)

    grid = blocks(2, sim=1)
    n = start + grid * warps * 32 * ipt
    h = rng.integers(-9, 9, n, dtype=np.int32)
    d = cuda.to_device(np.zeros(n, np.int32))
    k[grid, warps * 32](cuda.to_device(h), d, offset_type(start))
    got = d.copy_to_host()
    want = np.zeros(n, np.int32)
    for w in range(grid * warps):
        lo = start + w * 32 * ipt
        # striped: lane l holds items l, l + 32, l + 64 of the tile; direct: lane l writes them
        # to l * 3 .. l * 3 + 2
        want[lo:lo + 32 * ipt] = h[lo:lo + 32 * ipt].reshape(ipt, 32).T.reshape(-1) + 1
    np.testing.assert_array_equal(got, want)


def test_two_phase_load_store_take_an_offset():
    """The two-phase objects take ``offset=`` at the call, as the single-phase calls do."""
    threads, ipt = 32, 4
    tile = threads * ipt
    load = coop.block.load(np.float32, threads, ipt, coop.BlockLoadAlgorithm.WARP_TRANSPOSE)
    store = coop.block.store(np.float32, threads, ipt, coop.BlockStoreAlgorithm.WARP_TRANSPOSE)

    @cuda.jit
    def k(d_in, d_out, start):
        base = start + cuda.blockIdx.x * tile
        items = coop.local.array(ipt, np.float32)
        load(d_in, items, offset=base)
        for i in range(ipt):
            items[i] *= 2
        store(d_out, items, offset=base)

    grid, start = blocks(3), 11
    h = rng.random(start + grid * tile).astype(np.float32)
    d = cuda.to_device(np.zeros_like(h))
    k[grid, threads](cuda.to_device(h), d, start)
    want = np.zeros_like(h)
    want[start:] = h[start:] * 2
    np.testing.assert_array_equal(d.copy_to_host(), want)
