"""Shared pieces of the property tests (tests/test_property_*.py): hypothesis settings sized
for the backend, the seed, tile draws and NumPy helpers. References are written in the tests
from CUB's documented semantics, never from coop's simulator."""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, Phase, note, seed, settings
from hypothesis import strategies as st

from backend import SIMULATOR

#: COOP_PROPERTY_SEED=<int> varies the examples; unset, they are derandomized (the same every run)
SEED = os.environ.get("COOP_PROPERTY_SEED")
#: scripts/gpu_dryrun.py stops each test at its first launch (an exception): one example, no shrinking
DRYRUN = bool(os.environ.get("COOP_DRYRUN"))


def prop(sim: int = 6, gpu: int = 40):
    """A property test: ``sim`` examples under the simulator, ``gpu`` on the GPU."""
    def deco(f):
        f = settings(max_examples=1 if DRYRUN else sim if SIMULATOR else gpu, deadline=None,
                     derandomize=SEED is None, database=None, print_blob=True,
                     phases=(Phase.generate,) if DRYRUN else tuple(Phase),
                     suppress_health_check=list(HealthCheck))(f)
        return seed(int(SEED))(f) if SEED is not None else f
    return deco


def pick(data, name, gpu, sim=None):
    """Draw a compile-time choice from a small set (kernels are reused across examples)."""
    v = data.draw(st.sampled_from(list(sim if (SIMULATOR and sim is not None) else gpu)), label=name)
    return v


def seed_note():
    note(f"seed: COOP_PROPERTY_SEED={SEED}" if SEED is not None else "seed: derandomized (set COOP_PROPERTY_SEED)")


def nthreads(dims) -> int:
    return int(np.prod(dims)) if isinstance(dims, tuple) else int(dims)


def values(data, dtype, n, label="data", lo=None, hi=None):
    """``n`` values of ``dtype``: small integers (exact in floats; sums wrap in integers as in C++)."""
    dt = np.dtype(dtype)
    if lo is None:
        lo, hi = (0, 100) if dt.kind == "u" else (-50, 50)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        lo, hi = max(lo, int(info.min)), min(hi, int(info.max))
    xs = data.draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n), label=label)
    return np.array(xs).astype(dt)


def full_range(data, dtype, n, label="keys"):
    """``n`` values over the whole range of ``dtype`` (no NaN)."""
    dt = np.dtype(dtype)
    if dt.kind == "f":
        el = st.floats(width=dt.itemsize * 8, allow_nan=False)
    else:
        info = np.iinfo(dt)
        el = st.integers(int(info.min), int(info.max))
    return np.array(data.draw(st.lists(el, min_size=n, max_size=n), label=label), dtype=dt)
