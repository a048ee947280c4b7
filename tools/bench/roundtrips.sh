#!/usr/bin/env bash
# Counts the round trips behind one request of each scenario: MariaDB statements (by command:
# prepare, execute, close, query, commit...) and Redis commands, as deltas of the servers' own
# counters over a short loadgen run divided by its calls:
#   tools/bench/roundtrips.sh [SECONDS] [SCENARIOS]     (SCENARIOS: "rest checkin pay")
# AGGPAY_RT_PAYERS=N pays with N concurrent payers (default 4; more share group commits).
# AGGPAY_RT_LOG=1 also lists the statements by text (MariaDB's general query log), per call.
# Starts its own stack (tools/bench/lib.sh) and the REST gateway. Not run in CI.
set -euo pipefail
SECS=${1:-2}; SCENARIOS=${2:-rest checkin pay}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
AGGPAY_BENCH_EXTRA_YAML="merchant_api: {rate_per_second: 1000000, burst: 1000000}" \
  bench_stack 16 BENCH_RT
LOADGEN=$BUILD/tools/loadgen/loadgen
CODE=$($CTL code issue --merchant "$M" --store "$S" -o json | jq -r .code_id)
KEY=$($CTL merchant key create "$M" -o json)
export AGGPAY_KEY_SECRET
AGGPAY_KEY_SECRET=$(jq -r .secret <<<"$KEY")
REST_PORT=$(free_port)
gateway_tls_flags
"$BUILD/services/gateway/aggpay-gateway" --listen "127.0.0.1:$REST_PORT" \
  --grpc-addr "127.0.0.1:$GRPC_PORT" "${GATEWAY_TLS[@]}" >"$DIR/gateway.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$REST_PORT/healthz" >/dev/null && break; sleep 0.1; done
snapshot() {  # NAME VALUE lines: MariaDB Com_* and Questions, Redis calls per command
  mariadb --no-defaults -S "$DIR/mysql.sock" -uroot -N -e \
    "SHOW GLOBAL STATUS WHERE (Variable_name LIKE 'Com\\_%' OR Variable_name = 'Questions') AND Value > 0" |
    awk '{ print "mysql." $1, $2 }'
  redis-cli -p "$(awk '/^redis:/ { gsub(/[^0-9]/, "", $3); print $3 }' "$DIR/aggpayd.yaml")" \
    info commandstats | tr -d '\r' | sed -n 's/^cmdstat_\([a-z|]*\):calls=\([0-9]*\),.*/redis.\1 \2/p'
}
for sc in $SCENARIOS; do
  case "$sc" in
    rest) args=(--rpc rest --rest-url "http://127.0.0.1:$REST_PORT" --key-id "$(jq -r .key.key_id <<<"$KEY")"
                --path /v1/merchant --threads 4) ;;
    checkin) act=$($CTL terminal code --merchant "$M" --store "$S" --max-uses 8 -o json | jq -r .code)
             args=(--addr "127.0.0.1:$GRPC_PORT" --rpc checkin --activation-code "$act" --terminals 8) ;;
    pay) args=(--addr "127.0.0.1:$GRPC_PORT" --rpc pay --code "$CODE" --threads "${AGGPAY_RT_PAYERS:-4}") ;;
  esac
  sleep 1.5  # let the relays' periodic work of the last scenario pass
  before=$(snapshot)
  if [ -n "${AGGPAY_RT_LOG:-}" ]; then
    mariadb --no-defaults -S "$DIR/mysql.sock" -uroot -e \
      "SET GLOBAL general_log_file = '$DIR/general-$sc.log'; SET GLOBAL general_log = 1"
  fi
  line=$("$LOADGEN" "${args[@]}" --seconds "$SECS" 2>/dev/null || true)
  after=$(snapshot)
  [ -z "${AGGPAY_RT_LOG:-}" ] || mariadb --no-defaults -S "$DIR/mysql.sock" -uroot -e "SET GLOBAL general_log = 0"
  calls=$(jq -r .calls <<<"$line")
  echo "$sc: $calls calls, errors $(jq -r .errors <<<"$line"); per call:"
  join -a2 <(sort <<<"$before") <(sort <<<"$after") | awk -v n="$calls" \
    'NF == 2 { $3 = $2; $2 = 0 } { d = $3 - $2; if (d > 0 && $1 !~ /Com_show_status|Com_set_option/) printf "  %-36s %6.2f\n", $1, d / n }'
  if [ -n "${AGGPAY_RT_LOG:-}" ]; then  # the statements themselves, by text, per call
    awk -F'\t' 'NF >= 2 { c = $(NF - 1); sub(/^ *[0-9]+ /, "", c); print c "\t" substr($NF, 1, 110) }' "$DIR/general-$sc.log" |
      grep -v 'general_log' | sort | uniq -c | sort -rn | awk -v n="$calls" '{ c = $1; $1 = ""; printf "  %6.2f %s\n", c / n, $0 }' | awk 'NR <= 40'  # not head: under pipefail its early exit ended the script
  fi
done
