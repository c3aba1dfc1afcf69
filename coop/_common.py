"""Parameters and helpers shared by the declarations in ``block.py`` and ``warp.py``."""

from __future__ import annotations

import numpy as np
from numba.cuda import types

from cub_bindings import functional as F

from coop._decl import REQUIRED, Arg, Const, CubCall, Functor, Param
from coop._kinds import BlockDims, Count, DType, Offset, TempStorageArg, Value, WarpThreads, is_user_type

DTYPE = Param("dtype", DType("T"), REQUIRED, host_only=True, doc="the item dtype")
DIMS = Param("threads_per_block", BlockDims(), doc="block shape; inferred from the launch when omitted")
IPT = Param("items_per_thread", Count("ipt"), doc="items per thread; inferred from the arrays' length when omitted")
TEMP = Param("temp_storage", TempStorageArg(), doc="shared memory for CUB's TempStorage (default: its own)")
WARP = Param("threads_in_warp", WarpThreads(), 32, doc="logical warp size")
VALID = Param("valid_items", Value("int", minimum=0),
              doc="the number of valid items (a partial tile, or the first threads/lanes); CUB's name")
OFFSET = Param("offset", Offset(),
               doc="items from the array's start where the tile begins (C++'s d + offset; in place of a slice d[offset:])")
#: the earlier API's spellings of valid_items, kept as documented aliases
VALID_ALIASES = {"num_valid_items": "valid_items", "num_valid": "valid_items"}
#: block primitives: the earlier API's ``dim=`` and the valid_items spellings
BLOCK_ALIASES = {"dim": "threads_per_block"} | VALID_ALIASES
#: warp primitives: CUB's and the earlier API's spellings of the logical warp size
WARP_ALIASES = {"warp_threads": "threads_in_warp", "logical_warp_threads": "threads_in_warp"} | VALID_ALIASES
#: warp reductions and scans: valid_items counts lanes (loads and stores count items)
VALID_LANES = Param("valid_items", Value("int", minimum=0, lanes=True),
                    doc="the number of valid lanes (the first ones); CUB's name")


def block_class(c, cls, lead=None, **targs):
    """(class, template arguments) of a block class: ``lead`` (default ``T``: the items' dtype),
    BlockDimX, ``targs``, BlockDimY, BlockDimZ (CUB's order for every block class)."""
    x, y, z = c.dims
    return cls, {**(lead or {"T": c.dtype()}), "BlockDimX": x, **targs, "BlockDimY": y, "BlockDimZ": z}


def check_sum(c, name):
    """CUB's Sum adds with ``+``: refuse items it cannot add (user types) or would add wrongly
    (a sum of bools is a logical or in C++) instead of failing in C++ or returning a bool."""
    if is_user_type(c.dtype()):
        c.fail(name, f"a sum of {c.dtype()} items: CUB adds with +, which {c.dtype()} does not have",
               "a reduce/scan with a @cuda.jit(device=True) operator of two items")
    if isinstance(c.dtype(), types.Boolean):
        c.fail(name, "summing bool items gives a bool (a logical or), not a count",
               "convert to an integer first, e.g. numba.int32(x > 0), or use binary_op=\"or\"")


def identity(functor, dtype):
    """The identity of a libcu++ functor for ``dtype`` (the value an exclusive scan starts
    from when no ``initial_value`` is given), or None if it has none."""
    if isinstance(dtype, types.Boolean):
        table = {F.logical_and: True, F.logical_or: False, F.bit_and: True, F.bit_or: False, F.bit_xor: False,
                 F.plus: False, F.minimum: True, F.maximum: False}
        return table.get(functor)
    if not isinstance(dtype, (types.Integer, types.Float)):
        return None
    npdt = np.dtype(str(dtype))
    lo, hi = (np.iinfo(npdt).min, np.iinfo(npdt).max) if npdt.kind in "iu" else (-np.inf, np.inf)
    table = {F.plus: 0, F.multiplies: 1, F.minimum: hi, F.maximum: lo}
    if npdt.kind in "iu":
        table.update({F.bit_and: int(np.array(-1).astype(npdt)), F.bit_or: 0, F.bit_xor: 0})
    v = table.get(functor)
    return None if v is None else (int(v) if npdt.kind in "iu" else float(v))


def op_source(c, name, default=None):
    """The CUB argument for an operator parameter: a functor constant or the device function."""
    if not c.has(name):
        kind, f = "cxx", default
    else:
        kind, f = c.op(name)
    if kind == "cxx" and f is not None and is_user_type(c.dtype()):
        c.fail(name, f"{f!r} is a C++ operator, which {c.dtype()} items do not have"
               + ("" if c.has(name) else " (it is the default)"),
               "a @cuda.jit(device=True) function of two items")
    return kind, f, (Functor(f) if kind == "cxx" else Arg(name))


def initial_source(c, name, kind, functor, what):
    """``initial_value`` (given, or the functor's identity), or None."""
    if c.has(name):
        return Arg(name)
    if kind == "cxx":
        v = identity(functor, c.dtype())
        if v is None:
            c.fail(name, f"{functor!r} has no identity for {c.dtype()}; {what} needs initial_value")
        return Const(v)
    return None


def load_call(c, it: str, items: str, valid: str) -> CubCall:
    """``Load(it, items[, valid[, oob_default]])`` with CUB's parameter names (block and warp differ)."""
    args = {it: Arg("src", "offset" if c.has("offset") else None), items: Arg("dst")}
    if c.has("valid_items"):
        args[valid] = Arg("valid_items")
        if c.has("oob_default"):
            args["oob_default"] = Arg("oob_default")
    elif c.has("oob_default"):
        c.fail("oob_default", "is only used with valid_items (it fills the items past the end)")
    return CubCall("Load", args, returns=None)


def store_call(c, it: str, items: str, valid: str) -> CubCall:
    args = {it: Arg("dst", "offset" if c.has("offset") else None), items: Arg("src")}
    if c.has("valid_items"):
        args[valid] = Arg("valid_items")
    return CubCall("Store", args, returns=None)
