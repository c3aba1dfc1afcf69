"""Limits checked while typing, before NVRTC, so a kernel that cannot build fails at once
with a CoopError at the user's line instead of in NVRTC, ptxas or nvJitLink minutes later.

* Items per thread: each thread's items (items per thread x item size, per array) against a
  budget, ``COOP_ITEMS_BUDGET`` bytes (default 4096: four times the 1 KB a thread's 255
  registers hold). CUB unrolls its per-item loops, so compile time and memory grow with the
  tile: 16 KB of items per thread links in about 30 s, 32 KB ran nvJitLink for over 14
  minutes at 15 GB. ``COOP_ITEMS_BUDGET=0`` lifts the budget (huge tiles compile, slowly).
* Shared memory: a kernel's static ``__shared__`` memory is limited to 48 KB (49152 bytes)
  on every GPU; ``coop.shared.array`` (the user's data, static) over it, or a function whose
  arrays add up to more, fail here. TempStorage (the calls' own and ``coop.TempStorage``)
  is planned per kernel and moves to dynamic shared memory past 48 KB, so only what no GPU's
  block can hold (227 KB, sm_90's opt-in maximum) fails here: a CUB class whose TempStorage
  is at least the whole tile (transposing loads and stores, exchanges, radix and merge
  sorts), or a ``coop.TempStorage(n)``. The exact per-architecture limit for the whole plan
  is checked when the kernel's shims compile.
* CUB's static_asserts the template arguments decide: warp-transposing loads and stores need
  a block of whole warps.
* Records cross into CUB as C++ structs: a packed record whose fields are not at their C
  alignment has no C++ counterpart.
"""

from __future__ import annotations

import os

from numba.cuda import types

from cub_bindings.extending import SHARED_OPT_IN_BYTES

STATIC_SHARED_BYTES = 48 * 1024
#: the most shared memory any GPU lets one block opt in to (sm_90, sm_100: 227 KB)
OPT_IN_MAX_BYTES = max(SHARED_OPT_IN_BYTES.values())
ITEMS_BUDGET = 4096
BUDGET_ENV = "COOP_ITEMS_BUDGET"
WARP = 32


def items_budget() -> int | None:
    """Bytes of items per thread per array allowed (``COOP_ITEMS_BUDGET``; None: no budget)."""
    text = os.environ.get(BUDGET_ENV, "").strip()
    if not text:
        return ITEMS_BUDGET
    try:
        n = int(text)
    except ValueError:
        from coop._errors import CoopError

        raise CoopError(f"{BUDGET_ENV}={text!r}: a number of bytes (0: no budget)") from None
    return n if n > 0 else None


def item_size(ty) -> int | None:
    """Bytes of one item of Numba type ``ty`` (None: not known here)."""
    if isinstance(ty, types.Boolean):
        return 1
    if isinstance(ty, (types.Integer, types.Float, types.Complex)):
        return ty.bitwidth // 8
    if isinstance(ty, types.Record):
        return ty.size
    return None


def _alignment(ty) -> int | None:
    if isinstance(ty, types.Record):
        aligns = [_alignment(f[0]) for f in ty.fields.values()]
        return max([a for a in aligns if a] or [1])
    if isinstance(ty, types.NestedArray):
        return _alignment(ty.dtype)
    if isinstance(ty, types.Complex):  # two floats
        return ty.bitwidth // 16
    return item_size(ty)


def record_problem(rec) -> str | None:
    """Why record ``rec`` is not laid out as the C++ struct CUB gets (None: it is)."""
    for name, field in rec.fields.items():
        fty, offset = field[0], field[1]
        a = _alignment(fty)
        if a and offset % a:
            return (f"field `{name}` ({fty}) is at byte {offset}, not a multiple of its alignment ({a}): a packed "
                    "record has no C++ struct counterpart")
        if isinstance(fty, types.Record):
            inner = record_problem(fty)
            if inner:
                return f"field `{name}`: {inner}"
    a = _alignment(rec) or 1
    if rec.size % a:
        return f"its size ({rec.size} bytes) is not a multiple of its alignment ({a}), as a C++ struct's is"
    return None


def _fmt(n: int) -> str:
    return f"{n} bytes ({n / 1024:.0f} KB)" if n >= 1024 else f"{n} bytes"


# --------------------------------------------------------------------------- one primitive call


def check_call(c, prim, cls: str, targs: dict) -> None:
    """The limits a primitive call's specialization can be checked against before NVRTC."""
    _check_items_budget(c, prim)
    if c.dims is None or c.scope != "block":
        return
    threads = c.dims[0] * c.dims[1] * c.dims[2]
    alg = getattr(targs.get("Algorithm"), "name", "") or ""
    if cls in ("BlockLoad", "BlockStore") and "WARP_TRANSPOSE" in alg and threads % WARP:
        c.fail("algorithm", f"{alg} exchanges items one warp at a time, so CUB needs a block of whole warps (a "
               f"multiple of {WARP} threads); this block has {threads} (CUB's static_assert, checked before "
               "compiling)", f"a block of {(threads // WARP + 1) * WARP} threads, or algorithm \"direct\", "
               "\"striped\", \"vectorize\" or \"transpose\"")
    _check_tile_storage(c, cls, targs, alg, threads)


def _check_items_budget(c, prim) -> None:
    from coop._kinds import Count

    budget = items_budget()
    if budget is None:
        return
    seen = set()
    for p in prim.params:
        group, length = getattr(p.kind, "group", None), getattr(p.kind, "length", None)
        if not getattr(p.kind, "array", False) or group is None or length is None or (group, length) in seen:
            continue
        seen.add((group, length))
        n, dt = c.length(length), c.dtype(group)
        size = item_size(dt) if dt is not None else None
        if n is None or size is None or n * size <= budget:
            continue
        arg = next((q.name for q in prim.params if isinstance(q.kind, Count) and q.kind.length == length
                    and c.has(q.name)), p.name)
        c.fail(arg, f"{n} {c.length_label(length)} x {size}-byte {dt} = {n * size} bytes per thread, over the "
               f"{budget}-byte budget for one thread's items ({BUDGET_ENV}): CUB unrolls its per-item loops, so a "
               "tile this large compiles for minutes or fails in ptxas (checked before compiling)",
               f"at most {budget // size} items per thread, or set {BUDGET_ENV}=<bytes> (0: no budget) to compile "
               "huge tiles anyway")


#: CUB classes whose TempStorage holds at least one item per item of the tile (a lower bound)
def _tile_items(cls: str, targs: dict, alg: str) -> str | None:
    """The dtype template argument whose items the class's TempStorage holds a whole tile of."""
    if cls in ("BlockLoad", "BlockStore") and "TRANSPOSE" in alg and "TIMESLICED" not in alg:
        return "T"
    if cls == "BlockExchange" and not targs.get("WarpTimeSlicing"):
        return "T"
    if cls in ("BlockRadixSort", "BlockMergeSort"):
        return "KeyT"
    return None


def _check_tile_storage(c, cls, targs, alg, threads) -> None:
    key = _tile_items(cls, targs, alg)
    ipt = targs.get("ItemsPerThread")
    size = item_size(targs.get(key)) if key else None
    if not size or not isinstance(ipt, int):
        return
    need = threads * ipt * size
    if need <= OPT_IN_MAX_BYTES:
        return
    most = OPT_IN_MAX_BYTES // (threads * size)
    fewer = (f"at most {most} items per thread with {threads} threads" if most else
             f"fewer than {OPT_IN_MAX_BYTES // (ipt * size) + 1} threads")
    alt = (', or algorithm "direct", "striped" or "vectorize" (no shared memory)'
           if cls in ("BlockLoad", "BlockStore") else "")
    c.fail("items_per_thread" if c.has("items_per_thread") else None,
           f"CUB's {cls} keeps a whole tile in shared memory: {threads} threads x {ipt} items x {size}-byte "
           f"{targs.get(key)} = {_fmt(need)}, over the {_fmt(OPT_IN_MAX_BYTES)} of shared memory any GPU lets one "
           "block use (sm_90's opt-in maximum; checked before compiling)", fewer + alt)


# --------------------------------------------------------------------------- shared arrays


def check_temp_storage(what: str, arg: str, nbytes: int, desc: str) -> None:
    """A ``coop.TempStorage`` of ``nbytes``: part of the kernel's plan (dynamic past 48 KB), so
    only what no block can hold is refused here."""
    from coop._errors import fail

    if nbytes > OPT_IN_MAX_BYTES:
        fail(what, arg, f"{desc} = {_fmt(nbytes)}, over the {_fmt(OPT_IN_MAX_BYTES)} of shared memory any GPU lets "
             "one block use (sm_90's opt-in maximum)", f"at most {OPT_IN_MAX_BYTES} bytes")


def check_shared_array(what: str, arg: str, nbytes: int, desc: str) -> None:
    """A static shared allocation of ``nbytes`` (``desc`` says what): alone, and with the
    function's other coop shared arrays, within the static shared memory limit."""
    from coop._errors import current_call, fail

    valid = ("at most 48 KB of coop.shared.array per kernel; for more, dynamic shared memory "
             "(cuda.shared.array(0, dtype), sized at launch) on a GPU that opts in (sm_90: up to 227 KB)")
    if nbytes > STATIC_SHARED_BYTES:
        fail(what, arg, f"{desc} = {_fmt(nbytes)} of static shared memory, over the {_fmt(STATIC_SHARED_BYTES)} "
             "limit of a kernel's static shared memory (ptxas would refuse the kernel)", valid)
    con, ti = current_call()
    if con is None or ti is None:
        return
    sites = ti.__dict__.setdefault("_coop_static_shared", {})
    sites[(con.loc.line, getattr(con.loc, "col", None), id(con))] = nbytes
    total = sum(sites.values())
    if total > STATIC_SHARED_BYTES:
        lines = sorted({k[0] for k in sites})
        fail(what, arg, f"{desc} brings this function's coop shared memory to {_fmt(total)} (arrays at lines "
             f"{', '.join(map(str, lines))}), over the {_fmt(STATIC_SHARED_BYTES)} limit of a kernel's static "
             "shared memory", valid)
