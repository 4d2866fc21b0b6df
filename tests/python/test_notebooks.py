"""The example notebooks: committed without outputs, and each runs top to bottom (nbclient, the
python3 kernel of this interpreter, matplotlib's inline backend: Agg rendering, no display)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "examples" / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    names = {p.name for p in NOTEBOOKS}
    assert {"province_selection.ipynb", "plan_check.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them before committing"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_top_to_bottom(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    import khuyenhoc
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpecManager

    # The kernel must be this interpreter (the one khuyenhoc is importable from). ipykernel's
    # native spec says "python", which jupyter_client replaces by sys.executable; a "python3"
    # spec installed elsewhere that names another interpreter would shadow it.
    spec = KernelSpecManager().get_kernel_spec(NATIVE_KERNEL_NAME)
    native = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    assert spec.argv[0] in native or spec.argv[0] == sys.executable, (
        f"the python3 kernel runs {spec.argv[0]}, not {sys.executable}"
    )
    # matplotlib's inline backend: figures rendered by Agg into the notebook as PNG (headless; a
    # plain "Agg" backend would draw but never display, so the plots could not be checked).
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # The kernel imports the same khuyenhoc as this process (a staged build or the installed one).
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(khuyenhoc.__file__)))
    paths = [package_parent, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors
    # The rich displays were produced: HTML tables and PNG figures.
    kinds = {k for c in nb.cells if c.cell_type == "code" for o in c.outputs for k in o.get("data", {})}
    assert "text/html" in kinds and "image/png" in kinds
