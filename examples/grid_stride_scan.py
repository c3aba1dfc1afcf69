"""A grid-stride load -> exclusive prefix sum -> store kernel written with coop.

Each block scans tiles of ``threads * items_per_thread`` items (each tile on its own) and
strides over the input by the grid. dtype, items per thread (a kernel argument) and the
block shape are inferred; no ``link=``, no host-side set-up.

    python examples/grid_stride_scan.py          # needs a GPU; checks against NumPy
"""

import numpy as np
from numba import cuda

import coop


@cuda.jit
def scan_tiles(d_in, d_out, items_per_thread):
    tile = coop.block_dim().x * items_per_thread  # a compile-time constant, as a C++ template's tile
    items = coop.local.array(items_per_thread, d_in.dtype)
    full_tiles = d_in.size // tile
    t = cuda.blockIdx.x
    while t < full_tiles:
        offset = t * tile
        coop.block.load(d_in, items, offset=offset, algorithm=coop.BlockLoadAlgorithm.WARP_TRANSPOSE)
        coop.block.exclusive_sum(items, items, algorithm=coop.BlockScanAlgorithm.WARP_SCANS)
        coop.block.store(d_out, items, offset=offset, algorithm=coop.BlockStoreAlgorithm.WARP_TRANSPOSE)
        cuda.syncthreads()  # the scan's shared memory is reused by the next tile
        t += cuda.gridDim.x
    rest = d_in.size - full_tiles * tile
    if rest > 0 and cuda.blockIdx.x == full_tiles % cuda.gridDim.x:  # a partial last tile
        offset = full_tiles * tile
        coop.block.load(d_in, items, offset=offset, algorithm=coop.BlockLoadAlgorithm.WARP_TRANSPOSE,
                        num_valid_items=rest, oob_default=0)
        coop.block.exclusive_sum(items, items, algorithm=coop.BlockScanAlgorithm.WARP_SCANS)
        coop.block.store(d_out, items, offset=offset, algorithm=coop.BlockStoreAlgorithm.WARP_TRANSPOSE,
                         num_valid_items=rest)


def launch(d_in, d_out, threads=256, items_per_thread=8, blocks=None):
    if blocks is None:
        dev = cuda.get_current_device()
        blocks = dev.MULTIPROCESSOR_COUNT * max(1, 2048 // threads)
    scan_tiles[blocks, threads](d_in, d_out, items_per_thread)


def main():
    threads, ipt = 256, 8
    n = 10 * threads * ipt + 1000  # ten full tiles and a partial one
    h = np.random.default_rng(0).integers(-100, 100, n, dtype=np.int32)
    d_out = cuda.device_array_like(h)
    launch(cuda.to_device(h), d_out, threads, ipt, blocks=4)
    tile = threads * ipt
    ref = np.empty_like(h)
    for s in range(0, n, tile):
        t = h[s:s + tile]
        ref[s:s + tile] = np.cumsum(t) - t
    np.testing.assert_array_equal(d_out.copy_to_host(), ref)
    print(f"ok: {n} int32 scanned in tiles of {tile}")


if __name__ == "__main__":
    main()
