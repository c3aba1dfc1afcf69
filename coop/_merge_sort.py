"""Merge sort (CUB BlockMergeSort, WarpMergeSort): ``coop.block.merge_sort_keys``,
``coop.block.merge_sort_pairs``, ``coop.warp.merge_sort_keys`` and ``coop.warp.merge_sort_pairs``.

One call sorts the tile of ``items_per_thread * threads`` keys (block, or each logical warp)
held blocked across the threads (thread ``i`` holds keys ``i*ipt .. i*ipt+ipt-1``), in place,
by ``compare_op``; pairs move each value with its key. ``stable=True`` calls CUB's
StableSort, ``valid_items``/``oob_default`` its partial-tile overloads.
"""

from __future__ import annotations

import numpy as np
from numba.cuda import types

from cub_bindings import functional as F

from coop import _ops
from coop._common import BLOCK_ALIASES, DIMS, IPT, TEMP, VALID, WARP, WARP_ALIASES, block_class, is_user_type
from coop._decl import ABSENT, REQUIRED, Arg, Const, CubCall, Functor, Param, Primitive
from coop._host import PrimitiveFunction
from coop._kinds import DType, Flag, Items, Operator, Value

_ORDERS = (F.less, F.greater)
_COMPARE_VALID = _ops.ROLES["compare"].valid

_KEYS = Param("keys", Items("KeyT", scalar=False), REQUIRED, doc="the thread's keys, sorted in place (blocked)")
_COMPARE = Param("compare_op", Operator("compare"),
                 doc='the order, "a sorts before b" (default "<": ascending); a device function (a, b) -> bool '
                     "is required for record keys")
_STABLE = Param("stable", Flag(), False,
                doc="CUB StableSort: equal keys keep their order (Sort does not promise it)")
_OOB = Param("oob_default", Value("KeyT"),
             doc="with valid_items: a key that sorts after every valid key, filling the rest of the tile "
                 '(default for "<"/">" on int, uint, bool and float keys: the largest/smallest value, or +-inf)')
_DTYPE = Param("dtype", DType("KeyT"), REQUIRED, host_only=True, doc="the key dtype")
_VALUE_DTYPE = Param("value_dtype", DType("ValueT"), REQUIRED, host_only=True, doc="the value dtype")


def _values(required):
    return Param("values", Items("ValueT", scalar=False), REQUIRED if required else ABSENT,
                 doc="the thread's values, moved with their keys (of any dtype; as many as the keys)")


# --------------------------------------------------------------------------- the CUB call


def _compare_source(c):
    """The CUB compare_op: a libcu++ order, or the device function after checking its signature."""
    key = c.dtype("KeyT")
    if not c.has("compare_op"):
        functor = F.less
    else:
        kind, functor = c.op("compare_op")
        if kind == "device":
            _check_device_order(c, key)
            return None, Arg("compare_op")
        if functor not in _ORDERS:
            c.fail("compare_op", f"{functor!r} is not a strict weak order", _COMPARE_VALID)
    if is_user_type(key):
        c.fail("compare_op", f"{key} keys have no built-in order", "a @cuda.jit(device=True) function (a, b) -> bool")
    return functor, Functor(functor)


def _check_device_order(c, key):
    fnty = c.type("compare_op")
    try:
        sig = c.context.resolve_function_type(fnty, (key, key), {})
    except Exception as exc:  # the function's own typing error, e.g. a wrong number of arguments
        sig, why = None, str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    else:
        why = "no matching signature"
    if sig is None:
        c.fail("compare_op", f"cannot be called with two {key} keys ({why})", "a device function (a, b) -> bool")
    if not isinstance(sig.return_type, types.Boolean):
        c.fail("compare_op", f"returns {sig.return_type}, not bool (a sort needs \"a sorts before b\")",
               "a device function (a, b) -> bool, e.g. return a < b")


def _extreme(key, functor):
    """A key sorting after every other under ``functor`` (less: the largest), or None."""
    first = functor is F.less
    if isinstance(key, types.Boolean):
        return first
    if isinstance(key, types.Integer):
        info = np.iinfo(np.dtype(str(key)))
        return int(info.max if first else info.min)
    if isinstance(key, types.Float):
        return float("inf") if first else float("-inf")
    return None


def _build(c):
    if "dtype" in c.fixed and "value_dtype" not in c.fixed and c.has("values"):
        c.fail("values", "this two-phase merge_sort_keys was made for keys only (its TempStorage holds no values)",
               "merge_sort_pairs(dtype, value_dtype, ...) on the host, or the single-phase call")
    functor, op = _compare_source(c)
    args = {"keys": Arg("keys")}
    if c.has("values"):
        args["items"] = Arg("values")
    args["compare_op"] = op
    if c.has("valid_items"):
        args["valid_items"] = Arg("valid_items")
        if c.has("oob_default"):
            args["oob_default"] = Arg("oob_default")
        else:
            fill = _extreme(c.dtype("KeyT"), functor) if functor is not None else None
            if fill is None:
                c.fail("oob_default", "is required with valid_items here: CUB fills the tile past valid_items with "
                       "it, and it must sort after every valid key (there is a default only for \"<\"/\">\" on "
                       "int, uint, bool and float keys)",
                       "a key that sorts after every valid key")
            args["oob_default"] = Const(fill, "KeyT")
    elif c.has("oob_default"):
        c.fail("oob_default", "is only used with valid_items (it fills the tile past the valid keys)",
               "pass valid_items too, or omit oob_default")
    return CubCall("StableSort" if c.value("stable") else "Sort", args, returns=None)


# --------------------------------------------------------------------------- declarations

_DOC = """Sort {what} in place (CUB {cls}).
    ``compare_op`` is the order: "<" (default), ">" (descending) or a device function
    ``(a, b) -> bool`` (required for record keys). ``stable=True`` keeps equal keys in their
    order (CUB StableSort). ``valid_items`` sorts a partial tile: its first ``valid_items``
    keys end sorted at the front; ``oob_default`` (a key sorting after every valid key) fills
    the rest while sorting, and the items past ``valid_items`` are unspecified afterwards."""
_BLOCK_TILE = "the block's tile of ``items_per_thread * threads`` keys"
_WARP_TILE = "each logical warp's tile of ``items_per_thread * threads_in_warp`` keys"
_BLOCK_ALIASES = BLOCK_ALIASES | {"items": "values"}
_WARP_ALIASES = WARP_ALIASES | {"items": "values"}


def _block_template(c):
    x, y, z = c.dims
    threads = x * y * z
    if threads & (threads - 1):
        c.fail("threads_per_block", f"CUB's BlockMergeSort needs a power-of-two number of threads; this block has "
               f"{threads}", f"a block of {1 << (threads.bit_length() - 1)} or {1 << threads.bit_length()} threads")
    return block_class(c, "BlockMergeSort", {"KeyT": c.dtype("KeyT")}, ItemsPerThread=c.ipt,
                       ValueT=c.dtype("ValueT"))


def _warp_template(c):
    return "WarpMergeSort", {"KeyT": c.dtype("KeyT"), "ITEMS_PER_THREAD": c.ipt,
                             "LOGICAL_WARP_THREADS": c.warp_threads, "ValueT": c.dtype("ValueT")}


def _block(pairs):
    name = "merge_sort_pairs" if pairs else "merge_sort_keys"
    what = "key-value pairs across " + _BLOCK_TILE if pairs else _BLOCK_TILE
    head = ("keys", "values", "items_per_thread", "compare_op") if pairs else \
        ("keys", "items_per_thread", "compare_op", "values")
    return PrimitiveFunction(Primitive(
        "block", name, _DOC.format(what=what, cls="BlockMergeSort"),
        params=(_KEYS, _values(pairs), IPT, _COMPARE, VALID, _OOB, _STABLE, TEMP, DIMS, _DTYPE,
                *((_VALUE_DTYPE,) if pairs else ())),
        kernel_order=(*head, "valid_items", "oob_default", "stable", "temp_storage", "threads_per_block"),
        host_order=("dtype", *(("value_dtype",) if pairs else ()), "threads_per_block", "items_per_thread",
                    "compare_op", "stable"),
        template=_block_template, build=_build, aliases=_BLOCK_ALIASES,
        reaches={"BlockMergeSort": ("Sort", "StableSort")}))


def _warp(pairs):
    name = "merge_sort_pairs" if pairs else "merge_sort_keys"
    what = "key-value pairs across " + _WARP_TILE if pairs else _WARP_TILE
    head = ("keys", "values", "items_per_thread", "compare_op", "threads_in_warp") if pairs else \
        ("keys", "items_per_thread", "compare_op", "threads_in_warp", "values")
    return PrimitiveFunction(Primitive(
        "warp", name, _DOC.format(what=what, cls="WarpMergeSort"),
        params=(_KEYS, _values(pairs), IPT, _COMPARE, WARP, VALID, _OOB, _STABLE, TEMP, _DTYPE,
                *((_VALUE_DTYPE,) if pairs else ())),
        kernel_order=(*head, "valid_items", "oob_default", "stable", "temp_storage"),
        host_order=("dtype", *(("value_dtype",) if pairs else ()), "items_per_thread", "compare_op",
                    "threads_in_warp", "stable"),
        template=_warp_template, build=_build, aliases=_WARP_ALIASES,
        reaches={"WarpMergeSort": ("Sort", "StableSort")}))


block_merge_sort_keys = _block(False)
block_merge_sort_pairs = _block(True)
warp_merge_sort_keys = _warp(False)
warp_merge_sort_pairs = _warp(True)
