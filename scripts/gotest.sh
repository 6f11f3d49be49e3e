#!/usr/bin/env bash
# Runs go test with the given arguments, keeps the verbose log in out/, and
# ends with every skipped test and its reason, so that no skip is silent.
set -euo pipefail
mkdir -p out
log=out/test.log
set +e
go test -v "$@" 2>&1 | tee "$log" | grep --line-buffered -vE '^(=== (RUN|PAUSE|CONT)|\s*--- PASS)'
status=${PIPESTATUS[0]}
set -e
# go test -v prints a skip's reason just before its "--- SKIP" line.
skips=$(grep -E -B1 -- '--- SKIP' "$log" | grep -vE -- '^--$' || true)
if [ -n "$skips" ]; then
  echo
  echo "Skipped tests (and why):"
  echo "$skips"
fi
pass=$(grep -cE -- '--- PASS' "$log" || true)
fail=$(grep -cE -- '--- FAIL' "$log" || true)
skip=$(grep -cE -- '--- SKIP' "$log" || true)
echo
echo "$pass passed, $fail failed, $skip skipped"
exit "$status"
