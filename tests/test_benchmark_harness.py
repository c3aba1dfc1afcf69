"""The benchmarks' C++ references build to cubins with the kernel names the benchmarks load
(``extern "C"``), through the harness that builds them on the device machine; and the
harness's timing brackets batches of launches after untimed ones (so a side's host dispatch
stays out of its window)."""

import sys
from pathlib import Path

import pytest

from backend import SIMULATOR

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import harness  # noqa: E402

ELF = b"\x7fELF"
REFERENCES = [
    ("pipeline_cub.cu", {"BLOCK": 256, "ITEMS": 8}, "pipeline"),
    ("coop_pipeline_cub.cu", {"BLOCK": 256, "ITEMS": 8}, "scan_tiles"),
    ("selective_scan_cub.cu", {"BLOCK": 128, "ITEMS": 8, "DSTATE": 4}, "selective_scan"),
    ("selective_scan_cub.cu", {"BLOCK": 128, "ITEMS": 8, "DSTATE": 4}, "selective_scan_warp_pairs"),
]


@pytest.mark.skipif(SIMULATOR, reason="builds with nvcc")
@pytest.mark.skipif(harness.nvcc() is None, reason="no nvcc")
@pytest.mark.parametrize("source, defines, kernel", REFERENCES, ids=[r[2] for r in REFERENCES])
def test_reference_builds_to_a_cubin_with_its_kernel(tmp_path, source, defines, kernel):
    cubin, usage = harness.build_reference(tmp_path, source, defines)
    data = cubin.read_bytes()
    assert data[:4] == ELF and "registers" in usage
    assert kernel.encode() + b"\0" in data  # the unmangled name, as load_kernels asks for it
    assert "registers" in harness.build_reference_kernels(tmp_path, source, defines)[1][kernel]


def test_time_launches_queues_the_lead_before_the_first_event(monkeypatch):
    calls = []

    class Event:
        def record(self):
            calls.append("record")

        def synchronize(self):
            pass

    monkeypatch.setattr(harness.cuda, "event", Event)
    monkeypatch.setattr(harness.cuda, "synchronize", lambda: None)
    monkeypatch.setattr(harness.cuda, "event_elapsed_time", lambda a, b: 20.0, raising=False)  # the simulator has none
    ms = harness.time_launches(lambda: calls.append("launch"), reps=2, batch=4, lead=2)
    assert ms == [5.0, 5.0]
    one_rep = ["launch"] * 2 + ["record"] + ["launch"] * 4 + ["record"]
    assert calls == ["launch"] + one_rep * 2
