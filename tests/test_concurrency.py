"""Concurrency (CPU tier, no GPU): threads compiling distinct coop kernels at once (one of
them for sm_80, the others for sm_90), processes sharing one cold on-disk shim cache, and a
process killed with SIGKILL while compiling or while writing a cache entry. Every kernel must
come out as if compiled alone. Also NVRTC's time guard (CUB_COOP_NVRTC_TIMEOUT)."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from numba import cuda, types

import coop
from cub_bindings._runtime import nvrtc_service as svc
from cub_bindings._runtime.cache import STALE_SECONDS, DiskCache
from cub_bindings.inspect import build_kernel

ELF = b"\x7fELF"
HERE = Path(__file__).resolve().parent



# Each kernel: a distinct primitive / dtype / block shape (CASES), small tiles for a short NVRTC.
def k_scan_i32_64(d_in, d_out):
    items = coop.local.array(2, types.int32)
    coop.block.load(d_in, items)
    coop.block.scan(items, items)
    coop.block.store(d_out, items)


def k_scan_i32_128(d_in, d_out):
    items = coop.local.array(2, types.int32)
    coop.block.load(d_in, items)
    coop.block.scan(items, items, mode="inclusive", scan_op="max")
    coop.block.store(d_out, items)


def k_reduce_f32_96(d_in, d_out):
    items = coop.local.array(3, types.float32)
    coop.block.load(d_in, items)
    d_out[0] = coop.block.reduce(items, "min")


def k_sum_f64_2d(d_in, d_out):
    items = coop.local.array(2, types.float64)
    coop.block.load(d_in, items)
    d_out[0] = coop.block.sum(items)


def k_exchange_i64_32(d_in, d_out):
    items = coop.local.array(4, types.int64)
    coop.block.load(d_in, items)
    coop.block.exchange(items, block_exchange_type="striped_to_blocked")
    coop.block.store(d_out, items)


@cuda.jit(device=True)
def warp_total(x):
    return coop.warp.sum(x)


def k_warp_sum_i32(d_in, d_out):  # through a device function, compiled for sm_80
    d_out[0] = warp_total(d_in[0])


def k_warp_reduce_f32_16(d_in, d_out):
    d_out[0] = coop.warp.reduce(d_in[0], "max", threads_in_warp=16)


def k_load_store_u8_256(d_in, d_out):
    items = coop.local.array(4, types.uint8)
    coop.block.load(d_in, items, algorithm="transpose")
    coop.block.store(d_out, items, algorithm="transpose")


def _arr(t):
    return t[::1]


I32, F32, F64, I64, U8 = (_arr(t) for t in (types.int32, types.float32, types.float64, types.int64, types.uint8))

# name: (argtypes, block, a CUB specialization only this kernel's shims hold)
CASES = {
    "k_scan_i32_64": ((I32, I32), 64, "BlockScan<::cuda::std::int32_t, 64,"),
    "k_scan_i32_128": ((I32, I32), 128, "BlockScan<::cuda::std::int32_t, 128,"),
    "k_reduce_f32_96": ((F32, F32), 96, "BlockReduce<float, 96,"),
    "k_sum_f64_2d": ((F64, F64), (16, 4), "BlockReduce<double, 16,"),
    "k_exchange_i64_32": ((I64, I64), 32, "BlockExchange<::cuda::std::int64_t, 32, 4"),
    "k_warp_sum_i32": ((I32, I32), 32, "WarpReduce<::cuda::std::int32_t, 32"),
    "k_warp_reduce_f32_16": ((F32, F32), 32, "WarpReduce<float, 16"),
    "k_load_store_u8_256": ((U8, U8), 256, "BlockLoad<::cuda::std::uint8_t, 256, 4"),
}

CC = {"k_warp_sum_i32": (8, 0)}  # the others: sm_90


def _check(name, b):
    assert b.cubin[:4] == ELF and b.arch == "sm_%d%d" % CC.get(name, (9, 0))
    assert all(s.shimset.compiled.key == svc.compile_shims(*s.shimset.compile_inputs(), arch=b.arch).key
               for s in b.shims)
    assert name.encode() in b.cubin, f"{name}: its kernel is not in the cubin"
    src = b.shim_source
    assert CASES[name][2] in src, f"{name}: its CUB specialization is not in its shims"
    for other, (_, _, spec) in CASES.items():
        if other != name and spec != CASES[name][2]:
            assert spec not in src, f"{name}: holds {other}'s specialization {spec}"


def _build(name):
    argtypes, block, _ = CASES[name]
    with coop.launch_shape(block=block):
        return build_kernel(globals()[name], argtypes, cc=CC.get(name, (9, 0)))


@pytest.fixture
def cold_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CUB_COOP_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CUB_COOP_NO_CACHE", raising=False)
    return tmp_path


def test_eight_threads_compile_distinct_kernels(cold_cache):
    """Block shapes stated per thread (a context variable), typing, lowering and the shim
    sets do not leak between threads; NVRTC runs in parallel from a cold cache."""
    results, errors = {}, {}
    barrier = threading.Barrier(len(CASES))

    def work(name):
        try:
            barrier.wait()
            b = _build(name)
            b.cubin  # link in the thread too
            results[name] = b
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors[name] = exc

    threads = [threading.Thread(target=work, args=(n,)) for n in CASES]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    assert set(results) == set(CASES)
    for name, b in results.items():
        _check(name, b)
    # the same kernels built one at a time (shims now from the cache) give the same shims
    for name in ("k_scan_i32_64", "k_sum_f64_2d"):
        assert _build(name).shim_source == results[name].shim_source
    assert coop._launch._STATED.get() is None  # nothing stated leaks into this thread


# ---------------------------------------------------------------------------- processes

_CHILD = textwrap.dedent('''
    import sys
    sys.path.insert(0, {here!r})
    import test_concurrency as t
    from cub_bindings._runtime import nvrtc_service as svc
    for name in sys.argv[1:]:
        t._check(name, t._build(name))
    print("nvrtc", svc.nvrtc_compile_count(), flush=True)
''')


def _python(code, *args, env=None, **kw):
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, **kw)


def _env(cache_dir):
    env = {**os.environ, "CUB_COOP_CACHE_DIR": str(cache_dir), "CUB_COOP_NVRTC_LOG": "1"}
    env.pop("CUB_COOP_NO_CACHE", None)
    return env


def _entries(cache_dir):
    return list((Path(cache_dir) / "shims").rglob("*.bin"))


def _all_entries_valid(cache_dir):
    cache = DiskCache(Path(cache_dir) / "shims")
    return all(cache.get(p.stem) is not None for p in _entries(cache_dir)) and cache.corrupt == 0


def test_four_processes_share_one_cold_cache(tmp_path):
    """Overlapping kernels compiled at once by 4 processes; then a 5th finds all of them
    in the cache and runs NVRTC 0 times."""
    names = ["k_reduce_f32_96", "k_warp_sum_i32"]
    code = _CHILD.format(here=str(HERE))
    env = _env(tmp_path)
    procs = [_python(code, names[i % 2], env=env) for i in range(4)]  # two processes per kernel
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
        assert out.split()[-2:] == ["nvrtc", str(err.count("NVRTC compile"))]
    assert len(_entries(tmp_path)) == 2 and _all_entries_valid(tmp_path)
    assert not list((tmp_path / "shims").rglob(".tmp-*"))
    p = _python(code, *names, env=env)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-3000:]
    assert out.split()[-2:] == ["nvrtc", "0"] and "NVRTC compile" not in err


# ---------------------------------------------------------------------------- SIGKILL

_KILLED = textwrap.dedent('''
    import os, signal, sys, time
    sys.path.insert(0, {here!r})
    import test_concurrency as t
    from cub_bindings._runtime import nvrtc_service as svc
    from cub_bindings._runtime import cache
    when = sys.argv[1]
    if when == "compile":  # say so, then stay in NVRTC until killed
        nvrtc = svc._nvrtc
        def slow(*a, **k):
            print("in-nvrtc", flush=True)
            out = nvrtc(*a, **k)
            time.sleep(60)
            return out
        svc._nvrtc = slow
    else:  # killed half-way through writing the cache entry
        real_fdopen = os.fdopen
        class Half:
            def __init__(self, f): self.f = f
            def __enter__(self): return self
            def __exit__(self, *e): self.f.close()
            def write(self, data):
                self.f.write(data[: len(data) // 2]); self.f.flush()
                os.kill(os.getpid(), signal.SIGKILL)
        cache.os.fdopen = lambda fd, mode: Half(real_fdopen(fd, mode))
    t._build("k_scan_i32_64")
''')


@pytest.mark.parametrize("when", ["compile", "write"])
def test_sigkill_leaves_no_corrupt_entry(tmp_path, when):
    env = _env(tmp_path)
    p = _python(_KILLED.format(here=str(HERE)), when, env=env)
    if when == "compile":
        assert p.stdout.readline().strip() == "in-nvrtc"
        p.send_signal(signal.SIGKILL)
    p.communicate(timeout=300)
    assert p.returncode == -signal.SIGKILL
    assert not _entries(tmp_path)  # nothing half-done is visible as an entry
    leftover = list((tmp_path / "shims").rglob(".tmp-*"))
    assert bool(leftover) == (when == "write")  # the temporary file of the killed write
    for tmp in leftover:  # as if killed long ago: the next write to its folder removes it
        os.utime(tmp, (tmp.stat().st_atime - 2 * STALE_SECONDS,) * 2)
    p = _python(_CHILD.format(here=str(HERE)), "k_scan_i32_64", env=env)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-3000:]
    assert out.split()[-2:] == ["nvrtc", "1"]
    assert len(_entries(tmp_path)) == 1 and _all_entries_valid(tmp_path)
    assert not list((tmp_path / "shims").rglob(".tmp-*"))


# ---------------------------------------------------------------------------- NVRTC time guard


def test_nvrtc_timeout_is_one_coop_error_at_the_call(cold_cache, monkeypatch):
    """NVRTC's flow callback cancels a compile over CUB_COOP_NVRTC_TIMEOUT (it is first asked
    after the front end, ~2 s here); the user gets one CoopError at the call, nothing cached."""
    monkeypatch.setenv("CUB_COOP_NVRTC_TIMEOUT", "0.01")
    with pytest.raises(coop.CoopError) as err:
        _build("k_reduce_f32_96")
    msg = str(err.value)
    assert isinstance(err.value, svc.ShimCompileError)
    assert msg.startswith("coop.block.load / coop.block.reduce: NVRTC stopped after") and "CUB_COOP_NVRTC_TIMEOUT=0.01 s" in msg
    assert 'coop.block.reduce(items, "min")' in msg and "please report" not in msg
    assert not _entries(cold_cache)
    monkeypatch.setenv("CUB_COOP_NVRTC_TIMEOUT", "soon")
    with pytest.raises(svc.ShimCompileError, match="not a number of seconds"):
        svc.nvrtc_timeout()
