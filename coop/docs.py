"""Documentation generated from the declarations: ``help(coop.block.scan)``,
``inspect.signature(coop.block.scan)``, ``docs/coop-api.md`` and the coverage table in
``docs/coop.md`` (which coop call reaches which CUB method, from each declaration's
``reaches``). ``python -m coop.docs --write`` regenerates both files; tests check they
are current.
"""

from __future__ import annotations

import inspect
import textwrap

from coop._decl import REQUIRED, Primitive

_P = inspect.Parameter


def _default(p):
    d = p.default
    if d is REQUIRED:
        return _P.empty
    return d


def kernel_signature(prim: Primitive) -> inspect.Signature:
    """The kernel call's signature: positional order, then keyword-only the rest."""
    params, seen = [], set()
    for n in prim.kernel_order:
        p = prim.param(n)
        params.append(_P(n, _P.POSITIONAL_OR_KEYWORD, default=_default(p)))
        seen.add(n)
    # a required parameter may not follow optional ones in a Python signature
    ok, fixed = True, []
    for q in params:
        if q.default is _P.empty and not ok:
            q = q.replace(default=None)
        ok = ok and q.default is _P.empty
        fixed.append(q)
    return inspect.Signature(fixed)


def host_signature(prim: Primitive) -> str:
    return ", ".join(prim.host_order)


def _fmt_default(p) -> str:
    if p.default is REQUIRED:
        return "required"
    if p.default is None:
        return "—"
    return repr(p.default)


def parameter_rows(prim: Primitive):
    """(name, default, accepts, description, where) for every parameter."""
    rows = []
    for p in prim.params:
        where = "host" if p.host_only else ("kernel, host" if p.kind.host else "kernel")
        rows.append((p.name, _fmt_default(p), p.kind.doc, p.doc, where))
    return rows


def docstring(prim: Primitive) -> str:
    lines = [textwrap.dedent(prim.doc).strip(), ""]
    lines.append(f"In a kernel: {prim.qualname}({', '.join(prim.kernel_order)})")
    lines.append(f"On the host (two-phase): {prim.qualname}({host_signature(prim)})")
    lines.append("")
    lines.append("Parameters:")
    for name, default, accepts, desc, where in parameter_rows(prim):
        lines.append(f"  {name} [{where}; default {default}]: {desc + '; ' if desc else ''}{accepts}")
    if prim.aliases:
        lines.append("")
        lines.append("Aliases: " + ", ".join(f"{a} = {n}" for a, n in sorted(prim.aliases.items())))
    for m in prim.methods:
        lines.append("")
        lines.append(f"Method .{m.name}({', '.join(m.order)}): {textwrap.dedent(m.doc).strip()}")
        for p in m.params:
            lines.append(f"  {p.name} [default {_fmt_default(p)}]: {p.doc + '; ' if p.doc else ''}{p.kind.doc}")
    return "\n".join(lines)


def _cell(s: str) -> str:
    return " ".join(str(s).split()).replace("|", "\\|")


def markdown(primitives) -> str:
    out = ["# coop API reference", "",
           "Generated from the primitives' declarations (`coop.block`, `coop.warp`) by `python -m coop.docs --write`;",
           "do not edit by hand (a test checks it is current). `where`: kernel (single-phase call),",
           "host (two-phase constructor).", ""]
    for prim in primitives:
        out.append(f"## `{prim.qualname}`")
        out.append("")
        out.append(" ".join(textwrap.dedent(prim.doc).split()))
        out.append("")
        out.append(f"- kernel: `{prim.qualname}({', '.join(prim.kernel_order)})`")
        out.append(f"- two-phase: `{prim.qualname}({host_signature(prim)})`")
        if prim.aliases:
            out.append("- aliases: " + ", ".join(f"`{a}` = `{n}`" for a, n in sorted(prim.aliases.items())))
        out.append("")
        out.append("| parameter | default | where | accepts |")
        out.append("| --- | --- | --- | --- |")
        for name, default, accepts, desc, where in parameter_rows(prim):
            out.append(f"| `{name}` | {_cell(default)} | {where} | {_cell((desc + '; ' if desc else '') + accepts)} |")
        for m in prim.methods:
            out.append("")
            out.append(f"Method `.{m.name}({', '.join(m.order)})`: {' '.join(textwrap.dedent(m.doc).split())}")
            out.append("")
            out.append("| parameter | default | accepts |")
            out.append("| --- | --- | --- |")
            for p in m.params:
                out.append(f"| `{p.name}` | {_cell(_fmt_default(p))} | {_cell((p.doc + '; ' if p.doc else '') + p.kind.doc)} |")
        out.append("")
    return "\n".join(out)


def all_primitives():
    from coop import block, warp

    out = []
    for mod in (block, warp):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if hasattr(obj, "prim"):
                out.append(obj.prim)
    return out


#: CUB methods that are not collective operations, so no coop call reaches them
NOT_COLLECTIVE = {
    "get_linear_tid": "an accessor for the calling thread's linear id (use cuda.threadIdx)",
    "get_member_mask": "an accessor for the logical warp's lane mask",
}
COVERAGE_BEGIN = "<!-- coverage: generated by `python -m coop.docs --write` from the declarations; do not edit -->"
COVERAGE_END = "<!-- /coverage -->"


def coverage_rows(primitives):
    """(CUB class, method, coop calls reaching it) for every method of every bound class template."""
    import cub_bindings
    from cub_bindings.extending import class_spec

    rows = []
    for cls in sorted(cub_bindings.PRIMITIVES):
        spec = class_spec(cls)
        methods = sorted({m.name for m in spec.methods})
        if spec.persistent:
            methods = ["__init__ts"] + methods
        for method in methods:
            calls = [p.qualname for p in primitives if method in p.reaches.get(cls, ())]
            rows.append((cls, method, calls))
    return rows


def coverage_markdown(primitives) -> str:
    out = [COVERAGE_BEGIN, "", "| CUB class | method | coop call |", "| --- | --- | --- |"]
    for cls, method, calls in coverage_rows(primitives):
        shown = "constructor" if method == "__init__ts" else method
        where = ", ".join(f"`{c}`" for c in calls) or f"— ({NOT_COLLECTIVE.get(method, 'not reached')})"
        out.append(f"| {cls} | {shown} | {where} |")
    out += ["", COVERAGE_END]
    return "\n".join(out)


def with_coverage(guide: str, primitives) -> str:
    """``docs/coop.md`` with its coverage section regenerated."""
    head, rest = guide.split(COVERAGE_BEGIN, 1)
    _, tail = rest.split(COVERAGE_END, 1)
    return head + coverage_markdown(primitives) + tail


def _write():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs"
    prims = all_primitives()
    (docs / "coop-api.md").write_text(markdown(prims))
    guide = docs / "coop.md"
    guide.write_text(with_coverage(guide.read_text(), prims))


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--write"]:
        _write()
    else:
        print(markdown(all_primitives()), end="")
