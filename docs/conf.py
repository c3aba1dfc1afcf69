"""Sphinx configuration: the Markdown pages in docs/ are the sources (MyST); the API reference is
generated at build time from the code (``_ext/coop_reference.py``). Build: ``sphinx-build -W -b html docs <out>``
(needs the ``docs`` extra: ``pip install -e .[docs]``).
"""

import sys
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # coop, cub_bindings, bindgen from this checkout
sys.path.insert(0, str(HERE / "_ext"))

project = "cub-coop"
author = "cub-coop contributors"
try:
    release = metadata.version("cub-coop")
except metadata.PackageNotFoundError:
    release = ""
version = release

extensions = ["myst_parser", "sphinx.ext.autodoc", "coop_reference"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store"]

myst_heading_anchors = 3  # [text](page.md#a-heading) links resolve

autodoc_member_order = "bysource"
autodoc_typehints = "none"  # signatures name numba/numpy types; keep them short

html_theme = "alabaster"
html_title = "cub-coop"
html_static_path = []
