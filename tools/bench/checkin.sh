#!/usr/bin/env bash
# Measures a store's morning check-in storm: TERMINALS terminals of one store checking in at
# once, over and over, against one aggpayd with every service and a MySQL pool of POOL:
#   tools/bench/checkin.sh [SECONDS] [TERMINALS] [POOL]
# Starts its own MariaDB, Redis and aggpayd in a temporary directory (loopback only), onboards
# a merchant and a store, then runs `loadgen --rpc checkin`. Not run in CI.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SECONDS_TO_RUN=${1:-10}
TERMINALS=${2:-64}
POOL=${3:-16}
bench_stack "$POOL" BENCH_CHECKIN
CODE=$($CTL terminal code --merchant "$M" --store "$S" --max-uses "$TERMINALS" -o json | jq -r .code)
"$BUILD/tools/loadgen/loadgen" --addr "127.0.0.1:$GRPC_PORT" --rpc checkin \
  --activation-code "$CODE" --terminals "$TERMINALS" --seconds "$SECONDS_TO_RUN"
