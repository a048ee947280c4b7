#!/usr/bin/env bash
# CI smoke test of the benchmark runner: `tools/bench/run --quick --json` runs to the end and
# prints exactly one JSON object with every key of the report, each a number. It asserts
# nothing about the numbers themselves: the machine that runs CI is not the benchmark machine.
set -euo pipefail
RUN="$(dirname "${BASH_SOURCE[0]}")/run"
out=$("$RUN" --quick --json)
python3 - "$out" <<'PY'
import json, sys
text = sys.argv[1]
lines = [l for l in text.splitlines() if l.strip()]
assert len(lines) == 1, f"expected one line of JSON on stdout, got {len(lines)}:\n{text}"
report = json.loads(lines[0])
want = {
    "resolve": ["rps", "p99_ms", "echo_rps", "ratio_vs_echo", "wake_floor_p99_ms"],
    "checkin": ["per_s", "failures"],
    "payment": ["committed_per_s", "p99_ms"],
    "rest": ["rps", "p99_ms"],
    "settlement": ["payments", "seconds", "groupby_seconds", "ratio_vs_groupby"],
    "fee_quote": ["per_s"],
}
bad = []
def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)
for group, keys in want.items():
    for k in keys:
        if not is_number(report.get(group, {}).get(k)):
            bad.append(f"{group}.{k} = {report.get(group, {}).get(k)!r}")
if not is_number(report.get("rss_idle_mb")):
    bad.append(f"rss_idle_mb = {report.get('rss_idle_mb')!r}")
assert not bad, "missing or not a number: " + ", ".join(bad) + "\n" + lines[0]
print(lines[0])
PY
