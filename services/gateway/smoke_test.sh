#!/usr/bin/env bash
# Smoke test of the built aggpay-gateway with no aggpayd behind it:
#   smoke_test.sh BUILD/services/gateway/aggpay-gateway tools/aggpay-curl
# Checks the TLS flags and the secret check, HTTPS, /healthz, /openapi.json, 401 for an unsigned request, 503 for a
# signed one (aggpay-curl) when the services are unreachable, and a clean exit on SIGTERM.
set -euo pipefail

BIN=$1
CURL_TOOL=$2
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [ -f "$work/log" ] && sed 's/^/  log: /' "$work/log" >&2; exit 1; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
# error_shape FILE CODE HTTP_STATUS: the body is {"error":{...}} with that code and status.
error_shape() {
  python3 - "$@" <<'PY' || fail "not the error shape ($2 $3): $(cat "$1")"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert set(e) <= {"code", "http_status", "message", "field"}, e
assert e["code"] == sys.argv[2] and e["http_status"] == int(sys.argv[3]) and e["message"], e
PY
}

# Mutual TLS to aggpayd needs its files, unless --plaintext says otherwise (development).
if AGGPAY_INTERNAL_SECRET=smoke-test-internal-secret "$BIN" >"$work/out" 2>&1; then
  fail "started without --grpc-ca/--grpc-cert/--grpc-key"
fi
grep -q -- '--grpc-ca' "$work/out" || fail "no clear message: $(cat "$work/out")"
# The secret is required (with --plaintext it is the credential shared with aggpayd).
if env -u AGGPAY_INTERNAL_SECRET "$BIN" --plaintext >"$work/out" 2>&1; then
  fail "started without a secret"
fi
grep -q AGGPAY_INTERNAL_SECRET "$work/out" || fail "no clear message: $(cat "$work/out")"
if AGGPAY_INTERNAL_SECRET=short "$BIN" --plaintext >"$work/out" 2>&1; then
  fail "started with a short secret"
fi

bash "$(dirname "$CURL_TOOL")/lib/servers.sh" make-certs "$work/tls" gateway >/dev/null
tls_flags=(--grpc-ca "$work/tls/ca.pem" --grpc-cert "$work/tls/gateway.pem"
  --grpc-key "$work/tls/gateway.key")

# HTTPS with --tls-cert/--tls-key.
port=$(free_port)
AGGPAY_INTERNAL_SECRET=smoke-test-internal-secret "$BIN" --listen "127.0.0.1:$port" \
  --grpc-addr "127.0.0.1:$(free_port)" "${tls_flags[@]}" --tls-cert "$work/tls/gateway.pem" \
  --tls-key "$work/tls/gateway.key" 2>"$work/log" &
pid=$!
for _ in $(seq 1 100); do
  curl -fs --cacert "$work/tls/ca.pem" "https://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS --cacert "$work/tls/ca.pem" "https://127.0.0.1:$port/healthz" | grep '"ok"' >/dev/null ||
  fail "HTTPS /healthz"
kill "$pid"
wait "$pid" || true

port=$(free_port)
dead=$(free_port)  # nothing listens here: aggpayd is "down"
AGGPAY_INTERNAL_SECRET=smoke-test-internal-secret \
  "$BIN" --listen "127.0.0.1:$port" --grpc-addr "127.0.0.1:$dead" "${tls_flags[@]}" \
  2>"$work/log" &
pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 1 100); do
  curl -fs "$url/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$url/healthz" | grep '"ok"' >/dev/null || fail "/healthz"

curl -fsS "$url/openapi.json" >"$work/openapi.json" || fail "/openapi.json"
python3 - "$work/openapi.json" <<'PY' || fail "/openapi.json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["swagger"] == "2.0"
assert "/v1/merchant" in d["paths"] and "/v1/fees/quote" in d["paths"], list(d["paths"])
assert "AggpayHmac" in d["securityDefinitions"]
assert "aggpayError" in d["definitions"]
PY

code=$(curl -sS -o "$work/body" -w '%{http_code}' "$url/v1/merchant")
[ "$code" = 401 ] || fail "unsigned: HTTP $code"
error_shape "$work/body" UNAUTHENTICATED 401

if AGGPAY_REST_URL=$url AGGPAY_KEY_ID=k_smoke AGGPAY_KEY_SECRET=smoke-secret \
    "$CURL_TOOL" -d '{"amount":{"currency":"CNY","amount_minor":"100"}}' /v1/fees/quote \
    >"$work/body" 2>"$work/err"; then
  fail "aggpay-curl succeeded with no aggpayd"
fi
grep -q 'HTTP 503' "$work/err" || fail "aggpay-curl: $(cat "$work/err")"
error_shape "$work/body" UNAVAILABLE 503

grep -q 'POST /v1/fees/quote status=503' "$work/log" || fail "no access log line"

# The cashier page with no aggpayd: its own "unavailable" page, under the strict CSP; its script
# and style are in the binary.
code=$(curl -sS -D "$work/headers" -o "$work/body" -w '%{http_code}' "$url/c/c_smoke_code")
[ "$code" = 503 ] || fail "cashier with no aggpayd: HTTP $code"
grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" "$work/headers" ||
  fail "cashier CSP: $(cat "$work/headers")"
grep -q '服务暂不可用' "$work/body" || fail "cashier page: $(cat "$work/body")"
curl -fsS "$url/cashier/cashier.js" | grep 'location.replace' >/dev/null || fail "/cashier/cashier.js"

kill -TERM "$pid"
for _ in $(seq 1 50); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then fail "still running 5 s after SIGTERM"; fi
wait "$pid" || fail "exit status $? after SIGTERM"
pid=""
echo "gateway smoke test passed"
