// loadgen: drives one aggpayd (or a bare baseline server) with gRPC or signed REST calls and
// prints one JSON line: throughput and latency percentiles from a log-linear histogram.
//
// Scenarios (--rpc):
//   resolve   BindingService.ResolveCode of --code (answers must be PAYABLE)
//   checkin   activates --terminals new terminals with the multi-use --activation-code, then
//             checks them in again and again, signed with each terminal's rotating key, as a
//             store's morning storm does (see tools/bench/checkin.sh)
//   pay       PaymentService.CreateCodePayment of --code, payers from many networks
//   rest      a signed merchant GET of --path through the REST gateway at --rest-url, with
//             API key --key-id and its secret in AGGPAY_KEY_SECRET; a fresh nonce each time
//
// Modes (--mode):
//   closed    --threads clients, each sending its next call when the last one answered. This
//             is the throughput a fixed number of callers can get, and it hides queueing: a
//             slow answer delays the callers' next sends.
//   open      a fixed arrival rate (--rate calls/s for --seconds). Call i is due at
//             start + i / rate; any of --threads workers sends it at that time, or as soon as
//             one is free, and its latency counts from the time it was due, so a stall shows in
//             the percentiles instead of silently lowering the rate (coordinated omission).
//             "per_second" below --rate means the target could not keep up.
//
// Clients: resolve and pay use gRPC's callback client API by default (--client callback:
// --threads is the number of calls in flight, and no thread waits per call); --client sync, and
// every other scenario, use blocking stubs on --threads threads. Either way the client shares the
// machine's cores with the server, so the same client drives the target and its baseline in one
// run.
//
// Baselines (the same RPC shape as ResolveCode, a constant answer, no auth/cache/storage):
//   loadgen --callback-server --addr 127.0.0.1:50998  gRPC's callback API (the reference)
//   loadgen --echo-server --addr 127.0.0.1:50999      gRPC's synchronous API (for comparison)
// Both serve plaintext, or TLS with --tls-cert/--tls-key/--tls-ca through aggpayd's own
// listener credentials, so that a baseline is measured over the same transport as aggpayd.
//
//   loadgen --addr 127.0.0.1:50051 --rpc resolve --code CODE_ID --seconds 10 --threads 16
//   loadgen --addr 127.0.0.1:50051 --rpc resolve --code CODE_ID --mode open --rate 20000
//   loadgen --addr 127.0.0.1:50051 --rpc checkin --activation-code CODE --terminals 64
//   loadgen --rest-url http://127.0.0.1:8080 --rpc rest --key-id ak_... --path /v1/merchant
//
//   loadgen --wake-floor --rate 20000 --seconds 10
// measures no target: how late this machine wakes a thread sleeping until each due time at that
// rate, the floor under every open-loop percentile. Every report gives the generator's own CPU
// time per call (client_cpu_us_per_call), since it shares the cores with what it measures.
// Only loopback and the project's own test hosts are valid targets.

#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aggpay/v1/binding.grpc.pb.h"
#include "aggpay/v1/payment.grpc.pb.h"
#include "aggpay/v1/terminal.grpc.pb.h"
#include "services/common/crypto/crypto.h"
#include "services/common/grpc/tls.h"
#include "services/terminal/domain/terminal_key.h"
#include "tools/loadgen/histogram.h"

namespace {

using aggpay::loadgen::LatencyHistogram;
using Clock = std::chrono::steady_clock;

void ConstantAnswer(const aggpay::v1::ResolveCodeRequest& req, aggpay::v1::ResolvedCode* resp) {
  resp->set_outcome("PAYABLE");
  resp->set_code_id(req.code());
  resp->set_merchant_display_name("echo");
}

// gRPC's synchronous API: a thread per call in flight.
class SyncEchoBinding final : public aggpay::v1::BindingService::Service {
  grpc::Status ResolveCode(grpc::ServerContext*, const aggpay::v1::ResolveCodeRequest* req,
                           aggpay::v1::ResolvedCode* resp) override {
    ConstantAnswer(*req, resp);
    return grpc::Status::OK;
  }
};

// gRPC's callback API: the handler answers inline on the library's own threads, no thread hop.
class CallbackEchoBinding final : public aggpay::v1::BindingService::CallbackService {
  grpc::ServerUnaryReactor* ResolveCode(grpc::CallbackServerContext* ctx,
                                        const aggpay::v1::ResolveCodeRequest* req,
                                        aggpay::v1::ResolvedCode* resp) override {
    ConstantAnswer(*req, resp);
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// An interceptor that only looks at each call's metadata, as aggpayd's auth interceptor does
// first: --empty-interceptor measures what gRPC's interception machinery itself costs.
class EmptyInterceptor final : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      methods->GetRecvInitialMetadata()->erase("x-aggpay-principal");
    }
    methods->Proceed();
  }
};
class EmptyInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new EmptyInterceptor;
  }
};
bool g_empty_interceptor = false;

// Plaintext, or TLS with aggpayd's own listener credentials (services/common/grpc/tls.h: the
// certificate files watched, client certificates requested and verified when sent), so that a
// baseline and aggpayd are compared over the same transport.
int Serve(grpc::Service* service, const std::string& addr, const char* what,
          const aggpay::common::TlsOptions& tls) {
  if (!tls.plaintext()) {
    if (absl::Status files = aggpay::common::CheckTlsFiles(tls); !files.ok()) {
      std::fprintf(stderr, "loadgen: %s\n", std::string(files.message()).c_str());
      return 2;
    }
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(addr, aggpay::common::ServerCredentials(tls));
  builder.RegisterService(service);
  if (g_empty_interceptor) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
    f.push_back(std::make_unique<EmptyInterceptorFactory>());
    builder.experimental().SetInterceptorCreators(std::move(f));
  }
  auto server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "loadgen: cannot listen on %s\n", addr.c_str());
    return 2;
  }
  std::fprintf(stderr, "%s server on %s (%s)\n", what, addr.c_str(),
               tls.plaintext() ? "plaintext" : "TLS");
  server->Wait();
  return 0;
}

enum class Outcome { kOk, kError, kExhausted };
// One worker's calls: each invocation makes one blocking call.
using Caller = std::function<Outcome()>;

struct WorkerResult {
  int64_t calls = 0;
  int64_t errors = 0;
  LatencyHistogram latency;
};

struct Terminal {
  std::string sn;
  std::string key;
  int64_t next_ts = 0;
};

struct Options {
  std::string addr = "127.0.0.1:50051";
  // TLS to the target (server-auth, as a terminal): the CA that signed its certificate; or
  // plaintext (the baseline servers, a development aggpayd with tls.mode plaintext).
  std::string ca_file;
  bool plaintext = false;
  std::string rpc = "resolve";
  std::string mode = "closed";
  std::string code;
  std::string activation_code;
  std::string rest_url;
  std::string key_id;
  std::string key_secret;
  std::string path = "/v1/merchant";
  int terminals = 64;
  int seconds = 10;
  int threads = 16;
  int channels = 4;
  double rate = 0;
  std::string client = "callback";
};

// Reports the first failure of each worker on stderr; the count goes to the result.
void ReportFirst(WorkerResult& r, const std::string& what) {
  if (r.errors == 0) std::fprintf(stderr, "loadgen: %s\n", what.c_str());
}

Caller ResolveCaller(std::shared_ptr<grpc::Channel> channel, const Options& o, WorkerResult& r) {
  auto stub = std::shared_ptr(aggpay::v1::BindingService::NewStub(channel));
  aggpay::v1::ResolveCodeRequest req;
  req.set_code(o.code);
  return [stub, req, &r] {
    grpc::ClientContext ctx;
    aggpay::v1::ResolvedCode resp;
    grpc::Status s = stub->ResolveCode(&ctx, req, &resp);
    if (s.ok() && resp.outcome() == "PAYABLE") return Outcome::kOk;
    ReportFirst(
        r, absl::StrCat("resolve: ", s.error_code(), " ", s.error_message(), " ", resp.outcome()));
    return Outcome::kError;
  };
}

// A terminal's check-ins must sign increasing seconds within the server's 300 s window, so each
// starts 250 s in the past and counts up by one: up to 500 check-ins per terminal per run.
Caller CheckInCaller(std::shared_ptr<grpc::Channel> channel, Terminal& d, WorkerResult& r) {
  auto stub = std::shared_ptr(aggpay::v1::TerminalService::NewStub(channel));
  const std::string body = aggpay::common::Sha256Hex("8.0.15");
  const int64_t last_ts = d.next_ts + 500;
  return [stub, body, last_ts, &d, &r] {
    if (d.next_ts >= last_ts) return Outcome::kExhausted;
    aggpay::v1::CheckInRequest req;
    req.set_terminal_sn(d.sn);
    req.set_client_version("8.0.15");
    req.set_timestamp(std::to_string(d.next_ts++));
    req.set_nonce(aggpay::common::RandomToken(12));
    req.set_signature(aggpay::terminal::SignTerminalRequest(d.key, "CheckIn", d.sn, req.timestamp(),
                                                            req.nonce(), body));
    grpc::ClientContext ctx;
    aggpay::v1::CheckInResponse resp;
    grpc::Status s = stub->CheckIn(&ctx, req, &resp);
    if (!s.ok()) {
      ReportFirst(r, absl::StrCat("check-in ", d.sn, ": ", s.error_code(), " ", s.error_message()));
      return Outcome::kError;
    }
    d.key = resp.terminal_key();
    return Outcome::kOk;
  };
}

// The payer's flow: resolve + risk + fee + the durable insert + the channel's precreate. Call i
// of worker t of a run: a new order (its own client_request_id), from payers of many networks.
aggpay::v1::CreateCodePaymentRequest PayRequest(const std::string& code, const std::string& run,
                                                int64_t i, int t) {
  aggpay::v1::CreateCodePaymentRequest req;
  req.set_code(code);
  req.mutable_amount()->set_currency("CNY");
  req.mutable_amount()->set_amount_minor(100 + i % 50000);
  req.set_wallet("wechat");
  // Payers from many networks, as in a real shop: one address would be a concentrated /24 to
  // risk control, and every payment would be flagged.
  req.set_payer_ip(absl::StrCat("10.", (i >> 8) % 256, ".", i % 256, ".", 1 + t % 250));
  req.set_client_request_id(absl::StrCat("lg", run, t, "-", i));
  return req;
}

Caller PayCaller(std::shared_ptr<grpc::Channel> channel, const Options& o, int t, WorkerResult& r) {
  auto stub = std::shared_ptr(aggpay::v1::PaymentService::NewStub(channel));
  const std::string run = aggpay::common::RandomToken(6);
  auto n = std::make_shared<int64_t>(0);
  return [stub, run, n, t, code = o.code, &r] {
    const aggpay::v1::CreateCodePaymentRequest req = PayRequest(code, run, (*n)++, t);
    grpc::ClientContext ctx;
    aggpay::v1::Payment resp;
    grpc::Status s = stub->CreateCodePayment(&ctx, req, &resp);
    if (s.ok()) return Outcome::kOk;
    ReportFirst(r, absl::StrCat("pay: ", s.error_code(), " ", s.error_message()));
    return Outcome::kError;
  };
}

// A merchant's signed GET (docs/api.md, "Signing requests"), one keep-alive connection per
// worker, a fresh timestamp and nonce per request.
Caller RestCaller(const Options& o, WorkerResult& r) {
  auto client = std::make_shared<httplib::Client>(o.rest_url);
  client->set_keep_alive(true);
  client->set_connection_timeout(5);
  client->set_read_timeout(30);
  const std::string empty_body_hash = aggpay::common::Sha256Hex("");
  return [client, empty_body_hash, &o, &r] {
    const std::string ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    const std::string nonce = aggpay::common::RandomToken(16);
    const std::string signature = aggpay::common::HmacSha256Hex(
        o.key_secret,
        absl::StrCat("GET\n", o.path, "\n", ts, "\n", nonce, "\n", empty_body_hash, "\n"));
    httplib::Headers headers{
        {"Authorization",
         absl::StrCat("AGGPAY-HMAC-SHA256 key_id=\"", o.key_id, "\",timestamp=\"", ts,
                      "\",nonce=\"", nonce, "\",signature=\"", signature, "\"")}};
    auto res = client->Get(o.path, headers);
    if (res && res->status == 200) return Outcome::kOk;
    ReportFirst(r, res ? absl::StrCat("rest: HTTP ", res->status, " ", res->body)
                       : absl::StrCat("rest: ", httplib::to_string(res.error())));
    return Outcome::kError;
  };
}

int64_t Nanos(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

struct Totals {
  int64_t calls = 0;
  int64_t errors = 0;
  int64_t unsent = 0;
  double elapsed_s = 0;
  LatencyHistogram latency;
};

// This process's CPU time (user + system, every thread), in microseconds: the load generator's
// own cost shares the machine with the target, so the report gives it per call.
int64_t ProcessCpuMicros() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (static_cast<int64_t>(u.ru_utime.tv_sec) + u.ru_stime.tv_sec) * 1000000 +
         u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}
// At the first report: what setting up (activating terminals, connecting) cost is left out.
int64_t g_cpu_at_start = 0;

// The machine's own wake-up floor (--wake-floor): one thread sleeps until each due time of
// --rate per second for --seconds, as the open loop's scheduler does, and records how late it
// woke. No call is made, so whatever this shows is under every open-loop percentile measured on
// this machine at that rate: the kernel's timer slack, and the time a virtual machine's idle
// CPU takes to run again.
Totals WakeFloor(const Options& o) {
  Totals t;
  const auto total_due = static_cast<int64_t>(o.rate * o.seconds);
  const double interval_ns = 1e9 / o.rate;
  const auto start = Clock::now();
  for (int64_t i = 0; i < total_due; ++i) {
    const auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(interval_ns * i));
    std::this_thread::sleep_until(due);
    t.latency.Record(Nanos(Clock::now() - due));
    ++t.calls;
  }
  t.elapsed_s = static_cast<double>(Nanos(Clock::now() - start)) / 1e9;
  return t;
}

int PrintReport(const Options& o, const char* client, const Totals& t) {
  const bool open = o.mode == "open";
  const auto us = [&](double q) { return t.latency.ValueAtQuantile(q) / 1000.0; };
  const std::string target = o.rpc == "rest" ? o.rest_url : o.addr;
  std::printf(
      "{\"rpc\":\"%s\",\"mode\":\"%s\",\"client\":\"%s\",\"target\":\"%s\",\"threads\":%d,"
      "\"rate\":%.0f,\"seconds\":%.2f,\"calls\":%lld,\"errors\":%lld,\"unsent\":%lld,"
      "\"per_second\":%.0f,\"p50_us\":%.0f,\"p90_us\":%.0f,\"p99_us\":%.0f,\"p999_us\":%.0f,"
      "\"max_us\":%.0f,\"mean_us\":%.0f,\"client_cpu_us_per_call\":%.1f}\n",
      o.rpc.c_str(), o.mode.c_str(), client, target.c_str(), o.threads, open ? o.rate : 0.0,
      t.elapsed_s, static_cast<long long>(t.calls), static_cast<long long>(t.errors),
      static_cast<long long>(t.unsent), static_cast<double>(t.calls) / t.elapsed_s, us(0.5),
      us(0.9), us(0.99), us(0.999), static_cast<double>(t.latency.max()) / 1000.0,
      t.latency.mean() / 1000.0,
      t.calls > 0 ? static_cast<double>(ProcessCpuMicros() - g_cpu_at_start) / t.calls : 0.0);
  return t.errors == 0 && t.unsent == 0 ? 0 : 1;
}

// Calls through gRPC's callback client API: no thread per call in flight, so the load generator
// takes less of the two cores from the server it measures than blocking clients do. Closed loop:
// --threads calls in flight, each answer starting the next. Open loop: one scheduler thread
// starts call i at its due time whatever is still in flight (up to kMaxInFlight, beyond which it
// waits, and the wait counts in the latency). A subclass makes one call (Issue) and reports its
// answer (Done).
class AsyncDriver {
 public:
  static constexpr int64_t kMaxInFlight = 20000;

  explicit AsyncDriver(const Options& o) : o_(o) {}
  virtual ~AsyncDriver() = default;

  Totals Run() {
    start_ = Clock::now();
    deadline_ = start_ + std::chrono::seconds(o_.seconds);
    Totals t;
    if (o_.mode == "open") {
      const auto total_due = static_cast<int64_t>(o_.rate * o_.seconds);
      const double interval_ns = 1e9 / o_.rate;
      const auto give_up = deadline_ + std::chrono::seconds(std::max(5, o_.seconds));
      int64_t i = 0;
      for (; i < total_due; ++i) {
        const auto due = start_ + std::chrono::nanoseconds(static_cast<int64_t>(interval_ns * i));
        std::this_thread::sleep_until(due);
        while (in_flight_.load() >= kMaxInFlight && Clock::now() < give_up) {
          std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
        if (Clock::now() >= give_up) break;
        Start(static_cast<size_t>(i), due, /*again=*/false);
      }
      t.unsent = total_due - i;
    } else {
      for (int slot = 0; slot < o_.threads; ++slot) {
        Start(static_cast<size_t>(slot), Clock::now(), /*again=*/true);
      }
    }
    std::unique_lock lock(done_mu_);
    done_cv_.wait(lock, [&] { return in_flight_.load() == 0; });
    t.elapsed_s = static_cast<double>(Nanos(Clock::now() - start_)) / 1e9;
    for (auto& shard : shards_) {
      std::lock_guard shard_lock(shard.mu);
      t.calls += shard.calls;
      t.errors += shard.errors;
      t.latency.Merge(shard.latency);
    }
    return t;
  }

 protected:
  // Starts one call for `slot`; its callback must call Done exactly once.
  virtual void Issue(size_t slot, Clock::time_point due, bool again) = 0;

  // `again`: closed loop, the answer starts the slot's next call until the deadline. `failure`:
  // empty for a good answer, otherwise what went wrong (the first one goes to stderr).
  void Done(size_t slot, Clock::time_point due, bool again, const std::string& failure) {
    const auto end = Clock::now();
    Shard& shard = shards_[slot % shards_.size()];
    {
      std::lock_guard lock(shard.mu);
      if (!failure.empty() && !reported_.exchange(true)) {
        std::fprintf(stderr, "loadgen: %s\n", failure.c_str());
      }
      ++shard.calls;
      if (!failure.empty()) ++shard.errors;
      shard.latency.Record(Nanos(end - due));
    }
    if (again && end < deadline_) Start(slot, Clock::now(), true);
    if (in_flight_.fetch_sub(1) == 1) {
      std::lock_guard lock(done_mu_);
      done_cv_.notify_all();
    }
  }

  const Options& o_;

 private:
  struct Shard {
    std::mutex mu;
    int64_t calls = 0;
    int64_t errors = 0;
    LatencyHistogram latency;
  };

  void Start(size_t slot, Clock::time_point due, bool again) {
    in_flight_.fetch_add(1);
    Issue(slot, due, again);
  }

  std::array<Shard, 16> shards_;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<bool> reported_{false};  // the first failure goes to stderr, the rest are counted
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  Clock::time_point start_;
  Clock::time_point deadline_;
};

// ResolveCode of --code; every answer must be PAYABLE.
class AsyncResolve final : public AsyncDriver {
 public:
  AsyncResolve(const Options& o, const std::vector<std::shared_ptr<grpc::Channel>>& chans)
      : AsyncDriver(o) {
    for (const auto& c : chans) stubs_.push_back(aggpay::v1::BindingService::NewStub(c));
    req_.set_code(o.code);
  }

 private:
  struct Call {
    grpc::ClientContext ctx;
    aggpay::v1::ResolvedCode resp;
  };

  void Issue(size_t slot, Clock::time_point due, bool again) override {
    auto* call = new Call;
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    stubs_[slot % stubs_.size()]->async()->ResolveCode(
        &call->ctx, &req_, &call->resp, [this, call, slot, due, again](grpc::Status s) {
          std::string failure;
          if (!s.ok() || call->resp.outcome() != "PAYABLE") {
            failure = absl::StrCat("resolve: ", s.error_code(), " ", s.error_message(), " ",
                                   call->resp.outcome());
          }
          delete call;
          Done(slot, due, again, failure);
        });
  }

  std::vector<std::unique_ptr<aggpay::v1::BindingService::Stub>> stubs_;
  aggpay::v1::ResolveCodeRequest req_;
};

// CreateCodePayment of --code, as PayRequest builds it: each call a new order.
class AsyncPay final : public AsyncDriver {
 public:
  AsyncPay(const Options& o, const std::vector<std::shared_ptr<grpc::Channel>>& chans)
      : AsyncDriver(o), run_(aggpay::common::RandomToken(6)) {
    for (const auto& c : chans) stubs_.push_back(aggpay::v1::PaymentService::NewStub(c));
  }

 private:
  struct Call {
    grpc::ClientContext ctx;
    aggpay::v1::CreateCodePaymentRequest req;
    aggpay::v1::Payment resp;
  };

  void Issue(size_t slot, Clock::time_point due, bool again) override {
    auto* call = new Call;
    call->req = PayRequest(o_.code, run_, next_.fetch_add(1, std::memory_order_relaxed),
                           static_cast<int>(slot % 250));
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    stubs_[slot % stubs_.size()]->async()->CreateCodePayment(
        &call->ctx, &call->req, &call->resp, [this, call, slot, due, again](grpc::Status s) {
          std::string failure;
          if (!s.ok()) failure = absl::StrCat("pay: ", s.error_code(), " ", s.error_message());
          delete call;
          Done(slot, due, again, failure);
        });
  }

  std::vector<std::unique_ptr<aggpay::v1::PaymentService::Stub>> stubs_;
  const std::string run_;
  std::atomic<int64_t> next_{0};
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"loadgen: open- and closed-loop load against aggpayd, the gateway or a baseline"};
  Options o;
  bool echo_server = false;
  bool callback_server = false;
  app.add_option("--addr", o.addr, "gRPC target, or the address a baseline server listens on");
  app.add_option("--ca-file", o.ca_file, "TLS: the CA of the target's certificate (AGGPAY_CA_FILE)")
      ->envname("AGGPAY_CA_FILE");
  app.add_flag("--plaintext", o.plaintext, "no TLS (the baseline servers, a plaintext aggpayd)");
  app.add_flag("--echo-server", echo_server, "serve the synchronous baseline on --addr");
  app.add_flag("--callback-server", callback_server, "serve the callback-API baseline on --addr");
  bool wake_floor = false;
  app.add_flag("--wake-floor", wake_floor,
               "no target: how late this machine wakes a thread sleeping until each due time of "
               "--rate per second (the floor under open-loop latency)");
  app.add_flag("--empty-interceptor", g_empty_interceptor,
               "a baseline server: with an interceptor that does nothing but look at metadata");
  aggpay::common::TlsOptions server_tls;
  server_tls.mode = aggpay::common::TlsOptions::Mode::kPlaintext;
  app.add_option("--tls-cert", server_tls.cert_file,
                 "a baseline server: serve TLS with this certificate (PEM), as aggpayd does; "
                 "plaintext without it");
  app.add_option("--tls-key", server_tls.key_file, "a baseline server: the certificate's key");
  app.add_option("--tls-ca", server_tls.ca_file,
                 "a baseline server: the CA a client certificate is verified against, if sent");
  app.add_option("--rpc", o.rpc)->check(CLI::IsMember({"resolve", "checkin", "pay", "rest"}));
  app.add_option("--mode", o.mode)->check(CLI::IsMember({"closed", "open"}));
  app.add_option("--rate", o.rate, "open: calls per second")->check(CLI::Range(1.0, 1e7));
  app.add_option("--client", o.client,
                 "resolve, pay: gRPC's callback client API (--threads = calls in flight) or "
                 "blocking stubs (--threads = threads); the other scenarios always use blocking "
                 "stubs")
      ->check(CLI::IsMember({"callback", "sync"}));
  app.add_option("--code", o.code, "resolve, pay: the code id");
  app.add_option("--activation-code", o.activation_code, "checkin: a code with enough uses");
  app.add_option("--terminals", o.terminals, "checkin: terminals, one per worker")
      ->check(CLI::Range(1, 512));
  app.add_option("--rest-url", o.rest_url, "rest: the gateway, http://127.0.0.1:PORT");
  app.add_option("--key-id", o.key_id, "rest: the merchant API key id");
  app.add_option("--path", o.path, "rest: the path and query to GET");
  app.add_option("--seconds", o.seconds)->check(CLI::Range(1, 600));
  app.add_option("--threads", o.threads,
                 "closed: clients (callback resolve: calls in flight); open: sync senders")
      ->check(CLI::Range(1, 512));
  app.add_option("--channels", o.channels, "distinct HTTP/2 connections")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  if (!server_tls.cert_file.empty() || !server_tls.key_file.empty()) {
    if (server_tls.cert_file.empty() || server_tls.key_file.empty() || server_tls.ca_file.empty()) {
      std::fprintf(stderr, "loadgen: --tls-cert, --tls-key and --tls-ca go together\n");
      return 2;
    }
    server_tls.mode = aggpay::common::TlsOptions::Mode::kMtls;
  }
  if (echo_server) {
    SyncEchoBinding service;
    return Serve(&service, o.addr, "sync echo", server_tls);
  }
  if (callback_server) {
    CallbackEchoBinding service;
    return Serve(&service, o.addr, "callback echo", server_tls);
  }
  if ((o.mode == "open" || wake_floor) && o.rate <= 0) {
    std::fprintf(stderr, "loadgen: --mode open and --wake-floor need --rate (calls per second)\n");
    return 2;
  }
  if (wake_floor) {
    o.rpc = "wake-floor";
    o.mode = "open";
    o.addr.clear();
    o.threads = 1;
    g_cpu_at_start = ProcessCpuMicros();
    return PrintReport(o, "none", WakeFloor(o));
  }
  if ((o.rpc == "resolve" || o.rpc == "pay") && o.code.empty()) {
    std::fprintf(stderr, "loadgen: --rpc %s needs --code\n", o.rpc.c_str());
    return 2;
  }
  if (o.rpc == "checkin" && o.activation_code.empty()) {
    std::fprintf(stderr, "loadgen: --rpc checkin needs --activation-code\n");
    return 2;
  }
  if (o.rpc == "rest") {
    const char* secret = std::getenv("AGGPAY_KEY_SECRET");
    if (o.rest_url.empty() || o.key_id.empty() || secret == nullptr || *secret == '\0') {
      std::fprintf(stderr,
                   "loadgen: --rpc rest needs --rest-url, --key-id and AGGPAY_KEY_SECRET\n");
      return 2;
    }
    o.key_secret = secret;
    if (o.path.empty() || o.path[0] != '/') {
      std::fprintf(stderr, "loadgen: --path must start with /: %s\n", o.path.c_str());
      return 2;
    }
  }

  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!o.plaintext) {
    auto tls = aggpay::common::ServerAuthChannelCredentials(o.ca_file);
    if (!tls.ok()) {
      std::fprintf(stderr, "loadgen: --ca-file: %s (or --plaintext)\n",
                   std::string(tls.status().message()).c_str());
      return 2;
    }
    creds = *tls;
  }
  std::vector<std::shared_ptr<grpc::Channel>> chans;
  for (int i = 0; i < o.channels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // distinct connections
    chans.push_back(grpc::CreateCustomChannel(o.addr, creds, args));
  }
  std::vector<Terminal> devices;
  if (o.rpc == "checkin") {
    o.threads = o.terminals;
    devices.resize(static_cast<size_t>(o.terminals));
    const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    const std::string run = aggpay::common::RandomToken(6);
    for (int i = 0; i < o.terminals; ++i) {
      auto stub = aggpay::v1::TerminalService::NewStub(chans[static_cast<size_t>(i % o.channels)]);
      aggpay::v1::ActivateRequest req;
      req.set_activation_code(o.activation_code);
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

  g_cpu_at_start = ProcessCpuMicros();
  if (o.rpc == "resolve" && o.client == "callback") {
    AsyncResolve driver(o, chans);
    return PrintReport(o, "callback", driver.Run());
  }
  if (o.rpc == "pay" && o.client == "callback") {
    AsyncPay driver(o, chans);
    return PrintReport(o, "callback", driver.Run());
  }
  const bool open = o.mode == "open";
  // Open loop: the number of calls due in the run, and the time by which senders give up on
  // calls still not sent (they count as "unsent": the target fell that far behind).
  const auto total_due = static_cast<int64_t>(o.rate * o.seconds);
  std::atomic<int64_t> next_due{0};
  std::vector<std::unique_ptr<WorkerResult>> results;
  for (int t = 0; t < o.threads; ++t) results.push_back(std::make_unique<WorkerResult>());
  const auto start = Clock::now() + std::chrono::milliseconds(20);  // workers ready first
  const auto deadline = start + std::chrono::seconds(o.seconds);
  const auto give_up = deadline + std::chrono::seconds(std::max(5, o.seconds));
  const double interval_ns = open ? 1e9 / o.rate : 0;
  std::vector<std::thread> workers;
  for (int t = 0; t < o.threads; ++t) {
    workers.emplace_back([&, t] {
      auto channel = chans[static_cast<size_t>(t % o.channels)];
      WorkerResult& r = *results[static_cast<size_t>(t)];
      Caller call;
      if (o.rpc == "resolve") call = ResolveCaller(channel, o, r);
      if (o.rpc == "checkin") call = CheckInCaller(channel, devices[static_cast<size_t>(t)], r);
      if (o.rpc == "pay") call = PayCaller(channel, o, t, r);
      if (o.rpc == "rest") call = RestCaller(o, r);
      std::this_thread::sleep_until(start);
      while (true) {
        Clock::time_point due;
        if (open) {
          const int64_t i = next_due.fetch_add(1, std::memory_order_relaxed);
          if (i >= total_due) break;
          due = start + std::chrono::nanoseconds(static_cast<int64_t>(interval_ns * i));
          std::this_thread::sleep_until(due);
          if (Clock::now() >= give_up) break;
        } else {
          due = Clock::now();
          if (due >= deadline) break;
        }
        const Outcome outcome = call();
        if (outcome == Outcome::kExhausted) break;
        const auto end = Clock::now();
        ++r.calls;
        if (outcome == Outcome::kError) ++r.errors;
        r.latency.Record(Nanos(end - due));
      }
    });
  }
  for (auto& w : workers) w.join();
  Totals all;
  all.elapsed_s = static_cast<double>(Nanos(Clock::now() - start)) / 1e9;
  for (auto& r : results) {
    all.calls += r->calls;
    all.errors += r->errors;
    all.latency.Merge(r->latency);
  }
  all.unsent = open ? std::max<int64_t>(0, total_due - all.calls) : 0;
  return PrintReport(o, "sync", all);
}
