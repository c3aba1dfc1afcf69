"""Scans and reductions over a sequence, with CUB's operator order and the items' type.

Each step is ``op(accumulated, next)`` in sequence order, its result converted to the items'
dtype (integers wrap around as on the GPU). Sums use ``+``.
"""

from __future__ import annotations

import numpy as np


def cast(v, dt: np.dtype):
    """``v`` as a value of ``dt`` (integers wrap; a record stays a record)."""
    if dt.fields is not None:
        return v if isinstance(v, np.void) and v.dtype == dt else np.array(v, dt)[()]
    return np.asarray(v).astype(dt)[()]


def plus(a, b):
    return a + b


def inclusive(flat, op, dt, prefix=None) -> list:
    out, acc = [], prefix
    for v in flat:
        acc = v if acc is None else cast(op(acc, v), dt)
        out.append(acc)
    return out


def exclusive(flat, op, dt, init=None) -> list:
    """Exclusive scan; without ``init`` the first output is undefined in CUB (``None`` here)."""
    out, acc = [], init
    for v in flat:
        out.append(acc)
        acc = v if acc is None else cast(op(acc, v), dt)
    return out


def reduce(flat, op, dt):
    acc = None
    for v in flat:
        acc = v if acc is None else cast(op(acc, v), dt)
    return acc
