"""Sphinx configuration: the Markdown pages in docs/ (MyST) and the Python API reference
generated from the installed package's docstrings. Built by `bash scripts/docs.sh`."""

from __future__ import annotations

import khuyenhoc

project = "khuyenhoc"
author = "khuyenhoc contributors"
copyright = "khuyenhoc contributors"
release = khuyenhoc.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
language = "en"

myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
# Pages link to repository files (../README.md, ../examples/...) that are not pages of the docs.
suppress_warnings = ["myst.xref_missing"]

autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
autodoc_typehints = "description"
autodoc_member_order = "bysource"

html_theme = "alabaster"
html_title = f"khuyenhoc {release}"
html_static_path: list[str] = []


def _core_docstring_as_text(app, what, name, obj, options, lines):
    """The compiled module's docstrings (pybind11) are plain text, not reStructuredText: quote
    their markup characters and keep their line breaks and indentation (a line block)."""
    target = getattr(obj, "fget", obj)
    module = getattr(target, "__module__", None) or ""
    if type(target).__name__ == "builtin_function_or_method" or "instancemethod" in type(target).__name__:
        module = module or "khuyenhoc._core"
    if not module.startswith("khuyenhoc._core"):
        return

    def quote(line: str) -> str:
        for c in "\\*`|_[]<>:":
            line = line.replace(c, "\\" + c)
        return line

    text = [line for line in lines if line.strip()]
    if len(text) > 1:
        lines[:] = [("| " + quote(line)) if line.strip() else "|" for line in lines] + [""]
    else:
        lines[:] = [quote(line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _core_docstring_as_text)
