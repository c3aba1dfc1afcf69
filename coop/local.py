"""``coop.local.array(shape, dtype, alignment=None)``: thread-local arrays with their length in the type."""

from coop._arrays import local_array as array

__all__ = ["array"]
