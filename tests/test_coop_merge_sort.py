"""CPU tier for coop.block/coop.warp merge_sort_keys and merge_sort_pairs (CUB BlockMergeSort,
WarpMergeSort): every overload family compiles and links to sm_90 (Sort/StableSort, keys and
pairs, partial tiles, named and device-function orders, record keys, every logical warp size,
two-phase objects with their TempStorage), and every misuse is one CoopError at its line.
"""

import operator
import re

import numba
import numpy as np
import pytest
from numba import cuda, types

import coop
from cub_bindings import functional as F
from cub_bindings.inspect import build_kernel
from error_marks import line_of

I32 = types.int32[::1]
F64 = types.float64[::1]
U8 = types.uint8[::1]
rec = np.dtype([("lo", np.int32), ("hi", np.int32)], align=True)
RECS = types.Array(numba.from_dtype(rec), 1, "C")


def build(kernel, argtypes, block=128):
    with coop.launch_shape(block=block):
        b = build_kernel(kernel, argtypes, cc=(9, 0))
    assert b.cubin[:4] == b"\x7fELF"
    return b.shim_source


def sorts(src):
    """The Sort/StableSort calls the shims make, sorted: (method, number of arguments)."""
    return sorted((m, args.count(",") + 1) for m, args in re.findall(r"__obj\.(Sort|StableSort)\(([^;]*)\);", src))


def classes(src):
    return set(re.findall(r"using C = (::cub::[^;]+);", src))


@cuda.jit(device=True)
def desc(a, b):
    return a > b


@cuda.jit(device=True)
def rec_less(a, b):  # lexicographic (hi, lo)
    return a.hi < b.hi or (a.hi == b.hi and a.lo < b.lo)


# =========================================================================== every overload compiles


def k_block(d_in, d_out, n):
    tid = cuda.threadIdx.x
    keys = coop.local.array(4, d_in.dtype)
    vals = coop.local.array(4, np.float64)  # values of another dtype than the keys
    for i in range(4):
        keys[i] = d_in[tid * 4 + i]
        vals[i] = i
    coop.block.merge_sort_keys(keys)  # "<" by default
    coop.block.merge_sort_keys(keys, 4, ">")
    coop.block.merge_sort_keys(keys, compare_op=operator.lt, stable=True)
    coop.block.merge_sort_keys(keys, compare_op=desc, valid_items=n, oob_default=-2147483648)
    coop.block.merge_sort_keys(keys, compare_op="less", num_valid_items=n)  # oob_default: int32 max
    coop.block.merge_sort_keys(keys, compare_op=np.greater, valid_items=n, stable=True)  # int32 min
    coop.block.merge_sort_keys(keys, values=vals)  # the earlier API's values= keyword
    coop.block.merge_sort_pairs(keys, vals, 4, "<")
    coop.block.merge_sort_pairs(keys, vals, compare_op=desc, stable=True)
    coop.block.merge_sort_pairs(keys, items=vals, compare_op="greater", valid_items=n)  # CUB's name for values
    coop.block.merge_sort_pairs(keys, vals, compare_op=F.less, valid_items=n, oob_default=7, stable=True)
    for i in range(4):
        d_out[tid * 4 + i] = keys[i] + numba.int32(vals[i])


def test_block_sort_stable_sort_keys_pairs_partial_tiles_and_every_order_form():
    src = build(k_block, (I32, I32, types.int32))
    assert classes(src) == {"::cub::BlockMergeSort<::cuda::std::int32_t, 128, 4, ::cub::NullType, 1, 1>",
                            "::cub::BlockMergeSort<::cuda::std::int32_t, 128, 4, double, 1, 1>"}
    # keys: (keys, op[, valid_items, oob_default]); pairs: (keys, items, op[, valid_items, oob_default])
    # (identical calls share a shim: values= and merge_sort_pairs(keys, vals, 4, "<") are one)
    assert sorts(src) == [("Sort", 2), ("Sort", 2), ("Sort", 3), ("Sort", 4), ("Sort", 4), ("Sort", 5),
                          ("StableSort", 2), ("StableSort", 3), ("StableSort", 4), ("StableSort", 5)]
    ops = set(re.findall(r"auto __op_compare_op = ([^;]+);", src))
    assert ops == {"::cuda::std::less<>{}", "::cuda::std::greater<>{}"} | {o for o in ops if "desc" in o}
    assert len(ops) == 3  # the device function, wrapped as a C++ functor


def k_warps(d_in, d_out, n):
    tid = cuda.threadIdx.x
    keys = coop.local.array(2, d_in.dtype)
    vals = coop.local.array(2, np.int8)
    for i in range(2):
        keys[i] = d_in[tid * 2 + i]
        vals[i] = i
    coop.warp.merge_sort_keys(keys, threads_in_warp=1)
    coop.warp.merge_sort_keys(keys, 2, ">", 2, stable=True)
    coop.warp.merge_sort_pairs(keys, vals, compare_op=desc, threads_in_warp=4)
    coop.warp.merge_sort_pairs(keys, vals, 2, "<", 8, valid_items=n, stable=True)
    coop.warp.merge_sort_keys(keys, compare_op=desc, warp_threads=16, valid_items=n, oob_default=0)
    coop.warp.merge_sort_keys(keys, values=vals, valid_items=n)  # 32 lanes by default
    coop.warp.merge_sort_pairs(keys, items=vals, logical_warp_threads=32, compare_op=operator.gt)
    for i in range(2):
        d_out[tid * 2 + i] = keys[i] + vals[i]


def test_warp_sort_every_logical_warp_size_keys_pairs_and_partial_tiles():
    src = build(k_warps, (I32, I32, types.int32))
    assert classes(src) == {
        "::cub::WarpMergeSort<::cuda::std::int32_t, 2, 1>", "::cub::WarpMergeSort<::cuda::std::int32_t, 2, 2>",
        "::cub::WarpMergeSort<::cuda::std::int32_t, 2, 4, ::cuda::std::int8_t>",
        "::cub::WarpMergeSort<::cuda::std::int32_t, 2, 8, ::cuda::std::int8_t>",
        "::cub::WarpMergeSort<::cuda::std::int32_t, 2, 16>",
        "::cub::WarpMergeSort<::cuda::std::int32_t, 2, 32, ::cuda::std::int8_t>"}
    assert sorts(src) == [("Sort", 2), ("Sort", 3), ("Sort", 3), ("Sort", 4), ("Sort", 5),
                          ("StableSort", 2), ("StableSort", 5)]
    # no default constructor: one TempStorage per logical warp of the 128-thread block
    for warps in (128, 64, 32, 16, 8, 4):
        assert re.search(rf"TempStorage o\d+\[{warps}\];", src)


def k_records(d_in, d_out, n):
    tid = cuda.threadIdx.x
    keys = coop.local.array(2, d_in.dtype)
    vals = coop.local.array(2, d_in.dtype)  # record values too
    for i in range(2):
        keys[i] = d_in[tid * 2 + i]
        vals[i] = d_in[tid * 2 + 1 - i]
    coop.block.merge_sort_keys(keys, compare_op=rec_less)
    coop.block.merge_sort_pairs(keys, vals, compare_op=rec_less, valid_items=n, oob_default=d_in[0], stable=True)
    coop.warp.merge_sort_keys(keys, compare_op=rec_less, threads_in_warp=8, valid_items=n, oob_default=d_in[0])
    coop.warp.merge_sort_pairs(keys, vals, compare_op=rec_less, stable=True)
    for i in range(2):
        d_out[tid * 2 + i] = keys[i]


def test_record_keys_and_values_with_a_device_function_order():
    src = build(k_records, (RECS, RECS, types.int32), block=(8, 4, 4))  # a 3-D block
    name = re.search(r"struct alignas\(4\) (cub_coop_rec_\w+) \{", src).group(1)
    assert classes(src) == {f"::cub::BlockMergeSort<{name}, 8, 2, ::cub::NullType, 4, 4>",
                            f"::cub::BlockMergeSort<{name}, 8, 2, {name}, 4, 4>",
                            f"::cub::WarpMergeSort<{name}, 2, 8>", f"::cub::WarpMergeSort<{name}, 2, 32, {name}>"}
    assert sorts(src) == [("Sort", 2), ("Sort", 4), ("StableSort", 3), ("StableSort", 5)]


def k_small_types(h_in, u_in, n):
    tid = cuda.threadIdx.x
    h = coop.local.array(4, h_in.dtype)
    u = coop.local.array(4, u_in.dtype)
    b = coop.local.array(4, np.bool_)
    for i in range(4):
        h[i] = h_in[tid * 4 + i]
        u[i] = u_in[tid * 4 + i]
        b[i] = u[i] > 3
    coop.block.merge_sort_keys(h, valid_items=n)  # float16: +inf fills it
    coop.block.merge_sort_pairs(u, h, compare_op=">", valid_items=n)  # uint64: 0 fills it
    coop.warp.merge_sort_keys(b, valid_items=n, threads_in_warp=16)  # bool: True fills it
    for i in range(4):
        h_in[tid * 4 + i] = h[i]
        u_in[tid * 4 + i] = u[i] + b[i]


def test_float16_uint64_and_bool_keys_with_the_default_fill():
    src = build(k_small_types, (types.float16[::1], types.uint64[::1], types.int32), block=(16, 8))  # a 2-D block
    assert classes(src) == {"::cub::BlockMergeSort<__half, 16, 4, ::cub::NullType, 8, 1>",
                            "::cub::BlockMergeSort<::cuda::std::uint64_t, 16, 4, __half, 8, 1>",
                            "::cub::WarpMergeSort<bool, 4, 16>"}
    assert sorts(src) == [("Sort", 4), ("Sort", 4), ("Sort", 5)]


# =========================================================================== two-phase

T = 128


def _objects():
    return {
        "keys": coop.block.merge_sort_keys(np.int32, T, 4, ">"),
        "stable_keys": coop.block.merge_sort_keys(np.float32, T, 4, desc, True),
        "pairs": coop.block.merge_sort_pairs(np.int16, np.float64, T, 4, "<", stable=True),
        "warp_keys": coop.warp.merge_sort_keys(np.int32, 4, "<", 16),
        "warp_pairs": coop.warp.merge_sort_pairs(np.int32, np.int64, 4, desc, threads_in_warp=8, stable=True),
        "warp_default": coop.warp.merge_sort_keys(dtype=np.uint8, items_per_thread=4),
    }


def test_two_phase_objects_report_cubs_temp_storage_and_sort_in_kernels():
    p = _objects()
    # CUB's TempStorage: (tile + 1) keys or values (a union), per logical warp for warp sorts
    want = {"keys": (T * 4 + 1) * 4, "stable_keys": (T * 4 + 1) * 4, "pairs": (T * 4 + 1) * 8,
            "warp_keys": (16 * 4 + 1) * 4, "warp_pairs": (8 * 4 + 1) * 8, "warp_default": 32 * 4 + 1}
    assert {k: o.temp_storage_bytes for k, o in p.items()} == want
    assert p["pairs"].cxx == "::cub::BlockMergeSort<::cuda::std::int16_t, 128, 4, double, 1, 1>"
    assert p["warp_pairs"].cxx == "::cub::WarpMergeSort<::cuda::std::int32_t, 4, 8, ::cuda::std::int64_t>"
    assert p["warp_default"].cxx == "::cub::WarpMergeSort<::cuda::std::uint8_t, 4, 32>"
    nbytes = max(o.temp_storage_bytes * (T // o.fixed["threads_in_warp"][1] if o.prim.scope == "warp" else 1)
                 for o in p.values())
    keys, stable_keys, pairs = p["keys"], p["stable_keys"], p["pairs"]
    warp_keys, warp_pairs, warp_default = p["warp_keys"], p["warp_pairs"], p["warp_default"]

    def k(d_in, d_out, n):
        tid = cuda.threadIdx.x
        temp = coop.TempStorage(nbytes, 16)
        a = cuda.local.array(4, numba.int32)  # plain arrays: the host fixed items per thread
        f = cuda.local.array(4, numba.float32)
        s = cuda.local.array(4, numba.int16)
        d = cuda.local.array(4, numba.float64)
        v = cuda.local.array(4, numba.int64)
        u = cuda.local.array(4, numba.uint8)
        for i in range(4):
            a[i] = d_in[tid * 4 + i]
            f[i] = a[i]
            s[i] = a[i]
            d[i] = i
            v[i] = i
            u[i] = i
        keys(a)
        keys(a, valid_items=n, temp_storage=temp)
        stable_keys(f, temp_storage=temp)
        pairs(s, d, valid_items=n, oob_default=32767)
        warp_keys(a, temp_storage=temp)
        warp_pairs(a, v, valid_items=n, oob_default=-1, temp_storage=temp)
        warp_default(u, stable=True)
        for i in range(4):
            d_out[tid * 4 + i] = a[i] + numba.int32(f[i]) + s[i] + numba.int32(d[i]) + numba.int32(v[i]) + u[i]

    src = build(k, (I32, I32, types.int32))
    assert {o.cxx for o in p.values()} == classes(src)
    assert sorts(src) == [("Sort", 2), ("Sort", 2), ("Sort", 4), ("StableSort", 2), ("StableSort", 2),
                          ("StableSort", 5), ("StableSort", 5)]
    # in the caller's buffer (4) or one per logical warp (warp_default); the block sorts without it call their
    # slot's getter in the kernel's shared-memory plan
    assert src.count("C __obj(static_cast<typename C::TempStorage*>(__self)[__index]);") == 5
    assert len(re.findall(r"C __obj\(static_cast<typename C::TempStorage\*>\(cub_coop_plan__t\w+\(\)\)", src)) == 2


@pytest.mark.parametrize("make, message", [
    (lambda: coop.block.merge_sort_pairs(np.int32, 128, 4), "argument `value_dtype`"),
    (lambda: coop.block.merge_sort_keys(np.int32, 128, 4, "<="), "unknown operator '<='"),
    (lambda: coop.block.merge_sort_keys(np.int32, 128, 4, operator.le), "unsupported operator"),
    (lambda: coop.block.merge_sort_keys(np.int32, 128, 4, "+"), "unknown operator '+'"),
    (lambda: coop.block.merge_sort_keys(np.int32, 128, 0), "argument `items_per_thread`: must be a positive int"),
    (lambda: coop.block.merge_sort_keys(np.int32, 128, 4, "<", "yes"), "argument `stable`: must be True or False"),
    (lambda: coop.block.merge_sort_keys(np.int32, 128, 4, valid_items=3), "argument `valid_items`: cannot be fixed"),
    (lambda: coop.warp.merge_sort_keys(np.int32, 4, "<", 12), "12 threads is not a logical warp size"),
    (lambda: coop.warp.merge_sort_pairs(np.int32, np.int32, 4, "<", 64), "64 threads is not a logical warp size"),
    (lambda: coop.block.merge_sort_keys(np.complex64, 128, 4), "complex64 is not supported"),
], ids=["pairs-without-value-dtype", "less-equal", "operator-le", "plus", "ipt", "stable", "valid-on-host",
        "warp-12", "warp-64", "complex"])
def test_two_phase_constructor_errors(make, message):
    with pytest.raises(coop.CoopError, match=re.escape(message)):
        make()


# =========================================================================== errors (typing only: no NVRTC)

KEYS_TP = coop.block.merge_sort_keys(np.int32, 128, 4, stable=True)


@cuda.jit(device=True)
def three_args(a, b, c):
    return a < b


@cuda.jit(device=True)
def difference(a, b):
    return a - b


def e_lengths_differ(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    vals = coop.local.array(2, d_in.dtype)
    coop.block.merge_sort_pairs(keys, vals)  # <- error


def e_lengths_differ_explicit(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    vals = coop.local.array(2, d_in.dtype)
    coop.warp.merge_sort_pairs(keys, vals, items_per_thread=4)  # <- error


def e_ipt_disagrees(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, 2)  # <- error


def e_signature(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, compare_op=three_args)  # <- error


def e_not_bool(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.warp.merge_sort_keys(keys, compare_op=difference)  # <- error


def e_less_equal(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, compare_op="<=")  # <- error


def e_operator_le(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, compare_op=operator.le)  # <- error


def e_functor_less_equal(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.warp.merge_sort_keys(keys, compare_op=F.less_equal)  # <- error


def e_functor_plus(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, compare_op=F.plus)  # <- error


def e_sum_as_order(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, compare_op="+")  # <- error


def e_oob_without_valid(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, oob_default=0)  # <- error


def e_warp_oob_without_valid(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.warp.merge_sort_keys(keys, oob_default=0)  # <- error


def e_device_op_needs_oob(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, compare_op=desc, valid_items=d_in[0])  # <- error


def e_oob_range(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, valid_items=3, oob_default=300)  # <- error


def e_oob_float(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.warp.merge_sort_keys(keys, valid_items=3, oob_default=1.5)  # <- error


def e_negative_valid(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, valid_items=-1)  # <- error


def e_float_valid(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, valid_items=2.0)  # <- error


def e_warp_not_power_of_two(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.warp.merge_sort_keys(keys, threads_in_warp=12)  # <- error


def e_warp_too_large(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.warp.merge_sort_pairs(keys, keys, threads_in_warp=64)  # <- error


def e_scalar_keys(d_in, d_out):
    coop.block.merge_sort_keys(d_in[0])  # <- error


def e_shared_keys(d_in, d_out):
    keys = coop.shared.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys)  # <- error


def e_stable_not_constant(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, stable=d_in[0] > 0)  # <- error


def e_missing_values(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_pairs(keys)  # <- error


def e_unknown_keyword(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, descending=True)  # <- error


def e_temp_storage_small(d_in, d_out):
    temp = coop.TempStorage(64, 16)
    keys = coop.local.array(4, d_in.dtype)
    coop.block.merge_sort_keys(keys, temp_storage=temp)  # <- error


def e_warp_temp_storage_small(d_in, d_out):
    temp = coop.TempStorage(2 * (32 * 4 + 1) * 4, 16)  # two warps' worth, the block has four
    keys = coop.local.array(4, d_in.dtype)
    coop.warp.merge_sort_keys(keys, temp_storage=temp)  # <- error


def e_two_phase_values(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    KEYS_TP(keys, values=keys)  # <- error


def e_two_phase_stable_regiven(d_in, d_out):
    keys = coop.local.array(4, d_in.dtype)
    KEYS_TP(keys, stable=False)  # <- error


def e_two_phase_dtype(d_in, d_out):
    keys = coop.local.array(4, np.float32)
    KEYS_TP(keys)  # <- error


def e_record_named_order(d_in, d_out):
    keys = coop.local.array(2, d_in.dtype)
    coop.block.merge_sort_keys(keys)  # <- error


def e_record_needs_oob(d_in, d_out):
    keys = coop.local.array(2, d_in.dtype)
    coop.warp.merge_sort_keys(keys, compare_op=rec_less, valid_items=3)  # <- error


def e_record_oob_type(d_in, d_out):
    keys = coop.local.array(2, d_in.dtype)
    coop.block.merge_sort_keys(keys, compare_op=rec_less, valid_items=3, oob_default=0)  # <- error


ERRORS = [
    # kernel, argument types, primitive, argument, message (regex), valid (substring or None)
    (e_lengths_differ, (I32, I32), "coop.block.merge_sort_pairs", "keys",
     r"items per thread disagree \(keys: 4, values: 2\)", "arrays of the same length"),
    (e_lengths_differ_explicit, (I32, I32), "coop.warp.merge_sort_pairs", "items_per_thread",
     "items_per_thread=4, but `values` holds 2 items", "items_per_thread=2"),
    (e_ipt_disagrees, (I32, I32), "coop.block.merge_sort_keys", "items_per_thread",
     "items_per_thread=2, but `keys` holds 4 items", None),
    (e_signature, (I32, I32), "coop.block.merge_sort_keys", "compare_op", "cannot be called with two int32 keys",
     "(a, b) -> bool"),
    (e_not_bool, (I32, I32), "coop.warp.merge_sort_keys", "compare_op", "returns int64, not bool", "return a < b"),
    (e_less_equal, (I32, I32), "coop.block.merge_sort_keys", "compare_op", "is not an operator here", "not <=/>="),
    (e_operator_le, (I32, I32), "coop.block.merge_sort_keys", "compare_op", "is not an operator here", "not <=/>="),
    (e_functor_less_equal, (I32, I32), "coop.warp.merge_sort_keys", "compare_op",
     "less_equal.* is not a strict weak order", "functional.less/greater"),
    (e_functor_plus, (I32, I32), "coop.block.merge_sort_keys", "compare_op", "plus.* is not a strict weak order",
     '"<"/"less" (ascending)'),
    (e_sum_as_order, (I32, I32), "coop.block.merge_sort_keys", "compare_op", "is not an operator here", '">"'),
    (e_oob_without_valid, (I32, I32), "coop.block.merge_sort_keys", "oob_default", "is only used with valid_items",
     "pass valid_items too"),
    (e_warp_oob_without_valid, (I32, I32), "coop.warp.merge_sort_keys", "oob_default",
     "is only used with valid_items", None),
    (e_device_op_needs_oob, (I32, I32), "coop.block.merge_sort_keys", "oob_default",
     "is required with valid_items here", "a key that sorts after every valid key"),
    (e_oob_range, (U8, U8), "coop.block.merge_sort_keys", "oob_default", r"300 does not fit uint8 \(range 0..255\)",
     "0..255"),
    (e_oob_float, (I32, I32), "coop.warp.merge_sort_keys", "oob_default", "would be truncated", None),
    (e_negative_valid, (I32, I32), "coop.block.merge_sort_keys", "valid_items", "must be at least 0, got -1", None),
    (e_float_valid, (I32, I32), "coop.block.merge_sort_keys", "valid_items", "must be an integer", None),
    (e_warp_not_power_of_two, (I32, I32), "coop.warp.merge_sort_keys", "threads_in_warp",
     "12 threads is not a logical warp size", "a power of two from 1 to 32"),
    (e_warp_too_large, (I32, I32), "coop.warp.merge_sort_pairs", "threads_in_warp",
     "64 threads is not a logical warp size", "a power of two from 1 to 32"),
    (e_scalar_keys, (I32, I32), "coop.block.merge_sort_keys", "keys", "must be an array, got int32", None),
    (e_shared_keys, (I32, I32), "coop.block.merge_sort_keys", "keys", "is a coop.shared.array", "thread-local"),
    (e_stable_not_constant, (I32, I32), "coop.block.merge_sort_keys", "stable", "must be the constant True or False",
     None),
    (e_missing_values, (I32, I32), "coop.block.merge_sort_pairs", "values", "is required", None),
    (e_unknown_keyword, (I32, I32), "coop.block.merge_sort_keys", "descending", "unknown keyword", "stable"),
    (e_temp_storage_small, (I32, I32), "coop.block.merge_sort_keys", "temp_storage",
     "64 bytes is too small: .*BlockMergeSort.* needs 2052 bytes", "coop.TempStorage(2052, 16)"),
    (e_warp_temp_storage_small, (I32, I32), "coop.warp.merge_sort_keys", "temp_storage",
     r"needs 2064 bytes \(4 logical warps x 516 bytes", "coop.TempStorage(2064"),
    (e_two_phase_values, (I32, I32), "coop.block.merge_sort_keys", "values", "was made for keys only",
     "merge_sort_pairs(dtype, value_dtype, ...)"),
    (e_two_phase_stable_regiven, (I32, I32), "coop.block.merge_sort_keys", "stable",
     "is fixed by the two-phase constructor", None),
    (e_two_phase_dtype, (I32, I32), "coop.block.merge_sort_keys", "keys", "mismatched dtypes", "an array of int32"),
    (e_record_named_order, (RECS, RECS), "coop.block.merge_sort_keys", "compare_op", "keys have no built-in order",
     "(a, b) -> bool"),
    (e_record_needs_oob, (RECS, RECS), "coop.warp.merge_sort_keys", "oob_default", "is required with valid_items here",
     None),
    (e_record_oob_type, (RECS, RECS), "coop.block.merge_sort_keys", "oob_default", "must be a Record", None),
]


@pytest.mark.parametrize("kernel, argtypes, primitive, arg, message, valid", ERRORS,
                         ids=[e[0].__name__[2:] for e in ERRORS])
def test_misuse_is_one_clear_error_at_the_users_line(kernel, argtypes, primitive, arg, message, valid):
    with coop.launch_shape(block=128), pytest.raises(coop.CoopError) as info:
        build_kernel(kernel, argtypes, cc=(9, 0))
    msg = str(info.value)
    assert msg.startswith(f"{primitive}: argument `{arg}`: "), msg
    assert re.search(message, msg.split("\n  valid: ")[0]), msg
    assert f'test_coop_merge_sort.py", line {line_of(kernel)}' in msg, msg
    if valid is not None:
        assert "\n  valid: " in msg and valid in msg.split("\n  valid: ", 1)[1], msg
    for noise in ("No implementation of function", "Invalid use of", "During: resolving callee type"):
        assert noise not in msg, msg


def test_block_merge_sort_needs_a_power_of_two_block():
    with pytest.raises(coop.CoopError, match=r"argument `threads_per_block`: CUB's BlockMergeSort needs a power-of-two "
                                             r"number of threads; this block has 96"):
        coop.block.merge_sort_keys(np.int32, 96, 4)
