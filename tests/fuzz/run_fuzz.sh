#!/usr/bin/env bash
# One fuzz test (CTest label `fuzz`, docs/security.md "Fuzzing"):
#   tests/fuzz/run_fuzz.sh FUZZER NAME SECONDS
# 1. runs every input under tests/fuzz/regressions/NAME/ once (each once crashed or broke a
#    property; they must pass for ever);
# 2. fuzzes for SECONDS from a copy of tests/fuzz/corpus/NAME/ (with tests/fuzz/NAME.dict when
#    there is one), so the checked-in corpus is never modified.
# A crash or a broken property fails the test; the input is kept under
# $AGGPAY_BUILD_DIR/fuzz/artifacts/NAME/ to be fixed and then added to regressions/NAME/.
# AGGPAY_FUZZ_WORK=DIR keeps the working corpus in DIR instead of a temporary copy (long local
# sessions, tools/aggpay fuzz), so that a later run goes on from what the last one found.
set -euo pipefail

[ $# -eq 3 ] || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
fuzzer=$1 name=$2 seconds=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${AGGPAY_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
artifacts=${AGGPAY_BUILD_DIR:-$src/build}/fuzz/artifacts/$name
corpus=$src/tests/fuzz/corpus/$name
regressions=$src/tests/fuzz/regressions/$name
dict=$src/tests/fuzz/$name.dict

[ -x "$fuzzer" ] || { echo "run_fuzz: $fuzzer is not built (AGGPAY_FUZZ)" >&2; exit 1; }
[ -d "$corpus" ] || { echo "run_fuzz: no corpus at $corpus" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/aggpay-fuzz-$name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/artifacts"

# ASan: a leak is a finding too; UBSan's report carries a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

keep_artifacts() {
  mkdir -p "$artifacts"
  cp "$tmp"/artifacts/* "$artifacts"/ 2>/dev/null || true
  echo "run_fuzz: $name failed; the inputs are kept in $artifacts (fix the parser, then add" \
       "them to tests/fuzz/regressions/$name/)" >&2
}

mapfile -t cases < <(find "$regressions" -type f ! -name 'README*' 2>/dev/null | LC_ALL=C sort)
if [ ${#cases[@]} -gt 0 ]; then
  echo "run_fuzz: $name: ${#cases[@]} regression input(s)"
  if ! "$fuzzer" -artifact_prefix="$tmp/artifacts/" "${cases[@]}" >"$tmp/regressions.log" 2>&1; then
    cat "$tmp/regressions.log" >&2
    keep_artifacts
    exit 1
  fi
fi

work=${AGGPAY_FUZZ_WORK:-$tmp/corpus}
mkdir -p "$work"
cp -n "$corpus"/* "$work"/ 2>/dev/null || true
args=(-max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 -max_len=4096
      -print_final_stats=1 -artifact_prefix="$tmp/artifacts/")
[ -f "$dict" ] && args+=(-dict="$dict")
echo "run_fuzz: $name: fuzzing for ${seconds}s from $(ls "$corpus" | wc -l) seed(s)"
if ! "$fuzzer" "${args[@]}" "$work" >"$tmp/fuzz.log" 2>&1; then
  tail -n 80 "$tmp/fuzz.log" >&2
  keep_artifacts
  exit 1
fi
grep -E '^stat::(number_of_executed_units|new_units_added)|^Done ' "$tmp/fuzz.log" || true
echo "run_fuzz: $name: passed"
