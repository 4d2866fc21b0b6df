#!/usr/bin/env bash
# The main job on bundled example data: installs what is missing, builds, then generates a
# province-wide synthetic pool of 200,000 nominees, loads it, and prints a summary per district.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build.sh" release
cd "$KHUYENHOC_ROOT"
bin=build/release/src/khuyenhoc
mkdir -p out
"$bin" generate --size 200000 --seed 2024 -o out/pool.csv
"$bin" summary --pool out/pool.csv --by district
