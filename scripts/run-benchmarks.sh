#!/usr/bin/env bash
# Runs the micro-benchmarks in DIR and prints their tables (see docs/PERFORMANCE.md).
set -euo pipefail
dir=${1:?usage: run-benchmarks.sh BENCH_BIN_DIR [benchmark args...]}
shift
for bin in "$dir"/*_bench; do
  [[ -x "$bin" ]] || continue
  echo "== $(basename "$bin")"
  "$bin" --benchmark_min_time=0.2 "$@"
done
