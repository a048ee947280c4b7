#!/usr/bin/env bash
# Measures a store's morning check-in storm: TERMINALS terminals of one store checking in at
# once, over and over, against one aggpayd with every service and a MySQL pool of POOL:
#   tools/bench/checkin.sh [SECONDS] [TERMINALS] [POOL]
# Starts its own MariaDB, Redis and aggpayd in a temporary directory (loopback only), onboards
# a merchant and a store, then runs `loadgen --rpc checkin`. Not run in CI.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${AGGPAY_BUILD_DIR:-$ROOT/build}
SECONDS_TO_RUN=${1:-10}
TERMINALS=${2:-64}
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
log: {level: warn}
YAML
"$BUILD/services/aggpayd/aggpayd" --config "$DIR/aggpayd.yaml" migrate >/dev/null
"$BUILD/services/aggpayd/aggpayd" --config "$DIR/aggpayd.yaml" serve >"$DIR/aggpayd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null && break; sleep 0.1; done
export AGGPAY_GRPC_ADDR=127.0.0.1:$GRPC_PORT
export AGGPAY_STAFF_TOKEN=$("$BUILD/services/aggpayd/aggpayd" --config "$DIR/aggpayd.yaml" bootstrap-admin --output json | jq -r .token)
CTL="$BUILD/tools/aggpayctl/aggpayctl"
sed 's/APPLY_20261126_0001/BENCH_CHECKIN/' "$ROOT/docs/examples/application.json" >"$DIR/app.json"
M=$($CTL merchant apply --file "$DIR/app.json" -o json | jq -r .merchant_id)
$CTL merchant submit "$M" >/dev/null; $CTL merchant review "$M" >/dev/null; $CTL merchant approve "$M" >/dev/null
S=$($CTL merchant store create "$M" --name S --address A -o json | jq -r .store_id)
CODE=$($CTL terminal code --merchant "$M" --store "$S" --max-uses "$TERMINALS" -o json | jq -r .code)
"$BUILD/tools/loadgen/loadgen" --addr "127.0.0.1:$GRPC_PORT" --rpc checkin \
  --activation-code "$CODE" --terminals "$TERMINALS" --seconds "$SECONDS_TO_RUN"
