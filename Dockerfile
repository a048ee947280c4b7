# The aggpay image: aggpayd, aggpayctl and aggpay-gateway, with the migrations and calendars.
#
#   docker build -t registry.example.com/aggpay/aggpay:0.1.0 .
#
# The Helm chart (helm/aggpay) runs every workload from it. tools/k8s/check-dockerfile.sh (ctest
# dockerfile_check) keeps this file honest against a real build tree: every binary copied below
# exists there, every library the binaries load comes from a package installed in the runtime
# stage, and every one of those packages is in `tools/aggpay setup`'s PACKAGES list.

# --- build: the build machine (Debian 12 with tools/aggpay setup's packages) ------------------
FROM debian:12 AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
# Packages first, so that a source change does not reinstall them.
COPY tools/aggpay tools/aggpay
COPY tools/lib tools/lib
RUN tools/aggpay setup --no-k8s-tools \
 && rm -rf /var/lib/apt/lists/*
COPY . .
# The build machine's flags (warnings are errors), without the test and benchmark targets; the
# debug symbols are stripped from what ships.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DAGGPAY_BUILD_TESTS=OFF -DAGGPAY_BUILD_BENCH=OFF \
 && cmake --build /build --target aggpayd aggpayctl aggpay_gateway \
 && strip /build/services/aggpayd/aggpayd /build/tools/aggpayctl/aggpayctl

# --- runtime: Debian 12 with the runtime libraries only ---------------------------------------
FROM debian:12-slim AS runtime
# The packages whose libraries aggpayd and aggpayctl load (ldd; the gateway is static Go), plus
# tzdata (settlement zones) and ca-certificates. No -dev package, no compiler.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      libabsl20220623 libbrotli1 libc-ares2 libc6 libcpp-httplib0.11 libfmt9 libgcc-s1 \
      libgrpc++1.51 libgrpc29 libhiredis0.14 libmariadb3 libmysqlcppconn7v5 libprotobuf32 \
      libqrencode4 libre2-9 libsodium23 libspdlog1.10 libssl3 libstdc++6 libyaml-cpp0.7 zlib1g \
      tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/* \
 && groupadd --gid 65532 aggpay \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin aggpay

COPY --from=build /build/services/aggpayd/aggpayd /usr/local/bin/aggpayd
COPY --from=build /build/tools/aggpayctl/aggpayctl /usr/local/bin/aggpayctl
COPY --from=build /build/services/gateway/aggpay-gateway /usr/local/bin/aggpay-gateway
# The gateway serves the OpenAPI document found next to its binary.
COPY --from=build /build/services/gateway/openapi.json /usr/local/bin/openapi.json
COPY sql/migrations /usr/share/aggpay/sql/migrations
COPY sql/calendars /usr/share/aggpay/sql/calendars

# glibc's allocator: each thread keeps up to 1,024 freed chunks of a size instead of 7. aggpayd's
# gRPC paths allocate and free many small objects on many threads; resolve measured 1.05-1.17x the
# requests per second with it, for about 6 MB more RSS (docs/performance.md, "glibc's per-thread
# cache"). A pod's own GLIBC_TUNABLES (extraEnv) replaces it. The Go gateway does not use glibc's
# allocator.
ENV GLIBC_TUNABLES=glibc.malloc.tcache_count=1024
# The uid and gid the chart's pods run as (podSecurityContext.runAsUser).
USER 65532:65532
WORKDIR /tmp
# Exec form: nothing the chart runs needs a shell (settlement pods read their date and shard
# from the environment: aggpayd settle --cronjob NAME --indexed-job N).
ENTRYPOINT ["/usr/local/bin/aggpayd"]
CMD ["--config", "/etc/aggpay/aggpayd.yaml", "serve", "--services=all"]
