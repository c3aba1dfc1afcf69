"""``cub_bindings.advance(d, offset)``: C++'s ``d + offset`` for the raw bindings' array
arguments (CPU tier: the SASS has none of a slice's checks; typing errors; the host/simulator
Python form). Results on the GPU: tests/test_bindings_gpu.py."""

import re

import numba
import numpy as np
import pytest
from numba import cuda, types
from numba.core.errors import TypingError

import cub_bindings as cb
from backend import not_simulated
from cub_bindings.inspect import build_kernel
from sass_text import opcodes

I32 = types.int32[::1]
T, IPT = 128, 4


def with_advance(d_in, d_out):
    off = cuda.blockIdx.x * (T * IPT)
    items = cb.local_array(IPT, numba.int32)
    cb.BlockLoad(np.int32, T, IPT, cb.BLOCK_LOAD_DIRECT).Load(cb.advance(d_in, off), items)
    cb.BlockStore(np.int32, T, IPT, cb.BLOCK_STORE_DIRECT).Store(cb.advance(d_out, off), items)


def with_slices(d_in, d_out):
    off = cuda.blockIdx.x * (T * IPT)
    items = cb.local_array(IPT, numba.int32)
    cb.BlockLoad(np.int32, T, IPT, cb.BLOCK_LOAD_DIRECT).Load(d_in[off:], items)
    cb.BlockStore(np.int32, T, IPT, cb.BLOCK_STORE_DIRECT).Store(d_out[off:], items)


def _opcodes(fn) -> list[str]:
    return opcodes(build_kernel(fn, (I32, I32)).sass())


@not_simulated("compiles kernels to SASS")
def test_advance_is_one_address_computation():
    checks = re.compile(r"^U?(ISETP|SEL)")
    adv, sliced = _opcodes(with_advance), _opcodes(with_slices)
    assert not [o for o in adv if checks.match(o)], adv
    assert [o for o in sliced if checks.match(o)], sliced
    assert adv.count("LDG.E") == sliced.count("LDG.E") == IPT


@not_simulated("compiles kernels")
@pytest.mark.parametrize("body, message", [
    ("cb.advance(d_in, 1.5)", "must be an integer, got float64"),
    ("cb.advance(cuda.local.array((2, 2), numba.int32), 1)", "must be a 1-D C-contiguous array, got array(int32, 2d"),
    ("cb.advance(d_in)", "takes (array, offset)"),
])
def test_advance_typing_errors(body, message):
    ns = {"cb": cb, "numba": numba, "cuda": cuda}
    exec(f"def k(d_in, d_out):\n    d_out[0] = {body}[0]\n", ns)
    with pytest.raises(TypingError, match=re.escape(message)):
        build_kernel(ns["k"], (I32, I32))


def _prefix_state_kernel(advanced: bool):
    """A loop over 4 states, each scan's prefix-callback state two items of one local array:
    the slice ``state[2 * n:2 * n + 2]`` (clamped to the array), or ``cb.advance(state, 2 * n)``
    (C++'s ``&state[2 * n]``)."""

    def kernel(d_in, d_out):
        items = cb.local_array(IPT, numba.int32)
        state = cb.local_array(8, numba.int32)
        for j in range(8):
            state[j] = 0
        cb.BlockLoad(np.int32, T, IPT, cb.BLOCK_LOAD_DIRECT).Load(d_in, items)
        for n in range(numba.uint64(d_out.size) % numba.uint64(4)):  # a run-time trip count: not unrolled
            part = cb.advance(state, 2 * n) if advanced else state[2 * n:2 * n + 2]
            cb.BlockScan(np.int32, T).InclusiveSum(items, items, cb.StatefulOp(_running_total, part))
        cb.BlockStore(np.int32, T, IPT, cb.BLOCK_STORE_DIRECT).Store(d_out, items)

    return kernel


@cuda.jit(device=True)
def _running_total(state, aggregate):
    old = state[0]
    state[0] = old + aggregate
    return old


@not_simulated("compiles kernels to SASS")
def test_advance_of_a_local_array_has_no_slice_clamps():
    """``cb.advance`` takes a ``local_array`` (the prefix-callback state of a loop over states)
    and gives a plain array: the clamps of ``state[2 * n:2 * n + 2]`` (selects) are gone."""
    from cub_bindings.inspect import _device_functions_without_gpu

    with _device_functions_without_gpu((9, 0)):
        adv, sliced = _opcodes(_prefix_state_kernel(True)), _opcodes(_prefix_state_kernel(False))
    selects = re.compile(r"^U?SEL")
    assert len([o for o in adv if selects.match(o)]) < len([o for o in sliced if selects.match(o)]), (adv, sliced)
    assert len(adv) < len(sliced)


def test_advance_outside_a_kernel_is_the_slice_and_checks_its_offset():
    a = np.arange(10)
    np.testing.assert_array_equal(cb.advance(a, 3), a[3:])
    assert cb.advance(a, 10).size == 0
    for bad in (-1, 11):
        with pytest.raises(ValueError, match="outside the 10 items"):
            cb.advance(a, bad)


@not_simulated("compiles kernels")
def test_the_pipeline_benchmarks_kernels_build():
    """benchmarks/bench_pipeline.py's kernels (slices, one shared buffer, cb.advance) compile."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import bench_pipeline as bp

    for body in (bp.pipeline_body, bp.pipeline_shared_body, bp.pipeline_advance_body):
        assert build_kernel(body, (I32, I32)).cubin[:4] == b"\x7fELF"
