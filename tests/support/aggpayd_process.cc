#include "tests/support/aggpayd_process.h"

#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/support/tls_support.h"

namespace aggpay::testing {

std::pair<int, std::string> HttpGet(const std::string& url) {
  const size_t slash = url.find('/', url.find("//") + 2);
  httplib::Client client(url.substr(0, slash));
  client.set_connection_timeout(1, 0);
  if (url.rfind("https://", 0) == 0) client.set_ca_cert_path(TlsCaFile().c_str());
  auto res = client.Get(slash == std::string::npos ? "/" : url.substr(slash));
  if (!res) return {0, ""};
  return {res->status, res->body};
}

AggpaydProcess::AggpaydProcess(TestServers& servers, const common::MysqlOptions& db,
                               const std::string& services, int64_t resolve_rate_per_second)
    : AggpaydProcess(servers, db,
                     AggpaydOptions{.services = services,
                                    .resolve_rate_per_second = resolve_rate_per_second,
                                    .mysql_pool_size = 0,
                                    .extra_config = "",
                                    .payment_config = AggpaydOptions().payment_config,
                                    .audit_config = AggpaydOptions().audit_config,
                                    .settlement_config = "",
                                    .tls_config = "",
                                    .grpc_port = 0}) {}

AggpaydProcess::AggpaydProcess(TestServers& servers, const common::MysqlOptions& db,
                               const AggpaydOptions& options) {
  const std::string& services = options.services;
  const int64_t resolve_rate_per_second = options.resolve_rate_per_second;
  const std::string pool_size =
      options.mysql_pool_size > 0 ? absl::StrCat(", pool_size: ", options.mysql_pool_size) : "";
  const int grpc_port = options.grpc_port > 0 ? options.grpc_port : FreePort();
  const int http_port = FreePort();
  grpc_addr_ = absl::StrCat("127.0.0.1:", grpc_port);
  admin_url_ = absl::StrCat("http://127.0.0.1:", http_port);
  config_path_ = absl::StrCat(servers.dir(), "/aggpayd-", grpc_port, ".yaml");
  // Instances sharing a database share the SMS log too, as they would share a gateway.
  sms_log_ = absl::StrCat(servers.dir(), "/sms-", db.database, ".log");
  std::string tls = options.tls_config;
  if (tls.empty()) {
    const std::string identity =
        services == "all" || services.find(',') != std::string::npos ? "monolith" : services;
    tls = absl::StrCat("{cert_file: ", TlsCertFile(identity), ", key_file: ", TlsKeyFile(identity),
                       ", ca_file: ", TlsCaFile(), "}");
  }
  plaintext_ = tls.find("plaintext") != std::string::npos;
  std::ofstream(config_path_) << "grpc_listen: " << grpc_addr_ << "\n"
                              << "http_listen: 127.0.0.1:" << http_port << "\n"
                              << "migrations_dir: " << SourceDir() << "/sql/migrations\n"
                              << "mysql: {port: " << db.port << ", database: " << db.database
                              << pool_size << "}\n"
                              << "redis: {port: " << servers.redis_port() << "}\n"
                              << "binding: {sms_log: " << sms_log_
                              << ", resolve_rate_per_second: " << resolve_rate_per_second
                              << ", resolve_burst: " << resolve_rate_per_second << "}\n"
                              << "log: {level: warn}\n"
                              << "payment: " << options.payment_config << "\n"
                              << "audit: " << options.audit_config << "\n"
                              << "settlement: {output_dir: " << servers.dir() << "/payouts-"
                              << grpc_port << (options.settlement_config.empty() ? "" : ", ")
                              << options.settlement_config << "}\n"
                              << "tls: " << tls << "\n"
                              << options.extra_config << "\n";
  const std::string binary = absl::StrCat(BuildDir(), "/services/aggpayd/aggpayd");
  const std::string log = absl::StrCat(config_path_, ".log");
  pid_ = fork();
  if (pid_ == 0) {
    setenv("AGGPAY_MYSQL_PASSWORD", db.password.c_str(), 1);
    setenv("AGGPAY_INTERNAL_SECRET", internal_secret_.c_str(), 1);
    setenv("AGGPAY_SECRET_KEY", secret_key_.c_str(), 1);
    freopen(log.c_str(), "a", stderr);
    const std::string services_flag = absl::StrCat("--services=", services);
    execl(binary.c_str(), binary.c_str(), "--config", config_path_.c_str(), "serve",
          services_flag.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    if (HttpGet(absl::StrCat(admin_url_, "/readyz")).first == 200) return;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error(absl::StrCat("aggpayd exited at start-up; see ", log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error(absl::StrCat("aggpayd did not become ready; see ", log));
}

AggpaydProcess::~AggpaydProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGCONT);  // a frozen instance cannot act on SIGTERM
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
}

std::shared_ptr<grpc::Channel> AggpaydProcess::Channel() const {
  if (plaintext_) return grpc::CreateChannel(grpc_addr_, grpc::InsecureChannelCredentials());
  return TestChannel(grpc_addr_);
}

void AggpaydProcess::Freeze() {
  if (pid_ > 0) kill(pid_, SIGSTOP);
}

void AggpaydProcess::Thaw() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

void AggpaydProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string AggpaydProcess::AggpaydCommand() const {
  return absl::StrCat("AGGPAY_MYSQL_PASSWORD=aggpay AGGPAY_INTERNAL_SECRET=", internal_secret_, " ",
                      BuildDir(), "/services/aggpayd/aggpayd --config ", config_path_);
}

std::string AggpaydProcess::BootstrapAdmin() {
  CommandResult r = RunCommand(absl::StrCat(AggpaydCommand(), " bootstrap-admin --output json"));
  if (r.exit_code != 0) throw std::runtime_error("bootstrap-admin failed: " + r.out);
  const std::string key = "\"token\":\"";
  const size_t start = r.out.find(key) + key.size();
  return r.out.substr(start, r.out.find('"', start) - start);
}

CommandResult AggpaydProcess::Ctl(const std::string& token, const std::string& args) const {
  return RunCommand(absl::StrCat("AGGPAY_GRPC_ADDR=", grpc_addr_, " AGGPAY_STAFF_TOKEN='", token,
                                 "' ", BuildDir(), "/tools/aggpayctl/aggpayctl ",
                                 plaintext_ ? "--plaintext" : "--ca-file " + TlsCaFile(), " ", args,
                                 " 2>&1"));
}

}  // namespace aggpay::testing
