"""The shim compile service: one NVRTC call, layouts from the same call, the on-disk cache."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cub_bindings._runtime import nvrtc_service as svc
from shim_sources import BLOCK_SCAN_TEMP_STORAGE, block_scan_exclusive_sum_shim
from cub_bindings._runtime.cache import DiskCache

SHIM = block_scan_exclusive_sum_shim("cub_coop_test_block_scan_exclusive_sum")
TS = BLOCK_SCAN_TEMP_STORAGE


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CUB_COOP_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CUB_COOP_NO_CACHE", raising=False)
    return DiskCache(tmp_path / "shims")


def test_compile_miss_then_hit(cache):
    before = svc.nvrtc_compile_count()
    first = svc.compile_shims(SHIM, [TS], cache=cache)
    assert not first.from_cache and len(first.ltoir) > 10_000
    assert svc.nvrtc_compile_count() == before + 1
    second = svc.compile_shims(SHIM, [TS], cache=cache)
    assert second.from_cache and second.ltoir == first.ltoir and second.layouts == first.layouts
    assert svc.nvrtc_compile_count() == before + 1  # no NVRTC on a hit
    assert (cache.hits, cache.misses) == (1, 1)


def test_layouts_come_from_the_same_compile(cache):
    types = [TS, "cub::BlockScan<int, 128, cub::BLOCK_SCAN_WARP_SCANS>::TempStorage",
             "cub::BlockScan<double, 256>::TempStorage"]  # fmt: skip
    before = svc.nvrtc_compile_count()
    r = svc.compile_shims(SHIM, types, cache=cache)
    assert svc.nvrtc_compile_count() == before + 1
    # CUB 3.5.0, sm_90 (cross-checked with sizeof/alignof read back from PTX globals)
    assert r.layouts == {types[0]: (672, 16), types[1]: (32, 16), types[2]: (2336, 16)}


def test_key_covers_arch_and_source(cache):
    a = svc.compile_shims(SHIM, cache=cache)
    b = svc.compile_shims(SHIM + "\n// changed\n", cache=cache)
    c = svc.compile_shims(SHIM, arch="sm_80", cache=cache)
    assert len({a.key, b.key, c.key}) == 3
    assert not b.from_cache and not c.from_cache


def test_key_covers_every_compile_option(cache, monkeypatch):
    """An option change (a macro's value here) is a new entry, not the old LTOIR."""
    a = svc.compile_shims(SHIM, cache=cache)
    values = svc._option_values
    monkeypatch.setattr(svc, "_option_values", lambda arch: {**values(arch), "define_macro": [
        ("_CCCL_META_UNROLL_LIMIT", "10"), ("CUB_COOP_TEST_MACRO", "1")]})
    b = svc.compile_shims(SHIM, cache=cache)
    assert a.key != b.key and not b.from_cache


def test_shims_compile_with_nvccs_type_list_unroll_limit(cache):
    """libcu++'s type-list fold step is nvcc's 10 (16 under NVRTC by default: 1 s more per compile)."""
    svc.compile_shims(SHIM + "\nstatic_assert(_CCCL_META_UNROLL_LIMIT == 10, \"unroll limit\");\n", cache=cache)


def test_corrupt_entry_is_detected_and_rebuilt(cache):
    r = svc.compile_shims(SHIM, [TS], cache=cache)
    path = cache.path(r.key)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    before = svc.nvrtc_compile_count()
    again = svc.compile_shims(SHIM, [TS], cache=cache)
    assert not again.from_cache and cache.corrupt == 1
    assert svc.nvrtc_compile_count() == before + 1
    assert again.ltoir == r.ltoir
    path.write_bytes(b"short")  # truncated
    assert cache.get(r.key) is None and not path.exists()


def test_concurrent_processes_share_the_cache(tmp_path):
    script = (
        "import sys; from cub_bindings._runtime import nvrtc_service as s;"
        f"r = s.compile_shims(sys.stdin.read(), [{TS!r}]); print(r.layouts[{TS!r}])"
    )
    env = {**os.environ, "CUB_COOP_CACHE_DIR": str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env) for _ in range(3)]  # fmt: skip
    outs = [p.communicate(SHIM, timeout=300)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs == ["(672, 16)"] * 3
    entries = list((tmp_path / "shims").rglob("*.bin"))
    assert len(entries) == 1 and not list((tmp_path / "shims").rglob(".tmp-*"))
    assert DiskCache(tmp_path / "shims").get(entries[0].stem) is not None


def test_link_to_cubin_without_gpu(cache):
    r = svc.compile_shims(SHIM, cache=cache)
    cubin = svc.link_cubin([r.ltoir])
    assert cubin[:4] == b"\x7fELF"


def test_compile_error_is_one_clear_message(cache, tmp_path, monkeypatch):
    monkeypatch.setenv("CUB_COOP_DUMP_SHIMS", str(tmp_path / "dump"))
    with pytest.raises(svc.ShimCompileError) as err:
        svc.compile_shims(SHIM.replace("ExclusiveSum", "NoSuchMethod"), cache=cache)
    msg = str(err.value)
    assert "NoSuchMethod" in msg and "dump" in msg
    dumped = list((tmp_path / "dump").glob("*.cu"))
    assert len(dumped) == 1 and "NoSuchMethod" in dumped[0].read_text()


def test_no_cache_env(cache, monkeypatch):
    monkeypatch.setenv("CUB_COOP_NO_CACHE", "1")
    svc.compile_shims(SHIM, cache=cache)
    assert not list(Path(cache.directory).rglob("*.bin"))
