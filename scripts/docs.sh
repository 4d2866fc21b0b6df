#!/usr/bin/env bash
# Builds the documentation into build/docs/ (HTML): the Markdown pages of docs/ through Sphinx
# and MyST, and the Python API reference from the docstrings of the importable `khuyenhoc`
# package. Warnings are errors. Run scripts/setup.sh first (or `source` it) for Sphinx.
#   bash scripts/docs.sh            # uses the installed khuyenhoc (pip install .)
#   PYTHONPATH=build/x bash scripts/docs.sh   # or a staged build
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-python3}
if [ -z "${PYTHON:-}" ] && [ -x "$root/.venv/bin/python" ]; then python="$root/.venv/bin/python"; fi
out="$root/build/docs"
doctrees="$root/build/docs-doctrees"
rm -rf "$out" "$doctrees"  # a fresh build each time, so every warning is seen (and fails)
"$python" -m sphinx -W --keep-going -q -E -b html -d "$doctrees" "$root/docs" "$out"
echo "docs: $out/index.html"
