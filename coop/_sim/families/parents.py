"""Parent objects: BlockHistogram (counters shared by the block) and BlockRunLengthDecode
(runs kept by the constructor, decoded window by window), as CUB's code computes them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coop._errors import CoopError, where
from coop._sim.families.arrange import enum_name
from coop._sim.families.scans import cast
from coop._sim.semantics import semantics


def _fail(g, message: str):
    """A misuse the GPU would not report (an out-of-bounds access, undefined behaviour)."""
    raise CoopError(f"{g.what}: {message}" + where())

# --------------------------------------------------------------------------- histogram


def _counters(g) -> np.ndarray:
    """The block's counters: one array every thread passes (a shared array)."""
    arrays = [np.asarray(a) for a in g.values("histogram")]
    first = arrays[0]
    for r, a in enumerate(arrays[1:], 1):
        if a.__array_interface__["data"][0] != first.__array_interface__["data"][0] or a.shape != first.shape:
            _fail(g, f"thread {r} passes another histogram array than thread 0; CUB's counters "
                     "are one array of the block (e.g. coop.shared.array(bins, np.uint32)) that every thread "
                     "passes")
    bins = int(g.targ("Bins"))
    if len(first) < bins:
        _fail(g, f"the histogram array has {len(first)} counters, fewer than the {bins} bins")
    return first


@semantics("BlockHistogram", "InitHistogram")
def _init(g):
    """Counters ``0 .. Bins-1`` are zeroed (not the rest of a longer array)."""
    _counters(g)[: int(g.targ("Bins"))] = 0


def _composite(g):
    """Each sample adds 1 to its bin, in the counters' type (wrapping as CUB's ``+=`` and
    ``atomicAdd`` do). A sample outside ``0 .. Bins-1`` is an error here (on the GPU an
    out-of-bounds write). BLOCK_HISTO_SORT radix-sorts the samples first, in place: afterwards
    the threads' ``items`` hold the sorted tile (blocked), as on the GPU."""
    h = _counters(g)
    bins, k = int(g.targ("Bins")), int(g.targ("ItemsPerThread"))
    samples = g.items("items", k)
    flat = samples.reshape(-1)
    bad = (flat < 0) | (flat >= bins)
    if bad.any():
        j = int(np.argmax(bad))
        _fail(g, f"thread {j // k} has the sample {flat[j].item()!r}, outside the histogram's "
                 f"bins 0..{bins - 1} (on the GPU an out-of-bounds write)")
    counts = np.bincount(flat.astype(np.int64), minlength=bins)
    if h.dtype.kind in "iu":  # modulo the counters' width
        h[:bins] = (h[:bins].astype(np.uint64) + counts.astype(np.uint64)).astype(h.dtype)
    else:
        h[:bins] += counts.astype(h.dtype)
    if enum_name(g.targ("Algorithm", "")) == "BLOCK_HISTO_SORT":
        g.write("items", np.sort(flat, kind="stable").reshape(samples.shape))


@semantics("BlockHistogram", "Composite")
def _composite_only(g):
    _composite(g)


@semantics("BlockHistogram", "Histogram")
def _histogram(g):
    _init(g)
    _composite(g)


# --------------------------------------------------------------------------- run-length decode


@dataclass
class Runs:
    """What BlockRunLengthDecode keeps in its TempStorage: the block's runs (blocked) and
    the decoded offset at which each begins (``DecodedOffsetT``)."""

    values: np.ndarray
    offsets: np.ndarray
    total: int | None  # the decoded size (None when built from offsets: CUB does not know it)


def _non_decreasing(g, offsets, what):
    drop = np.nonzero(offsets[1:] < offsets[:-1])[0]
    if drop.size:
        j = int(drop[0]) + 1
        _fail(g, f"run {j} begins at decoded offset {int(offsets[j])}, before run {j - 1} "
                 f"({int(offsets[j - 1])}): {what} (CUB's binary search over the runs then finds wrong runs)")


def _empty_runs(g, offsets, ends, what):
    """A run of length 0 before a non-empty run: CUB's decode does not skip it (a thread that
    steps from the previous run into it repeats its value). Empty runs at the end (padding)
    are fine."""
    lengths = ends - offsets
    nonempty = np.nonzero(lengths > 0)[0]
    empty = np.nonzero(lengths == 0)[0]
    if nonempty.size and empty.size and empty[0] < nonempty[-1]:
        j = int(empty[0])
        _fail(g, f"run {j} (thread {j // int(g.targ('RunsPerThread'))}) has length 0 and a non-empty "
                 f"run follows it: {what} (CUB's decode does not skip empty runs; only trailing ones are "
                 "allowed, as padding)")


@semantics("BlockRunLengthDecode", "__init__ts")
def _construct(g):
    """The constructor: the runs' offsets (an exclusive sum of the lengths in
    ``DecodedOffsetT``, whose total goes to ``total_decoded_size``), or the offsets given."""
    odt = g.dtype("DecodedOffsetT")
    k = int(g.targ("RunsPerThread"))
    values = g.items("run_values", k).reshape(-1)
    if g.has("run_lengths"):
        lengths = g.items("run_lengths", k).reshape(-1)
        if lengths.dtype.kind == "i" and (lengths < 0).any():
            j = int(np.argmax(lengths < 0))
            _fail(g, f"run {j} (thread {j // k}) has the negative length {int(lengths[j])}; "
                     "run lengths are counts")
        wide = lengths.astype(odt).astype(np.uint64)
        ends = np.cumsum(wide)
        total = int(ends[-1])
        if total > np.iinfo(odt).max:
            _fail(g, f"the runs decode to {total} items, more than decoded_offset_dtype {odt} "
                     "holds (CUB's offsets would wrap)")
        offsets = (ends - wide).astype(odt)
        _empty_runs(g, offsets.astype(np.int64), ends.astype(np.int64), "run lengths must be positive")
        for a in g.values("total_decoded_size"):  # static_cast<TotalDecodedSizeT>
            a[0] = cast(total, a.dtype)
    else:
        offsets = g.items("run_offsets", k).reshape(-1).astype(odt)
        total = None
        _non_decreasing(g, offsets, "run_offsets must be non-decreasing")
        ends = np.append(offsets[1:].astype(np.int64), np.iinfo(np.int64).max)
        _empty_runs(g, offsets.astype(np.int64), ends, "equal offsets make an empty run")
    g.returns([Runs(values, offsets, total)] * g.size)


def _log2_up(n: int) -> int:
    """CUB's ``Log2<n>::VALUE``: log2 rounded up."""
    return max(0, (n - 1).bit_length())


def _upper_bound(offsets, val: int) -> int:
    """CUB's StaticUpperBound: the first run whose offset is greater than ``val``."""
    lo, hi, n = 0, len(offsets), len(offsets)
    for _ in range(_log2_up(n) + 1):
        mid = min(lo + (hi - lo) // 2, n - 1)
        if val < offsets[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@semantics("BlockRunLengthDecode", "RunLengthDecode")
def _decode(g):
    """Thread ``r`` decodes items ``from + r*k .. from + r*k + k-1`` (blocked), as CUB's loop
    does: it finds its first run by binary search and steps to the next run where one ends;
    past the last run (the decoded size) it repeats the last run's value. ``item_offsets``:
    each item's offset within its run."""
    runs: Runs = g.state
    if runs is None:
        raise AssertionError("BlockRunLengthDecode::RunLengthDecode without the constructor's state")
    odt = g.dtype("DecodedOffsetT")
    mask = (1 << (8 * odt.itemsize)) - 1
    k = int(g.targ("DecodedItemsPerThread"))
    offs = [int(v) for v in runs.offsets]
    last = len(offs) - 1
    starts = g.values("from_decoded_offset") if g.has("from_decoded_offset") else [0] * g.size
    decoded = g.values("decoded_items")
    rel = g.values("item_offsets") if g.has("item_offsets") else None
    for r in range(g.size):
        start = int(starts[r])
        if start < 0 or (runs.total is not None and start > runs.total):
            _fail(g, f"decoded_window_offset={start} is outside the decoded items "
                     f"0..{runs.total if runs.total is not None else 'the last run'} (undefined in CUB)")
        off = (start + r * k) & mask
        run = _upper_bound(offs, off) - 1
        if run < 0:
            _fail(g, f"thread {r} decodes from offset {off}, before the first run's offset {offs[0]} "
                     "(CUB then reads before its runs)")
        begin = offs[run]
        end = off + k if run == last else offs[run + 1]
        for i in range(k):
            decoded[r][i] = runs.values[run]
            if rel is not None:
                rel[r][i] = cast((off - begin) & mask, rel[r].dtype)
            if i + 1 < k and off == end - 1:
                run += 1
                begin = offs[run]
                end = off + k if run == last else offs[run + 1]
            off = (off + 1) & mask
