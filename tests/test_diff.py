"""diff: synthetic snapshots for each kind of change, and the real 3.0.1 -> 3.5.0 release."""

from dataclasses import replace

from bindgen.diff import diff_snapshots
from bindgen.ir import EnumValue, Param


def kinds(changes):
    return {(c.subject, c.kind, c.change) for c in changes}


def test_identical_snapshots_have_no_changes(snap35):
    assert diff_snapshots(snap35, snap35) == []


def test_added_and_removed_primitive(snap35):
    smaller = replace(snap35, primitives={k: v for k, v in snap35.primitives.items() if k != "BlockShuffle"})
    assert kinds(diff_snapshots(smaller, snap35)) == {("BlockShuffle", "primitive", "added")}
    assert kinds(diff_snapshots(snap35, smaller)) == {("BlockShuffle", "primitive", "removed")}


def test_template_parameter_default_changed_and_renamed(snap35):
    scan = snap35.primitives["BlockScan"]
    tps = list(scan.template_params)
    tps[2] = replace(tps[2], default="BLOCK_SCAN_WARP_SCANS")
    changed = replace(snap35, primitives={**snap35.primitives, "BlockScan": replace(scan, template_params=tuple(tps))})
    ch = diff_snapshots(snap35, changed)
    assert [(c.kind, c.change) for c in ch] == [("template_param", "changed")]
    assert "BLOCK_SCAN_RAKING -> " in ch[0].detail and "BLOCK_SCAN_WARP_SCANS" in ch[0].detail

    # renaming BlockDimX everywhere (template parameter and uses) is one "renamed" change
    tps = [replace(tp, name="BLOCK_DIM_X") if tp.name == "BlockDimX" else tp for tp in scan.template_params]
    renamed = replace(snap35, primitives={**snap35.primitives, "BlockScan": replace(scan, template_params=tuple(tps))})
    ch = diff_snapshots(renamed, snap35)
    assert [(c.kind, c.change, c.detail) for c in ch] == [("template_param", "renamed", "BLOCK_DIM_X -> BlockDimX")]


def test_overload_and_parameter_changes(snap35):
    red = snap35.primitives["BlockReduce"]
    methods = list(red.methods)
    i = next(i for i, m in enumerate(methods) if m.name == "Sum" and len(m.params) == 2)
    target = methods[i]
    # a parameter changes type
    methods[i] = replace(target, params=(target.params[0], replace(target.params[1], type="unsigned int")))
    # an overload disappears
    j = next(j for j, m in enumerate(methods) if m.name == "Reduce")
    gone = methods.pop(j)
    new = replace(snap35, primitives={**snap35.primitives, "BlockReduce": replace(red, methods=tuple(methods))})
    ch = diff_snapshots(snap35, new)
    assert ("BlockReduce", "parameter", "changed") in kinds(ch)
    assert any(c.kind == "overload" and c.change == "removed" and c.detail == gone.signature for c in ch)
    # a parameter is added
    methods = list(red.methods)
    methods[i] = replace(target, params=target.params + (Param("extra", "int", "value"),))
    new = replace(snap35, primitives={**snap35.primitives, "BlockReduce": replace(red, methods=tuple(methods))})
    assert any(c.kind == "parameter" and c.change == "added" and "int extra" in c.detail for c in diff_snapshots(snap35, new))


def test_enum_value_changes(snap35):
    e = snap35.enums["BlockScanAlgorithm"]
    more = replace(e, values=e.values + (EnumValue("BLOCK_SCAN_NEW", 3),))
    new = replace(snap35, enums={**snap35.enums, "BlockScanAlgorithm": more})
    assert [(c.kind, c.change, c.detail) for c in diff_snapshots(snap35, new)] == [
        ("enum_value", "added", "BLOCK_SCAN_NEW=3")
    ]
    assert [(c.kind, c.change) for c in diff_snapshots(new, snap35)] == [("enum_value", "removed")]


def test_real_release_diff_3_0_1_to_3_5_0(snap30, snap35):
    """Snapshots made by `scan` from the nvidia-cuda-cccl 13.0.85 and 13.3.5.0.6 wheels."""
    assert (snap30.cub_version, snap30.source) == ("3.0.1", "nvidia-cuda-cccl 13.0.85")
    assert (snap35.cub_version, snap35.source) == ("3.5.0", "nvidia-cuda-cccl 13.3.5.0.6")
    ch = diff_snapshots(snap30, snap35)
    details = {(c.subject, c.kind, c.change, c.detail) for c in ch}
    # cub/warp/warp_reduce_batched.cuh is new in CUB 3.5
    assert ("WarpReduceBatched", "primitive", "added") in kinds(ch)
    assert "WarpReduceBatched" not in snap30.primitives
    # BlockReduceAlgorithm gained a nondeterministic variant
    assert ("BlockReduceAlgorithm", "enum_value", "added", "BLOCK_REDUCE_WARP_REDUCTIONS_NONDETERMINISTIC=3") in details
    # WarpScan gained the partial-warp scans, WarpReduce gained Max/Min
    added = {c.detail.split("<")[0].split("(")[0] for c in ch if c.subject == "WarpScan" and c.change == "added"}
    assert {"ExclusiveScanPartial", "InclusiveScanPartial", "ScanPartial"} <= added
    assert any(c.subject == "WarpReduce" and c.change == "added" and c.detail.startswith("Max(") for c in ch)
    # template parameters were renamed from SCREAMING_CASE
    assert ("BlockScan", "template_param", "renamed", "BLOCK_DIM_X -> BlockDimX") in details
    assert ("BlockMergeSort", "template_param", "added", "bool _Unroll = true") in details
    # renames alone do not show up as changed parameters
    assert not [c for c in ch if c.kind == "parameter"]
