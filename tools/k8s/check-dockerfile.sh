#!/usr/bin/env bash
# Keeps the Dockerfile honest without building the image (no image can be built on the build
# machine):
#   - it is multi-stage, every stage on Debian 12, the runtime stage without -dev packages;
#   - every file COPY'd from the build stage exists in the build tree ($AGGPAY_BUILD_DIR, the
#     stage's /build), every file COPY'd from the context exists in the source tree;
#   - every library the copied binaries load (ldd) belongs to a package (dpkg -S) that the runtime
#     stage installs, every package it installs is loaded by a binary or is a data package
#     (tzdata, ca-certificates), and each one is in `tools/aggpay setup`'s PACKAGES;
#   - the image runs as a numeric non-root user, the chart's uid, with an exec-form ENTRYPOINT;
#   - its GLIBC_TUNABLES is tools/lib/servers.sh's AGGPAYD_GLIBC_TUNABLES;
#   - the paths the chart runs (values.yaml) are the ones the image has.
# Usage: check-dockerfile.sh [--selftest] [DOCKERFILE]   (default: the repository's Dockerfile)
# --selftest breaks copies of the Dockerfile and expects each break to be reported.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${AGGPAY_BUILD_DIR:-$ROOT/build}
DATA_PACKAGES="tzdata ca-certificates"

fail=0
err() { echo "FAIL $*"; fail=1; }

# PACKAGES=( ... ) of tools/aggpay, comments dropped.
setup_packages() {
  sed -n '/^PACKAGES=(/,/^)/p' "$ROOT/tools/aggpay" | sed '1d;$d' | sed 's/#.*//' | tr -s ' \t' '\n' \
    | sed '/^$/d'
}

# The libraries each binary loads (ldd), and the package owning each library, looked up once:
# dpkg -S with every spelling of each path (as ldd printed it, its real path, either side of
# the /usr merge) in one call.
declare -A LIBS_OF=() OWNER_OF_PATH=() OWNER=()
libs_of() {
  local b=$1
  if [ -z "${LIBS_OF[$b]+x}" ]; then
    # One ldd run, read twice; a failed or empty run (it once listed nothing on a loaded
    # machine, and every library then looked unused) is tried again, then reported.
    local out="" try
    for try in 1 2 3; do
      out=$(ldd "$b" 2>&1) || true
      grep -Eq '=>|not a dynamic executable|statically linked' <<<"$out" && break
      out=""
      sleep 1
    done
    if [ -z "$out" ]; then
      LIBS_OF[$b]="ldd-failed"
    elif grep -Eq 'not a dynamic executable|statically linked' <<<"$out"; then
      LIBS_OF[$b]=""  # static (the Go gateway): it loads nothing
    elif grep -q 'not found' <<<"$out"; then
      LIBS_OF[$b]="not-found"
    else
      LIBS_OF[$b]=$(awk '/=>/ && $3 ~ /^\// {print $3} !/=>/ && $1 ~ /^\// {print $1}' <<<"$out" \
        | sort -u | tr '\n' ' ')
    fi
  fi
  echo "${LIBS_OF[$b]}"
}
resolve_owners() {
  local todo=() l r
  for l in "$@"; do
    [ -n "${OWNER[$l]+x}" ] && continue
    r=$(readlink -f "$l")
    todo+=("$l" "$r" "${l#/usr}" "/usr$l" "${r#/usr}" "/usr$r")
  done
  [ ${#todo[@]} -gt 0 ] || return 0
  local line pkg path
  while IFS= read -r line; do
    [[ $line == *": /"* ]] || continue
    pkg=${line%%: /*}
    path=/${line#*: /}
    pkg=${pkg%%,*}
    OWNER_OF_PATH[$path]=${pkg%:*}
  done < <(dpkg -S "${todo[@]}" 2>/dev/null || true)
  for l in "$@"; do
    r=$(readlink -f "$l")
    OWNER[$l]=""
    for p in "$l" "$r" "${l#/usr}" "/usr$l" "${r#/usr}" "/usr$r"; do
      if [ -n "${OWNER_OF_PATH[$p]:-}" ]; then OWNER[$l]=${OWNER_OF_PATH[$p]}; break; fi
    done
  done
}

check() {
  local df=$1
  fail=0
  [ -f "$df" ] || { err "$df: no such file"; return 1; }
  # Continuation lines joined, comments dropped.
  local text
  text=$(sed 's/#.*//' "$df" | sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta')

  local froms
  froms=$(grep -Ei '^\s*FROM ' <<<"$text" | awk '{print $2}')
  [ "$(wc -l <<<"$froms")" -ge 2 ] || err "$df: not multi-stage (one FROM)"
  while read -r base; do
    [[ $base == debian:12* || $base == debian:bookworm* ]] || err "$df: stage FROM $base is not Debian 12"
  done <<<"$froms"

  # The runtime stage: from the last FROM on.
  local runtime
  runtime=$(awk 'toupper($1)=="FROM"{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' <<<"$text")
  local installed
  installed=$(grep -Eo 'apt-get install [^&]*' <<<"$runtime" | sed 's/apt-get install//' \
    | tr -s ' ' '\n' | grep -v '^-' | sed '/^$/d' | sort -u || true)
  [ -n "$installed" ] || err "$df: the runtime stage installs no packages"
  local setup
  setup=$(setup_packages | sort -u)
  for p in $installed; do
    [[ $p == *-dev ]] && err "$df: the runtime stage installs the development package $p"
    grep -qx "$p" <<<"$setup" || err "$df: runtime package $p is not in tools/aggpay setup's PACKAGES"
  done

  # Files copied from the build stage (/build/...) and from the context.
  local binaries=() src dest
  while read -r src dest; do
    [ -n "$src" ] || continue
    local rel=${src#/build/}
    if [ ! -e "$BUILD/$rel" ]; then
      err "$df: COPY --from=build $src: $BUILD/$rel is not in the build tree"
      continue
    fi
    if [ -f "$BUILD/$rel" ] && [ "$(od -An -tx1 -N4 "$BUILD/$rel" | tr -d ' \n')" = 7f454c46 ]; then
      binaries+=("$BUILD/$rel")
    fi
  done < <(grep -Ei '^\s*COPY\s+--from=build\s' <<<"$runtime" | awk '{print $3, $4}')
  while read -r src dest; do
    [ -n "$src" ] || continue
    [ -e "$ROOT/$src" ] || err "$df: COPY $src: not in the source tree"
  done < <(grep -Ei '^\s*COPY\s' <<<"$runtime" | grep -vi -- '--from=' | awk '{print $2, $3}')
  [ ${#binaries[@]} -ge 3 ] || err "$df: want aggpayd, aggpayctl and aggpay-gateway copied, found ${#binaries[@]} binaries"

  # Every library the binaries load, by owning package.
  local used=() lib pkg libs
  for b in "${binaries[@]}"; do
    libs=$(libs_of "$b")
    if [ "$libs" = "not-found" ]; then err "$b: a library is not found (ldd)"; continue; fi
    if [ "$libs" = "ldd-failed" ]; then err "$b: ldd listed no libraries (three tries)"; continue; fi
    # shellcheck disable=SC2086
    resolve_owners $libs
    for lib in $libs; do
      pkg=${OWNER[$lib]}
      if [ -z "$pkg" ]; then err "$b: $lib belongs to no Debian package"; continue; fi
      used+=("$pkg")
      grep -qx "$pkg" <<<"$installed" || err "$b loads $lib from $pkg, which the runtime stage does not install"
    done
  done
  # A here-string, not a pipe: under pipefail, grep -q quitting at its first match could end
  # printf with SIGPIPE and fail the test, making a used package look unused.
  local used_list
  used_list=$(printf '%s\n' "${used[@]}" $DATA_PACKAGES)
  for p in $installed; do
    if ! grep -qx "$p" <<<"$used_list"; then
      err "$df: the runtime stage installs $p, which no binary loads"
    fi
  done

  # The user and the entry point.
  local user
  user=$(grep -Ei '^\s*USER\s' <<<"$runtime" | tail -1 | awk '{print $2}')
  local uid=${user%%:*}
  [[ $uid =~ ^[0-9]+$ ]] || err "$df: USER $user: want a numeric uid, so that runAsNonRoot can check it"
  [ "$uid" != "0" ] || err "$df: runs as root"
  local chart_uid
  chart_uid=$(awk '/^podSecurityContext:/{f=1} f&&/runAsUser:/{print $2; exit}' "$ROOT/helm/aggpay/values.yaml")
  [ "$uid" = "$chart_uid" ] || err "$df: USER $uid, but the chart runs pods as $chart_uid"
  grep -Eq '^\s*ENTRYPOINT\s+\[' <<<"$runtime" || err "$df: ENTRYPOINT must be exec form (no shell)"

  # The allocator setting is the one tools/aggpay up and the benchmarks run aggpayd with.
  local want_tunables tunables
  want_tunables=$(sed -n 's/^AGGPAYD_GLIBC_TUNABLES=//p' "$ROOT/tools/lib/servers.sh")
  tunables=$(sed -n 's/^\s*ENV\s\+GLIBC_TUNABLES=//p' <<<"$runtime" | tail -1)
  [ -n "$want_tunables" ] && [ "$tunables" = "$want_tunables" ] ||
    err "$df: ENV GLIBC_TUNABLES=$tunables, but tools/lib/servers.sh runs aggpayd with $want_tunables"

  # What the chart runs is where the image has it.
  local dests
  dests=$(grep -Ei '^\s*COPY\s' <<<"$runtime" | awk '{print $NF}')
  local want
  for want in /usr/local/bin/aggpayd /usr/local/bin/aggpay-gateway; do
    grep -qx "$want" <<<"$dests" || err "$df: the chart runs $want, which the image does not have"
  done
  local migrations
  migrations=$(awk '/^  migrationsDir:/{print $2}' "$ROOT/helm/aggpay/values.yaml")
  grep -qx "$migrations" <<<"$dests" || err "$df: the chart migrates from $migrations, which the image does not have"
  return $fail
}

SELFTEST_DIR=""
selftest() {
  local n=0 missed=0
  SELFTEST_DIR=$(mktemp -d)
  trap 'rm -rf "$SELFTEST_DIR"' EXIT
  local tmp=$SELFTEST_DIR
  local df=$ROOT/Dockerfile
  expect_fail() {
    local what=$1 expected=$2
    n=$((n + 1))
    local out ok
    # Not in a subshell, so that the ldd and dpkg lookups are made once for every break.
    check "$tmp/Dockerfile" >"$tmp/out" 2>&1 && ok=1 || ok=0
    out=$(cat "$tmp/out")
    if [ "$ok" = 1 ]; then
      echo "FAIL selftest: $what passed"; missed=$((missed + 1))
    elif ! grep -q -- "$expected" <<<"$out"; then
      echo "FAIL selftest: $what not reported as \"$expected\": $out"; missed=$((missed + 1))
    fi
  }
  sed 's/ libhiredis0.14 / /' "$df" >"$tmp/Dockerfile"
  expect_fail "a library's package left out" "from libhiredis0.14, which the runtime stage does not install"
  sed 's/tzdata ca-certificates/tzdata ca-certificates libpq5/' "$df" >"$tmp/Dockerfile"
  expect_fail "a package setup does not know" "libpq5 is not in tools/aggpay setup"
  sed 's/tzdata ca-certificates/tzdata ca-certificates libssl-dev/' "$df" >"$tmp/Dockerfile"
  expect_fail "a -dev package" "development package libssl-dev"
  sed 's#/build/tools/aggpayctl/aggpayctl /usr#/build/tools/aggpayctl/aggpayctl-missing /usr#' "$df" >"$tmp/Dockerfile"
  expect_fail "a binary not in the build" "aggpayctl-missing is not in the build tree"
  sed 's/^USER .*/USER root/' "$df" >"$tmp/Dockerfile"
  expect_fail "root" "want a numeric uid"
  sed 's/^ENTRYPOINT .*/ENTRYPOINT \/usr\/local\/bin\/aggpayd/' "$df" >"$tmp/Dockerfile"
  expect_fail "a shell-form entry point" "exec form"
  sed 's/^ENV GLIBC_TUNABLES=.*/ENV GLIBC_TUNABLES=glibc.malloc.tcache_count=7/' "$df" >"$tmp/Dockerfile"
  expect_fail "another allocator setting" "but tools/lib/servers.sh runs aggpayd with"
  sed 's/^FROM debian:12-slim AS runtime/FROM ubuntu:24.04 AS runtime/' "$df" >"$tmp/Dockerfile"
  expect_fail "another base" "is not Debian 12"
  echo "selftest: $n broken Dockerfiles, $missed not caught"
  [ "$missed" = 0 ]
}

if [ "${1:-}" = "--selftest" ]; then
  selftest
else
  df=${1:-$ROOT/Dockerfile}
  if check "$df"; then
    echo "$df: ok against $BUILD"
  else
    exit 1
  fi
fi
