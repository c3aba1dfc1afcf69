"""The verdicts of docs/numbast-gaps.md still hold (scripts/numbast_gaps.py, CPU only, ~25 s)."""

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("numbast", reason="numbast is not installed (`pip install -e .[numbast-gaps]`)")

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "numbast_gaps.py"
DOC = Path(__file__).resolve().parent.parent / "docs" / "numbast-gaps.md"

# case -> (works, a phrase of the reason it fails); the same table is in docs/numbast-gaps.md.
EXPECTED = {
    "blockscan_scalar_inclusive_sum": (True, ""),
    "blockscan_array_exclusive_sum": (False, "Known signatures"),
    "blockscan_temp_storage_ctor": (False, "cub::BlockScan(array(int32"),
    "load_direct_blocked": (False, "No matching overload found for cub::LoadDirectBlocked"),
    "store_direct_striped": (False, "No matching overload found for cub::StoreDirectStriped"),
    "load_direct_blocked_vectorized": (False, "no instance of function template"),
    "thread_load": (False, "Ambiguous overload for cub::ThreadLoad"),
    "thread_store": (False, "Ambiguous overload for cub::ThreadStore"),
    "enums": (True, ""),
    "enum_template_argument": (False, "Algorithm=IntEnum"),
    "null_type": (True, ""),
    "key_value_pair": (True, ""),
}


@pytest.fixture(scope="module")
def verdicts():
    spec = importlib.util.spec_from_file_location("numbast_gaps", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    from bindgen.errors import BindgenError

    try:
        mod.decls()
    except BindgenError as exc:
        pytest.skip(f"CUB headers cannot be parsed here: {exc}")
    assert set(mod.CASES) == set(EXPECTED)
    return {v.case: v for v in mod.run()}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_verdict_holds(verdicts, case):
    works, phrase = EXPECTED[case]
    v = verdicts[case]
    assert v.works == works, f"{case}: Numbast now {'works' if v.works else 'fails'} ({v.why}); update docs/numbast-gaps.md"
    assert phrase in v.why


def test_doc_lists_every_case():
    text = DOC.read_text()
    for case, (works, _) in EXPECTED.items():
        row = next((ln for ln in text.splitlines() if ln.startswith(f"| `{case}` |")), None)
        assert row is not None, f"docs/numbast-gaps.md has no row for {case}"
        assert ("| works |" in row) == works, row
