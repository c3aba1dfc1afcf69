"""A kernel chaining several primitives through one shared coop.TempStorage (exchange ->
discontinuity -> radix sort -> scan -> store), as a C++ author would with a union of
TempStorages: compiled on the CPU tier, checked against NumPy on the GPU tier."""

import numpy as np
import pytest
from numba import cuda, types

import coop
from cub_bindings.inspect import build_kernel
from backend import not_simulated

T, IPT = 128, 4
TILE = T * IPT
#: the two-phase forms size the shared buffer: the largest TempStorage of the chain
_PARTS = [coop.block.load(np.int32, T, IPT, "striped"), coop.block.exchange(np.int32, T, IPT),
          coop.block.discontinuity(np.int32, T, IPT), coop.block.radix_sort_pairs(np.int32, np.int32, T, IPT),
          coop.block.exclusive_sum(np.int32, T, IPT), coop.block.store(np.int32, T, IPT)]
NBYTES = max(p.temp_storage_bytes for p in _PARTS)
ALIGN = max(p.temp_storage_alignment for p in _PARTS)


def chain(d_in, d_keys, d_out):
    temp = coop.TempStorage(NBYTES, ALIGN)  # auto_sync: a barrier before each use
    tile = d_in[cuda.blockIdx.x * TILE:]
    items = coop.local.array(IPT, np.int32)
    coop.block.load(tile, items, algorithm="striped", temp_storage=temp)  # striped arrangement
    coop.block.exchange(items, block_exchange_type=coop.BlockExchangeType.StripedToBlocked, temp_storage=temp)
    heads = coop.local.array(IPT, np.int32)
    coop.block.discontinuity(items, heads, temp_storage=temp)  # 1 where an item differs from its predecessor
    coop.block.radix_sort_pairs(items, heads, temp_storage=temp)
    coop.block.exclusive_sum(heads, heads, temp_storage=temp)
    coop.block.store(d_keys[cuda.blockIdx.x * TILE:], items, temp_storage=temp)
    coop.block.store(d_out[cuda.blockIdx.x * TILE:], heads, temp_storage=temp)


def test_chain_compiles_with_one_shared_temp_storage():
    with coop.launch_shape(block=T):
        b = build_kernel(chain, (types.int32[::1],) * 3, cc=(9, 0))
    src = b.shim_source
    for cls in ("BlockExchange", "BlockDiscontinuity", "BlockRadixSort", "BlockScan", "BlockLoad", "BlockStore"):
        assert f"::cub::{cls}<" in src
    assert "  C __obj;" not in src, "a primitive used CUB's private shared memory instead of the shared buffer"
    assert src.count("C __obj(static_cast<typename C::TempStorage*>(__self)[__index]);") >= 6
    assert NBYTES == _PARTS[3].temp_storage_bytes  # the radix sort is the largest


@pytest.mark.gpu
def test_chain_matches_numpy():
    blocks = 5
    rng = np.random.default_rng(7)
    x = rng.integers(-20, 20, blocks * TILE).astype(np.int32)  # repeats: runs for the discontinuity
    d_keys, d_out = cuda.device_array_like(x), cuda.device_array_like(x)
    cuda.jit(chain)[blocks, T](cuda.to_device(x), d_keys, d_out)
    keys, out = d_keys.copy_to_host().reshape(blocks, TILE), d_out.copy_to_host().reshape(blocks, TILE)
    for b, t in enumerate(x.reshape(blocks, TILE)):
        heads = np.concatenate([[1], t[1:] != t[:-1]]).astype(np.int32)  # CUB flags the tile's first item
        perm = np.argsort(t, kind="stable")  # CUB's radix sort is stable
        np.testing.assert_array_equal(keys[b], t[perm])
        np.testing.assert_array_equal(out[b], np.cumsum(heads[perm]) - heads[perm])


@cuda.jit(device=True)
def _less(a, b):
    return a < b


@pytest.mark.gpu
@not_simulated("it reads the compiled kernel's PTX")
def test_the_launch_block_size_becomes_the_kernels_launch_bounds():
    """Kernels compiled for a launch get __launch_bounds__(threads): register-hungry CUB code
    (a merge sort with a device-function comparison, 16 items per thread) then launches with
    1024 threads instead of failing with CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES."""

    @cuda.jit
    def k(d):
        keys = coop.local.array(16, d.dtype)
        coop.block.load(d, keys)
        coop.block.merge_sort_keys(keys, compare_op=_less)
        coop.block.store(d, keys)

    x = np.random.default_rng(1).integers(-100, 100, 1024 * 16).astype(np.int8)
    d = cuda.to_device(x)
    k[1, 1024](d)
    np.testing.assert_array_equal(d.copy_to_host(), np.sort(x))
    assert any(".maxntid 1024, 1, 1" in asm for asm in k.inspect_asm().values())


# --------------------------------------------------------------------------- TempStorage() sized from its uses


def chain_planned(d_in, d_keys, d_out):
    temp = coop.TempStorage()  # sized from the primitives below: the largest need
    tile = d_in[cuda.blockIdx.x * TILE:]
    items = coop.local.array(IPT, np.int32)
    coop.block.load(tile, items, algorithm="striped", temp_storage=temp)
    coop.block.exchange(items, block_exchange_type=coop.BlockExchangeType.StripedToBlocked, temp_storage=temp)
    heads = coop.local.array(IPT, np.int32)
    coop.block.discontinuity(items, heads, temp_storage=temp)
    coop.block.radix_sort_pairs(items, heads, temp_storage=temp)
    coop.block.exclusive_sum(heads, heads, temp_storage=temp)
    coop.block.store(d_keys[cuda.blockIdx.x * TILE:], items, temp_storage=temp)
    coop.block.store(d_out[cuda.blockIdx.x * TILE:], heads, temp_storage=temp)


def _shared_arrays(kernel, argtypes, block=T):
    """(alignment, bytes) of each coop.TempStorage buffer in the kernel's shared-memory plan."""
    with coop.launch_shape(block=block):
        b = build_kernel(kernel, argtypes, cc=(9, 0))
    return [(str(u.align), str(u.nbytes)) for s in b.shims for u in s.shimset.uses if u.kind == "bytes"]


def test_temp_storage_without_a_size_is_sized_from_its_uses():
    assert _shared_arrays(chain_planned, (types.int32[::1],) * 3) == [(str(max(16, ALIGN)), str(NBYTES))]
    with coop.launch_shape(block=T):
        src = build_kernel(chain_planned, (types.int32[::1],) * 3, cc=(9, 0)).shim_source
    assert "  C __obj;" not in src  # every primitive used the planned buffer


def k_planned_warp_and_alignment(d_in, d_out):
    temp = coop.TempStorage(alignment=64)
    x = d_in[cuda.threadIdx.x]
    d_out[cuda.threadIdx.x] = coop.warp.inclusive_sum(x, temp_storage=temp)
    d_out[cuda.threadIdx.x] += coop.block.sum(x, temp_storage=temp)
    unused = coop.TempStorage()  # never given to a primitive: no shared memory  # noqa: F841


def test_temp_storage_without_a_size_counts_every_logical_warp_and_keeps_its_alignment():
    warp = coop.warp.inclusive_sum(np.int32).temp_storage_bytes * (256 // 32)
    block = coop.block.sum(np.int32, 256).temp_storage_bytes
    assert _shared_arrays(k_planned_warp_and_alignment, (types.int32[::1],) * 2, block=256) == \
        [("64", str(max(warp, block)))]


@cuda.jit(device=True)
def _sum_in_helper(x, temp):
    return coop.block.sum(x, temp_storage=temp)


def k_planned_through_a_device_function(d_in, d_out):
    temp = coop.TempStorage()
    d_out[0] = _sum_in_helper(d_in[cuda.threadIdx.x], temp)


def test_a_size_omitted_temp_storage_given_to_a_device_function_is_sized_there():
    """The device function's parameter is refined by its own uses, and its buffer allocated
    there (the kernel's variable, used by no primitive of the kernel, allocates nothing)."""
    need = coop.block.sum(np.int32, T).temp_storage_bytes
    with coop.launch_shape(block=T):
        assert build_kernel(k_planned_through_a_device_function, (types.int32[::1],) * 2, cc=(9, 0)).cubin
    assert _shared_arrays(k_planned_through_a_device_function, (types.int32[::1],) * 2) == [("16", str(need))]


@pytest.mark.gpu
def test_chain_with_a_planned_temp_storage_matches_numpy():
    blocks = 3
    rng = np.random.default_rng(8)
    x = rng.integers(-10, 10, blocks * TILE).astype(np.int32)
    d_keys, d_out = cuda.device_array_like(x), cuda.device_array_like(x)
    cuda.jit(chain_planned)[blocks, T](cuda.to_device(x), d_keys, d_out)
    keys, out = d_keys.copy_to_host().reshape(blocks, TILE), d_out.copy_to_host().reshape(blocks, TILE)
    for b, t in enumerate(x.reshape(blocks, TILE)):
        heads = np.concatenate([[1], t[1:] != t[:-1]]).astype(np.int32)
        perm = np.argsort(t, kind="stable")
        np.testing.assert_array_equal(keys[b], t[perm])
        np.testing.assert_array_equal(out[b], np.cumsum(heads[perm]) - heads[perm])


# --------------------------------------------------------------------------- the earlier API's prim[temp](...) form

_TP_SCAN = coop.block.exclusive_sum(np.int32, T, IPT)


def chain_subscript(d_in, d_keys, d_out):
    temp = coop.TempStorage()
    tile = d_in[cuda.blockIdx.x * TILE:]
    items = coop.local.array(IPT, np.int32)
    coop.block.load[temp](tile, items, algorithm="striped")
    coop.block.exchange[temp](items, block_exchange_type=coop.BlockExchangeType.StripedToBlocked)
    heads = coop.local.array(IPT, np.int32)
    coop.block.discontinuity[temp](items, heads)
    coop.block.radix_sort_pairs[temp](items, heads)
    _TP_SCAN[temp](heads, heads)  # a two-phase object takes it the same way
    coop.block.store[temp](d_keys[cuda.blockIdx.x * TILE:], items)
    coop.block.store[temp](d_out[cuda.blockIdx.x * TILE:], heads)


def test_subscript_form_places_every_primitive_in_the_temp_storage():
    assert _shared_arrays(chain_subscript, (types.int32[::1],) * 3) == [(str(max(16, ALIGN)), str(NBYTES))]
    with coop.launch_shape(block=T):
        src = build_kernel(chain_subscript, (types.int32[::1],) * 3, cc=(9, 0)).shim_source
    assert "  C __obj;" not in src


def e_both_forms(d_in, d_out):
    temp = coop.TempStorage()
    items = coop.local.array(IPT, np.int32)
    coop.block.load[temp](d_in, items, temp_storage=temp)  # <- error


def e_subscript_not_storage(d_in, d_out):
    items = coop.local.array(IPT, np.int32)
    coop.block.load[items](d_in, items)  # <- error


def e_explicit_too_small(d_in, d_out):
    temp = coop.TempStorage(16)
    items = coop.local.array(IPT, np.int32)
    coop.block.radix_sort_keys[temp](items)  # <- error


@pytest.mark.parametrize("kernel, primitive, message", [
    (e_both_forms, "coop.block.load", "is given twice: by subscript"),
    (e_subscript_not_storage, "coop.block.load", "the subscript must be a coop.TempStorage()"),
    (e_explicit_too_small, "coop.block.radix_sort_keys", "16 bytes is too small"),
])
def test_subscript_form_misuse_is_one_coop_error(kernel, primitive, message):
    from error_marks import MARK

    with pytest.raises(coop.CoopError) as info, coop.launch_shape(block=T):
        build_kernel(kernel, (types.int32[::1],) * 2, cc=(9, 0))
    text = str(info.value)
    assert text.startswith(f"{primitive}: argument `temp_storage`: ") and message in text and MARK in text, text


@pytest.mark.gpu
def test_chain_in_the_subscript_form_matches_numpy():
    blocks = 2
    x = np.random.default_rng(4).integers(-10, 10, blocks * TILE).astype(np.int32)
    d_keys, d_out = cuda.device_array_like(x), cuda.device_array_like(x)
    cuda.jit(chain_subscript)[blocks, T](cuda.to_device(x), d_keys, d_out)
    keys, out = d_keys.copy_to_host().reshape(blocks, TILE), d_out.copy_to_host().reshape(blocks, TILE)
    for b, t in enumerate(x.reshape(blocks, TILE)):
        heads = np.concatenate([[1], t[1:] != t[:-1]]).astype(np.int32)
        perm = np.argsort(t, kind="stable")
        np.testing.assert_array_equal(keys[b], t[perm])
        np.testing.assert_array_equal(out[b], np.cumsum(heads[perm]) - heads[perm])


# --------------------------------------------------------------------------- sharing="exclusive"


def _sizes(*two_phase):
    out, pos = [], 0
    for p in two_phase:
        pos = -(-pos // p.temp_storage_alignment) * p.temp_storage_alignment
        out.append(pos)
        pos += p.temp_storage_bytes
    return out, pos


def k_exclusive(d_in, d_out):
    temp = coop.TempStorage(sharing="exclusive")  # each call site its own slice: no barriers needed
    items = coop.local.array(IPT, np.int32)
    coop.block.load(d_in, items, algorithm="transpose", temp_storage=temp)
    coop.block.radix_sort_keys[temp](items)
    coop.block.exclusive_sum(items, items, temp_storage=temp)
    coop.block.store(d_out, items, temp_storage=temp)


_EXCLUSIVE_PARTS = (coop.block.load(np.int32, T, IPT, "transpose"), coop.block.radix_sort_keys(np.int32, T, IPT),
                    coop.block.exclusive_sum(np.int32, T, IPT), coop.block.store(np.int32, T, IPT))


def test_exclusive_temp_storage_gives_each_call_its_own_slice():
    import re

    offsets, total = _sizes(*_EXCLUSIVE_PARTS)
    assert _shared_arrays(k_exclusive, (types.int32[::1],) * 2) == [("16", str(total))]
    # the slices: each shim is called with the buffer plus its call's offset, and no barrier is inserted
    with coop.launch_shape(block=T):
        llvm = _kernel_llvm(k_exclusive, (types.int32[::1],) * 2)
    used = [int(m) for m in re.findall(r"getelementptr i8, i8\* %\S+, i32 (\d+)", llvm)]
    assert sorted(set(used)) == sorted(set(o for o in offsets if o)) and len(set(offsets)) == 4, (used, offsets)
    assert "llvm.nvvm.barrier0" not in llvm


def _kernel_llvm(kernel, argtypes):
    from numba.cuda.compiler import compile_cuda

    cres = compile_cuda(kernel, None, argtypes, cc=(9, 0))
    return str(cres.library.get_llvm_str())


def e_exclusive_auto_sync(d_in, d_out):
    temp = coop.TempStorage(sharing="exclusive", auto_sync=True)  # <- error
    coop.block.sum(d_in[0], temp_storage=temp)


def e_exclusive_too_small(d_in, d_out):
    temp = coop.TempStorage(64, sharing="exclusive")
    items = coop.local.array(IPT, np.int32)
    coop.block.radix_sort_keys(items, temp_storage=temp)  # <- error


def e_unknown_sharing(d_in, d_out):
    temp = coop.TempStorage(sharing="private")  # <- error
    coop.block.sum(d_in[0], temp_storage=temp)


@pytest.mark.parametrize("kernel, what, message", [
    (e_exclusive_auto_sync, "coop.TempStorage: argument `auto_sync`", "cannot be True with sharing=\"exclusive\""),
    (e_exclusive_too_small, "coop.block.radix_sort_keys: argument `temp_storage`",
     "64 bytes is too small for its exclusive slices"),
    (e_unknown_sharing, "coop.TempStorage: argument `sharing`", "must be \"shared\" or \"exclusive\""),
])
def test_exclusive_temp_storage_misuse_is_one_coop_error(kernel, what, message):
    from error_marks import MARK

    with pytest.raises(coop.CoopError) as info, coop.launch_shape(block=T):
        build_kernel(kernel, (types.int32[::1],) * 2, cc=(9, 0))
    text = str(info.value)
    assert text.startswith(what) and message in text and MARK in text, text


@pytest.mark.gpu
def test_exclusive_temp_storage_matches_numpy():
    x = np.random.default_rng(6).integers(-1000, 1000, TILE).astype(np.int32)
    out = cuda.device_array_like(x)
    cuda.jit(k_exclusive)[1, T](cuda.to_device(x), out)
    s = np.sort(x)
    np.testing.assert_array_equal(out.copy_to_host(), np.cumsum(s) - s)
