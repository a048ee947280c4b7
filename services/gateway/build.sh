#!/usr/bin/env bash
# Builds aggpay-gateway, the merchant REST gateway (grpc-gateway), offline, in GOPATH mode, from
# Debian's Go packages under /usr/share/gocode. CMake runs it (services/gateway/CMakeLists.txt).
#
#   services/gateway/build.sh BUILD_DIR          generate, then build
#       BUILD_DIR/go/src/aggpay/gen/...          Go code generated from proto/ (protoc-gen-go,
#                                                protoc-gen-grpc-gateway)
#       BUILD_DIR/go/src/aggpay/gateway/         a copy of services/gateway/*.go and cashier/
#       BUILD_DIR/services/gateway/aggpay-gateway
#       BUILD_DIR/services/gateway/openapi.json  protoc-gen-swagger's per-file documents, merged
#                                                by aggpay-gateway --finish-openapi
#   services/gateway/build.sh --test BUILD_DIR   gofmt, go vet and go test (after a build)
#   services/gateway/build.sh --fuzz FUZZ SECONDS BUILD_DIR
#                                                Go's native fuzzing of one Fuzz function for
#                                                SECONDS, one worker (CTest label fuzz)
#
# Tools can be overridden from the environment: PROTOC, GO, AGGPAY_GOOGLEAPIS.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { printf 'aggpay-gateway build: %s\n' "$*" >&2; exit 1; }
# The gateway's Go sources and the directories it embeds (go:embed): the cashier's, console's
# and portal's files and what the last two share. Every copy of the package takes both.
EMBEDDED=(cashier console portal pagekit)
copy_sources() {  # DIR
  cp "$HERE"/*.go "$1"/
  local d
  for d in "${EMBEDDED[@]}"; do cp -R "$HERE/$d" "$1"/; done
}

mode=build
if [ "${1:-}" = "--test" ]; then mode="test"; shift; fi
if [ "${1:-}" = "--fuzz" ]; then
  [ $# -eq 4 ] || usage
  mode=fuzz fuzz_func=$2 fuzz_seconds=$3
  shift 3
fi
[ $# -eq 1 ] || usage
mkdir -p "$1"
BUILD=$(cd "$1" && pwd)

PROTOC=${PROTOC:-protoc}
GO=${GO:-go}
GOOGLEAPIS=${AGGPAY_GOOGLEAPIS:-/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis}

GOPATH_DIR=$BUILD/go
GEN=$GOPATH_DIR/src/aggpay/gen
SRC=$GOPATH_DIR/src/aggpay/gateway
OUT=$BUILD/services/gateway

# GOPATH mode, offline, nothing from the user's Go configuration.
export GO111MODULE=off
export GOPATH=$GOPATH_DIR:/usr/share/gocode
export GOCACHE=$BUILD/go-cache
export GOFLAGS=
export GOPROXY=off
export GOENV=off
export CGO_ENABLED=0

need() {  # need PROGRAM DEBIAN_PACKAGE
  command -v "$1" >/dev/null 2>&1 || die "$1 not found (Debian package $2; tools/aggpay setup installs it)"
}

# The fuzz tests read their seeds from tests/fuzz/ (auth_fuzz_test.go).
export AGGPAY_SOURCE_DIR=$ROOT

if [ "$mode" = fuzz ]; then
  need "$GO" golang-go
  [ -d "$GEN" ] || die "$GEN does not exist: build first"
  # A copy of its own (package aggpay/gateway_fuzz), so that it can run beside --test. A failing
  # input is written under it, in testdata/fuzz/$fuzz_func/; go test prints the path.
  FUZZ_SRC=$GOPATH_DIR/src/aggpay/gateway_fuzz
  # -fuzz instruments every package it builds (grpc, protobuf and the generated code too), about
  # two minutes of compiling: that cache is kept per machine, like ccache, not per build tree.
  export GOCACHE=${AGGPAY_GO_FUZZ_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/aggpay/go-fuzz}
  rm -rf "$FUZZ_SRC"
  mkdir -p "$FUZZ_SRC"
  copy_sources "$FUZZ_SRC"
  "$GO" test -count=1 -run '^$' -fuzz "^${fuzz_func}\$" -fuzztime "${fuzz_seconds}s" \
    -parallel 1 aggpay/gateway_fuzz
  exit 0
fi
if [ "$mode" = test ]; then
  need "$GO" golang-go
  [ -d "$SRC" ] || die "$SRC does not exist: build first"
  # The copy may be older than the sources: test what is in the checkout.
  rm -rf "$SRC"/*.go "${EMBEDDED[@]/#/$SRC/}"
  copy_sources "$SRC"
  unformatted=$("$("$GO" env GOROOT)/bin/gofmt" -l "$HERE"/*.go)
  [ -z "$unformatted" ] || die "not gofmt-formatted: $unformatted"
  "$GO" vet aggpay/gateway
  "$GO" test -count=1 aggpay/gateway
  exit 0
fi

need "$PROTOC" protobuf-compiler
need protoc-gen-go golang-goprotobuf-dev
need protoc-gen-grpc-gateway golang-grpc-gateway
need protoc-gen-swagger golang-grpc-gateway
need "$GO" golang-go
[ -f "$GOOGLEAPIS/google/api/annotations.proto" ] ||
  die "$GOOGLEAPIS/google/api/annotations.proto not found (golang-github-grpc-ecosystem-grpc-gateway-dev)"

mkdir -p "$GOPATH_DIR/src/aggpay" "$OUT"
STAGE=$(mktemp -d "$GOPATH_DIR/.stage.XXXXXX")
mkdir -p "$STAGE/src" "$STAGE/swagger"
trap 'rm -rf "$STAGE"' EXIT

# Every proto of the project, in one protoc run (they share one Go package per directory).
mapfile -t protos < <(cd "$ROOT/proto" && find . -name '*.proto' -printf '%P\n' | LC_ALL=C sort)
[ ${#protos[@]} -gt 0 ] || die "no .proto files under $ROOT/proto"

# The well-known types' own go_package names google.golang.org/protobuf, which Debian's
# golang-goprotobuf-dev (github.com/golang/protobuf 1.3) predates: map them to its packages.
maps=(
  Mgoogle/protobuf/any.proto=github.com/golang/protobuf/ptypes/any
  Mgoogle/protobuf/descriptor.proto=github.com/golang/protobuf/protoc-gen-go/descriptor
  Mgoogle/protobuf/duration.proto=github.com/golang/protobuf/ptypes/duration
  Mgoogle/protobuf/empty.proto=github.com/golang/protobuf/ptypes/empty
  Mgoogle/protobuf/struct.proto=github.com/golang/protobuf/ptypes/struct
  Mgoogle/protobuf/timestamp.proto=github.com/golang/protobuf/ptypes/timestamp
  Mgoogle/protobuf/wrappers.proto=github.com/golang/protobuf/ptypes/wrappers
  Mgoogle/protobuf/field_mask.proto=google.golang.org/genproto/protobuf/field_mask
)
M=$(IFS=,; echo "${maps[*]}")

(
  cd "$ROOT/proto"
  "$PROTOC" --proto_path=. --proto_path="$GOOGLEAPIS" \
    --go_out="plugins=grpc,$M:$STAGE/src" \
    --grpc-gateway_out="logtostderr=true,$M:$STAGE/src" \
    --swagger_out="logtostderr=true,$M:$STAGE/swagger" \
    "${protos[@]}"
) || die "protoc failed"
[ -d "$STAGE/src/aggpay/gen" ] || die "protoc wrote nothing under aggpay/gen: check the protos' go_package"

# Replace the generated tree and the gateway sources whole, so that nothing stale survives.
rm -rf "$GEN" "$SRC"
mv "$STAGE/src/aggpay/gen" "$GEN"
mkdir -p "$SRC"
copy_sources "$SRC"

# Every service with HTTP rules must be registered in services.go.
missing=()
while IFS= read -r fn; do
  grep -q "aggpayv1\.$fn\b" "$SRC/services.go" || missing+=("$fn")
done < <(grep -rhoE '^func Register[A-Za-z0-9_]+HandlerFromEndpoint' "$GEN" --include='*.pb.gw.go' |
         sed 's/^func //' | LC_ALL=C sort -u)
if [ ${#missing[@]} -gt 0 ]; then
  die "services with HTTP rules but no line in services/gateway/services.go: ${missing[*]}"
fi

"$GO" build -trimpath -buildvcs=false -o "$STAGE/aggpay-gateway" aggpay/gateway
"$STAGE/aggpay-gateway" --finish-openapi "$STAGE/swagger" >"$STAGE/openapi.json"
mv -f "$STAGE/aggpay-gateway" "$OUT/aggpay-gateway"
mv -f "$STAGE/openapi.json" "$OUT/openapi.json"
