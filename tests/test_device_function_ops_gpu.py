"""GPU tier (and, unchanged, the CUDA simulator) for coop calls with Python operators inside
``@cuda.jit(device=True)`` functions (the CPU tier, tests/test_device_function_ops.py,
links them): results against NumPy for a scan operator with a stateful prefix carried over
tiles, a merge sort's compare operator, a warp reduction's operator, and one device function
calling another."""

import numba
import numpy as np
import pytest
from numba import cuda

import coop
from backend import blocks

pytestmark = pytest.mark.gpu
rng = np.random.default_rng(17)
IPT, TILES = 4, 3


@cuda.jit(device=True)
def add(a, b):
    return a + b


@cuda.jit(device=True)
def greater(a, b):
    return a > b


@cuda.jit(device=True)
def running(state, aggregate):
    old = state[0]
    state[0] = old + aggregate
    return old


@cuda.jit(device=True)
def scan_tile(items, carry):
    coop.block.inclusive_scan(items, items, add, block_prefix_callback_op=coop.StatefulOp(running, carry))


@cuda.jit(device=True)
def sort_descending(items):
    coop.block.merge_sort_keys(items, compare_op=greater)


@cuda.jit(device=True)
def scan_then_sort(items, carry):
    scan_tile(items, carry)
    sort_descending(items)


@cuda.jit
def k_scan_tiles(d_in, d_out):
    """Each block scans its TILES consecutive tiles as one sequence (the prefix carried)."""
    tile = cuda.blockDim.x * IPT
    items = coop.local.array(IPT, numba.int32)
    carry = coop.local.array(1, numba.int32)
    carry[0] = 0
    for t in range(TILES):
        base = (cuda.blockIdx.x * TILES + t) * tile
        coop.block.load(d_in, items, offset=base)
        scan_tile(items, carry)
        coop.block.store(d_out, items, offset=base)


@cuda.jit
def k_sort(d_in, d_out):
    tile = cuda.blockDim.x * IPT
    items = coop.local.array(IPT, numba.int32)
    coop.block.load(d_in, items, offset=cuda.blockIdx.x * tile)
    sort_descending(items)
    coop.block.store(d_out, items, offset=cuda.blockIdx.x * tile)


@cuda.jit
def k_nested(d_in, d_out):
    tile = cuda.blockDim.x * IPT
    items = coop.local.array(IPT, numba.int32)
    carry = coop.local.array(1, numba.int32)
    carry[0] = 0
    coop.block.load(d_in, items, offset=cuda.blockIdx.x * tile)
    scan_then_sort(items, carry)
    coop.block.store(d_out, items, offset=cuda.blockIdx.x * tile)


@cuda.jit(device=True)
def warp_total(x):
    return coop.warp.reduce(x, add)


@cuda.jit
def k_warp(d_in, d_out):
    i = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    total = warp_total(d_in[i])
    if cuda.threadIdx.x % 32 == 0:
        d_out[i // 32] = total


THREADS = 64


def _run(kernel, h, out_size, grid):
    d_out = cuda.to_device(np.zeros(out_size, np.int32))
    kernel[grid, THREADS](cuda.to_device(h), d_out)
    return d_out.copy_to_host()


def test_scan_with_a_stateful_prefix_in_a_device_function():
    grid = blocks(3, sim=1)
    h = rng.integers(-50, 50, grid * TILES * THREADS * IPT, dtype=np.int32)
    got = _run(k_scan_tiles, h, h.size, grid)
    want = np.cumsum(h.reshape(grid, -1), axis=1, dtype=np.int32).reshape(-1)
    np.testing.assert_array_equal(got, want)


def test_merge_sort_with_a_compare_operator_in_a_device_function():
    grid = blocks(3, sim=1)
    h = rng.integers(-1000, 1000, grid * THREADS * IPT, dtype=np.int32)
    got = _run(k_sort, h, h.size, grid)
    want = -np.sort(-h.reshape(grid, -1), axis=1).reshape(-1)
    np.testing.assert_array_equal(got, want)


def test_device_function_calling_device_functions_with_operators():
    grid = blocks(2, sim=1)
    h = rng.integers(-50, 50, grid * THREADS * IPT, dtype=np.int32)
    got = _run(k_nested, h, h.size, grid)
    want = -np.sort(-np.cumsum(h.reshape(grid, -1), axis=1, dtype=np.int32), axis=1).reshape(-1)
    np.testing.assert_array_equal(got, want)


def test_warp_reduce_with_an_operator_in_a_device_function():
    grid = blocks(2, sim=1)
    h = rng.integers(-50, 50, grid * THREADS, dtype=np.int32)
    got = _run(k_warp, h, grid * THREADS // 32, grid)
    np.testing.assert_array_equal(got, h.reshape(-1, 32).sum(axis=1, dtype=np.int32))
