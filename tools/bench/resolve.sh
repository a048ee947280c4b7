#!/usr/bin/env bash
# Measures the code resolve hot path as a ratio against the bare callback-API gRPC server, in
# one run:
#   tools/bench/resolve.sh [SECONDS] [THREADS] [ROUNDS]
# Starts its own MariaDB, Redis and aggpayd in a temporary directory (loopback only), onboards a
# merchant with one terminal code, then, ROUNDS times (default 1), drives the same client with
# the same flags against `loadgen --callback-server` (the reference), aggpayd, and `loadgen
# --echo-server` (gRPC's synchronous API, for comparison), one after the other, and prints each
# round's ratios. The client is h2load (16 connections x THREADS streams) when installed,
# loadgen's closed loop (THREADS in flight) otherwise or with AGGPAY_BENCH_CLIENT=loadgen. All
# over TLS, or all in plaintext with AGGPAY_BENCH_TRANSPORT=plaintext. tools/bench/run measures
# this and the other budgets, open-loop too. Not run in CI.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SECONDS_TO_RUN=${1:-10}
THREADS=${2:-16}
ROUNDS=${3:-1}
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
CLIENT=${AGGPAY_BENCH_CLIENT:-h2load}
command -v h2load >/dev/null || CLIENT=loadgen
python3 -c "
import struct, sys
code = sys.argv[1].encode()
msg = b'\x0a' + bytes([len(code)]) + code  # ResolveCodeRequest{code = 1}
sys.stdout.buffer.write(b'\x00' + struct.pack('>I', len(msg)) + msg)" "$CODE" >"$DIR/resolve.bin"
drive() {  # drive PORT: prints calls per second
  if [ "$CLIENT" = h2load ]; then
    h2load -t 1 -c 16 -m "$THREADS" -D "$SECONDS_TO_RUN" -H 'content-type: application/grpc' \
      -H 'te: trailers' -d "$DIR/resolve.bin" \
      "$H2_SCHEME://127.0.0.1:$1/aggpay.v1.BindingService/ResolveCode" 2>&1 |
      sed -n 's/.*finished in [0-9.]*s, \([0-9.]*\) req\/s.*/\1/p'
  else
    "$BUILD/tools/loadgen/loadgen" --addr "127.0.0.1:$1" "${CLIENT_TLS[@]}" --code "$CODE" \
      --seconds "$SECONDS_TO_RUN" --threads "$THREADS" | jq .per_second
  fi
}
echo "client: $CLIENT, transport: ${AGGPAY_BENCH_TRANSPORT:-tls}"
for round in $(seq 1 "$ROUNDS"); do
  CALLBACK=$(drive "$CALLBACK_PORT")
  RESOLVE=$(drive "$GRPC_PORT")
  SYNC=$(drive "$SYNC_PORT")
  python3 -c "import sys; r, c, a, s = sys.argv[1], *map(float, sys.argv[2:5]); print('round %s: callback %.0f/s, aggpayd %.0f/s, sync %.0f/s; aggpayd/callback %.2f (goal >= 0.7), sync/callback %.2f' % (r, c, a, s, a / c, s / c))" "$round" "$CALLBACK" "$RESOLVE" "$SYNC"
done
