// loadgen: drives one aggpayd with closed-loop gRPC clients and prints throughput and latency.
//   loadgen --addr 127.0.0.1:50051 --rpc resolve --code CODE_ID --seconds 10 --threads 16
//   loadgen --addr 127.0.0.1:50051 --rpc checkin --activation-code CODE --terminals 64
//   loadgen --addr 127.0.0.1:50051 --rpc pay --code CODE_ID --seconds 10 --threads 32
//     (activates that many new terminals with a multi-use code, then each thread checks its
//     terminal in again and again, as a store's morning storm does; see tools/bench/checkin.sh)
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

#include "absl/strings/str_cat.h"
#include "aggpay/v1/binding.grpc.pb.h"
#include "aggpay/v1/payment.grpc.pb.h"
#include "aggpay/v1/terminal.grpc.pb.h"
#include "services/common/crypto/crypto.h"
#include "services/terminal/domain/terminal_key.h"

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
  std::string rpc = "resolve";
  std::string activation_code;
  int terminals = 64;
  app.add_option("--rpc", rpc)->check(CLI::IsMember({"resolve", "checkin", "pay"}));
  app.add_option("--activation-code", activation_code, "checkin: a code with enough uses");
  app.add_option("--terminals", terminals, "checkin: terminals, one per thread")
      ->check(CLI::Range(1, 512));
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
  // Check-in: one terminal per thread. A terminal's check-ins must sign increasing seconds
  // within the server's 300 s window, so each starts 250 s in the past and counts up by one:
  // up to 500 check-ins per terminal per run, far more than a day's one.
  struct Terminal {
    std::string sn;
    std::string key;
    int64_t next_ts = 0;
  };
  std::vector<Terminal> devices;
  if (rpc == "checkin") {
    threads = terminals;
    devices.resize(static_cast<size_t>(terminals));
    const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    const std::string run = aggpay::common::RandomToken(6);
    for (int i = 0; i < terminals; ++i) {
      auto stub = aggpay::v1::TerminalService::NewStub(chans[static_cast<size_t>(i % channels)]);
      aggpay::v1::ActivateRequest req;
      req.set_activation_code(activation_code);
      req.set_device_id("loadgen-" + run + "-" + std::to_string(i));
      req.set_type("POS");
      req.set_serial("LG-" + run + "-" + std::to_string(i));
      req.set_vendor("sunmi");
      req.set_client_version("8.0.15");
      aggpay::v1::ActivateResponse resp;
      grpc::ClientContext ctx;
      grpc::Status s = stub->Activate(&ctx, req, &resp);
      if (!s.ok()) {
        std::fprintf(stderr, "activate %d: %s\n", i, s.error_message().c_str());
        return 2;
      }
      devices[static_cast<size_t>(i)] =
          Terminal{resp.terminal_sn(), resp.terminal_key(), now_s - 250};
    }
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
      if (rpc == "checkin") {
        auto terminal = aggpay::v1::TerminalService::NewStub(channel);
        Terminal& d = devices[static_cast<size_t>(t)];
        const std::string body = aggpay::common::Sha256Hex("8.0.15");
        const int64_t last_ts = d.next_ts + 500;
        while (!stop.load(std::memory_order_relaxed) && d.next_ts < last_ts) {
          aggpay::v1::CheckInRequest req;
          req.set_terminal_sn(d.sn);
          req.set_client_version("8.0.15");
          req.set_timestamp(std::to_string(d.next_ts++));
          req.set_nonce(aggpay::common::RandomToken(12));
          req.set_signature(aggpay::terminal::SignTerminalRequest(
              d.key, "CheckIn", d.sn, req.timestamp(), req.nonce(), body));
          const auto start = std::chrono::steady_clock::now();
          grpc::ClientContext ctx;
          aggpay::v1::CheckInResponse resp;
          grpc::Status s = terminal->CheckIn(&ctx, req, &resp);
          const auto end = std::chrono::steady_clock::now();
          ++r.calls;
          if (!s.ok()) {
            if (r.errors++ == 0) {
              std::fprintf(stderr, "check-in %s: %d %s\n", d.sn.c_str(), s.error_code(),
                           s.error_message().c_str());
            }
          } else {
            d.key = resp.terminal_key();
          }
          r.latencies_us.push_back(
              std::chrono::duration_cast<std::chrono::microseconds>(end - start).count());
          if (end >= deadline) break;
        }
        return;
      }
      if (rpc == "pay") {
        // The payer's flow: resolve + risk + fee + the durable insert + the channel's precreate.
        auto payments = aggpay::v1::PaymentService::NewStub(channel);
        const std::string run = aggpay::common::RandomToken(6);
        int64_t n = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          aggpay::v1::CreateCodePaymentRequest req;
          req.set_code(code);
          req.mutable_amount()->set_currency("CNY");
          req.mutable_amount()->set_amount_minor(100 + n % 50000);
          req.set_wallet("wechat");
          // Payers from many networks, as in a real shop: one address would be a concentrated
          // /24 to risk control, and every payment would be flagged.
          req.set_payer_ip(absl::StrCat("10.", (n >> 8) % 256, ".", n % 256, ".", 1 + t % 250));
          req.set_client_request_id(absl::StrCat("lg", run, t, "-", n++));
          const auto start = std::chrono::steady_clock::now();
          grpc::ClientContext ctx;
          aggpay::v1::Payment resp;
          grpc::Status s = payments->CreateCodePayment(&ctx, req, &resp);
          const auto end = std::chrono::steady_clock::now();
          ++r.calls;
          if (!s.ok()) {
            if (r.errors++ == 0)
              std::fprintf(stderr, "pay: %d %s\n", s.error_code(), s.error_message().c_str());
          }
          r.latencies_us.push_back(
              std::chrono::duration_cast<std::chrono::microseconds>(end - start).count());
          if (end >= deadline) break;
        }
        return;
      }
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
