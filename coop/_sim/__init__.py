"""coop under numba-cuda's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``): the second backend.

Nothing is compiled: a coop call in a simulated kernel is typed by the same declarations as
in a compiled kernel (same inference, same errors), then every member of its group (the
block, or a logical warp) meets at a rendezvous and the CUB method's NumPy semantics
(``coop/_sim/families``) compute the result for all of them. See docs/simulator.md.
"""

from __future__ import annotations

from cub_bindings.extending import ENABLE_CUDASIM


def in_simulated_kernel() -> bool:
    """True on a simulated thread (inside a kernel run by the CUDA simulator)."""
    if not ENABLE_CUDASIM:
        return False
    from coop._sim.threads import current

    return current() is not None


if ENABLE_CUDASIM:
    from coop._sim.threads import register_threads

    register_threads()
