"""CUB's doc comments (as the IR carries them: Doxygen commands around ``@rst`` blocks) -> reStructuredText.

``convert(doc)`` returns a ``Doc``: the body, and the ``@tparam`` / ``@param`` / ``@return`` entries
apart, each as reStructuredText that builds without warnings inside one of our pages:

* Doxygen text is reflowed (it is not whitespace-significant), its inline markup (``@p x``,
  backquotes, ``<em>``/``<b>``/``<tt>``) becomes RST, and what would still not parse is escaped.
* CUB's own RST is kept, less what only CCCL's documentation build can resolve: ``:ref:`` and
  ``:cpp:*:`` roles become text, ``literalinclude``/``image`` of CCCL's repository files become a
  line naming the file, section titles become rubrics, named hyperlink targets become anonymous.
* CUB's Doxygen aliases (``@smemreuse``, ``@blocked`` ...) expand to a sentence of our own.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

#: CUB's Doxygen aliases, stated in our words.
ALIASES = {
    "smemreuse": "A block-wide barrier (``__syncthreads()``) is needed after this call before the "
                 "temporary storage is reused or repurposed.",
    "smemwarpreuse": "A warp-wide barrier (``__syncwarp()``) is needed after this call before the "
                     "temporary storage is reused or repurposed.",
    "granularity": "Efficiency is better with more items per thread (fewer threads for the same work).",
    "blocked": "The items are in a *blocked arrangement*: each thread holds consecutive items.",
    "rowmajor": "A multi-dimensional thread block is ranked in row-major order (x fastest).",
    "blocksize": "The block size is a multiple of the architecture's warp size.",
    "identityzero": "The initial value is 0 (the identity of addition).",
}
#: aliases taking the class name: ``@blockcollective{BlockScan}``
ALIASES_WITH_ARG = {
    "blockcollective": "Every thread of the block calls ``{0}``'s methods collectively; its "
                       "``TempStorage`` is shared memory (an ``__shared__`` variable or a union with others).",
    "warpcollective": "Every thread of the logical warp calls ``{0}``'s methods collectively; its "
                      "``TempStorage`` is shared memory, one per warp.",
}
_KEEP_ROLES = {"sub", "sup", "math", "emphasis", "strong", "literal", "subscript", "superscript"}
_KEEP_DIRECTIVES = {"code-block", "code", "note", "warning", "tip", "important", "versionadded",
                    "versionchanged", "deprecated", "math", "seealso", "attention", "caution"}
_UNDERLINE = re.compile(r"^([=\-+~^\"'#*`:.])\1{2,}\s*$")
_ENTRY = re.compile(r"^[@\\](tparam|param|returns?|retval)\b(?:\s*\[([\w, -]+)\])?\s*(.*)$")


@dataclass
class Doc:
    body: str = ""
    tparams: list[tuple[str, str]] = field(default_factory=list)
    params: list[tuple[str, str, str]] = field(default_factory=list)  # (name, intent, rst)
    returns: str = ""


def convert(doc: str) -> Doc:
    out = Doc()
    body = []
    for kind, head, lines in _split_entries(doc.expandtabs(4).splitlines()):
        if kind == "body":
            body += lines
            continue
        text = _segments(textwrap.dedent("\n".join(lines)).splitlines())
        if kind == "tparam":
            name, _, rest = head.partition(" ")
            out.tparams.append((name, _join(rest, text)))
        elif kind == "param":
            intent, rest = head.split("|", 1)
            name, _, rest = rest.partition(" ")
            out.params.append((name, intent.replace(" ", "").replace("-", ","), _join(rest, text)))
        else:
            out.returns = _join(head, text)
    out.body = _segments(body)
    return out


def _join(first: str, rest: str) -> str:
    first = _doxygen([first]) if first.strip() else ""
    return "\n\n".join(t for t in (first, rest) if t)


def _split_entries(lines):
    """('body', '', lines) and ('tparam'|'param'|'return', head, description lines), in order."""
    items, in_rst, cur = [], False, None
    for line in lines:
        stripped = line.strip()
        if cur is not None:
            prev_blank = not cur[2] or not cur[2][-1].strip()
            top = line[:1] not in (" ", "") and stripped
            if top and (stripped[0] in "@\\" or prev_blank):
                cur = None
            else:
                cur[2].append(line)
                continue
        m = _ENTRY.match(line) if not in_rst else None
        if m:
            kind = "return" if m.group(1).startswith("ret") else m.group(1)
            head = m.group(3) if kind != "param" else f"{m.group(2) or ''}|{m.group(3)}"
            cur = (kind, head, [])
            items.append(cur)
            continue
        if stripped in ("@rst", "\\rst"):
            in_rst = True
        elif stripped in ("@endrst", "\\endrst"):
            in_rst = False
        items.append(("body", "", [line]))
    merged = []
    for kind, head, ls in items:  # consecutive body pieces back into one
        if kind == "body" and merged and merged[-1][0] == "body":
            merged[-1][2].extend(ls)
        else:
            merged.append((kind, head, list(ls)))
    return merged


def _segments(lines) -> str:
    """Body lines: RST between @rst/@endrst, Doxygen around; each converted, joined."""
    parts, buf, rst = [], [], False
    for line in lines:
        pieces = re.split(r"([@\\](?:end)?rst\b)", line)
        if len(pieces) == 1:
            buf.append(line)
            continue
        for piece in pieces:
            if re.fullmatch(r"[@\\](?:end)?rst", piece):
                parts.append((rst, buf))
                buf, rst = [], not piece[1:].startswith("end")
            elif piece.strip():
                buf.append(piece)
    parts.append((rst, buf))
    out = [(_rst if is_rst or _looks_rst(ls) else _doxygen)(ls) for is_rst, ls in parts if any(s.strip() for s in ls)]
    return "\n\n".join(t for t in out if t.strip())


# --------------------------------------------------------------------------- CUB's RST


def _looks_rst(lines) -> bool:
    """RST outside @rst/@endrst (a comment CUB split in two): a directive or a section title."""
    return any(re.match(r"^\s*\.\. [\w:-]+::", line) for line in lines) or any(
        a.strip() and _UNDERLINE.match(b) for a, b in zip(lines, lines[1:]))


def _rst(lines) -> str:
    lines = textwrap.dedent("\n".join(lines)).splitlines()
    out, i, item = [], 0, None  # item: the content column of the list item the previous line is in
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        bullet = re.match(r"^\s*([-*+]|#\.|\d+\.)\s+", line)
        if not line.strip():
            item = None
        elif bullet:
            item = len(bullet.group(0))
        elif item is not None and _indent(line) < item:  # a list item's lazy continuation line
            line = " " * item + line.lstrip()
        m = re.match(r"^(\s*)\.\. ([\w:-]+)::\s*(.*)$", line)
        if m:
            indent, name, arg = m.groups()
            j = i + 1  # the directive's options and content: blank or more-indented lines
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > len(indent)):
                j += 1
            block = lines[i:j]
            while block and not block[-1].strip():
                block.pop()
            out += _directive(indent, name, arg, block)
            out.append("")
            i = j
            continue
        if re.match(r"^\s*\.\. _[^:]+:\s*$", line):  # a label only CCCL's build defines
            i += 1
            continue
        if re.fullmatch(r"\s*[@\\](endcode|par|\{|\})\s*", line):  # stray Doxygen in an RST block
            out.append("")
            i += 1
            continue
        title = None
        if line.strip() and _indent(line) == 0 and _UNDERLINE.match(nxt) and not _UNDERLINE.match(line):
            title, i = line.strip(), i + 2
        elif _UNDERLINE.match(line) and _indent(line) == 0 and nxt.strip() and i + 2 < len(lines) \
                and _UNDERLINE.match(lines[i + 2]):  # overlined title
            title, i = nxt.strip(), i + 3
        if title:
            out += [f".. rubric:: {title}", ""]
            while i < len(lines) and not lines[i].strip():
                i += 1
            following = next((x for x in lines[i:] if x.strip()), "")
            if _indent(following):  # an indented block after the title is not the rubric's content
                out += ["..", ""]
            continue
        out.append(_aliases(_roles(_html(line))))
        i += 1
    return "\n".join(out).strip("\n")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _directive(indent, name, arg, block):
    if name == "literalinclude":
        opts = dict(re.findall(r":([\w-]+):[ \t]*(.*)", "\n".join(block[1:])))
        path = re.sub(r"^(\.\./)+", "", arg.strip())
        where = f" (between ``{opts['start-after']}`` and ``{opts['end-before']}``)" \
            if "start-after" in opts and "end-before" in opts else ""
        return [f"{indent}Example: ``{path}``{where} in the CCCL repository."]
    if name in ("image", "figure"):
        return [f"{indent}(Figure ``{arg.strip()}`` of CCCL's documentation.)"]
    if name not in _KEEP_DIRECTIVES:
        return [f"{indent}::", ""] + [f"{indent}   {line}" for line in block]
    if name in ("code-block", "code", "math"):
        return block
    return [block[0]] + [_aliases(_roles(line)) for line in block[1:]]


def _html(line: str) -> str:
    """HTML and Markdown links left in CUB's RST: the text only."""
    line = re.sub(r"</?(em|b|i|tt|strong|code)>", "", line)
    line = re.sub(r"<(sub|sup)>(.*?)</\1>", r"\\ :\1:`\2`", line)
    return re.sub(r"\[([^\[\]]+)\]\([^()\s]+\)", r"\1", line)


def _roles(line: str) -> str:
    def role(m):
        name, text = m.group(1), m.group(2)
        if name in _KEEP_ROLES:
            return m.group(0)
        target = re.match(r"^(.*?)\s*<([^<>]+)>$", text, re.S)
        if name == "ref":
            return target.group(1) if target else text
        text = target.group(1) if target else text
        return f"``{text.lstrip('~!')}``"

    line = re.sub(r":([\w:+-]+):`([^`]+)`", role, line)
    return re.sub(r"(`[^`<>]+<[^`<>]+>`)_(?!_)", r"\1__", line)  # named targets -> anonymous


def _aliases(line: str) -> str:
    line = re.sub(r"[@\\](\w+)\{(\w+)\}",
                  lambda m: ALIASES_WITH_ARG[m.group(1)].format(m.group(2)) if m.group(1) in ALIASES_WITH_ARG
                  else m.group(0), line)
    return re.sub(r"(?<![\w`])[@\\](\w+)\b", lambda m: ALIASES.get(m.group(1), m.group(0)), line)


# --------------------------------------------------------------------------- Doxygen text


def _doxygen(lines) -> str:
    """Doxygen markup: paragraphs and lists reflowed; @code blocks verbatim; inline markup to RST."""
    blocks, para, code = [], [], None

    def flush():
        if para:
            blocks.append(("p", para[:]))
            para.clear()

    for line in lines:
        s = line.strip()
        if code is not None:
            if re.match(r"^[@\\]endcode\b", s):
                blocks.append(("code", code))
                code = None
            else:
                code.append(line)
            continue
        if re.match(r"^[@\\]code\b", s):
            flush()
            code = []
            continue
        m = re.match(r"^[@\\](par|name)\b\s*(.*)$", s)
        if m:
            flush()
            if m.group(2):
                blocks.append(("rubric", [m.group(2)]))
            continue
        if s in ("@{", "@}", "\\{", "\\}"):
            continue
        if not s:
            flush()
        elif re.match(r"^([-*+]|\d+\.|#\.)\s", s):
            flush()
            para.append(s)
        else:
            para.append(s)
    flush()
    if code is not None:
        blocks.append(("code", code))
    out = []
    for kind, ls in blocks:
        if kind == "code":
            body = textwrap.dedent("\n".join(ls)).strip("\n")
            out.append(".. code-block:: c++\n\n" + textwrap.indent(body, "   "))
        elif kind == "rubric":
            out.append(f".. rubric:: {_plain(ls[0])}")
        else:
            out.append(_paragraph(ls))
    return "\n\n".join(o for o in out if o.strip())


def _paragraph(lines) -> str:
    """Consecutive lines: list items (``- x``) each on one line, other lines joined into one."""
    items, cur = [], []
    for s in lines:
        if re.match(r"^([-*+]|\d+\.|#\.)\s", s) and cur:
            items.append(cur)
            cur = []
        cur.append(s)
    items.append(cur)
    out = []
    for it in items:
        m = re.match(r"^([-*+]|\d+\.|#\.)\s+(.*)$", it[0])
        if m:
            out.append("- " + _inline(" ".join([m.group(2)] + it[1:])))
        else:
            out.append(_inline(" ".join(it)))
    sep = "\n" if all(o.startswith("- ") for o in out) else "\n\n"
    return sep.join(out)


def _inline(text: str) -> str:
    """Doxygen inline markup to RST; spans kept as markup, the text between escaped. What still
    does not parse cleanly is escaped whole."""
    rst = _markup(text)
    return rst if _parses(rst) else _escape(re.sub(r"[@\\](brief|p|c)\b\s*", "", text)).strip()


_PARSER = None


def _parses(text: str) -> bool:
    """Whether docutils reads this inline text without a warning."""
    global _PARSER
    from docutils import nodes
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    if _PARSER is None:
        settings = get_default_settings(Parser)
        settings.report_level, settings.halt_level, settings.warning_stream = 5, 5, False
        _PARSER = Parser(), settings
    parser, settings = _PARSER
    doc = new_document("<cub doc>", settings)
    parser.parse(text, doc)
    return not any(m["level"] >= 2 for m in doc.findall(nodes.system_message))


def _markup(text: str) -> str:
    text = re.sub(r"[@\\]brief\b\s*", "", text)
    text = re.sub(r"[@\\](note|deprecated|see|sa|warning)\b\s*",
                  lambda m: {"note": "Note: ", "deprecated": "Deprecated: ", "warning": "Warning: "}
                  .get(m.group(1), "See also: "), text)
    spans = []  # (rst, plain text) of each span taken out of the text

    def keep(rst, plain=None):
        spans.append((rst, rst.replace("``", "") if plain is None else plain))
        return f"\x00{len(spans) - 1}\x00"

    def flat(inner):  # a span's content as plain text: RST does not nest inline markup
        inner = re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))][1], inner)
        return re.sub(r"<[^<>]+>", "", inner).strip()

    def wrap(mark, inner):
        inner = flat(inner)
        if not inner:
            return ""
        return keep(f"{mark}{inner}{mark}" if mark == "``" else f"{mark}{_escape(inner)}{mark}", inner)

    text = re.sub(r"[@\\](\w+)\{(\w+)\}", lambda m: keep(ALIASES_WITH_ARG[m.group(1)].format(m.group(2)))
                  if m.group(1) in ALIASES_WITH_ARG else m.group(0), text)
    text = re.sub(r"(?<![\w`])[@\\](\w+)\b", lambda m: keep(ALIASES[m.group(1)]) if m.group(1) in ALIASES
                  else m.group(0), text)
    text = re.sub(r":[\w:+-]+:`[^`]+`", lambda m: keep(_roles(m.group(0))), text)  # RST roles in Doxygen text
    text = re.sub(r"[@\\][pc]\s+(\w[\w:]*(?:\.\w+)*)", lambda m: wrap("``", m.group(1)), text)
    text = re.sub(r"``(\S(?:[^`]*?\S)?)``", lambda m: wrap("``", m.group(1)), text)
    text = re.sub(r"`(\S(?:[^`]*?\S)?)`", lambda m: wrap("``", m.group(1)), text)
    for tag in ("tt", "code"):
        text = re.sub(rf"<{tag}>(.*?)</{tag}>", lambda m: wrap("``", m.group(1)), text)
    for tag in ("sub", "sup"):
        text = re.sub(rf"<{tag}>(.*?)</{tag}>", lambda m, t=tag: keep(f"\\ :{t}:`{flat(m.group(1))}`", flat(m.group(1)))
                      if flat(m.group(1)) else "", text)
    for tag in ("em", "i", "b", "strong"):
        text = re.sub(rf"<{tag}>(.*?)</{tag}>", lambda m, t=tag: wrap("*" if t in ("em", "i") else "**", m.group(1)),
                      text)
    text = re.sub(r"\*\*([^*\s][^*]*?)\*\*", lambda m: wrap("**", m.group(1)), text)
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])", lambda m: wrap("*", m.group(1)), text)
    text = _escape(text)
    while "\x00" in text:
        text = re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))][0], text)
    return text.strip()


def _plain(text: str) -> str:
    return _escape(re.sub(r"<[^<>]+>", "", text)).strip()


def _escape(text: str) -> str:
    return re.sub(r"([\\*`|_])", r"\\\1", text)
