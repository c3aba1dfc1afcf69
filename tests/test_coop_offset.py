"""``offset=`` of loads and stores (CPU tier): the tile's start is ``d + offset`` as in C++,
with none of a slice's wrap and clamp code, for every load/store form; results are in
tests/test_coop_offset_gpu.py (GPU and simulator), misuse in tests/misuse_cases.py."""

import re

import numpy as np
import pytest
from numba import cuda, types

import coop
from backend import not_simulated
from cub_bindings.inspect import build_kernel
from sass_text import opcodes

pytestmark = not_simulated("compiles kernels to SASS")
I32 = types.int32[::1]
TILE = 256 * 4


def with_offset(d_in, d_out):
    base = cuda.blockIdx.x * TILE
    items = coop.local.array(4, np.int32)
    coop.block.load(d_in, items, offset=base)
    coop.block.store(d_out, items, offset=base)


def with_slices(d_in, d_out):
    base = cuda.blockIdx.x * TILE
    items = coop.local.array(4, np.int32)
    coop.block.load(d_in[base:], items)
    coop.block.store(d_out[base:], items)


def _opcodes(kernel) -> list[str]:
    with coop.launch_shape(block=256):
        return opcodes(build_kernel(kernel, (I32, I32)).sass())


def test_an_offset_adds_to_the_pointer_without_a_slices_checks():
    """A slice ``d[base:]`` wraps a negative start and clamps one past the end (compares and
    selects in the SASS); ``offset=base`` is one address computation, as ``d + base`` in C++."""
    checks = re.compile(r"^U?(ISETP|SEL)")
    off, sliced = _opcodes(with_offset), _opcodes(with_slices)
    assert not [o for o in off if checks.match(o)], off
    assert [o for o in sliced if checks.match(o)], sliced
    assert len(off) < len(sliced)
    assert off.count("LDG.E") == sliced.count("LDG.E") == 4 and off.count("STG.E") == 4


@pytest.mark.parametrize("scope", ["block", "warp"])
def test_every_load_and_store_takes_an_offset_of_any_integer_type(scope):
    prim = getattr(coop, scope)

    def kernel(d_in, d_out):
        items = coop.local.array(2, np.int32)
        prim.load(d_in, items, offset=np.uint32(3))
        prim.store(d_out, items, offset=np.int16(5), valid_items=7)

    with coop.launch_shape(block=64):
        assert build_kernel(kernel, (I32, I32)).cubin


def test_offset_is_keyword_only():
    import inspect

    for fn in (coop.block.load, coop.block.store, coop.warp.load, coop.warp.store):
        p = inspect.signature(fn).parameters["offset"]
        assert p.kind is p.KEYWORD_ONLY and p.default is None


def _items_advanced(d_in, d_out):
    items = coop.local.array(8, np.int32)
    coop.block.load(d_in, coop.advance(items, 4))
    coop.block.store(d_out, items)


@not_simulated("compiles kernels")
def test_an_advanced_local_array_has_no_length_to_infer_items_per_thread_from():
    """``coop.advance`` of a ``coop.local.array`` is a plain array: its length is no longer
    known, so a primitive that infers items per thread from it says so."""
    with coop.launch_shape(block=64), pytest.raises(coop.CoopError, match=re.escape(
            "coop.block.load: argument `dst`: items per thread cannot be inferred from an array of unknown length")):
        build_kernel(_items_advanced, (I32, I32))
