#!/usr/bin/env bash
# Measures the code resolve hot path as a ratio against the bare callback-API gRPC server, in
# one run:
#   tools/bench/resolve.sh [SECONDS] [THREADS]
# Starts its own MariaDB, Redis and aggpayd in a temporary directory (loopback only), onboards a
# merchant with one terminal code, then drives loadgen (closed loop) with the same flags against
# `loadgen --callback-server` (the reference), aggpayd, and `loadgen --echo-server` (gRPC's
# synchronous API, for comparison). tools/bench/run measures this and the other budgets,
# open-loop too. Not run in CI.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SECONDS_TO_RUN=${1:-10}
THREADS=${2:-16}
CALLBACK_PORT=$(free_port)
SYNC_PORT=$(free_port)
bench_stack 8 BENCH_1
CODE=$($CTL code issue --merchant "$M" --store "$S" -o json | jq -r .code_id)
"$BUILD/tools/loadgen/loadgen" --callback-server --addr "127.0.0.1:$CALLBACK_PORT" "${BASELINE_TLS[@]}" 2>/dev/null &
PIDS+=($!)
"$BUILD/tools/loadgen/loadgen" --echo-server --addr "127.0.0.1:$SYNC_PORT" "${BASELINE_TLS[@]}" 2>/dev/null &
PIDS+=($!)
sleep 0.5
# Every target over the same transport (lib.sh: TLS by default, AGGPAY_BENCH_TRANSPORT=plaintext).
drive() { "$BUILD/tools/loadgen/loadgen" --addr "$@" "${CLIENT_TLS[@]}" --code "$CODE" --seconds "$SECONDS_TO_RUN" --threads "$THREADS"; }
CALLBACK=$(drive "127.0.0.1:$CALLBACK_PORT")
RESOLVE=$(drive "127.0.0.1:$GRPC_PORT")
SYNC=$(drive "127.0.0.1:$SYNC_PORT")
echo "callback: $CALLBACK"
echo "resolve:  $RESOLVE"
echo "sync:     $SYNC"
python3 -c "import json,sys; c, r, s = (json.loads(a)['per_second'] for a in sys.argv[1:4]); print('ratio resolve/callback: %.2f (goal >= 0.7); sync/callback: %.2f' % (r / c, s / c))" "$CALLBACK" "$RESOLVE" "$SYNC"
