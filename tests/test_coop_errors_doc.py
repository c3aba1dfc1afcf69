"""docs/errors.md is the misuse catalogue rendered: every case of tests/misuse_cases.py, in
order, with its code. The message each case raises is checked against the document by
tests/test_coop_misuse.py (which runs the cases), so together the document is current;
regenerate it with `.venv/bin/python scripts/errors_doc.py --write`."""

import pathlib

import misuse_cases as mc

ROOT = pathlib.Path(__file__).resolve().parent.parent
STALE = "docs/errors.md is stale: .venv/bin/python scripts/errors_doc.py --write"


def test_errors_md_lists_every_case_with_its_code():
    text = (ROOT / mc.DOC).read_text()
    messages = mc.documented(text)
    assert list(messages) == [c.id for c in mc.CASES], STALE
    assert mc.render(messages) == text, STALE


def test_every_documented_message_names_its_primitive_and_line():
    messages = mc.documented((ROOT / mc.DOC).read_text())
    for c in mc.CASES:
        msg = messages[c.id]
        assert msg.startswith(c.primitive + ": "), c.id
        if c.kind != "host":
            assert f'File "{c.filename}", line {c.line}:' in msg, c.id


def test_the_guide_links_the_catalogue():
    assert "(errors.md)" in (ROOT / "docs" / "coop.md").read_text()
