"""The CUDA target's typing and lowering registries, and the model registry, in one place.

numba-cuda 0.30 keeps its own typing/lowering machinery (``numba.cuda.typing``,
``numba.cuda.core``); registrations must go to the CUDA target's registries to be seen
when kernels are compiled.

Under the CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) numba-cuda's ``cudadecl``/``cudaimpl``
do not import and nothing is compiled: registrations go to registries of their own, which
no compiler reads, so every module registering types still imports.
"""

import numba.cuda.extending  # noqa: F401 (first: numba.cuda.models alone is a circular import under the simulator)
from numba.cuda.core.config import ENABLE_CUDASIM
from numba.cuda.models import register_model
from numba.cuda.typing.typeof import typeof_impl

if ENABLE_CUDASIM:
    from numba.cuda.core.imputils import Registry as _LoweringRegistry
    from numba.cuda.typing.templates import Registry as _TypingRegistry

    typing_registry = _TypingRegistry()
    lowering_registry = _LoweringRegistry()
else:
    from numba.cuda.cudadecl import registry as typing_registry
    from numba.cuda.cudaimpl import registry as lowering_registry

__all__ = ["typing_registry", "lowering_registry", "register_model", "typeof_impl", "ENABLE_CUDASIM"]
