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
    global _BlockThread
    if _BlockThread is None:  # imported once: this is on every call's path
        from numba.cuda.simulator.kernel import BlockThread

        _BlockThread = BlockThread
    t = threading.current_thread()
    return t if isinstance(t, _BlockThread) else None


_BlockThread = None


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
    cond: threading.Condition | None = None  # its members wait here (on the block's lock)


class BlockState:
    """What the collectives of one simulated block share (kept on its ``BlockManager``)."""

    def __init__(self, manager):
        self.manager = manager
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)  # each collective's members wait on their Slot's, on this lock
        self.slots: dict = {}  # (group key, sequence number) -> Slot
        self.waiting: dict = {}  # thread -> slot key it waits in
        self.shared: dict = {}  # coop.shared.array / TempStorage allocations by (site, occurrence)
        self.typed: dict = {}  # a call's typing by (primitive, argument types): run.py's _memo

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
    _wake_instead_of_polling()


class _Census:
    """How many threads of a block still run and how many wait at ``cuda.syncthreads()``."""

    def __init__(self, n: int):
        self.cond = threading.Condition()
        self.live, self.blocked, self.failed = n, 0, False


def _wake_instead_of_polling():
    """The simulator's ``BlockManager.run`` polls every thread of the block in a loop that holds
    the GIL (most of a simulated kernel's time); here its threads wake it instead, when the last
    live one reaches a barrier, when one returns and when one fails. Same semantics: a barrier
    opens once every live thread waits there; a thread's exception aborts the others and is
    raised from the launch."""
    import numpy as np
    from numba.cuda.simulator.kernel import BlockManager, BlockThread

    thread_run, thread_sync = BlockThread.run, BlockThread.syncthreads

    def run(self):
        try:
            thread_run(self)
        finally:
            census = self._manager.__dict__.get("_coop_census")
            if census is not None:
                with census.cond:
                    census.live -= 1
                    census.failed = census.failed or self.exception is not None
                    if census.failed or census.live == 0 or census.blocked == census.live:
                        census.cond.notify()

    def syncthreads(self):
        census = self._manager.__dict__.get("_coop_census")
        if census is None:
            return thread_sync(self)
        if self.abort:
            raise RuntimeError("abort flag set on syncthreads call")
        with census.cond:
            self.syncthreads_blocked = True
            census.blocked += 1
            if census.blocked == census.live:
                census.cond.notify()
        self.syncthreads_event.wait()
        self.syncthreads_event.clear()
        if self.abort:
            raise RuntimeError("abort flag set on syncthreads clear")

    def manager_run(self, grid_point, *args):
        block = []
        for block_point in np.ndindex(*self._block_dim):
            def target():
                self._f(*args)
            block.append(BlockThread(target, self, grid_point, block_point, self._debug))
        census = self._coop_census = _Census(len(block))
        for t in block:
            t.start()
        failed = None
        with census.cond:
            while census.live:
                if census.failed:
                    failed = next(t for t in block if t.exception)
                    break
                if census.blocked == census.live:  # every live thread waits at the barrier: open it
                    census.blocked = 0
                    for t in block:
                        if t.syncthreads_blocked:
                            t.syncthreads_blocked = False
                            t.syncthreads_event.set()
                census.cond.wait()
        if failed is not None:  # abort the others (not joined, as in the simulator)
            for t in block:
                t.abort = True
                t.syncthreads_blocked = False
                t.syncthreads_event.set()
            state = self.__dict__.get("_coop_sim")
            if state is not None:  # members waiting at a collective see the abort
                with state.cond:
                    for slot in state.slots.values():
                        slot.cond.notify_all()
            raise failed.exception[0].with_traceback(failed.exception[1])
        for t in block:
            if t.exception:
                raise t.exception[0].with_traceback(t.exception[1])

    BlockThread.run, BlockThread.syncthreads, BlockManager.run = run, syncthreads, manager_run


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
            slot = state.slots[key] = Slot(site, cond=threading.Condition(state.lock))
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
            slot.cond.notify_all()
        else:
            state.waiting[me] = key
            watcher = slot.watcher is None
            if watcher:  # one waiting member looks for members that can never arrive
                slot.watcher = me
            try:
                suspect, since = None, 0.0
                while not slot.done:
                    slot.cond.wait(_POLL_S if watcher else 10 * _POLL_S)
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
                        slot.cond.notify_all()
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
