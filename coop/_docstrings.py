"""Docstrings and signatures of the primitives, from their declarations: ``help(coop.block.scan)``
and ``inspect.signature(coop.block.scan)`` (``coop.docs`` builds the reference pages on them).
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
    for p in prim.params:  # kernel parameters outside the positional order: keyword-only
        if p.name not in seen and not p.host_only and getattr(p.kind, "kernel", True):
            fixed.append(_P(p.name, _P.KEYWORD_ONLY, default=_default(p)))
    return inspect.Signature(fixed)


def host_signature(prim: Primitive) -> str:
    return ", ".join(prim.host_order)


def fmt_default(p) -> str:
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
        rows.append((p.name, fmt_default(p), p.kind.doc, p.doc, where))
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
            lines.append(f"  {p.name} [default {fmt_default(p)}]: {p.doc + '; ' if p.doc else ''}{p.kind.doc}")
    return "\n".join(lines)


