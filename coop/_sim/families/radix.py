"""BlockRadixSort (every Sort* overload) and the radix rankers (BlockRadixRank,
BlockRadixRankMatch, BlockRadixRankMatchEarlyCounts ``RankKeys``).

Keys are compared as CUB's radix traits make them (``cub/util_type.cuh``,
``radix_rank_sort_operations.cuh``): each key (each field a decomposer names, the last field
holding bit 0) becomes unsigned bits that order like it — unsigned integers and bool as they
are, signed integers with the sign bit flipped, floats with the sign bit flipped when clear and
every bit flipped when set — and the digit extractor reads -0.0 as +0.0. Bits
``[begin_bit, end_bit)`` of that form are compared. So floats order by value, -0.0 ties with
+0.0, NaNs sort by their bits: sign-less ones after +inf, signed ones before -inf. BlockRadixSort
is an LSD radix sort of stable passes: a stable sort (ties keep blocked order) in both
directions; keys keep their own bits (-0.0 stays -0.0).
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from coop._errors import CoopError, where
from coop._sim.families.arrange import WARP, blocked, striped
from coop._sim import threads
from coop._sim.semantics import semantics


def ordered_bits(a: np.ndarray) -> np.ndarray:
    """The keys' bit-ordered form (CUB's TwiddleIn, then -0.0 read as +0.0) as uint64."""
    a = np.ascontiguousarray(a)
    if a.dtype == np.bool_:
        return a.view(np.uint8).astype(np.uint64)
    width = a.dtype.itemsize * 8
    bits = a.view(f"u{a.dtype.itemsize}").astype(np.uint64)
    sign = np.uint64(1 << (width - 1))
    if a.dtype.kind == "i":
        return bits ^ sign
    if a.dtype.kind == "f":
        ones = np.uint64((1 << width) - 1)
        twiddled = np.where(bits & sign, bits ^ ones, bits ^ sign)
        minus_zero = ones ^ sign  # TwiddleIn(-0.0): CUB's ProcessFloatMinusZero maps it to TwiddleIn(+0.0)
        return np.where(twiddled == minus_zero, sign, twiddled)
    return bits


def _columns(tile: np.ndarray, fields):
    """[(column, bits)] of the compared parts of a key, least significant first."""
    cols = [tile] if fields is None else [tile[name] for name in reversed(fields)]
    return [(col, col.dtype.itemsize * 8) for col in cols]


def sort_order(tile: np.ndarray, fields, begin: int, end: int, descending: bool) -> np.ndarray:
    """The stable permutation sorting ``tile`` on bits [begin, end) of its bit-ordered form."""
    digits, offset = [], 0  # least significant first (np.lexsort's last key is the primary one)
    for col, width in _columns(tile, fields):
        lo, hi = max(begin, offset), min(end, offset + width)
        if lo < hi:
            mask = np.uint64((1 << (hi - lo)) - 1)
            d = (ordered_bits(col) >> np.uint64(lo - offset)) & mask
            digits.append(mask - d if descending else d)
        offset += width
    return np.lexsort(digits) if digits else np.arange(tile.size)


def _sort(g):
    k, n = int(g.targ("ItemsPerThread")), g.size
    keys = g.items("keys", k).reshape(-1)
    fields = g.value("decomposer").fields if g.has("decomposer") else None
    width = sum(w for _, w in _columns(keys, fields))
    begin = int(g.value("begin_bit")) if g.has("begin_bit") else 0
    end = int(g.value("end_bit")) if g.has("end_bit") else width
    if not 0 <= begin < end <= width:
        arg = "begin_bit" if not 0 <= begin < width else "end_bit"
        raise CoopError(f"{g.what}: argument `{arg}`: begin_bit={begin}, end_bit={end}, but CUB compares bits "
                        f"[begin_bit, end_bit) of the {width}-bit keys (on the GPU a silently wrong order); valid: "
                        f"0 <= begin_bit < end_bit <= {width}" + where())
    order = sort_order(keys, fields, begin, end, "Descending" in g.method)
    index = (striped if g.method.endswith("BlockedToStriped") else blocked)(n, k)
    g.write("keys", keys[order][index])
    if g.has("values"):
        g.write("values", g.items("values", k).reshape(-1)[order][index])


semantics("BlockRadixSort", "Sort", "SortDescending", "SortBlockedToStriped", "SortDescendingBlockedToStriped")(_sort)


# --------------------------------------------------------------------------- ranking


def _rank(g):
    """Ranks by digit; equal digits rank in blocked order (BlockRadixRank) or by warp, then
    item, then lane (the match rankers: each warp ranks its keys item by item). Thread ``t``'s
    ``exclusive_digit_prefix[j]`` is the number of keys ranked before digit ``t * BINS + j``
    (BINS = max(1, ceil(digits / threads))); CUB leaves entries past the last digit unwritten."""
    extractor = g.value("digit_extractor")  # coop._decl.Helper("BFEDigitExtractor", (KeyT,), (begin, bits))
    if extractor.template != "BFEDigitExtractor":
        raise AssertionError(f"unknown digit extractor {extractor.template}")
    begin, bits = (int(v) for v in extractor.args)
    k, n = int(g.length("ipt")), g.size
    keys = g.items("keys", k)
    if keys.dtype.kind != "u":  # the BFE extractor of unsigned keys reads their bits as they are
        raise AssertionError(f"radix ranking of {keys.dtype} keys")
    radix = 1 << bits
    digit = ((keys.reshape(-1).astype(np.uint64) >> np.uint64(begin)) & np.uint64(radix - 1)).astype(np.int64)
    # BlockRadixRankMatchEarlyCounts reverses both the digit and its bins when descending: it ranks ascending
    descending = bool(g.targ("IsDescending")) and g.cls != "BlockRadixRankMatchEarlyCounts"
    tid = np.repeat(np.asarray(g.ranks), k)
    item = np.tile(np.arange(k), n)
    if g.cls == "BlockRadixRank":
        tie = tid * k + item
    else:
        tie = (tid // WARP) * (WARP * k) + item * WARP + tid % WARP
    order = np.lexsort((tie, radix - 1 - digit if descending else digit))
    ranks = np.empty(n * k, np.int64)
    ranks[order] = np.arange(n * k)
    g.write("ranks", ranks.reshape(n, k).astype(np.int32))
    counts = np.bincount(digit, minlength=radix)
    if g.has("callback"):
        _counts_callback(g, counts, radix)
    if g.has("exclusive_digit_prefix"):
        before = n * k - np.cumsum(counts) if descending else np.cumsum(counts) - counts
        x, y, z = g.dims
        bins = max(1, -(-radix // (x * y * z)))
        for t, out in zip(g.ranks, g.values("exclusive_digit_prefix")):
            for j in range(bins):
                if t * bins + j < radix:
                    out[j] = before[t * bins + j]


def _counts_callback(g, counts, radix):
    """CUB's CountsCallback: each thread ``t`` calls it with a read-only int array whose entry
    ``j`` counts the keys of digit ``t * BINS + j``. Entries past the last digit: 0 in
    BlockRadixRankMatchEarlyCounts; BlockRadixRankMatch leaves them unset (0 here). Only
    ascending rankings get here (coop refuses MATCH's callback when descending; early counts rank
    ascending)."""
    x, y, z = g.dims
    nbins = max(1, -(-radix // (x * y * z)))
    me = threading.current_thread()
    state = threads.BlockState.of(me)
    for r, t in enumerate(g.ranks):
        bins = np.zeros(nbins, np.int32)
        have = counts[t * nbins: (t + 1) * nbins]
        bins[: have.shape[0]] = have
        bins.flags.writeable = False
        with _as_thread(me, state.thread(t)):  # cuda.threadIdx in the callback is its caller's
            try:
                g.member_op("callback", r)(bins)
            except ValueError as exc:
                if "read-only" not in str(exc):
                    raise
                raise CoopError(f"{g.what}: argument `counts_callback`: the callback writes to bins, which is "
                                "read-only (a compiled kernel refuses it); valid: a callback that only reads bins"
                                + where()) from None


@contextlib.contextmanager
def _as_thread(me, other):
    """Run as simulated thread ``other``: its threadIdx and thread id (laneid) on this thread."""
    saved = me.threadIdx, me.thread_id
    me.threadIdx, me.thread_id = other.threadIdx, other.thread_id
    try:
        yield
    finally:
        me.threadIdx, me.thread_id = saved


semantics("BlockRadixRank", "RankKeys")(_rank)
semantics("BlockRadixRankMatch", "RankKeys")(_rank)
semantics("BlockRadixRankMatchEarlyCounts", "RankKeys")(_rank)
