"""What changed between two IR snapshots, per primitive and per enum."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from bindgen.ir import Enum, Method, Primitive, Snapshot
from bindgen.spelling import substitute_names


@dataclass(frozen=True)
class Change:
    subject: str  # the primitive or enum name
    kind: str  # "primitive", "template_param", "constructor", "overload", "parameter", "temp_storage", "enum", "enum_value"
    change: str  # "added", "removed", "changed" or "renamed"
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def diff_snapshots(old: Snapshot, new: Snapshot) -> list[Change]:
    changes: list[Change] = []
    for name in sorted(set(old.primitives) | set(new.primitives)):
        a, b = old.primitives.get(name), new.primitives.get(name)
        if a is None:
            changes.append(Change(name, "primitive", "added", f"{b.header}: {_template_head(b)}"))
        elif b is None:
            changes.append(Change(name, "primitive", "removed", f"{a.header}: {_template_head(a)}"))
        else:
            changes.extend(_diff_primitive(a, b))
    for name in sorted(set(old.enums) | set(new.enums)):
        changes.extend(_diff_enum(name, old.enums.get(name), new.enums.get(name)))
    return changes


def _template_head(p: Primitive) -> str:
    return f"template <{', '.join(tp.spelling() for tp in p.template_params)}> {p.qualname}"


def _renames(a: Primitive, b: Primitive) -> dict[str, str]:
    """Template parameters renamed in place: same position, kind, type and default."""
    new_names = {tp.name for tp in b.template_params}
    old_names = {tp.name for tp in a.template_params}
    out = {}
    for ta, tb in zip(a.template_params, b.template_params):
        if ta.name != tb.name and ta.name not in new_names and tb.name not in old_names:
            if (ta.kind, ta.cxx_type, ta.default, ta.is_pack) == (tb.kind, tb.cxx_type, tb.default, tb.is_pack):
                out[ta.name] = tb.name
    return out


def _rename_method(m: Method, renames: dict[str, str]) -> Method:
    sub = lambda text: substitute_names(text, renames) if text else text  # noqa: E731
    params = tuple(replace(p, type=sub(p.type), extent=sub(p.extent)) for p in m.params)
    return replace(m, params=params, return_type=sub(m.return_type), constraint=sub(m.constraint))


def _diff_primitive(a: Primitive, b: Primitive) -> list[Change]:
    out: list[Change] = []
    renames = _renames(a, b)
    for old_name, new_name in renames.items():
        out.append(Change(a.name, "template_param", "renamed", f"{old_name} -> {new_name}"))
    if renames:
        a = replace(
            a,
            template_params=tuple(replace(tp, name=renames.get(tp.name, tp.name)) for tp in a.template_params),
            constructors=tuple(_rename_method(m, renames) for m in a.constructors),
            methods=tuple(_rename_method(m, renames) for m in a.methods),
        )
    old_tp = {tp.name: tp for tp in a.template_params}
    new_tp = {tp.name: tp for tp in b.template_params}
    for n in old_tp.keys() - new_tp.keys():
        out.append(Change(a.name, "template_param", "removed", old_tp[n].spelling()))
    for n in new_tp.keys() - old_tp.keys():
        out.append(Change(a.name, "template_param", "added", new_tp[n].spelling()))
    for n in old_tp.keys() & new_tp.keys():
        if old_tp[n] != new_tp[n]:
            out.append(Change(a.name, "template_param", "changed", f"{old_tp[n].spelling()} -> {new_tp[n].spelling()}"))
    old_order = [tp.name for tp in a.template_params if tp.name in new_tp]
    new_order = [tp.name for tp in b.template_params if tp.name in old_tp]
    if old_order != new_order:
        out.append(Change(a.name, "template_param", "changed", f"order {old_order} -> {new_order}"))
    out.extend(_diff_methods(a.name, "constructor", a.constructors, b.constructors))
    out.extend(_diff_methods(a.name, "overload", a.methods, b.methods))
    if a.temp_storage != b.temp_storage:
        out.append(Change(a.name, "temp_storage", "changed", f"{a.temp_storage} -> {b.temp_storage}"))
    return sorted(out, key=lambda c: (c.kind, c.change, c.detail))


def _diff_methods(owner: str, kind: str, old: tuple[Method, ...], new: tuple[Method, ...]) -> list[Change]:
    old_sigs = {m.signature: m for m in old}
    new_sigs = {m.signature: m for m in new}
    removed = [old_sigs[s] for s in sorted(old_sigs.keys() - new_sigs.keys())]
    added = [new_sigs[s] for s in sorted(new_sigs.keys() - old_sigs.keys())]
    out: list[Change] = []
    # An overload whose parameters changed shows up as one removed and one added signature
    # of the same name: pair those that share most parameter names, and report parameters.
    for r in list(removed):
        best, score = None, 0.0
        for ad in added:
            if ad.name != r.name:
                continue
            s = _similarity(r, ad)
            if s > score:
                best, score = ad, s
        if best is not None and score >= 0.5:
            removed.remove(r)
            added.remove(best)
            out.extend(_diff_params(owner, r, best))
    out.extend(Change(owner, kind, "removed", m.signature) for m in removed)
    out.extend(Change(owner, kind, "added", m.signature) for m in added)
    return out


def _similarity(a: Method, b: Method) -> float:
    na, nb = {p.name for p in a.params}, {p.name for p in b.params}
    if not na and not nb:
        return 1.0
    return len(na & nb) / len(na | nb)


def _diff_params(owner: str, a: Method, b: Method) -> list[Change]:
    where = f"{a.name}({', '.join(p.name for p in a.params)})"
    out = []
    pa, pb = {p.name: p for p in a.params}, {p.name: p for p in b.params}
    for n in pa.keys() - pb.keys():
        out.append(Change(owner, "parameter", "removed", f"{where}: {pa[n].type} {n}"))
    for n in pb.keys() - pa.keys():
        out.append(Change(owner, "parameter", "added", f"{where}: {pb[n].type} {n}"))
    for n in pa.keys() & pb.keys():
        if pa[n] != pb[n]:
            out.append(Change(owner, "parameter", "changed", f"{where}: {pa[n].type} {n} -> {pb[n].type} {n}"))
    if a.template_params != b.template_params or a.return_type != b.return_type:
        out.append(Change(owner, "overload", "changed", f"{a.signature} -> {b.signature}"))
    elif not out:  # same parameters in another order
        out.append(Change(owner, "overload", "changed", f"{a.signature} -> {b.signature}"))
    return out


def _diff_enum(name: str, a: Enum | None, b: Enum | None) -> list[Change]:
    if a is None:
        return [Change(name, "enum", "added", ", ".join(f"{v.name}={v.value}" for v in b.values))]
    if b is None:
        return [Change(name, "enum", "removed", ", ".join(f"{v.name}={v.value}" for v in a.values))]
    va, vb = {v.name: v.value for v in a.values}, {v.name: v.value for v in b.values}
    out = [Change(name, "enum_value", "removed", f"{n}={va[n]}") for n in sorted(va.keys() - vb.keys())]
    out += [Change(name, "enum_value", "added", f"{n}={vb[n]}") for n in sorted(vb.keys() - va.keys())]
    out += [
        Change(name, "enum_value", "changed", f"{n}: {va[n]} -> {vb[n]}")
        for n in sorted(va.keys() & vb.keys())
        if va[n] != vb[n]
    ]
    return out
