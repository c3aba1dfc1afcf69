"""GPU tier for operators given as plain Python functions and lambdas (compiled as device
functions), and for integer kernel arguments fixing compile-time parameters, against NumPy.

Scans and reductions of a blocked tile (a direct load gives thread t items t*ipt ...), merge
sorts ordered by a def and by a lambda, a two-phase scan made with a lambda, a logical-warp
reduction with a lambda, and items_per_thread= / threads_in_warp= from kernel arguments
(the kernel is compiled per value at the launch)."""

import numpy as np
import pytest
from numba import cuda

import coop
from backend import blocks, cases

pytestmark = pytest.mark.gpu
rng = np.random.default_rng(15)
IPT = 4


def add(a, b):
    return a + b


def greater(a, b):
    return a > b


def sample(dtype, n):
    return rng.integers(-50, 51, n).astype(dtype)


def tiles(x, threads):
    return x.reshape(-1, threads * IPT)


# --------------------------------------------------------------------------- scans and reductions


@cuda.jit
def k_scan_reduce(d_in, d_inc, d_exc, d_max, d_sum):
    tile = cuda.blockDim.x * IPT
    off = cuda.blockIdx.x * tile
    items = coop.local.array(IPT, d_in.dtype)
    coop.block.load(d_in[off:], items)
    inc = coop.local.array(IPT, d_in.dtype)
    coop.block.inclusive_scan(items, inc, add)  # a module-level def
    coop.block.store(d_inc[off:], inc)
    cuda.syncthreads()  # the two scans share CUB's storage (one specialization)
    coop.block.exclusive_scan(items, inc, lambda a, b: a + b, initial_value=0)  # a lambda in the kernel
    coop.block.store(d_exc[off:], inc)
    cuda.syncthreads()
    biggest = coop.block.reduce(items, lambda a, b: a if a > b else b)
    cuda.syncthreads()
    total = coop.block.reduce(items, add)
    if cuda.threadIdx.x == 0:
        d_max[cuda.blockIdx.x] = biggest
        d_sum[cuda.blockIdx.x] = total


@pytest.mark.parametrize("dtype", cases([np.int32, np.int64, np.float32, np.float64], sim=[np.int32]))
@pytest.mark.parametrize("threads", cases([32, 128, 256], sim=[32]))
def test_scan_and_reduce_with_a_def_and_lambdas(dtype, threads):
    nb = blocks(3)
    h = sample(dtype, nb * threads * IPT)
    outs = [cuda.device_array(h.size, dtype), cuda.device_array(h.size, dtype),
            cuda.device_array(nb, dtype), cuda.device_array(nb, dtype)]
    k_scan_reduce[nb, threads](cuda.to_device(h), *outs)
    inc, exc, mx, sm = (o.copy_to_host() for o in outs)
    t = tiles(h, threads)
    ref_inc = np.cumsum(t, axis=1, dtype=dtype)
    np.testing.assert_array_equal(tiles(inc, threads), ref_inc)
    np.testing.assert_array_equal(tiles(exc, threads), (ref_inc - t).astype(dtype))
    np.testing.assert_array_equal(mx, t.max(axis=1))
    np.testing.assert_array_equal(sm, t.sum(axis=1, dtype=dtype))


# --------------------------------------------------------------------------- merge sort orders


@cuda.jit
def k_sorts(d_in, d_desc, d_asc):
    tile = cuda.blockDim.x * IPT
    off = cuda.blockIdx.x * tile
    keys = coop.local.array(IPT, d_in.dtype)
    coop.block.load(d_in[off:], keys)
    coop.block.merge_sort_keys(keys, compare_op=greater)  # a def: descending
    coop.block.store(d_desc[off:], keys)
    cuda.syncthreads()
    coop.block.merge_sort_keys(keys, compare_op=lambda a, b: a < b)  # a lambda: ascending
    coop.block.store(d_asc[off:], keys)


@pytest.mark.parametrize("dtype", cases([np.int32, np.float64, np.uint8], sim=[np.int32]))
@pytest.mark.parametrize("threads", cases([32, 128], sim=[32]))
def test_merge_sort_ordered_by_a_def_and_a_lambda(dtype, threads):
    nb = blocks(2)
    h = sample(np.int64, nb * threads * IPT).astype(dtype)
    d_desc, d_asc = cuda.device_array(h.size, dtype), cuda.device_array(h.size, dtype)
    k_sorts[nb, threads](cuda.to_device(h), d_desc, d_asc)
    asc = np.sort(tiles(h, threads), axis=1, kind="stable")
    np.testing.assert_array_equal(tiles(d_asc.copy_to_host(), threads), asc)
    np.testing.assert_array_equal(tiles(d_desc.copy_to_host(), threads), asc[:, ::-1])


# --------------------------------------------------------------------------- two-phase with a lambda, a warp lambda


scan_max = coop.block.inclusive_scan(np.int32, 64, lambda a, b: a if a > b else b, items_per_thread=IPT)


@cuda.jit
def k_two_phase_lambda(d_in, d_out):
    off = cuda.blockIdx.x * 64 * IPT
    items = coop.local.array(IPT, d_in.dtype)
    coop.block.load(d_in[off:], items)
    scan_max(items, items)
    coop.block.store(d_out[off:], items)


def test_two_phase_scan_made_with_a_lambda():
    nb = blocks(2)
    h = sample(np.int32, nb * 64 * IPT)
    d_out = cuda.device_array(h.size, np.int32)
    k_two_phase_lambda[nb, 64](cuda.to_device(h), d_out)
    np.testing.assert_array_equal(tiles(d_out.copy_to_host(), 64), np.maximum.accumulate(tiles(h, 64), axis=1))


@cuda.jit
def k_warp_lambda(d_in, d_out):
    i = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    total = coop.warp.reduce(d_in[i], lambda a, b: a + b, threads_in_warp=16)
    if cuda.threadIdx.x % 16 == 0:
        d_out[i // 16] = total


def test_warp_reduce_with_a_lambda():
    nb = blocks(2)
    h = sample(np.int64, nb * 64)
    d_out = cuda.device_array(h.size // 16, np.int64)
    k_warp_lambda[nb, 64](cuda.to_device(h), d_out)
    np.testing.assert_array_equal(d_out.copy_to_host(), h.reshape(-1, 16).sum(axis=1))


# --------------------------------------------------------------------------- kernel arguments as compile-time values


@cuda.jit
def k_arguments(d_in, d_copy, d_sums, ipt, w):
    off = cuda.blockIdx.x * cuda.blockDim.x * ipt
    items = coop.local.array(ipt, d_in.dtype)
    coop.block.load(d_in[off:], items, items_per_thread=ipt)
    coop.block.store(d_copy[off:], items, items_per_thread=ipt)
    i = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    total = coop.warp.sum(items[0], threads_in_warp=w)
    if cuda.threadIdx.x % w == 0:
        d_sums[i // w] = total


@pytest.mark.parametrize("ipt, w", cases([(4, 16), (2, 8), (4, 32)], sim=[(2, 8)]))
def test_items_per_thread_and_warp_size_from_kernel_arguments(ipt, w):
    nb, threads = blocks(2), 64
    h = sample(np.int32, nb * threads * ipt)
    d_copy, d_sums = cuda.device_array(h.size, np.int32), cuda.device_array(nb * threads // w, np.int32)
    k_arguments[nb, threads](cuda.to_device(h), d_copy, d_sums, ipt, w)
    np.testing.assert_array_equal(d_copy.copy_to_host(), h)
    firsts = h.reshape(-1, ipt)[:, 0]  # thread t's first item (blocked)
    np.testing.assert_array_equal(d_sums.copy_to_host(), firsts.reshape(-1, w).sum(axis=1))
