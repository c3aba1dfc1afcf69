"""Sphinx extension: the API reference, generated from the code on every build (never stale).

* ``coop-api``: its text is replaced, as Sphinx reads it, by ``coop.docs.markdown`` of the current
  declarations (the checked-in ``docs/coop-api.md`` is the same page for readers of the repository).
* ``docs/api/`` is written at ``builder-inited``: the coop objects (autodoc), and one page per bound
  ``cub_bindings`` class template from the IR snapshot it was generated from (template parameters,
  every constructor and method overload with CUB's doc comment, bound or not) plus CUB's enums.
  The folder carries its own ``.gitignore``; files are rewritten only when their text changes.
* ``index``: toctree entries named in ``OPTIONAL_PAGES`` are dropped while their page does not
  exist, and top-level pages that ``index.md`` does not name are listed under its last toctree.
"""

from __future__ import annotations

import re
from pathlib import Path

from cub_doc import convert

GENERATED = "api"
OPTIONAL_PAGES = ("simulator", "errors")


def setup(app):
    app.connect("builder-inited", _generate)
    app.connect("source-read", _source_read)
    app.connect("env-get-outdated", lambda app, env, added, changed, removed: ["coop-api"])
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


def _source_read(app, docname, source):
    if docname == "coop-api":
        from coop import docs

        source[0] = docs.markdown(docs.all_primitives())
    elif docname == "index":
        source[0] = _index(Path(app.srcdir), source[0])


def _index(srcdir: Path, text: str) -> str:
    def present(name):
        return any((srcdir / f"{name}{ext}").is_file() for ext in (".md", ".rst"))

    for name in OPTIONAL_PAGES:
        if not present(name):
            text = re.sub(rf"^{re.escape(name)}\n", "", text, flags=re.M)
    named = set(re.findall(r"^([\w/-]+)\s*$", text, flags=re.M))
    extra = sorted(p.stem for p in srcdir.iterdir() if p.suffix in (".md", ".rst")
                   and p.stem not in named and p.stem != "index")
    head, sep, tail = text.rpartition("```{toctree}")
    if extra:
        body, fence, rest = tail.partition("\n```")
        return head + sep + body.rstrip("\n") + "\n" + "\n".join(extra) + "\n" + fence + rest
    # no page left for the last toctree: drop it with its caption
    return re.sub(r"```\{toctree\}(?:\n:[^\n]*)*\n*```\s*$", "", text)


# --------------------------------------------------------------------------- generated pages


def _generate(app):
    root = Path(app.srcdir) / GENERATED
    pages = {".gitignore": "*\n", "coop.md": _coop_objects()}
    pages.update(_cub_pages())
    root.mkdir(exist_ok=True)
    for rel, text in pages.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
    for path in sorted(root.rglob("*"), reverse=True):  # pages of classes no longer bound
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel not in pages:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _coop_objects() -> str:
    import coop
    from coop import enums

    lines = ["# coop: arrays, compiling, errors, enums", "",
             "The names `coop` exports besides its primitives (`coop.block.*`, `coop.warp.*`: see",
             "[the primitives' reference](/coop-api.md)).", "", "```{eval-rst}"]
    for mod in ("local", "shared"):
        lines += [f".. autofunction:: coop.{mod}.array", ""]
    enum_names = set(enums.__all__) | set(getattr(enums, "BLOCK_TYPES", ())) | set(getattr(enums, "WARP_TYPES", ()))
    aliases = []
    for name in coop.__all__:
        obj = getattr(coop, name)
        if name in enum_names or type(obj).__name__ == "module" or hasattr(obj, "prim"):
            continue
        if getattr(obj, "__name__", name) != name:
            aliases.append((name, obj.__name__))
            continue
        if isinstance(obj, type) and issubclass(obj, BaseException):
            lines += [f".. autoexception:: coop.{name}", ""]
        elif isinstance(obj, type):
            lines += [f".. autoclass:: coop.{name}", "   :members:", ""]
        else:
            lines += [f".. autofunction:: coop.{name}", ""]
    for name, target in aliases:
        lines += [f".. py:data:: coop.{name}", "", f"   The same object as :py:obj:`coop.{target}`.", ""]
    lines += ["```", "", "## Enums", "", "```{eval-rst}"]
    for name in coop.__all__:
        if name in enum_names:
            lines += _enum(name, getattr(coop, name))
    lines += ["```", ""]
    return "\n".join(lines)


def _enum(name, cls) -> list[str]:
    doc = (cls.__doc__ or "").strip()
    out = [f".. py:class:: coop.{name}", ""]
    out += ["   " + line if line else "" for line in doc.splitlines()] + [""]
    for member in cls:
        out += [f"   .. py:attribute:: {member.name}", f"      :value: {int(member)}", ""]
        text = str(member)
        if text and text != member.name:
            out += [f"      C++: ``{text}``", ""]
    return out


# --------------------------------------------------------------------------- cub_bindings


def _snapshot():
    import cub_bindings
    from bindgen import ir

    path = Path(cub_bindings.__file__).resolve().parent / "ir" / f"cub-{cub_bindings.CUB_VERSION}.json"
    return ir.from_json(path.read_text())


def _cub_pages() -> dict[str, str]:
    import cub_bindings
    from cub_bindings.extending import class_spec

    snap = _snapshot()
    names = list(cub_bindings.PRIMITIVES) + list(cub_bindings.HELPERS)
    pages, rows = {}, []
    for name in names:
        spec, prim = class_spec(name), snap.primitives[name]
        text, bound, total = _class_page(spec, prim)
        pages[f"cub/{name}.rst"] = text
        rows.append((name, prim.header, spec.scope, bound, total, spec.doc))
    pages["cub/enums.rst"] = _enums_page(snap)
    index = [
        "cub_bindings: CUB's class templates", "=" * 35, "",
        f"Every class template ``cub_bindings`` binds, from the IR snapshot of CUB {snap.cub_version} "
        f"({snap.source or 'cub_bindings/ir'}), with CUB's own documentation. "
        "How to call them from a kernel: :doc:`/cub_bindings`.", "",
        ".. list-table::", "   :header-rows: 1", "   :widths: 22 28 8 10 32", "", "   * - class", "     - header", "     - scope",
        "     - overloads bound", "     - summary", ""]
    for name, header, scope, bound, total, summary in rows:
        index += [f"   * - :doc:`{name}`", f"     - ``{header}``", f"     - {scope}", f"     - {bound} of {total}",
                  f"     - {convert(summary).body}"]
    index += ["", ".. toctree::", "   :hidden:", ""] + [f"   {n}" for n, *_ in rows] + ["   enums", ""]
    pages["cub/index.rst"] = "\n".join(index)
    return pages


def _title(text: str, char: str) -> list[str]:
    return [text, char * len(text), ""]


def _indent(text: str, n: int = 3) -> list[str]:
    return [(" " * n + line) if line.strip() else "" for line in text.splitlines()]


def _class_page(spec, prim):
    doc = convert(prim.doc)
    ctors = _constructor_status(spec, prim)
    methods = [(m, _method_status(spec, m)) for m in prim.methods]
    # counted as `python -m bindgen coverage` does: the () and (temp_storage) constructors are not
    everything = [c for c in ctors if tuple(p.name for p in c[0].params) not in ((), ("temp_storage",))] + methods
    bound = sum(1 for _, s in everything if s[0])
    out = [f".. _cub-{prim.name}:", ""] + _title(prim.name, "=")
    out += [f"``cub_bindings.{prim.name}`` binds ``{prim.qualname}`` (``{prim.header}``, CUB {spec.cub_version}): "
            f"scope {spec.scope}, {bound} of {len(everything)} overloads bound "
            "(as ``python -m bindgen coverage`` counts them).", ""]
    tps = ", ".join(tp.name if tp.default is None else f"{tp.name}={tp.default}" for tp in prim.template_params)
    out += [".. code-block:: text", "", f"   cub_bindings.{prim.name}({tps})", ""]
    if spec.has_temp_storage:
        out += [f"``cub_bindings.{prim.name}.TempStorage(...)`` (same template arguments) allocates its "
                "``TempStorage`` in shared memory.", ""]
    out += [".. contents::", "   :local:", "   :depth: 1", ""]
    out += _title("Template parameters", "-") + _tparam_table(prim.template_params, dict(doc.tparams))
    if doc.body:
        out += _title("CUB's documentation", "-") + [doc.body, ""]
    if ctors:
        out += _title("Constructors", "-")
        for i, (m, status) in enumerate(ctors, 1):
            out += _overload(m, status, f"Constructor {i} of {len(ctors)}")
    if methods:
        out += _title("Methods", "-")
        for name in sorted({m.name for m, _ in methods}):
            group = [(m, s) for m, s in methods if m.name == name]
            out += _title(name, "~")
            for i, (m, status) in enumerate(group, 1):
                out += _overload(m, status, f"Overload {i} of {len(group)}" if len(group) > 1 else "")
    return "\n".join(out).rstrip() + "\n", bound, len(everything)


def _constructor_status(spec, prim):
    # the spec lists a constructor's temp_storage variant with the same parameters (the storage is implicit)
    by_params = {tuple(p.name for p in o.params): o for o in spec.constructors}
    unbound = {u.signature: u.reason for u in spec.unbound}
    out = []
    for m in prim.constructors:
        names = tuple(p.name for p in m.params)
        if names == ():
            status = (spec.default_constructible, "" if spec.default_constructible else "not default-constructible here")
        elif names == ("temp_storage",):
            status = (spec.has_temp_storage, "")
        elif tuple(n for n in names if n != "temp_storage") in by_params:
            status = (True, "")
        else:
            status = (False, unbound.get(m.signature, "not bound"))
        out.append((m, status))
    return out


def _method_status(spec, m):
    key = (m.name, tuple((p.name, p.type) for p in m.params))
    for o in spec.methods:
        if (o.name, tuple((p.name, p.cxx) for p in o.params)) == key:
            return True, "", o
    reason = next((u.reason for u in spec.unbound if u.signature == m.signature), "not bound")
    return False, reason


def _tparam_table(tparams, docs) -> list[str]:
    if not tparams:
        return ["None.", ""]
    out = [".. list-table::", "   :header-rows: 1", "   :widths: 15 15 20 50", "",
           "   * - name", "     - kind", "     - default", "     - CUB's description"]
    for tp in tparams:
        kind = tp.cxx_type if tp.kind != "type" and tp.cxx_type else tp.kind
        if tp.is_pack:
            kind += " (pack)"
        default = f"``{tp.default}``" if tp.default is not None else "required"
        desc = docs.get(tp.name, "")
        out += [f"   * - ``{tp.name}``", f"     - {kind}", f"     - {default}"]
        out += [f"     - {desc.splitlines()[0]}" if desc else "     -"] + _indent("\n".join(desc.splitlines()[1:]), 7)
    return out + [""]


def _cxx(m) -> str:
    def param(p):
        text = p.type.replace("(&)", f"(&{p.name})", 1).replace("(*)", f"(*{p.name})", 1)
        if text == p.type:
            text = f"{p.type} {p.name}"
        return text + (f" = {p.default}" if p.default else "")

    lines = []
    if m.template_params:
        lines.append("template <" + ", ".join(tp.spelling() for tp in m.template_params) + ">")
    head = "static " if m.is_static else ""
    ret = "" if m.kind == "constructor" else f"{m.return_type} "
    lines.append(f"{head}{ret}{m.name}(" + ", ".join(param(p) for p in m.params) + ")")
    if m.constraint:
        lines.append(f"// exists when: {m.constraint}")
    return "\n".join(lines)


def _overload(m, status, label) -> list[str]:
    ok, reason = status[0], status[1]
    spec_overload = status[2] if len(status) > 2 else None
    doc = convert(m.doc)
    out = []
    if label:
        out += [f".. rubric:: {label}", ""]
    out += [".. code-block:: c++", ""] + _indent(_cxx(m)) + [""]
    note = "Bound." if ok else f"Not bound: {_text(reason)}."
    if m.inherited_from:
        note += f" Inherited from ``{m.inherited_from}``."
    out += [note, ""]
    if doc.body:
        out += [doc.body, ""]
    if m.template_params:
        out += [".. rubric:: Template parameters", ""]
        tdocs = dict(doc.tparams)
        for tp in m.template_params:
            out += _item(f"``{tp.spelling()}``", tdocs.get(tp.name, ""))
        out.append("")
    if m.params:
        roles = {p.name: p.role for p in spec_overload.params} if spec_overload else {}
        pdocs = {name: (intent, text) for name, intent, text in doc.params}
        out += [".. rubric:: Parameters", ""]
        for p in m.params:
            intent, text = pdocs.get(p.name, ("", ""))
            tags = ", ".join(t for t in (intent, roles.get(p.name, "")) if t)
            out += _item(f"``{p.name}``" + (f" ({tags})" if tags else ""), text)
        out.append("")
    if doc.returns:
        out += [".. rubric:: Returns", "", doc.returns, ""]
    return out


def _item(head: str, text: str) -> list[str]:
    lines = text.splitlines()
    first = f"- {head}: {lines[0]}" if lines and lines[0].strip() else f"- {head}"
    rest = lines[1:] if lines and lines[0].strip() else lines
    return [first] + _indent("\n".join(rest), 2)


def _text(s: str) -> str:
    return re.sub(r"`([^`]+)`", r"``\1``", s)


def _enums_page(snap) -> str:
    out = [".. _cub-enums:", ""] + _title("CUB's enums", "=")
    out += ["``cub_bindings.enums`` (members also at ``cub_bindings`` top level, as in C++: "
            "``cub_bindings.BLOCK_SCAN_RAKING``).", "", ".. contents::", "   :local:", ""]
    from cub_bindings import enums

    for name in sorted(n for n in snap.enums if n in enums.__all__):
        e = snap.enums[name]
        out += _title(name, "-")
        out += [f"``{e.qualname}`` (``{e.header}``).", ""]
        body = convert(e.doc).body
        if body:
            out += [body, ""]
        for v in e.values:  # a definition list: the value, then CUB's text about it
            out += [f"``{v.name}`` = {v.value}"] + (_indent(convert(v.doc).body) or ["   (undocumented)"]) + [""]
    return "\n".join(out).rstrip() + "\n"
