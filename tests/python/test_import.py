"""`import khuyenhoc` needs only numpy: pandas and matplotlib are imported lazily."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_import_needs_only_numpy() -> None:
    code = (
        "import sys, khuyenhoc\n"
        "print(sorted(m for m in ('pandas', 'matplotlib', 'tqdm', 'yaml') if m in sys.modules))"
    )
    assert _run(code) == "[]"


def test_pandas_is_imported_by_to_pandas_only() -> None:
    code = (
        "import sys, khuyenhoc as kh\n"
        "p = kh.generate_pool(20, seed=3)\n"
        "before = 'pandas' in sys.modules\n"
        "df = p.to_pandas()\n"
        "print(before, 'pandas' in sys.modules, 'matplotlib' in sys.modules)"
    )
    assert _run(code) == "False True False"


def test_plot_module_imports_matplotlib_only_when_drawing() -> None:
    code = "import sys, khuyenhoc.plot\nprint('pandas' in sys.modules, 'matplotlib' in sys.modules)"
    assert _run(code) == "False False"


def test_namespace_holds_only_public_names_and_methods_are_the_classes_own() -> None:
    code = (
        "import khuyenhoc as kh\n"
        "extra = sorted(n for n in dir(kh) if not n.startswith('_') and n not in kh.__all__\n"
        "               and n not in ('plot',))\n"
        "print(extra)\n"
        "print(kh.Pool.to_pandas.__doc__ is not None and 'pandas' in kh.Pool.to_pandas.__doc__)\n"
    )
    out = _run(code).splitlines()
    # Submodules imported by the package (mcda is public) are the only other names.
    assert out[0] == "[]", out[0]
    assert out[1] == "True"
