"""The generated documentation is current, and the coverage it reports is complete: every
method of every CUB block and warp class template is reached by some coop call."""

from pathlib import Path

from coop.docs import NOT_COLLECTIVE, all_primitives, coverage_rows, markdown, with_coverage

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_api_reference_and_coverage_table_are_current():
    prims = all_primitives()
    assert (DOCS / "coop-api.md").read_text() == markdown(prims), "regenerate: python -m coop.docs --write"
    guide = (DOCS / "coop.md").read_text()
    assert guide == with_coverage(guide, prims), "regenerate: python -m coop.docs --write"


def test_every_cub_method_is_reached_by_a_coop_call():
    missing = [f"{cls}::{method}" for cls, method, calls in coverage_rows(all_primitives())
               if not calls and method not in NOT_COLLECTIVE]
    assert not missing, f"CUB methods no coop call reaches: {missing}"


def test_every_primitive_declares_what_it_reaches():
    import cub_bindings

    for prim in all_primitives():
        assert prim.reaches, f"{prim.qualname} declares no reaches"
        for cls, methods in prim.reaches.items():
            assert cls in cub_bindings.PRIMITIVES, (prim.qualname, cls)
            spec_methods = {m.name for m in cub_bindings.PRIMITIVES[cls].spec.methods} | {"__init__ts"}
            assert set(methods) <= spec_methods, (prim.qualname, set(methods) - spec_methods)


def test_make_factories_are_the_two_phase_form_of_every_primitive():
    import inspect

    import numpy as np

    import coop

    for mod in (coop.block, coop.warp):
        prims = [n for n in mod.__all__ if hasattr(getattr(mod, n), "prim")]
        assert sorted(n for n in mod.__all__ if n.startswith("make_")) == sorted(f"make_{n}" for n in prims)
        for n in prims:
            make = getattr(mod, f"make_{n}")
            assert list(inspect.signature(make).parameters) == list(getattr(mod, n).prim.host_order)
    a, b = coop.block.make_scan(np.int32, 128, 4), coop.block.scan(np.int32, 128, 4)
    assert type(a) is type(b) and a.cxx == b.cxx and a.temp_storage_bytes == b.temp_storage_bytes
    assert coop.warp.make_reduce(np.float32, "max", 16).cxx == "::cub::WarpReduce<float, 16>"


def test_two_phase_sizes_of_many_objects_cost_one_nvrtc_call(monkeypatch, tmp_path):
    import numpy as np

    import coop
    import cub_bindings as cb

    monkeypatch.setenv("CUB_COOP_CACHE_DIR", str(tmp_path))  # nothing cached on disk
    # specializations no other test uses, so none is known in this process yet
    objs = [coop.block.scan(np.int16, 96, 3), coop.block.reduce(np.int16, 96, "max", 3),
            coop.block.exchange(np.int16, 96, 3), coop.block.radix_sort_keys(np.int16, 96, 3),
            coop.warp.exclusive_sum(np.int16, 8), coop.block.merge_sort_keys(np.int16, (32, 4), 3)]
    before = cb.nvrtc_compile_count()
    sizes = [(o.temp_storage_bytes, o.temp_storage_alignment) for o in objs]
    assert cb.nvrtc_compile_count() - before == 1
    assert all(n > 0 and a > 0 for n, a in sizes)
    assert sizes[0] == cb.BlockScan(np.int16, 96).temp_storage_layout  # the raw binding agrees
