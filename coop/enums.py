"""coop's enums: CUB's algorithm enums under short names, and the exchange kinds.

``coop.BlockLoadAlgorithm.WARP_TRANSPOSE`` is CUB's ``BLOCK_LOAD_WARP_TRANSPOSE``. Every
algorithm argument also accepts the member of ``cub_bindings.enums`` or the short name as
a string (``algorithm="warp_transpose"``).
"""

from __future__ import annotations

from cub_bindings import enums as _cub
from cub_bindings._runtime.enums import CubEnum, CubEnumValue


def _short(cub_enum, prefix: str) -> type:
    body = {name[len(prefix):]: int(m) for name, m in cub_enum._members.items()}
    cls = type(cub_enum.__name__, (CubEnum,), body, cxx=cub_enum.cxx)
    cls._cub = {m.name: cub_enum._members[prefix + m.name] for m in cls}
    cls.__doc__ = f"{cub_enum.__doc__}\n\nShort names for cub_bindings.enums.{cub_enum.__name__} ({prefix}*)."
    return cls


BlockLoadAlgorithm = _short(_cub.BlockLoadAlgorithm, "BLOCK_LOAD_")
BlockStoreAlgorithm = _short(_cub.BlockStoreAlgorithm, "BLOCK_STORE_")
BlockScanAlgorithm = _short(_cub.BlockScanAlgorithm, "BLOCK_SCAN_")
BlockReduceAlgorithm = _short(_cub.BlockReduceAlgorithm, "BLOCK_REDUCE_")
WarpLoadAlgorithm = _short(_cub.WarpLoadAlgorithm, "WARP_LOAD_")
WarpStoreAlgorithm = _short(_cub.WarpStoreAlgorithm, "WARP_STORE_")
WarpExchangeAlgorithm = _short(_cub.WarpExchangeAlgorithm, "WARP_EXCHANGE_")


class BlockExchangeType(CubEnum):
    """Which BlockExchange method ``coop.block.exchange`` calls."""

    StripedToBlocked = 0
    BlockedToStriped = 1
    WarpStripedToBlocked = 2
    BlockedToWarpStriped = 3
    ScatterToBlocked = 4
    ScatterToStriped = 5
    ScatterToStripedGuarded = 6
    ScatterToStripedFlagged = 7


class WarpExchangeType(CubEnum):
    """Which WarpExchange method ``coop.warp.exchange`` calls."""

    StripedToBlocked = 0
    BlockedToStriped = 1
    ScatterToStriped = 2


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def member_named(enum: type, value):
    """The ``enum`` member ``value`` designates (a member, a CUB member or a name), or None."""
    if isinstance(value, CubEnumValue):
        if value.enum is enum:
            return value
        cub = getattr(enum, "_cub", {})
        for short, m in cub.items():
            if m is value:
                return enum[short]
        return None
    if isinstance(value, str):
        key = value.strip()
        for m in enum:
            if key in (m.name, m.name.lower(), _snake(m.name)):
                return m
    return None


def names(enum: type) -> str:
    return ", ".join(f"{enum.__name__}.{m.name} / \"{_snake(m.name) if not m.name.isupper() else m.name.lower()}\"" for m in enum)


def cub_member(member: CubEnumValue) -> CubEnumValue:
    return member.enum._cub[member.name]


__all__ = ["BlockLoadAlgorithm", "BlockStoreAlgorithm", "BlockScanAlgorithm", "BlockReduceAlgorithm",
           "WarpLoadAlgorithm", "WarpStoreAlgorithm", "WarpExchangeAlgorithm", "BlockExchangeType",
           "WarpExchangeType"]
