#!/usr/bin/env bash
# A long fuzzing run (docs/reliability.md): every libFuzzer target of tests/fuzz/ (or those
# named) for SECONDS each, from its seed corpus; new inputs are then minimised and merged into
# tests/fuzz/corpus/<target>/ (review and commit them). Crashes are left as
# build/fuzz/artifacts/<target>-crash-* and make the script fail.
#   scripts/fuzz.sh [SECONDS=600] [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
mkdir -p build/fuzz/artifacts
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in build/fuzz/tests/fuzz/*_fuzz; do targets+=("$(basename "$f" _fuzz)"); done
fi
status=0
for name in "${targets[@]}"; do
  fuzzer=build/fuzz/tests/fuzz/${name}_fuzz
  work=$(mktemp -d)
  echo "== $name: ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$name-" \
      "$work" "tests/fuzz/corpus/$name"; then
    status=1
  fi
  # Keep only inputs that add coverage, minimised, in the committed corpus.
  "$fuzzer" -merge=1 "tests/fuzz/corpus/$name" "$work" >/dev/null 2>&1 || status=1
  rm -rf "$work"
done
exit $status
