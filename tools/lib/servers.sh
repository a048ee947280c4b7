#!/usr/bin/env bash
# Starts and stops the real MariaDB and Redis servers that the local stack and the tests use,
# each in its own directory on a loopback port. Sourced by tools/aggpay; also run directly by
# tests/support:
#   servers.sh start-mysql DIR PORT   servers.sh start-redis DIR PORT   servers.sh stop DIR
#   servers.sh make-certs DIR [IDENTITY...]
set -euo pipefail

# glibc's allocator setting for aggpayd, the one its image sets (Dockerfile, kept equal by
# tools/k8s/check-dockerfile.sh): each thread keeps up to 1,024 freed chunks of a size instead
# of 7 (docs/performance.md, "glibc's per-thread cache"). tools/aggpay up and the benchmarks
# start aggpayd with it.
AGGPAYD_GLIBC_TUNABLES=glibc.malloc.tcache_count=1024

# The identities of the platform's client certificates (docs/security.md "Service identities").
TLS_IDENTITIES=(monolith gateway admin merchant terminal binding fee payment risk settlement settle)

# make_certs DIR [IDENTITY...]: a CA (DIR/ca.pem, DIR/ca.key, made once) and, for each identity
# (default: all of TLS_IDENTITIES), DIR/IDENTITY.pem and DIR/IDENTITY.key signed by it: ECDSA
# P-256, CN = the identity, SAN DNS:localhost, DNS:IDENTITY, IP:127.0.0.1, for both TLS server
# and client use, valid for 30 days. Existing files are replaced (a rotation).
make_certs() {
  local dir=$1
  shift
  local ids=("$@")
  [ ${#ids[@]} -gt 0 ] || ids=("${TLS_IDENTITIES[@]}")
  mkdir -p "$dir"
  if [ ! -f "$dir/ca.pem" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -subj "/CN=aggpay local CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
    chmod 600 "$dir/ca.key"
  fi
  local id
  for id in "${ids[@]}"; do
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$id" \
      -keyout "$dir/$id.key.new" -out "$dir/$id.csr" 2>/dev/null
    printf '%s\n' "subjectAltName=DNS:localhost,DNS:$id,IP:127.0.0.1" \
      "extendedKeyUsage=serverAuth,clientAuth" "keyUsage=digitalSignature" >"$dir/$id.ext"
    openssl x509 -req -in "$dir/$id.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
      -CAcreateserial -days 30 -extfile "$dir/$id.ext" -out "$dir/$id.pem.new" 2>/dev/null
    chmod 600 "$dir/$id.key.new"
    # Renamed into place, so that a watcher never reads half a file.
    mv "$dir/$id.key.new" "$dir/$id.key"
    mv "$dir/$id.pem.new" "$dir/$id.pem"
    rm -f "$dir/$id.csr" "$dir/$id.ext"
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

mysql_bin() {
  for b in mariadbd mysqld; do
    command -v "$b" >/dev/null 2>&1 && { command -v "$b"; return; }
    [ -x "/usr/sbin/$b" ] && { echo "/usr/sbin/$b"; return; }
  done
  echo "mariadbd not found: run tools/aggpay setup" >&2
  return 1
}

# AGGPAY_MYSQLD_ARGS: further mariadbd options, for a configuration experiment
# (`tools/bench/ab.sh` compares two builds or configurations on one server).
start_mysql() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # Its own temporary directory, for the install too: internal temporary tables never meet
  # another process's /tmp (an install once failed when its temporary table there vanished).
  mkdir -p "$dir/tmp"
  if [ ! -d "$dir/data/mysql" ]; then
    # The install can fail and still exit 0: it is checked by its grant table, and tried once
    # more from scratch (only what this install itself wrote is removed).
    local attempt
    for attempt in 1 2; do
      [ "$attempt" = 1 ] || rm -rf "$dir/data"
      mariadb-install-db --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" \
        --user="$(id -un)" --auth-root-authentication-method=normal --skip-test-db \
        >"$dir/install.log" 2>&1 && ! grep -q "Installation of system tables failed" "$dir/install.log" \
        && [ -f "$dir/data/mysql/global_priv.frm" ] && break
      [ "$attempt" = 1 ] || { cat "$dir/install.log" >&2; return 1; }
    done
  fi
  "$(mysql_bin)" --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --port="$port" \
    --bind-address=127.0.0.1 \
    --socket="$dir/mysql.sock" --pid-file="$dir/mysql.pid" --user="$(id -un)" \
    --skip-name-resolve --innodb-buffer-pool-size=256M --innodb-log-file-size=64M \
    --innodb-flush-log-at-trx-commit=2 --max-connections=500 --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_bin --default-time-zone=+00:00 \
    --log-error="$dir/mysql.err" ${AGGPAY_MYSQLD_ARGS:-} >/dev/null 2>&1 &
  local pid=$!
  # Up to a minute: on a loaded 2-core machine the first start of a fresh data directory is slow.
  for _ in $(seq 1 600); do
    # Ask through this instance's own socket: another server on the same port must not count.
    if mariadb --no-defaults -S "$dir/mysql.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
      mariadb --no-defaults -S "$dir/mysql.sock" -uroot -e \
        "CREATE USER IF NOT EXISTS 'aggpay'@'127.0.0.1' IDENTIFIED BY '${AGGPAY_MYSQL_PASSWORD:-aggpay}';
         CREATE USER IF NOT EXISTS 'aggpay'@'localhost' IDENTIFIED BY '${AGGPAY_MYSQL_PASSWORD:-aggpay}';
         GRANT ALL ON *.* TO 'aggpay'@'127.0.0.1'; GRANT ALL ON *.* TO 'aggpay'@'localhost';"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break  # it exited (port taken, bad data dir): no use waiting
    sleep 0.1
  done
  echo "mariadb did not start on port $port; see $dir/mysql.err" >&2
  tail -20 "$dir/mysql.err" >&2 || true
  return 1
}

start_redis() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  redis-server --port "$port" --bind 127.0.0.1 --unixsocket "$dir/redis.sock" --unixsocketperm 700 \
    --dir "$dir" --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
  for _ in $(seq 1 100); do
    # This instance, not another one on the same port: compare the process ids.
    # A here-string, not a pipe: grep -q quitting early must not fail redis-cli with SIGPIPE.
    if [ -f "$dir/redis.pid" ] && grep -q "^process_id:$(cat "$dir/redis.pid")" \
        <<<"$(redis-cli -p "$port" info server 2>/dev/null)"; then
      return 0
    fi
    sleep 0.05
  done
  echo "redis did not start on port $port; see $dir/redis.log" >&2
  return 1
}

stop_pidfile() {
  local pidfile=$1
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop_all() {
  local dir=$1
  stop_pidfile "$dir/redis.pid"
  stop_pidfile "$dir/mysql.pid"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    start-mysql) start_mysql "$2" "$3" ;;
    start-redis) start_redis "$2" "$3" ;;
    stop) stop_all "$2" ;;
    free-port) free_port ;;
    make-certs) shift; make_certs "$@" ;;
    *) echo "usage: servers.sh start-mysql|start-redis DIR PORT | stop DIR | free-port |" \
         "make-certs DIR [IDENTITY...]" >&2; exit 2 ;;
  esac
fi
