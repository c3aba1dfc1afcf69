"""CPU tier of the family benchmarks (benchmarks/bench_families.py, benchmarks/families_cub.cu)
and of the suite runner (benchmarks/run_all.py), no GPU:

* every coop kernel of the benchmark compiles and links for sm_90, and calls the same CUB
  classes (template arguments included) and methods as its C++ twin in families_cub.cu;
* nvcc builds families_cub.cu to a cubin holding every kernel by name (when nvcc is here);
* under the CUDA simulator (run by tests/test_simulator_tier.py) every coop kernel's output
  passes the benchmark's NumPy check, and a wrong output fails it;
* run_all.py's table: one row per kernel, ratio and target, failures shown.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from backend import SIMULATOR

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks")]

import bench_families as bf  # noqa: E402
import run_all  # noqa: E402

CU = (ROOT / "benchmarks" / "families_cub.cu").read_text()
ELF = b"\x7fELF"
_TYPES = {"int32_t": "int", "uint32_t": "unsigned", "uint8_t": "unsigned char"}


def _specs(source: str) -> set:
    """{(CUB class, normalized template arguments)} used in ``source`` (coop's shims or a C++ kernel)."""
    out = set()
    for cls, args in re.findall(r"cub::(\w+)<([^<>;]*)>", source):
        norm = []
        for a in (x.strip() for x in args.split(",") if x.strip()):
            a = a.rsplit("::", 1)[-1]
            norm.append(_TYPES.get(a, str(bf.SIZES.get(a, a))))
        out.add((cls, tuple(norm)))
    return out


_KERNEL = r'extern "C" __global__ void\s+(?:__launch_bounds__\(\w+\)\s+)?'


def _cpp_kernel(name: str) -> str:
    m = re.search(_KERNEL + name + r"\(", CU)
    assert m, f"families_cub.cu has no extern \"C\" kernel {name}"
    end = CU.find('extern "C"', m.end())
    return CU[m.start(): end if end > 0 else len(CU)]


def test_every_family_has_a_cpp_kernel_and_sizes():
    assert set(bf.FAMILIES) == set(re.findall(_KERNEL + r"(\w+)\(", CU))
    for fam in bf.FAMILIES.values():
        assert fam.threads % 32 == 0 and fam.description and fam.log2n >= 20


@pytest.mark.skipif(SIMULATOR, reason="compiles to a cubin")
@pytest.mark.parametrize("name", list(bf.FAMILIES))
def test_coop_kernel_links_and_matches_the_cpp_kernel(name):
    import coop
    from cub_bindings.inspect import build_kernel

    fam = bf.FAMILIES[name]
    with coop.launch_shape(block=fam.threads):
        b = build_kernel(fam.kernel, fam.argtypes, cc=(9, 0))
    assert b.cubin[:4] == ELF
    coop_src, cpp_src = b.shim_source, _cpp_kernel(name)
    coop_specs, cpp_specs = _specs(coop_src), _specs(cpp_src)
    assert coop_specs and cpp_specs
    # C++ leaves CUB's trailing defaults out; coop spells every template argument
    for cls, args in cpp_specs:
        assert any(c == cls and a[:len(args)] == args for c, a in coop_specs), (cls, args, coop_specs)
    for cls, args in coop_specs:
        assert any(c == cls and args[:len(a)] == a for c, a in cpp_specs), (cls, args, cpp_specs)
    coop_methods = set(re.findall(r"__obj\.(\w+)\(", coop_src))
    cpp_methods = set(re.findall(r"\.([A-Z]\w*)\(", cpp_src))
    assert coop_methods == cpp_methods


@pytest.mark.skipif(SIMULATOR, reason="builds with nvcc")
@pytest.mark.skipif(not (shutil.which("nvcc") or Path("/usr/local/cuda/bin/nvcc").exists()), reason="no nvcc")
def test_cpp_kernels_build_to_one_cubin(tmp_path):
    from harness import build_reference  # the benchmark's own build, CCCL include included

    cubin, usage = build_reference(tmp_path, "families_cub.cu", bf.SIZES)
    data = cubin.read_bytes()
    assert cubin.suffix == ".cubin" and data[:4] == ELF and "registers" in usage
    for name in bf.FAMILIES:  # extern "C": the plain names are in the symbol table
        assert name.encode() + b"\0" in data


def test_bench_families_refuses_an_unknown_family(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["bench_families.py", "--only", "block_reduce,nope"])
    with pytest.raises(SystemExit) as e:
        bf.main()
    assert e.value.code == 2 and "unknown family nope" in capsys.readouterr().err


# --------------------------------------------------------------------------- the kernels' results (simulator)

SIM_LOG2 = {"block_reduce": 12, "block_exchange": 11, "block_radix_sort": 11, "block_merge_sort": 11,
            "block_histogram": 13, "block_run_length_decode": 10, "warp_reduce": 13, "warp_scan": 12}


@pytest.mark.simulator
@pytest.mark.skipif(not SIMULATOR, reason="needs NUMBA_ENABLE_CUDASIM=1 (tests/test_simulator_tier.py runs it)")
@pytest.mark.parametrize("name", list(SIM_LOG2))
def test_coop_kernel_passes_the_benchmark_check(name):
    from numba import cuda

    fam = bf.FAMILIES[name]
    case = fam.setup(SIM_LOG2[name], np.random.default_rng(1), 1)
    cuda.jit(fam.kernel)[case.grid, fam.threads](*case.args)
    outs = [case.args[i].copy_to_host() for i in case.outputs]
    case.check(outs)
    outs[0][outs[0].size // 2] += 1
    with pytest.raises(AssertionError):
        case.check(outs)


# --------------------------------------------------------------------------- run_all.py's table


def _family(name, coop_ms, cpp_ms):
    return {"family": name, "description": "", "coop_ms": coop_ms, "cuda_cpp_cub_ms": cpp_ms,
            "coop_launch_bounds_ms": cpp_ms, "regs": {"coop": 30, "coop_launch_bounds": 32, "cuda_cpp_cub": 31}}


def test_run_all_table():
    report = {"meta": {"date": "today", "device": "GPU", "driver": "1", "versions": {"numba": "0"}}, "benchmarks": {
        "coop_pipeline": {"rc": 0, "result": {"coop_ms": 0.569, "cuda_cpp_cub_ms": 0.562, "coop_launch_bounds_ms": 0.6,
                                              "coop_registers": 64, "coop_launch_bounds_registers": 40,
                                              "cpp_ptxas_usage": "ptxas info : Used 63 registers, 16976 bytes smem"}},
        "families": {"rc": 1, "result": {"families": [
            _family("block_reduce", 1.0, 1.0), _family("warp_scan", 1.1, 1.0),
            {"family": "block_histogram", "description": "", "error": "AssertionError: mismatch"}]}},
        "selective_scan": {"rc": 1, "stderr_tail": ["boom"]},
        "host": {"rc": 0, "result": {
            "per_launch": {"plain": {"median_us": 26.0}, "coop_literal": {"median_us": 26.5},
                           "coop_ipt_arg": {"median_us": 30.0}},
            "new_grid_sizes": {"plain": {"kernels_compiled": 0}, "coop_ipt_arg": {"kernels_compiled": 0}},
            "second_process_cached": {"coop_median_ms": 2.6, "plain_median_ms": 1.9, "ratio": 1.37,
                                      "coop_cache_misses": 0, "coop_nvrtc_calls": 0}}},
        "compile": {"rc": 0, "result": {
            "cold": {"median_s": 1.25, "nvrtc_calls": [1], "nvrtc_call_seconds": [0.9, 0.8], "nvrtc_call_median_s": 0.85},
            "warm": {"median_s": 0.39, "nvrtc_calls": [0]}, "plain": {"median_s": 0.40, "nvrtc_calls": [0]}}},
    }}
    md = run_all.markdown(report)
    lines = md.splitlines()

    def row(prefix):
        hits = [ln for ln in lines if ln.startswith(prefix)]
        assert len(hits) == 1, (prefix, md)
        return [c.strip() for c in hits[0].strip("|").split("|")]

    assert row("| coop_pipeline | grid-stride coop example |")[2:] == ["0.5620", "0.5690", "1.012", "64 / 63", "yes"]
    assert row("| families | block_reduce |")[4:] == ["1.000", "30 / 31", "yes"]
    assert row("| families | warp_scan |")[4:] == ["1.100", "30 / 31", "no"]
    assert "FAILED: AssertionError: mismatch" in row("| families | block_histogram")[1]
    assert row("| selective_scan |")[1] == "FAILED (exit 1)"
    assert row("| host time per launch, coop_literal |")[3:] == ["1.019", "1.1", "yes"]
    assert row("| host time per launch, coop_ipt_arg |")[3:] == ["1.154", "1.1", "no"]
    assert row("| cached first launch")[-1] == "no"
    assert row("| kernels compiled by 10 new grid sizes")[-1] == "yes"
    assert row("| cold build, empty cache (NVRTC calls [1]; the call itself 0.85 s)")[1:] == [
        "1.25 s", "0.40 s", "-", "1 NVRTC call <= 1 s", "yes"]
    assert row("| warm build, new process")[3:] == ["0.975", "0 NVRTC calls", "yes"]
    assert "Failed: families (exit 1), selective_scan (exit 1)" in md


def test_run_all_selective_scan_rows():
    """One row per style against C++ as CUB documents it; the planned styles once more against
    C++ with the same __syncwarp() pairs."""
    result = {"traits_ms": 0.11, "temp_storage_ms": 0.12, "cuda_cpp_cub_ms": 0.10, "cuda_cpp_cub_warp_pairs_ms": 0.12,
              "ratio_traits_over_cub_time": 1.1, "ratio_temp_storage_over_cub_time": 1.2,
              "ratio_temp_storage_over_cuda_cpp_cub_warp_pairs_time": 1.0, "registers": {"traits": 40, "temp_storage": 41},
              "cpp_ptxas_usage": "Used 89 registers", "cpp_warp_pairs_ptxas_usage": "Used 88 registers"}
    got = [(r["kernel"], r["coop_ms"], r["cuda_cpp_cub_ms"], r["regs_cpp"]) for r in run_all.rows("selective_scan", result)]
    assert got == [("selective scan, traits", 0.11, 0.10, 89), ("selective scan, temp_storage", 0.12, 0.10, 89),
                   ("selective scan, temp_storage, vs C++ with __syncwarp() pairs", 0.12, 0.12, 88)]


def test_run_all_refuses_an_unknown_benchmark(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["run_all.py", "--only", "nope", "--tables-only"])
    with pytest.raises(SystemExit) as e:
        run_all.main()
    assert e.value.code == 2 and "unknown benchmark(s) nope" in capsys.readouterr().err
