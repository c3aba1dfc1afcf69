"""The binding-spec schema (``bindgen/schema.py``) is a leaf: the generator never imports
the package it generates (``cub_bindings``, whose ``__init__`` imports numba), so a broken
or stale ``cub_bindings`` cannot stop ``python -m bindgen generate``."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numba", "numpy", "cub_bindings", "coop", "ast_canopy", "clang", "cuda")


def imported_top_level(code: str) -> set[str]:
    """Top-level packages a fresh interpreter has imported after running ``code``."""
    code += "\nimport sys; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.splitlines()[-1].split())


def test_schema_and_generator_import_no_runtime():
    mods = imported_top_level("import bindgen.schema, bindgen.generate, bindgen.coverage")
    assert not mods & set(HEAVY), sorted(mods & set(HEAVY))


def test_generate_check_imports_no_runtime():
    code = (
        "from bindgen.cli import main\n"
        "rc = main(['generate', '--check'])\n"
        "assert rc == 0, rc\n"
    )  # fmt: skip
    mods = imported_top_level(code)
    assert not mods & set(HEAVY), sorted(mods & set(HEAVY))


def test_runtime_spec_reexports_the_schema():
    from bindgen import schema
    from cub_bindings._runtime import spec

    for name in spec.__all__:
        assert getattr(spec, name) is getattr(schema, name)
    from cub_bindings import block_scan

    assert type(block_scan.SPEC) is schema.ClassSpec
