"""``python -m bindgen coverage``: per primitive, which overloads are bound and why others are not."""

from __future__ import annotations

from bindgen import ir


def coverage_rows(snap: ir.Snapshot, specs) -> tuple[list[list[str]], list[str]]:
    rows, gaps = [], []
    for s in specs:
        if s.scope == "helper":
            continue
        prim = snap.primitives[s.name]
        total = len(prim.methods) + sum(1 for c in prim.constructors if any(p.name != "temp_storage" for p in c.params))
        bound = len(s.methods) + len(s.constructors)
        rows.append([s.name, s.scope, str(bound), str(total), str(len(s.unbound)), "yes" if bound == total - len(s.unbound) else "NO"])
        for u in s.unbound:
            gaps.append(f"{s.name}::{u.signature}\n    {u.reason}")
    return rows, gaps


def helper_lines(snap: ir.Snapshot, specs) -> list[str]:
    bound = {s.name for s in specs}
    return [f"{n} (helper template, not a cooperative primitive)" for n in sorted(snap.primitives) if n not in bound]
