#!/usr/bin/env bash
# Before/after in one run: alternates two builds' aggpayd and gateway on one MariaDB and Redis,
# so that the machine's load falls on both alike; prints each run's loadgen line, then the
# new/old ratio of each scenario and round:
#   tools/bench/ab.sh OLD_BUILD NEW_BUILD [ROUNDS] [SECONDS] [SCENARIOS]
# SCENARIOS: any of "rest checkin pay resolve resolve-open" (default the first three). Each
# round runs both builds for every scenario, OLD first in odd rounds and NEW first in even ones
# (rest: 16 signed clients of GET /v1/merchant through the gateway; checkin: 64 fresh
# terminals; pay: 32 payers of one static code; resolve: 16 calls in flight of one cached code;
# resolve-open: the same at AGGPAY_AB_RATE calls/s open loop, default 20000). Use an even
# number of rounds. AGGPAY_AB_PERF=DIR records
# `perf record -a -g` (the whole machine: aggpayd, the gateway, MariaDB, Redis, loadgen) during
# each run into DIR. Rate limits are lifted as in `run`.
# Besides the rate, each run reports the CPU time per call of aggpayd, the gateway, MariaDB and
# Redis (their utime + stime over the run, from /proc, divided by the calls): far less noisy than
# the rate on a shared machine, since it does not depend on how much of the CPU the run got.
# OLD_BUILD is typically a copy of build/ made before the change (binaries only are needed:
# services/aggpayd/aggpayd, services/gateway/aggpay-gateway, tools/loadgen/loadgen is NEW's).
# The schema is NEW's migrations; OLD must run on it. AGGPAY_AB_OLD_SED=SCRIPT runs OLD on its own
# copy of the config, edited by that sed script (a configuration A/B with one build as both:
# AGGPAY_AB_OLD_SED='s/, socket: [^,}]*//g' compares loopback TCP with the Unix sockets). An OLD
# build older than the `socket` settings needs AGGPAY_BENCH_LINK=tcp. Not run in CI.
set -euo pipefail
OLD=$(cd "$1" && pwd); NEW=$(cd "$2" && pwd)
ROUNDS=${3:-2}; SECS=${4:-6}; SCENARIOS=${5:-rest checkin pay}
export AGGPAY_BUILD_DIR=$NEW
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
AGGPAY_BENCH_EXTRA_YAML="merchant_api: {rate_per_second: 1000000, burst: 1000000}" \
  bench_stack 16 BENCH_AB
CODE=$($CTL code issue --merchant "$M" --store "$S" -o json | jq -r .code_id)
KEY=$($CTL merchant key create "$M" -o json)
# bench_stack started NEW's aggpayd; each run below starts its own.
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true
PIDS=()
LOADGEN=$NEW/tools/loadgen/loadgen
KEY_ID=$(jq -r .key.key_id <<<"$KEY")
export AGGPAY_KEY_SECRET
AGGPAY_KEY_SECRET=$(jq -r .secret <<<"$KEY")
REST_PORT=$(free_port)
gateway_tls_flags

if [ -n "${AGGPAY_AB_OLD_SED:-}" ]; then
  sed "$AGGPAY_AB_OLD_SED" "$DIR/aggpayd.yaml" >"$DIR/aggpayd-old.yaml"
fi
start() {  # start BUILD WHICH: aggpayd and the gateway of BUILD, with WHICH's config
  local config=$DIR/aggpayd.yaml
  [ "$2" = old ] && [ -n "${AGGPAY_AB_OLD_SED:-}" ] && config=$DIR/aggpayd-old.yaml
  GLIBC_TUNABLES=$AGGPAY_MALLOC_TUNABLES \
    "$1/services/aggpayd/aggpayd" --config "$config" serve >>"$DIR/aggpayd.log" 2>&1 &
  AGGPAYD=$!
  PIDS+=("$AGGPAYD")
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null && break; sleep 0.1; done
  "$1/services/gateway/aggpay-gateway" --listen "127.0.0.1:$REST_PORT" \
    --grpc-addr "127.0.0.1:$GRPC_PORT" "${GATEWAY_TLS[@]}" >>"$DIR/gateway.log" 2>&1 &
  GATEWAY=$!
  PIDS+=("$GATEWAY")
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$REST_PORT/healthz" >/dev/null && break; sleep 0.1; done
}
stop() {
  kill "$GATEWAY" "$AGGPAYD" 2>/dev/null || true
  wait "$GATEWAY" "$AGGPAYD" 2>/dev/null || true
  PIDS=()
}
cpu_ticks() {  # utime + stime, in clock ticks, of aggpayd, the gateway, MariaDB and Redis
  local p t out=()
  for p in "$AGGPAYD" "$GATEWAY" "$(cat "$DIR/mysql.pid" 2>/dev/null)" "$(cat "$DIR/redis.pid" 2>/dev/null)"; do
    t=0
    # Fields 14 and 15 of /proc/PID/stat, counted after the command's closing parenthesis.
    [ -n "$p" ] && [ -r "/proc/$p/stat" ] && t=$(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')
    out+=("$t")
  done
  echo "${out[*]}"
}
scenario() {  # scenario NAME: the loadgen arguments of one scenario
  case "$1" in
    rest) echo --rpc rest --rest-url "http://127.0.0.1:$REST_PORT" --key-id "$KEY_ID" \
            --path /v1/merchant --threads 16 ;;
    checkin)
      local act
      act=$($CTL terminal code --merchant "$M" --store "$S" --max-uses 64 -o json | jq -r .code)
      echo --addr "127.0.0.1:$GRPC_PORT" ${CLIENT_TLS[*]} --rpc checkin --activation-code "$act" --terminals 64 ;;
    pay) echo --addr "127.0.0.1:$GRPC_PORT" ${CLIENT_TLS[*]} --rpc pay --code "$CODE" --threads 32 ;;
    resolve) echo --addr "127.0.0.1:$GRPC_PORT" ${CLIENT_TLS[*]} --rpc resolve --code "$CODE" --threads 16 ;;
    resolve-open) echo --addr "127.0.0.1:$GRPC_PORT" ${CLIENT_TLS[*]} --rpc resolve --code "$CODE" --mode open \
                    --rate "${AGGPAY_AB_RATE:-20000}" ;;
  esac
}
{
for round in $(seq 1 "$ROUNDS"); do
  for sc in $SCENARIOS; do
    # Odd rounds run OLD first, even rounds NEW first: what a run leaves behind (a payments
    # table grown by the first's inserts, a warmer buffer pool) then falls on both alike.
    order="old new"
    [ $((round % 2)) = 0 ] && order="new old"
    for which in $order; do
      build=$OLD; [ "$which" = new ] && build=$NEW
      start "$build" "$which"
      # shellcheck disable=SC2046
      args=$(scenario "$sc")
      perf_pid=
      if [ -n "${AGGPAY_AB_PERF:-}" ]; then
        mkdir -p "$AGGPAY_AB_PERF"
        perf record -a -g -F 499 -o "$AGGPAY_AB_PERF/$sc-$which-$round.data" \
          >/dev/null 2>&1 &
        perf_pid=$!
      fi
      cpu_before=$(cpu_ticks)
      # shellcheck disable=SC2086
      line=$("$LOADGEN" $args --seconds "$SECS" 2>>"$DIR/loadgen.err" || true)
      cpu_after=$(cpu_ticks)
      line=$(jq -c --arg b "$cpu_before" --arg a "$cpu_after" --argjson hz "$(getconf CLK_TCK)" \
        '. as $l | ($b | split(" ") | map(tonumber)) as $b | ($a | split(" ") | map(tonumber)) as $a
         | ([range(0; 4)] | map(($a[.] - $b[.]) / $hz * 1e6 / ([$l.calls, 1] | max) | round))
         as $us | $l + {cpu_us_per_call: {aggpayd: $us[0], gateway: $us[1], mariadb: $us[2],
                                           redis: $us[3]}}' <<<"$line" 2>/dev/null || echo "$line")
      [ -z "${AGGPAY_AB_ERR:-}" ] || tail -3 "$DIR/loadgen.err" >&2
      if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; fi
      echo "round $round $sc $which $line"
      stop
    done
  done
done
# The same run as ratios, one line per scenario and round.
} | tee "$DIR/ab.txt"
python3 - "$DIR/ab.txt" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    parts = line.split(" ", 4)
    if len(parts) < 5 or not parts[4].strip().startswith("{"):
        continue
    rows.setdefault((parts[2], int(parts[1])), {})[parts[3]] = json.loads(parts[4])
for (sc, r), v in sorted(rows.items()):
    o, n = v.get("old", {}), v.get("new", {})
    if not o.get("per_second") or "per_second" not in n:
        continue
    print(f"{sc:12} round {r}: {o['per_second']:6} -> {n['per_second']:6}/s "
          f"({n['per_second'] / o['per_second']:.2f}x)  p99 {o['p99_us'] / 1000:.1f} -> "
          f"{n['p99_us'] / 1000:.1f} ms  errors {o['errors']} / {n['errors']}")
    oc, nc = o.get("cpu_us_per_call"), n.get("cpu_us_per_call")
    if oc and nc:
        parts = [f"{k} {oc[k]} -> {nc[k]}" for k in ("aggpayd", "gateway", "mariadb", "redis")
                 if oc[k] or nc[k]]
        ot, nt = sum(oc.values()), sum(nc.values())
        print(f"{'':12} cpu us/call: {', '.join(parts)}; total {ot} -> {nt}"
              + (f" ({nt / ot:.2f}x)" if ot else ""))
PY
