"""CPU tier for the coop facade (no GPU): every primitive compiles and links to an sm_90
cubin, the inference paths pick the CUB specialization they should, two-phase objects
report their TempStorage, and misuse fails at compile time with one clear CoopError.

Kernels are plain Python functions compiled with ``cub_bindings.inspect.build_kernel``
inside ``coop.launch_shape(block=...)``. Each kernel that reaches NVRTC costs one shim
compile (about 1.5-3 s with an empty cache), so each compile test packs many calls into
one kernel; error tests fail while typing, before NVRTC.
"""

import contextlib
import operator
import re

import numba
import numpy as np
import pytest
from numba import cuda, types

import coop
import cub_bindings as cb
from error_marks import compile_error, line_of
from cub_bindings.inspect import build_kernel

I32 = types.int32[::1]
F32 = types.float32[::1]
F64 = types.float64[::1]
ELF = b"\x7fELF"


def build(kernel, argtypes=(I32, I32), block=128):
    """Compile ``kernel`` for sm_90 (block shape ``block``, or none if None) and link it."""
    shape = coop.launch_shape(block=block) if block is not None else contextlib.nullcontext()
    with shape:
        b = build_kernel(kernel, argtypes, cc=(9, 0))
    assert b.cubin[:4] == ELF
    return b


_CALL = re.compile(r"__obj\.(\w+)\(([^;]*)\);")


def shim_calls(source, method=None):
    """The CUB calls the shims make, sorted: (method, number of arguments, what the first
    argument is: "array" (items), "scalar" or "pointer" (a global-memory iterator)).
    Identical calls share one shim."""
    out = []
    for m, args in _CALL.findall(source):
        first = args.split(",")[0]
        kind = "array" if "(*)[" in first else "scalar" if first.startswith("*static_cast") else "pointer"
        if method is None or m == method:
            out.append((m, args.count(",") + 1, kind))
    return sorted(out)


def calls(source, method):
    """How many shims call CUB's ``method``."""
    return len(shim_calls(source, method))


def classes(source):
    """The CUB class specializations the shims use (``using C = ...;``)."""
    return set(re.findall(r"using C = (::cub::[^;]+);", source))


@cuda.jit(device=True)
def dev_max(a, b):
    return max(a, b)


@cuda.jit(device=True)
def running_total(state, block_aggregate):
    old = state[0]
    state[0] += block_aggregate
    return old


# =========================================================================== 1. every primitive compiles and links


def k_block_load_store(d_in, d_out, n):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items)  # DIRECT by default
    coop.block.load(d_in, items, algorithm=coop.BlockLoadAlgorithm.STRIPED)
    coop.block.load(d_in, items, algorithm="vectorize")
    coop.block.load(d_in, items, algorithm=cb.BLOCK_LOAD_TRANSPOSE)  # the cub_bindings member works too
    coop.block.load(d_in, items, algorithm="WARP_TRANSPOSE")
    coop.block.load(d_in, items, algorithm="warp_transpose_timesliced")
    coop.block.load(d_in, items, num_valid_items=n)
    coop.block.load(d_in, items, num_valid_items=n, oob_default=-1)
    coop.block.store(d_out, items)
    coop.block.store(d_out, items, algorithm=coop.BlockStoreAlgorithm.STRIPED)
    coop.block.store(d_out, items, algorithm="vectorize")
    coop.block.store(d_out, items, algorithm=cb.BLOCK_STORE_TRANSPOSE)
    coop.block.store(d_out, items, algorithm="WARP_TRANSPOSE")
    coop.block.store(d_out, items, algorithm="warp_transpose_timesliced")
    coop.block.store(d_out, items, num_valid_items=n)


def test_block_load_store_every_algorithm_partial_tiles_and_oob_default():
    src = build(k_block_load_store, (I32, I32, types.int64)).shim_source  # an int64 count is converted
    cls = classes(src)
    for alg in coop.BlockLoadAlgorithm:
        assert f"::cub::BlockLoad<::cuda::std::int32_t, 128, 4, ::cub::BlockLoadAlgorithm::BLOCK_LOAD_{alg.name}, 1, 1>" in cls
    for alg in coop.BlockStoreAlgorithm:
        assert f"::cub::BlockStore<::cuda::std::int32_t, 128, 4, ::cub::BlockStoreAlgorithm::BLOCK_STORE_{alg.name}, 1, 1>" in cls
    # one shim per algorithm, plus the partial-tile overloads: + num_valid_items (+ oob_default)
    assert shim_calls(src, "Load") == [("Load", 2, "pointer")] * 6 + [("Load", 3, "pointer"), ("Load", 4, "pointer")]
    assert shim_calls(src, "Store") == [("Store", 2, "pointer")] * 6 + [("Store", 3, "pointer")]


def k_block_exchange(d_in, d_out):
    tid = cuda.threadIdx.x
    items = coop.local.array(4, d_in.dtype)
    out = coop.local.array(4, d_in.dtype)
    ranks = coop.local.array(4, np.int32)
    flags = coop.local.array(4, np.bool_)
    for i in range(4):
        items[i] = d_in[tid * 4 + i]
        ranks[i] = 511 - (tid * 4 + i)
        flags[i] = i % 2 == 0
    coop.block.exchange(items, out, block_exchange_type=coop.BlockExchangeType.StripedToBlocked)
    coop.block.exchange(items, out, coop.BlockExchangeType.BlockedToStriped)  # positional kind
    coop.block.exchange(items, block_exchange_type="warp_striped_to_blocked")  # in place
    coop.block.exchange(items, out, block_exchange_type="BlockedToWarpStriped", warp_time_slicing=True)
    coop.block.exchange(items, out, block_exchange_type="scatter_to_blocked", ranks=ranks)
    coop.block.exchange(items, block_exchange_type="scatter_to_striped", ranks=ranks)  # in place
    coop.block.exchange(items, out, block_exchange_type="scatter_to_striped_guarded", ranks=ranks,
                        warp_time_slicing=True)
    coop.block.exchange(items, out, block_exchange_type="scatter_to_striped_flagged", ranks=ranks, valid_flags=flags)
    coop.block.exchange(items, out, block_exchange_type="striped_to_blocked")  # the first call, spelled as a string
    for i in range(4):
        d_out[tid * 4 + i] = out[i]


def test_block_exchange_every_kind_in_and_out_of_place_with_time_slicing():
    src = build(k_block_exchange).shim_source
    for kind in coop.BlockExchangeType:
        assert calls(src, kind.name) >= 1, kind
    assert shim_calls(src, "StripedToBlocked") == [("StripedToBlocked", 2, "array")]  # two identical calls, one shim
    assert shim_calls(src, "WarpStripedToBlocked") == [("WarpStripedToBlocked", 1, "array")]  # in place
    assert shim_calls(src, "ScatterToStriped") == [("ScatterToStriped", 2, "array")]  # in place: items, ranks
    assert "::cub::BlockExchange<::cuda::std::int32_t, 128, 4, false, 1, 1>" in classes(src)
    assert "::cub::BlockExchange<::cuda::std::int32_t, 128, 4, true, 1, 1>" in classes(src)
    assert shim_calls(src, "ScatterToStripedFlagged") == [("ScatterToStripedFlagged", 4, "array")]  # + is_valid


def k_block_scan(d_in, d_out):
    tid = cuda.threadIdx.x
    items = coop.local.array(4, d_in.dtype)
    out = coop.local.array(4, d_in.dtype)
    agg = coop.local.array(1, d_in.dtype)
    state = coop.local.array(1, d_in.dtype)
    state[0] = 0
    coop.block.load(d_in, items)
    x = d_in[tid]
    # one item per thread: the result is returned
    r = coop.block.scan(x)  # exclusive sum
    r += coop.block.scan(x, mode="inclusive", scan_op="max")
    r += coop.block.exclusive_sum(x, block_aggregate=agg)
    r += coop.block.inclusive_sum(x)
    r += coop.block.exclusive_scan(x, scan_op=dev_max, initial_value=0)
    r += coop.block.inclusive_scan(x, scan_op="min", block_aggregate=agg)
    # arrays: out of place, in place, initial values, aggregates, a running prefix
    coop.block.scan(items, out, mode="exclusive", scan_op=operator.add)
    coop.block.scan(items, out, mode="inclusive", scan_op=np.maximum, initial_value=3)
    coop.block.exclusive_sum(items, out, block_aggregate=agg)
    coop.block.inclusive_sum(items)  # in place
    coop.block.exclusive_scan(items, out, "max")  # the functor's identity seeds it
    coop.block.exclusive_scan(items, items, dev_max, initial_value=-5)
    coop.block.inclusive_scan(items, out, min, initial_value=7)
    coop.block.inclusive_scan(items, out, dev_max, block_aggregate=agg)
    coop.block.exclusive_sum(items, out, block_prefix_callback_op=coop.StatefulOp(running_total, state))
    coop.block.inclusive_sum(items, out, block_prefix_callback_op=coop.StatefulOp(running_total, state))
    coop.block.store(d_out, out)
    d_out[tid] = r + agg[0]


def test_block_scan_every_form():
    src = build(k_block_scan).shim_source
    assert "::cub::BlockScan<::cuda::std::int32_t, 128, ::cub::BlockScanAlgorithm::BLOCK_SCAN_RAKING, 1, 1>" in classes(src)
    made = [c for c in shim_calls(src) if c[0] not in ("Load", "Store")]
    # one item per thread: (input, output [, initial_value] [, scan_op] [, block_aggregate])
    assert [(m, n) for m, n, kind in made if kind == "scalar"] == [
        ("ExclusiveScan", 4), ("ExclusiveSum", 2), ("ExclusiveSum", 3), ("InclusiveScan", 3), ("InclusiveScan", 4),
        ("InclusiveSum", 2)]
    # arrays (one shim per distinct operator / argument set)
    assert [(m, n) for m, n, kind in made if kind == "array"] == [
        ("ExclusiveScan", 4), ("ExclusiveScan", 4), ("ExclusiveSum", 2), ("ExclusiveSum", 3), ("ExclusiveSum", 3),
        ("InclusiveScan", 4), ("InclusiveScan", 4), ("InclusiveScan", 4), ("InclusiveSum", 2), ("InclusiveSum", 3)]
    assert [m for m, args in _CALL.findall(src) if "__op_block_prefix_callback_op" in args] == ["ExclusiveSum",
                                                                                                 "InclusiveSum"]
    for functor in ("::cuda::maximum<>{}", "::cuda::minimum<>{}"):
        assert functor in src


def k_block_algorithms(d_in, d_out):
    tid = cuda.threadIdx.x
    items = coop.local.array(2, d_in.dtype)
    lanes = coop.local.array(8, d_in.dtype)
    coop.warp.exchange(lanes, warp_exchange_type="blocked_to_striped", threads_in_warp=8, algorithm="smem")
    coop.warp.exchange(lanes, warp_exchange_type="blocked_to_striped", threads_in_warp=8,
                       algorithm=coop.WarpExchangeAlgorithm.SHUFFLE)  # SHUFFLE: items per thread == warp size
    coop.block.load(d_in, items)
    coop.block.inclusive_sum(items, algorithm=coop.BlockScanAlgorithm.RAKING)
    coop.block.exclusive_scan(items, items, "max", algorithm="raking_memoize")
    coop.block.scan(items, items, algorithm="WARP_SCANS")
    r = coop.block.sum(items, algorithm=coop.BlockReduceAlgorithm.RAKING_COMMUTATIVE_ONLY)
    r += coop.block.reduce(items, "+", algorithm="raking")
    r += coop.block.reduce(d_in[tid], "max", algorithm="warp_reductions")
    r += coop.block.sum(d_in[tid], algorithm=cb.BLOCK_REDUCE_WARP_REDUCTIONS_NONDETERMINISTIC)
    coop.block.store(d_out, items)
    if tid == 0:
        d_out[0] = r


def test_scan_reduce_and_warp_exchange_every_algorithm():
    src = build(k_block_algorithms, (F32, F32)).shim_source
    for alg in coop.WarpExchangeAlgorithm:
        assert f"::cub::WarpExchange<float, 8, 8, ::cub::WarpExchangeAlgorithm::WARP_EXCHANGE_{alg.name}>" in classes(src)
    for alg in coop.BlockScanAlgorithm:
        assert f"::cub::BlockScan<float, 128, ::cub::BlockScanAlgorithm::BLOCK_SCAN_{alg.name}, 1, 1>" in classes(src)
    for alg in coop.BlockReduceAlgorithm:
        assert f"::cub::BlockReduce<float, 128, ::cub::BlockReduceAlgorithm::BLOCK_REDUCE_{alg.name}, 1, 1>" in classes(src)


def k_block_reduce(d_in, d_out, n):
    tid = cuda.threadIdx.x
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items)
    x = d_in[tid]
    r = coop.block.reduce(x, "+")
    r += coop.block.reduce(x, "min", num_valid=n)
    r += coop.block.reduce(items, "max")
    r += coop.block.reduce(items, "&")
    r += coop.block.reduce(items, operator.add)
    r += coop.block.reduce(x, np.maximum)
    r += coop.block.reduce(items, min)
    r += coop.block.reduce(items, dev_max)
    r += coop.block.reduce(x, binary_op=dev_max, num_valid=n)
    r += coop.block.sum(x)
    r += coop.block.sum(x, num_valid=n)
    r += coop.block.sum(items)
    if tid == 0:
        d_out[0] = r


def test_block_reduce_and_sum_scalar_array_num_valid_and_every_operator_form():
    src = build(k_block_reduce, (I32, I32, types.int32)).shim_source
    assert shim_calls(src, "Sum") == [("Sum", 1, "array"), ("Sum", 1, "scalar"), ("Sum", 2, "scalar")]  # + num_valid
    # arrays: max, &, operator.add, min, dev_max; scalars: "+", np.maximum, and min / dev_max with num_valid
    assert shim_calls(src, "Reduce") == [("Reduce", 2, "array")] * 5 + [("Reduce", 2, "scalar")] * 2 + \
        [("Reduce", 3, "scalar")] * 2
    ops = {re.sub(r"_\d+_t\{\}$", "_t{}", op) for op in re.findall(r"auto __op_reduction_op = ([^;]*);", src)}
    assert ops == {"::cuda::maximum<>{}", "::cuda::minimum<>{}", "::cuda::std::bit_and<>{}", "::cuda::std::plus<>{}",
                   "cub_coop_op_dev_max_t{}"}  # the device function, wrapped as a C++ functor


def _warp_kernel(lw):
    def k(d_in, d_out, n):
        tid = cuda.threadIdx.x
        off = (tid // lw) * lw * 4
        items = coop.local.array(4, d_in.dtype)
        out = coop.local.array(4, d_in.dtype)
        ranks = coop.local.array(4, np.int32)
        agg = coop.local.array(1, d_in.dtype)
        for i in range(4):
            ranks[i] = lw * 4 - 1 - ((tid % lw) * 4 + i)
        coop.warp.load(d_in[off:], items, threads_in_warp=lw)
        coop.warp.load(d_in[off:], items, algorithm="striped", threads_in_warp=lw)
        coop.warp.load(d_in[off:], items, algorithm=coop.WarpLoadAlgorithm.VECTORIZE, threads_in_warp=lw)
        coop.warp.load(d_in[off:], items, algorithm="transpose", threads_in_warp=lw)
        coop.warp.load(d_in[off:], items, threads_in_warp=lw, num_valid_items=n, oob_default=0)
        coop.warp.exchange(items, out, warp_exchange_type="striped_to_blocked", threads_in_warp=lw)
        coop.warp.exchange(items, out, coop.WarpExchangeType.BlockedToStriped, threads_in_warp=lw)
        coop.warp.exchange(items, warp_exchange_type="scatter_to_striped", ranks=ranks, threads_in_warp=lw)
        coop.warp.store(d_out[off:], items, threads_in_warp=lw)
        coop.warp.store(d_out[off:], out, algorithm="striped", threads_in_warp=lw)
        coop.warp.store(d_out[off:], out, algorithm=coop.WarpStoreAlgorithm.VECTORIZE, threads_in_warp=lw)
        coop.warp.store(d_out[off:], out, algorithm="transpose", threads_in_warp=lw)
        coop.warp.store(d_out[off:], items, num_valid_items=n, threads_in_warp=lw)
        v = d_in[tid]
        r = coop.warp.sum(v, threads_in_warp=lw)
        r += coop.warp.sum(v, valid_items=n, threads_in_warp=lw)
        r += coop.warp.sum(items, threads_in_warp=lw)  # an array is reduced per lane first
        r += coop.warp.reduce(v, "max", threads_in_warp=lw)
        r += coop.warp.reduce(v, dev_max, valid_items=n, threads_in_warp=lw)
        r += coop.warp.exclusive_sum(v, threads_in_warp=lw)
        r += coop.warp.exclusive_sum(v, warp_aggregate=agg, threads_in_warp=lw)
        r += coop.warp.exclusive_sum(v, valid_items=n, warp_aggregate=agg, threads_in_warp=lw)
        r += coop.warp.inclusive_sum(v, valid_items=n, threads_in_warp=lw)
        r += coop.warp.inclusive_sum(v, warp_aggregate=agg, threads_in_warp=lw)
        r += coop.warp.inclusive_sum(v, initial_value=5, threads_in_warp=lw)
        r += coop.warp.exclusive_scan(v, "max", threads_in_warp=lw)  # the functor's identity seeds it
        r += coop.warp.exclusive_scan(v, dev_max, initial_value=0, valid_items=n, threads_in_warp=lw)
        r += coop.warp.exclusive_scan(v, "min", warp_aggregate=agg, threads_in_warp=lw)
        r += coop.warp.inclusive_scan(v, "min", valid_items=n, warp_aggregate=agg, threads_in_warp=lw)
        r += coop.warp.inclusive_scan(v, dev_max, initial_value=1, warp_aggregate=agg, threads_in_warp=lw)
        d_out[tid] = r + agg[0]

    return k


@pytest.mark.parametrize("lw", [32, 16, 8])
def test_warp_primitives_every_form_per_logical_warp_size(lw):
    src = build(_warp_kernel(lw), (I32, I32, types.int32)).shim_source
    cls = classes(src)
    for alg in coop.WarpLoadAlgorithm:
        assert f"::cub::WarpLoad<::cuda::std::int32_t, 4, ::cub::WarpLoadAlgorithm::WARP_LOAD_{alg.name}, {lw}>" in cls
    for alg in coop.WarpStoreAlgorithm:
        assert f"::cub::WarpStore<::cuda::std::int32_t, 4, ::cub::WarpStoreAlgorithm::WARP_STORE_{alg.name}, {lw}>" in cls
    assert f"::cub::WarpExchange<::cuda::std::int32_t, 4, {lw}, ::cub::WarpExchangeAlgorithm::WARP_EXCHANGE_SMEM>" in cls
    assert f"::cub::WarpReduce<::cuda::std::int32_t, {lw}>" in cls and f"::cub::WarpScan<::cuda::std::int32_t, {lw}>" in cls
    made = shim_calls(src)
    assert [c for c in made if c[0] in ("StripedToBlocked", "BlockedToStriped", "ScatterToStriped")] == [
        ("BlockedToStriped", 2, "array"), ("ScatterToStriped", 3, "array"), ("StripedToBlocked", 2, "array")]
    assert [c for c in made if c[0] in ("Sum", "Reduce")] == [
        ("Reduce", 2, "scalar"), ("Reduce", 3, "scalar"),  # + valid_items
        ("Sum", 1, "array"), ("Sum", 1, "scalar"), ("Sum", 2, "scalar")]
    # (input, output [, initial_value] [, scan_op] [, valid_items] [, warp_aggregate]); partial tiles call *Partial
    assert [(m, n) for m, n, _ in made if "Scan" in m or m.endswith("Sum") and m != "Sum"] == [
        ("ExclusiveScan", 4), ("ExclusiveScan", 5), ("ExclusiveScanPartial", 5), ("ExclusiveScanPartial", 6),
        ("ExclusiveSum", 2), ("ExclusiveSum", 3), ("InclusiveScan", 4), ("InclusiveScan", 5),
        ("InclusiveScanPartial", 4), ("InclusiveScanPartial", 5), ("InclusiveSum", 3)]


# --------------------------------------------------------------------------- two-phase, TempStorage, records, shapes

T, IPT = 128, 4


def _two_phase_objects():
    return {
        "load": coop.block.load(np.int32, T, IPT, algorithm="warp_transpose"),
        "store": coop.block.store(np.int32, T, IPT, "transpose"),
        "exchange": coop.block.exchange(np.int32, T, IPT, "scatter_to_striped"),
        "scan": coop.block.scan(np.int32, T, IPT, mode="inclusive", scan_op="max"),
        "exclusive_sum": coop.block.exclusive_sum(np.int32, T, IPT),
        "inclusive_sum": coop.block.inclusive_sum(np.int32, T, IPT, algorithm="warp_scans"),
        "exclusive_scan": coop.block.exclusive_scan(np.int32, T, dev_max, initial_value=0, items_per_thread=IPT),
        "inclusive_scan": coop.block.inclusive_scan(np.int32, T, "min", items_per_thread=IPT),
        "reduce": coop.block.reduce(np.int32, T, "max", IPT),
        "sum": coop.block.sum(np.int32, threads_per_block=T),
        "warp_load": coop.warp.load(np.int32, IPT),
        "warp_store": coop.warp.store(np.int32, IPT, 16, "striped"),
        "warp_exchange": coop.warp.exchange(np.int32, IPT, 32, "blocked_to_striped"),
        "warp_reduce": coop.warp.reduce(np.int32, "min"),
        "warp_sum": coop.warp.sum(np.int32, 16),
        "warp_exclusive_sum": coop.warp.exclusive_sum(np.int32),
        "warp_inclusive_sum": coop.warp.inclusive_sum(np.int32, 8),
        "warp_exclusive_scan": coop.warp.exclusive_scan(np.int32, "max"),
        "warp_inclusive_scan": coop.warp.inclusive_scan(np.int32, dev_max),
    }


@pytest.fixture(scope="module")
def two_phase():
    """Host objects of every primitive, their TempStorage layouts measured in one NVRTC call."""
    objs = _two_phase_objects()
    cb.temp_storage_layouts(list(objs.values()))
    return objs


def test_two_phase_every_primitive_called_in_a_kernel(two_phase):
    p = two_phase
    load, store, exchange, scan = p["load"], p["store"], p["exchange"], p["scan"]
    exclusive_sum, inclusive_sum, exclusive_scan, inclusive_scan = (
        p["exclusive_sum"], p["inclusive_sum"], p["exclusive_scan"], p["inclusive_scan"])
    reduce, block_sum = p["reduce"], p["sum"]
    warp_load, warp_store, warp_exchange = p["warp_load"], p["warp_store"], p["warp_exchange"]
    warp_reduce, warp_sum = p["warp_reduce"], p["warp_sum"]
    warp_exclusive_sum, warp_inclusive_sum = p["warp_exclusive_sum"], p["warp_inclusive_sum"]
    warp_exclusive_scan, warp_inclusive_scan = p["warp_exclusive_scan"], p["warp_inclusive_scan"]

    def k(d_in, d_out):
        tid = cuda.threadIdx.x
        items = cuda.local.array(IPT, numba.int32)  # a plain array: the host fixed items per thread
        out = coop.local.array(IPT, np.int32)
        ranks = coop.local.array(IPT, np.int32)
        agg = coop.local.array(1, np.int32)
        for i in range(IPT):
            ranks[i] = tid * IPT + i
        load(d_in, items)
        exchange(items, out, ranks=ranks)
        scan(items, out)
        exclusive_sum(items, out, block_aggregate=agg)
        inclusive_sum(out)
        exclusive_scan(items, out)
        inclusive_scan(items, out, block_aggregate=agg)
        store(d_out, out)
        r = reduce(items) + block_sum(d_in[tid])
        off = (tid // 32) * 32 * IPT
        warp_load(d_in[off:], items)
        warp_exchange(items, out)
        warp_store(d_out[(tid // 16) * 16 * IPT:], out)
        v = d_in[tid]
        r += warp_reduce(v) + warp_sum(v, valid_items=5) + warp_exclusive_sum(v) + warp_inclusive_sum(v)
        r += warp_exclusive_scan(v, warp_aggregate=agg) + warp_inclusive_scan(v)
        d_out[tid] = r + agg[0]

    src = build(k).shim_source
    assert {obj.cxx for obj in p.values()} <= classes(src)  # each object is the CUB class the kernel uses
    assert [c for c in shim_calls(src) if c[0] not in ("Load", "Store")] == [
        ("BlockedToStriped", 2, "array"),  # warp_exchange
        ("ExclusiveScan", 4, "array"),  # exclusive_scan: dev_max and initial_value=0 fixed on the host
        ("ExclusiveScan", 5, "scalar"),  # warp_exclusive_scan "max" (its identity) + warp_aggregate
        ("ExclusiveSum", 2, "scalar"), ("ExclusiveSum", 3, "array"),  # + block_aggregate
        ("InclusiveScan", 3, "array"),  # scan(mode="inclusive", scan_op="max")
        ("InclusiveScan", 3, "scalar"),  # warp_inclusive_scan
        ("InclusiveScan", 4, "array"),  # inclusive_scan "min" + block_aggregate
        ("InclusiveSum", 2, "array"), ("InclusiveSum", 2, "scalar"),
        ("Reduce", 2, "array"), ("Reduce", 2, "scalar"),
        ("ScatterToStriped", 3, "array"),
        ("Sum", 1, "scalar"), ("Sum", 2, "scalar")]  # block_sum; warp_sum + valid_items


def test_explicit_temp_storage_accepted_by_every_primitive(two_phase):
    # one buffer for everything: warp primitives need one TempStorage per logical warp (at most T // 8 here)
    nbytes = max(o.temp_storage_bytes * (T // 8 if o.prim.scope == "warp" else 1) for o in two_phase.values())
    align = max(o.temp_storage_alignment for o in two_phase.values())
    p = two_phase
    tp_scan, tp_warp_sum = p["scan"], p["warp_sum"]

    def k(d_in, d_out):
        tid = cuda.threadIdx.x
        temp = coop.TempStorage(nbytes, align)
        items = coop.local.array(IPT, d_in.dtype)
        out = coop.local.array(IPT, d_in.dtype)
        ranks = coop.local.array(IPT, np.int32)
        for i in range(IPT):
            ranks[i] = tid * IPT + i
        coop.block.load(d_in, items, algorithm="warp_transpose", temp_storage=temp)
        coop.block.exchange(items, out, "scatter_to_striped", ranks=ranks, temp_storage=temp)
        coop.block.scan(items, out, mode="inclusive", scan_op="max", temp_storage=temp)
        coop.block.exclusive_sum(items, out, temp_storage=temp)
        coop.block.inclusive_sum(items, out, algorithm="warp_scans", temp_storage=temp)
        coop.block.exclusive_scan(items, out, dev_max, initial_value=0, temp_storage=temp)
        coop.block.inclusive_scan(items, out, "min", temp_storage=temp)
        coop.block.store(d_out, out, algorithm="transpose", temp_storage=temp)
        r = coop.block.reduce(items, "max", temp_storage=temp) + coop.block.sum(d_in[tid], temp_storage=temp)
        off = (tid // 32) * 32 * IPT
        coop.warp.load(d_in[off:], items, temp_storage=temp)
        coop.warp.exchange(items, out, "blocked_to_striped", temp_storage=temp)
        coop.warp.store(d_out[(tid // 16) * 16 * IPT:], out, algorithm="striped", threads_in_warp=16,
                        temp_storage=temp)
        v = d_in[tid]
        r += coop.warp.reduce(v, "min", temp_storage=temp) + coop.warp.sum(v, threads_in_warp=16, temp_storage=temp)
        r += coop.warp.exclusive_sum(v, temp_storage=temp) + coop.warp.inclusive_sum(v, threads_in_warp=8,
                                                                                      temp_storage=temp)
        r += coop.warp.exclusive_scan(v, "max", temp_storage=temp) + coop.warp.inclusive_scan(v, dev_max,
                                                                                               temp_storage=temp)
        tp_scan(items, out, temp_storage=temp)  # two-phase objects take it too
        r += tp_warp_sum(v, temp_storage=temp)
        d_out[tid] = r

    src = build(k).shim_source
    assert {o.cxx for o in p.values()} <= classes(src)
    assert len(shim_calls(src)) == 19
    # every call placed CUB's TempStorage in the caller's buffer
    assert src.count("C __obj(static_cast<typename C::TempStorage*>(__self)[__index]);") == 19


pair = np.dtype([("lo", np.int32), ("hi", np.int32)], align=True)
PAIRS = types.Array(numba.from_dtype(pair), 1, "C")


@cuda.jit(device=True)
def pair_max(a, b):  # lexicographic max of a Numba record
    return a if (a.hi > b.hi or (a.hi == b.hi and a.lo >= b.lo)) else b


def k_record(d_in, d_out):
    tid = cuda.threadIdx.x
    x = d_in[tid]
    items = coop.local.array(2, d_in.dtype)
    coop.block.load(d_in, items)
    d_out[tid] = coop.block.scan(x, mode="inclusive", scan_op=pair_max)
    d_out[tid] = coop.block.exclusive_scan(x, scan_op=pair_max, initial_value=d_in[0])
    coop.block.inclusive_scan(items, items, pair_max)
    coop.block.exclusive_scan(items, items, pair_max, initial_value=d_in[0])
    r = coop.block.reduce(x, pair_max)
    r2 = coop.block.reduce(items, pair_max)
    coop.block.store(d_out, items)
    if tid == 0:
        d_out[0] = r
        d_out[1] = r2


def test_user_defined_record_type_with_device_function_operator():
    src = build(k_record, (PAIRS, PAIRS)).shim_source
    rec = re.search(r"struct alignas\(4\) (cub_coop_rec_\w+) \{\s*::cuda::std::int32_t lo;\s*::cuda::std::int32_t hi;",
                    src).group(1)  # the record, mirrored as a C++ struct
    cls = classes(src)
    assert f"::cub::BlockScan<{rec}, 128, ::cub::BlockScanAlgorithm::BLOCK_SCAN_RAKING, 1, 1>" in cls
    assert f"::cub::BlockReduce<{rec}, 128, ::cub::BlockReduceAlgorithm::BLOCK_REDUCE_WARP_REDUCTIONS, 1, 1>" in cls
    assert [c for c in shim_calls(src) if c[0] not in ("Load", "Store")] == [
        ("ExclusiveScan", 4, "array"), ("ExclusiveScan", 4, "scalar"), ("InclusiveScan", 3, "array"),
        ("InclusiveScan", 3, "scalar"), ("Reduce", 2, "array"), ("Reduce", 2, "scalar")]
    assert re.search(r"auto __op_scan_op = cub_coop_op_pair_max_\d+_t\{\};", src)


def k_shapes(d_in, d_out):
    items = coop.local.array(2, d_in.dtype)
    coop.block.load(d_in, items, algorithm="warp_transpose")
    coop.block.exchange(items, block_exchange_type="blocked_to_striped")
    coop.block.inclusive_sum(items, items)
    s = coop.block.reduce(items, "max")
    coop.block.store(d_out, items)
    w = coop.warp.sum(items[0])
    if cuda.threadIdx.x == 0:
        d_out[0] = s + w


@pytest.mark.parametrize("dims", [(16, 8), (8, 4, 4)])
def test_2d_and_3d_block_shapes(dims):
    x, y, z = (dims + (1,))[:3]
    src = build(k_shapes, block=dims).shim_source
    cls = classes(src)
    assert f"::cub::BlockLoad<::cuda::std::int32_t, {x}, 2, ::cub::BlockLoadAlgorithm::BLOCK_LOAD_WARP_TRANSPOSE, {y}, {z}>" in cls
    assert f"::cub::BlockExchange<::cuda::std::int32_t, {x}, 2, false, {y}, {z}>" in cls
    assert f"::cub::BlockScan<::cuda::std::int32_t, {x}, ::cub::BlockScanAlgorithm::BLOCK_SCAN_RAKING, {y}, {z}>" in cls
    assert f"::cub::BlockReduce<::cuda::std::int32_t, {x}, ::cub::BlockReduceAlgorithm::BLOCK_REDUCE_WARP_REDUCTIONS, {y}, {z}>" in cls
    assert re.search(r"TempStorage o\d+\[4\];", src)  # the warp sum: one TempStorage per warp of the 128-thread block


@cuda.jit(device=True)
def dev_block_sum(x):
    return coop.block.sum(x)


def k_calls_device_function(d_in, d_out):
    s = dev_block_sum(d_in[cuda.threadIdx.x])
    if cuda.threadIdx.x == 0:
        d_out[0] = s


def test_device_function_calling_a_block_primitive_follows_the_block_shape():
    for tpb in (128, 256, 128):
        src = build(k_calls_device_function, block=tpb).shim_source
        reduces = {c for c in classes(src) if c.startswith("::cub::BlockReduce<")}
        expected = f"::cub::BlockReduce<::cuda::std::int32_t, {tpb}, ::cub::BlockReduceAlgorithm::BLOCK_REDUCE_WARP_REDUCTIONS, 1, 1>"
        assert reduces == {expected}, tpb


# =========================================================================== 2. inference


def k_infer(d_in, d_out, f_in, n):
    a = coop.local.array(3, d_in.dtype)  # dtype from an array, items per thread from the length
    coop.block.load(d_in, a)
    td = coop.ThreadData(5)  # dtype from its first use, items per thread from ThreadData
    coop.block.load(f_in, td)
    coop.block.exclusive_sum(td, td)
    b = cuda.local.array(6, numba.float64)  # a plain array: explicit items_per_thread
    coop.block.load(d_in, b, items_per_thread=6)
    c = coop.local.array(n, d_in.dtype)  # a kernel argument typed as a literal
    coop.block.load(d_in, c)
    coop.block.store(d_out, c)
    d_out[0] = a[0] + td[0] + len(td) + b[0]


def test_dtype_and_items_per_thread_inference():
    src = build(k_infer, (F64, F64, F32, types.literal(7))).shim_source
    loads = {c for c in classes(src) if c.startswith("::cub::BlockLoad<")}
    direct = "::cub::BlockLoadAlgorithm::BLOCK_LOAD_DIRECT, 1, 1>"
    assert loads == {f"::cub::BlockLoad<double, 128, 3, {direct}", f"::cub::BlockLoad<float, 128, 5, {direct}",
                     f"::cub::BlockLoad<double, 128, 6, {direct}", f"::cub::BlockLoad<double, 128, 7, {direct}"}
    assert "::cub::BlockScan<float, 128, ::cub::BlockScanAlgorithm::BLOCK_SCAN_RAKING, 1, 1>" in classes(src)
    assert "::cub::BlockStore<double, 128, 7, ::cub::BlockStoreAlgorithm::BLOCK_STORE_DIRECT, 1, 1>" in classes(src)


def k_explicit_shape(d_in, d_out):
    # each call states its own block shape (mixed here only to show each is honoured)
    items = coop.local.array(2, d_in.dtype)
    coop.block.load(d_in, items, threads_per_block=(16, 8))
    coop.block.inclusive_sum(items, items, threads_per_block=(16, 8))
    s = coop.block.sum(d_in[cuda.threadIdx.x], threads_per_block=256)
    coop.block.store(d_out, items, threads_per_block=128)
    d_out[0] = s


def test_block_shape_from_threads_per_block_without_a_launch():
    src = build(k_explicit_shape, block=None).shim_source
    cls = classes(src)
    assert "::cub::BlockLoad<::cuda::std::int32_t, 16, 2, ::cub::BlockLoadAlgorithm::BLOCK_LOAD_DIRECT, 8, 1>" in cls
    assert "::cub::BlockScan<::cuda::std::int32_t, 16, ::cub::BlockScanAlgorithm::BLOCK_SCAN_RAKING, 8, 1>" in cls
    assert "::cub::BlockReduce<::cuda::std::int32_t, 256, ::cub::BlockReduceAlgorithm::BLOCK_REDUCE_WARP_REDUCTIONS, 1, 1>" in cls
    assert "::cub::BlockStore<::cuda::std::int32_t, 128, 2, ::cub::BlockStoreAlgorithm::BLOCK_STORE_DIRECT, 1, 1>" in cls


def k_warp_only(d_in, d_out):
    d_out[cuda.threadIdx.x] = coop.warp.sum(d_in[cuda.threadIdx.x])


def test_warp_primitives_need_no_block_shape():
    # without a block shape, one TempStorage per warp of the largest block (1024 threads)
    assert re.search(r"TempStorage o\d+\[32\];", build(k_warp_only, block=None).shim_source)
    assert re.search(r"TempStorage o\d+\[2\];", build(k_warp_only, block=64).shim_source)


def test_launch_shape_is_scoped():
    with coop.launch_shape(block=(16, 8)):
        assert coop._launch.current_block_dims() == ((16, 8, 1), "coop.launch_shape(block=(16, 8, 1))")
        with coop.launch_shape(block=64):
            assert coop._launch.current_block_dims()[0] == (64, 1, 1)
        assert coop._launch.current_block_dims()[0] == (16, 8, 1)
    assert coop._launch.current_block_dims() is None
    with pytest.raises(ValueError, match="1 to 3 positive integers"), coop.launch_shape(block=(4, 0)):
        pass


# --------------------------------------------------------------------------- host two-phase objects


def test_two_phase_temp_storage_matches_cub_bindings_layouts():
    pairs = [
        (coop.block.scan(np.int32, 128, 4), cb.BlockScan(np.int32, 128)),
        (coop.block.scan(np.int32, 128, algorithm="warp_scans"), cb.BlockScan(np.int32, 128, cb.BLOCK_SCAN_WARP_SCANS)),
        (coop.block.load(np.float64, 128, 4, "warp_transpose"),
         cb.BlockLoad(np.float64, 128, 4, cb.BLOCK_LOAD_WARP_TRANSPOSE)),
        (coop.block.store(np.int16, 64, 3, coop.BlockStoreAlgorithm.TRANSPOSE),
         cb.BlockStore(np.int16, 64, 3, cb.BLOCK_STORE_TRANSPOSE)),
        (coop.block.exchange(np.int32, (16, 8), 2), cb.BlockExchange(np.int32, 16, 2, BlockDimY=8)),
        (coop.block.exchange(np.int32, 128, 4, warp_time_slicing=True), cb.BlockExchange(np.int32, 128, 4, True)),
        (coop.block.reduce(np.float32, 256, "+"), cb.BlockReduce(np.float32, 256)),
        (coop.block.sum(np.int64, (8, 4, 4), algorithm="raking"),
         cb.BlockReduce(np.int64, 8, cb.BLOCK_REDUCE_RAKING, BlockDimY=4, BlockDimZ=4)),
        (coop.warp.sum(np.int32, 16), cb.WarpReduce(np.int32, 16)),
        (coop.warp.exclusive_scan(np.float64, "max", threads_in_warp=8), cb.WarpScan(np.float64, 8)),
        (coop.warp.exchange(np.int32, 4), cb.WarpExchange(np.int32, 4)),
    ]
    layouts = cb.temp_storage_layouts([o for pair in pairs for o in pair])  # one NVRTC call
    for ours, theirs in pairs:
        nbytes, align = ours.temp_storage_bytes, ours.temp_storage_alignment
        assert type(nbytes) is int and type(align) is int and nbytes > 0 and align > 0 and align & (align - 1) == 0
        assert (nbytes, align) == layouts[theirs.cxx], (ours, theirs.cxx)
        assert ours.files == []


def test_two_phase_cxx_spelling_and_repr():
    scan = coop.block.scan(np.int32, 128, 4, mode="inclusive", scan_op="max", algorithm="warp_scans")
    assert scan.cxx == "::cub::BlockScan<::cuda::std::int32_t, 128, ::cub::BlockScanAlgorithm::BLOCK_SCAN_WARP_SCANS, 1, 1>"
    assert repr(scan).startswith("<coop.block.scan(int32, ") and scan.cxx in repr(scan)
    load = coop.block.load(dtype=np.float32, threads_per_block=(16, 8), items_per_thread=4,
                           algorithm=coop.BlockLoadAlgorithm.VECTORIZE)
    assert load.cxx == "::cub::BlockLoad<float, 16, 4, ::cub::BlockLoadAlgorithm::BLOCK_LOAD_VECTORIZE, 8, 1>"
    assert coop.block.exchange(np.uint8, 64, 2, warp_time_slicing=True).cxx == \
        "::cub::BlockExchange<::cuda::std::uint8_t, 64, 2, true, 1, 1>"
    assert coop.warp.load(np.int32, 4, 16, "transpose").cxx == \
        "::cub::WarpLoad<::cuda::std::int32_t, 4, ::cub::WarpLoadAlgorithm::WARP_LOAD_TRANSPOSE, 16>"
    assert coop.warp.exchange(np.int32, 4, 4, algorithm="shuffle").cxx == \
        "::cub::WarpExchange<::cuda::std::int32_t, 4, 4, ::cub::WarpExchangeAlgorithm::WARP_EXCHANGE_SHUFFLE>"
    assert coop.warp.inclusive_sum(np.float64).cxx == "::cub::WarpScan<double, 32>"
    assert coop.block.sum(np.int32, 128).files == [] and coop.warp.sum(np.int32).files == []


@pytest.mark.parametrize("make, error, message", [
    (lambda: coop.block.scan("not-a-dtype", 128), TypeError, "dtype must be a NumPy/Numba scalar or record dtype"),
    (lambda: coop.block.scan(np.complex64, 128), TypeError, "complex64 is not supported"),
    (lambda: coop.block.load(np.int32, 128, 4, algorithm="nope"), ValueError,
     "algorithm='nope' is not a BlockLoadAlgorithm\n  valid: BlockLoadAlgorithm.DIRECT"),
    (lambda: coop.block.reduce(np.int32, 128, "max", algorithm="warp_scans"), ValueError,
     "is not a BlockReduceAlgorithm\n  valid:"),
    (lambda: coop.block.scan(np.int32, 128, 4, bogus=1), TypeError,
     "coop.block.scan (two-phase constructor): argument `bogus`: unknown keyword\n  valid: dtype, threads_per_block"),
    (lambda: coop.block.scan(np.int32, 128, 4, mode="sideways"), ValueError, "mode='sideways'\n  valid: 'exclusive'"),
    (lambda: coop.block.reduce(np.int32, 128, "nope"), ValueError, "unknown operator 'nope'; valid:"),
    (lambda: coop.block.reduce(np.int32, 128), TypeError, "missing argument 'binary_op'"),
    (lambda: coop.block.scan(np.int32, 128, 0), ValueError, "argument `items_per_thread`: must be a positive int, got 0"),
    (lambda: coop.block.scan(np.int32, (128, 0)), ValueError, "a block shape is 1 to 3 positive integers"),
    (lambda: coop.block.scan(np.int32, 128, 4, 0, "exclusive", "+", "raking", None, 5), TypeError,
     "takes at most 8 positional arguments"),
    (lambda: coop.block.scan(np.int32, 128, block_prefix_callback_op=running_total), TypeError,
     "argument `block_prefix_callback_op`: on the host this takes coop.StatefulFunction"),
    (lambda: coop.warp.sum(np.int32, threads_in_warp=0), ValueError, "argument `threads_in_warp`: must be a positive int"),
], ids=["dtype", "unsupported-dtype", "algorithm", "algorithm-of-another-primitive", "keyword", "mode", "operator",
        "missing-operator", "items-per-thread", "block-shape", "too-many-positional", "host-callback", "warp-size"])
def test_two_phase_constructor_errors(make, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make()


def test_two_phase_constructor_without_block_shape_is_a_clear_error():
    with pytest.raises(TypeError, match="threads_per_block"):
        coop.block.scan(np.int32)


def test_two_phase_warp_constructor_rejects_a_block_sized_logical_warp():
    with pytest.raises((TypeError, ValueError), match="threads_in_warp"):
        coop.warp.sum(np.int32, threads_in_warp=64)


def test_kernel_only_functions_raise_on_the_host():
    with pytest.raises(RuntimeError, match="only be called inside a CUDA kernel"):
        coop.local.array(4, np.int32)
    with pytest.raises(RuntimeError, match="only be called inside a CUDA kernel"):
        coop.shared.array(4, np.int32)
    with pytest.raises(RuntimeError, match="only be called inside a CUDA kernel"):
        coop.TempStorage(64)
    with pytest.raises(RuntimeError, match="only be called inside a CUDA kernel"):
        coop.ThreadData(4)


# =========================================================================== 3. error catalogue



def check_message(msg, kernel, primitive, arg, valid=None):
    """One message: primitive, argument, the kernel's source line, what would be valid; no Numba noise."""
    assert msg.startswith(f"{primitive}: argument `{arg}`: "), msg
    assert f'test_coop_cpu.py", line {line_of(kernel)}' in msg, msg
    if valid is not None:
        assert "\n  valid: " in msg and valid in msg.split("\n  valid: ", 1)[1], msg
    for noise in ("No implementation of function", "Invalid use of", "During: resolving callee type"):
        assert noise not in msg, msg


def e_dtype_mismatch(d_in, d_out):
    items = coop.local.array(4, np.float32)
    coop.block.load(d_in, items)  # <- error


def e_ipt_disagree(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    out = coop.local.array(8, d_in.dtype)
    coop.block.scan(items, out)  # <- error


def e_ipt_explicit_disagrees(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items, items_per_thread=8)  # <- error


def e_ipt_unknown(d_in, d_out):
    items = cuda.local.array(4, numba.int32)
    coop.block.load(d_in, items)  # <- error


def e_algorithm(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items, algorithm="nope")  # <- error


def e_algorithm_of_another_primitive(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.scan(items, items, algorithm=coop.BlockReduceAlgorithm.RAKING)  # <- error


def e_ranks_length(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    ranks = coop.local.array(3, np.int32)
    coop.block.exchange(items, block_exchange_type="scatter_to_blocked", ranks=ranks)  # <- error


def e_aggregate_wrong_dtype(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    agg = coop.local.array(4, np.float32)
    coop.block.exclusive_sum(items, items, block_aggregate=agg)  # <- error


def e_temp_storage_small(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    temp = coop.TempStorage(16, 16)
    coop.block.scan(items, items, temp_storage=temp)  # <- error


def e_temp_storage_misaligned(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    temp = coop.TempStorage(4096, 2)
    coop.block.scan(items, items, temp_storage=temp)  # <- error


def e_temp_storage_not_temp_storage(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    temp = coop.shared.array(4096, np.uint8)
    coop.block.scan(items, items, temp_storage=temp)  # <- error


def e_warp_size(d_in, d_out):
    v = coop.warp.sum(d_in[cuda.threadIdx.x], threads_in_warp=64)  # <- error
    d_out[0] = v


def e_warp_size_not_power_of_two(d_in, d_out):
    d_out[0] = coop.warp.reduce(d_in[cuda.threadIdx.x], "max", threads_in_warp=12)  # <- error


def e_unknown_keyword(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.scan(items, items, scan_operator="max")  # <- error


def e_no_block_shape(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.exclusive_sum(items, items)  # <- error


def e_scalar_scan_with_dst(d_in, d_out):
    out = coop.local.array(1, d_in.dtype)
    coop.block.scan(d_in[cuda.threadIdx.x], out)  # <- error


def e_scalar_scan_with_unsized_dst(d_in, d_out):
    out = cuda.local.array(1, numba.int32)
    coop.block.inclusive_sum(d_in[cuda.threadIdx.x], out)  # <- error


def e_exclusive_scan_device_op_no_initial(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.exclusive_scan(items, items, dev_max)  # <- error


def e_warp_exclusive_scan_device_op_no_initial(d_in, d_out):
    d_out[0] = coop.warp.exclusive_scan(d_in[cuda.threadIdx.x], dev_max)  # <- error


def e_oob_default_without_num_valid(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items, oob_default=0)  # <- error


def e_warp_oob_default_without_num_valid(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.warp.load(d_in, items, oob_default=0)  # <- error


def e_scatter_without_ranks(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.exchange(items, block_exchange_type=coop.BlockExchangeType.ScatterToStriped)  # <- error


def e_warp_scatter_without_ranks(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.warp.exchange(items, warp_exchange_type="scatter_to_striped")  # <- error


def e_flagged_without_flags(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    ranks = coop.local.array(4, np.int32)
    coop.block.exchange(items, block_exchange_type="scatter_to_striped_flagged", ranks=ranks)  # <- error


def e_ranks_not_taken(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    ranks = coop.local.array(4, np.int32)
    coop.block.exchange(items, block_exchange_type="striped_to_blocked", ranks=ranks)  # <- error


def e_thread_data_dtype_unknown(d_in, d_out):
    td = coop.ThreadData(4)
    coop.block.scan(td, td)  # <- error


def e_thread_data_two_dtypes(d_in, d_out):
    td = coop.ThreadData(4)
    coop.block.load(d_in, td)
    f = coop.local.array(4, np.float32)
    coop.block.scan(td, f)  # <- error


TP_SCAN = coop.block.scan(np.int32, 128, 4, algorithm="warp_scans")


def e_two_phase_regiven(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    TP_SCAN(items, items, algorithm="raking")  # <- error


def e_two_phase_dtype(d_in, d_out):
    items = coop.local.array(4, np.float32)
    TP_SCAN(items, items)  # <- error


def e_two_phase_ipt_regiven(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    TP_SCAN(items, items, items_per_thread=4)  # <- error


def e_scan_callback_and_aggregate(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    state = coop.local.array(1, d_in.dtype)
    agg = coop.local.array(1, d_in.dtype)
    coop.block.exclusive_sum(items, items, block_prefix_callback_op=coop.StatefulOp(running_total, state),  # <- error
                             block_aggregate=agg)


def e_callback_not_stateful(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.exclusive_sum(items, items, block_prefix_callback_op="+")  # <- error


def e_bad_operator(d_in, d_out):
    d_out[0] = coop.block.reduce(d_in[cuda.threadIdx.x], "nope")  # <- error


def e_stateful_as_binary_op(d_in, d_out):
    state = coop.local.array(1, d_in.dtype)
    d_out[0] = coop.block.reduce(d_in[cuda.threadIdx.x], coop.StatefulOp(running_total, state))  # <- error


def e_num_valid_with_array(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    d_out[0] = coop.block.sum(items, num_valid=3)  # <- error


def e_warp_scan_of_array(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.warp.inclusive_sum(items)  # <- error


def e_scalar_inclusive_with_initial(d_in, d_out):
    d_out[0] = coop.block.inclusive_scan(d_in[cuda.threadIdx.x], scan_op="+", initial_value=1)  # <- error


def e_no_identity(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.exclusive_scan(items, items, "and")  # <- error


def e_missing_required(d_in, d_out):
    coop.block.load(d_in)  # <- error


def e_iterator_not_array(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in[0], items)  # <- error


def e_items_2d(d_in, d_out):
    items = cuda.local.array((2, 4), numba.int32)
    coop.block.scan(items, items, items_per_thread=4)  # <- error


def e_mode(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.scan(items, items, mode="sideways")  # <- error


def e_time_slicing_not_constant(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.exchange(items, warp_time_slicing=d_in[0] > 0)  # <- error


def e_given_twice(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items, src=d_in)  # <- error


def e_warp_aggregate_wrong_dtype(d_in, d_out):
    agg = coop.local.array(1, np.float64)
    d_out[0] = coop.warp.exclusive_sum(d_in[cuda.threadIdx.x], warp_aggregate=agg)  # <- error


ERRORS = [
    # kernel, primitive, argument, message (regex), valid (substring or None), block shape
    (e_dtype_mismatch, "coop.block.load", "src", "mismatched dtypes: an array of int32, but the items are float32",
     "an array of float32", 128),
    (e_ipt_disagree, "coop.block.scan", "src", r"items per thread disagree \(src: 4, dst: 8\)",
     "arrays of the same length", 128),
    (e_ipt_explicit_disagrees, "coop.block.load", "items_per_thread", "items_per_thread=8, but `dst` holds 4 items",
     "items_per_thread=4, or omit it", 128),
    (e_ipt_unknown, "coop.block.load", "dst", "items per thread cannot be inferred", "pass items_per_thread=n", 128),
    (e_algorithm, "coop.block.load", "algorithm", "'nope' is not a BlockLoadAlgorithm", '"warp_transpose"', 128),
    (e_algorithm_of_another_primitive, "coop.block.scan", "algorithm", "is not a BlockScanAlgorithm",
     "BlockScanAlgorithm.WARP_SCANS", 128),
    (e_ranks_length, "coop.block.exchange", "ranks", "holds 3 items, but items per thread is 4", "an array of 4 items",
     128),
    (e_aggregate_wrong_dtype, "coop.block.exclusive_sum", "block_aggregate", "must be a 1-D array of int32", None, 128),
    (e_temp_storage_small, "coop.block.scan", "temp_storage", "16 bytes is too small: .*BlockScan.* needs \\d+ bytes",
     "coop.TempStorage(", 128),
    (e_temp_storage_misaligned, "coop.block.scan", "temp_storage", "alignment 2 is too small: .*BlockScan.* needs 16",
     "coop.TempStorage(4096, 16)", 128),
    (e_temp_storage_not_temp_storage, "coop.block.scan", "temp_storage", "must be a coop.TempStorage", None, 128),
    (e_warp_size, "coop.warp.sum", "threads_in_warp", "64 threads is not a logical warp size",
     "a power of two from 1 to 32", 128),
    (e_warp_size_not_power_of_two, "coop.warp.reduce", "threads_in_warp", "12 threads is not a logical warp size",
     "a power of two from 1 to 32", 128),
    (e_unknown_keyword, "coop.block.scan", "scan_operator", "unknown keyword", "scan_op", 128),
    (e_no_block_shape, "coop.block.exclusive_sum", "threads_per_block", "the block shape is not known",
     "coop.launch_shape(block=...)", None),
    (e_scalar_scan_with_dst, "coop.block.scan", "dst", "an array of 1 items, but the input is a scalar",
     "omit it to get the result returned", 128),
    (e_scalar_scan_with_unsized_dst, "coop.block.inclusive_sum", "dst", "a scan of one item per thread returns its result",
     "omit dst", 128),
    (e_exclusive_scan_device_op_no_initial, "coop.block.exclusive_scan", "initial_value",
     "a device-function operator needs initial_value", None, 128),
    (e_warp_exclusive_scan_device_op_no_initial, "coop.warp.exclusive_scan", "initial_value",
     "a device-function operator needs initial_value", None, 128),
    (e_oob_default_without_num_valid, "coop.block.load", "oob_default", "is only used with valid_items", None, 128),
    (e_warp_oob_default_without_num_valid, "coop.warp.load", "oob_default", "is only used with valid_items", None,
     128),
    (e_scatter_without_ranks, "coop.block.exchange", "ranks", "scatters by rank: ranks is required", "an int array",
     128),
    (e_warp_scatter_without_ranks, "coop.warp.exchange", "ranks", "scatters by rank: ranks is required",
     "an int array", 128),
    (e_flagged_without_flags, "coop.block.exchange", "valid_flags", "ScatterToStripedFlagged needs valid_flags", None,
     128),
    (e_ranks_not_taken, "coop.block.exchange", "ranks", "does not take ranks", "a Scatter* block_exchange_type", 128),
    (e_thread_data_dtype_unknown, "coop.block.scan", "src", "the dtype of this coop.ThreadData is not known yet",
     "pass dtype= to coop.ThreadData", 128),
    (e_thread_data_two_dtypes, "coop.block.scan", "dst", "mismatched dtypes: an array of float32, but the items are int32",
     "an array of int32", 128),
    (e_two_phase_regiven, "coop.block.scan", "algorithm", "is fixed by the two-phase constructor",
     "the single-phase form coop.block.scan(...)", 128),
    (e_two_phase_dtype, "coop.block.scan", "src", "mismatched dtypes: an array of float32, but the items are int32",
     "an array of int32", 128),
    (e_two_phase_ipt_regiven, "coop.block.scan", "items_per_thread", "is fixed by the two-phase constructor",
     "omit it here", 128),
    (e_scan_callback_and_aggregate, "coop.block.exclusive_sum", "block_aggregate",
     "no scan taking both a prefix callback and block_aggregate", "one of them", 128),
    (e_callback_not_stateful, "coop.block.exclusive_sum", "block_prefix_callback_op", "must be stateful",
     "coop.StatefulOp(device_fn, state_array)", 128),
    (e_bad_operator, "coop.block.reduce", "binary_op", "is not an operator", '"max"', 128),
    (e_stateful_as_binary_op, "coop.block.reduce", "binary_op", "a StatefulOp is a prefix callback", "a plain operator",
     128),
    (e_num_valid_with_array, "coop.block.sum", "valid_items", "takes valid_items only with one item per thread",
     "a scalar input", 128),
    (e_warp_scan_of_array, "coop.warp.inclusive_sum", "src", "warp scans take one item per lane", "a scalar", 128),
    (e_scalar_inclusive_with_initial, "coop.block.inclusive_scan", "initial_value",
     "inclusive scan of one item per thread takes no initial_value", "an array input", 128),
    (e_no_identity, "coop.block.exclusive_scan", "initial_value", "has no identity", None, 128),
    (e_missing_required, "coop.block.load", "dst", "is required", None, 128),
    (e_iterator_not_array, "coop.block.load", "src", "must be an array, got int32", None, 128),
    (e_items_2d, "coop.block.scan", "src", "must be 1-D, got 2-D", "a 1-D array", 128),
    (e_mode, "coop.block.scan", "mode", "'sideways' is not a valid choice", '"inclusive"', 128),
    (e_time_slicing_not_constant, "coop.block.exchange", "warp_time_slicing", "must be the constant True or False",
     None, 128),
    (e_given_twice, "coop.block.load", "src", "given twice", None, 128),
    (e_warp_aggregate_wrong_dtype, "coop.warp.exclusive_sum", "warp_aggregate", "must be a 1-D array of int32", None,
     128),
]


@pytest.mark.parametrize("kernel, primitive, arg, message, valid, block", ERRORS,
                         ids=[e[0].__name__[2:] for e in ERRORS])
def test_misuse_is_one_clear_coop_error(kernel, primitive, arg, message, valid, block):
    msg = compile_error(kernel, block=block)
    assert re.search(message, msg), msg
    check_message(msg, kernel, primitive, arg, valid)


def test_coop_error_is_a_type_error_and_not_a_numba_error():
    from numba.cuda.core.errors import NumbaError

    assert issubclass(coop.CoopError, TypeError) and not issubclass(coop.CoopError, NumbaError)


# =========================================================================== regressions (bugs found while writing these tests)


def k_aliases(d_in, d_out):
    tid = cuda.threadIdx.x
    items = coop.local.array(4, d_in.dtype)
    out = coop.local.array(4, d_in.dtype)
    state = coop.local.array(1, d_in.dtype)
    state[0] = 0
    coop.block.exchange(input_items=items, output_items=out, kind="blocked_to_striped")
    coop.block.exclusive_sum(items, out, prefix_op=coop.StatefulOp(running_total, state))
    s = coop.block.sum(d_in[tid], dim=128)
    s += coop.block.reduce(d_in[tid], op="max")
    s += coop.warp.sum(d_in[tid], logical_warp_threads=16)
    d_out[tid] = s + out[0]


def test_keyword_aliases_compile():
    src = build(k_aliases).shim_source
    assert calls(src, "BlockedToStriped") == 1 and calls(src, "Sum") == 2


def k_scalar_scan_positional_operator(d_in, d_out):
    x = d_in[cuda.threadIdx.x]
    d_out[0] = coop.block.exclusive_scan(x, dev_max, initial_value=0) + coop.block.inclusive_scan(x, "max")


def test_block_scalar_scan_takes_its_operator_positionally():
    src = build(k_scalar_scan_positional_operator).shim_source
    assert shim_calls(src) == [("ExclusiveScan", 4, "scalar"), ("InclusiveScan", 3, "scalar")]


def e_thread_data_written_before_its_dtype_is_known(d_in, d_out):
    td = coop.ThreadData(4)
    td[0] = d_in[0]
    coop.block.scan(td, td)


def test_thread_data_used_before_its_dtype_is_known_names_the_fix():
    # Numba reports it (a later typing pass could still learn the dtype), with coop's message inside
    with pytest.raises(Exception) as info:
        build(e_thread_data_written_before_its_dtype_is_known)
    msg = str(info.value)
    assert "coop.ThreadData made at" in msg and "its dtype is not known here; give dtype=" in msg
