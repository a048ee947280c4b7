#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "services/common/mysql/mysql_pool.h"
#include "tests/support/test_servers.h"

namespace grpc {
class Channel;
}

namespace aggpay::testing {

// What a test may set in the instance's config; the defaults are what every test got before.
struct AggpaydOptions {
  std::string services = "all";
  int64_t resolve_rate_per_second = 1000000;
  // mysql.pool_size; 0 leaves aggpayd's default.
  int mysql_pool_size = 0;
  // More top-level YAML, e.g. "audit: {batch_delay: 60s}".
  std::string extra_config;
  // The payment section: jobs that tests can wait for (re-queries within a second, the
  // notification schedule at a hundredth).
  std::string payment_config =
      "{requery_first: 300ms, requery_max: 2s, job_interval: 100ms, "
      "notification_schedule_percent: 1}";
  // The audit section: the outbox sweep looks for rows left by a killed instance after 5 s (in
  // production 60 s, longer than any call).
  std::string audit_config = "{sweep_age: 5s, sweep_interval: 1s}";
  // More keys of the settlement section (its output_dir is the test's own), e.g.
  // "d0_schedule: true".
  std::string settlement_config;
  // The tls section: empty is mtls with the test CA and the certificate of the identity this
  // instance is (monolith for "all", else the one service it hosts), e.g. "{mode: plaintext}".
  std::string tls_config;
  // The gRPC port; 0 takes a free one. A test restarts an instance on the address its peers
  // were configured with by passing the first one's port.
  int grpc_port = 0;
};

// `aggpayd serve` as a separate process against a migrated test database, as an operator runs
// it; stopped with SIGTERM when this object dies.
class AggpaydProcess {
 public:
  // Tests resolve codes in tight loops from one address: the per-address resolve limit is
  // `resolve_rate_per_second` (burst the same).
  AggpaydProcess(TestServers& servers, const common::MysqlOptions& db,
                 const std::string& services = "all", int64_t resolve_rate_per_second = 1000000);
  AggpaydProcess(TestServers& servers, const common::MysqlOptions& db,
                 const AggpaydOptions& options);
  ~AggpaydProcess();

  const std::string& grpc_addr() const { return grpc_addr_; }
  const std::string& admin_url() const { return admin_url_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& internal_secret() const { return internal_secret_; }
  // tls.mode plaintext (no TLS, the shared secret), as the options asked.
  bool plaintext() const { return plaintext_; }
  // Where one-time passwords to merchants' phones are written.
  const std::string& sms_log() const { return sms_log_; }

  // A client channel to this instance's gRPC listener, with whatever transport credentials the
  // instance expects: tests build their stubs on it instead of creating channels themselves.
  std::shared_ptr<grpc::Channel> Channel() const;
  // SIGSTOP / SIGCONT: the process holds its sockets and answers nothing (a hung VM, a GC pause).
  void Freeze();
  void Thaw();

  // SIGKILL, as a crash or an OOM kill would end it.
  void Kill();
  pid_t pid() const { return pid_; }

  // `aggpayd bootstrap-admin`: the new admin's bearer token.
  std::string BootstrapAdmin();
  // Runs aggpayctl against this instance with `token`; stdout and exit code.
  CommandResult Ctl(const std::string& token, const std::string& args) const;
  // The command line prefix that runs aggpayd with this instance's config and secrets.
  std::string AggpaydCommand() const;

 private:
  std::string grpc_addr_;
  std::string admin_url_;
  std::string config_path_;
  std::string sms_log_;
  std::string internal_secret_ = "e2e-internal-secret-0123456789";
  std::string secret_key_ = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  bool plaintext_ = false;
  pid_t pid_ = -1;
};

// GET `url`: HTTP status (0 when unreachable) and body.
std::pair<int, std::string> HttpGet(const std::string& url);

}  // namespace aggpay::testing
