"""Where a thread's items sit in a tile, for CUB's arrangements.

For ``n`` threads (rank ``r``) holding ``k`` items each (item ``i``), the tile index of an
item is ``r*k + i`` (blocked), ``i*n + r`` (striped), and, warp-striped (hardware warps of
32 threads, each its own striped sub-tile), ``w*32*k + i*32 + lane`` where ``w = r // 32``
and ``lane = r % 32``.
"""

from __future__ import annotations

import numpy as np

WARP = 32


def blocked(n: int, k: int) -> np.ndarray:
    """(n, k) tile indices of a blocked arrangement."""
    return np.arange(n)[:, None] * k + np.arange(k)[None, :]


def striped(n: int, k: int) -> np.ndarray:
    return np.arange(k)[None, :] * n + np.arange(n)[:, None]


def warp_striped(n: int, k: int, warp: int = WARP) -> np.ndarray:
    r = np.arange(n)[:, None]
    w, lane = r // warp, r % warp
    return w * warp * k + np.arange(k)[None, :] * warp + lane


def enum_name(v) -> str:
    """A template argument that is a CUB enum value: its member name (``BLOCK_LOAD_DIRECT``)."""
    return getattr(v, "name", str(v)).split("::")[-1]


def tile_of(rows: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The tile (flat) whose items the members hold at positions ``index``."""
    tile = np.empty(rows.size, rows.dtype)
    tile[index.reshape(-1)] = rows.reshape(-1)
    return tile
