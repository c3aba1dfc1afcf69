"""The simulator's semantics of every CUB method coop reaches, one module per family.

Importing this package registers them all (``coop._sim.semantics.semantics``)."""

from coop._sim.families import arrange  # noqa: F401
from coop._sim.families import block_io, block_scan_reduce, scans  # noqa: F401
from coop._sim.families import neighbors  # noqa: F401
from coop._sim.families import parents  # noqa: F401
from coop._sim.families import warp  # noqa: F401
from coop._sim.families import merge_sort, radix  # noqa: F401
