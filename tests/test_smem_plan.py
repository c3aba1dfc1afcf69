"""A kernel's shared-memory plan (cub_bindings/_runtime/smem_plan.py), CPU tier: every kernel is
compiled and linked for sm_90 and its plan checked against NVRTC's own layouts (two-phase
objects' ``temp_storage_bytes``): implicit TempStorage side by side while it fits 48 KB, as
a union with barriers past it, dynamic shared memory past 48 KB (beside the kernel's own
dynamic arrays), coop.TempStorage buffers in the same plan, device functions' calls in their
kernel's plan, and the errors past what a block may hold."""

import re

import numba
import numpy as np
import pytest
from numba import cuda, types

import coop
from cub_bindings.inspect import build_kernel
from error_marks import compile_error, line_of

I32 = types.int32[::1]
F64 = types.float64[::1]
LIMIT = 48 * 1024


def build(kernel, argtypes=(I32, I32), block=128):
    with coop.launch_shape(block=block):
        b = build_kernel(kernel, argtypes, cc=(9, 0))
    assert b.cubin[:4] == b"\x7fELF"
    return b


def tsb(*objs):
    return [o.temp_storage_bytes for o in objs]


def _round(n, a=16):
    return -(-n // a) * a


# --------------------------------------------------------------------------- side by side


@cuda.jit
def k_small(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items, algorithm="transpose")
    coop.block.exclusive_sum(items, items)
    coop.block.store(d_out, items, algorithm="transpose")


def test_implicit_uses_side_by_side_while_they_fit():
    b = build(k_small)
    parts = tsb(coop.block.load(np.int32, 128, 4, algorithm="transpose"),
                coop.block.exclusive_sum(np.int32, 128, 4),
                coop.block.store(np.int32, 128, 4, algorithm="transpose"))
    p = b.plan
    assert not p.overlap and not p.dynamic and not p.barriers
    assert sum(parts) <= p.size <= sum(_round(n) for n in parts)
    assert sorted(n for _, _, n in p.uses) == sorted(parts)
    assert b.dynamic_shared_bytes == 0
    ptx = b.ptx
    assert "%dynamic_smem_size" not in ptx
    # side by side: each slot a __shared__ variable of its own, as CUB's private storage is
    assert sorted(int(n) for n in re.findall(r"\.shared \.align \d+ \.b8 \w+\[(\d+)\];", ptx)) == sorted(parts)


# --------------------------------------------------------------------------- overlapping, with barriers


@cuda.jit
def k_overlap(d_in, d_out):
    items = coop.local.array(7, d_in.dtype)
    coop.block.load(d_in, items, algorithm="transpose")
    coop.block.radix_sort_keys(items)
    coop.block.store(d_out, items, algorithm="transpose")


def test_implicit_uses_overlap_past_48k_with_a_barrier_before_each():
    b = build(k_overlap, block=1024)
    parts = tsb(coop.block.load(np.int32, 1024, 7, algorithm="transpose"),
                coop.block.radix_sort_keys(np.int32, 1024, 7),
                coop.block.store(np.int32, 1024, 7, algorithm="transpose"))
    assert sum(parts) > LIMIT and max(parts) <= LIMIT
    p = b.plan
    assert p.overlap and p.barriers and not p.dynamic
    assert max(parts) <= p.size <= _round(max(parts))
    # the same calls, each given a coop.TempStorage of its own (kept apart, no barrier added): three fewer
    apart = build(k_overlap_apart, block=1024)
    assert not apart.plan.overlap and apart.plan.dynamic
    assert b.ptx.count("bar.sync") == apart.ptx.count("bar.sync") + 3


@cuda.jit
def k_overlap_apart(d_in, d_out):
    t1, t2, t3 = (coop.TempStorage(auto_sync=False), coop.TempStorage(auto_sync=False),
                  coop.TempStorage(auto_sync=False))
    items = coop.local.array(7, d_in.dtype)
    coop.block.load(d_in, items, algorithm="transpose", temp_storage=t1)
    coop.block.radix_sort_keys(items, temp_storage=t2)
    coop.block.store(d_out, items, algorithm="transpose", temp_storage=t3)


@cuda.jit
def k_one_real(d_in, d_out):
    items = coop.local.array(13, d_in.dtype)
    coop.block.load(d_in, items)  # direct: no TempStorage of substance
    coop.block.radix_sort_keys(items)
    coop.block.store(d_out, items)


def test_one_real_storage_in_the_union_needs_no_barrier_and_goes_dynamic():
    b = build(k_one_real, block=1024)
    (sort,) = tsb(coop.block.radix_sort_keys(np.int32, 1024, 13))
    p = b.plan
    assert sort > LIMIT
    assert p.overlap and not p.barriers and p.dynamic
    assert sort <= p.size <= _round(sort)
    assert b.dynamic_shared_bytes == p.size + p.align - 1
    assert "%dynamic_smem_size" in b.ptx


# --------------------------------------------------------------------------- dynamic shared memory


@cuda.jit
def k_big_exchange(d_in, d_out):
    items = coop.local.array(16, d_in.dtype)
    coop.block.load(d_in, items)
    coop.block.exchange(items, items, "BlockedToStriped")
    coop.block.store(d_out, items)


def test_a_128k_exchange_runs_from_dynamic_shared_memory():
    b = build(k_big_exchange, (F64, F64), block=1024)
    (ex,) = tsb(coop.block.exchange(np.float64, 1024, 16))
    assert ex >= 1024 * 16 * 8
    p = b.plan
    assert p.dynamic and ex <= p.size <= _round(ex)
    ptx = b.ptx
    assert "%dynamic_smem_size" in ptx and ".extern .shared" in ptx
    assert not re.search(rf"\.shared [^\n]*\[{p.size}\]", ptx)  # not static


@cuda.jit
def k_two_temp_storages(d_in, d_out):
    t1 = coop.TempStorage(40000)
    t2 = coop.TempStorage(20000)
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items, algorithm="transpose", temp_storage=t1)
    coop.block.store(d_out, items, algorithm="transpose", temp_storage=t2)


@cuda.jit
def k_two_planned_temp_storages(d_in, d_out):
    t1 = coop.TempStorage()
    t2 = coop.TempStorage()
    items = coop.local.array(8, d_in.dtype)
    coop.block.load(d_in, items, algorithm="transpose", temp_storage=t1)
    coop.block.store(d_out, items, algorithm="transpose", temp_storage=t2)


def test_two_temp_storages_past_48k_together_go_dynamic():
    b = build(k_two_temp_storages)
    p = b.plan
    assert p.dynamic and not p.overlap  # buffers are never overlapped
    assert 60000 <= p.size <= 60016
    assert sorted(n for _, _, n in p.uses) == [20000, 40000]
    b2 = build(k_two_planned_temp_storages, block=1024)
    load, store = tsb(coop.block.load(np.int32, 1024, 8, algorithm="transpose"),
                      coop.block.store(np.int32, 1024, 8, algorithm="transpose"))
    assert b2.plan.dynamic and load + store <= b2.plan.size <= _round(load) + _round(store)


@cuda.jit
def k_user_dynamic(d_in, d_out):
    dyn = cuda.shared.array(0, numba.float32)
    items = coop.local.array(16, d_in.dtype)
    coop.block.load(d_in, items)
    coop.block.exchange(items, items, "BlockedToStriped")
    if cuda.threadIdx.x == 0:
        d_out[0] = len(dyn)
    coop.block.store(d_out, items)


def test_the_kernels_own_dynamic_arrays_keep_their_length():
    b = build(k_user_dynamic, (F64, F64), block=1024)
    p = b.plan
    assert p.dynamic
    # numba's dynamic array reads %dynamic_smem_size: the plan's bytes are taken off it
    assert re.search(rf"sub\.u32 %r\d+, %cub_coop_dyn, {p.dynamic_bytes};", b.ptx)


# --------------------------------------------------------------------------- device functions


@cuda.jit(device=True)
def exchange_in_device_function(items):
    coop.block.exchange(items, items, "BlockedToStriped")


@cuda.jit
def k_calls_device_function(d_in, d_out):
    items = coop.local.array(4, numba.int32)
    for i in range(4):
        items[i] = d_in[cuda.threadIdx.x * 4 + i]
    exchange_in_device_function(items)
    for i in range(4):
        d_out[cuda.threadIdx.x * 4 + i] = items[i]


def test_a_device_functions_calls_are_planned_in_the_kernel():
    b = build(k_calls_device_function)
    assert b.plan is not None and len(b.plan.uses) == 1
    assert b.plan.uses[0][0] == "coop.block.exchange"


# --------------------------------------------------------------------------- errors


@cuda.jit
def k_over_opt_in(d_in, d_out):
    temp = coop.TempStorage(200000)
    items = coop.local.array(16, d_in.dtype)
    coop.block.load(d_in, items, temp_storage=temp)
    coop.block.exchange(items, items, "BlockedToStriped")
    coop.block.store(d_out, items)


def test_a_plan_past_the_architectures_limit_is_one_error_naming_the_calls():
    with pytest.raises(coop.CoopError) as e:
        build(k_over_opt_in, (F64, F64), block=1024)
    text = str(e.value)
    assert "over the 232448 bytes (227 KB) a block may use on sm_90" in text
    assert "coop.TempStorage (200000 bytes) at File" in text and "coop.block.exchange (135168 bytes)" in text, text
    assert "coop.block.store" not in text  # a direct store has no storage to speak of
    assert "Traceback" not in text and "ptxas" not in text


def test_coop_compile_of_a_kernel_with_dynamic_shared_memory_says_what_to_launch_with():
    with pytest.raises(coop.CoopError, match="dynamic shared memory"):
        coop.compile(k_big_exchange, (F64, F64), block=1024)


# --------------------------------------------------------------------------- every kind of use in one plan


@cuda.jit
def k_mixed(d_in, d_out):
    temp = coop.TempStorage()
    samples = coop.local.array(4, numba.uint8)
    hist = coop.shared.array(256, numba.uint32)
    histo = coop.block.histogram(samples, hist)  # a parent object: a slot of its own for its lifetime
    histo.init()
    items = coop.local.array(4, numba.int32)
    coop.block.load(d_in, items, algorithm="transpose", temp_storage=temp)  # the user's buffer
    coop.block.exclusive_sum(items, items)  # implicit: a block-wide slot
    for i in range(4):
        samples[i] = numba.uint8(items[i])
    cuda.syncthreads()
    histo.composite(samples)
    d_out[cuda.threadIdx.x] = coop.warp.sum(items[0])  # one TempStorage per logical warp


def test_every_kind_of_use_in_one_plan_sized_as_nvrtc_measures_it():
    b = build(k_mixed)
    kinds = sorted(u.kind for s in b.shims for u in s.shimset.uses)
    assert kinds == ["bytes", "overlap", "own", "own"]
    load, scan, histo, warp = tsb(coop.block.load(np.int32, 128, 4, algorithm="transpose"),
                                  coop.block.exclusive_sum(np.int32, 128, 4),
                                  coop.block.histogram(np.uint8, np.uint32, 128, 4, 256),
                                  coop.warp.sum(np.int32))
    sizes = sorted(n for _, _, n in b.plan.uses)
    assert sizes == sorted(n for n in (load, scan, histo, warp * 4) if n > 1)
    p = b.plan
    assert not p.overlap and not p.dynamic and not p.barriers
    assert p.other_static == 256 * 4  # the kernel's own shared array counts toward the 48 KB


@cuda.jit(device=True)
def _sum_twice(x):
    return coop.block.sum(x) + coop.warp.sum(x)


@cuda.jit
def k_own_and_device_calls(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items, algorithm="transpose")
    d_out[cuda.threadIdx.x] = _sum_twice(items[0]) + _sum_twice(items[1])


def test_a_kernel_and_its_device_functions_compile_in_one_nvrtc_call(tmp_path, monkeypatch):
    from cub_bindings import nvrtc_compile_count

    monkeypatch.setenv("CUB_COOP_CACHE_DIR", str(tmp_path))  # cold
    before = nvrtc_compile_count()
    b = build(k_own_and_device_calls)
    assert nvrtc_compile_count() - before == 1 and len(b.shims) == 1
    assert {u[0] for u in b.plan.uses} >= {"coop.block.load", "coop.block.sum"}
