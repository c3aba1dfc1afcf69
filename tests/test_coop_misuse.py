"""The misuse that used to compile into a wrong kernel (coop v2 issue), each now one
CoopError naming the primitive, the argument and the kernel line."""

import re

import numpy as np
import pytest
from numba import cuda, types

import coop
from error_marks import compile_error
from cub_bindings.inspect import build_kernel

I32 = types.int32[::1]
I8 = types.int8[::1]
U8 = types.uint8[::1]


def e_initial_float(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.exclusive_scan(items, items, "+", initial_value=1.5)  # <- error


def e_initial_range(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.exclusive_scan(items, items, "+", initial_value=1000)  # <- error


def e_oob_range(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items, num_valid_items=10, oob_default=300)  # <- error


def e_shared_items(d_in, d_out):
    items = coop.shared.array(4, d_in.dtype)
    coop.block.exclusive_sum(items, items)  # <- error


def e_bool_sum(d_in, d_out):
    s = coop.block.sum(d_in[cuda.threadIdx.x] > 0)  # <- error
    d_out[0] = s


def e_warp_valid(d_in, d_out):
    d_out[0] = coop.warp.sum(d_in[cuda.threadIdx.x], threads_in_warp=16, valid_items=20)  # <- error


def e_negative_valid(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items, num_valid_items=-1)  # <- error


def e_block_mismatch(d_in, d_out):
    d_out[0] = coop.block.sum(d_in[cuda.threadIdx.x], threads_per_block=256)  # <- error


scan_tp = coop.block.scan(np.int32, 256, 1)


def e_two_phase_block_mismatch(d_in, d_out):
    d_out[0] = scan_tp(d_in[cuda.threadIdx.x])  # <- error


@pytest.mark.parametrize("kernel, argtypes, primitive, arg, message", [
    (e_initial_float, (I32, I32), "coop.block.exclusive_scan", "initial_value",
     "a float64 value for int32 the items would be truncated"),
    (e_initial_range, (I8, I8), "coop.block.exclusive_scan", "initial_value", "1000 does not fit int8 (range -128..127)"),
    (e_oob_range, (U8, U8), "coop.block.load", "oob_default", "300 does not fit uint8 (range 0..255)"),
    (e_shared_items, (I32, I32), "coop.block.exclusive_sum", "src", "is a coop.shared.array"),
    (e_bool_sum, (I32, I32), "coop.block.sum", "src", "summing bool items gives a bool"),
    (e_warp_valid, (I32, I32), "coop.warp.sum", "valid_items", "20 is more than the 16 threads of the logical warp"),
    (e_negative_valid, (I32, I32), "coop.block.load", "valid_items", "must be at least 0, got -1"),
    (e_block_mismatch, (I32, I32), "coop.block.sum", "threads_per_block",
     "states a block shape of 256, but this kernel is compiled for"),
    (e_two_phase_block_mismatch, (I32, I32), "coop.block.scan", "threads_per_block",
     "the two-phase object fixes a block shape of 256, but this kernel is compiled for"),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_silent_wrong_answers_are_errors(kernel, argtypes, primitive, arg, message):
    text = compile_error(kernel, argtypes)
    assert text.startswith(f"{primitive}: argument `{arg}`: "), text
    assert message in text, text
    assert "# <- error" in text, text


scan_ipt = coop.block.exclusive_sum(np.int32, 128, 4)


def k_two_phase_positional(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    scan_ipt(items, items, 7)  # src, dst, initial_value: items_per_thread was fixed on the host


def test_two_phase_positional_arguments_skip_only_host_fixed_parameters():
    with coop.launch_shape(block=128):
        src = build_kernel(k_two_phase_positional, (I32, I32), cc=(9, 0)).shim_source
    assert re.search(r"__obj\.ExclusiveScan\(", src), src  # initial_value 7 -> CUB's ExclusiveScan with init


def e_two_phase_positional_kind(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    scan_ipt(items, items, 7, "raking")  # <- error


def test_a_positional_value_of_the_wrong_kind_is_an_error_not_a_guess():
    text = compile_error(e_two_phase_positional_kind)
    assert "coop.block.exclusive_sum: argument `block_prefix_callback_op`: must be stateful" in text, text


def test_host_side_misuse_raises_coop_error_with_the_natural_base():
    with pytest.raises(coop.CoopError) as info:
        coop.block.scan(np.int32, 128, 4, initial_value=1.5)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert "would be truncated" in str(info.value)
    with pytest.raises(coop.CoopError, match="300 does not fit uint8"):
        coop.block.scan(np.uint8, 128, initial_value=300)
    with pytest.raises(ValueError, match="threads_in_warp"):
        coop.warp.sum(np.int32, threads_in_warp=48)


# --------------------------------------------------------------------------- docs come from the declarations


def test_signatures_and_help_come_from_the_declarations():
    import inspect

    from coop.docs import all_primitives

    for prim in all_primitives():
        fn = getattr(getattr(coop, prim.scope), prim.name)
        sig = inspect.signature(fn)
        assert list(sig.parameters) == list(prim.kernel_order), prim.qualname
        for p in prim.params:
            assert p.name in fn.__doc__, (prim.qualname, p.name)
        for m in prim.methods:
            assert f".{m.name}(" in fn.__doc__


def test_one_name_for_valid_items_with_the_earlier_spellings_as_aliases():
    import inspect

    for fn in (coop.block.load, coop.block.store, coop.block.reduce, coop.block.sum, coop.warp.load,
               coop.warp.store, coop.warp.reduce, coop.warp.sum, coop.warp.exclusive_scan):
        assert "valid_items" in inspect.signature(fn).parameters, fn
        assert fn.prim.aliases["num_valid_items"] == fn.prim.aliases["num_valid"] == "valid_items"
        assert "num_valid_items = valid_items" in fn.__doc__


def k_warp_load_valid_items_count_items(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.warp.load(d_in, items, valid_items=125, threads_in_warp=32)  # items, not lanes: up to 4 * 32


def test_warp_load_valid_items_count_items_not_lanes():
    with coop.launch_shape(block=128):
        assert build_kernel(k_warp_load_valid_items_count_items, (I32, I32), cc=(9, 0)).cubin[:4] == b"\x7fELF"
