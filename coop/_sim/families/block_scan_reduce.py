"""BlockScan and BlockReduce: every overload (sums, operators, initial values, block
aggregates, prefix callbacks), over the block's items in blocked order."""

from __future__ import annotations

from coop._errors import CoopError
from coop._sim.families.scans import cast, exclusive, inclusive, plus, reduce
from coop._sim.semantics import semantics

WARP = 32


def _prefix(g, aggregate, dt):
    """CUB calls the prefix callback in every thread of the first warp with the block's
    aggregate and uses what thread 0's returns."""
    returned = [_callback(g, r)(aggregate) for r in range(min(WARP, g.size))]
    return cast(returned[0], dt)


def _callback(g, r):
    """Member ``r``'s callback: a StatefulOp, or (the earlier API's form) its state array,
    whose first element's class is called as ``__call__(state, block_aggregate)``."""
    if "block_prefix_callback_op" in g.ops[r]:
        return g.member_op("block_prefix_callback_op", r)
    state = g.values("block_prefix_callback_op")[r]
    obj = state[0]
    call = getattr(type(obj), "__call__", None)
    if obj is None or call is None or isinstance(obj, type):
        raise CoopError(f"{g.what}: thread {g.ranks[r]}'s prefix_op state holds {obj!r}, not a callback object "
                        "(on the GPU its __call__ would run on garbage): set state[0] = PrefixOp(...) before the scan")
    return lambda aggregate: call(state, aggregate)


def _scan(g, inclusive_scan: bool, is_sum: bool):
    dt = g.dtype()
    rows = g.items("input")
    n, k = rows.shape
    flat = [cast(v, dt) for v in rows.reshape(-1)]
    op = plus if is_sum else g.op("scan_op")
    aggregate = reduce(flat, op, dt)
    init = cast(g.value("initial_value"), dt) if g.has("initial_value") else (cast(0, dt) if is_sum else None)
    if g.has("block_prefix_callback_op"):
        init = _prefix(g, aggregate, dt)
    if inclusive_scan:
        out = inclusive(flat, op, dt, init if (g.has("initial_value") or g.has("block_prefix_callback_op")) else None)
    else:
        out = exclusive(flat, op, dt, init)
    current = g.items("output")
    for j, v in enumerate(out):
        if v is not None:  # None: thread 0's first exclusive output, undefined in CUB (kept as it was)
            current[j // k, j % k] = v
    g.write("output", current)
    if g.has("block_aggregate"):
        g.write_scalar("block_aggregate", [aggregate] * n)


semantics("BlockScan", "ExclusiveSum")(lambda g: _scan(g, False, True))
semantics("BlockScan", "InclusiveSum")(lambda g: _scan(g, True, True))
semantics("BlockScan", "ExclusiveScan")(lambda g: _scan(g, False, False))
semantics("BlockScan", "InclusiveScan")(lambda g: _scan(g, True, False))


def _reduce(g, is_sum: bool):
    """The aggregate is defined in thread 0 only; other threads get their own partial (their
    items' reduction), as a reminder that CUB leaves theirs undefined."""
    dt = g.dtype()
    param = "inputs" if g.has("inputs") else "input"
    rows = g.items(param)
    op = plus if is_sum else g.op("reduction_op")
    n = g.size
    if g.has("num_valid"):
        n = max(0, min(n, int(g.value("num_valid"))))
    partials = [reduce([cast(v, dt) for v in row], op, dt) for row in rows]
    total = reduce(partials[:n], op, dt)
    g.returns([total if r == 0 else partials[r] for r in range(g.size)])


semantics("BlockReduce", "Reduce")(lambda g: _reduce(g, False))
semantics("BlockReduce", "Sum")(lambda g: _reduce(g, True))
