"""CPU tier for the warp reductions and scans beyond reduce/sum and the single scans:
``coop.warp.max``/``min``, the head/tail segmented reductions, ``reduce_batched``/``sum_batched``
(CUB WarpReduceBatched), ``scan`` (both results, a tuple), ``broadcast``, and ``exchange``'s
SHUFFLE algorithm and ``offset_dtype``. Every overload family compiles and links to sm_90 for
every logical warp size; every misuse is one CoopError at the user's line.

Each kernel reaching NVRTC costs a shim compile, so one kernel packs every call per logical
warp size; error tests fail while typing, before NVRTC.
"""

import contextlib
import re

import numpy as np
import pytest
from numba import cuda, types

import coop
import cub_bindings as cb
from cub_bindings.inspect import build_kernel
from error_marks import MARK, line_of
from error_marks import compile_error as shared_compile_error

I32 = types.int32[::1]
ELF = b"\x7fELF"
_CALL = re.compile(r"__obj\.(\w+)\(([^;]*)\);")


def build(kernel, argtypes=(I32, I32, types.int32), block=128):
    shape = coop.launch_shape(block=block) if block is not None else contextlib.nullcontext()
    with shape:
        b = build_kernel(kernel, argtypes, cc=(9, 0))
    assert b.cubin[:4] == ELF
    return b


def calls(src):
    """(CUB method, number of arguments) of every shim, sorted (identical calls share one)."""
    return sorted((m, args.count(",") + 1) for m, args in _CALL.findall(src))


def classes(src):
    return set(re.findall(r"using C = (::cub::[^;]+);", src))


@cuda.jit(device=True)
def dev_max(a, b):
    return max(a, b)


# =========================================================================== every form, every logical warp size


def _kernel(lw):
    nb = lw + 3  # batches: more than the lanes, so results are an array per lane
    per = -(-nb // lw)
    few = lw if lw < 4 else 3  # at most one batch per lane: the result is returned

    def k(d_in, d_out, n):
        tid = cuda.threadIdx.x
        v = d_in[tid]
        items = coop.local.array(4, d_in.dtype)
        for i in range(4):
            items[i] = d_in[tid * 4 + i]
        # max / min: scalar, partial, array
        r = coop.warp.max(v, threads_in_warp=lw) + coop.warp.min(v, threads_in_warp=lw)
        r += coop.warp.max(v, valid_items=n, threads_in_warp=lw) + coop.warp.min(v, lw, n)
        r += coop.warp.max(items, threads_in_warp=lw) + coop.warp.min(items, warp_threads=lw)
        # segmented: flags of any integer or bool type
        r += coop.warp.head_segmented_reduce(v, tid % 3 == 0, "max", threads_in_warp=lw)
        r += coop.warp.tail_segmented_reduce(v, np.uint8(tid % 5), dev_max, threads_in_warp=lw)
        r += coop.warp.head_segmented_sum(v, head_flag=tid % 2, threads_in_warp=lw)
        r += coop.warp.tail_segmented_sum(v, flag=True, logical_warp_threads=lw)
        # scan: both results, a 2-tuple
        inc, exc = coop.warp.scan(v, threads_in_warp=lw)
        r += inc + exc
        inc, exc = coop.warp.scan(v, "max", valid_items=n, threads_in_warp=lw)
        r += inc + exc
        both = coop.warp.scan(v, dev_max, initial_value=-1, threads_in_warp=lw)
        r += both[0] + both[1]
        both = coop.warp.scan(v, "min", 7, n, lw)  # src, scan_op, initial_value, valid_items, threads_in_warp
        r += both[0] - both[1]
        # broadcast: a constant lane and a runtime one
        r += coop.warp.broadcast(v, lw - 1, threads_in_warp=lw) + coop.warp.broadcast(v, n, lw)
        # batched: returned (one batch per lane at most), striped, blocked
        b_few = coop.local.array(few, d_in.dtype)
        b_many = coop.local.array(nb, d_in.dtype)
        res = coop.local.array(per, d_in.dtype)
        for i in range(few):
            b_few[i] = v + i
        for i in range(nb):
            b_many[i] = v * i
        r += coop.warp.sum_batched(b_few, threads_in_warp=lw)
        r += coop.warp.reduce_batched(b_few, "max", threads_in_warp=lw, sync_physical_warp=True)
        coop.warp.reduce_batched(b_many, res, "min", threads_in_warp=lw)
        r += res[0]
        coop.warp.reduce_batched(b_many, res, dev_max, arrangement="blocked", threads_in_warp=lw)
        r += res[0]
        coop.warp.sum_batched(b_many, res, arrangement="striped", threads_in_warp=lw)
        r += res[0]
        coop.warp.sum_batched(b_many, res, arrangement="blocked", threads_in_warp=lw, sync_physical_warp=True)
        r += res[0]
        # exchange: SHUFFLE (items per thread == threads_in_warp) and scatter with a stated offset type
        lanes = coop.local.array(lw, d_in.dtype)
        for i in range(lw):
            lanes[i] = v + i
        coop.warp.exchange(lanes, warp_exchange_type="blocked_to_striped", algorithm="shuffle", threads_in_warp=lw)
        coop.warp.exchange(lanes, lanes, "striped_to_blocked", algorithm=coop.WarpExchangeAlgorithm.SHUFFLE,
                           threads_in_warp=lw)
        ranks = coop.local.array(4, np.int16)
        for i in range(4):
            ranks[i] = lw * 4 - 1 - ((tid % lw) * 4 + i)
        coop.warp.exchange(items, warp_exchange_type="scatter_to_striped", ranks=ranks, offset_dtype=np.int16,
                           threads_in_warp=lw)
        d_out[tid] = r + lanes[0] + items[0]

    return k


_ALG = "::cub::WarpExchangeAlgorithm::WARP_EXCHANGE_"


@pytest.mark.parametrize("lw", [1, 2, 4, 8, 16, 32])
def test_every_form_per_logical_warp_size(lw):
    src = build(_kernel(lw)).shim_source
    nb = lw + 3
    assert {f"::cub::WarpReduce<::cuda::std::int32_t, {lw}>", f"::cub::WarpScan<::cuda::std::int32_t, {lw}>",
            f"::cub::WarpReduceBatched<::cuda::std::int32_t, {nb}, {lw}, false>",
            f"::cub::WarpReduceBatched<::cuda::std::int32_t, {nb}, {lw}, true>",
            f"::cub::WarpExchange<::cuda::std::int32_t, {lw}, {lw}, {_ALG}SHUFFLE>",
            f"::cub::WarpExchange<::cuda::std::int32_t, 4, {lw}, {_ALG}SMEM>",
            } <= classes(src)
    made = calls(src)
    # Max/Min: (input), (input, valid_items), (range)
    assert [c for c in made if c[0] in ("Max", "Min")] == [("Max", 1), ("Max", 1), ("Max", 2), ("Min", 1), ("Min", 1),
                                                           ("Min", 2)]
    assert [c for c in made if "Segmented" in c[0]] == [
        ("HeadSegmentedReduce", 3), ("HeadSegmentedSum", 2), ("TailSegmentedReduce", 3), ("TailSegmentedSum", 2)]
    # (input, inclusive, exclusive, initial_value, scan_op[, valid_items]): an identity seeds "+", "max", "min"
    assert [c for c in made if c[0].startswith("Scan")] == [("Scan", 5), ("Scan", 5), ("ScanPartial", 6),
                                                            ("ScanPartial", 6)]
    assert [c for c in made if c[0] == "Broadcast"] == [("Broadcast", 2)]  # a constant lane crosses as an int too
    batched = [c for c in made if c[0].startswith(("Reduce", "Sum"))]
    assert batched == [("Reduce", 2), ("ReduceToBlocked", 3), ("ReduceToStriped", 3), ("Sum", 1),
                       ("SumToBlocked", 2), ("SumToStriped", 2)]
    assert [c for c in made if c[0] in ("BlockedToStriped", "StripedToBlocked", "ScatterToStriped")] == [
        ("BlockedToStriped", 2), ("ScatterToStriped", 3), ("StripedToBlocked", 2)]
    assert re.search(r"ScatterToStriped\([^;]*::cuda::std::int16_t\(\*\)\[4\]", src)  # OffsetT = int16


@cuda.jit(device=True)
def _per_dtype(d, d_b, tid):  # primitives inside a device function, specialized per dtype
    v = d[tid]
    inc, exc = coop.warp.scan(v, threads_in_warp=8)  # floats: 0.0 seeds lane 0's exclusive result
    m = coop.warp.max(v) + coop.warp.min(v, threads_in_warp=16)
    s = coop.warp.head_segmented_sum(v, d_b[tid]) + coop.warp.tail_segmented_reduce(v, d_b[tid], "min")
    batch = coop.local.array(2, d.dtype)
    batch[0] = v
    batch[1] = inc
    m += coop.warp.reduce_batched(batch, "max", threads_in_warp=4)
    d[tid] = inc + exc + m + s + coop.warp.broadcast(v, 0)


def k_dtypes(d_i8, d_u64, d_f32, d_f64, d_b):
    tid = cuda.threadIdx.x
    _per_dtype(d_i8, d_b, tid)
    _per_dtype(d_u64, d_b, tid)
    _per_dtype(d_f32, d_b, tid)
    _per_dtype(d_f64, d_b, tid)
    x = d_b[tid]  # bool items: max/min/broadcast/batched "or" are fine (sums are refused)
    bb = coop.local.array(2, np.bool_)
    bb[0] = x
    bb[1] = not x
    d_b[tid] = coop.warp.max(x) or coop.warp.broadcast(x, 3) or coop.warp.reduce_batched(bb, "or")


def test_every_integer_float_and_bool_width():
    arrs = (types.int8[::1], types.uint64[::1], types.float32[::1], types.float64[::1], types.boolean[::1])
    src = build(k_dtypes, arrs, block=64).shim_source
    for t in ("::cuda::std::int8_t", "::cuda::std::uint64_t", "float", "double"):
        assert f"::cub::WarpScan<{t}, 8>" in classes(src)
        assert f"::cub::WarpReduceBatched<{t}, 2, 4, false>" in classes(src)
    assert "::cub::WarpReduce<bool, 32>" in classes(src)
    assert "::cub::WarpReduceBatched<bool, 2, 32, false>" in classes(src)
    assert re.search(r"HeadSegmentedSum\([^;]*const bool\*", src)  # FlagT = bool


# =========================================================================== two-phase and TempStorage


def test_two_phase_objects_and_explicit_temp_storage():
    objs = {
        "max": coop.warp.max(np.int32, 16),
        "min": coop.warp.min(np.int32),
        "head_reduce": coop.warp.head_segmented_reduce(np.int32, "max", 8),
        "tail_reduce": coop.warp.tail_segmented_reduce(np.int32, dev_max),
        "head_sum": coop.warp.head_segmented_sum(np.int32),
        "tail_sum": coop.warp.tail_segmented_sum(np.int32, 4),
        "scan": coop.warp.scan(np.int32, "max", initial_value=-3),
        "scan_dev": coop.warp.scan(np.int32, dev_max, 0, 16),
        "broadcast": coop.warp.broadcast(np.int32, 16),
        "reduce_batched": coop.warp.reduce_batched(np.int32, 5, "+", 4, "blocked"),
        "sum_batched": coop.warp.sum_batched(np.int32, 3, threads_in_warp=8, sync_physical_warp=True),
        "shuffle": coop.warp.exchange(np.int32, 4, 4, "blocked_to_striped", "shuffle"),
        "scatter": coop.warp.exchange(np.int32, 4, 8, "scatter_to_striped", "smem", np.int64),
    }
    cb.temp_storage_layouts(list(objs.values()))
    assert objs["scatter"].temp_storage_bytes > 1 and objs["scatter"].temp_storage_alignment >= 4
    nbytes = max(o.temp_storage_bytes * 32 for o in objs.values())
    align = max(o.temp_storage_alignment for o in objs.values())
    o = objs
    mx, mn, hr, tr, hs, ts = o["max"], o["min"], o["head_reduce"], o["tail_reduce"], o["head_sum"], o["tail_sum"]
    sc, sd, bc, rb, sb, sh, st = (o["scan"], o["scan_dev"], o["broadcast"], o["reduce_batched"], o["sum_batched"],
                                  o["shuffle"], o["scatter"])

    def k(d_in, d_out, n):
        tid = cuda.threadIdx.x
        temp = coop.TempStorage(nbytes, align)
        v = d_in[tid]
        r = mx(v) + mn(v, valid_items=n) + hr(v, tid % 2) + tr(v, tid % 3 == 0) + hs(v, 1) + ts(v, tid & 4)
        inc, exc = sc(v)
        i2, e2 = sd(v, valid_items=n, temp_storage=temp)
        r += inc + exc + i2 + e2 + bc(v, 15) + bc(v, n, temp_storage=temp)
        b5 = coop.local.array(5, np.int32)
        out = coop.local.array(2, np.int32)
        b3 = coop.local.array(3, np.int32)
        for i in range(5):
            b5[i] = v + i
        for i in range(3):
            b3[i] = v - i
        rb(b5, out)
        r += out[0] + sb(b3, temp_storage=temp)
        items = coop.local.array(4, np.int32)
        ranks = coop.local.array(4, np.int64)
        for i in range(4):
            items[i] = v
            ranks[i] = 31 - (tid % 8) * 4 - i
        sh(items)
        st(items, ranks=ranks, temp_storage=temp)
        r += coop.warp.head_segmented_reduce(v, tid % 2, "min", temp_storage=temp)
        r += coop.warp.max(v, temp_storage=temp) + coop.warp.broadcast(v, 1, temp_storage=temp)
        i3, e3 = coop.warp.scan(v, temp_storage=temp)
        d_out[tid] = r + items[0] + i3 + e3

    src = build(k).shim_source
    assert {obj.cxx for obj in objs.values()} <= classes(src)
    made = calls(src)
    assert ("ReduceToBlocked", 3) in made and ("Sum", 1) in made and ("ScanPartial", 6) in made
    assert ("Scan", 5) in made and ("ScatterToStriped", 3) in made and ("BlockedToStriped", 2) in made



def test_two_phase_signatures_follow_the_declarations():
    import inspect

    for fn in (coop.warp.max, coop.warp.min, coop.warp.head_segmented_reduce, coop.warp.tail_segmented_sum,
               coop.warp.scan, coop.warp.broadcast, coop.warp.reduce_batched, coop.warp.sum_batched):
        sig = inspect.signature(fn)
        assert list(sig.parameters) == list(fn.prim.kernel_order), fn
        for p in fn.prim.params:
            assert p.name in fn.__doc__, (fn, p.name)
    assert list(inspect.signature(coop.warp.scan).parameters)[:3] == ["src", "scan_op", "initial_value"]
    assert list(inspect.signature(coop.warp.head_segmented_reduce).parameters)[:3] == ["src", "head_flag", "binary_op"]
    assert list(inspect.signature(coop.warp.broadcast).parameters)[:2] == ["src", "src_lane"]
    assert "offset_dtype" in inspect.signature(coop.warp.exchange).parameters
    for name in ("max", "min", "scan", "broadcast", "head_segmented_reduce", "tail_segmented_reduce",
                 "head_segmented_sum", "tail_segmented_sum", "reduce_batched", "sum_batched"):
        assert name in coop.warp.__all__
    # the documented lane semantics
    assert "first lane of the segment" in coop.warp.head_segmented_sum.__doc__
    assert "lane ``i`` returns batch ``i``" in coop.warp.reduce_batched.__doc__


# =========================================================================== misuse: one CoopError at the user's line


def compile_error(kernel, argtypes=(I32, I32, types.int32), block=128):
    text = shared_compile_error(kernel, argtypes, block)
    assert f"line {line_of(kernel)}" in text and MARK in text, text
    return text


def e_max_array_valid(d_in, d_out, n):
    items = coop.local.array(4, d_in.dtype)
    d_out[0] = coop.warp.max(items, valid_items=n)  # <- error


def e_min_valid_range(d_in, d_out, n):
    d_out[0] = coop.warp.min(d_in[0], threads_in_warp=8, valid_items=9)  # <- error


def e_max_op(d_in, d_out, n):
    d_out[0] = coop.warp.max(d_in[0], binary_op="max")  # <- error


def e_segmented_array(d_in, d_out, n):
    items = coop.local.array(4, d_in.dtype)
    d_out[0] = coop.warp.head_segmented_sum(items, 1)  # <- error


def e_segmented_flag_array(d_in, d_out, n):
    flags = coop.local.array(4, np.int32)
    d_out[0] = coop.warp.tail_segmented_reduce(d_in[0], flags, "max")  # <- error


def e_segmented_flag_float(d_in, d_out, n):
    d_out[0] = coop.warp.head_segmented_reduce(d_in[0], 0.5, "max")  # <- error


def e_segmented_bool_sum(d_in, d_out, n):
    d_out[0] = coop.warp.tail_segmented_sum(d_in[0] > 0, True)  # <- error


def e_segmented_no_op(d_in, d_out, n):
    d_out[0] = coop.warp.head_segmented_reduce(d_in[0], True)  # <- error


def e_segmented_valid(d_in, d_out, n):
    d_out[0] = coop.warp.head_segmented_sum(d_in[0], True, valid_items=n)  # <- error


def e_segmented_bad_op(d_in, d_out, n):
    d_out[0] = coop.warp.head_segmented_reduce(d_in[0], True, "<")  # <- error


def e_scan_array(d_in, d_out, n):
    items = coop.local.array(4, d_in.dtype)
    a, b = coop.warp.scan(items)  # <- error


def e_scan_device_no_initial(d_in, d_out, n):
    a, b = coop.warp.scan(d_in[0], dev_max)  # <- error


def e_scan_bool_sum(d_in, d_out, n):
    a, b = coop.warp.scan(d_in[0] > 0)  # <- error


def e_scan_initial_float(d_in, d_out, n):
    a, b = coop.warp.scan(d_in[0], "max", initial_value=0.5)  # <- error


def e_scan_aggregate(d_in, d_out, n):
    agg = coop.local.array(1, d_in.dtype)
    a, b = coop.warp.scan(d_in[0], warp_aggregate=agg)  # <- error


def e_scan_valid_range(d_in, d_out, n):
    a, b = coop.warp.scan(d_in[0], threads_in_warp=4, valid_items=5)  # <- error


def e_broadcast_array(d_in, d_out, n):
    items = coop.local.array(4, d_in.dtype)
    d_out[0] = coop.warp.broadcast(items, 0)  # <- error


def e_broadcast_lane_range(d_in, d_out, n):
    d_out[0] = coop.warp.broadcast(d_in[0], 16, threads_in_warp=16)  # <- error


def e_broadcast_lane_negative(d_in, d_out, n):
    d_out[0] = coop.warp.broadcast(d_in[0], -1)  # <- error


def e_broadcast_lane_float(d_in, d_out, n):
    d_out[0] = coop.warp.broadcast(d_in[0], 1.0)  # <- error


def e_broadcast_no_lane(d_in, d_out, n):
    d_out[0] = coop.warp.broadcast(d_in[0])  # <- error


def e_batched_scalar(d_in, d_out, n):
    d_out[0] = coop.warp.sum_batched(d_in[0])  # <- error


def e_batched_too_many(d_in, d_out, n):
    b = coop.local.array(9, d_in.dtype)
    d_out[0] = coop.warp.reduce_batched(b, "max", threads_in_warp=8)  # <- error


def e_batched_outputs_length(d_in, d_out, n):
    b = coop.local.array(9, d_in.dtype)
    out = coop.local.array(1, d_in.dtype)
    coop.warp.sum_batched(b, out, threads_in_warp=8)  # <- error


def e_batched_arrangement_alone(d_in, d_out, n):
    b = coop.local.array(3, d_in.dtype)
    d_out[0] = coop.warp.sum_batched(b, arrangement="blocked")  # <- error


def e_batched_arrangement_name(d_in, d_out, n):
    b = coop.local.array(3, d_in.dtype)
    out = coop.local.array(1, d_in.dtype)
    coop.warp.sum_batched(b, out, arrangement="warp_striped")  # <- error


def e_batched_dtype(d_in, d_out, n):
    b = coop.local.array(3, d_in.dtype)
    out = coop.local.array(1, np.float32)
    coop.warp.reduce_batched(b, out, "max")  # <- error


def e_batched_count(d_in, d_out, n):
    b = coop.local.array(3, d_in.dtype)
    d_out[0] = coop.warp.sum_batched(b, batches=4)  # <- error


def e_batched_bool_sum(d_in, d_out, n):
    b = coop.local.array(2, np.bool_)
    d_out[0] = coop.warp.sum_batched(b)  # <- error


def e_batched_sync_runtime(d_in, d_out, n):
    b = coop.local.array(2, d_in.dtype)
    d_out[0] = coop.warp.sum_batched(b, sync_physical_warp=n > 0)  # <- error


def e_shuffle_shape(d_in, d_out, n):
    items = coop.local.array(4, d_in.dtype)
    coop.warp.exchange(items, "blocked_to_striped", algorithm="shuffle", threads_in_warp=8)  # <- error


def e_shuffle_scatter(d_in, d_out, n):
    items = coop.local.array(8, d_in.dtype)
    ranks = coop.local.array(8, np.int32)
    coop.warp.exchange(items, warp_exchange_type="scatter_to_striped", ranks=ranks, algorithm="shuffle",  # <- error
                       threads_in_warp=8)


rec = np.dtype([("a", np.int32), ("b", np.float32)], align=True)


def e_shuffle_record(d_in, d_out, n):
    items = coop.local.array(4, rec)
    coop.warp.exchange(items, "striped_to_blocked", algorithm="shuffle", threads_in_warp=4)  # <- error


def e_offset_mismatch(d_in, d_out, n):
    items = coop.local.array(4, d_in.dtype)
    ranks = coop.local.array(4, np.int64)
    coop.warp.exchange(items, warp_exchange_type="scatter_to_striped", ranks=ranks, offset_dtype=np.int32)  # <- error


def e_offset_float(d_in, d_out, n):
    items = coop.local.array(4, d_in.dtype)
    ranks = coop.local.array(4, np.int32)
    coop.warp.exchange(items, warp_exchange_type="scatter_to_striped", ranks=ranks,  # <- error
                       offset_dtype=np.float32)


def e_offset_without_scatter(d_in, d_out, n):
    items = coop.local.array(4, d_in.dtype)
    coop.warp.exchange(items, warp_exchange_type="blocked_to_striped", offset_dtype=np.int32)  # <- error


def e_exchange_algorithm_name(d_in, d_out, n):
    items = coop.local.array(4, d_in.dtype)
    coop.warp.exchange(items, algorithm="shfl")  # <- error


@pytest.mark.parametrize("kernel, primitive, arg, message", [
    (e_max_array_valid, "max", "valid_items", "CUB takes valid_items only with one item per lane"),
    (e_min_valid_range, "min", "valid_items", "9 is more than the 8 threads of the logical warp"),
    (e_max_op, "max", "binary_op", "unknown keyword"),
    (e_segmented_array, "head_segmented_sum", "src", "CUB's segmented reductions take one item per lane"),
    (e_segmented_flag_array, "tail_segmented_reduce", "tail_flag", "CUB takes one flag per lane"),
    (e_segmented_flag_float, "head_segmented_reduce", "head_flag", "must be an integer or bool flag, got float64"),
    (e_segmented_bool_sum, "tail_segmented_sum", "src", "summing bool items gives a bool"),
    (e_segmented_no_op, "head_segmented_reduce", "binary_op", "is required"),
    (e_segmented_valid, "head_segmented_sum", "valid_items", "unknown keyword"),
    (e_segmented_bad_op, "head_segmented_reduce", "binary_op", "is not an operator here"),
    (e_scan_array, "scan", "src", "warp scans take one item per lane"),
    (e_scan_device_no_initial, "scan", "initial_value", "is required with a device-function operator"),
    (e_scan_bool_sum, "scan", "src", "summing bool items gives a bool"),
    (e_scan_initial_float, "scan", "initial_value", "would be truncated"),
    (e_scan_aggregate, "scan", "warp_aggregate", "unknown keyword"),
    (e_scan_valid_range, "scan", "valid_items", "5 is more than the 4 threads of the logical warp"),
    (e_broadcast_array, "broadcast", "src", "CUB broadcasts one item per lane"),
    (e_broadcast_lane_range, "broadcast", "src_lane", "lane 16 is not in the logical warp of 16 threads"),
    (e_broadcast_lane_negative, "broadcast", "src_lane", "must be at least 0, got -1"),
    (e_broadcast_lane_float, "broadcast", "src_lane", "must be an integer"),
    (e_broadcast_no_lane, "broadcast", "src_lane", "is required"),
    (e_batched_scalar, "sum_batched", "inputs", "must be an array"),
    (e_batched_too_many, "reduce_batched", "outputs", "9 batches over 8 lanes give each lane 2 results"),
    (e_batched_outputs_length, "sum_batched", "outputs", "holds 1 items, but 9 batches over 8 lanes give"),
    (e_batched_arrangement_alone, "sum_batched", "arrangement", "only applies with outputs"),
    (e_batched_arrangement_name, "sum_batched", "arrangement", "is not a valid choice"),
    (e_batched_dtype, "reduce_batched", "outputs", "mismatched dtypes"),
    (e_batched_count, "sum_batched", "batches", "batches=4, but `inputs` holds 3 items"),
    (e_batched_bool_sum, "sum_batched", "inputs", "summing bool items gives a bool"),
    (e_batched_sync_runtime, "sum_batched", "sync_physical_warp", "must be the constant True or False"),
    (e_shuffle_shape, "exchange", "algorithm", "SHUFFLE needs items_per_thread == threads_in_warp, got 4"),
    (e_shuffle_scatter, "exchange", "algorithm", "SHUFFLE has no ScatterToStriped"),
    (e_shuffle_record, "exchange", "algorithm", "SHUFFLE moves items with __shfl_xor_sync, which takes numbers"),
    (e_offset_mismatch, "exchange", "ranks", "mismatched dtypes: an array of int64"),
    (e_offset_float, "exchange", "offset_dtype", "the ranks' offsets must be integers, got float32"),
    (e_offset_without_scatter, "exchange", "offset_dtype", "is the type of ranks, which"),
    (e_exchange_algorithm_name, "exchange", "algorithm", "'shfl' is not a WarpExchangeAlgorithm"),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_misuse_is_one_clear_error(kernel, primitive, arg, message):
    text = compile_error(kernel)
    assert text.startswith(f"coop.warp.{primitive}: argument `{arg}`: "), text
    assert message in text, text


def test_two_phase_misuse_fails_on_the_host():
    cases = [
        (lambda: coop.warp.broadcast(np.int32, 48), "threads_in_warp", "48 threads is not a logical warp size"),
        (lambda: coop.warp.reduce_batched(np.int32), "batches", "missing argument 'batches'"),
        (lambda: coop.warp.sum_batched(np.int32, 0), "batches", "must be a positive int"),
        (lambda: coop.warp.reduce_batched(np.int32, 4), "binary_op", "missing argument 'binary_op'"),
        (lambda: coop.warp.scan(np.int32, "max", initial_value=2.5), "initial_value", "would be truncated"),
        (lambda: coop.warp.head_segmented_reduce(np.int32, "nope"), "binary_op", None),
        (lambda: coop.warp.exchange(np.int32, 4, 8, "blocked_to_striped", "shuffle"), "algorithm",
         "SHUFFLE needs items_per_thread == threads_in_warp, got 4 items per thread and 8 threads"),
        (lambda: coop.warp.exchange(np.int32, 8, 8, "scatter_to_striped", "shuffle"), "algorithm",
         "SHUFFLE has no ScatterToStriped"),
        (lambda: coop.warp.exchange(np.int32, 4, 8, "scatter_to_striped", offset_dtype=np.float64), "offset_dtype",
         "the ranks' offsets must be integers, got float64"),
        (lambda: coop.warp.max(np.int32, "max"), "threads_in_warp", None),
    ]
    for make, arg, message in cases:
        with pytest.raises(coop.CoopError) as info:
            make()
        text = str(info.value)
        assert f"argument `{arg}`" in text, text
        if message:
            assert message in text, text


sum_b = coop.warp.sum_batched(np.int32, 5, threads_in_warp=4)
scan_tp = coop.warp.scan(np.int32, "max", 0)


def e_two_phase_batches(d_in, d_out, n):
    b = coop.local.array(6, np.int32)
    out = coop.local.array(2, np.int32)
    sum_b(b, out)  # <- error


def e_two_phase_fixed(d_in, d_out, n):
    a, b = scan_tp(d_in[0], scan_op="min")  # <- error


scatter_tp = coop.warp.exchange(np.int32, 4, 32, "scatter_to_striped", "smem", np.int64)


def e_two_phase_offset(d_in, d_out, n):
    items = coop.local.array(4, np.int32)
    ranks = coop.local.array(4, np.int32)
    scatter_tp(items, ranks=ranks)  # <- error


@pytest.mark.parametrize("kernel, arg, message", [
    (e_two_phase_batches, "batches", "batches=5, but `inputs` holds 6 items"),
    (e_two_phase_fixed, "scan_op", "is fixed by the two-phase constructor"),
    (e_two_phase_offset, "ranks", "mismatched dtypes: an array of int32, but the ranks are int64"),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_two_phase_objects_check_their_kernel_calls(kernel, arg, message):
    text = compile_error(kernel)
    assert f"argument `{arg}`" in text and message in text, text
