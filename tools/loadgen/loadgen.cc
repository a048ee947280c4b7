// loadgen: drives one aggpayd with closed-loop gRPC clients and prints throughput and latency.
//   loadgen --addr 127.0.0.1:50051 --rpc resolve --code CODE_ID --seconds 10 --threads 16
//   loadgen --echo-server --addr 127.0.0.1:50999   (the baseline: a bare gRPC server answering
//     ResolveCode with a constant, no auth, no cache, no database; drive it with the same flags)
// Only loopback and the project's own test hosts are valid targets.

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "aggpay/v1/binding.grpc.pb.h"

namespace {

// A bare server with the same RPC shape: what gRPC itself costs on this machine.
class EchoBinding final : public aggpay::v1::BindingService::Service {
  grpc::Status ResolveCode(grpc::ServerContext*, const aggpay::v1::ResolveCodeRequest* req,
                           aggpay::v1::ResolvedCode* resp) override {
    resp->set_outcome("PAYABLE");
    resp->set_code_id(req->code());
    resp->set_merchant_display_name("echo");
    return grpc::Status::OK;
  }
};

struct Result {
  int64_t calls = 0;
  int64_t errors = 0;
  std::vector<int64_t> latencies_us;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"loadgen: closed-loop gRPC load against aggpayd"};
  std::string addr = "127.0.0.1:50051";
  bool echo_server = false;
  std::string code;
  int seconds = 10;
  int threads = 16;
  int channels = 4;
  app.add_option("--addr", addr);
  app.add_flag("--echo-server", echo_server, "serve the baseline on --addr instead");
  app.add_option("--code", code, "code id to resolve");
  app.add_option("--seconds", seconds)->check(CLI::Range(1, 600));
  app.add_option("--threads", threads)->check(CLI::Range(1, 512));
  app.add_option("--channels", channels, "distinct HTTP/2 connections")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  if (echo_server) {
    EchoBinding service;
    grpc::ServerBuilder builder;
    builder.AddListeningPort(addr, grpc::InsecureServerCredentials());
    builder.RegisterService(&service);
    auto server = builder.BuildAndStart();
    if (!server) return 2;
    std::fprintf(stderr, "echo server on %s\n", addr.c_str());
    server->Wait();
    return 0;
  }

  std::vector<std::shared_ptr<grpc::Channel>> chans;
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // distinct connections
    chans.push_back(grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args));
  }
  std::atomic<bool> stop{false};
  std::vector<Result> results(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto channel = chans[static_cast<size_t>(t % channels)];
      auto binding = aggpay::v1::BindingService::NewStub(channel);
      Result& r = results[static_cast<size_t>(t)];
      r.latencies_us.reserve(1 << 20);
      aggpay::v1::ResolveCodeRequest req;
      req.set_code(code);
      while (!stop.load(std::memory_order_relaxed)) {
        const auto start = std::chrono::steady_clock::now();
        grpc::ClientContext ctx;
        aggpay::v1::ResolvedCode resp;
        grpc::Status s = binding->ResolveCode(&ctx, req, &resp);
        if (s.ok() && resp.outcome() != "PAYABLE") s = grpc::Status(grpc::StatusCode::UNKNOWN, "");
        const auto end = std::chrono::steady_clock::now();
        ++r.calls;
        if (!s.ok()) ++r.errors;
        r.latencies_us.push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(end - start).count());
        if (end >= deadline) break;
      }
    });
  }
  for (auto& w : workers) w.join();
  Result all;
  for (auto& r : results) {
    all.calls += r.calls;
    all.errors += r.errors;
    all.latencies_us.insert(all.latencies_us.end(), r.latencies_us.begin(), r.latencies_us.end());
  }
  std::sort(all.latencies_us.begin(), all.latencies_us.end());
  const auto pct = [&](double p) {
    if (all.latencies_us.empty()) return int64_t{0};
    return all
        .latencies_us[static_cast<size_t>(p * static_cast<double>(all.latencies_us.size() - 1))];
  };
  std::printf(
      "{\"addr\":\"%s\",\"threads\":%d,\"seconds\":%d,\"calls\":%lld,\"errors\":%lld,"
      "\"per_second\":%.0f,\"p50_us\":%lld,\"p99_us\":%lld}\n",
      addr.c_str(), threads, seconds, static_cast<long long>(all.calls),
      static_cast<long long>(all.errors), static_cast<double>(all.calls) / seconds,
      static_cast<long long>(pct(0.5)), static_cast<long long>(pct(0.99)));
  return all.errors == 0 ? 0 : 1;
}
