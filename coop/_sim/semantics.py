"""How a CUB method is computed in the simulator: one NumPy function per CUB class method.

The declarations say which CUB method a coop call makes and where each of its arguments
comes from (``_decl.CubCall``); the simulator gathers those arguments from every member of
the group (the block, or one logical warp), and the function registered here for
``(CUB class, method)`` computes what CUB computes, for the whole group at once::

    @semantics("BlockScan", "ExclusiveSum")
    def _(g):
        x = g.items("input")                        # (threads, items) in thread-rank order
        ...
        g.write("output", result)                   # into each thread's own array

Functions see CUB's parameter names (those of ``cub_bindings/<class>.py``) and the class's
template arguments (``g.targ("ALGORITHM")``); they write outputs into the members' arrays
and return per-member results (``g.returns(values)``) where the CUB method returns one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba.cuda import types
from numba.cuda.np import numpy_support

from coop._errors import CoopError

_REGISTRY: dict = {}


def semantics(cls: str, *methods: str):
    """Register the decorated function as the simulator's ``cls::method`` for each method."""

    def register(fn):
        for m in methods:
            if (cls, m) in _REGISTRY:
                raise AssertionError(f"simulator semantics for {cls}::{m} registered twice")
            _REGISTRY[(cls, m)] = fn
        return fn

    return register


def lookup(cls: str, method: str):
    if not _LOADED:
        registered()
    return _REGISTRY.get((cls, method))


def registered() -> set:
    global _LOADED
    from coop._sim import families  # noqa: F401 (registers every family)

    _LOADED = True
    return set(_REGISTRY)


_LOADED = False


@dataclass
class Group:
    """One collective call, seen from all its members at once."""

    what: str  # "coop.block.scan"
    cls: str  # CUB class, "BlockScan"
    method: str  # CUB method, "ExclusiveSum"
    specialization: object  # cub_bindings Specialization (template arguments)
    args: list  # per member (rank order): {CUB parameter: value}
    ranks: list  # per member: linear thread id in the block
    dims: tuple  # block shape (x, y, z)
    dtypes: dict  # dtype group -> Numba type
    warp_threads: int | None = None
    ops: list = field(default_factory=list)  # per member: {CUB parameter: Python callable} (operators)
    state: object = None  # a persistent parent object's shared state (run-length decode)
    result: list | None = None
    lengths: dict = field(default_factory=dict)  # length group -> items ("ipt": items per thread)

    # ----------------------------------------------------------------- facts
    @property
    def size(self) -> int:
        return len(self.args)

    def has(self, param: str) -> bool:
        return param in self.args[0]

    def targ(self, name: str, default=None):
        v = self.specialization.value(name)
        return default if v is None else v

    def length(self, group: str = "ipt") -> int:
        """The call's length of group ``group`` (items per thread where no template argument says it)."""
        return int(self.lengths[group])

    def dtype(self, group: str = "T") -> np.dtype:
        ty = self.dtypes[group]
        return numpy_support.as_dtype(ty)

    # ----------------------------------------------------------------- inputs
    def values(self, param: str) -> list:
        """Each member's value of ``param`` (arrays are the members' own arrays)."""
        return [a[param] for a in self.args]

    def value(self, param: str):
        """A value every member passes alike (a tile's valid items): member 0's, checked."""
        vals = self.values(param)
        first = vals[0]
        for v in vals[1:]:
            if not _same(v, first):
                raise CoopError(f"{self.what}: `{param}` differs between the threads of one collective call "
                                f"({first!r} and {v!r}); CUB reads one value for the whole "
                                f"{'block' if self.warp_threads is None else 'logical warp'}")
        return first

    def items(self, param: str, n: int | None = None) -> np.ndarray:
        """(members, n) copy of each member's first ``n`` items of array ``param`` (or the
        scalar each passes, as one item)."""
        rows = []
        for v in self.values(param):
            a = np.asarray(v)
            rows.append(a.reshape(1) if a.ndim == 0 else (a[:n] if n is not None else a))
        return np.stack(rows)

    def scalars(self, param: str) -> np.ndarray:
        return np.array([np.asarray(v).reshape(-1)[0] if np.ndim(v) else v for v in self.values(param)])

    def op(self, param: str):
        """The operator ``param`` as a Python function (member 0's; operators are uniform)."""
        return self.ops[0][param]

    def member_op(self, param: str, member: int):
        """Member ``member``'s own operator (a stateful prefix callback holds per-thread state)."""
        return self.ops[member][param]

    # ----------------------------------------------------------------- outputs
    def write(self, param: str, rows) -> None:
        """Write row ``r`` into member ``r``'s array ``param`` (its leading elements)."""
        for a, row in zip(self.values(param), rows):
            row = np.asarray(row)
            a[: row.shape[0]] = row if row.dtype == a.dtype or a.dtype.fields is None else row.astype(a.dtype)

    def write_scalar(self, param: str, values) -> None:
        """``T&`` outputs: element 0 of each member's one-item array."""
        for a, v in zip(self.values(param), values):
            a[0] = v

    def returns(self, values) -> None:
        self.result = list(values)


def _same(a, b) -> bool:
    try:
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype.kind in "fc" and b.dtype.kind in "fc":
            return bool(np.array_equal(a, b, equal_nan=True))
        return bool(np.all(a == b))
    except Exception:  # noqa: BLE001 (objects without ==)
        return a is b


def numba_to_numpy(ty):
    return numpy_support.as_dtype(ty) if isinstance(ty, types.Type) else np.dtype(ty)
