"""CPU tier for coop.block.discontinuity, adjacent_difference and shuffle: every CUB overload
family compiles and links to an sm_90 cubin (named and device-function operators, tile
items, partial tiles, two-phase objects with explicit TempStorage, records, a 3-D block),
and every misuse is one CoopError naming the argument at the kernel's line.

Each compile test packs many calls into one kernel (one NVRTC compile each); error tests
fail while typing, before NVRTC.
"""

import operator
import re

import numba
import numpy as np
import pytest
from numba import cuda, types

import coop
import cub_bindings as cb
from cub_bindings import functional as F
from cub_bindings.inspect import build_kernel
from error_marks import compile_error, line_of

I32 = types.int32[::1]
F32 = types.float32[::1]
BOOL = types.boolean[::1]
ELF = b"\x7fELF"


def build(kernel, argtypes=(I32, I32), block=128):
    with coop.launch_shape(block=block):
        b = build_kernel(kernel, argtypes, cc=(9, 0))
    assert b.cubin[:4] == ELF
    return b.shim_source


_CALL = re.compile(r"__obj\.(\w+)\(([^;]*)\);")


def calls(source):
    """The CUB calls the shims make, sorted: (method, number of arguments); one shim per
    distinct call."""
    return sorted((m, args.count(",") + 1) for m, args in _CALL.findall(source) if m not in ("Load", "Store"))


def classes(source):
    return set(re.findall(r"using C = (::cub::[^;]+);", source))


@cuda.jit(device=True)
def dev_ne(a, b):
    return a != b


@cuda.jit(device=True)
def dev_absdiff(a, b):
    return a - b if a > b else b - a


# =========================================================================== every overload family compiles


def k_discontinuity(d_in, d_out):
    tid = cuda.threadIdx.x
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(4, np.uint8)
    tails = coop.local.array(4, np.uint8)
    bheads = coop.local.array(4, np.bool_)
    btails = coop.local.array(4, np.bool_)
    preds = coop.local.array(4, d_in.dtype)
    for i in range(4):
        items[i] = d_in[tid * 4 + i]
    pred, succ = d_in[0], d_in[1]
    coop.block.discontinuity(items, heads)  # FlagHeads, "!=" by default
    coop.block.discontinuity(items, heads, tile_predecessor_item=pred, flag_op="<")
    coop.block.discontinuity(items, heads, preds=preds, flag_op=operator.gt)  # FlagHeads(.., preds, ..)
    coop.block.discontinuity(items, heads, preds=preds, tile_predecessor_item=7, flag_op=np.less_equal)
    coop.block.discontinuity(items, tails, block_discontinuity_type="TAILS")  # 2nd argument: the tail flags
    coop.block.discontinuity(items, tail_flags=tails, tile_successor_item=succ, flag_op=F.greater_equal)
    coop.block.discontinuity(items, heads, tails)  # HEADS_AND_TAILS inferred
    coop.block.discontinuity(items, bheads, btails, 4, dev_ne, coop.block.BlockDiscontinuityType.HEADS_AND_TAILS,
                             tile_predecessor_item=pred)
    coop.block.discontinuity(items, bheads, btails, flag_op="==", tile_successor_item=succ)
    coop.block.discontinuity(items, bheads, btails, tile_predecessor_item=pred, tile_successor_item=succ,
                             block_discontinuity_type="heads_and_tails")
    d_out[tid] = heads[0] + tails[3] + bheads[1] + btails[2] + preds[0]


def test_discontinuity_every_overload():
    src = build(k_discontinuity)
    assert classes(src) >= {"::cub::BlockDiscontinuity<::cuda::std::int32_t, 128, 1, 1>"}
    assert calls(src) == [
        ("FlagHeads", 3), ("FlagHeads", 4), ("FlagHeads", 4), ("FlagHeads", 5),
        ("FlagHeadsAndTails", 4), ("FlagHeadsAndTails", 5), ("FlagHeadsAndTails", 5), ("FlagHeadsAndTails", 6),
        ("FlagTails", 3), ("FlagTails", 4)]
    for functor in ("not_equal_to", "less", "greater", "less_equal", "greater_equal", "equal_to"):
        assert f"::cuda::std::{functor}<>{{}}" in src, functor


def k_adjacent(d_in, d_out):
    tid = cuda.threadIdx.x
    items = coop.local.array(4, d_in.dtype)
    out = coop.local.array(4, d_in.dtype)
    wide = coop.local.array(4, np.int64)
    real = coop.local.array(4, np.float64)
    for i in range(4):
        items[i] = d_in[tid * 4 + i]
    n = d_in[2]
    coop.block.adjacent_difference(items, out)  # SubtractLeft, "-"
    coop.block.adjacent_difference(items, wide, tile_predecessor_item=d_in[0])  # another output dtype
    coop.block.adjacent_difference(items, real, valid_items=n)  # SubtractLeftPartialTile
    coop.block.adjacent_difference(items, out, 4, "+", "SubtractLeft", n, 3)  # partial + predecessor
    coop.block.adjacent_difference(items, out, block_adjacent_difference_type="SubtractRight", difference_op="^")
    coop.block.adjacent_difference(items, out, difference_op=dev_absdiff, block_adjacent_difference_type=
                                   coop.block.BlockAdjacentDifferenceType.SubtractRight, tile_successor_item=5)
    coop.block.adjacent_difference(items, out, block_adjacent_difference_type="subtract_right", num_valid_items=n)
    coop.block.adjacent_difference(items)  # in place
    td = coop.ThreadData(4)  # no dtype: the items'
    coop.block.adjacent_difference(items, td)
    d_out[tid] = out[0] + wide[1] + items[2] + numba.int32(real[3]) + td[0]


def test_adjacent_difference_every_overload_in_place_and_wider_outputs():
    src = build(k_adjacent)
    assert classes(src) >= {"::cub::BlockAdjacentDifference<::cuda::std::int32_t, 128, 1, 1>"}
    assert calls(src) == [
        ("SubtractLeft", 3), ("SubtractLeft", 4), ("SubtractLeftPartialTile", 4),  # in place shares the first
        ("SubtractLeftPartialTile", 5), ("SubtractRight", 3), ("SubtractRight", 4), ("SubtractRightPartialTile", 4)]
    assert "::cuda::std::int64_t(*)[4]>(a1)" in src and "double(*)[4]>(a1)" in src  # OutputT of its own
    assert "::cuda::std::minus<>{}" in src and "::cuda::std::bit_xor<>{}" in src


def k_shuffle(d_in, d_out):
    tid = cuda.threadIdx.x
    items = coop.local.array(4, d_in.dtype)
    prev = coop.local.array(4, d_in.dtype)
    edge = coop.local.array(1, d_in.dtype)
    for i in range(4):
        items[i] = d_in[tid * 4 + i]
    x = d_in[tid]
    a = coop.block.shuffle(x)  # Offset by 1, returned
    b = coop.block.shuffle(x, distance=-3)
    c = coop.block.shuffle(x, block_shuffle_type="rotate", distance=127)
    d = coop.block.shuffle(x, block_shuffle_type=coop.block.BlockShuffleType.Rotate)
    edge[0] = x
    coop.block.shuffle(x, edge, block_shuffle_type="offset", distance=d_in[3])  # into a 1-element array
    coop.block.shuffle(items, prev)  # Up
    coop.block.shuffle(items, prev, block_shuffle_type="up", block_suffix=edge)
    coop.block.shuffle(items, items, block_shuffle_type="down")  # in place
    coop.block.shuffle(items, prev, 4, "Down", block_prefix=edge)
    d_out[tid] = a + b + c + d + edge[0] + prev[0] + items[1]


def test_shuffle_every_overload_scalar_and_array():
    src = build(k_shuffle)
    assert classes(src) >= {"::cub::BlockShuffle<::cuda::std::int32_t, 128, 1, 1>"}
    # Offset(x) and Rotate(x) use CUB's default distance; a scalar result and output_items share a shim
    assert calls(src) == [("Down", 2), ("Down", 3), ("Offset", 2), ("Offset", 3), ("Rotate", 2), ("Rotate", 3),
                          ("Up", 2), ("Up", 3)]


T3 = (8, 4, 2)
pair = np.dtype([("key", np.int32), ("val", np.float32)], align=True)
PAIRS = types.Array(numba.from_dtype(pair), 1, "C")


@cuda.jit(device=True)
def key_changes(a, b):
    return a.key != b.key


@cuda.jit(device=True)
def pair_delta(a, b):  # a record-valued "difference": the pair of larger key
    return a if a.key >= b.key else b


def k_records_3d(d_in, d_out):
    tid = cuda.threadIdx.x + 8 * (cuda.threadIdx.y + 4 * cuda.threadIdx.z)
    items = coop.local.array(2, d_in.dtype)
    out = coop.local.array(2, d_in.dtype)
    heads = coop.local.array(2, np.int32)
    for i in range(2):
        items[i] = d_in[tid * 2 + i]
    coop.block.discontinuity(items, heads, flag_op=key_changes, tile_predecessor_item=d_in[0])
    coop.block.adjacent_difference(items, out, difference_op=pair_delta)
    coop.block.shuffle(items, out, block_shuffle_type="down", dim=(8, 4, 2))
    d_out[tid] = coop.block.shuffle(d_in[tid], block_shuffle_type="rotate", distance=63, threads_per_block=(8, 4, 2))
    d_out[tid + 64].key = heads[0]


def test_records_with_device_function_operators_in_a_3d_block():
    src = build(k_records_3d, (PAIRS, PAIRS), block=T3)
    for cls in ("BlockDiscontinuity", "BlockAdjacentDifference", "BlockShuffle"):
        assert any(c.startswith(f"::cub::{cls}<") and c.endswith(", 8, 4, 2>") for c in classes(src)), cls
    assert calls(src) == [("Down", 2), ("FlagHeads", 4), ("Rotate", 3), ("SubtractLeft", 3)]


# =========================================================================== two-phase


def test_two_phase_objects_report_temp_storage_and_run_with_it():
    disc = coop.block.discontinuity(np.int32, 128, 4, "<", np.uint8, "HEADS_AND_TAILS")
    diff = coop.block.adjacent_difference(np.int32, 128, 4, dev_absdiff, "SubtractRight")
    up = coop.block.shuffle(np.int32, 128, 4, "Up")
    rot = coop.block.shuffle(np.int32, 128, 1, "Rotate", 5)
    objs = [disc, diff, up, rot]
    cb.temp_storage_layouts(objs)
    # CUB's layouts: two T[threads] arrays (discontinuity, adjacent difference), one (shuffle)
    assert [o.temp_storage_bytes for o in objs] == [1024, 1024, 512, 512]
    assert disc.cxx == "::cub::BlockDiscontinuity<::cuda::std::int32_t, 128, 1, 1>"
    assert diff.cxx == "::cub::BlockAdjacentDifference<::cuda::std::int32_t, 128, 1, 1>"
    assert up.cxx == rot.cxx == "::cub::BlockShuffle<::cuda::std::int32_t, 128, 1, 1>"
    nbytes = max(o.temp_storage_bytes for o in objs)
    align = max(o.temp_storage_alignment for o in objs)

    def k(d_in, d_out):
        tid = cuda.threadIdx.x
        temp = coop.TempStorage(nbytes, align)
        items = cuda.local.array(4, numba.int32)  # a plain array: the host fixed items per thread
        out = coop.local.array(4, np.int32)
        heads = coop.local.array(4, np.uint8)
        tails = coop.local.array(4, np.uint8)
        for i in range(4):
            items[i] = d_in[tid * 4 + i]
        disc(items, heads, tails, tile_successor_item=d_in[0], temp_storage=temp)
        diff(items, out, temp_storage=temp)
        up(items, out, temp_storage=temp)
        r = rot(d_in[tid], temp_storage=temp)
        coop.block.discontinuity(items, heads, items_per_thread=4, temp_storage=temp)
        coop.block.shuffle(items, out, block_shuffle_type="down", temp_storage=temp)
        d_out[tid] = r + heads[0] + tails[0] + out[0]

    src = build(k)
    assert calls(src) == [("Down", 2), ("FlagHeads", 3), ("FlagHeadsAndTails", 5), ("Rotate", 3), ("SubtractRight", 3),
                          ("Up", 2)]
    assert src.count("C __obj(static_cast<typename C::TempStorage*>(__self)[__index]);") == 6
    assert "::cuda::std::less<>{}" in src


@pytest.mark.parametrize("make, message", [
    (lambda: coop.block.discontinuity(np.int32, 128, 4, "+"), "argument `flag_op`: unknown operator '+'"),
    (lambda: coop.block.discontinuity(np.int32, 128, 4, "!=", np.float32),
     "argument `flag_dtype`: flags are 0/1 values of a bool or integer type, got float32"),
    (lambda: coop.block.discontinuity(np.int32, 128, 4, "!=", np.uint8, "SIDEWAYS"),
     "block_discontinuity_type='SIDEWAYS' is not a BlockDiscontinuityType"),
    (lambda: coop.block.discontinuity(np.int32, 128, 4, tile_predecessor_item=0),
     "argument `tile_predecessor_item`: cannot be fixed on the host"),
    (lambda: coop.block.adjacent_difference(np.int32, 128, 4, "<"), "argument `difference_op`: unknown operator '<'"),
    (lambda: coop.block.adjacent_difference(np.int32, 128, 4, "-", "SubtractUp"),
     "is not a BlockAdjacentDifferenceType"),
    (lambda: coop.block.adjacent_difference(np.int32, 128, 4, valid_items=5),
     "argument `valid_items`: cannot be fixed on the host"),
    (lambda: coop.block.shuffle(np.int32, 128, 1, "Sideways"), "is not a BlockShuffleType"),
    (lambda: coop.block.shuffle(np.int32, 128, 1, "Rotate", 1.5),
     "argument `distance`: 1.5 for int32 items would be truncated"),
    (lambda: coop.block.shuffle(np.int32, 128, 4, bogus=1), "argument `bogus`: unknown keyword"),
], ids=["flag-op", "flag-dtype", "discontinuity-type", "host-tile-item", "difference-op", "difference-type",
        "host-valid-items", "shuffle-type", "distance", "keyword"])
def test_two_phase_constructor_errors(make, message):
    with pytest.raises(coop.CoopError, match=re.escape(message)):
        make()


def test_signatures_match_the_earlier_api():
    import inspect

    assert list(inspect.signature(coop.block.discontinuity).parameters)[:8] == [
        "items", "head_flags", "tail_flags", "items_per_thread", "flag_op", "block_discontinuity_type",
        "tile_predecessor_item", "tile_successor_item"]
    assert list(inspect.signature(coop.block.adjacent_difference).parameters)[:8] == [
        "items", "output_items", "items_per_thread", "difference_op", "block_adjacent_difference_type", "valid_items",
        "tile_predecessor_item", "tile_successor_item"]
    assert list(inspect.signature(coop.block.shuffle).parameters)[:7] == [
        "items", "output_items", "items_per_thread", "block_shuffle_type", "distance", "block_prefix", "block_suffix"]
    assert {"discontinuity", "adjacent_difference", "shuffle"} <= set(coop.block.__all__)
    assert str(coop.block.BlockShuffleType.Rotate) == "::cub::BlockShuffle::Rotate"


# =========================================================================== misuse: one clear CoopError each


@cuda.jit(device=True)
def dev_int_flag(a, b):
    return 1 if a != b else 0


@cuda.jit(device=True)
def dev_indexed_flag(a, b, b_index):
    return a != b and b_index > 0


@cuda.jit(device=True)
def dev_half(a):
    return a // 2


@cuda.jit(device=True)
def dev_float_diff(a, b):
    return (a - b) * 0.5


def e_flags_length(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(3, np.uint8)
    coop.block.discontinuity(items, heads)  # <- error


def e_flags_float(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(4, np.float32)
    coop.block.discontinuity(items, heads)  # <- error


def e_flags_two_dtypes(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(4, np.uint8)
    tails = coop.local.array(4, np.int32)
    coop.block.discontinuity(items, heads, tails)  # <- error


def e_heads_successor(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(4, np.uint8)
    coop.block.discontinuity(items, heads, tile_successor_item=d_in[0])  # <- error


def e_tails_predecessor(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    tails = coop.local.array(4, np.uint8)
    coop.block.discontinuity(items, tails, block_discontinuity_type="TAILS", tile_predecessor_item=0)  # <- error


def e_heads_given_tail_flags(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    flags = coop.local.array(4, np.uint8)
    coop.block.discontinuity(items, flags, flags, block_discontinuity_type="HEADS")  # <- error


def e_heads_and_tails_one_array(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(4, np.uint8)
    coop.block.discontinuity(items, heads, block_discontinuity_type="HEADS_AND_TAILS")  # <- error


def e_tails_two_arrays(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(4, np.uint8)
    tails = coop.local.array(4, np.uint8)
    coop.block.discontinuity(items, heads, tails, block_discontinuity_type="TAILS")  # <- error


def e_no_flags(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.discontinuity(items)  # <- error


def e_flag_op_returns_int(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(4, np.uint8)
    coop.block.discontinuity(items, heads, flag_op=dev_int_flag)  # <- error


def e_flag_op_sum(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(4, np.uint8)
    coop.block.discontinuity(items, heads, flag_op="+")  # <- error


def e_flag_op_plus_functor(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(4, np.uint8)
    coop.block.discontinuity(items, heads, flag_op=F.plus)  # <- error


def e_flag_op_with_index(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(4, np.uint8)
    coop.block.discontinuity(items, heads, flag_op=dev_indexed_flag)  # <- error


def e_preds_with_tails(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    preds = coop.local.array(4, d_in.dtype)
    tails = coop.local.array(4, np.uint8)
    coop.block.discontinuity(items, tail_flags=tails, preds=preds)  # <- error


def e_preds_are_items(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(4, np.uint8)
    coop.block.discontinuity(items, heads, preds=items)  # <- error


def e_flags_are_items(d_in, d_out):
    items = coop.local.array(4, np.int32)
    coop.block.discontinuity(items, items)  # <- error


def e_discontinuity_valid_items(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(4, np.uint8)
    coop.block.discontinuity(items, heads, valid_items=3)  # <- error


def e_predecessor_float(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    heads = coop.local.array(4, np.uint8)
    coop.block.discontinuity(items, heads, tile_predecessor_item=1.5)  # <- error


def e_discontinuity_scalar(d_in, d_out):
    heads = coop.local.array(1, np.uint8)
    coop.block.discontinuity(d_in[0], heads)  # <- error


def e_record_named_flag_op(d_in, d_out):
    items = coop.local.array(2, d_in.dtype)
    heads = coop.local.array(2, np.uint8)
    coop.block.discontinuity(items, heads)  # <- error


def e_diff_left_successor(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.adjacent_difference(items, items, tile_successor_item=0)  # <- error


def e_diff_right_predecessor(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.adjacent_difference(items, items, block_adjacent_difference_type="SubtractRight",  # <- error
                                   tile_predecessor_item=0)


def e_diff_partial_right_successor(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.adjacent_difference(items, items, valid_items=9, tile_successor_item=0,  # <- error
                                   block_adjacent_difference_type="SubtractRight")


def e_diff_float_to_int(d_in, d_out):
    items = coop.local.array(4, np.float32)
    out = coop.local.array(4, np.int32)
    coop.block.adjacent_difference(items, out)  # <- error


def e_diff_compare_op(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.adjacent_difference(items, items, difference_op="<")  # <- error


def e_diff_bool_minus(d_in, d_out):
    items = coop.local.array(4, np.bool_)
    coop.block.adjacent_difference(items, items)  # <- error


def e_diff_op_float_for_int(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.adjacent_difference(items, items, difference_op=dev_float_diff)  # <- error


def e_diff_op_one_argument(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.adjacent_difference(items, items, difference_op=dev_half)  # <- error


def e_diff_output_length(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    out = coop.local.array(3, d_in.dtype)
    coop.block.adjacent_difference(items, out)  # <- error


def e_diff_negative_valid(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.adjacent_difference(items, items, valid_items=-1)  # <- error


def e_diff_record_output(d_in, d_out):
    items = coop.local.array(2, d_in.dtype)
    out = coop.local.array(2, np.float32)
    coop.block.adjacent_difference(items, out, difference_op=pair_delta)  # <- error


def e_rotate_distance(d_in, d_out):
    d_out[0] = coop.block.shuffle(d_in[0], block_shuffle_type="rotate", distance=128)  # <- error


def e_rotate_negative(d_in, d_out):
    d_out[0] = coop.block.shuffle(d_in[0], block_shuffle_type="rotate", distance=-1)  # <- error


def e_up_without_output(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.shuffle(items)  # <- error


def e_down_without_output(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    edge = coop.local.array(1, d_in.dtype)
    coop.block.shuffle(items, block_shuffle_type="down", block_prefix=edge)  # <- error


def e_up_distance(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.shuffle(items, items, distance=2)  # <- error


def e_up_prefix(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    edge = coop.local.array(1, d_in.dtype)
    coop.block.shuffle(items, items, block_prefix=edge)  # <- error


def e_down_suffix(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    edge = coop.local.array(1, d_in.dtype)
    coop.block.shuffle(items, items, block_shuffle_type="down", block_suffix=edge)  # <- error


def e_offset_array(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.shuffle(items, items, block_shuffle_type="offset")  # <- error


def e_up_scalar(d_in, d_out):
    d_out[0] = coop.block.shuffle(d_in[0], block_shuffle_type="up")  # <- error


def e_offset_suffix(d_in, d_out):
    edge = coop.local.array(1, d_in.dtype)
    d_out[0] = coop.block.shuffle(d_in[0], block_suffix=edge)  # <- error


def e_offset_output_scalar(d_in, d_out):
    coop.block.shuffle(d_in[0], output_items=d_in[1])  # <- error


def e_offset_output_dtype(d_in, d_out):
    out = coop.local.array(1, np.float32)
    coop.block.shuffle(d_in[0], out)  # <- error


def e_suffix_dtype(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    edge = coop.local.array(1, np.int64)
    coop.block.shuffle(items, items, block_suffix=edge)  # <- error


def e_distance_float(d_in, d_out):
    d_out[0] = coop.block.shuffle(d_in[0], distance=1.5)  # <- error


def e_shuffle_up_items_per_thread(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    out = coop.local.array(2, d_in.dtype)
    coop.block.shuffle(items, out)  # <- error


ROT_200 = coop.block.shuffle(np.int32, 128, 1, "Rotate", 200)


def e_two_phase_rotate_distance(d_in, d_out):
    d_out[0] = ROT_200(d_in[0])  # <- error


ERRORS = [
    (e_flags_length, "coop.block.discontinuity", "head_flags", "holds 3 items, but items per thread is 4",
     "an array of 4 items"),
    (e_flags_float, "coop.block.discontinuity", "head_flags", "must be a 1-D bool or integer array", None),
    (e_flags_two_dtypes, "coop.block.discontinuity", "tail_flags", "mismatched dtypes: an array of int32, but the "
     "flags are uint8", "an array of uint8"),
    (e_heads_successor, "coop.block.discontinuity", "tile_successor_item", "CUB's FlagHeads takes no successor",
     "tile_predecessor_item="),
    (e_tails_predecessor, "coop.block.discontinuity", "tile_predecessor_item", "CUB's FlagTails takes no predecessor",
     "tile_successor_item="),
    (e_heads_given_tail_flags, "coop.block.discontinuity", "tail_flags", "HEADS writes head flags only",
     "HEADS_AND_TAILS"),
    (e_heads_and_tails_one_array, "coop.block.discontinuity", "tail_flags", "tail_flags is required", "a 1-D bool"),
    (e_tails_two_arrays, "coop.block.discontinuity", "tail_flags", "TAILS writes one flags array", "tail_flags= alone"),
    (e_no_flags, "coop.block.discontinuity", "head_flags", "is required", "a 1-D bool or integer array"),
    (e_flag_op_returns_int, "coop.block.discontinuity", "flag_op", "returns int64, not bool", "returning a bool"),
    (e_flag_op_sum, "coop.block.discontinuity", "flag_op", "is not an operator here", '"!="'),
    (e_flag_op_plus_functor, "coop.block.discontinuity", "flag_op", "does not return bool", '"!="'),
    (e_flag_op_with_index, "coop.block.discontinuity", "flag_op", r"takes \(a, b, b_index\)", "flag_op(a, b) -> bool"),
    (e_preds_with_tails, "coop.block.discontinuity", "preds", "only HEADS returns the predecessor items", "HEADS"),
    (e_preds_are_items, "coop.block.discontinuity", "preds", "is the same array as `items`", "a separate array"),
    (e_flags_are_items, "coop.block.discontinuity", "head_flags", "is the same array as `items`", "a separate array"),
    (e_discontinuity_valid_items, "coop.block.discontinuity", "valid_items", "unknown keyword", "tile_successor_item"),
    (e_predecessor_float, "coop.block.discontinuity", "tile_predecessor_item", "would be truncated", None),
    (e_discontinuity_scalar, "coop.block.discontinuity", "items", "must be an array, got int32", None),
    (e_diff_left_successor, "coop.block.adjacent_difference", "tile_successor_item", "SubtractLeft",
     "block_adjacent_difference_type=SubtractRight"),
    (e_diff_right_predecessor, "coop.block.adjacent_difference", "tile_predecessor_item", "SubtractRight",
     "block_adjacent_difference_type=SubtractLeft"),
    (e_diff_partial_right_successor, "coop.block.adjacent_difference", "tile_successor_item",
     "SubtractRightPartialTile takes no tile_successor_item", "omit tile_successor_item"),
    (e_diff_float_to_int, "coop.block.adjacent_difference", "output_items", "float32 items would be truncated to int32",
     "a float output array"),
    (e_diff_compare_op, "coop.block.adjacent_difference", "difference_op", "is not an operator here", '"-"'),
    (e_diff_bool_minus, "coop.block.adjacent_difference", "difference_op", "of bool items is an integer", '"^"'),
    (e_diff_op_float_for_int, "coop.block.adjacent_difference", "difference_op",
     "returns float64, which would be truncated to the int32 output", "return a int32 value"),
    (e_diff_op_one_argument, "coop.block.adjacent_difference", "difference_op", "cannot be called with two int32 items",
     "difference_op(a, b)"),
    (e_diff_output_length, "coop.block.adjacent_difference", "items", r"items per thread disagree \(items: 4, "
     r"output_items: 3\)", "arrays of the same length"),
    (e_diff_negative_valid, "coop.block.adjacent_difference", "valid_items", "must be at least 0", None),
    (e_rotate_distance, "coop.block.shuffle", "distance", "128 is out of range for Rotate in a block of 128 threads",
     "0..127"),
    (e_rotate_negative, "coop.block.shuffle", "distance", "-1 is out of range for Rotate", "0..127"),
    (e_up_without_output, "coop.block.shuffle", "output_items", "Up.* writes the shifted items to output_items",
     "the items array itself"),
    (e_down_without_output, "coop.block.shuffle", "output_items", "it is required", None),
    (e_up_distance, "coop.block.shuffle", "distance", "shifts by exactly one item", "Offset / Rotate"),
    (e_up_prefix, "coop.block.shuffle", "block_prefix", "returns block_suffix", "block_shuffle_type=Down"),
    (e_down_suffix, "coop.block.shuffle", "block_suffix", "returns block_prefix", "block_shuffle_type=Up"),
    (e_offset_array, "coop.block.shuffle", "items", "moves one item per thread, got an array", "items[0]"),
    (e_up_scalar, "coop.block.shuffle", "items", "shifts each thread's array of items, got a scalar",
     "distance=-1 (like Up)"),
    (e_offset_suffix, "coop.block.shuffle", "block_suffix", "has no block_suffix", "Up (block_suffix)"),
    (e_offset_output_scalar, "coop.block.shuffle", "output_items", "must be a 1-element array", "omit it"),
    (e_offset_output_dtype, "coop.block.shuffle", "output_items", "must be a 1-D array of int32", None),
    (e_suffix_dtype, "coop.block.shuffle", "block_suffix", "must be a 1-D array of int32", None),
    (e_distance_float, "coop.block.shuffle", "distance", "must be an integer, got float64", None),
    (e_shuffle_up_items_per_thread, "coop.block.shuffle", "items", "items per thread disagree",
     "arrays of the same length"),
    (e_two_phase_rotate_distance, "coop.block.shuffle", "distance",
     r"200 \(fixed by the two-phase constructor\) is out of range for Rotate", "0..127"),
]
RECORD_ERRORS = [
    (e_record_named_flag_op, "coop.block.discontinuity", "flag_op", r"is a C\+\+ operator, which Record\(",
     "a @cuda.jit(device=True) function of two items"),
    (e_diff_record_output, "coop.block.adjacent_difference", "output_items", "need an output of the same type",
     "an array of Record"),
]


def check_message(msg, kernel, primitive, arg, valid=None):
    assert msg.startswith(f"{primitive}: argument `{arg}`: "), msg
    assert f'test_coop_neighbors.py", line {line_of(kernel)}' in msg, msg
    if valid is not None:
        assert "\n  valid: " in msg and valid in msg.split("\n  valid: ", 1)[1], msg
    for noise in ("No implementation of function", "Invalid use of", "During: resolving callee type"):
        assert noise not in msg, msg


@pytest.mark.parametrize("kernel, primitive, arg, message, valid", ERRORS + RECORD_ERRORS,
                         ids=[e[0].__name__[2:] for e in ERRORS + RECORD_ERRORS])
def test_misuse_is_one_clear_coop_error(kernel, primitive, arg, message, valid):
    argtypes = (PAIRS, PAIRS) if (kernel, primitive, arg, message, valid) in RECORD_ERRORS else (I32, I32)
    msg = compile_error(kernel, argtypes)
    assert re.search(message, msg), msg
    check_message(msg, kernel, primitive, arg, valid)
