"""CPU tier for stateful prefix callbacks in the earlier cuda.coop API's forms (the state array
of a class with ``__call__(self_ptr, block_aggregate)``, single-phase; ``coop.StatefulFunction
(cls, state_type, name=...)`` on the host, two-phase) next to ``coop.StatefulOp``: every form
compiles and links in one kernel per phase, makes the CUB calls it should, and every misuse is
one CoopError (the kernel cases are in tests/misuse_cases.py; host-side ones here). Also CUDA
vector types (numba-cuda's ``float32x2``, ``int32x4``, ...) as items."""

import re

import numba
import numpy as np
import pytest
from numba import cuda, types
from numba.cuda.vector_types import vector_types

import coop
from cub_bindings import functional as F
from cub_bindings.inspect import build_kernel
from test_coop_callbacks_gpu import (MaxPrefix, PrefixState, add_f2, add_i4, max_prefix_type, prefix_state_type,
                                     running_total, zero_i4)

I32 = types.int32[::1]
ELF = b"\x7fELF"


def build(kernel, argtypes=(I32, I32), block=128):
    with coop.launch_shape(block=block):
        b = build_kernel(kernel, argtypes, cc=(9, 0))
    assert b.cubin[:4] == ELF
    return b


_CALL = re.compile(r"__obj\.(\w+)\(([^;]*)\);")


def prefix_calls(src):
    """(method, arguments) of the shims' BlockScan calls that pass a callback (``__op_block_prefix...``)."""
    return sorted((m, args.count(",") + 1) for m, args in _CALL.findall(src) if "__op_block_prefix_callback_op" in args)


@cuda.jit(device=True)
def dev_max(a, b):
    return a if a > b else b


# --------------------------------------------------------------------------- single phase


def k_single_phase(d_in, d_out):
    tid = cuda.threadIdx.x
    p = coop.local.array(1, dtype=prefix_state_type)
    p[0] = PrefixState(0, 0)
    m = cuda.local.array(1, max_prefix_type)  # numba's own local array works too
    m[0] = MaxPrefix(-100, 0)
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items)
    coop.block.scan(items, items, 4, scan_op="+", prefix_op=p)  # the earlier API's spelling
    coop.block.scan(items, items, mode="inclusive", scan_op=dev_max, prefix_op=m)
    coop.block.exclusive_sum(items, items, block_prefix_callback_op=p)
    coop.block.inclusive_sum(items, items, prefix_op=p)
    coop.block.exclusive_scan(items, items, "max", prefix_op=m)
    coop.block.inclusive_scan(items, items, dev_max, prefix_op=m)
    x = coop.block.scan(d_in[tid], prefix_op=p)  # one item per thread: the result is returned
    x += coop.block.inclusive_scan(d_in[tid], "max", prefix_op=m)
    s = coop.local.array(1, d_in.dtype)
    s[0] = 0
    coop.block.exclusive_sum(items, items, prefix_op=coop.StatefulFunction(running_total, s))  # = StatefulOp
    coop.block.store(d_out, items)
    d_out[tid] += x + p[0].call_count + m[0].call_count


def test_single_phase_state_arrays_compile_and_call_cub_with_the_callback():
    b = build(k_single_phase)
    src = b.shim_source
    # identical calls share a shim: arrays (Sum, dev_max, InclusiveSum, "max"), scalars (Sum, "max"), StatefulOp
    assert prefix_calls(src) == sorted([("ExclusiveSum", 3)] * 3 + [("InclusiveScan", 4)] * 2 + [("InclusiveSum", 3)]
                                       + [("ExclusiveScan", 4)])
    # the class's __call__ is the wrapped device function, named after the class
    assert "cub_coop_op_PrefixState_call_" in src and "cub_coop_op_MaxPrefix_call_" in src


# --------------------------------------------------------------------------- two phase

sf = coop.StatefulFunction(PrefixState, prefix_state_type, name="prefix_state")
tp_scan = coop.block.scan(dtype=numba.int32, threads_per_block=128, items_per_thread=1, mode="exclusive", scan_op="+",
                          prefix_op=sf)
tp_sum = coop.block.make_inclusive_sum(dtype=numba.int32, threads_per_block=128, items_per_thread=4, prefix_op=sf)
tp_scan_op = coop.block.exclusive_scan(numba.int32, 128, dev_max, items_per_thread=4,
                                       prefix_op=coop.StatefulFunction(MaxPrefix, max_prefix_type))


def k_two_phase(d_in, d_out):
    tid = cuda.threadIdx.x
    p = coop.local.array(1, dtype=prefix_state_type)
    p[0] = PrefixState(0, 0)
    m = coop.local.array(1, dtype=max_prefix_type)
    m[0] = MaxPrefix(0, 0)
    one = coop.local.array(1, dtype=d_in.dtype)
    one[0] = d_in[tid]
    tp_scan(one, one, prefix_op=p)
    items = coop.local.array(4, dtype=d_in.dtype)
    coop.block.load(d_in, items)
    tp_sum(items, items, prefix_op=p)
    tp_scan_op(items, items, block_prefix_callback_op=m)
    coop.block.store(d_out, items)
    d_out[tid] += one[0] + p[0].call_count


def test_two_phase_stateful_function_compiles():
    src = build(k_two_phase).shim_source
    assert prefix_calls(src) == [("ExclusiveScan", 4), ("ExclusiveSum", 3), ("InclusiveSum", 3)]


def test_two_phase_object_fixes_the_function_not_the_state():
    assert "prefix_function" in tp_scan.fixed and "block_prefix_callback_op" not in tp_scan.fixed
    assert tp_scan.fixed["prefix_function"][1] is sf
    assert "block_prefix_callback_op" in tp_scan.__signature__.parameters
    assert tp_scan.temp_storage_bytes > 0
    assert "prefix_function=StatefulFunction(PrefixState" in repr(tp_scan)


def test_stateful_function_host_object():
    assert (sf.cls, sf.state_type, sf.name) == (PrefixState, prefix_state_type, "prefix_state")
    assert coop.StatefulFunction(PrefixState, prefix_state_type).name == "PrefixState"
    assert sf.fn is F.call_dispatcher(PrefixState)  # compiled once per class
    assert F.callback_class(prefix_state_type) is PrefixState
    assert F.callback_class(types.int32) is None


# --------------------------------------------------------------------------- host-side misuse


class NoCall:
    pass


class OneArgCall:
    def __call__(self_ptr):
        return 0


HOST_CASES = [
    ("cls", "defines no __call__ method", lambda: coop.StatefulFunction(NoCall, prefix_state_type)),
    ("cls", "cannot be called as (self_ptr, block_aggregate)", lambda: coop.StatefulFunction(OneArgCall, prefix_state_type)),
    ("state_type", "is required", lambda: coop.StatefulFunction(PrefixState)),
    ("state_type", "is the class PrefixState", lambda: coop.StatefulFunction(PrefixState, PrefixState)),
    ("state_type", "must be a Numba type", lambda: coop.StatefulFunction(PrefixState, "running total")),
    ("name", "must be an identifier string", lambda: coop.StatefulFunction(PrefixState, prefix_state_type, name="a b")),
]


@pytest.mark.parametrize("arg, message, make", HOST_CASES, ids=[c[1] for c in HOST_CASES])
def test_stateful_function_misuse_on_the_host(arg, message, make):
    with pytest.raises(coop.CoopError) as info:
        make()
    text = str(info.value)
    assert text.startswith(f"coop.StatefulFunction: argument `{arg}`: ") and message in text and "valid:" in text
    assert isinstance(info.value, TypeError)


def test_two_phase_constructor_misuse():
    with pytest.raises(coop.CoopError, match=r"argument `block_prefix_callback_op`: on the host this takes "
                                             r"coop.StatefulFunction"):
        coop.block.exclusive_sum(np.int32, 128, 4, prefix_op=dev_max)
    with pytest.raises(coop.CoopError, match=r"argument `prefix_function`: given twice"):
        coop.block.exclusive_sum(np.int32, 128, 4, prefix_op=sf, prefix_function=sf)
    # the host-only parameter cannot be given in a kernel
    with pytest.raises(coop.CoopError, match="cannot be fixed on the host|unknown keyword"):
        coop.block.exclusive_sum(np.int32, 128, 4, scan_op=sf)


# --------------------------------------------------------------------------- CUDA vector types as items

F2, I4, U8X4 = vector_types["float32x2"], vector_types["int32x4"], vector_types["uint8x4"]
tp_vec_scan = coop.block.inclusive_scan(I4, 128, add_i4, items_per_thread=2)
tp_vec_load = coop.block.load(F2, 128, 4, "vectorize")


def k_vectors(d_f2, d_i4):
    tid = cuda.threadIdx.x
    f = coop.local.array(4, cuda.float32x2)  # the user-facing constructor names the type too
    coop.block.load(d_f2, f)
    coop.block.exclusive_scan(f, f, add_f2, initial_value=cuda.float32x2(0, 0))
    coop.block.exchange(f, block_exchange_type="BlockedToWarpStriped")
    t = coop.block.reduce(f, add_f2)
    x = coop.block.inclusive_scan(f[0], add_f2)  # one vector item per thread
    tp_vec_load(d_f2, f)
    coop.block.store(d_f2, f)
    v = coop.local.array(2, I4)
    coop.block.load(d_i4, v, algorithm="warp_transpose")
    tp_vec_scan(v, v)
    coop.block.exclusive_scan(v, v, add_i4, initial_value=zero_i4())
    coop.block.store(d_i4, v, algorithm="transpose")
    u = coop.local.array(4, U8X4)
    coop.block.exchange(u, block_exchange_type="StripedToBlocked")
    coop.warp.exchange(v, warp_exchange_type="BlockedToStriped")
    if tid == 0:
        d_f2[0] = cuda.float32x2(t.x + x.x, t.y + x.y)


def test_vector_items_compile_as_structs_of_their_components():
    b = build(k_vectors, (types.Array(F2, 1, "C"), types.Array(I4, 1, "C")))
    src = b.shim_source
    assert "struct cub_coop_vec_float32x2 { float x; float y; };" in src
    assert "struct cub_coop_vec_int32x4 { ::cuda::std::int32_t x; ::cuda::std::int32_t y; ::cuda::std::int32_t z; " \
           "::cuda::std::int32_t w; };" in src
    assert "cub_coop_vec_uint8x4" in src
    assert "::cub::BlockScan<cub_coop_vec_int32x4, 128" in src
    assert tp_vec_scan.temp_storage_bytes > 0 and "cub_coop_vec_float32x2" in tp_vec_load.cxx


def test_vector_types_map_to_cxx():
    from cub_bindings._runtime import cxx

    assert cxx.is_supported_scalar(F2) and cxx.short_name(I4) == "i32x4" and cxx.short_name(U8X4) == "u8x4"
    assert "static_assert(sizeof(cub_coop_vec_float64x3) == 24" in cxx.vector_definition(vector_types["float64x3"])
    assert not cxx.is_supported_scalar(types.complex64)


@cuda.jit(device=True)
def _less_x(a, b):
    return a.x < b.x


def k_vector_sorts(d_f2, d_out):
    keys = coop.local.array(4, cuda.float32x2)
    coop.block.load(d_f2, keys)
    coop.block.merge_sort_keys(keys, compare_op=_less_x)
    coop.warp.merge_sort_keys(keys, compare_op=_less_x)
    coop.block.store(d_f2, keys)


def test_vector_keys_merge_sort_block_and_warp():
    src = build(k_vector_sorts, (types.Array(F2, 1, "C"), types.Array(F2, 1, "C"))).shim_source
    assert "::cub::BlockMergeSort<cub_coop_vec_float32x2, 128, 4" in src
    assert "::cub::WarpMergeSort<cub_coop_vec_float32x2, 4" in src
