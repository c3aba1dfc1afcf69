"""Items of a Numba extension type with construct/assign methods (the earlier cuda.coop
user-defined-type form): CPU tier compiles block and warp primitives over them and refuses
what CUB cannot do with them; the GPU tier checks results against NumPy."""

import re

import numpy as np
import pytest
from numba import cuda, types

from backend import SIMULATOR

if SIMULATOR:
    pytest.skip("Numba extension types have no NumPy form under the CUDA simulator (record types do)",
                allow_module_level=True)

import coop  # noqa: E402
from cub_bindings.inspect import build_kernel
from error_marks import MARK, compile_error
from udt_types import Pair, add_pairs, incomplete_type, less_a, pair_type

T, IPT = 128, 4
I32, F64 = types.int32[::1], types.float64[::1]


def pairs_kernel(d_a, d_b, o_scan_a, o_scan_b, o_sort_a, o_sort_b, o_red, o_warp):
    t = cuda.threadIdx.x
    items = coop.local.array(IPT, pair_type)
    for i in range(IPT):
        items[i] = Pair(d_a[t * IPT + i], d_b[t * IPT + i])
    coop.block.inclusive_scan(items, items, add_pairs)
    for i in range(IPT):
        o_scan_a[t * IPT + i] = items[i].a
        o_scan_b[t * IPT + i] = items[i].b
        items[i] = Pair(d_a[t * IPT + i], d_b[t * IPT + i])
    cuda.syncthreads()
    coop.block.merge_sort_keys(items, compare_op=less_a, stable=True)
    cuda.syncthreads()
    coop.block.exchange(items, block_exchange_type=coop.BlockExchangeType.BlockedToStriped)
    for i in range(IPT):  # striped: item i of thread t is sorted item i * T + t
        o_sort_a[i * T + t] = items[i].a
        o_sort_b[i * T + t] = items[i].b
    r = coop.block.reduce(items, add_pairs)
    if t == 0:
        o_red[0] = r.b
    w = coop.warp.reduce(items[0], add_pairs)
    x = coop.warp.inclusive_scan(items[0], add_pairs)
    if t % 32 == 0:
        o_warp[t // 32] = w.b
    o_warp[4 + t] = x.b


ARGS = (I32, F64, I32, F64, I32, F64, F64, F64)


def test_extension_type_items_compile_for_block_and_warp_primitives():
    with coop.launch_shape(block=T):
        b = build_kernel(pairs_kernel, ARGS, cc=(9, 0))
    src = b.shim_source
    name = re.search(r"struct alignas\(8\) (cub_coop_udt_\w+) \{", src).group(1)
    assert "unsigned char __cub_coop_bytes[16];" in src
    assert f"{name}& operator=(const {name}& that) {{ {name}__assign(this, &that); return *this; }}" in src
    for cls in ("BlockScan", "BlockMergeSort", "BlockExchange", "BlockReduce", "WarpReduce", "WarpScan"):
        assert f"::cub::{cls}<{name}," in src, cls


def e_named_op(d_a, d_b):
    items = coop.local.array(IPT, pair_type)
    coop.block.inclusive_scan(items, items, "max")  # <- error


def e_sum(d_a, d_b):
    items = coop.local.array(IPT, pair_type)
    coop.block.exclusive_sum(items, items)  # <- error


def e_default_order(d_a, d_b):
    items = coop.local.array(IPT, pair_type)
    coop.block.merge_sort_keys(items)  # <- error


def e_default_flag_op(d_a, d_b):
    items = coop.local.array(IPT, pair_type)
    flags = coop.local.array(IPT, np.int32)
    coop.block.discontinuity(items, flags)  # <- error


def e_radix(d_a, d_b):
    items = coop.local.array(IPT, pair_type)
    coop.block.radix_sort_keys(items)  # <- error


def e_incomplete(d_a, d_b):
    items = cuda.local.array(IPT, incomplete_type)
    coop.block.exchange(items, items_per_thread=IPT)  # <- error


@pytest.mark.parametrize("kernel, primitive, arg, message", [
    (e_named_op, "coop.block.inclusive_scan", "scan_op", "is a C++ operator, which Pair items do not have"),
    (e_sum, "coop.block.exclusive_sum", "src", "CUB adds with +, which Pair does not have"),
    (e_default_order, "coop.block.merge_sort_keys", "compare_op", "Pair keys have no built-in order"),
    (e_default_flag_op, "coop.block.discontinuity", "flag_op", "is a C++ operator, which Pair items do not have (it is the default)"),
    (e_radix, "coop.block.radix_sort_keys", "keys", "CUB radix-sorts integer, floating-point and bool keys"),
])
def test_what_cub_cannot_do_with_an_extension_type_is_one_coop_error(kernel, primitive, arg, message):
    text = compile_error(kernel, (I32, F64))
    assert text.startswith(f"{primitive}: argument `{arg}`: "), text
    assert message in text and MARK in text, text


def test_an_extension_type_without_assign_is_not_an_item_type():
    text = compile_error(e_incomplete, (I32, F64))
    assert "items of type Incomplete are not supported" in text and MARK in text, text


@pytest.mark.gpu
def test_extension_type_items_match_numpy():
    rng = np.random.default_rng(9)
    a = rng.integers(-5, 5, T * IPT).astype(np.int32)  # duplicates: the stable sort keeps b's order
    b = rng.integers(0, 1000, T * IPT).astype(np.float64)
    outs = [cuda.device_array(T * IPT, d) for d in (np.int32, np.float64, np.int32, np.float64)]
    red, warp = cuda.device_array(1, np.float64), cuda.device_array(4 + T, np.float64)
    cuda.jit(pairs_kernel)[1, T](cuda.to_device(a), cuda.to_device(b), *outs, red, warp)
    scan_a, scan_b, sort_a, sort_b = (o.copy_to_host() for o in outs)
    np.testing.assert_array_equal(scan_a, np.cumsum(a))
    np.testing.assert_allclose(scan_b, np.cumsum(b))
    perm = np.argsort(a, kind="stable")
    np.testing.assert_array_equal(sort_a, a[perm])
    np.testing.assert_array_equal(sort_b, b[perm])
    np.testing.assert_allclose(red.copy_to_host()[0], b.sum())
    first = b[perm].reshape(IPT, T)[0]  # each thread's item 0 after the striped exchange
    warps = first.reshape(4, 32)
    np.testing.assert_allclose(warp.copy_to_host()[:4], warps.sum(axis=1))
    np.testing.assert_allclose(warp.copy_to_host()[4:], np.cumsum(warps, axis=1).ravel())
