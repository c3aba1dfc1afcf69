"""The barrier each call on a shared coop.TempStorage waits at first (coop/_barriers.py): a
block barrier, except a WARP_TRANSPOSE load whose storage's previous use is the statement
before, in the same straight-line code, a WARP_TRANSPOSE load of the same layout, which
waits for its warp only. Compiled on the CPU tier (the barriers counted in the kernel's
LLVM IR); results of such kernels on the GPU tier: tests/test_coop_barriers_gpu.py."""

import re

import numpy as np
import pytest
from numba import cuda, types

import coop
from backend import SIMULATOR
from coop_barriers_kernels import IPT, T, k_three_loads, k_two_loads_then_scan

IPT2 = 2 * IPT
NBYTES = 4 * T * IPT + 64  # room for one WARP_TRANSPOSE load's exchange

pytestmark = pytest.mark.skipif(SIMULATOR, reason="compiles kernels")

I32 = types.int32[::1]
F32 = types.float32[::1]


def barriers(pyfunc, argtypes=(I32, I32, I32)) -> dict:
    """{"block": n, "warp": n}: the barrier calls in ``pyfunc``'s compiled LLVM IR."""
    from numba.cuda.compiler import compile_cuda

    from cub_bindings.inspect import _device_functions_without_gpu

    with coop.launch_shape(block=T), _device_functions_without_gpu((9, 0)):
        cres = compile_cuda(pyfunc, None, argtypes, cc=(9, 0))
    llvm = str(cres.library.get_llvm_str())
    return {"block": len(re.findall(r'call void @"?llvm\.nvvm\.barrier0', llvm)),
            "warp": len(re.findall(r'call void @"?llvm\.nvvm\.bar\.warp\.sync', llvm))}


def k_two_loads(a, b, out):
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.int32)
    coop.block.load(a, x, algorithm="warp_transpose", temp_storage=temp)  # first use: block
    coop.block.load(b, y, algorithm="warp_transpose", temp_storage=temp)  # same layout, just before: warp
    for i in range(IPT):
        x[i] += y[i]
    coop.block.store(out, x, temp_storage=temp)  # direct store: no TempStorage, no barrier


def k_two_loads_subscript(a, b, out):
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.int32)
    coop.block.load[temp](a, x, algorithm="warp_transpose")
    coop.block.load[temp](b, y, algorithm="warp_transpose")
    out[0] = x[0] + y[0]


def k_sized_buffer(a, b, out):
    temp = coop.TempStorage(NBYTES, 16)  # a size given: the same turns
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.int32)
    coop.block.load(a, x, algorithm="warp_transpose", temp_storage=temp)
    coop.block.load(b, y, algorithm="warp_transpose", temp_storage=temp)
    out[0] = x[0] + y[0]


def test_a_load_after_a_load_of_the_same_layout_waits_for_its_warp():
    assert barriers(k_two_loads) == {"block": 1, "warp": 1}
    assert barriers(k_two_loads_subscript) == {"block": 1, "warp": 1}
    assert barriers(k_sized_buffer) == {"block": 1, "warp": 1}
    # the scan and the WARP_TRANSPOSE store after them use the whole buffer: block barriers
    # (the scan's own, inside CUB's code, are in the shims and not counted here)
    assert barriers(k_two_loads_then_scan) == {"block": 3, "warp": 1}
    assert barriers(k_three_loads, (I32,) * 4) == {"block": 2, "warp": 2}
    assert barriers(k_direct_load_between) == {"block": 1, "warp": 1}


def k_direct_load_between(a, b, out):
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.int32)
    coop.block.load(a, x, algorithm="warp_transpose", temp_storage=temp)
    coop.block.load(b, y, algorithm="direct", temp_storage=temp)  # touches none of it: no barrier, looked past
    coop.block.load(b, y, algorithm="warp_transpose", temp_storage=temp)
    out[0] = x[0] + y[0]


def k_other_item_type(a, b, out):
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.float32)
    coop.block.load(a, x, algorithm="warp_transpose", temp_storage=temp)
    coop.block.load(b, y, algorithm="warp_transpose", temp_storage=temp)  # float32: another layout
    out[0] = x[0] + np.int32(y[0])


def k_other_items_per_thread(a, b, out):
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT2, np.int32)
    coop.block.load(a, x, algorithm="warp_transpose", temp_storage=temp)
    coop.block.load(b, y, algorithm="warp_transpose", temp_storage=temp)
    out[0] = x[0] + y[0]


def k_block_transpose(a, b, out):
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.int32)
    coop.block.load(a, x, algorithm="transpose", temp_storage=temp)  # block-wide exchange
    coop.block.load(b, y, algorithm="warp_transpose", temp_storage=temp)
    out[0] = x[0] + y[0]


def k_timesliced(a, b, out):
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.int32)
    coop.block.load(a, x, algorithm="warp_transpose_timesliced", temp_storage=temp)  # warps take turns
    coop.block.load(b, y, algorithm="warp_transpose_timesliced", temp_storage=temp)
    out[0] = x[0] + y[0]


def k_store_then_store(a, b, out):
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    coop.block.load(a, x, algorithm="direct", temp_storage=temp)
    coop.block.store(out, x, algorithm="warp_transpose", valid_items=5, temp_storage=temp)
    coop.block.store(b, x, algorithm="warp_transpose", valid_items=5, temp_storage=temp)  # a block-wide count


def k_load_then_store(a, b, out):
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    coop.block.load(a, x, algorithm="warp_transpose", temp_storage=temp)
    coop.block.store(out, x, algorithm="warp_transpose", temp_storage=temp)


@cuda.jit(device=True)
def uses_storage(temp, a, x):
    coop.block.load(a, x, algorithm="warp_transpose", temp_storage=temp)


def k_device_function_between(a, b, out):
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.int32)
    uses_storage(temp, a, x)  # the storage given to other code: its use is not known here
    coop.block.load(b, y, algorithm="warp_transpose", temp_storage=temp)
    out[0] = x[0] + y[0]


def k_loop(a, b, out):
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    for r in range(2):  # the previous use comes round the loop: another block of the IR
        coop.block.load(a[r * T * IPT:], x, algorithm="warp_transpose", temp_storage=temp)
        out[r] = x[0]


def k_branch(a, b, out):
    temp = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.int32)
    coop.block.load(a, x, algorithm="warp_transpose", temp_storage=temp)
    if out[0] > 0:  # after a branch: another block of the IR
        coop.block.load(b, y, algorithm="warp_transpose", temp_storage=temp)
    out[1] = x[0] + y[0]


def k_other_storage_between(a, b, out):
    temp = coop.TempStorage()
    other = coop.TempStorage()
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.int32)
    coop.block.load(a, x, algorithm="warp_transpose", temp_storage=temp)
    coop.block.reduce(x, lambda p, q: p + q, temp_storage=other)  # any TempStorage in between: not known to be apart
    coop.block.load(b, y, algorithm="warp_transpose", temp_storage=temp)
    out[0] = x[0] + y[0]


def k_alias(a, b, out):
    temp = coop.TempStorage()
    alias = temp
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.int32)
    coop.block.load(a, x, algorithm="warp_transpose", temp_storage=temp)
    coop.block.load(b, y, algorithm="warp_transpose", temp_storage=alias)  # another variable: block
    out[0] = x[0] + y[0]


@pytest.mark.parametrize("pyfunc, argtypes", [
    (k_other_item_type, (I32, F32, I32)), (k_other_items_per_thread, (I32, I32, I32)),
    (k_block_transpose, (I32, I32, I32)), (k_timesliced, (I32, I32, I32)),
    (k_device_function_between, (I32, I32, I32)), (k_branch, (I32, I32, I32)),
    (k_other_storage_between, (I32, I32, I32)), (k_alias, (I32, I32, I32)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_anything_else_waits_for_the_block(pyfunc, argtypes):
    got = barriers(pyfunc, argtypes)
    assert got["warp"] == 0 and got["block"] >= 2, got


def test_stores_and_loops_keep_the_block_barrier():
    assert barriers(k_store_then_store) == {"block": 2, "warp": 0}  # the direct load touches no storage
    assert barriers(k_load_then_store) == {"block": 2, "warp": 0}
    assert barriers(k_loop) == {"block": 1, "warp": 0}


def k_no_auto_sync(a, b, out):
    temp = coop.TempStorage(auto_sync=False)
    x = coop.local.array(IPT, np.int32)
    y = coop.local.array(IPT, np.int32)
    coop.block.load(a, x, algorithm="warp_transpose", temp_storage=temp)
    coop.block.load(b, y, algorithm="warp_transpose", temp_storage=temp)
    out[0] = x[0] + y[0]


def test_auto_sync_off_inserts_no_barrier():
    assert barriers(k_no_auto_sync) == {"block": 0, "warp": 0}
