"""The barrier a call on a shared ``coop.TempStorage`` waits at first (``auto_sync``).

Calls that take turns in one TempStorage (``sharing="shared"``, every call at its start)
each wait until the previous call is done with the memory. In general that takes the whole
block (``__syncthreads``): the previous call, whatever primitive it was, may have had any
thread read any of its bytes (CUB: "a subsequent ``__syncthreads()`` ... if the temporary
storage is to be reused or repurposed").

One case needs only the warp (``__syncwarp``): both calls are *warp-private* with one layout,
and the earlier one is certainly the storage's previous use. Warp-private: a BlockLoad with
``WARP_TRANSPOSE`` (not time-sliced) exchanges through ``BlockExchange<T, ...>``, in which
warp ``w`` touches only items ``[w * 32 * ipt, (w + 1) * 32 * ipt)`` of the storage (padded
alike) and nothing else; with the same item type, items per thread and block shape, warp
``w``'s writes in the second load can only meet warp ``w``'s reads in the first. (CUB's
``BlockStore`` with ``WARP_TRANSPOSE`` also keeps a block-wide ``valid_items`` there, so
stores keep the block barrier.) Certainly the previous use: the earlier call is the nearest
statement before this one in the same block of the function's IR that touches any
TempStorage, so no other code uses the storage in between (a loop's back edge or a branch
joins blocks; a device function given the storage, an alias or a call typed out of order all
leave the block barrier). The earliest block barrier of such a chain separates it from
everything before.

A call whose CUB TempStorage is empty (CUB's ``NullType`` placeholder, one byte: the
convention ``smem_plan`` uses too) touches none of the buffer: it waits for nothing, and the
calls after it look past it.

Each call's layout is recorded on the function's type inference (the object numba-cuda types
one function with), by the call's result variable, when the call is typed.
"""

from __future__ import annotations

from numba.cuda.core import ir

from coop._errors import current_call

_USES = "_coop_storage_uses"  # typeinfer attribute: call result variable -> (storage variable, layout)


def warp_private_layout(sp) -> tuple | None:
    """The layout of a specialization whose TempStorage each warp uses only its own slice
    of, or None: a BlockLoad with WARP_TRANSPOSE, whose TempStorage is its
    ``BlockExchange<T, ...>``'s and nothing else. (A BlockStore with WARP_TRANSPOSE is not:
    with ``valid_items`` its thread 0 writes a count every thread then reads.)"""
    if sp is None or sp.spec_name != "BlockLoad":
        return None
    args = dict(sp.args)
    name = str(getattr(args.get("Algorithm"), "name", ""))  # coop's enums spell CUB's whole name
    if name.removeprefix("BLOCK_LOAD_") != "WARP_TRANSPOSE":
        return None
    return ("BlockExchange", args.get("T"), args.get("BlockDimX"), args.get("ItemsPerThread"),
            args.get("BlockDimY", 1), args.get("BlockDimZ", 1))


def _is_storage(ty) -> bool:
    from coop._arrays import PlannedStorageType, TempStorageType
    from coop._numba_types import BoundStorageType

    return isinstance(ty, (TempStorageType, PlannedStorageType, BoundStorageType))


def _touches_storage(stmt, typevars) -> bool:
    if isinstance(stmt, ir.Del):  # the end of a variable's life, not a use of memory
        return False
    for var in stmt.list_vars():
        tv = typevars.get(var.name)
        if tv is not None and _is_storage(getattr(tv, "type", None)):
            return True
    return False


def _statement(func_ir, target: str):
    """(block, index) of the assignment of ``target``, or (None, None)."""
    for block in func_ir.blocks.values():
        for i, stmt in enumerate(block.body):
            if isinstance(stmt, ir.Assign) and stmt.target.name == target:
                return block, i
    return None, None


NO_MEMORY = "no memory"  # the layout of a call whose CUB TempStorage is empty (CUB's NullType)


def barrier_before(storage_var, layout) -> str | None:
    """``"warp"``, ``"block"`` or None: the barrier the call being typed waits at before it
    uses the TempStorage in ``storage_var`` (an IR variable), given its own ``layout``
    (``warp_private_layout``, or ``NO_MEMORY``: a call that touches none of it waits for
    nothing, and the calls after it look past it). Records this call's use for those calls."""
    con, typeinfer = current_call()
    if layout == NO_MEMORY:
        if con is not None and typeinfer is not None:
            typeinfer.__dict__.setdefault(_USES, {})[con.target] = (getattr(storage_var, "name", None), NO_MEMORY)
        return None
    if con is None or typeinfer is None or storage_var is None:
        return "block"
    name = getattr(storage_var, "name", None)
    uses = typeinfer.__dict__.setdefault(_USES, {})
    uses[con.target] = (name, layout)
    if layout is None or name is None:
        return "block"
    block, index = _statement(typeinfer.func_ir, con.target)
    if block is None:
        return "block"
    func = getattr(con.func, "name", con.func)
    for stmt in reversed(block.body[:index]):
        target = stmt.target.name if isinstance(stmt, ir.Assign) else None
        if target == func:
            continue  # the subscript making this call's callee (``prim[temp]``)
        if not _touches_storage(stmt, typeinfer.typevars):
            continue
        previous = uses.get(target) if isinstance(stmt.value, ir.Expr) and stmt.value.op == "call" else None
        if previous is not None and previous[0] == name and previous[1] == NO_MEMORY:
            continue  # a call on the same storage that touched none of it
        return "warp" if previous == (name, layout) else "block"
    return "block"
