"""Python operators (scan/reduce operators, compare operators, stateful prefix callbacks) and
extension-type items used by a coop call inside a ``@cuda.jit(device=True)`` function: the
C-ABI wrappers the shims call are defined in the device function's module, and must survive
numba-cuda's finalize (which gives a linked library's functions ``linkonce_odr`` linkage, so
that NVVM drops the ones the Numba code does not call). CPU tier: every kernel links to a
cubin (it failed with ``ptxas fatal: Unresolved extern function 'cub_coop_op_...'``)."""

import numba
import pytest
from numba import cuda, types

from backend import SIMULATOR

if SIMULATOR:
    pytest.skip("links cubins", allow_module_level=True)

import coop  # noqa: E402
from cub_bindings.inspect import build_kernel  # noqa: E402

T, IPT = 128, 4
I32 = types.int32[::1]


@cuda.jit(device=True)
def add(a, b):
    return a + b


@cuda.jit(device=True)
def less(a, b):
    return a < b


@cuda.jit(device=True)
def running(state, aggregate):
    old = state[0]
    state[0] = old + aggregate
    return old


@cuda.jit(device=True)
def scan_with_op(items):
    coop.block.inclusive_scan(items, items, add)


@cuda.jit(device=True)
def scan_with_prefix(items, carry):
    coop.block.inclusive_scan(items, items, add, block_prefix_callback_op=coop.StatefulOp(running, carry))


@cuda.jit(device=True)
def sort_with_compare(items):
    coop.block.merge_sort_keys(items, compare_op=less)


@cuda.jit(device=True)
def warp_reduce_with_op(x):
    return coop.warp.reduce(x, add)


@cuda.jit(device=True)
def nested(items, carry):  # a device function calling device functions that call CUB
    scan_with_prefix(items, carry)
    sort_with_compare(items)


def k_scan(d):
    items = coop.local.array(IPT, numba.int32)
    coop.block.load(d, items)
    scan_with_op(items)
    coop.block.store(d, items)


def k_prefix(d):
    items = coop.local.array(IPT, numba.int32)
    carry = coop.local.array(1, numba.int32)
    carry[0] = 0
    for tile in range(2):
        coop.block.load(d, items, offset=tile * T * IPT)
        scan_with_prefix(items, carry)
        coop.block.store(d, items, offset=tile * T * IPT)


def k_sort(d):
    items = coop.local.array(IPT, numba.int32)
    coop.block.load(d, items)
    sort_with_compare(items)
    coop.block.store(d, items)


def k_warp(d):
    d[cuda.threadIdx.x] = warp_reduce_with_op(d[cuda.threadIdx.x])


def k_nested(d):
    items = coop.local.array(IPT, numba.int32)
    carry = coop.local.array(1, numba.int32)
    carry[0] = 0
    coop.block.load(d, items)
    nested(items, carry)
    coop.block.store(d, items)


def k_direct_and_device(d):  # the same operator in the kernel and in a device function
    items = coop.local.array(IPT, numba.int32)
    coop.block.load(d, items)
    coop.block.inclusive_scan(items, items, add)
    scan_with_op(items)
    coop.block.store(d, items)


@pytest.mark.parametrize("kernel", [k_scan, k_prefix, k_sort, k_warp, k_nested, k_direct_and_device],
                         ids=lambda k: k.__name__)
def test_operator_in_a_device_function_links(kernel):
    with coop.launch_shape(block=T):
        b = build_kernel(kernel, (I32,))
    assert b.cubin  # links: the operator wrappers are in the kernel's LTOIR
    assert "cub_coop_op_" in b.shim_source


def test_device_function_linked_into_two_kernels():
    """numba-cuda's finalize of each kernel resets the linked device function's linkage: the
    wrappers are kept for every kernel that links it, whichever links first."""
    for kernel in (k_scan, k_direct_and_device, k_scan):
        with coop.launch_shape(block=T):
            assert build_kernel(kernel, (I32,)).cubin


def test_extension_type_methods_in_a_device_function():
    from udt_types import Pair, add_pairs, pair_type

    @cuda.jit(device=True)
    def scan_pairs(items):
        coop.block.inclusive_scan(items, items, add_pairs)

    def k_pairs(d_a, d_b):
        t = cuda.threadIdx.x
        items = coop.local.array(IPT, pair_type)
        for i in range(IPT):
            items[i] = Pair(d_a[t * IPT + i], d_b[t * IPT + i])
        scan_pairs(items)
        for i in range(IPT):
            d_b[t * IPT + i] = items[i].b

    with coop.launch_shape(block=T):
        b = build_kernel(k_pairs, (I32, types.float64[::1]))
    assert b.cubin
    assert "__assign" in b.shim_source
