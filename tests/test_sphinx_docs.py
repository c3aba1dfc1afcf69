"""The Sphinx documentation: ``sphinx-build -W`` passes (no warning) and the generated API reference
has a page for every coop primitive and every bound cub_bindings class; CUB's doc comments convert
to reStructuredText without leftover Doxygen; the index tolerates pages being added."""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

HAVE_SPHINX = importlib.util.find_spec("sphinx") is not None and importlib.util.find_spec("myst_parser") is not None
needs_sphinx = pytest.mark.skipif(not HAVE_SPHINX, reason="sphinx/myst-parser not installed: pip install -e .[docs]")


def _ir():
    import cub_bindings

    return json.loads((ROOT / "cub_bindings" / "ir" / f"cub-{cub_bindings.CUB_VERSION}.json").read_text())


@needs_sphinx
def test_sphinx_build_has_no_warning(tmp_path):
    import cub_bindings
    from coop import docs

    out = tmp_path / "html"
    r = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-E", "-q", "-b", "html", "-d", str(tmp_path / "doctrees"),
                        str(DOCS), str(out)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "WARNING" not in r.stderr and "ERROR" not in r.stderr, r.stderr
    api = (out / "coop-api.html").read_text()
    for prim in docs.all_primitives():
        assert prim.qualname in api
    for name in list(cub_bindings.PRIMITIVES) + list(cub_bindings.HELPERS):
        page = (out / "api" / "cub" / f"{name}.html").read_text()
        assert f"cub::{name}" in page and "Template parameters" in page
    scan = (out / "api" / "cub" / "BlockScan.html").read_text()
    assert "ExclusiveScan" in scan and "block_prefix_callback_op" in scan and "@rst" not in scan
    objects = (out / "api" / "coop.html").read_text()
    for name in ("TempStorage", "ThreadData", "CoopError", "launch_shape", "compile", "kernel_names", "Decomposer",
                 "StatefulOp", "BlockLoadAlgorithm", "BlockExchangeType", "local.array", "shared.array"):
        assert f'id="coop.{name}"' in objects, name
    for page in ("coop", "cub_bindings", "bindgen", "performance", "numbast-gaps", "compile-service-research"):
        assert (out / f"{page}.html").is_file(), page


def test_cub_doc_comments_convert():
    pytest.importorskip("docutils", reason="docutils comes with sphinx: pip install -e .[docs]")
    from cub_doc import convert

    ir = _ir()
    leftover = re.compile(r"(?<![\w`])@(rst|endrst|brief|param|tparam|return|par|code|endcode|smemreuse|"
                          r"smemwarpreuse|granularity|blocked|rowmajor|blocksize|identityzero|blockcollective|"
                          r"warpcollective)\b|:ref:`|:cpp:\w+:`|\.\. (literalinclude|image)::")
    checked = 0
    for prim in ir["primitives"].values():
        for m in [prim] + prim["methods"] + prim["constructors"]:
            d = convert(m["doc"])
            text = "\n".join([d.body, d.returns] + [t for _, t in d.tparams] + [t for _, _, t in d.params])
            assert not leftover.search(text), (prim["name"], m["name"], leftover.search(text).group(0))
            assert "\x00" not in text and "<sub>" not in text and "<em>" not in text, (prim["name"], m["name"])
            if m is not prim:
                names = {p["name"] for p in m["params"]}
                documented = {n for n, _, _ in d.params}
                assert documented <= names | {"temp_storage"}, (prim["name"], m["name"], documented - names)
            # CUB documents a template parameter a method does not have (WarpReduce::HeadSegmentedSum's
            # ReductionOp): the pages list the IR's parameters, so only the names' shape is checked
            assert all(re.fullmatch(r"\w+", n) for n, _ in d.tparams), (prim["name"], m["name"], d.tparams)
            checked += 1
    assert checked > 200


def test_cub_doc_conversion_cases():
    pytest.importorskip("docutils", reason="docutils comes with sphinx: pip install -e .[docs]")
    from cub_doc import convert

    d = convert("@rst\nTitle\n+++++\n\n  quoted\n\n- item\ncontinued\n\n.. literalinclude:: ../../a/b.cu\n"
                "    :start-after: x-begin\n    :end-before: x-end\n\nSee :ref:`blocked <flexible>` and "
                ":cpp:struct:`cub::BlockLoad`, `link <http://x>`_.\n@endrst\n\n@tparam T\n  **[inferred]** type\n\n"
                "@param[in,out] items\n  @rst\n  *thread*\\ :sub:`0` only\n  @endrst\n\n@return\n  The @p value.")
    assert ".. rubric:: Title\n\n..\n\n  quoted" in d.body
    assert "- item\n  continued" in d.body
    assert "Example: ``a/b.cu`` (between ``x-begin`` and ``x-end``)" in d.body
    assert "See blocked and ``cub::BlockLoad``, `link <http://x>`__." in d.body
    assert d.tparams == [("T", "**[inferred]** type")]
    assert d.params == [("items", "in,out", "*thread*\\ :sub:`0` only")]
    assert d.returns == "The ``value``."
    # Doxygen text: reflowed, @code kept verbatim, what does not parse escaped
    d = convert("@brief Rank *keys\n  for @p RADIX_DIGITS.\n@par Snippet\n@code\nint a[4];\n@endcode\n@smemreuse")
    assert d.body.startswith("Rank \\*keys for RADIX\\_DIGITS.") or d.body.startswith("Rank \\*keys for ``RADIX")
    assert ".. rubric:: Snippet\n\n.. code-block:: c++\n\n   int a[4];" in d.body
    assert "__syncthreads()" in d.body


def test_index_lists_optional_and_unlisted_pages(tmp_path):
    from coop_reference import _index

    index = (DOCS / "index.md").read_text()
    for page in ("coop", "performance", "cub_bindings", "bindgen"):
        (tmp_path / f"{page}.md").write_text("# x\n")
    text = _index(tmp_path, index)
    assert "\nsimulator\n" not in text and "\nerrors\n" not in text and ":caption: More" not in text
    assert "\ncoop\n" in text and "\nbindgen\n" in text
    (tmp_path / "simulator.md").write_text("# x\n")
    (tmp_path / "errors.md").write_text("# x\n")
    (tmp_path / "new-page.md").write_text("# x\n")
    text = _index(tmp_path, index)
    assert "\nsimulator\n" in text and "\nerrors\n" in text
    more = text[text.index(":caption: More"):]
    assert "new-page" in more and "simulator" not in more
