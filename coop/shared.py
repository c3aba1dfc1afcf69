"""``coop.shared.array(shape, dtype, alignment=None)``: block-shared arrays with their length in the type."""

from coop._arrays import shared_array as array

__all__ = ["array"]
