#!/usr/bin/env bash
# Configures and builds one CMake preset (default: release) after scripts/setup.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
preset=${1:-release}
cd "$KHUYENHOC_ROOT"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
