"""The binding-spec schema, re-exported for the runtime.

The dataclasses live in ``bindgen/schema.py``, a leaf module that imports only the standard
library, so that ``python -m bindgen generate`` can build specs without importing this
package (whose ``__init__`` imports numba and the generated modules): a broken or stale
``cub_bindings`` must never stop regeneration. The runtime keeps importing from here.
"""

from bindgen.schema import ROLES, ClassSpec, Overload, Param, TParam, Unbound, snake

__all__ = ["ROLES", "ClassSpec", "Overload", "Param", "TParam", "Unbound", "snake"]
