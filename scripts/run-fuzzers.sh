#!/usr/bin/env bash
# Runs every built fuzzer in DIR for SECONDS each, on a scratch copy of its
# committed seed corpus (fuzz/corpus/<name>, or fuzz/corpus/json for
# json_decode and so on) with its dictionary if there is one
# (fuzz/dict/<name>.dict), so that the run never rewrites
# the repository. A crash fails the script and leaves the reproducer in
# artifacts/ beside DIR (build-asan/artifacts/ for `make fuzz`).
set -euo pipefail
dir=${1:?usage: run-fuzzers.sh FUZZ_BIN_DIR SECONDS}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
work="$dir/../fuzz-work"
artifacts="$dir/../artifacts"
mkdir -p "$work" "$artifacts"

status=0
for bin in "$dir"/*_fuzz; do
  [[ -x "$bin" ]] || continue
  name=$(basename "$bin" _fuzz)            # e.g. json_decode, router
  seeds="$root/fuzz/corpus/$name"          # e.g. fuzz/corpus/router
  [[ -d "$seeds" ]] || seeds="$root/fuzz/corpus/${name%%_*}"  # json_decode: fuzz/corpus/json
  dict="$root/fuzz/dict/$name.dict"        # optional libFuzzer dictionary
  dict_flag=()
  [[ -f "$dict" ]] && dict_flag=(-dict="$dict")
  corpus="$work/$name"
  mkdir -p "$corpus"
  [[ -d "$seeds" ]] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
  echo "fuzz: $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
       "${dict_flag[@]}" -print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$corpus" \
       > "$work/$name.log" 2>&1; then
    echo "fuzz: $name FAILED, see $work/$name.log and $artifacts/" >&2
    tail -40 "$work/$name.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$work/$name.log" | tail -1 || true
  fi
done
exit $status
