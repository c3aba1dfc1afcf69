"""coop's enums: CUB's algorithm enums under short names, and the exchange kinds.

``coop.BlockLoadAlgorithm.WARP_TRANSPOSE`` is CUB's ``BLOCK_LOAD_WARP_TRANSPOSE``. Every
algorithm argument also accepts the member of ``cub_bindings.enums`` or the short name as
a string (``algorithm="warp_transpose"``).
"""

from __future__ import annotations

from cub_bindings import enums as _cub
from cub_bindings.extending import CubEnum, CubEnumValue


class _ShortEnum(CubEnum):
    """A CUB enum under short member names; ``str()`` is CUB's C++ name (``::cub::BLOCK_LOAD_DIRECT``)."""

    @classmethod
    def member_str(cls, member) -> str:
        return f"::cub::{cls._cub[member.name].name}"


class _TypeEnum(CubEnum):
    """Which method of a CUB class a primitive calls; ``str()`` is that C++ method."""

    method_of = ""

    @classmethod
    def member_str(cls, member) -> str:
        return f"::cub::{cls.method_of}::{member.name}"


def _short(cub_enum, prefix: str) -> type:
    body = {name[len(prefix):]: int(m) for name, m in cub_enum._members.items()}
    cls = type(cub_enum.__name__, (_ShortEnum,), body, cxx=cub_enum.cxx)
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
BlockHistogramAlgorithm = _short(_cub.BlockHistogramAlgorithm, "BLOCK_HISTO_")
RadixRankAlgorithm = _short(_cub.RadixRankAlgorithm, "RADIX_RANK_")


class SharedMemConfig(_ShortEnum, cxx=_cub.cudaSharedMemConfig.cxx):
    """The shared-memory bank size CUB's radix ranking packs its counters for (the CUDA
    runtime's cudaSharedMemConfig; CUB's default is FourByte).

    Short names for cub_bindings.enums.cudaSharedMemConfig (cudaSharedMemBankSize*)."""

    Default = int(_cub.cudaSharedMemBankSizeDefault)
    FourByte = int(_cub.cudaSharedMemBankSizeFourByte)
    EightByte = int(_cub.cudaSharedMemBankSizeEightByte)

    @classmethod
    def member_str(cls, member) -> str:
        return f"::{cls._cub[member.name].name}"


SharedMemConfig._cub = {m.name: _cub.cudaSharedMemConfig._members["cudaSharedMemBankSize" + m.name]
                        for m in SharedMemConfig}


class BlockExchangeType(_TypeEnum):
    """Which BlockExchange method ``coop.block.exchange`` calls."""

    method_of = "BlockExchange"

    StripedToBlocked = 0
    BlockedToStriped = 1
    WarpStripedToBlocked = 2
    BlockedToWarpStriped = 3
    ScatterToBlocked = 4
    ScatterToStriped = 5
    ScatterToStripedGuarded = 6
    ScatterToStripedFlagged = 7


class WarpExchangeType(_TypeEnum):
    """Which WarpExchange method ``coop.warp.exchange`` calls."""

    method_of = "WarpExchange"

    StripedToBlocked = 0
    BlockedToStriped = 1
    ScatterToStriped = 2


class BlockDiscontinuityType(_TypeEnum):
    """Which BlockDiscontinuity method a discontinuity call makes (the earlier API's names)."""

    method_of = "BlockDiscontinuity"
    HEADS = 0
    TAILS = 1
    HEADS_AND_TAILS = 2


class BlockAdjacentDifferenceType(_TypeEnum):
    """Which BlockAdjacentDifference method an adjacent-difference call makes."""

    method_of = "BlockAdjacentDifference"
    SubtractLeft = 0
    SubtractRight = 1


class BlockShuffleType(_TypeEnum):
    """Which BlockShuffle method a shuffle call makes."""

    method_of = "BlockShuffle"
    Offset = 0
    Rotate = 1
    Up = 2
    Down = 3


class NoAlgorithm(CubEnum):
    """The earlier API's placeholder for primitives without an algorithm choice."""

    NO_ALGORITHM = 0


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


#: exported at ``coop.`` (algorithms; the earlier API's names)
__all__ = ["BlockLoadAlgorithm", "BlockStoreAlgorithm", "BlockScanAlgorithm", "BlockReduceAlgorithm",
           "BlockHistogramAlgorithm", "RadixRankAlgorithm", "SharedMemConfig", "WarpLoadAlgorithm", "WarpStoreAlgorithm",
           "WarpExchangeAlgorithm", "NoAlgorithm"]
#: exported at ``coop.block.`` / ``coop.warp.`` (which method a call makes)
BLOCK_TYPES = ["BlockExchangeType", "BlockDiscontinuityType", "BlockAdjacentDifferenceType", "BlockShuffleType"]
WARP_TYPES = ["WarpExchangeType"]
