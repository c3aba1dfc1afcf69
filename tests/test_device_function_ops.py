"""Python operators (scan/reduce operators, compare operators, stateful prefix callbacks) and
extension-type items used by a coop call inside a ``@cuda.jit(device=True)`` function: the
C-ABI wrappers the shims call are defined in the device function's module, and must survive
numba-cuda's finalize (which gives a linked library's functions ``linkonce_odr`` linkage, so
that NVVM drops the ones the Numba code does not call). CPU tier: the GPU tier's kernels
(tests/test_device_function_ops_gpu.py) and a few more link to a cubin (it failed with
``ptxas fatal: Unresolved extern function 'cub_coop_op_...'``)."""

import numba
import pytest
from numba import cuda, types

from backend import SIMULATOR

if SIMULATOR:
    pytest.skip("links cubins", allow_module_level=True)

import coop  # noqa: E402
import test_device_function_ops_gpu as g  # noqa: E402
from cub_bindings.inspect import build_kernel  # noqa: E402

T, IPT = g.THREADS, g.IPT
I32 = types.int32[::1]


@cuda.jit(device=True)
def scan_with_op(items):
    coop.block.inclusive_scan(items, items, g.add)


def k_direct_and_device(d):  # the same operator in the kernel and in a device function
    items = coop.local.array(IPT, numba.int32)
    coop.block.load(d, items)
    coop.block.inclusive_scan(items, items, g.add)
    scan_with_op(items)
    coop.block.store(d, items)


def k_scan(d):
    items = coop.local.array(IPT, numba.int32)
    coop.block.load(d, items)
    scan_with_op(items)
    coop.block.store(d, items)


KERNELS = [g.k_scan_tiles.py_func, g.k_sort.py_func, g.k_nested.py_func, g.k_warp.py_func, k_scan,
           k_direct_and_device]


@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: k.__name__)
def test_operator_in_a_device_function_links(kernel):
    args = (I32, I32) if kernel.__code__.co_argcount == 2 else (I32,)
    with coop.launch_shape(block=T):
        b = build_kernel(kernel, args)
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
