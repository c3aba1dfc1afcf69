"""Loads, stores and exchanges (block and warp): pure data movement between arrangements."""

from __future__ import annotations

import numpy as np

from coop._errors import CoopError
from coop._sim.families.arrange import blocked, enum_name, striped, tile_of, warp_striped
from coop._sim.semantics import semantics

_STRIPED_LOADS = {"BLOCK_LOAD_STRIPED", "WARP_LOAD_STRIPED"}
_STRIPED_STORES = {"BLOCK_STORE_STRIPED", "WARP_STORE_STRIPED"}


def _tile_index(g, count_param: str, algorithm_param: str, striped_names) -> np.ndarray:
    k = g.targ(count_param)
    alg = enum_name(g.targ(algorithm_param, ""))
    return (striped if alg in striped_names else blocked)(g.size, k)


def _bounds(g, array, index, guard, param):
    """The tile index up to which items are read/written; an access past the array's end
    (which the GPU would make silently) is an error."""
    limit = len(array) if guard is None else int(guard)
    reach = index[index < limit] if guard is not None else index
    if reach.size and reach.max() >= len(array):
        raise CoopError(f"{g.what}: the tile reaches item {int(reach.max())} of {param}, which has {len(array)} "
                        "items (on the GPU an out-of-bounds access)" + (
                            "; pass valid_items for a partial tile" if guard is None else
                            f"; valid_items={guard} is more than the array holds"))
    return limit


def _load(g, count_param, algorithm_param, striped_names, guard_param):
    index = _tile_index(g, count_param, algorithm_param, striped_names)
    srcs = g.values("block_src_it" if g.has("block_src_it") else "block_itr")  # each thread reads through its own
    guard = g.value(guard_param) if g.has(guard_param) else None
    default = g.value("oob_default") if g.has("oob_default") else None
    dst = "dst_items" if g.has("dst_items") else "items"
    for r, (src, out) in enumerate(zip(srcs, g.values(dst))):
        src = np.asarray(src)
        limit = _bounds(g, src, index[r], guard, "the source array")
        for i, idx in enumerate(index[r]):
            if idx < limit:
                out[i] = src[idx]
            elif default is not None:
                out[i] = default
            # else: CUB leaves the item unassigned (it keeps its value here)


def _store(g, count_param, algorithm_param, striped_names):
    index = _tile_index(g, count_param, algorithm_param, striped_names)
    guard = g.value("valid_items") if g.has("valid_items") else None
    for r, (dst, items) in enumerate(zip(g.values("block_itr"), g.values("items"))):
        dst = np.asarray(dst)
        limit = _bounds(g, dst, index[r], guard, "the destination array")
        for i, idx in enumerate(index[r]):
            if idx < limit:
                dst[idx] = items[i]


@semantics("BlockLoad", "Load")
def _block_load(g):
    _load(g, "ItemsPerThread", "Algorithm", _STRIPED_LOADS, "block_items_end")


@semantics("WarpLoad", "Load")
def _warp_load(g):
    _load(g, "ITEMS_PER_THREAD", "ALGORITHM", _STRIPED_LOADS, "valid_items")


@semantics("BlockStore", "Store")
def _block_store(g):
    _store(g, "ItemsPerThread", "Algorithm", _STRIPED_STORES)


@semantics("WarpStore", "Store")
def _warp_store(g):
    _store(g, "ITEMS_PER_THREAD", "ALGORITHM", _STRIPED_STORES)


# --------------------------------------------------------------------------- exchanges


def _io(g):
    """(input rows, output parameter) of an exchange, in place or not."""
    if g.has("input_items"):
        return g.items("input_items"), "output_items"
    return g.items("items"), "items"


def _rearrange(g, src_index, dst_index):
    rows, out = _io(g)
    tile = tile_of(rows, src_index(*rows.shape))
    g.write(out, tile[dst_index(*rows.shape)])


def _scatter(g, dst_index, keep=None):
    rows, out = _io(g)
    n, k = rows.shape
    ranks = g.items("ranks").astype(np.int64)
    current = g.items(out)
    tile = tile_of(current.astype(rows.dtype) if current.dtype != rows.dtype else current, dst_index(n, k))
    mask = np.ones(ranks.shape, bool) if keep is None else keep(ranks)
    if ranks[mask].size and (ranks[mask].max() >= n * k or ranks[mask].min() < 0):
        raise CoopError(f"{g.what}: a rank of {int(ranks[mask].max() if ranks[mask].max() >= n * k else ranks[mask].min())}"
                        f" is outside the tile of {n * k} items (on the GPU an out-of-bounds shared-memory write)")
    tile[ranks[mask]] = rows[mask]
    g.write(out, tile[dst_index(n, k)])


for _cls in ("BlockExchange", "WarpExchange"):
    semantics(_cls, "BlockedToStriped")(lambda g: _rearrange(g, blocked, striped))
    semantics(_cls, "StripedToBlocked")(lambda g: _rearrange(g, striped, blocked))
    semantics(_cls, "ScatterToStriped")(lambda g: _scatter(g, striped))

semantics("BlockExchange", "BlockedToWarpStriped")(lambda g: _rearrange(g, blocked, warp_striped))
semantics("BlockExchange", "WarpStripedToBlocked")(lambda g: _rearrange(g, warp_striped, blocked))
semantics("BlockExchange", "ScatterToBlocked")(lambda g: _scatter(g, blocked))
semantics("BlockExchange", "ScatterToStripedGuarded")(lambda g: _scatter(g, striped, lambda r: r >= 0))
semantics("BlockExchange", "ScatterToStripedFlagged")(
    lambda g: _scatter(g, striped, lambda r: g.items("is_valid").astype(bool)))
