#!/usr/bin/env bash
# Measures creating payments from a static code (resolve + risk + fee quote + durable insert +
# the sandbox channel's precreate), THREADS payers at once, against one aggpayd with every
# service and a MySQL pool of POOL:
#   tools/bench/pay.sh [SECONDS] [THREADS] [POOL]
# Starts its own MariaDB, Redis and aggpayd in a temporary directory (loopback only), onboards a
# merchant with a store and a static code, then runs `loadgen --rpc pay`. Not run in CI.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${AGGPAY_BUILD_DIR:-$ROOT/build}
SECONDS_TO_RUN=${1:-10}
THREADS=${2:-32}
POOL=${3:-16}
source "$ROOT/tools/lib/servers.sh"
DIR=$(mktemp -d /tmp/aggpay-bench-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  stop_all "$DIR"
  rm -rf "$DIR"
}
trap cleanup EXIT
export AGGPAY_MYSQL_PASSWORD=aggpay AGGPAY_INTERNAL_SECRET=bench-internal-secret-0123
export AGGPAY_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
MYSQL_PORT=$(free_port); REDIS_PORT=$(free_port); GRPC_PORT=$(free_port); HTTP_PORT=$(free_port)
start_mysql "$DIR" "$MYSQL_PORT"
start_redis "$DIR" "$REDIS_PORT"
cat >"$DIR/aggpayd.yaml" <<YAML
grpc_listen: 127.0.0.1:$GRPC_PORT
http_listen: 127.0.0.1:$HTTP_PORT
migrations_dir: $ROOT/sql/migrations
mysql: {port: $MYSQL_PORT, database: bench, pool_size: $POOL}
redis: {port: $REDIS_PORT}
binding: {resolve_rate_per_second: 1000000, resolve_burst: 1000000, sms_log: $DIR/sms.log}
auth: {public_failures_per_second: 1000000, public_failure_burst: 1000000}
log: {level: warn}
YAML
"$BUILD/services/aggpayd/aggpayd" --config "$DIR/aggpayd.yaml" migrate >/dev/null
"$BUILD/services/aggpayd/aggpayd" --config "$DIR/aggpayd.yaml" serve >"$DIR/aggpayd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null && break; sleep 0.1; done
export AGGPAY_GRPC_ADDR=127.0.0.1:$GRPC_PORT
export AGGPAY_STAFF_TOKEN=$("$BUILD/services/aggpayd/aggpayd" --config "$DIR/aggpayd.yaml" bootstrap-admin --output json | jq -r .token)
CTL="$BUILD/tools/aggpayctl/aggpayctl"
sed 's/APPLY_20261126_0001/BENCH_PAY/' "$ROOT/docs/examples/application.json" >"$DIR/app.json"
M=$($CTL merchant apply --file "$DIR/app.json" -o json | jq -r .merchant_id)
$CTL merchant submit "$M" >/dev/null; $CTL merchant review "$M" >/dev/null; $CTL merchant approve "$M" >/dev/null
S=$($CTL merchant store create "$M" --name S --address A -o json | jq -r .store_id)
CODE=$($CTL code issue --merchant "$M" --store "$S" -o json | jq -r .code_id)
"$BUILD/tools/loadgen/loadgen" --addr "127.0.0.1:$GRPC_PORT" --rpc pay --code "$CODE" \
  --threads "$THREADS" --seconds "$SECONDS_TO_RUN"
curl -s "http://127.0.0.1:$HTTP_PORT/metrics" >"${AGGPAY_BENCH_METRICS:-/dev/null}"
