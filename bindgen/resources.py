"""Where bindgen's data lives, found through the installed packages (a wheel and a checkout alike).

The repository's top-level ``overrides/`` installs as the package ``bindgen.overrides``
(``package-dir`` in pyproject.toml); the IR snapshots and the generated modules are those of
the ``cub_bindings`` package that Python imports. Nothing here imports ``cub_bindings``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bindgen.errors import BindgenError


def package_dir(name: str) -> Path:
    """The folder of the package ``name`` as Python would import it, without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise BindgenError(f"package {name} is not installed: reinstall cub-coop (`pip install -e .` in a checkout)")
    return Path(locations[0])


def overrides_dir() -> Path:
    """The folder holding ``ir.toml`` and ``bindings.toml``."""
    return package_dir("bindgen.overrides")


def cub_bindings_dir() -> Path:
    """The folder of the generated ``cub_bindings`` modules."""
    return package_dir("cub_bindings")


def ir_dir() -> Path:
    """The folder of the checked-in IR snapshots, ``cub_bindings/ir``."""
    return cub_bindings_dir() / "ir"
