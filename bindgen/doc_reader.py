"""What ast_canopy does not report, read with libclang (``clang.cindex``).

ast_canopy gives the structure (template parameters, public methods and member templates
with canonical types). libclang adds, from the same headers: documentation comments,
template-parameter default arguments, public type aliases (CUB declares most TempStorage
types as ``using TempStorage = Uninitialized<_TempStorage>``, which ast_canopy misses),
base classes, and parameter types as written in the header (sugared, with public names).

The headers are parsed once, in host C++ mode, skipping function bodies: that is enough
for declarations and comments, and takes about half a second.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass, field
from pathlib import Path

from bindgen.errors import BindgenError


@dataclass
class TParamFacts:
    name: str
    default: str | None
    is_pack: bool


@dataclass
class MethodFacts:
    name: str
    is_constructor: bool
    is_template: bool
    is_static: bool
    param_names: tuple[str, ...]
    param_types: tuple[str, ...]  # as written in the header
    param_defaults: tuple[str | None, ...]
    result_type: str
    tparams: list[TParamFacts]
    doc: str


@dataclass
class ClassFacts:
    name: str
    header: Path
    line: int
    doc: str
    tparams: list[TParamFacts]
    bases: list[str]  # public base specifiers as written, e.g. "BlockMergeSortStrategy<KeyT, ...>"
    public_aliases: dict[str, str]
    public_records: list[str]
    methods: list[MethodFacts] = field(default_factory=list)
    partial_specializations: list[str] = field(default_factory=list)  # e.g. "WarpReduce<T, 1>"


@dataclass
class EnumFacts:
    name: str
    header: Path
    doc: str
    value_docs: dict[str, str]
    values: dict[str, int]


def clean_comment(raw: str | None) -> str:
    """Strip comment markers (``//!``, ``///``, ``/** */``) and keep the text (CUB writes RST)."""
    if not raw:
        return ""
    lines = []
    for line in raw.splitlines():
        s = line.strip()
        for prefix in ("//!<", "///<", "//!", "///", "/**", "/*!", "*/", "*", "//"):
            if s.startswith(prefix):
                s = s[len(prefix) :]
                break
        if s.endswith("*/"):
            s = s[:-2]
        lines.append(s[1:] if s.startswith(" ") else s)
    return "\n".join(lines).strip()


def _cindex():
    try:
        import clang.cindex as ci
    except ImportError:
        raise BindgenError("libclang's Python bindings are missing: `pip install libclang`") from None
    return ci


def _default_of(cursor) -> tuple[str | None, bool]:
    """The default argument of a template parameter, from its tokens, and whether it is a pack."""
    toks = [t.spelling for t in cursor.get_tokens()]
    is_pack = "..." in toks[: toks.index("=")] if "=" in toks else "..." in toks
    if "=" not in toks:
        return None, is_pack
    default = toks[toks.index("=") + 1 :]
    # The last parameter's extent can take in the '>' that closes the parameter list.
    while default and default[-1] in (">", ">>") and _depth(default) < 0:
        default[-1] = default[-1][:-1]
        default = [t for t in default if t]
    return _join_tokens(" ".join(default)), is_pack


def _param_default(cursor) -> str | None:
    toks = [t.spelling for t in cursor.get_tokens()]
    if "=" not in toks:
        return None
    return _join_tokens(" ".join(toks[toks.index("=") + 1 :]))


def _depth(tokens: list[str]) -> int:
    text = "".join(tokens)
    return text.count("<") - text.count(">")


def _join_tokens(text: str) -> str:
    text = re.sub(r"\s*::\s*", "::", text)
    text = re.sub(r"\s*([<>(),])\s*", r"\1", text)
    return text.replace(",", ", ")


def _tparams(ci, cursor) -> list[TParamFacts]:
    kinds = (
        ci.CursorKind.TEMPLATE_TYPE_PARAMETER,
        ci.CursorKind.TEMPLATE_NON_TYPE_PARAMETER,
        ci.CursorKind.TEMPLATE_TEMPLATE_PARAMETER,
    )
    out = []
    for ch in cursor.get_children():
        if ch.kind in kinds:
            default, is_pack = _default_of(ch)
            out.append(TParamFacts(ch.spelling, default, is_pack))
    return out


def _method(ci, cursor, class_name: str) -> MethodFacts:
    params = [c for c in cursor.get_children() if c.kind == ci.CursorKind.PARM_DECL]
    is_ctor = cursor.kind == ci.CursorKind.CONSTRUCTOR or (
        cursor.kind == ci.CursorKind.FUNCTION_TEMPLATE and cursor.spelling.split("<")[0] == class_name
    )
    return MethodFacts(
        name=class_name if is_ctor else cursor.spelling,
        is_constructor=is_ctor,
        is_template=cursor.kind == ci.CursorKind.FUNCTION_TEMPLATE,
        is_static=cursor.is_static_method(),
        param_names=tuple(p.spelling for p in params),
        param_types=tuple(p.type.spelling for p in params),
        param_defaults=tuple(_param_default(p) for p in params),
        result_type=cursor.result_type.spelling,
        tparams=_tparams(ci, cursor) if cursor.kind == ci.CursorKind.FUNCTION_TEMPLATE else [],
        doc=clean_comment(cursor.raw_comment),
    )


def _class(ci, cursor) -> ClassFacts:
    pub = ci.AccessSpecifier.PUBLIC
    facts = ClassFacts(
        name=cursor.spelling,
        header=Path(cursor.location.file.name).resolve(),
        line=cursor.location.line,
        doc=clean_comment(cursor.raw_comment),
        tparams=_tparams(ci, cursor),
        bases=[],
        public_aliases={},
        public_records=[],
    )
    method_kinds = (ci.CursorKind.CXX_METHOD, ci.CursorKind.CONSTRUCTOR, ci.CursorKind.FUNCTION_TEMPLATE)
    for ch in cursor.get_children():
        if ch.kind == ci.CursorKind.CXX_BASE_SPECIFIER:
            if ch.access_specifier == pub:
                toks = [t.spelling for t in ch.get_tokens()]
                toks = [t for t in toks if t not in ("public", "virtual")]
                facts.bases.append(_join_tokens(" ".join(toks)))
            continue
        if ch.access_specifier != pub:
            continue
        if ch.kind in (ci.CursorKind.TYPE_ALIAS_DECL, ci.CursorKind.TYPEDEF_DECL):
            facts.public_aliases[ch.spelling] = ch.underlying_typedef_type.spelling
        elif ch.kind in (ci.CursorKind.STRUCT_DECL, ci.CursorKind.CLASS_DECL) and ch.is_definition():
            facts.public_records.append(ch.spelling)
        elif ch.kind in method_kinds:
            facts.methods.append(_method(ci, ch, cursor.spelling))
    return facts


def read_header_facts(
    umbrella: Path, include_dirs: list[Path], headers: set[Path], resource_dir: str
) -> tuple[dict[str, ClassFacts], dict[str, EnumFacts], dict[str, EnumFacts]]:
    """Class templates and enums in namespace ``cub`` declared in ``headers``, by name,
    and the enums of the global namespace (any header)."""
    ci = _cindex()
    args = [
        "-x", "c++", "-std=c++17",
        # CCCL marks its headers as system headers; keep their comments anyway.
        "-fretain-comments-from-system-headers",
        f"-resource-dir={resource_dir}",
        *[f"-I{d}" for d in include_dirs],
    ]  # fmt: skip
    options = ci.TranslationUnit.PARSE_SKIP_FUNCTION_BODIES | ci.TranslationUnit.PARSE_INCOMPLETE
    try:
        tu = ci.Index.create().parse(str(umbrella), args=args, options=options)
    except ci.TranslationUnitLoadError as exc:
        raise BindgenError(f"libclang could not read {umbrella}: {exc}") from None
    classes: dict[str, ClassFacts] = {}
    enums: dict[str, EnumFacts] = {}
    global_enums: dict[str, EnumFacts] = {}
    is_inline = _inline_namespace_test(ci)
    partials: list[tuple[str, str]] = []

    def in_scope(cur) -> bool:
        return cur.location.file is not None and Path(cur.location.file.name).resolve() in headers

    def walk(ns):
        for ch in ns.get_children():
            if ch.kind == ci.CursorKind.NAMESPACE:
                # CUB's ABI namespace is an inline namespace inside cub (_V_300500_SM_... in 3.5,
                # CUB_300001_SM_... in 3.0): its members are cub's own.
                if is_inline(ch):
                    walk(ch)
            elif ch.kind == ci.CursorKind.CLASS_TEMPLATE and ch.is_definition() and in_scope(ch):
                classes[ch.spelling] = _class(ci, ch)
            elif ch.kind == ci.CursorKind.CLASS_TEMPLATE_PARTIAL_SPECIALIZATION and in_scope(ch):
                partials.append((ch.spelling, ch.displayname))
            elif ch.kind == ci.CursorKind.ENUM_DECL and ch.is_definition() and in_scope(ch):
                enums[ch.spelling] = _enum(ch)

    for top in tu.cursor.get_children():
        if top.kind == ci.CursorKind.NAMESPACE and top.spelling == "cub":
            walk(top)
        elif top.kind == ci.CursorKind.ENUM_DECL and top.is_definition() and top.spelling:
            # Global enums the templates may use, e.g. cudaSharedMemConfig from the CUDA runtime.
            global_enums[top.spelling] = _enum(top)
    for name, display in partials:
        if name in classes:
            classes[name].partial_specializations.append(display)
    return classes, enums, global_enums


def _inline_namespace_test(ci):
    """libclang 18's Python API has no Cursor.is_inline_namespace; the C API does."""
    fn = ci.conf.lib.clang_Cursor_isInlineNamespace
    fn.argtypes = [ci.Cursor]
    fn.restype = ctypes.c_uint
    return lambda cursor: bool(fn(cursor))


def _enum(cursor) -> EnumFacts:
    children = list(cursor.get_children())
    return EnumFacts(
        name=cursor.spelling,
        header=Path(cursor.location.file.name).resolve(),
        doc=clean_comment(cursor.raw_comment),
        value_docs={e.spelling: clean_comment(e.raw_comment) for e in children},
        values={e.spelling: e.enum_value for e in children},
    )
