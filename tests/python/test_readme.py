"""The README's Python example works as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def test_readme_python_example_runs(root: Path) -> None:
    text = (root / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README.md has no ```python example"
    code = blocks[0]
    assert len(code.strip().splitlines()) <= 12
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, env=dict(os.environ)
    )
    assert result.returncode == 0, result.stderr
    assert "nominees" in result.stdout
