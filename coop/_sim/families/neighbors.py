"""BlockDiscontinuity, BlockAdjacentDifference and BlockShuffle: items compared with or moved
to neighbouring threads of the blocked arrangement (thread ``r`` holds tile items
``r*k .. r*k+k-1``), as CUB's code does it, including which outputs it leaves unwritten.

Neighbour items that CUB takes from one thread only are read from that thread:
``tile_predecessor_item`` from thread 0, ``tile_successor_item`` from the last thread.
"""

from __future__ import annotations

import numpy as np

from cub_bindings import functional as F

from coop._errors import CoopError, where
from coop._sim.families.scans import cast
from coop._sim.semantics import semantics


def _fail(g, message: str):
    """A misuse the GPU would not report (an out-of-bounds access, undefined behaviour)."""
    raise CoopError(f"{g.what}: {message}" + where())


def _edges(g):
    """(tile predecessor, tile successor) as items of the tile's type, or None: CUB reads the
    predecessor in thread 0 only and the successor in the last thread only."""
    dt = g.dtype()
    pred = cast(g.values("tile_predecessor_item")[0], dt) if g.has("tile_predecessor_item") else None
    succ = cast(g.values("tile_successor_item")[-1], dt) if g.has("tile_successor_item") else None
    return pred, succ


# --------------------------------------------------------------------------- discontinuity


def _flag(op, a, b) -> int:
    return 1 if bool(op(a, b)) else 0


@semantics("BlockDiscontinuity", "FlagHeads", "FlagTails", "FlagHeadsAndTails")
def _discontinuity(g):
    """Head flag of item j: ``flag_op(item[j-1], item[j])``; tail flag: ``flag_op(item[j],
    item[j+1])``. The tile's first item is head-flagged 1 (last: tail-flagged 1) unless the
    predecessor (successor) is given. ``preds[0]`` of thread 0 is left as it was without a
    tile predecessor (CUB leaves it undefined)."""
    k = g.length("ipt")
    x = g.items("input", k)
    n, op = g.size, g.op("flag_op")
    pred, succ = _edges(g)
    if g.has("head_flags"):
        heads, preds = g.values("head_flags"), g.values("preds") if g.has("preds") else None
        for r in range(n):
            before = x[r - 1, k - 1] if r > 0 else pred
            for i in range(k):
                left = x[r, i - 1] if i > 0 else before
                if preds is not None and left is not None:
                    preds[r][i] = left
                heads[r][i] = 1 if left is None else _flag(op, left, x[r, i])
    if g.has("tail_flags"):
        tails = g.values("tail_flags")
        for r in range(n):
            after = x[r + 1, 0] if r < n - 1 else succ
            for i in range(k):
                right = x[r, i + 1] if i < k - 1 else after
                tails[r][i] = 1 if right is None else _flag(op, x[r, i], right)


# --------------------------------------------------------------------------- adjacent difference


def _difference(g):
    """``difference_op(a, b)`` computed in the width the GPU computes it in: a libcu++ functor
    (``minus<>``...) with C++'s integer promotion (items narrower than int as int); a device
    function with Numba's (integer arithmetic in 64 bits). The result is then converted to
    the output's type, so a wider output sees the exact difference as on the GPU."""
    op = g.op("difference_op")
    dt = g.dtype()
    if isinstance(g.values("difference_op")[0], F.CxxFunctor):
        wide = np.int32 if dt.kind in "iub" and dt.itemsize < 4 else None
    else:
        wide = {"i": np.int64, "u": np.uint64}.get(dt.kind) if dt.itemsize < 8 else None
    return op if wide is None else (lambda a, b: op(wide(a), wide(b)))


def _adjacent(g, left: bool):
    k = g.length("ipt")
    x = g.items("input", k)
    n, op = g.size, _difference(g)
    outs = g.values("output")
    odt = outs[0].dtype
    tile = n * k
    valid = int(g.value("valid_items")) if g.has("valid_items") else None
    if valid is not None and not left and valid > tile:
        _fail(g, f"valid_items={valid} is more than the tile's {tile} items: CUB's "
                 f"SubtractRightPartialTile then reads past its buffer (valid: 0..{tile})")
    pred, succ = _edges(g)
    flat = x.reshape(-1)
    result = []
    for j in range(tile):
        if left:
            if valid is not None and j >= valid:
                other = None  # past the valid items: copied
            elif j > 0:
                other = flat[j - 1]
            else:
                other = pred  # None: the tile's first item is copied
        else:
            last = tile - 1 if valid is None else valid - 1
            if j < last:
                other = flat[j + 1]
            elif j == tile - 1 and valid is None:
                other = succ  # None: the tile's last item is copied
            else:
                other = None  # the last valid item and those past it: copied
        result.append(flat[j] if other is None else op(flat[j], other))
    for r in range(n):
        for i in range(k):
            outs[r][i] = cast(result[r * k + i], odt)


semantics("BlockAdjacentDifference", "SubtractLeft", "SubtractLeftPartialTile")(lambda g: _adjacent(g, True))
semantics("BlockAdjacentDifference", "SubtractRight", "SubtractRightPartialTile")(lambda g: _adjacent(g, False))


# --------------------------------------------------------------------------- shuffle


@semantics("BlockShuffle", "Offset")
def _offset(g):
    """Thread i gets thread ``i + distance``'s item (each thread's own distance); where that
    thread is outside the block CUB writes nothing (the output keeps its value)."""
    x = g.items("input")[:, 0]
    n = g.size
    dists = g.values("distance") if g.has("distance") else [1] * n
    for r, (out, d) in enumerate(zip(g.values("output"), dists)):
        src = r + int(d)
        if 0 <= src < n:
            out[0] = x[src]


@semantics("BlockShuffle", "Rotate")
def _rotate(g):
    """Thread i gets thread ``(i + distance) % threads``'s item; CUB subtracts the block size
    once, so a distance outside ``0..threads-1`` reads past its buffer (an error here)."""
    x = g.items("input")[:, 0]
    n = g.size
    dists = g.values("distance") if g.has("distance") else [1] * n
    for r, (out, d) in enumerate(zip(g.values("output"), dists)):
        d = int(d)
        if not 0 <= d < n:
            _fail(g, f"Rotate by distance={d} in a block of {n} threads: CUB's range is "
                     f"0..{n - 1} (beyond it, thread {r} reads past CUB's buffer)")
        out[0] = x[(r + d) % n]


@semantics("BlockShuffle", "Up")
def _up(g):
    """``prev[j] = item[j-1]`` over the tile; thread 0's ``prev[0]`` is not written.
    ``block_suffix``: the tile's last item, in every thread."""
    k = g.length("ipt")
    x = g.items("input", k)
    n = g.size
    for r, prev in enumerate(g.values("prev")):
        prev[1:k] = x[r, : k - 1]
        if r > 0:
            prev[0] = x[r - 1, k - 1]
    if g.has("block_suffix"):
        g.write_scalar("block_suffix", [x[n - 1, k - 1]] * n)


@semantics("BlockShuffle", "Down")
def _down(g):
    """``prev[j] = item[j+1]`` over the tile; the last thread's ``prev[k-1]`` is not written.
    ``block_prefix``: the tile's first item, in every thread."""
    k = g.length("ipt")
    x = g.items("input", k)
    n = g.size
    for r, prev in enumerate(g.values("prev")):
        prev[: k - 1] = x[r, 1:]
        if r < n - 1:
            prev[k - 1] = x[r + 1, 0]
    if g.has("block_prefix"):
        g.write_scalar("block_prefix", [x[0, 0]] * n)
