"""GPU tier for the kernel's shared-memory plan: kernels whose calls' TempStorage overlaps
(with barriers) past 48 KB, runs from dynamic shared memory past 48 KB (with no user action),
two coop.TempStorage buffers summing past 48 KB, a kernel's own dynamic shared array beside
coop's, and a launch past the device's opt-in maximum. Results against NumPy. Under the CUDA
simulator (tests/backend.py) the same kernels run on small blocks (its shared memory has no
48 KB limit to cross)."""

import numba
import numpy as np
import pytest
from numba import cuda

import coop
from backend import SIMULATOR, blocks, not_simulated

pytestmark = pytest.mark.gpu

BIG = 64 if SIMULATOR else 1024  # threads per block: past 48 KB of TempStorage on the GPU


def _tiles(h, tile):
    return h.reshape(-1, tile)


@cuda.jit
def k_sort_tiles(d_in, d_out, items_per_thread):
    """Grid-stride over tiles: load (transpose) -> radix sort -> store (transpose); their three
    TempStorages overlap past 48 KB, each call waiting for the previous one's readers."""
    items = coop.local.array(items_per_thread, d_in.dtype)
    tile = cuda.blockDim.x * items_per_thread
    t = cuda.blockIdx.x
    while t < d_in.size // tile:
        coop.block.load(d_in[t * tile:], items, algorithm="transpose")
        coop.block.radix_sort_keys(items)
        coop.block.store(d_out[t * tile:], items, algorithm="transpose")
        t += cuda.gridDim.x


def test_overlapping_implicit_storage_over_many_tiles():
    ipt, ntiles = 7, 24
    tile = BIG * ipt
    h = np.random.default_rng(1).integers(-(1 << 30), 1 << 30, tile * blocks(ntiles, 2), dtype=np.int32)
    d_out = cuda.device_array_like(h)
    k_sort_tiles[blocks(6, 1), BIG](cuda.to_device(h), d_out, ipt)
    np.testing.assert_array_equal(_tiles(d_out.copy_to_host(), tile), np.sort(_tiles(h, tile), axis=1))


@cuda.jit
def k_big_exchange(d_in, d_out):
    items = coop.local.array(16, d_in.dtype)
    base = cuda.blockIdx.x * cuda.blockDim.x * 16
    coop.block.load(d_in[base:], items)
    coop.block.exchange(items, items, "BlockedToStriped")
    for i in range(16):  # striped: item i of thread t is element i * threads + t of the tile
        d_out[base + i * cuda.blockDim.x + cuda.threadIdx.x] = items[i] * 2


def test_a_128k_exchange_runs_from_dynamic_shared_memory():
    n = BIG * 16 * blocks(3)
    h = np.random.default_rng(2).standard_normal(n)
    d_out = cuda.device_array_like(h)
    k_big_exchange[blocks(3), BIG](cuda.to_device(h), d_out)
    np.testing.assert_array_equal(d_out.copy_to_host(), h * 2)


@cuda.jit
def k_two_temp_storages(d_in, d_out):
    t1 = coop.TempStorage(40000)
    t2 = coop.TempStorage(20000)
    items = coop.local.array(4, d_in.dtype)
    base = cuda.blockIdx.x * cuda.blockDim.x * 4
    coop.block.load(d_in[base:], items, algorithm="transpose", temp_storage=t1)
    coop.block.exclusive_sum(items, items, temp_storage=t2)
    coop.block.store(d_out[base:], items, algorithm="transpose", temp_storage=t1)


def test_two_temp_storages_summing_past_48k():
    tile = 256 * 4
    h = np.random.default_rng(3).integers(-100, 100, tile * blocks(4), dtype=np.int32)
    d_out = cuda.device_array_like(h)
    k_two_temp_storages[blocks(4), 256](cuda.to_device(h), d_out)
    t = _tiles(h, tile)
    np.testing.assert_array_equal(_tiles(d_out.copy_to_host(), tile), np.cumsum(t, axis=1) - t)


@cuda.jit
def k_with_own_dynamic(d_in, d_out, d_len):
    dyn = cuda.shared.array(0, numba.float64)  # the launch's own dynamic shared memory
    items = coop.local.array(8, d_in.dtype)
    base = cuda.blockIdx.x * cuda.blockDim.x * 8
    coop.block.load(d_in[base:], items)
    for i in range(8):  # stage the tile through the kernel's own dynamic array, reversed
        dyn[cuda.threadIdx.x * 8 + i] = items[7 - i]
    cuda.syncthreads()
    for i in range(8):
        items[i] = dyn[cuda.threadIdx.x * 8 + 7 - i] + 1
    coop.block.exchange(items, items, "BlockedToStriped")  # 64 KB of TempStorage at 1024 threads: dynamic
    for i in range(8):
        d_out[base + i * cuda.blockDim.x + cuda.threadIdx.x] = items[i]
    if cuda.threadIdx.x == 0:
        d_len[cuda.blockIdx.x] = len(dyn)


def test_the_kernels_own_dynamic_shared_memory_beside_coops():
    n = BIG * 8 * blocks(2)
    h = np.random.default_rng(4).standard_normal(n)
    d_out = cuda.device_array_like(h)
    d_len = cuda.device_array(blocks(2), np.int64)
    own = BIG * 8 * 8
    k_with_own_dynamic[blocks(2), BIG, 0, own](cuda.to_device(h), d_out, d_len)
    np.testing.assert_array_equal(d_out.copy_to_host(), h + 1)
    assert (d_len.copy_to_host() == BIG * 8).all()  # its length is what the launch asked for


@not_simulated("the simulator has no shared memory limit")
def test_a_launch_past_the_devices_limit_is_one_error():
    n = 1024 * 8
    d_in = cuda.to_device(np.zeros(n))
    try:
        most = cuda.get_current_device().MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
    except cuda.CudaSupportError:  # the CPU dry run (scripts/gpu_dryrun.py) compiles this kernel with no device
        most = 227 * 1024
    with pytest.raises(coop.CoopError, match=r"lets one block use: coop.block.exchange \(\d+ bytes\)"):
        k_with_own_dynamic[1, 1024, 0, most - 32 * 1024](d_in, cuda.device_array_like(d_in),
                                                         cuda.device_array(1, np.int64))
    k_with_own_dynamic[1, 1024, 0, 1024 * 8 * 8](d_in, cuda.device_array_like(d_in), cuda.device_array(1, np.int64))
    cuda.synchronize()  # the kernel still launches with a size that fits
