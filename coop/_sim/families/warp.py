"""WarpReduce, WarpReduceBatched and WarpScan: every overload, over one logical warp (the
group's members are its lanes, in lane order).

CUB defines a reduction's result in lane 0 only (a segmented one's at the first lane of each
segment); the other lanes return their own input here, as a reminder that theirs is
undefined. Outputs CUB leaves unwritten (lane 0's exclusive result without an initial value,
lanes past ``valid_items`` of a partial scan, batched results without a batch) keep their
value. Operators are applied in lane order (CUB's shuffle trees give the same result for the
associative operators it documents).
"""

from __future__ import annotations

import numpy as np

from coop._errors import CoopError, where
from coop._sim.families.scans import cast, exclusive, inclusive, plus, reduce
from coop._sim.semantics import semantics


def _maximum(a, b):  # cuda::maximum
    return b if a < b else a


def _minimum(a, b):  # cuda::minimum
    return b if b < a else a


_OPS = {"Sum": plus, "Max": _maximum, "Min": _minimum}


def _valid(g, lanes: int) -> int:
    """``valid_items`` of a partial call (every lane passes the same, checked), or all lanes."""
    return int(g.value("valid_items")) if g.has("valid_items") else lanes


# --------------------------------------------------------------------------- WarpReduce


def _reduce(g, method: str):
    op = _OPS.get(method) or g.op("reduction_op")
    dt, rows = g.dtype(), g.items("input")
    own = [reduce([cast(v, dt) for v in row], op, dt) for row in rows]  # ThreadReduce of an array input
    n = _valid(g, g.size)
    if n > g.size:
        raise CoopError(f"{g.what}: valid_items={n} is more than the {g.size} lanes of the logical warp (on the GPU "
                        "the shuffles read the wrong lanes and the result is garbage)" + where())
    # n <= 0: CUB reduces nothing and lane 0 returns its own input (undefined)
    total = reduce(own[:n], op, dt) if n > 0 else own[0]
    g.returns([total] + own[1:])


for _m in ("Reduce", "Sum", "Max", "Min"):
    semantics("WarpReduce", _m)(lambda g, m=_m: _reduce(g, m))


def _segment_ends(flags, head: bool) -> list:
    """For each lane, the last lane of its segment."""
    n = len(flags)
    tail = [False] * n
    for lane in range(n - 1):
        tail[lane] = bool(flags[lane + 1]) if head else bool(flags[lane])  # a head flag ends the lane before
    tail[n - 1] = True
    ends, end = [0] * n, n - 1
    for lane in range(n - 1, -1, -1):
        if tail[lane]:
            end = lane
        ends[lane] = end
    return ends


def _segmented(g, head: bool, is_sum: bool):
    """Each segment's reduction in its first lane (lane 0, and the lane after each segment's
    end); the other lanes return their own input (undefined in CUB)."""
    op = plus if is_sum else g.op("reduction_op")
    dt = g.dtype()
    x = [cast(v, dt) for v in g.items("input")[:, 0]]
    flags = g.scalars("head_flag" if head else "tail_flag")
    ends = _segment_ends(flags, head)
    out = list(x)
    for lane in range(g.size):
        if lane == 0 or ends[lane - 1] == lane - 1:  # the first lane of a segment
            out[lane] = reduce(x[lane: ends[lane] + 1], op, dt)
    g.returns(out)


semantics("WarpReduce", "HeadSegmentedReduce")(lambda g: _segmented(g, True, False))
semantics("WarpReduce", "HeadSegmentedSum")(lambda g: _segmented(g, True, True))
semantics("WarpReduce", "TailSegmentedReduce")(lambda g: _segmented(g, False, False))
semantics("WarpReduce", "TailSegmentedSum")(lambda g: _segmented(g, False, True))


# --------------------------------------------------------------------------- WarpReduceBatched


def _batched(g, is_sum: bool, to: str | None):
    """Batch ``b`` reduces every lane's ``inputs[b]``. Returned: lane ``i`` gets batch ``i``;
    striped: lane ``i``'s ``outputs[j]`` is batch ``i + j*lanes``; blocked: batch ``i*per + j``
    (``per = ceil(batches / lanes)``). Results without a batch are left as they were."""
    op = plus if is_sum else g.op("reduction_op")
    dt = g.dtype()
    batches, lanes = int(g.targ("Batches")), g.size
    rows = g.items("inputs", batches)
    results = [reduce([cast(v, dt) for v in rows[:, b]], op, dt) for b in range(batches)]
    if to is None:  # one result per lane; a lane without a batch gets an undefined value (T's zero here)
        zero = np.zeros((), dt)[()]
        g.returns([results[i] if i < batches else zero for i in range(lanes)])
        return
    per = -(-batches // lanes)
    for lane, out in enumerate(g.values("outputs")):
        for j in range(per):
            b = lane + j * lanes if to == "striped" else lane * per + j
            if b < batches:
                out[j] = results[b]


semantics("WarpReduceBatched", "Reduce")(lambda g: _batched(g, False, None))
semantics("WarpReduceBatched", "Sum")(lambda g: _batched(g, True, None))
semantics("WarpReduceBatched", "ReduceToStriped")(lambda g: _batched(g, False, "striped"))
semantics("WarpReduceBatched", "ReduceToBlocked")(lambda g: _batched(g, False, "blocked"))
semantics("WarpReduceBatched", "SumToStriped")(lambda g: _batched(g, True, "striped"))
semantics("WarpReduceBatched", "SumToBlocked")(lambda g: _batched(g, True, "blocked"))


# --------------------------------------------------------------------------- WarpScan


def _scan(g, is_sum: bool, want_inclusive: bool, want_exclusive: bool):
    """Every WarpScan scan. Lanes at or past ``valid_items`` (a partial scan) keep their outputs;
    ``initial_value`` seeds both results (lane 0's exclusive result is it; without one, that
    result is undefined and kept); ``warp_aggregate`` is the valid inputs' reduction (without
    the initial value; undefined, and kept, when no lane is valid)."""
    op = plus if is_sum else g.op("scan_op")
    dt = g.dtype()
    x = [cast(v, dt) for v in g.items("input")[:, 0]]
    n = max(0, min(_valid(g, g.size), g.size))
    seed = cast(g.value("initial_value"), dt) if g.has("initial_value") else None
    valid = x[:n]
    if want_inclusive:
        outs = g.values("inclusive_output")
        for lane, v in enumerate(inclusive(valid, op, dt, seed)):
            outs[lane][0] = v
    if want_exclusive:
        outs = g.values("exclusive_output")
        init = cast(0, dt) if is_sum and seed is None else seed  # ExclusiveSum: lane 0 gets 0
        for lane, v in enumerate(exclusive(valid, op, dt, init)):
            if v is not None:  # None: lane 0 without an initial value (undefined in CUB)
                outs[lane][0] = v
    if g.has("warp_aggregate") and n > 0:
        g.write_scalar("warp_aggregate", [reduce(valid, op, dt)] * g.size)


for _m, _sum, _inc, _exc in (("InclusiveSum", True, True, False), ("ExclusiveSum", True, False, True),
                             ("InclusiveScan", False, True, False), ("ExclusiveScan", False, False, True),
                             ("Scan", False, True, True)):
    for _name in (_m, _m + "Partial"):
        if not _name.endswith("SumPartial"):  # CUB has no partial sums
            semantics("WarpScan", _name)(lambda g, s=_sum, i=_inc, e=_exc: _scan(g, s, i, e))


@semantics("WarpScan", "Broadcast")
def _broadcast(g):
    """Each lane gets lane ``src_lane``'s input; like CUDA's shuffle, a lane index past the
    logical warp is taken modulo its size (each lane may name its own source lane)."""
    dt = g.dtype()
    x = [cast(v, dt) for v in g.items("input")[:, 0]]
    g.returns([x[int(s) % g.size] for s in g.scalars("src_lane")])
