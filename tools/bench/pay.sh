#!/usr/bin/env bash
# Measures creating payments from a static code (resolve + risk + fee quote + durable insert +
# the sandbox channel's precreate), THREADS payers at once, against one aggpayd with every
# service and a MySQL pool of POOL:
#   tools/bench/pay.sh [SECONDS] [THREADS] [POOL]
# Starts its own MariaDB, Redis and aggpayd in a temporary directory (loopback only), onboards a
# merchant with a store and a static code, then runs `loadgen --rpc pay`. Not run in CI.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SECONDS_TO_RUN=${1:-10}
THREADS=${2:-32}
POOL=${3:-16}
bench_stack "$POOL" BENCH_PAY
CODE=$($CTL code issue --merchant "$M" --store "$S" -o json | jq -r .code_id)
"$BUILD/tools/loadgen/loadgen" --addr "127.0.0.1:$GRPC_PORT" --rpc pay --code "$CODE" \
  --threads "$THREADS" --seconds "$SECONDS_TO_RUN"
curl -s "http://127.0.0.1:$HTTP_PORT/metrics" >"${AGGPAY_BENCH_METRICS:-/dev/null}"
