"""Misuse: every case of the catalogue (tests/misuse_cases.py, rendered into docs/errors.md)
raises one CoopError naming the primitive, the argument and the kernel line, with the message
the catalogue shows; failures past typing (NVRTC, the static shared memory of CUB's
TempStorage, nvJitLink) are reported the same way; plain functions and lambdas compile as
operators; integer kernel arguments fix compile-time parameters when the kernel is launched."""

import os
import pathlib
import re

import numpy as np
import pytest
from numba import cuda, types

import coop
import misuse_cases as mc
from cub_bindings.inspect import build_kernel

I32 = types.int32[::1]
I64 = types.int64[::1]
F32 = types.float32[::1]
ELF = b"\x7fELF"
ROOT = pathlib.Path(__file__).resolve().parent.parent

# what a user must never see: Numba's or the toolchain's own reports
RAW = ("Failed in cuda mode pipeline", "candidate implementations", "ForceLiteralArg", "Pseudo-exception",
       "Cannot request literal type", "nvvmError", "NVRTC_ERROR", "of type Module(", "Traceback")


# =========================================================================== the catalogue


@pytest.fixture(scope="module")
def documented():
    return mc.documented((ROOT / mc.DOC).read_text())


@pytest.mark.parametrize("case", mc.CASES, ids=lambda c: c.id)
def test_misuse_case(case, documented):
    text = mc.error_of(case)
    head = f"{case.primitive}: " + (f"argument `{case.arg}`: " if case.arg else "")
    assert text.startswith(head), text
    assert case.message in text, text
    if case.kind != "host":
        assert f'File "{case.filename}", line {case.line}:' in text, text
    assert not any(r in text for r in RAW), text
    assert mc.normalized(text) == documented.get(case.id), (
        f"docs/errors.md does not show what {case.id} raises: .venv/bin/python scripts/errors_doc.py --write")


def test_the_catalogue_covers_every_family_and_is_large():
    assert len(mc.CASES) >= 80
    named = {c.primitive.split(" ")[0] for c in mc.CASES}
    for fam in ("load", "store", "exchange", "scan", "reduce", "sum", "merge_sort_keys", "radix_sort_keys",
                "histogram", "discontinuity", "adjacent_difference", "shuffle"):
        assert f"coop.block.{fam}" in named or any(n.startswith(f"coop.block.{fam}") for n in named), fam
    for fam in ("load", "sum", "reduce", "exchange", "inclusive_scan", "merge_sort_keys", "broadcast"):
        assert f"coop.warp.{fam}" in named, fam
    assert {"coop.local.array", "coop.shared.array", "coop.TempStorage", "coop.StatefulOp"} <= named


scan_ipt = coop.block.exclusive_sum(np.int32, 128, 4)


def k_two_phase_positional(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    scan_ipt(items, items, 7)  # src, dst, initial_value: items_per_thread was fixed on the host


def test_two_phase_positional_arguments_skip_only_host_fixed_parameters():
    with coop.launch_shape(block=128):
        src = build_kernel(k_two_phase_positional, (I32, I32), cc=(9, 0)).shim_source
    assert re.search(r"__obj\.ExclusiveScan\(", src), src  # initial_value 7 -> CUB's ExclusiveScan with init


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
        positional = [n for n, q in sig.parameters.items() if q.kind is not q.KEYWORD_ONLY]
        assert positional == list(prim.kernel_order), prim.qualname
        keyword = {n for n, q in sig.parameters.items() if q.kind is q.KEYWORD_ONLY}  # e.g. offset=
        assert keyword == {p.name for p in prim.params
                           if p.name not in prim.kernel_order and not p.host_only and p.kind.kernel}, prim.qualname
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


# =========================================================================== plain functions and lambdas as operators


def add(a, b):
    return a + b


def greater(a, b):
    return a > b


def k_plain_operators(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items)
    coop.block.inclusive_scan(items, items, add)
    coop.block.exclusive_scan(items, items, lambda a, b: a + b, initial_value=0)
    d_out[0] = coop.block.reduce(items, lambda a, b: max(a, b))
    d_out[1] = coop.block.reduce(items[0], add)
    d_out[2] = coop.warp.reduce(items[1], lambda a, b: a + b)
    coop.block.merge_sort_keys(items, compare_op=greater)
    coop.block.merge_sort_keys(items, compare_op=lambda a, b: a < b)
    coop.block.store(d_out, items)


scan_lambda = coop.block.inclusive_scan(np.int32, 128, lambda a, b: a + b, items_per_thread=4)
sort_def = coop.block.merge_sort_keys(np.int32, 128, 4, greater)


def k_two_phase_plain_operators(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    scan_lambda(items, items)
    sort_def(items)
    coop.block.store(d_out, items)


def test_plain_functions_and_lambdas_compile_as_device_operators():
    """A global def, a lambda in the kernel and a lambda given on the host: each becomes a
    device function whose compiled symbol has an identifier name (NVVM refused "<lambda>")."""
    with coop.launch_shape(block=128):
        b = build_kernel(k_plain_operators, (I32, I32), cc=(9, 0))
        assert b.cubin[:4] == ELF
        src = b.shim_source
        assert "cub_coop_op_add_" in src and "cub_coop_op_lambda_op_" in src and "cub_coop_op_greater_" in src
        assert "<lambda>" not in src
        assert build_kernel(k_two_phase_plain_operators, (I32, I32), cc=(9, 0)).cubin[:4] == ELF


def test_plain_functions_numba_types_itself_are_left_alone():
    from numba.cuda.typing.typeof import Purpose, typeof

    assert isinstance(typeof(add, Purpose.constant), types.Dispatcher)
    with pytest.raises(ValueError):  # a function passed as a kernel argument: Numba's own answer
        typeof(add, Purpose.argument)
    with pytest.raises(ValueError):
        typeof(np.linspace, Purpose.constant)  # numpy's: Numba's registry decides, not coop
    assert coop._ops.device_function(add) is coop._ops.device_function(add)


# =========================================================================== kernel arguments for compile-time values


def k_arguments_as_constants(d_in, d_out, ipt, w):
    items = coop.local.array(ipt, d_in.dtype)
    coop.block.load(d_in, items, items_per_thread=ipt)
    d_out[0] = coop.warp.sum(items[0], threads_in_warp=w)


def test_integer_kernel_arguments_fix_compile_time_parameters_at_a_launch(monkeypatch):
    """items_per_thread=ipt and threads_in_warp=w from kernel arguments: a launch compiles the
    kernel once per value (the argument typed as a literal), as coop.local.array(ipt, ...)."""
    from numba.cuda import codegen
    from numba.cuda import dispatcher as nd

    from cub_bindings.inspect import _device_functions_without_gpu

    monkeypatch.setattr(nd._Kernel, "bind", lambda self: None)  # loading the cubin needs a context
    monkeypatch.setattr(codegen.CUDACodeLibrary, "_ensure_cc", lambda self, cc: cc or (9, 0, "a"))
    k = cuda.jit(k_arguments_as_constants)
    with _device_functions_without_gpu((9, 0)), coop.launch_shape(block=128):
        kern = k._compile_for_args(np.zeros(512, np.int32), np.zeros(8, np.int32), 4, 16)
    assert kern.argtypes[2:] == (types.literal(4), types.literal(16))


# =========================================================================== past typing: NVRTC, shared memory, nvJitLink


def k_warp_transpose_100(d_in, d_out):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items, algorithm="warp_transpose")  # <- error
    coop.block.store(d_out, items)


def test_an_nvrtc_failure_names_the_coop_call_and_its_line(monkeypatch):
    """With the check before compiling disabled, CUB's static_assert fails in NVRTC: the error is
    one CoopError at the call that generated the shim, NVRTC's text shortened."""
    from error_marks import line_of

    monkeypatch.setattr(coop._limits, "check_call", lambda *a: None)
    monkeypatch.setenv("CUB_COOP_NO_CACHE", "1")
    with coop.launch_shape(block=100), pytest.raises(coop.CoopError) as info:
        build_kernel(k_warp_transpose_100, (I32, I32), cc=(9, 0))
    text = str(info.value)
    assert text.startswith("coop.block.load: CUB does not compile for these arguments (NVRTC): "), text
    assert "ThreadsPerBlock must be a multiple of warp_threads" in text and "cub/block/block_load.cuh" in text
    assert f'line {line_of(k_warp_transpose_100)}:' in text and "/include/" not in text, text
    assert "_V_" not in text and "coop.block.store" not in text, text


def k_transpose_tile(d_in, d_out):
    items = coop.local.array(32, d_in.dtype)
    coop.block.load(d_in, items, algorithm="transpose")
    coop.block.store(d_out, items, algorithm="transpose")


def test_cub_temp_storage_over_static_shared_memory_overlaps_instead_of_failing():
    """Two transposing calls, each within 48 KB, together over it (they once failed before
    linking): the kernel's plan overlaps them, a barrier before each (tests/test_smem_plan.py)."""
    with coop.launch_shape(block=128):
        b = build_kernel(k_transpose_tile, (I64, I64), cc=(9, 0))
    assert b.plan.overlap and b.plan.barriers and not b.plan.dynamic


def test_nvjitlink_errors_are_one_line():
    from cub_bindings._runtime import nvrtc_service as svc

    log = ("nvJitLink error log: ptxas error   : Entry function '_ZN8__main__10big_sharedB2v8B108cw51cXTLSUwv1"
           "E5ArrayIiLi1E1C7mutable7alignedE' uses too much shared data (0x203a0 bytes, 0xc000 max)\n"
           "ERROR NVJITLINK_ERROR_PTX_COMPILE: JIT the PTX (ltoPtx)")
    assert svc.explain_link_log(log).startswith("kernel __main__.big_shared needs 132000 bytes (129 KB) of static "
                                                "shared memory, over the 49152 bytes (48 KB)")
    with pytest.raises(coop.CoopError, match="nvJitLink could not link the kernel"):
        svc.link_cubin([b"not LTOIR"])


# =========================================================================== the items budget


def test_the_items_budget_is_an_environment_setting(monkeypatch):
    from coop import _limits

    assert _limits.items_budget() == _limits.ITEMS_BUDGET == 4096
    monkeypatch.setenv("COOP_ITEMS_BUDGET", "0")
    assert _limits.items_budget() is None
    monkeypatch.setenv("COOP_ITEMS_BUDGET", "lots")
    with pytest.raises(coop.CoopError, match="a number of bytes"):
        _limits.items_budget()
    monkeypatch.setenv("COOP_ITEMS_BUDGET", "64")
    case = next(c for c in mc.CASES if c.id == "load-oob-default-without-valid-items")  # 4 int32 items: 16 bytes
    assert "is only used with valid_items" in mc.error_of(case)
    monkeypatch.setenv("COOP_ITEMS_BUDGET", "8")
    assert "16 bytes per thread, over the 8-byte budget" in mc.error_of(case)
