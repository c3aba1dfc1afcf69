"""BlockMergeSort and WarpMergeSort: Sort and StableSort, keys or key-value pairs, whole or
partial tiles, over the group's tile of ``items_per_thread * members`` keys held blocked.

``compare_op`` is called as a Python function ("a sorts before b"). The simulator sorts
stably for both methods: CUB documents Sort as not guaranteed stable, so a stable result is
one of the results Sort may give (CUB's merge sort is in fact stable today). For an order that
is not a strict weak order (NaN keys under "<") CUB's result depends on its merge path and
may differ from the simulator's.

Partial tiles (``valid_items``, ``oob_default``): the first ``valid_items`` keys of the tile
end sorted at its front; CUB's documentation says ``oob_default`` is assigned to every key
past them (its code does not quite: the first key of a thread holding no valid key can
remain), so the keys past ``valid_items`` get ``oob_default`` here, and the values past it
(undefined) keep theirs.
"""

from __future__ import annotations

import functools

from coop._errors import CoopError, where
from coop._sim.families.scans import cast
from coop._sim.semantics import semantics


def stable_order(keys, less) -> list:
    """Positions of ``keys`` in a stable sort by ``less``."""

    def compare(i, j):
        if less(keys[i], keys[j]):
            return -1
        return 1 if less(keys[j], keys[i]) else 0

    return sorted(range(len(keys)), key=functools.cmp_to_key(compare))


def _check_order(g, less, keys, oob):
    """Misuse the GPU would not report: a comparison that is not irreflexive (``<=``: not a
    strict weak order, so neither sort keeps its promises), a valid key that sorts after
    ``oob_default`` (CUB then leaves it out of the valid range)."""
    for i, key in enumerate(keys):
        if less(key, key):
            raise CoopError(f"{g.what}: argument `compare_op`: compare_op({key}, {key}) returned True, so it is "
                            "not a strict weak order (on the GPU the sort silently breaks its promises); valid: "
                            "\"a sorts before b\", false for equal keys (< rather than <=)" + where())
        if oob is not None and less(oob, key):
            raise CoopError(f"{g.what}: argument `oob_default`: the valid key {key} (tile item {i}) sorts after "
                            f"oob_default={oob}; CUB fills the tile past valid_items with oob_default (on the GPU "
                            "this key is silently dropped from the valid range); valid: a key that sorts after every "
                            "valid key" + where())


def _sort(g):
    k = int(g.targ("ItemsPerThread") if g.cls == "BlockMergeSort" else g.targ("ITEMS_PER_THREAD"))
    n = g.size
    keys = g.items("keys", k).reshape(-1)
    values = g.items("items", k).reshape(-1) if g.has("items") else None
    less = g.op("compare_op")
    valid, oob = n * k, None
    if g.has("valid_items"):
        valid = int(g.value("valid_items"))
        if valid < 0:
            raise CoopError(f"{g.what}: argument `valid_items`: {valid} is negative (on the GPU the sort reads "
                            f"outside the tile); valid: 0 or more (at most {n * k} are sorted)" + where())
        valid = min(valid, n * k)  # more than the tile: CUB sorts the whole tile
        oob = cast(g.value("oob_default"), keys.dtype)
    _check_order(g, less, keys[:valid], oob)
    order = stable_order(keys[:valid], less)
    keys[:valid] = keys[:valid][order]
    if oob is not None:
        keys[valid:] = oob
    g.write("keys", keys.reshape(n, k))
    if values is not None:
        values[:valid] = values[:valid][order]
        g.write("items", values.reshape(n, k))


semantics("BlockMergeSort", "Sort", "StableSort")(_sort)
semantics("WarpMergeSort", "Sort", "StableSort")(_sort)
