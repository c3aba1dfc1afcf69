"""Neighbour primitives: ``coop.block.discontinuity``, ``adjacent_difference`` and ``shuffle``
(CUB BlockDiscontinuity, BlockAdjacentDifference, BlockShuffle), declared with the model of
``coop/_decl.py``; ``coop/block.py`` makes them public as ``coop.block.<name>``.

Each compares or moves items between neighbouring threads of the blocked arrangement
(thread ``t`` holds tile items ``t * items_per_thread ...``), so a tile's first and last
items have no neighbour unless ``tile_predecessor_item`` / ``tile_successor_item`` gives one.
"""

from __future__ import annotations

import numpy as np
from numba.cuda import types

from cub_bindings import functional as F
from cub_bindings.extending import FixedArray, static_length

from coop import _ops
from coop._arrays import ThreadDataType
from coop._common import BLOCK_ALIASES, DIMS, DTYPE, IPT, TEMP, VALID, block_class, is_user_type, op_source
from coop._decl import REQUIRED, Arg, CubCall, Param, Primitive, Scratch
from coop._host import PrimitiveFunction
from coop._kinds import DType, Enum, IndexArray, Items, Operator, Output, Ref, Value
from coop.enums import BlockAdjacentDifferenceType, BlockDiscontinuityType, BlockShuffleType

_D, _A, _S = BlockDiscontinuityType, BlockAdjacentDifferenceType, BlockShuffleType
_FLAGS = "a 1-D bool or integer array of items-per-thread length"
_DIM = {"dim": "threads_per_block"}  # the block-shape alias only: these primitives take no valid_items


# --------------------------------------------------------------------------- shared checks


def _device_return(c, name, argtys):
    """(return type, None) of the device function ``name`` called with ``argtys``, or (None, why)."""
    try:
        sig = c.context.resolve_function_type(c.type(name), tuple(argtys), {})
    except Exception as exc:  # numba's typing error: the function does not take these arguments
        return None, (str(exc).strip().splitlines() or ["cannot be typed"])[0]
    return (None, "cannot be typed") if sig is None else (sig.return_type, None)


def _device_op(c, name, what):
    """The return type of a device-function operator called as CUB calls it: ``op(a, b)``."""
    t = c.dtype()
    ret, why = _device_return(c, name, (t, t))
    if ret is None:
        if name == "flag_op" and _device_return(c, name, (t, t, types.int32))[0] is not None:
            c.fail(name, "takes (a, b, b_index): CUB's form with the item index is not bound here "
                   "(the C++ shim calls flag_op(a, b))", f"a device function {what}")
        c.fail(name, f"cannot be called with two {t} items: {why}", f"a device function {what}")
    return ret


def _same_variable(c, a, b) -> bool:
    va, vb = c.variables.get(a), c.variables.get(b)
    return va is not None and vb is not None and getattr(va, "name", va) == getattr(vb, "name", vb)


def _distinct(c, out, inp, why):
    if c.has(out) and _same_variable(c, out, inp):
        c.fail(out, f"is the same array as `{inp}`: {why}", f"a separate array for {out}")


# --------------------------------------------------------------------------- discontinuity

#: the libcu++ functors returning bool that flag_op accepts (comparisons and logical operators)
_BOOL_FUNCTORS = frozenset(_ops.ROLES["flag"].names.values()) | {F.logical_and, F.logical_or}


class _FlagDType(DType):
    """The two-phase constructor's flag_dtype: a bool or integer dtype."""

    def __init__(self):
        super().__init__("FlagT")
        self.doc = "a bool or integer NumPy/Numba dtype"

    def host_value(self, c, p, v):
        ty, value = super().host_value(c, p, v)
        if not isinstance(ty, (types.Boolean, types.Integer)):
            c.fail(p.name, f"flags are 0/1 values of a bool or integer type, got {ty}",
                   "np.bool_, np.uint8, np.int32, ...")
        return ty, value


def _flag_op(c):
    kind, functor, src = op_source(c, "flag_op", F.not_equal_to)
    if kind == "cxx" and functor not in _BOOL_FUNCTORS:
        c.fail("flag_op", f"{functor!r} does not return bool (a flag is set where flag_op(a, b) is true)",
               _ops.ROLES["flag"].valid)
    if kind == "device":
        ret = _device_op(c, "flag_op", "flag_op(a, b) -> bool")
        if not isinstance(ret, types.Boolean):
            c.fail("flag_op", f"returns {ret}, not bool (a flag is set where flag_op(a, b) is true)",
                   "a device function returning a bool, e.g. `return a != b`")
    return src


def _discontinuity_kind(c):
    kind, heads, tails = c.value("block_discontinuity_type"), c.has("head_flags"), c.has("tail_flags")
    if kind is None:
        if not heads and not tails:
            c.fail("head_flags", "is required (or tail_flags=)", _FLAGS)
        return _D.HEADS_AND_TAILS if heads and tails else _D.HEADS if heads else _D.TAILS
    return kind


def _discontinuity_build(c):
    kind = _discontinuity_kind(c)
    heads, tails = c.has("head_flags"), c.has("tail_flags")
    pred, succ = c.has("tile_predecessor_item"), c.has("tile_successor_item")
    if kind == _D.HEADS:
        if not heads:
            c.fail("head_flags", "HEADS writes head flags: head_flags is required", _FLAGS)
        if tails:
            c.fail("tail_flags", "HEADS writes head flags only",
                   "block_discontinuity_type=HEADS_AND_TAILS, or omit tail_flags")
        if succ:
            c.fail("tile_successor_item", "HEADS compares each item with its predecessor: CUB's FlagHeads takes no "
                   "successor", "tile_predecessor_item=, or block_discontinuity_type=TAILS / HEADS_AND_TAILS")
        flags = {"head_flags": Arg("head_flags")}
    elif kind == _D.TAILS:
        if heads and tails:
            c.fail("tail_flags", "TAILS writes one flags array, but head_flags and tail_flags are both given",
                   "tail_flags= alone (or the flags as the second argument), or HEADS_AND_TAILS")
        if pred:
            c.fail("tile_predecessor_item", "TAILS compares each item with its successor: CUB's FlagTails takes no "
                   "predecessor", "tile_successor_item=, or block_discontinuity_type=HEADS / HEADS_AND_TAILS")
        flags = {"tail_flags": Arg("tail_flags" if tails else "head_flags")}
    else:
        if not (heads and tails):
            missing = "tail_flags" if heads else "head_flags"
            c.fail(missing, f"HEADS_AND_TAILS writes head and tail flags: {missing} is required", _FLAGS)
        flags = {"head_flags": Arg("head_flags"), "tail_flags": Arg("tail_flags")}
    if c.has("preds") and kind != _D.HEADS:
        c.fail("preds", f"only HEADS returns the predecessor items (CUB's FlagHeads), not {kind!r}",
               "block_discontinuity_type=HEADS, or omit preds")
    for name in ("head_flags", "tail_flags", "preds"):
        _distinct(c, name, "items", "CUB writes it while still reading the items")
    if heads and tails:
        _distinct(c, "tail_flags", "head_flags", "head and tail flags are two results")
    args = {**flags, "input": Arg("items"), "flag_op": _flag_op(c)}
    if c.has("preds"):
        args["preds"] = Arg("preds")
    if pred:
        args["tile_predecessor_item"] = Arg("tile_predecessor_item")
    if succ:
        args["tile_successor_item"] = Arg("tile_successor_item")
    method = {_D.HEADS: "FlagHeads", _D.TAILS: "FlagTails", _D.HEADS_AND_TAILS: "FlagHeadsAndTails"}[kind]
    return CubCall(method, args, returns=None)


discontinuity = PrimitiveFunction(Primitive(
    "block", "discontinuity",
    """Flag discontinuities between adjacent items of the tile (CUB BlockDiscontinuity).
    Item ``i`` of the tile (blocked) gets head flag ``flag_op(item[i-1], item[i])`` and tail
    flag ``flag_op(item[i], item[i+1])``; the tile's first item is always head-flagged and its
    last always tail-flagged (1) unless ``tile_predecessor_item`` / ``tile_successor_item``
    gives the neighbour to compare with. ``flag_op`` defaults to ``"!="`` (a flag where the
    value changes). ``block_discontinuity_type`` (HEADS, TAILS, HEADS_AND_TAILS) defaults to
    what the flags given say (head_flags: HEADS, tail_flags: TAILS, both: HEADS_AND_TAILS);
    with TAILS the second argument receives the tail flags. HEADS also returns each item's
    predecessor in ``preds`` (thread 0's ``preds[0]`` is left unchanged without
    ``tile_predecessor_item``). Flags are written as 0/1 in their own dtype.""",
    params=(Param("items", Items(scalar=False), REQUIRED),
            Param("head_flags", IndexArray(flags=True, group="FlagT"), doc="receives the head flags"),
            Param("tail_flags", IndexArray(flags=True, group="FlagT"), doc="receives the tail flags"),
            IPT,
            Param("flag_op", Operator("flag"), "!=", doc="flag_op(a, b) -> bool, a before b in the tile"),
            Param("block_discontinuity_type", Enum(BlockDiscontinuityType),
                  doc="HEADS, TAILS or HEADS_AND_TAILS (default: from the flags arrays given)"),
            Param("tile_predecessor_item", Value(), doc="the item before the tile (thread 0's first item is "
                                                        "compared with it instead of always flagged)"),
            Param("tile_successor_item", Value(), doc="the item after the tile (the last thread's last item is "
                                                      "compared with it instead of always flagged)"),
            Param("preds", Output(), doc="HEADS: receives each item's predecessor (CUB's name)"),
            TEMP, DIMS, DTYPE,
            Param("flag_dtype", _FlagDType(), np.dtype(np.bool_), host_only=True,
                  doc="the flags' dtype (kernel arrays must match it when given)")),
    kernel_order=("items", "head_flags", "tail_flags", "items_per_thread", "flag_op", "block_discontinuity_type",
                  "tile_predecessor_item", "tile_successor_item", "preds", "temp_storage", "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "flag_op", "flag_dtype", "block_discontinuity_type"),
    template=lambda c: block_class(c, "BlockDiscontinuity"),
    build=_discontinuity_build, aliases=_DIM | {"input": "items", "input_items": "items"},
    reaches={"BlockDiscontinuity": ("FlagHeads", "FlagTails", "FlagHeadsAndTails")}))


# --------------------------------------------------------------------------- adjacent difference


class _DifferenceOutput(Output):
    """The output of a difference: the items' length, its own dtype (default: the items')."""

    def __init__(self):
        super().__init__("OutT")
        self.doc = ("an output array of items-per-thread length, of the items' dtype or another number type "
                    "(default: the items array itself, in place)")

    def infer(self, c, p, ty):
        super().infer(c, p, ty)
        items = c.voted_dtypes("T")
        if isinstance(ty, ThreadDataType) and items:  # a ThreadData without dtype: the items' dtype
            c.vote_dtype(self.group, items[0], p.name, weak=True)


def _difference_types(c):
    t, out = c.dtype(), c.dtype("OutT") or c.dtype()
    if is_user_type(t) or is_user_type(out):
        if t != out:
            c.fail("output_items", f"items of {t} need an output of the same type, got {out}", f"an array of {t}")
    elif isinstance(t, types.Float) and isinstance(out, (types.Integer, types.Boolean)):
        c.fail("output_items", f"differences of {t} items would be truncated to {out}",
               "a float output array, or convert the items first")
    return out


def _difference_op(c, out):
    kind, functor, src = op_source(c, "difference_op", F.minus)
    if kind == "cxx" and functor in (F.minus, F.plus) and isinstance(c.dtype(), types.Boolean):
        c.fail("difference_op", f"{functor!r} of bool items is an integer, not a bool",
               '"^" (true where neighbours differ), or convert the items to an integer type')
    if kind == "device":
        ret = _device_op(c, "difference_op", "difference_op(a, b) -> value")
        if isinstance(ret, (types.Float, types.Complex)) and isinstance(out, (types.Integer, types.Boolean)):
            c.fail("difference_op", f"returns {ret}, which would be truncated to the {out} output",
                   f"return a {out} value, or use a float output array")
    return src


def _adjacent_build(c):
    left = c.value("block_adjacent_difference_type") == _A.SubtractLeft
    name = "SubtractLeft" if left else "SubtractRight"
    pred, succ, partial = c.has("tile_predecessor_item"), c.has("tile_successor_item"), c.has("valid_items")
    if left and succ:
        c.fail("tile_successor_item", "SubtractLeft subtracts each item's left neighbour: it takes no successor",
               "tile_predecessor_item=, or block_adjacent_difference_type=SubtractRight")
    if not left and pred:
        c.fail("tile_predecessor_item", "SubtractRight subtracts each item's right neighbour: it takes no "
               "predecessor", "tile_successor_item=, or block_adjacent_difference_type=SubtractLeft")
    if not left and partial and succ:
        c.fail("tile_successor_item", "CUB's SubtractRightPartialTile takes no tile_successor_item (the last valid "
               "item has no right neighbour and is copied)", "omit tile_successor_item, or valid_items")
    if partial and not left:
        tile = c.dims[0] * c.dims[1] * c.dims[2] * c.ipt
        v = c.type("valid_items")
        if isinstance(v, types.IntegerLiteral) and v.literal_value > tile:
            c.fail("valid_items", f"{v.literal_value} is more than the tile's {tile} items: CUB's "
                   "SubtractRightPartialTile then reads past its buffer", f"0..{tile}")
    out = _difference_types(c)
    args = {"input": Arg("items"), "output": Arg("output_items") if c.has("output_items") else Arg("items"),
            "difference_op": _difference_op(c, out)}
    if partial:
        args["valid_items"] = Arg("valid_items")
    if pred:
        args["tile_predecessor_item"] = Arg("tile_predecessor_item")
    if succ:
        args["tile_successor_item"] = Arg("tile_successor_item")
    return CubCall(name + ("PartialTile" if partial else ""), args, returns=None)


adjacent_difference = PrimitiveFunction(Primitive(
    "block", "adjacent_difference",
    """Differences of adjacent items of the tile (CUB BlockAdjacentDifference). SubtractLeft:
    ``out[i] = difference_op(item[i], item[i-1])``; the tile's first item is copied unless
    ``tile_predecessor_item`` gives its left neighbour. SubtractRight: ``out[i] =
    difference_op(item[i], item[i+1])``; the last item is copied unless
    ``tile_successor_item`` gives its right neighbour. ``valid_items`` (the PartialTile forms)
    limits the tile: items past it are copied, and with SubtractRight the last valid item too
    (CUB takes no successor there; there ``valid_items`` must not exceed the tile, or CUB
    reads past its buffer). ``difference_op`` defaults to ``"-"`` (NumPy's
    ``np.diff`` for SubtractLeft); C++ arithmetic, so small integers subtract as int and the
    result converts to the output's dtype. ``output_items`` may have another number dtype
    than the items (not a float to an integer); without it the items are overwritten.""",
    params=(Param("items", Items(scalar=False), REQUIRED),
            Param("output_items", _DifferenceOutput(), doc="receives the differences"),
            IPT,
            Param("difference_op", Operator("difference"), "-",
                  doc="difference_op(a, b): a is the item, b its neighbour"),
            Param("block_adjacent_difference_type", Enum(BlockAdjacentDifferenceType), _A.SubtractLeft),
            VALID,
            Param("tile_predecessor_item", Value(), doc="SubtractLeft: the item before the tile"),
            Param("tile_successor_item", Value(), doc="SubtractRight (full tiles): the item after the tile"),
            TEMP, DIMS, DTYPE),
    kernel_order=("items", "output_items", "items_per_thread", "difference_op", "block_adjacent_difference_type",
                  "valid_items", "tile_predecessor_item", "tile_successor_item", "temp_storage", "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "difference_op", "block_adjacent_difference_type"),
    template=lambda c: block_class(c, "BlockAdjacentDifference"),
    build=_adjacent_build, aliases=BLOCK_ALIASES | {"input": "items", "input_items": "items", "output": "output_items"},
    reaches={"BlockAdjacentDifference": ("SubtractLeft", "SubtractRight", "SubtractLeftPartialTile",
                                         "SubtractRightPartialTile")}))


# --------------------------------------------------------------------------- shuffle


class _ShuffleOutput(Output):
    """Up/Down: an array like the items. Offset/Rotate (a scalar item): a 1-element array
    whose first element receives the item (and keeps its value where CUB writes none)."""

    def __init__(self):
        super().__init__()
        self.doc = ("Up/Down: an array of the items' dtype and length (may be the items array itself); "
                    "Offset/Rotate: a 1-element array receiving the item (default: the item is returned)")

    def infer(self, c, p, ty):
        if not c.scalar:
            return super().infer(c, p, ty)
        if not isinstance(ty, types.Array):
            c.fail(p.name, f"must be a 1-element array for a shuffle of one item per thread, got {ty}",
                   "a 1-element array, or omit it to get the item returned")

    def check(self, c, p, ty):
        if not c.scalar:
            return super().check(c, p, ty)
        Ref("T").check(c, p, ty)

    def cub_type(self, c, p, ty):
        if not c.scalar:
            return super().cub_type(c, p, ty)
        return ty if static_length(ty) is not None else FixedArray(ty.dtype, 1, "local")


def _literal_distance(c):
    if "distance" in c.fixed and "distance" not in c.given:
        return c.fixed["distance"][1]
    ty = c.type("distance")
    return ty.literal_value if isinstance(ty, types.IntegerLiteral) else None


def _shuffle_build(c):
    kind = c.value("block_shuffle_type")
    if kind is None:
        kind = _S.Offset if c.scalar else _S.Up
    one = kind in (_S.Offset, _S.Rotate)
    if one and not c.scalar:
        c.fail("items", f"{kind!r} moves one item per thread, got an array",
               "a scalar (e.g. items[0]), or block_shuffle_type=Up / Down to shift arrays")
    if not one and c.scalar:
        c.fail("items", f"{kind!r} shifts each thread's array of items, got a scalar",
               "an array, or block_shuffle_type=Offset with distance=-1 (like Up) / 1 (like Down)")
    if one:
        for name in ("block_prefix", "block_suffix"):
            if c.has(name):
                c.fail(name, f"{kind!r} has no {name}", "Up (block_suffix) or Down (block_prefix) on arrays")
        d = _literal_distance(c)
        threads = c.dims[0] * c.dims[1] * c.dims[2]
        if kind == _S.Rotate and d is not None and not 0 <= d < threads:
            fixed = " (fixed by the two-phase constructor)" if "distance" not in c.given else ""
            c.fail("distance", f"{d}{fixed} is out of range for Rotate in a block of {threads} threads "
                   "(CUB's range is 0 < distance < threads; beyond the block it reads past its buffer)",
                   f"0..{threads - 1}")
        # where CUB writes nothing (Offset from outside the block) the returned item is the thread's own
        out = Arg("output_items") if c.has("output_items") else Scratch("out", init="items")
        args = {"input": Arg("items"), "output": out}
        if c.has("distance"):
            args["distance"] = Arg("distance")
        return CubCall(kind.name, args, returns=None if c.has("output_items") else "out")
    if c.has("distance"):
        c.fail("distance", f"{kind!r} shifts by exactly one item", "omit distance, or Offset / Rotate on a scalar")
    if not c.has("output_items"):
        c.fail("output_items", f"{kind!r} writes the shifted items to output_items: it is required",
               "an array of the items' dtype and length (the items array itself shifts in place)")
    wrong, right = ("block_prefix", "block_suffix") if kind == _S.Up else ("block_suffix", "block_prefix")
    if c.has(wrong):
        c.fail(wrong, f"{kind!r} returns {right} (CUB's {kind.name} has no {wrong})",
               f"{right}=, or block_shuffle_type={'Down' if kind == _S.Up else 'Up'}")
    args = {"input": Arg("items"), "prev": Arg("output_items")}
    if c.has(right):
        args[right] = Arg(right)
    return CubCall(kind.name, args, returns=None)


shuffle = PrimitiveFunction(Primitive(
    "block", "shuffle",
    """Move items between threads (CUB BlockShuffle). One item per thread (``items`` a
    scalar): Offset (the default) gives thread ``i`` the item of thread ``i + distance``
    (``distance`` may be negative; default 1); Rotate gives it the item of thread
    ``(i + distance) % threads`` (``0 <= distance < threads``; a run-time distance must be in
    that range too). The item is returned, or written to ``output_items[0]``; with Offset a
    thread whose source is outside the block gets nothing from CUB: ``output_items[0]`` keeps
    its value, and the returned item is then the thread's own item. Arrays: Up (the default) shifts the
    tile up by one item (``out[j] = item[j-1]``), Down shifts it down (``out[j] = item[j+1]``),
    into ``output_items`` (may be ``items``); the tile's first (Up) / last (Down) output item
    is left unchanged. ``block_suffix`` (Up) receives the tile's last item, ``block_prefix``
    (Down) its first (1-element arrays).""",
    params=(Param("items", Items(), REQUIRED),
            Param("output_items", _ShuffleOutput(), doc="receives the shuffled item(s)"),
            IPT,
            Param("block_shuffle_type", Enum(BlockShuffleType),
                  doc="Offset or Rotate (a scalar), Up or Down (arrays); default Offset / Up"),
            Param("distance", Value("int"), doc="Offset / Rotate: how many threads further the item comes from "
                                                "(default 1)"),
            Param("block_prefix", Ref(), doc="Down: receives the tile's first item"),
            Param("block_suffix", Ref(), doc="Up: receives the tile's last item"),
            TEMP, DIMS, DTYPE),
    kernel_order=("items", "output_items", "items_per_thread", "block_shuffle_type", "distance", "block_prefix",
                  "block_suffix", "temp_storage", "threads_per_block"),
    host_order=("dtype", "threads_per_block", "items_per_thread", "block_shuffle_type", "distance"),
    template=lambda c: block_class(c, "BlockShuffle"),
    build=_shuffle_build, aliases=_DIM | {"input": "items", "input_items": "items", "output": "output_items"},
    reaches={"BlockShuffle": ("Offset", "Rotate", "Up", "Down")}))

__all__ = ["discontinuity", "adjacent_difference", "shuffle"]
