"""Turning clang's type spellings into the public spellings the IR records.

ast_canopy reports canonical types: template parameters appear as ``type-parameter-D-I``
(depth D: 0 for the class template, 1 for a member template; index I) and aliases are
expanded into CUB internals (``Uninitialized<decltype(temp_storage_helper())>``). This
module names parameters again, strips the class's own qualification, recognises internal
spellings, and classifies how a parameter is passed.
"""

from __future__ import annotations

import re

_TYPE_PARAM = re.compile(r"type-parameter-(\d+)-(\d+)")
_IDENT = re.compile(r"[A-Za-z_]\w*")
#: Spellings that name CUB or libcu++ internals rather than anything a user can write.
_INTERNAL = re.compile(
    r"\bdetail::|\bUninitialized<|\bdecltype\(|\b_[A-Z]\w*|\b__\w+|\b_If\b|\b_IfImpl\b|::cuda::std::_"
)
_ARRAY_REF = re.compile(r"\(\s*&\s*\)\s*\[\s*([^\]]+?)\s*\]\s*$")


def is_requires_param(name: str) -> bool:
    """Template parameters that CCCL's requires-emulation macros leak into declarations."""
    return name == "" or name.startswith("__cccl")


def name_type_parameters(spelling: str, depth_names: list[list[str]]) -> str:
    """Replace ``type-parameter-D-I`` with the declared names."""

    def repl(m: re.Match) -> str:
        depth, index = int(m.group(1)), int(m.group(2))
        try:
            return depth_names[depth][index]
        except IndexError:
            return m.group(0)

    return _TYPE_PARAM.sub(repl, spelling)


def strip_own_scope(spelling: str, qualname: str, name: str) -> str:
    """``cub::BlockScan::TempStorage &`` -> ``TempStorage &`` inside BlockScan."""
    spelling = re.sub(rf"(?:{re.escape(qualname)}|\b{re.escape(name)})(?:<[^<>]*>)?::", "", spelling)
    return spelling


def nested_temp_storage(spelling: str) -> bool:
    """``typename Base<...>::TempStorage &`` and the like: a reference to some class's TempStorage."""
    return bool(re.fullmatch(r"(?:typename\s+)?\S.*::TempStorage\s*&", spelling.strip()))


def unwrap_enable_if(spelling: str) -> tuple[str, str | None]:
    """SFINAE return types -> (type, condition); other spellings come back unchanged.

    ``typename enable_if<COND, void>::type`` and ``::cuda::std::enable_if_t<COND>``
    both give ("void", "COND").
    """
    s = spelling.strip()
    if s.startswith("typename "):
        s = s[len("typename ") :]
    if s.endswith(">::type"):
        s = s[: -len("::type")]
        heads = ("enable_if",)
    else:
        heads = ("enable_if_t",)
    head, args = split_template_args(s)
    if head.split("::")[-1] not in heads or not 1 <= len(args) <= 2:
        return spelling, None
    return (args[1] if len(args) == 2 else "void"), args[0]


def is_internal(spelling: str) -> bool:
    return bool(_INTERNAL.search(spelling)) or "type-parameter-" in spelling


def substitute_names(spelling: str, mapping: dict[str, str]) -> str:
    """Replace whole identifiers (template parameter names of a base, say) by other text."""
    return _IDENT.sub(lambda m: mapping.get(m.group(0), m.group(0)), spelling)


def tidy(spelling: str) -> str:
    s = re.sub(r"\s+", " ", spelling).strip()
    s = re.sub(r"\s*&\s*$", " &", s)
    s = re.sub(r"\s*\*\s*$", " *", s)
    return s.replace("( &)", "(&)").replace(" (& )", " (&)")


def classify(spelling: str) -> tuple[str, bool, str | None]:
    """How a parameter is passed: (passing, const, extent) from its public spelling."""
    s = spelling.strip()
    const = s.startswith("const ") or " const " in s.split("(")[0] + " "
    m = _ARRAY_REF.search(s)
    if m:
        return "array_reference", const, m.group(1)
    if s.endswith("&"):
        return "reference", const, None
    if s.endswith("*"):
        return "pointer", const, None
    return "value", const, None


def split_template_args(text: str) -> tuple[str, list[str]]:
    """``Base<A, B<C, D>, E>`` -> ("Base", ["A", "B<C, D>", "E"])."""
    if "<" not in text:
        return text.strip(), []
    head, rest = text.split("<", 1)
    rest = rest.rstrip()
    if rest.endswith(">"):
        rest = rest[:-1]
    args, depth, parens, cur = [], 0, 0, ""
    for ch in rest:
        if ch == "(":
            parens += 1
        elif ch == ")":
            parens -= 1
        elif parens == 0 and ch == "<":
            depth += 1
        elif parens == 0 and ch == ">":
            depth -= 1
        if ch == "," and depth == 0 and parens == 0:
            args.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        args.append(cur.strip())
    return head.strip(), args
