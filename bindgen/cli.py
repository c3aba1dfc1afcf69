"""``python -m bindgen``: scan the CUB headers, diff IR snapshots, show a primitive.

Exit codes (for CI jobs that watch CUB):
  0  success; for ``diff`` and ``scan --check``: no difference
  1  ``diff`` / ``scan --check`` found differences ("CUB changed")
  2  bad input or environment: one line on stderr says what to do
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import time
from pathlib import Path

from bindgen import snapshots
from bindgen.diff import Change, diff_snapshots
from bindgen.errors import BindgenError
from bindgen.ir import Snapshot
from bindgen.progress import note

EXIT_OK, EXIT_CHANGED, EXIT_ERROR = 0, 1, 2


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def primitive_table(snapshot: Snapshot, only: list[str] | None = None) -> str:
    rows = []
    for name in only or sorted(snapshot.primitives):
        p = snapshot.primitives[name]
        rows.append(
            [
                name,
                p.scope,
                ", ".join(tp.name for tp in p.template_params),
                str(len(p.constructors)),
                str(len(p.method_names)),
                str(len(p.methods)),
                p.temp_storage.declared_as if p.temp_storage else "-",
            ]
        )
    head = ["primitive", "scope", "template parameters", "ctors", "methods", "overloads", "TempStorage"]
    return _table(head, rows)


def changes_table(changes: list[Change]) -> str:
    return _table(["subject", "kind", "change", "detail"], [[c.subject, c.kind, c.change, c.detail] for c in changes])


def _check_names(names: list[str] | None, *snaps: Snapshot) -> list[str] | None:
    """The names, if every one is a primitive of one of the snapshots; else a one-line error."""
    if not names:
        return None
    known = sorted(set().union(*(s.primitives for s in snaps)))
    for n in names:
        if n not in known:
            close = difflib.get_close_matches(n, known, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            versions = " / ".join(s.cub_version for s in snaps)
            raise BindgenError(
                f"unknown primitive {n!r} in CUB {versions}{hint} (`python -m bindgen scan` lists all {len(known)})"
            )
    return names


def _scan(include_dir, args, what: str) -> Snapshot:
    """scan_headers, with a progress note before and after on stderr."""
    from bindgen.scan import scan_headers

    note(f"scanning the CUB headers of {what} ...")
    t0 = time.perf_counter()
    snap = scan_headers(include_dir, args.overrides)
    note(f"scanned CUB {snap.cub_version} ({what}): {len(snap.primitives)} class templates "
         f"({time.perf_counter() - t0:.1f} s)")  # fmt: skip
    return snap


def _scans(spec: str | None) -> bool:
    """Whether _resolve(spec) downloads or scans headers (slow) rather than loading a file."""
    return spec is None or spec == "installed" or spec.startswith("release:") or Path(spec).is_dir()


def _resolve(spec: str | None, args) -> tuple[Snapshot, str]:
    """A snapshot from: None/'installed' (scan the installed headers), a checked-in CUB
    version ('3.5.0'), a JSON file, a CCCL include folder to scan, or 'release:VERSION'
    (the nvidia-cuda-cccl wheel of that version, downloaded and scanned)."""
    if spec is not None and spec.startswith("release:"):
        from bindgen.releases import PACKAGE, release_include_dir

        version = spec.removeprefix("release:")
        snap = _scan(release_include_dir(version), args, f"{PACKAGE}=={version}")
        return snap, f"{snap.source} (CUB {snap.cub_version})"
    if spec is None or spec == "installed":
        snap = _scan(args.include_dir, args, "the installed CCCL")
        return snap, f"installed headers (CUB {snap.cub_version})"
    path = Path(spec)
    if path.is_dir():
        snap = _scan(path, args, str(path))
        return snap, f"{path} (CUB {snap.cub_version})"
    if path.suffix == ".json" or path.is_file():
        return snapshots.load(path), str(path)
    candidate = snapshots.path_for(spec)
    if candidate.is_file():
        return snapshots.load(candidate), f"checked-in CUB {spec}"
    known = ", ".join(p.stem.removeprefix("cub-") for p in snapshots.checked_in()) or "none"
    raise BindgenError(
        f"{spec!r} is neither a snapshot file, a CCCL include folder, 'installed', nor a checked-in "
        f"CUB version (checked in: {known})"
    )


def cmd_scan(args) -> int:
    from bindgen.scan import scan_headers

    include_dir = args.include_dir
    if args.release:
        from bindgen.releases import release_include_dir

        include_dir = release_include_dir(args.release)
    t0 = time.perf_counter()
    snap = scan_headers(include_dir, args.overrides)
    elapsed = time.perf_counter() - t0
    only = _check_names(args.only, snap)
    if args.json:
        from bindgen.ir import to_dict

        print(json.dumps(to_dict(snap)["primitives"] if not only else {n: to_dict(snap)["primitives"][n] for n in only}, indent=1))
        return EXIT_OK
    print(f"CUB {snap.cub_version} from {snap.source}: {len(snap.primitives)} class templates, "
          f"{sum(len(p.methods) for p in snap.primitives.values())} method overloads, "
          f"{len(snap.enums)} enums (parsed in {elapsed:.1f} s)")
    print(primitive_table(snap, only))
    reference = snapshots.path_for(snap.cub_version)
    if not reference.is_file() and snapshots.checked_in():
        reference = snapshots.newest()
    changes: list[Change] = []
    if reference.is_file():
        changes = diff_snapshots(snapshots.load(reference), snap)
        rel = reference.relative_to(reference.parents[2])  # cub_bindings/ir/cub-<version>.json
        if changes:
            print(f"\n{len(changes)} differences from the checked-in {rel}:")
            print(changes_table(changes))
        else:
            print(f"\nidentical to the checked-in {rel}")
    if args.check:
        return EXIT_CHANGED if changes or not reference.is_file() else EXIT_OK
    if not args.no_write:
        path, status = snapshots.write(snap, Path(args.output) if args.output else None)
        print(f"IR written to {path} ({status})")
    return EXIT_OK


def cmd_diff(args) -> int:
    t0 = time.perf_counter()
    if args.old is None:
        old, old_label = snapshots.load(snapshots.newest()), f"checked-in {snapshots.newest().name}"
    else:
        old, old_label = _resolve(args.old, args)
    new, new_label = _resolve(args.new, args)
    only = set(_check_names(args.only, old, new) or [])
    changes = [c for c in diff_snapshots(old, new) if not only or c.subject in only]
    if args.json:
        print(json.dumps({"old": old_label, "new": new_label, "changes": [c.as_dict() for c in changes]}, indent=1))
    elif changes:
        print(f"{len(changes)} differences, {old_label} -> {new_label}:")
        print(changes_table(changes))
    else:
        print(f"no differences: {old_label} -> {new_label}")
    if (args.old is not None and _scans(args.old)) or _scans(args.new):  # a slow diff ends with a summary
        note(f"diff done in {time.perf_counter() - t0:.1f} s: {len(changes)} differences, CUB {old.cub_version} -> "
             f"CUB {new.cub_version}")  # fmt: skip
    return EXIT_CHANGED if changes else EXIT_OK


def cmd_show(args) -> int:
    snap, label = _resolve(args.snapshot or str(snapshots.newest()), args)
    (name,) = _check_names([args.primitive], snap)
    p = snap.primitives[name]
    print(f"{p.qualname}  ({p.header}, {label})")
    print(f"template <{', '.join(tp.spelling() for tp in p.template_params)}>")
    print(f"TempStorage: {p.temp_storage.declared_as + ' (' + p.temp_storage.source + ')' if p.temp_storage else 'none'}")
    for m in p.constructors + p.methods:
        origin = f"   [from {m.inherited_from}]" if m.inherited_from else ""
        print(f"  {m.signature}{origin}")
    if p.filtered:
        print("filtered:")
        for f in p.filtered:
            print(f"  {f}")
    return EXIT_OK


def cmd_generate(args) -> int:
    from bindgen.generate import generate

    path = Path(args.snapshot) if args.snapshot else snapshots.newest()
    if not path.is_file():
        path = snapshots.path_for(args.snapshot)
    snap = snapshots.load(path)
    status = generate(snap, f"cub_bindings/ir/{path.name}", write=not args.check)
    changed = {p: s for p, s in status.items() if s != "unchanged"}
    for p, s in sorted(status.items()):
        if s != "unchanged" or args.verbose:
            print(f"{s:9s} {p.parent.name}/{p.name}")
    verb = "would change" if args.check else "written"
    print(f"{len(status)} modules from {path.name}: {len(changed)} {verb}, {len(status) - len(changed)} unchanged")
    return EXIT_CHANGED if args.check and changed else EXIT_OK


def cmd_coverage(args) -> int:
    from bindgen.coverage import coverage_rows, helper_lines
    from bindgen.generate import build_all, load_overrides

    path = snapshots.newest() if not args.snapshot else snapshots.path_for(args.snapshot)
    snap = snapshots.load(path)
    specs = build_all(snap, load_overrides())
    rows, gaps = coverage_rows(snap, specs)
    print(f"CUB {snap.cub_version}: bindings for {len(rows)} class templates")
    print(_table(["primitive", "scope", "bound", "overloads", "not bound", "accounted"], rows))
    bound = sum(int(r[2]) for r in rows)
    total = sum(int(r[3]) for r in rows)
    print(f"\n{bound} of {total} overloads bound; {len(gaps)} not bound, each with its reason:")
    for g in gaps:
        print(f"  {g}")
    if args.verbose:
        print("\nNot bound as primitives:")
        for line in helper_lines(snap, specs):
            print(f"  {line}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bindgen",
        description="Read the installed CUB block/warp headers into a typed IR and track CUB releases.",
        epilog="exit codes: 0 ok / no difference, 1 differences found, 2 bad input (one-line error)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--include-dir", help="CCCL include folder to scan (default: found by cuda-pathfinder)")
        p.add_argument("--overrides", help="folder holding ir.toml (default: the repository's overrides/, "
                       "installed with bindgen)")

    scan = sub.add_parser("scan", help="parse the installed headers, print the primitive table, write the IR")
    common(scan)
    scan.add_argument("--release", metavar="VERSION", help="scan the nvidia-cuda-cccl wheel of this version "
                      "(downloaded with pip into the cache) instead of the installed headers")
    scan.add_argument("--only", nargs="+", metavar="NAME", help="limit the table to these primitives")
    scan.add_argument("--output", help="write the IR here instead of cub_bindings/ir/cub-<version>.json")
    scan.add_argument("--no-write", action="store_true", help="do not write the IR")
    scan.add_argument("--check", action="store_true", help="write nothing; exit 1 if the IR differs from the checked-in one")
    scan.add_argument("--json", action="store_true", help="print the IR of the primitives as JSON instead of a table")
    scan.set_defaults(func=cmd_scan)

    diff = sub.add_parser(
        "diff",
        help="compare two IR snapshots (default: the newest checked-in one and the installed headers)",
        description="A and B are each a snapshot JSON file, a checked-in CUB version (e.g. 3.0.1), "
        "a CCCL include folder, 'installed', or release:VERSION (an nvidia-cuda-cccl wheel, e.g. "
        "release:13.0.85). Default: A = newest checked-in snapshot, B = installed.",
    )
    common(diff)
    diff.add_argument("old", nargs="?", metavar="A")
    diff.add_argument("new", nargs="?", metavar="B")
    diff.add_argument("--only", nargs="+", metavar="NAME", help="report only these primitives")
    diff.add_argument("--json", action="store_true", help="print the changes as JSON")
    diff.set_defaults(func=cmd_diff)

    show = sub.add_parser("show", help="print one primitive's template, overloads and what was filtered")
    common(show)
    show.add_argument("primitive")
    show.add_argument("--snapshot", help="snapshot file, CUB version, include folder or 'installed' (default: newest checked-in)")
    show.set_defaults(func=cmd_show)

    gen = sub.add_parser("generate", help="write cub_bindings/*.py from the IR and overrides/bindings.toml")
    gen.add_argument("snapshot", nargs="?", help="IR snapshot file or CUB version (default: newest checked-in)")
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 if a module would change")
    gen.add_argument("-v", "--verbose", action="store_true", help="list unchanged modules too")
    gen.set_defaults(func=cmd_generate)

    cov = sub.add_parser("coverage", help="per primitive: overloads bound, and the reason for each one not bound")
    cov.add_argument("snapshot", nargs="?", help="CUB version of a checked-in snapshot (default: newest)")
    cov.add_argument("-v", "--verbose", action="store_true", help="also list the helper templates not bound")
    cov.set_defaults(func=cmd_coverage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BindgenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
