"""CLI exit codes and one-line errors for bad input (never an ast_canopy traceback)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path


from bindgen import snapshots
from bindgen.cli import main
from bindgen.locate import cccl_include_dir

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args, env=None):
    """The real command line, in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "bindgen", *args], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, **(env or {})}, timeout=300,
    )  # fmt: skip


def one_error_line(result):
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def test_help():
    r = run_cli("--help")
    assert r.returncode == 0
    for cmd in ("scan", "diff", "show"):
        assert cmd in r.stdout
    assert "exit codes" in r.stdout
    assert run_cli("diff", "--help").returncode == 0


def test_scan_prints_table_and_matches_checked_in(capsys):
    assert main(["scan", "--check"]) == 0
    out = capsys.readouterr().out
    assert "CUB 3.5.0 from nvidia-cuda-cccl" in out
    for name in ("BlockScan", "WarpReduceBatched", "BlockRadixRankMatchEarlyCounts", "WarpMergeSort"):
        assert name in out
    assert "identical to the checked-in cub_bindings/ir/cub-3.5.0.json" in out


def test_scan_writes_where_told(tmp_path, capsys):
    out = tmp_path / "ir.json"
    assert main(["scan", "--output", str(out), "--only", "BlockScan"]) == 0
    assert out.read_text() == snapshots.path_for("3.5.0").read_text()
    assert "(new)" in capsys.readouterr().out


def test_scan_check_notices_a_changed_cub(tmp_path, capsys):
    # An include folder whose BlockShuffle header is gone: CUB "changed".
    inc = tmp_path / "cccl"
    shutil.copytree(cccl_include_dir(), inc, symlinks=True)
    (inc / "cub" / "block" / "block_shuffle.cuh").write_text("#pragma once\n")
    assert main(["scan", "--check", "--include-dir", str(inc)]) == 1
    out = capsys.readouterr().out
    assert "BlockShuffle" in out and "removed" in out
    assert main(["diff", "3.5.0", str(inc), "--only", "BlockShuffle"]) == 1


def test_diff_exit_codes(capsys):
    assert main(["diff", "3.5.0", "3.5.0"]) == 0
    assert "no differences" in capsys.readouterr().out
    assert main(["diff", "3.0.1", "3.5.0"]) == 1
    out = capsys.readouterr().out
    assert "WarpReduceBatched" in out and "primitive" in out
    # default: newest checked-in snapshot against the installed headers
    assert main(["diff"]) == 0


def test_diff_json(capsys):
    import json

    assert main(["diff", "3.0.1", "3.5.0", "--json", "--only", "WarpReduceBatched"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert d["changes"] == [
        {"subject": "WarpReduceBatched", "kind": "primitive", "change": "added",
         "detail": "cub/warp/warp_reduce_batched.cuh: template <typename T, int Batches, int LogicalWarpThreads = 32, "
                   "bool SyncPhysicalWarp = false> cub::WarpReduceBatched"}
    ]  # fmt: skip


def test_show(capsys):
    assert main(["show", "BlockScan"]) == 0
    out = capsys.readouterr().out
    assert "template <typename T, int BlockDimX, cub::BlockScanAlgorithm Algorithm = BLOCK_SCAN_RAKING" in out
    assert "InclusiveSum<int ITEMS_PER_THREAD>(T (&)[ITEMS_PER_THREAD] input" in out


# ------------------------------------------------------------------ bad input


def test_missing_header_directory(tmp_path):
    r = run_cli("scan", "--include-dir", str(tmp_path / "nope"))
    assert r.returncode == 2
    line = one_error_line(r)
    assert "no CUB headers in" in line and "include/cccl" in line


def test_header_that_does_not_parse(tmp_path):
    inc = tmp_path / "cccl"
    shutil.copytree(cccl_include_dir(), inc, symlinks=True)
    (inc / "cub" / "block" / "block_scan.cuh").write_text("#pragma once\nthis is not C++;\n")
    r = run_cli("scan", "--no-write", "--include-dir", str(inc))
    assert r.returncode == 2
    line = one_error_line(r)
    assert "do not parse" in line and "block_scan.cuh:2" in line


def test_unknown_primitive():
    r = run_cli("show", "BlockScna")
    assert r.returncode == 2
    line = one_error_line(r)
    assert "unknown primitive 'BlockScna'" in line and "did you mean BlockScan" in line
    r = run_cli("diff", "3.0.1", "3.5.0", "--only", "Nope")
    assert r.returncode == 2 and "unknown primitive 'Nope'" in one_error_line(r)


def test_unknown_snapshot():
    r = run_cli("diff", "9.9.9")
    assert r.returncode == 2
    assert "checked in: 3.0.1, 3.5.0" in one_error_line(r)


def test_missing_clang(tmp_path):
    r = run_cli("scan", "--no-write", env={"CUB_COOP_CLANG": str(tmp_path / "no-clang")})
    assert r.returncode == 2
    assert "was not found" in one_error_line(r)
    # no clang on PATH at all
    r = run_cli("scan", "--no-write", env={"PATH": str(tmp_path), "CUB_COOP_CLANG": ""})
    assert r.returncode == 2
    line = one_error_line(r)
    assert "no clang found" in line and "apt-get install clang-22" in line


def test_bad_overrides(tmp_path):
    (tmp_path / "ir.toml").write_text("this is = = not toml")
    r = run_cli("scan", "--no-write", "--overrides", str(tmp_path))
    assert r.returncode == 2 and "not valid TOML" in one_error_line(r)
    r = run_cli("scan", "--no-write", "--overrides", str(tmp_path / "none"))
    assert r.returncode == 2 and "overrides file" in one_error_line(r)


def test_overrides_are_applied_and_recorded(tmp_path, capsys):
    (tmp_path / "ir.toml").write_text('[default_spellings]\n"detail::warp_threads" = "CUB_WARP_THREADS"\n')
    assert main(["scan", "--no-write", "--overrides", str(tmp_path), "--json", "--only", "WarpReduce"]) == 0
    import json

    p = json.loads(capsys.readouterr().out)["WarpReduce"]
    assert p["template_params"][1]["default"] == "CUB_WARP_THREADS"
    assert any("spelled 'CUB_WARP_THREADS' (overrides)" in f for f in p["filtered"])
