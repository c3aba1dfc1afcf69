"""The CUDA target's typing and lowering registries, and the model registry, in one place.

numba-cuda 0.30 keeps its own typing/lowering machinery (``numba.cuda.typing``,
``numba.cuda.core``); registrations must go to the CUDA target's registries to be seen
when kernels are compiled.
"""

from numba.cuda.cudadecl import registry as typing_registry
from numba.cuda.cudaimpl import registry as lowering_registry
from numba.cuda.models import register_model
from numba.cuda.typing.typeof import typeof_impl

__all__ = ["typing_registry", "lowering_registry", "register_model", "typeof_impl"]
