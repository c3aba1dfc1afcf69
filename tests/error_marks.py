"""Error tests mark the kernel line they expect a CoopError to point at with ``# <- error``;
``compile_error`` compiles such a kernel (CPU tier) and returns the CoopError's text."""

import contextlib
import inspect

import pytest
from numba import types

import coop
from cub_bindings.inspect import build_kernel

MARK = "# <- error"


def line_of(fn, marker=MARK):
    """The source line of ``fn`` carrying ``marker`` (exactly one)."""
    lines, start = inspect.getsourcelines(fn)
    hits = [start + i for i, line in enumerate(lines) if marker in line]
    assert len(hits) == 1, f"mark exactly one line of {fn.__name__} with {marker!r}"
    return hits[0]


def compile_error(kernel, argtypes=(types.int32[::1], types.int32[::1]), block=128):
    """The text of the CoopError compiling ``kernel`` raises (block shape ``block``, or none if None)."""
    shape = coop.launch_shape(block=block) if block is not None else contextlib.nullcontext()
    with shape, pytest.raises(coop.CoopError) as info:
        build_kernel(kernel, argtypes, cc=(9, 0))
    return str(info.value)
