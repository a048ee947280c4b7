#!/usr/bin/env bash
# Shared by the benchmark scripts: one throw-away stack in a temporary directory (loopback only)
# with an onboarded merchant and a store.
#   bench_stack POOL NAME   starts MariaDB, Redis and aggpayd (every service, mysql.pool_size
#                           POOL), onboards merchant NAME; sets DIR, GRPC_PORT, HTTP_PORT, CTL,
#                           M (merchant id) and S (store id) and stops everything at exit.
#                           AGGPAY_BENCH_EXTRA_YAML: more config lines (a comparison's switch).
#                           AGGPAY_BENCH_DIR=PATH: keep the stack's data in PATH instead of a
#                           temporary directory (servers are still stopped at exit), so a long
#                           generation is done once and a later run starts from its data.
#                           AGGPAY_BENCH_TRANSPORT=plaintext: aggpayd, the gateway's calls
#                           to it and the baselines without TLS (tls.mode plaintext, for a
#                           comparison only); the default, tls, is mutual TLS as in production.
#                           Sets BASELINE_TLS (loadgen baseline server flags), CLIENT_TLS
#                           (loadgen client flags) and H2_SCHEME (h2load's URL scheme), so that
#                           aggpayd and its baselines are always driven over the same transport.
#                           AGGPAY_BENCH_LINK=tcp: aggpayd reaches MariaDB and Redis over
#                           loopback TCP instead of their Unix sockets (the default, socket).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${AGGPAY_BUILD_DIR:-$ROOT/build}
# shellcheck source=../lib/servers.sh
source "$ROOT/tools/lib/servers.sh"
# aggpayd's allocator setting (servers.sh, as its image sets it). The bare baselines get it too,
# so that a ratio compares servers, not allocator settings. Set AGGPAY_BENCH_MALLOC= (empty) to
# measure glibc's default.
AGGPAY_MALLOC_TUNABLES=${AGGPAY_BENCH_MALLOC-$AGGPAYD_GLIBC_TUNABLES}

bench_stack() {
  local pool=$1 name=$2
  PIDS=()
  if [ -n "${AGGPAY_BENCH_DIR:-}" ]; then
    mkdir -p "$AGGPAY_BENCH_DIR"
    DIR=$(cd "$AGGPAY_BENCH_DIR" && pwd)
    trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; stop_all "$DIR"' EXIT
  else
    DIR=$(mktemp -d /tmp/aggpay-bench-XXXXXX)
    trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; stop_all "$DIR"; rm -rf "$DIR"' EXIT
  fi
  # A signal ends the script through its EXIT trap (bash skips it on an untrapped signal), so a
  # benchmark stopped by a test timeout or ^C leaves no servers behind.
  trap 'exit 143' TERM
  trap 'exit 130' INT
  export AGGPAY_MYSQL_PASSWORD=aggpay AGGPAY_INTERNAL_SECRET=bench-internal-secret-0123
  # A kept stack keeps its key too: what it sealed must open on the next run.
  if [ ! -s "$DIR/secret_key" ]; then
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/secret_key")
  fi
  AGGPAY_SECRET_KEY=$(cat "$DIR/secret_key")
  export AGGPAY_SECRET_KEY
  local mysql_port redis_port
  mysql_port=$(free_port); redis_port=$(free_port); GRPC_PORT=$(free_port); HTTP_PORT=$(free_port)
  start_mysql "$DIR" "$mysql_port"
  start_redis "$DIR" "$redis_port"
  # Mutual TLS as in production: the stack's own CA; aggpayctl and loadgen trust it.
  [ -f "$DIR/tls/ca.pem" ] || make_certs "$DIR/tls" monolith gateway
  export AGGPAY_CA_FILE=$DIR/tls/ca.pem
  local tls_yaml="{cert_file: $DIR/tls/monolith.pem, key_file: $DIR/tls/monolith.key, ca_file: $DIR/tls/ca.pem}"
  local ctl_flags=()
  if [ "${AGGPAY_BENCH_TRANSPORT:-tls}" = plaintext ]; then
    tls_yaml="{mode: plaintext}"
    ctl_flags=(--plaintext)
    BASELINE_TLS=()
    CLIENT_TLS=(--plaintext)
    H2_SCHEME=http
  else
    # The baselines serve the same kind of certificate with the same credentials code as aggpayd.
    BASELINE_TLS=(--tls-cert "$DIR/tls/monolith.pem" --tls-key "$DIR/tls/monolith.key"
      --tls-ca "$DIR/tls/ca.pem")
    CLIENT_TLS=()
    H2_SCHEME=https
  fi
  # Everything on one box: MariaDB and Redis are reached through their Unix sockets, as an
  # operator would configure a co-located server. AGGPAY_BENCH_LINK=tcp measures loopback TCP.
  local db_socket=", socket: $DIR/mysql.sock" redis_socket=", socket: $DIR/redis.sock"
  if [ "${AGGPAY_BENCH_LINK:-socket}" = tcp ]; then db_socket=; redis_socket=; fi
  cat >"$DIR/aggpayd.yaml" <<YAML
grpc_listen: 127.0.0.1:$GRPC_PORT
http_listen: 127.0.0.1:$HTTP_PORT
migrations_dir: $ROOT/sql/migrations
mysql: {port: $mysql_port, database: bench, pool_size: $pool$db_socket}
redis: {port: $redis_port$redis_socket}
binding: {resolve_rate_per_second: 1000000, resolve_burst: 1000000, sms_log: $DIR/sms.log}
auth: {public_failures_per_second: 1000000, public_failure_burst: 1000000}
log: {level: warn}
tls: $tls_yaml
${AGGPAY_BENCH_EXTRA_YAML:-}
YAML
  "$BUILD/services/aggpayd/aggpayd" --config "$DIR/aggpayd.yaml" migrate >/dev/null
  GLIBC_TUNABLES=$AGGPAY_MALLOC_TUNABLES \
    "$BUILD/services/aggpayd/aggpayd" --config "$DIR/aggpayd.yaml" serve >"$DIR/aggpayd.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null && break; sleep 0.1; done
  export AGGPAY_GRPC_ADDR=127.0.0.1:$GRPC_PORT
  CTL="$BUILD/tools/aggpayctl/aggpayctl ${ctl_flags[*]}"
  if [ -s "$DIR/stack.env" ]; then  # a kept stack, onboarded by an earlier run
    # shellcheck disable=SC1091
    source "$DIR/stack.env"
    return 0
  fi
  AGGPAY_STAFF_TOKEN=$("$BUILD/services/aggpayd/aggpayd" --config "$DIR/aggpayd.yaml" bootstrap-admin --output json | jq -r .token)
  export AGGPAY_STAFF_TOKEN
  sed "s/APPLY_20261126_0001/$name/" "$ROOT/docs/examples/application.json" >"$DIR/app.json"
  M=$($CTL merchant apply --file "$DIR/app.json" -o json | jq -r .merchant_id)
  $CTL merchant submit "$M" >/dev/null; $CTL merchant review "$M" >/dev/null; $CTL merchant approve "$M" >/dev/null
  S=$($CTL merchant store create "$M" --name S --address A -o json | jq -r .store_id)
  # The payment scenarios send many small payments to one merchant: between midnight and 6:00 in
  # its zone (16:00-22:00 UTC for Asia/Shanghai) the night_small rule would freeze it after 20.
  # The rule stays enabled, so that its evaluation is still measured; only its count is lifted,
  # to its maximum (10^6 in ten minutes).
  $CTL risk set night_small --param count=1000000 --reason "benchmark stack" >/dev/null
  printf 'export AGGPAY_STAFF_TOKEN=%q\nM=%q\nS=%q\n' "$AGGPAY_STAFF_TOKEN" "$M" "$S" >"$DIR/stack.env"
}

# The gateway's flags to reach the stack's aggpayd: its own certificate (mutual TLS), or
# --plaintext with AGGPAY_BENCH_TRANSPORT=plaintext. Sets the array GATEWAY_TLS.
gateway_tls_flags() {
  GATEWAY_TLS=(--plaintext)
  if [ "${AGGPAY_BENCH_TRANSPORT:-tls}" != plaintext ]; then
    GATEWAY_TLS=(--grpc-ca "$DIR/tls/ca.pem" --grpc-cert "$DIR/tls/gateway.pem" --grpc-key "$DIR/tls/gateway.key")
  fi
}
