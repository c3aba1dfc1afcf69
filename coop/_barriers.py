"""Which barrier a call on a shared ``auto_sync`` TempStorage waits at (its plan's ``sync``).

The rule is CUB's: before a TempStorage is reused, every thread that may still read the
previous use must be done with it, so a block-wide call waits for the block
(``__syncthreads``). One case needs less. CUB's warp-transposing ``BlockLoad``
(``BLOCK_LOAD_WARP_TRANSPOSE``) gives each warp its own slice of its TempStorage and
touches no other (``BlockExchange::WarpStripedToBlocked``: each warp writes and reads the
slice at ``warp_id * WARP_TIME_SLICED_ITEMS``); CUB requires its block to be whole warps.
When such a load's buffer was last used, by the statement just before it in the same IR
block, by a load of the same specialization (so the same slices), only the same warp's
lanes can still be reading this warp's slice, and ``__syncwarp()`` is enough. Any other
statement between the two calls that is not plain value-building (a call, a store, a use
of the TempStorage itself), or a call in another IR block, keeps ``__syncthreads()``.

Typing records, per call, which buffer it used and how (``record``); the record lives on
Numba's type inferer for this function, so nothing outlives the compile, and the decision
is part of the call's plan, which lowering reads.
"""

from __future__ import annotations

from numba.cuda.core import ir

from coop._errors import current_call

#: value-building expressions allowed between the two loads (no calls, no stores)
_PLAIN_EXPRS = frozenset({"getattr", "getitem", "static_getitem", "build_tuple", "binop", "inplace_binop",
                          "unary", "cast"})
_USES = "_coop_storage_uses"
_INDEX = "_coop_statement_index"


def _warp_local(sp) -> bool:
    """Whether CUB's use of ``sp``'s TempStorage is confined to each warp's own slice."""
    if sp.spec_name != "BlockLoad":
        return False
    algorithm = sp.value("Algorithm")
    return getattr(algorithm, "name", None) == "BLOCK_LOAD_WARP_TRANSPOSE"


def _statement_index(typeinfer) -> dict:
    """Call target name -> (IR block, statement position), built once per type inference."""
    index = getattr(typeinfer, _INDEX, None)
    if index is None:
        index = {}
        for block in typeinfer.func_ir.blocks.values():
            for pos, stmt in enumerate(block.body):
                if isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.Expr) and stmt.value.op == "call":
                    index[stmt.target.name] = (block, pos)
        setattr(typeinfer, _INDEX, index)
    return index


def _previous_call(block, pos: int, storage_name: str, callee: str):
    """The target name of the call just before statement ``pos`` of ``block``, or None where
    something else (a store, a use of the TempStorage other than as this call's subscripted
    callee ``prim[temp]``, anything unknown) is between."""
    for stmt in reversed(block.body[:pos]):
        if not isinstance(stmt, ir.Assign):
            return None
        value = stmt.value
        if stmt.target.name == callee and isinstance(value, ir.Expr) and value.op in ("getattr", "getitem"):
            continue
        if isinstance(value, ir.Expr):
            if value.op == "call":
                return stmt.target.name
            if value.op not in _PLAIN_EXPRS or any(v.name == storage_name for v in value.list_vars()):
                return None
        elif not isinstance(value, (ir.Const, ir.Global, ir.FreeVar, ir.Var, ir.Arg)):
            return None
        elif isinstance(value, ir.Var) and value.name == storage_name:
            return None
    return None


def block_sync(sp, storage_var) -> str:
    """The barrier a block-wide call of specialization ``sp`` waits at before using the shared
    ``auto_sync`` TempStorage held by IR variable ``storage_var``: "block" or "warp"; and
    records this use for the calls after it."""
    con, typeinfer = current_call()
    if con is None or typeinfer is None or storage_var is None or not hasattr(typeinfer, "func_ir"):
        return "block"
    uses = getattr(typeinfer, _USES, None)
    if uses is None:
        uses = {}
        setattr(typeinfer, _USES, uses)
    mine = (storage_var.name, sp)
    uses[con.target] = mine
    if not _warp_local(sp):
        return "block"
    where = _statement_index(typeinfer).get(con.target)
    if where is None:
        return "block"
    previous = _previous_call(*where, storage_var.name, getattr(con.func, "name", con.func))
    return "warp" if previous is not None and uses.get(previous) == mine else "block"
