#!/usr/bin/env bash
# The main job on bundled example data: installs what is missing, builds, then
#  1. generates a province-wide synthetic pool of 200,000 nominees (deterministic by seed),
#  2. loads it and prints a summary per district,
#  3. scores it with the bundled criteria set, checks eligibility with the bundled rule set, and
#     selects 300 nominees apportioned across districts, writing one result row per nominee and
#     the selection report a review council signs (out/report.html, see docs/report.md).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build.sh" release
cd "$KHUYENHOC_ROOT"
bin=build/release/src/khuyenhoc
mkdir -p out
"$bin" generate --size 200000 --seed 2024 -o out/pool.csv
"$bin" summary --pool out/pool.csv --by district
echo
"$bin" select --pool out/pool.csv \
  --criteria examples/criteria/honour_pupils.yaml --rules examples/rules/honour_pupils.yaml \
  --seats 300 --per district --method largest_remainder \
  --order "exam_score desc" --order "name:full_name" \
  --organisation "SỞ GIÁO DỤC VÀ ĐÀO TẠO (ví dụ)" --place "Hải Phòng" \
  --out out/result.csv --report out/report.html
