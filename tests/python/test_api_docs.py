"""The Python API reference (docs/python_api.md, built by scripts/docs.sh with Sphinx autodoc) is
complete: every public name of khuyenhoc, khuyenhoc.plot and khuyenhoc.mcda, and every public
method and property of the public classes, has a docstring beyond pybind11's signature line."""

from __future__ import annotations

import inspect
import re
from types import ModuleType
from typing import Any

import khuyenhoc
from khuyenhoc import mcda, plot

SIGNATURE = re.compile(r"^[\w.]+\(.*\)( -> .*)?$")


def documented(obj: Any) -> bool:
    lines = [
        ln
        for ln in (getattr(obj, "__doc__", None) or "").strip().splitlines()
        if ln.strip()
    ]
    if lines and SIGNATURE.match(lines[0]):  # pybind11 puts the signature first
        lines = lines[1:]
    return bool(lines)


def public_names(module: ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            n
            for n, v in vars(module).items()
            if not n.startswith("_")
            and callable(v)
            and getattr(v, "__module__", "") == module.__name__
        ]
    return [n for n in names if not n.startswith("__")]


def undocumented(module: ModuleType) -> list[str]:
    missing = []
    for name in public_names(module):
        obj = getattr(module, name)
        if isinstance(obj, ModuleType):
            continue
        if not documented(obj):
            missing.append(f"{module.__name__}.{name}")
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for member, value in vars(obj).items():
                if member.startswith("_"):
                    continue
                if isinstance(value, (staticmethod, classmethod)):
                    value = value.__func__
                if not documented(value):
                    missing.append(f"{module.__name__}.{name}.{member}")
    return missing


def test_every_public_name_has_a_docstring() -> None:
    missing = undocumented(khuyenhoc) + undocumented(plot) + undocumented(mcda)
    assert not missing, "no docstring: " + ", ".join(missing)


def test_the_reference_page_covers_the_modules(root: Any) -> None:
    page = (root / "docs" / "python_api.md").read_text(encoding="utf-8")
    for module in ("khuyenhoc", "khuyenhoc.plot", "khuyenhoc.mcda"):
        assert f".. automodule:: {module}\n" in page
