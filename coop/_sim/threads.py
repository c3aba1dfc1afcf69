"""The simulated thread calling a coop primitive, and the rendezvous of a collective.

numba-cuda's simulator runs every thread of a block as a Python thread
(``numba.cuda.simulator.kernel.BlockThread``); ``__syncthreads`` waits until every *live*
thread waits, so threads that returned early are silently left out. A coop collective
instead waits for every member of its group (the block, or one logical warp) at one
``Rendezvous``; the last to arrive computes the result for all. A member that can never
arrive — it returned, it waits at a ``cuda.syncthreads()``, or every live thread of the
block is waiting somewhere — makes the collective a ``CoopError`` naming the primitive, the
source line and the missing threads, where the hardware would hang or compute garbage.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from coop._errors import CoopError

_POLL_S = 0.02  # how often the watching member looks for members that can never arrive
_SETTLE_S = 0.5  # how long a member must stay at a barrier (or all stay waiting) to be called stuck
_state_lock = threading.Lock()


def current():
    """The simulated ``BlockThread`` running this call, or None outside a simulated kernel."""
    from numba.cuda.simulator.kernel import BlockThread

    t = threading.current_thread()
    return t if isinstance(t, BlockThread) else None


@dataclass
class Slot:
    """One collective call of one group: each member's deposit, then the shared result."""

    site: str
    arrivals: dict = field(default_factory=dict)  # rank in group -> (site, payload)
    done: bool = False
    result: object = None
    error: BaseException | None = None
    watcher: object = None
    taken: int = 0


class BlockState:
    """What the collectives of one simulated block share (kept on its ``BlockManager``)."""

    def __init__(self, manager):
        self.manager = manager
        self.cond = threading.Condition()
        self.slots: dict = {}  # (group key, sequence number) -> Slot
        self.waiting: dict = {}  # thread -> slot key it waits in
        self.shared: dict = {}  # coop.shared.array / TempStorage allocations by (site, occurrence)

    @staticmethod
    def of(thread) -> "BlockState":
        manager = thread._manager
        state = manager.__dict__.get("_coop_sim")
        if state is None:
            with _state_lock:
                state = manager.__dict__.setdefault("_coop_sim", BlockState(manager))
        return state

    def thread(self, tid: int):
        """The simulated thread of linear id ``tid``, or None if not started yet."""
        return self.manager.__dict__.get("_coop_threads", {}).get(tid)

    def all_threads(self) -> list:
        return list(self.manager.__dict__.get("_coop_threads", {}).values())


def register_threads():
    """Make every simulated thread findable from its block (``BlockManager`` keeps them in a
    local variable): wrap ``BlockThread.__init__`` once, so a thread that returned before
    anyone looked is still known to have returned."""
    from numba.cuda.simulator.kernel import BlockThread

    if getattr(BlockThread, "_coop_registered", False):
        return
    original = BlockThread.__init__

    def __init__(self, f, manager, *args, **kws):
        original(self, f, manager, *args, **kws)
        with _state_lock:
            manager.__dict__.setdefault("_coop_threads", {})[self.thread_id] = self

    BlockThread.__init__ = __init__
    BlockThread._coop_registered = True


def block_dims(thread) -> tuple:
    return tuple(int(d) for d in thread._manager._block_dim) + (1,) * (3 - len(thread._manager._block_dim))


def linear_tid(thread) -> int:
    return int(thread.thread_id)


def _next_sequence(thread, group_key) -> int:
    seqs = thread.__dict__.setdefault("_coop_seq", {})
    n = seqs.get(group_key, 0)
    seqs[group_key] = n + 1
    return n


def _ranges(tids) -> str:
    tids = sorted(tids)
    out, start, prev = [], None, None
    for t in tids:
        if start is None:
            start = prev = t
        elif t == prev + 1:
            prev = t
        else:
            out.append(f"{start}" if start == prev else f"{start}..{prev}")
            start = prev = t
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}..{prev}")
    return ", ".join(out)


def rendezvous(what: str, site: str, group_key, members: list, rank: int, payload, compute, where: str = ""):
    """Deposit ``payload`` as member ``rank`` of ``members`` (linear thread ids, in group
    order); the last to arrive runs ``compute(payloads in rank order)`` and every member
    returns its result. Errors (including the compute's) reach every member."""
    me = current()
    state = BlockState.of(me)
    seq = _next_sequence(me, group_key)
    key = (group_key, seq)
    with state.cond:
        slot = state.slots.get(key)
        if slot is None:
            slot = state.slots[key] = Slot(site)
        slot.arrivals[rank] = (site, payload)
        if len(slot.arrivals) == len(members):
            sites = {s for s, _ in slot.arrivals.values()}
            if len(sites) > 1:
                by_site: dict = {}
                for r, (s, _) in slot.arrivals.items():
                    by_site.setdefault(s, []).append(members[r])
                slot.error = CoopError(f"{what}: the threads of {_group_name(group_key)} reached different "
                                       "collective calls at the same point: " + "; ".join(
                                           f"{s} (threads {_ranges(t)})" for s, t in sorted(by_site.items()))
                                       + ". Every member must make the same sequence of collective calls "
                                       "(on the GPU this hangs or computes garbage)" + where)
            else:
                try:
                    slot.result = compute([slot.arrivals[r][1] for r in range(len(members))])
                except BaseException as exc:  # noqa: BLE001 (re-raised in every member)
                    slot.error = exc
            slot.done = True
            state.cond.notify_all()
        else:
            state.waiting[me] = key
            watcher = slot.watcher is None
            if watcher:  # one waiting member looks for members that can never arrive
                slot.watcher = me
            try:
                suspect, since = None, 0.0
                while not slot.done:
                    state.cond.wait(_POLL_S if watcher else 10 * _POLL_S)
                    if slot.done:
                        break
                    if getattr(me, "abort", False):
                        raise CoopError(f"{what} at {site}: aborted (another simulated thread failed)")
                    if not watcher:
                        continue
                    missing = [members[r] for r in range(len(members)) if r not in slot.arrivals]
                    why, certain = _never_arriving(state, missing)
                    # a thread seen at a barrier may be about to be released: believe it only if it lasts
                    now = time.monotonic()
                    if why != suspect:
                        suspect, since = why, now
                    if why and (certain or now - since >= _SETTLE_S):
                        slot.error = CoopError(
                            f"{what}: a collective call not reached by every thread of "
                            f"{_group_name(group_key)}: {why}. CUB requires every "
                            f"thread of {_group_name(group_key, short=True)} to make the call (on the GPU this "
                            "hangs or returns garbage); call it before any early return, outside branches that "
                            "differ between threads" + where)
                        slot.done = True
                        state.cond.notify_all()
            finally:
                state.waiting.pop(me, None)
        slot.taken += 1
        if slot.taken == len(slot.arrivals):
            state.slots.pop(key, None)
    if slot.error is not None:
        raise slot.error
    return slot.result[rank]


def _never_arriving(state: BlockState, missing) -> tuple[str, bool]:
    """(why the ``missing`` members can never arrive, whether that is already certain), or
    ("", False) while any of them may still come (it is running, or not started yet)."""
    returned, at_barrier, elsewhere = [], [], []
    for t in missing:
        th = state.thread(t)
        if th is None or not th._started.is_set():
            return "", False  # not started yet
        if not th.is_alive():
            returned.append(t)
        elif th.syncthreads_blocked:
            at_barrier.append(t)
        else:
            key = state.waiting.get(th)
            slot = state.slots.get(key) if key is not None else None
            if slot is None or slot.done:
                return "", False  # running: it may still come
            elsewhere.append(t)
    parts = []
    if returned:
        parts.append(f"threads {_ranges(returned)} have returned (an early return, or they never reach this line)")
    if at_barrier:
        parts.append(f"threads {_ranges(at_barrier)} wait at a cuda.syncthreads() this call's threads do not reach")
    if elsewhere:
        parts.append(f"threads {_ranges(elsewhere)} wait at another collective call")
    # a thread seen at a barrier or another call may be about to move on: only returning is final
    return "; ".join(parts), not (at_barrier or elsewhere)


def _group_name(group_key, short=False) -> str:
    scope, index, size = group_key
    if scope == "block":
        return "the block"
    return "the logical warp" if short else f"logical warp {index} ({size} threads)"
