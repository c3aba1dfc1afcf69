"""Which backend the GPU tier runs on, and how big its cases are there.

The result tests marked ``gpu`` run on a GPU (compiled kernels) and, unchanged, under the
CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``: coop's NumPy semantics, every thread a Python
thread). The simulator is slow (a 128-thread block with ten barriers takes about a second), so
tests pick their grid with ``cases(full, sim=...)``: the whole grid on the GPU, a sample of
small blocks in the simulator.
"""

from __future__ import annotations

import pytest
from numba.cuda.core.config import ENABLE_CUDASIM

SIMULATOR = bool(ENABLE_CUDASIM)

#: skip a test that makes no sense in the simulator (timings, SASS, cubins): ``@not_simulated("why")``
def not_simulated(reason: str):
    return pytest.mark.skipif(SIMULATOR, reason=f"not run under the CUDA simulator: {reason}")


def cases(full: list, sim: list | None = None, *, limit: int = 4) -> list:
    """``full`` on the GPU; under the simulator ``sim`` (or the first ``limit`` of ``full``)."""
    if not SIMULATOR:
        return full
    return list(sim) if sim is not None else list(full)[:limit]


def blocks(n: int, sim: int = 2) -> int:
    """A number of blocks (tiles) for a launch: ``n`` on the GPU, at most ``sim`` in the simulator."""
    return min(n, sim) if SIMULATOR else n
