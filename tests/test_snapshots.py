"""JSON round trip, and the checked-in snapshot being what `scan` produces from the pinned CCCL."""

import json
import re
from pathlib import Path

import pytest

from bindgen import ir, snapshots

ROOT = Path(__file__).resolve().parent.parent


def test_json_round_trip_is_lossless(snap35):
    text = ir.to_json(snap35)
    again = ir.from_json(text)
    assert again == snap35
    assert ir.to_json(again) == text


def test_json_is_sorted_and_stable(snap35):
    d = json.loads(ir.to_json(snap35))
    assert list(d["primitives"]) == sorted(d["primitives"])
    sigs = [ir.Method(**{**m, "params": tuple(ir.Param(**p) for p in m["params"]),
                         "template_params": tuple(ir.TemplateParam(**t) for t in m["template_params"])}).signature
            for m in d["primitives"]["BlockScan"]["methods"]]  # fmt: skip
    assert sigs == sorted(sigs, key=lambda s: (s.split("<")[0].split("(")[0], s))


def test_checked_in_file_is_the_canonical_text(snap35):
    path = snapshots.path_for("3.5.0")
    assert path.read_text() == ir.to_json(snap35)


def test_schema_mismatch_is_a_clear_error(tmp_path):
    from bindgen.errors import BindgenError

    bad = tmp_path / "cub-9.9.9.json"
    d = json.loads(snapshots.path_for("3.5.0").read_text())
    d["schema"] = 999
    bad.write_text(json.dumps(d))
    with pytest.raises(BindgenError, match="schema 999"):
        snapshots.load(bad)
    (tmp_path / "junk.json").write_text("[1, 2]")
    with pytest.raises(BindgenError, match="not an IR snapshot"):
        snapshots.load(tmp_path / "junk.json")


def test_pinned_cccl_matches_checked_in_snapshot_version(scanned):
    pyproject = (ROOT / "pyproject.toml").read_text()
    pinned = re.search(r'"nvidia-cuda-cccl==([\d.]+)"', pyproject).group(1)
    assert scanned.source == f"nvidia-cuda-cccl {pinned}", "install the pinned CCCL: pip install -e .[bindgen]"
    assert snapshots.path_for(scanned.cub_version).is_file()


def test_checked_in_snapshot_is_current(scanned):
    """`python -m bindgen scan` on the pinned CCCL reproduces the checked-in IR exactly."""
    checked_in = snapshots.path_for(scanned.cub_version).read_text()
    assert ir.to_json(scanned) == checked_in, "the IR is stale: run `python -m bindgen scan` and commit the result"


def test_write_reports_status(tmp_path, snap35):
    out = tmp_path / "x.json"
    assert snapshots.write(snap35, out) == (out, "new")
    assert snapshots.write(snap35, out) == (out, "unchanged")
    out.write_text(out.read_text().replace('"3.5.0"', '"3.5.1"', 1))
    assert snapshots.write(snap35, out) == (out, "updated")


@pytest.mark.network
def test_old_release_snapshot_is_reproducible(tmp_path, monkeypatch, snap30):
    """The checked-in 3.0.1 IR is what `scan --release 13.0.85` makes from the real wheel."""
    from bindgen.errors import BindgenError
    from bindgen.releases import release_include_dir
    from bindgen.scan import scan_headers

    try:
        include = release_include_dir("13.0.85")
    except BindgenError as exc:
        pytest.skip(f"PyPI not reachable: {exc}")
    assert ir.normalized(scan_headers(include)) == snap30
    assert ir.to_json(snap30) == snapshots.path_for("3.0.1").read_text()
