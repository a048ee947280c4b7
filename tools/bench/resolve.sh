#!/usr/bin/env bash
# Measures the code resolve hot path as a ratio against a bare gRPC server, in one run:
#   tools/bench/resolve.sh [SECONDS] [THREADS]
# Starts its own MariaDB, Redis and aggpayd in a temporary directory (loopback only), onboards a
# merchant with one terminal code, then drives loadgen against aggpayd and against
# `loadgen --echo-server` with the same flags. Not run in CI.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SECONDS_TO_RUN=${1:-10}
THREADS=${2:-16}
ECHO_PORT=$(free_port)
bench_stack 8 BENCH_1
CODE=$($CTL code issue --merchant "$M" --store "$S" -o json | jq -r .code_id)
"$BUILD/tools/loadgen/loadgen" --echo-server --addr "127.0.0.1:$ECHO_PORT" 2>/dev/null &
PIDS+=($!)
sleep 0.5
RESOLVE=$("$BUILD/tools/loadgen/loadgen" --addr "127.0.0.1:$GRPC_PORT" --code "$CODE" --seconds "$SECONDS_TO_RUN" --threads "$THREADS")
ECHO=$("$BUILD/tools/loadgen/loadgen" --addr "127.0.0.1:$ECHO_PORT" --code "$CODE" --seconds "$SECONDS_TO_RUN" --threads "$THREADS")
echo "resolve: $RESOLVE"
echo "echo:    $ECHO"
python3 -c "import json,sys; r=json.loads(sys.argv[1]); e=json.loads(sys.argv[2]); print('ratio resolve/echo: %.2f' % (r['per_second']/e['per_second']))" "$RESOLVE" "$ECHO"
