#!/usr/bin/env bash
# All tests: installs what is missing, builds, then runs the C++ tests (ctest), the Python tests
# (pytest, against `pip install .`), and the C++ tests again under AddressSanitizer + UBSan.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$KHUYENHOC_ROOT"
jobs=$(nproc)

echo "== C++ tests (release build) =="
cmake --preset dev >/dev/null
cmake --build --preset dev
ctest --preset dev

echo "== Python package (pip install .) and tests =="
python -m pip install -q --no-build-isolation .
python -c "import khuyenhoc, sys; print('khuyenhoc', khuyenhoc.__version__, 'on Python', sys.version.split()[0])"
python -m pytest -q -p no:cacheprovider tests/python

echo "== C++ tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan
