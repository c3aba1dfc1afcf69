"""The launch path of coop kernels (issue 13, items 2, 3 and 5), on a machine without a GPU.

``fake_gpu`` runs numba-cuda's real launch path (``kernel[grid, block](...)``: the
launch-config selection, the C-level lookup, ``_compile_for_args``, the disk cache) and
stands in only for what needs a GPU: the device's compute capability, loading the cubin
(``bind``: nothing, or linking the cubin with nvJitLink) and the launch itself, which runs
the kernel's argument extensions as numba-cuda does and records what was launched.

* A new grid size never compiles a coop kernel again; a new block shape, literal value or
  argument shape compiles a new one; the right kernel is always launched.
* A relaunch never reaches the Python compile path (``_compile_for_args``), including
  kernels whose items per thread is a kernel argument (the host-cost fix; its timing is
  ``benchmarks/bench_host.py`` on the GPU).
* ``cache=True``: a second process loads the coop kernel (CUB code included) without
  typing, compiling or NVRTC; entries from another cub-coop are recompiled. Subprocesses,
  ``NUMBA_CACHE_DIR`` in tmp.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from numba import cuda, types

import coop
from coop import _launch
from coop._shapes import ShapedArray
from cub_bindings.inspect import _device_functions_without_gpu

I32 = types.int32[::1]
INT32 = "::cuda::std::int32_t"


# =========================================================================== the launch path without a GPU


@dataclass
class Launch:
    kernel: object
    grid: tuple
    block: tuple
    types: tuple  # the argument types after the kernel's extensions: what is marshalled
    launched: object = None  # the object whose launch ran (a per-value table's twin of ``kernel``)


@dataclass
class Record:
    launches: list = field(default_factory=list)
    typed: list = field(default_factory=list)  # (function name, argument types) per typing pass
    compile_calls: int = 0  # CUDADispatcher.compile: what _compile_for_args calls
    compile_for_args: int = 0

    @property
    def last(self) -> Launch:
        return self.launches[-1]


@contextlib.contextmanager
def fake_gpu(link: bool = False):
    """numba-cuda's launch path for sm_90 without a GPU; yields a ``Record``. ``link``: link
    each new kernel's cubin (what ``bind`` does before a kernel is cached)."""
    from numba.cuda import codegen
    from numba.cuda import dispatcher as nd
    from numba.cuda.core import config

    rec = Record()
    compile_cuda, compile_, cfa = nd.compile_cuda, nd.CUDADispatcher.compile, nd.CUDADispatcher._compile_for_args

    def counting_compile_cuda(pyfunc, return_type, args, **kws):
        rec.typed.append((pyfunc.__name__, tuple(args)))
        return compile_cuda(pyfunc, return_type, args, **kws)

    def counting_compile(self, sig):
        rec.compile_calls += 1
        return compile_(self, sig)

    def counting_cfa(self, *args, **kws):
        rec.compile_for_args += 1
        return cfa(self, *args, **kws)

    def launch(self, args, griddim, blockdim, stream=0, sharedmem=0):
        tys = []
        for ty, val in zip(self.argument_types, args):
            for ext in reversed(self.extensions):  # as _Kernel._prepare_args
                ty, val = ext.prepare_args(ty, val, stream=stream, retr=[])
            tys.append(ty)
        # a per-value table launches a twin of the kernel typed with the plain types: the
        # same compiled kernel (coop._launch._launcher)
        rec.launches.append(Launch(self.__dict__.get("_coop_twin_of", self), griddim, blockdim, tuple(tys), self))

    patches = [
        (nd, "compile_cuda", counting_compile_cuda),
        (nd.CUDADispatcher, "compile", counting_compile),
        (nd.CUDADispatcher, "_compile_for_args", counting_cfa),
        (nd._Kernel, "launch", launch),
        (nd._Kernel, "bind", (lambda self: self._codelibrary.get_cubin()) if link else (lambda self: None)),
        (codegen.CUDACodeLibrary, "_ensure_cc", lambda self, cc: cc or (9, 0, "a")),
        (codegen.JITCUDACodegen, "magic_tuple", lambda self: ("no GPU", (9, 0))),
        (config, "CUDA_LOW_OCCUPANCY_WARNINGS", 0),
    ]
    saved = [(obj, name, obj.__dict__[name] if name in obj.__dict__ else getattr(obj, name)) for obj, name, _ in patches]
    try:
        for obj, name, value in patches:
            setattr(obj, name, value)
        with _device_functions_without_gpu((9, 0)):
            yield rec
    finally:
        for obj, name, value in saved:
            setattr(obj, name, value)


@pytest.fixture
def gpu():
    with fake_gpu() as rec:
        yield rec


# =========================================================================== kernels


def k_ipt_arg(d_in, d_out, items_per_thread):
    items = coop.local.array(items_per_thread, d_in.dtype)
    coop.block.load(d_in, items)
    coop.block.exclusive_sum(items, items)
    coop.block.store(d_out, items)


def k_literal_ipt(d_in, d_out, n):
    items = coop.local.array(4, d_in.dtype)
    coop.block.load(d_in, items)
    coop.block.exclusive_sum(items, items)
    coop.block.store(d_out, items)


def k_shaped(d_in, d_out):
    items = coop.local.array(d_out.shape, d_out.dtype)
    coop.block.load(d_in, items)
    coop.block.store(d_out, items)


def k_tiles(d_in, d_out, items_per_thread):
    """A tile per block from ``coop.block_dim()`` and ``offset=`` (the grid-stride example's form)."""
    tile = coop.block_dim().x * items_per_thread
    items = coop.local.array(items_per_thread, d_in.dtype)
    coop.block.load(d_in, items, offset=cuda.blockIdx.x * tile)
    coop.block.exclusive_sum(items, items)
    coop.block.store(d_out, items, offset=cuda.blockIdx.x * tile)


def k_plain(d_in, d_out, n):
    i = cuda.grid(1)
    if i < n:
        d_out[i] = d_in[i]


@cuda.jit(device=True)
def dev_scan(d_in, d_out):
    items = coop.local.array(2, d_in.dtype)
    coop.block.load(d_in, items)
    coop.block.inclusive_sum(items, items)
    coop.block.store(d_out, items)


def k_device_function(d_in, d_out):
    dev_scan(d_in, d_out)


# cache=True kernels, launched only in subprocesses (tests/ must be their cache's source)
c_ipt_arg = cuda.jit(cache=True)(k_ipt_arg)
c_shaped = cuda.jit(cache=True)(k_shaped)
c_plain = cuda.jit(cache=True)(k_plain)
c_tiles = cuda.jit(cache=True)(k_tiles)

A = np.zeros(4096, np.int32)
B = np.zeros(4096, np.int32)


def block_load(source) -> set[tuple]:
    """(x threads, items per thread, y, z) of every BlockLoad the shims use."""
    return {(int(x), int(ipt), int(y), int(z)) for x, ipt, y, z in
            re.findall(rf"::cub::BlockLoad<{re.escape(INT32)}, (\d+), (\d+), [^,]+, (\d+), (\d+)>", source)}


def source_of(kernel) -> str:
    from cub_bindings._runtime.shims import shimsets_of

    return "\n".join(s.source() for s in shimsets_of(kernel._codelibrary))


# =========================================================================== item 3: grid sizes


@pytest.mark.parametrize("pyfunc, args", [
    (k_ipt_arg, (A, B, 4)), (k_literal_ipt, (A, B, 4)), (k_shaped, (A, np.zeros(8, np.int32))),
    (k_device_function, (A, B)), (k_plain, (A, B, 4)),
], ids=["ipt-argument", "literal-ipt", "shaped", "device-function", "plain"])
def test_ten_new_grid_sizes_compile_nothing(gpu, pyfunc, args):
    k = cuda.jit(pyfunc)
    k[4, 128](*args)
    first = gpu.last.kernel
    typed, calls = len(gpu.typed), gpu.compile_for_args
    for grid in range(5, 15):
        k[grid, 128](*args)
        assert gpu.last.kernel is first and gpu.last.grid == (grid, 1, 1)
    assert len(gpu.typed) == typed and gpu.compile_for_args == calls  # no typing, no Python compile path
    assert k._launch_config_specializations == {}
    assert not any(isinstance(t, (types.Literal, coop.shaped(I32, 1).__class__)) for t in gpu.last.types)


def test_a_new_block_shape_compiles_its_own_kernel_and_each_is_found_again(gpu):
    k = cuda.jit(k_ipt_arg)
    kernels = {}
    for block in [128, 64, (16, 8), 128, (16, 8), 64]:
        for grid in (3, 9):
            k[grid, block](A, B, 2)
            kern = kernels.setdefault(_launch.normalize_dims(block), gpu.last.kernel)
            assert gpu.last.kernel is kern
    # one failed typing pass (the literal request), then one kernel per block shape
    assert [t for _, t in gpu.typed] == [(I32, I32, types.int64)] + [(I32, I32, types.literal(2))] * 3
    for (x, y, z), kern in kernels.items():
        assert block_load(source_of(kern)) == {(x, 2, y, z)}
    assert len({id(v) for v in kernels.values()}) == 3
    # numba-cuda's launch-config specializations are keyed by block shape only
    assert set(k._launch_config_specializations) == {("block", (64, 1, 1)), ("block", (16, 8, 1))}


def test_a_new_value_or_shape_compiles_and_a_relaunch_goes_straight_to_its_kernel(gpu):
    k = cuda.jit(k_ipt_arg)
    seen = {}
    for grid, ipt in [(4, 4), (5, 2), (6, 4), (7, 2), (8, np.int32(4)), (9, 8), (10, 4)]:
        k[grid, 128](A, B, ipt)
        kern = seen.setdefault(int(ipt), gpu.last.kernel)
        assert gpu.last.kernel is kern and kern.argtypes[2] == types.literal(int(ipt))
        assert gpu.last.types == (I32, I32, types.int64)  # marshalled as a plain int
        assert block_load(source_of(kern)) == {(128, int(ipt), 1, 1)}
    assert [t[2] for _, t in gpu.typed] == [types.int64, types.literal(4), types.literal(2), types.literal(8)]
    calls = gpu.compile_for_args
    for grid in range(1, 11):
        for ipt in (2, 4, 8):
            k[grid, 128](A, B, ipt)
            assert gpu.last.kernel is seen[ipt]
    assert gpu.compile_for_args == calls  # every relaunch found its kernel in numba-cuda's C lookup

    s = cuda.jit(k_shaped)
    outs = {n: np.zeros(n, np.int32) for n in (8, 16)}
    for grid, n in [(1, 8), (2, 16), (3, 8), (4, 16)]:
        s[grid, 64](A, outs[n])
        assert gpu.last.kernel.argtypes[1] == coop.shaped(I32, n) and gpu.last.types[1] == I32
        assert block_load(source_of(gpu.last.kernel)) == {(64, n, 1, 1)}
    calls = gpu.compile_for_args
    s[5, 64](A, outs[8])
    assert gpu.compile_for_args == calls
    with pytest.raises(coop.CoopError, match=r"shape \(4,\) passed where the kernel was compiled for shape \(8,\)"):
        gpu.last.kernel.launch((A, np.zeros(4, np.int32)), (1, 1, 1), (64, 1, 1))


def test_values_that_compare_equal_are_told_apart_by_type(gpu):
    k = cuda.jit(k_ipt_arg)
    k[1, 128](A, B, 4)
    lit4 = gpu.last.kernel
    k[2, 128](A, B, np.int64(4))
    assert gpu.last.kernel is lit4
    k[3, 128](A, B, np.int32(4))  # another plain type, the same literal: the same kernel
    assert gpu.last.kernel is lit4 and gpu.last.types[2] == types.int64
    with pytest.raises(Exception, match="float64"):  # 4.0 is no length: typed as itself, refused
        k[4, 128](A, B, 4.0)


def test_a_kernel_something_else_makes_launch_config_sensitive_keeps_numba_cudas_key(gpu, monkeypatch):
    mark = _launch._mark_block_sensitive

    def also_grid_sensitive(cfg):  # as a user's rewrite pass calling mark_launch_config_sensitive() would
        cfg._kernel_launch_config_sensitive = True
        mark(cfg)

    monkeypatch.setattr(_launch, "_mark_block_sensitive", also_grid_sensitive)
    k = cuda.jit(k_ipt_arg)
    k[4, 128](A, B, 4)
    first = gpu.last.kernel
    typed = len(gpu.typed)
    k[5, 128](A, B, 4)
    assert gpu.last.kernel is not first and len(gpu.typed) == typed + 1  # a new grid: numba-cuda compiles
    assert "_launch_config_key" not in k.__dict__ and k._coop_grid_keyed
    k[4, 128](A, B, 4)
    assert gpu.last.kernel is first


def test_grid_sensitivity_found_after_block_keying_drops_the_block_keyed_kernels(gpu, monkeypatch):
    k = cuda.jit(k_ipt_arg)
    k[4, 128](A, B, 4)
    first = gpu.last.kernel
    assert k.__dict__["_launch_config_key"] is _launch._block_key
    mark = _launch._mark_block_sensitive

    def also_grid_sensitive(cfg):
        cfg._kernel_launch_config_sensitive = True
        mark(cfg)

    monkeypatch.setattr(_launch, "_mark_block_sensitive", also_grid_sensitive)
    k[4, 128](A, B, 2)  # a new value, compiled in a grid-sensitive way
    assert k._coop_grid_keyed and "_launch_config_key" not in k.__dict__
    typed = len(gpu.typed)
    k[4, 128](A, B, 4)  # the block-keyed kernel is never selected again
    assert gpu.last.kernel is not first and len(gpu.typed) == typed + 1


@pytest.mark.parametrize("pyfunc, args", [(k_ipt_arg, (A, B, 4)), (k_shaped, (A, np.zeros(8, np.int32)))],
                         ids=["literal", "shaped"])
def test_a_relaunch_runs_no_argument_extension(gpu, pyfunc, args):
    """A per-value table launches a twin of the kernel typed with the plain types: the same
    code library, and coop's extension no longer runs for every argument of every launch,
    the first launch's included (it launches what the table holds)."""
    k = cuda.jit(pyfunc)
    k[4, 128](*args)
    twin, kernel = gpu.last.launched, gpu.last.kernel
    assert twin is not kernel and twin._codelibrary is kernel._codelibrary
    assert _launch._LITERAL_ARGS in kernel.extensions and _launch._LITERAL_ARGS not in twin.extensions
    assert twin.argument_types == gpu.last.types and not any(isinstance(t, types.Literal) for t in twin.argument_types)
    assert any(isinstance(t, (types.Literal, ShapedArray)) for t in kernel.argument_types)
    compiles = gpu.compile_for_args
    for grid in (5, 6):  # relaunches: the table's twin, found without the Python compile path
        k[grid, 128](*args)
        assert gpu.last.launched is twin and gpu.compile_for_args == compiles


def test_plain_kernels_are_untouched(gpu):
    k = cuda.jit(k_plain)
    k[4, 128](A, B, 4)
    k[5, 64](A, B, 4)
    assert "call" not in k.__dict__ and "_launch_config_key" not in k.__dict__
    assert not k._launch_config_sensitive and len(gpu.typed) == 1
    assert _launch._LITERAL_ARGS not in gpu.last.kernel.extensions


def test_the_launch_extension_passes_plain_types_and_keeps_its_identity_when_pickled():
    import pickle

    ext = _launch._LITERAL_ARGS
    assert pickle.loads(pickle.dumps(ext)) is ext
    assert ext.prepare_args(types.literal(7), 7) == (types.int64, 7)
    a = np.zeros(16, np.int32)
    assert ext.prepare_args(coop.shaped(I32, 16), a) == (I32, a)
    assert ext.prepare_args(I32, a) == (I32, a)


@pytest.mark.parametrize("value", [0, 1, -1, 8, 104729, -104729, (1 << 31) - 1, -(1 << 31) + 1, 1 << 31, -(1 << 31),
                                   1 << 40, (1 << 63) - 1, (1 << 64) - 1])
@pytest.mark.parametrize("first", ["coop", "numba"])
def test_int_literal_is_numbas_literal_type(value, first):
    """The literal types a launch makes without a typing context are Numba's own (the same
    interned object, whichever is made first), with the same ``literal_type``."""
    import pickle

    if first == "coop":
        ours = _launch.int_literal(value)
        numbas = types.literal(value)
    else:
        numbas = types.literal(value)
        ours = _launch.int_literal(value)
    assert ours is numbas and ours.literal_type == numbas.literal_type and type(ours) is types.IntegerLiteral
    assert pickle.loads(pickle.dumps(ours)) is ours


def test_int_literal_of_a_new_value_needs_no_typing_context(monkeypatch):
    from numba.core import typing

    def refuse(*a, **k):
        raise AssertionError("a typing context was built")

    monkeypatch.setattr(typing, "Context", refuse)
    lit = _launch.int_literal(1_000_003)  # a value no other test makes a literal of
    assert lit.literal_value == 1_000_003 and lit.literal_type == types.int64


# =========================================================================== item 5: cache=True

TESTS = Path(__file__).resolve().parent

_SCRIPT = r"""
import hashlib, json, sys
sys.path.insert(0, {tests!r})
import numpy as np
import test_coop_launch as t
from cub_bindings._runtime import kernel_cache, nvrtc_service
if {pin!r}:
    kernel_cache.fingerprint = lambda: {pin!r}
out = {{"launches": []}}
with t.fake_gpu(link=True) as rec:
    for name, grid, block, arg in {steps!r}:
        k = getattr(t, name)
        last = arg if name != "c_shaped" else np.zeros(arg, np.int32)
        k[grid, block](t.A, t.B if name != "c_shaped" else last, *([arg] if name != "c_shaped" else []))
        lib = rec.last.kernel._codelibrary
        cubin = lib._cubin_cache.get((9, 0, "a"))
        out["launches"].append({{
            "kernel": name, "library": type(lib).__name__, "argtypes": [str(a) for a in rec.last.kernel.argument_types],
            "cubin": hashlib.sha256(bytes(cubin.code)).hexdigest() if cubin is not None else None,
            "cubin_bytes": len(bytes(cubin.code)) if cubin is not None else None,
            "shims": hashlib.sha256(t.source_of(rec.last.kernel).encode()).hexdigest()}})
    out["typed"] = [name for name, _ in rec.typed]
    out["nvrtc"] = nvrtc_service.nvrtc_compile_count()
    disps = [getattr(t, n) for n in ("c_ipt_arg", "c_shaped", "c_plain", "c_tiles")]
    disps += [s for d in disps for s in d._launch_config_specializations.values()]
    out["hits"] = sum(sum(d._cache_hits.values()) for d in disps)
    out["misses"] = sum(sum(d._cache_misses.values()) for d in disps)
    if {relink!r}:  # link the loaded kernel again: the shims' LTOIR from cub_bindings' shim cache
        lib = rec.launches[0].kernel._codelibrary
        lib._cubin_cache.clear()
        out["relinked"] = bytes(lib.get_cubin((9, 0, "a")).code)[:4].hex()
        out["nvrtc_after_relink"] = nvrtc_service.nvrtc_compile_count()
print("RESULT" + json.dumps(out))
"""


def run_process(cache_dir, steps, pin=None, relink=False) -> dict:
    script = _SCRIPT.format(tests=str(TESTS), pin=pin, steps=steps, relink=relink)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])


STEPS = [("c_ipt_arg", 4, 128, 4), ("c_shaped", 2, 64, 8), ("c_plain", 3, 128, 4)]


def test_a_second_process_loads_the_cached_coop_kernel_without_compiling(tmp_path):
    first = run_process(tmp_path, STEPS, pin="A")
    assert first["typed"] == ["k_ipt_arg", "k_ipt_arg", "k_shaped", "k_shaped", "k_plain"]
    assert first["misses"] >= 3 and first["hits"] == 0
    assert [launch["library"] for launch in first["launches"]] == ["CUDACodeLibrary"] * 3
    # linked without the headers' unused variables (140 KB of cubin with them)
    assert all(launch["cubin_bytes"] < 32_000 for launch in first["launches"]), first["launches"]
    (entry,) = [p for p in tmp_path.rglob("*k_ipt_arg*.coop")]
    from coop._launch import parse_sidecar

    side = parse_sidecar(entry.read_text())
    assert side["literal"] == [2] and side["shape"] == [] and side["block"] is True

    # a new grid for each: found in the cache (keyed on the block shape), nothing typed, no NVRTC
    steps = [(name, grid + 7, block, arg) for name, grid, block, arg in STEPS]
    second = run_process(tmp_path, steps, pin="A", relink=True)
    assert second["typed"] == [] and second["nvrtc"] == 0 and second["misses"] == 0 and second["hits"] == 3
    assert [launch["library"] for launch in second["launches"]] == ["ShimCodeLibrary", "ShimCodeLibrary",
                                                                    "CUDACodeLibrary"]
    for a, b in zip(first["launches"], second["launches"]):
        assert a["argtypes"] == b["argtypes"] and a["cubin"] == b["cubin"] and a["shims"] == b["shims"]
    assert second["relinked"] == "7f454c46" and second["nvrtc_after_relink"] == 0  # an ELF, no NVRTC

    # a new block shape and a new value are new kernels: compiled, and cached for the next process
    third = run_process(tmp_path, [("c_ipt_arg", 1, 64, 4), ("c_ipt_arg", 1, 128, 2)], pin="A")
    assert third["typed"] == ["k_ipt_arg", "k_ipt_arg"]
    fourth = run_process(tmp_path, [("c_ipt_arg", 5, 64, 4), ("c_ipt_arg", 6, 128, 2)], pin="A")
    assert fourth["typed"] == [] and fourth["hits"] == 2


def test_block_dim_and_offset_kernels_are_cached_per_block_shape(tmp_path):
    """A kernel reading ``coop.block_dim()`` is compiled per block shape; a new process finds
    each shape's kernel on disk for any grid, and a relaunch there compiles nothing."""
    first = run_process(tmp_path, [("c_tiles", 4, 128, 4), ("c_tiles", 2, 64, 4)], pin="A")
    assert first["typed"] == ["k_tiles", "k_tiles", "k_tiles"]  # the literal request, then two shapes
    second = run_process(tmp_path, [("c_tiles", 9, 64, 4), ("c_tiles", 7, 128, 4), ("c_tiles", 3, 64, 4)], pin="A")
    assert second["typed"] == [] and second["nvrtc"] == 0 and second["hits"] == 2 and second["misses"] == 0
    assert {tuple(launch["argtypes"]) for launch in second["launches"]} == {
        tuple(launch["argtypes"]) for launch in first["launches"]}


def test_an_entry_made_by_another_cub_coop_is_compiled_again(tmp_path):
    steps = [("c_ipt_arg", 4, 128, 4)]
    assert run_process(tmp_path, steps, pin="A")["typed"] == ["k_ipt_arg", "k_ipt_arg"]
    other = run_process(tmp_path, steps, pin="B")  # the positions still come from the side file
    assert other["typed"] == ["k_ipt_arg"] and other["hits"] == 0
    again = run_process(tmp_path, steps, pin="B")  # the entry was replaced
    assert again["typed"] == [] and again["hits"] == 1


_EDITED = """
import sys
sys.path.insert(0, {tests!r})
import numpy as np
from numba import cuda
import coop
import test_coop_launch as t


@cuda.jit(cache=True)
def kern(d_in, d_out, n):
    items = coop.local.array(n, d_in.dtype)
    coop.block.load(d_in, items)
    coop.block.store(d_out, items){extra}


with t.fake_gpu(link=True) as rec:
    kern[2, 128](t.A, t.B, 4)
print("RESULT", [str(a[2]) for _, a in rec.typed])
"""


def test_a_side_file_is_not_used_once_the_kernel_source_is_edited(tmp_path):
    """The side file's literal positions hold for the source they were found in: after an
    edit (numba-cuda's cache index is stale too), the kernel is typed from scratch."""
    src = tmp_path / "edited_kernel.py"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}

    def typed(extra=""):
        text = _EDITED.format(tests=str(TESTS), extra=extra)
        if not src.exists() or src.read_text() != text:
            src.write_text(text)
        proc = subprocess.run([sys.executable, str(src)], env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))

    assert typed() == "RESULT ['int64', 'Literal[int](4)']"  # the literal request found by typing
    assert typed() == "RESULT []"  # cached: nothing typed
    edited = typed("\n    d_out[0] = d_out[0]")
    assert edited == "RESULT ['int64', 'Literal[int](4)']"  # typed from scratch, not from the old side file


def test_fingerprint_follows_the_sources(tmp_path):
    from cub_bindings._runtime import kernel_cache

    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "sub" / "b.py").write_text("y = 2\n")
    before = kernel_cache._source_stamp(str(tmp_path / "pkg"))
    assert [s.split(":")[0] for s in before] == ["a.py", "sub/b.py"]
    (tmp_path / "pkg" / "sub" / "b.py").write_text("y = 22\n")
    assert kernel_cache._source_stamp(str(tmp_path / "pkg")) != before
    assert len(kernel_cache.fingerprint()) == 64


def test_the_fingerprint_is_taken_when_coop_is_imported():
    """A cached kernel's first launch does not walk cub-coop's sources: the stamp of the
    code this process imported is taken with the import."""
    code = ("import coop\nfrom cub_bindings._runtime import kernel_cache\n"
            "print(kernel_cache.fingerprint.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=TESTS.parent)
    assert out.stdout.strip() == "1"


def test_a_library_with_other_linking_files_is_still_refused(gpu):
    import pickle

    from numba.cuda import serialize

    from cub_bindings._runtime.kernel_cache import ShimCodeLibrary

    k = cuda.jit(k_literal_ipt)
    k[1, 128](A, B, 4)
    lib = gpu.last.kernel._codelibrary
    again = pickle.loads(serialize.dumps(lib))  # numba-cuda's pickler, as its cache uses
    assert type(again) is ShimCodeLibrary and not again._cub_coop_stale
    assert [s.source() for s in _shimsets(again)] == [s.source() for s in _shimsets(lib)]
    lib._linking_files.add("/nowhere/other.ptx")
    try:
        with pytest.raises(RuntimeError, match="Cannot pickle CUDACodeLibrary with linking files"):
            serialize.dumps(lib)
    finally:
        lib._linking_files.discard("/nowhere/other.ptx")


def _shimsets(lib):
    from cub_bindings._runtime.shims import shimsets_of

    return shimsets_of(lib)


def test_recompile_replaces_the_kernels_a_relaunch_finds(gpu):
    k = cuda.jit(k_ipt_arg)
    k[1, 128](A, B, 4)
    k[2, 128](A, B, 4)
    old = gpu.last.kernel
    with coop.launch_shape(block=128):  # recompile() runs outside a launch
        k.recompile()
    k[3, 128](A, B, 4)
    assert gpu.last.kernel is not old and gpu.last.kernel is k.overloads[(I32, I32, types.literal(4))]
    calls = gpu.compile_for_args
    k[4, 128](A, B, 4)
    assert gpu.compile_for_args == calls


class CaiArray:
    """A device array as numba-cuda sees one: only ``__cuda_array_interface__`` (no data)."""

    def __init__(self, n):
        self.__cuda_array_interface__ = {"shape": (n,), "strides": None, "typestr": "<i4", "data": (0, False),
                                         "version": 3}


def test_device_arrays_find_their_kernel_in_the_c_lookup_too(gpu):
    k = cuda.jit(k_ipt_arg)
    d_in, d_out = CaiArray(4096), CaiArray(4096)
    k[1, 128](d_in, d_out, 4)
    first = gpu.last.kernel
    calls = gpu.compile_for_args
    for grid in range(2, 12):
        k[grid, 128](d_in, d_out, 4)
        assert gpu.last.kernel is first
    assert gpu.compile_for_args == calls


# =========================================================================== kernel traits (issue 12)


def test_a_kernel_traits_argument_passes_nothing_and_relaunches_find_the_kernel(gpu):
    import dataclasses

    @dataclasses.dataclass
    class Traits:
        load: object
        scan: object

    traits = coop.gpu_dataclass(Traits(coop.block.load(np.int32, 128, 2), coop.block.scan(np.int32, 128, 2)),
                                compute_temp_storage=False)

    def k_traits(d_in, d_out, t):
        items = coop.local.array(2, np.int32)
        t.load(d_in, items)
        t.scan(items, items)
        coop.block.store(d_out, items)

    k = cuda.jit(k_traits)
    for grid in (1, 2, 1):
        k[grid, 128](A, B, traits)
    assert len({id(launch.kernel) for launch in gpu.launches}) == 1
    assert gpu.last.types[2] == types.Tuple(())  # the traits argument: nothing reaches the kernel
    src = source_of(gpu.last.kernel)
    assert "BlockLoad<" in src and "BlockScan<" in src


def test_sidecar_line_round_trips_and_refuses_other_text():
    from coop._launch import format_sidecar, parse_sidecar

    for data in ({"code": "ab12", "literal": [2], "shape": [], "block": True},
                 {"code": "ff", "literal": [], "shape": [0, 3], "block": False}):
        assert parse_sidecar(format_sidecar(data)) == data
    for bad in ("", "{\"code\": \"ab\"}", "ab 1 - 2", "ab 1 - 1 extra"):
        with pytest.raises(ValueError):
            parse_sidecar(bad)
