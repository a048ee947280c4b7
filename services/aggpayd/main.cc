// aggpayd: the composition root. Reads configuration, builds every object, hosts the chosen
// services. Nothing else in aggpay reads configuration or the environment.

#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "services/admin/admin_service.h"
#include "services/admin/expiry_report.h"
#include "services/admin/mysql_audit_repository.h"
#include "services/admin/mysql_staff_repository.h"
#include "services/admin/staff_directory.h"
#include "services/aggpayd/batch_job.h"
#include "services/aggpayd/config.h"
#include "services/aggpayd/in_process.h"
#include "services/binding/binding_directory.h"
#include "services/binding/binding_service.h"
#include "services/binding/mysql_code_repository.h"
#include "services/binding/resolve_cache.h"
#include "services/common/audit/grpc_audit_sink.h"
#include "services/common/clock/clock.h"
#include "services/common/crypto/crypto.h"
#include "services/common/grpc/blocking_pool.h"
#include "services/common/grpc/server.h"
#include "services/common/grpc/tls.h"
#include "services/common/http/admin_http.h"
#include "services/common/log/logging.h"
#include "services/common/metrics/certificate_watch.h"
#include "services/common/mysql/migrator.h"
#include "services/common/redis/redis_client.h"
#include "services/common/status/status_macros.h"
#include "services/fee/fee_service.h"
#include "services/fee/mysql_fee_plan_repository.h"
#include "services/merchant/grpc_collection_control.h"
#include "services/merchant/grpc_fee_plan_assigner.h"
#include "services/merchant/local_request_authenticator.h"
#include "services/merchant/merchant_service.h"
#include "services/merchant/mysql_merchant_repository.h"
#include "services/merchant/mysql_onboarding_repository.h"
#include "services/merchant/mysql_portal_repository.h"
#include "services/merchant/redis_request_guard.h"
#include "services/payment/mysql_payment_repository.h"
#include "services/payment/payment_service.h"
#include "services/risk/mysql_risk_repository.h"
#include "services/risk/risk_service.h"
#include "services/settlement/mysql_settlement_repository.h"
#include "services/settlement/settlement_scheduler.h"
#include "services/settlement/settlement_service.h"
#include "services/terminal/merchant_directory.h"
#include "services/terminal/mysql_terminal_repository.h"
#include "services/terminal/terminal_service.h"

namespace aggpay::aggpayd {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "aggpayd: %s\n", std::string(status.message()).c_str());
  return 1;
}

// A channel to a peer: TLS presenting this process's certificate (tls.mode mtls), or plaintext.
std::shared_ptr<grpc::Channel> Channel(const Config& config, const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  // One set of credentials (one file watcher) for every peer: the config does not change.
  static const auto credentials = common::PeerChannelCredentials(config.tls);
  return grpc::CreateCustomChannel(address, credentials, args);
}

// tls.mode mtls needs its files; plaintext needs the shared secret.
absl::Status CheckCredentials(const Config& config) {
  if (!config.tls.plaintext()) return common::CheckTlsFiles(config.tls);
  if (config.internal_secret.size() < 16) {
    return absl::InvalidArgumentError(
        "AGGPAY_INTERNAL_SECRET: with tls.mode plaintext it must be set to at least 16 "
        "characters (the credential services and the gateway present to each other)");
  }
  spdlog::warn(
      "tls.mode is plaintext: no TLS, and one shared secret opens every internal "
      "method (development only)");
  return absl::OkStatus();
}

// "8.0.15=STATIC_CODE,DYNAMIC_CODE,CODE_SKINS" lines -> the capability table.
absl::StatusOr<terminal::CapabilityTable> ParseCapabilityTable(
    const std::vector<std::string>& lines) {
  if (lines.empty()) return terminal::CapabilityTable::Default();
  std::vector<terminal::CapabilityRule> rules;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string key = absl::StrCat("terminal.capabilities[", i, "]");
    std::vector<std::string> parts = absl::StrSplit(lines[i], absl::MaxSplits('=', 1));
    if (parts.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": want VERSION=CAP,CAP"));
    }
    auto version = terminal::ParseClientVersion(parts[0], key);
    if (!version.ok()) return version.status();
    terminal::CapabilityRule rule{*version, {}};
    for (absl::string_view name : absl::StrSplit(parts[1], ',', absl::SkipEmpty())) {
      auto cap = terminal::ParseCapability(name);
      if (!cap.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(key, ": unknown capability ", name));
      }
      rule.capabilities.push_back(*cap);
    }
    rules.push_back(std::move(rule));
  }
  return terminal::CapabilityTable::Create(std::move(rules));
}

int Migrate(const Config& config) {
  if (absl::Status s = common::EnsureDatabase(config.mysql); !s.ok()) return Fail(s);
  auto pool = common::MysqlPool::Create(config.mysql);
  if (!pool.ok()) return Fail(pool.status());
  auto result = common::ApplyMigrations(**pool, config.migrations_dir);
  if (!result.ok()) return Fail(result.status());
  std::printf("migrations: %zu applied, %d already applied\n", result->applied.size(),
              result->already_applied);
  return 0;
}

// The console's sign-in settings. Without a valid secret key no TOTP secret can be sealed, so the
// console stays closed (tokens still work).
admin::SignInOptions ConsoleSignIn(const Config& config) {
  admin::SignInOptions out;
  out.sessions = config.console_sessions;
  if (auto box = common::SecretBox::FromHexKey(config.secret_key_hex); box.ok()) {
    out.box = *std::move(box);
  }
  return out;
}

int BootstrapAdmin(const Config& config, const std::string& username, bool json) {
  auto pool = common::MysqlPool::Create(config.mysql);
  if (!pool.ok()) return Fail(pool.status());
  common::SystemClock clock;
  admin::MysqlStaffRepository staff_repo(**pool);
  admin::MysqlAuditRepository audit(**pool);
  admin::StaffDirectory directory(staff_repo, clock, config.token_ttl, ConsoleSignIn(config));
  auto result = directory.BootstrapAdmin(username);
  common::AuditRecord record;
  record.at = clock.Now();
  record.actor = "system:bootstrap-admin";
  record.role = "system";
  record.action = "aggpayd bootstrap-admin";
  record.target = absl::StrCat("username:", username);
  record.request_id = "bootstrap";
  record.outcome =
      result.ok() ? "OK" : std::string(absl::StatusCodeToString(result.status().code()));
  if (result.ok()) {
    record.details = absl::StrCat("token_id=", result->token.token_id,
                                  result->credentials.has_value() ? " password and TOTP set" : "");
  }
  if (absl::Status s = audit.Append(record); !s.ok()) return Fail(s);
  if (!result.ok()) return Fail(result.status());
  const auto& staff = result->staff;
  const auto& token = result->token;
  const std::string password = result->credentials ? result->credentials->password : "";
  const std::string totp_uri = result->credentials ? result->credentials->totp_uri : "";
  if (json) {
    std::printf(
        "{\"staff_id\":\"%s\",\"username\":\"%s\",\"token_id\":\"%s\",\"token\":\"%s\","
        "\"password\":\"%s\",\"totp_uri\":\"%s\"}\n",
        staff.staff_id.c_str(), staff.username.c_str(), token.token_id.c_str(), token.token.c_str(),
        password.c_str(), totp_uri.c_str());
  } else {
    std::printf("admin %s (%s)\ntoken %s (id %s, expires %s)\n", staff.username.c_str(),
                staff.staff_id.c_str(), token.token.c_str(), token.token_id.c_str(),
                absl::FormatTime(token.expires_at).c_str());
    if (result->credentials) {
      std::printf("console password %s\nconsole TOTP %s\n", password.c_str(), totp_uri.c_str());
    } else {
      std::printf("no console password: AGGPAY_SECRET_KEY is not set, so no TOTP secret\n");
    }
    std::printf("These are shown only once.\n");
  }
  return 0;
}

// The pod of a Kubernetes CronJob learns its date and shard from its environment, so that it runs
// aggpayd directly, with no shell: --indexed-job N takes the shard from JOB_COMPLETION_INDEX,
// --cronjob NAME (without --date) the day from JOB_NAME.
struct SettleJobArgs {
  int indexed_job = 0;
  std::string cronjob;
  int days_before = 1;
  bool dry_run = false;
};

absl::Status ResolveSettleJob(const Config& config, const SettleJobArgs& job, std::string& date,
                              std::string& shard) {
  if (job.indexed_job != 0) {
    const char* index = std::getenv("JOB_COMPLETION_INDEX");
    ASSIGN_OR_RETURN(shard, ShardOfIndexedJob(index == nullptr ? "" : index, job.indexed_job));
  }
  if (date.empty() && !job.cronjob.empty()) {
    const char* job_name = std::getenv("JOB_NAME");
    ASSIGN_OR_RETURN(absl::CivilDay day,
                     DateOfCronJobRun(job_name == nullptr ? "" : job_name, job.cronjob,
                                      config.settlement.zone, job.days_before));
    date = absl::FormatCivilTime(day);
  }
  return absl::OkStatus();
}

// `aggpayd settle`: one T+1 shard of a business date, or one D0 cycle, then exit (a CronJob or
// an Indexed Job pod; --dry-run only prints what it would settle). Exit 0 when settled or already
// settled, 1 on error.
int Settle(const Config& config, std::string date, const std::string& cycle, std::string shard,
           const SettleJobArgs& job, bool json) {
  if (absl::Status s = ResolveSettleJob(config, job, date, shard); !s.ok()) return Fail(s);
  const std::string plan = cycle == "D0"
                               ? std::string("settle: cycle D0")
                               : absl::StrCat("settle: date ", date.empty() ? "(none)" : date,
                                              ", shard ", shard.empty() ? "1/1" : shard);
  if (job.dry_run) {
    std::printf("%s\n", plan.c_str());
    return 0;
  }
  spdlog::info("{}", plan);
  if (absl::Status s = CheckCredentials(config); !s.ok()) return Fail(s);
  auto pool = common::MysqlPool::Create(config.mysql);
  if (!pool.ok()) return Fail(pool.status());
  common::SystemClock clock;
  settlement::MysqlSettlementRepository repo(**pool);
  settlement::GrpcSettlementDirectory directory(
      Channel(config, config.PeerAddress("fee")), Channel(config, config.PeerAddress("merchant")),
      Channel(config, config.PeerAddress("payment")), config.PeerCredential());
  settlement::SettlementOperations ops(repo, directory, clock, config.settlement);
  absl::StatusOr<settlement::RunReport> report;
  if (cycle == "D0") {
    if (!date.empty() || !shard.empty()) {
      return Fail(absl::InvalidArgumentError("--cycle D0 takes neither --date nor --shard"));
    }
    report = ops.RunD0();
  } else {
    if (date.empty()) return Fail(absl::InvalidArgumentError("--date: required for T1"));
    report = ops.RunT1(date, shard);
  }
  if (!report.ok()) {
    if (absl::IsAborted(report.status())) {
      return Fail(absl::AbortedError(
          "another run of this batch held its lock too long; nothing was settled, run again"));
    }
    return Fail(report.status());
  }
  const settlement::Batch& b = report->outcome.batch;
  if (json) {
    std::printf(
        "{\"batch_id\":%lld,\"run_key\":\"%s\",\"already_done\":%s,\"lines\":%lld,"
        "\"payouts\":%lld,\"payout_file\":\"%s\",\"message\":\"%s\"}\n",
        static_cast<long long>(b.batch_id), b.run_key.c_str(),
        report->outcome.already_done ? "true" : "false", static_cast<long long>(b.line_count),
        static_cast<long long>(b.payout_count), report->payout_file.c_str(),
        report->message.c_str());
  } else {
    std::printf("%s\n", report->message.c_str());
    if (!report->payout_file.empty()) std::printf("payout file %s\n", report->payout_file.c_str());
  }
  return 0;
}

// `aggpayd import-calendar`: loads a calendar CSV straight into the database (the local stack
// and Jobs; staff use `aggpayctl settlement calendar import`).
int ImportCalendar(const Config& config, const std::string& calendar, const std::string& file) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) return Fail(absl::NotFoundError(absl::StrCat("--file: cannot open ", file)));
  std::string csv;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) csv.append(buf, n);
  std::fclose(f);
  auto pool = common::MysqlPool::Create(config.mysql);
  if (!pool.ok()) return Fail(pool.status());
  common::SystemClock clock;
  auto days = settlement::ParseCalendarCsv(csv);
  if (!days.ok()) return Fail(days.status());
  settlement::MysqlSettlementRepository repo(**pool);
  const std::string name = calendar.empty() ? config.settlement.calendar : calendar;
  auto years = repo.ImportCalendar(name, *days, clock.Now());
  if (!years.ok()) return Fail(years.status());
  std::printf("calendar %s: %zu days imported for %zu year(s)\n", name.c_str(), days->size(),
              years->size());
  return 0;
}

int Serve(const Config& config, const std::vector<std::string>& requested) {
  auto services = ResolveServices(requested);
  if (!services.ok()) return Fail(services.status());
  if (absl::Status s = CheckCredentials(config); !s.ok()) return Fail(s);
  // Signals are handled by one thread, so block them before any other thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto pool = common::MysqlPool::Create(config.mysql);
  if (!pool.ok()) return Fail(pool.status());
  auto redis = std::make_unique<common::RedisClient>(config.redis);
  if (absl::Status s = redis->Ping(); !s.ok()) {
    spdlog::warn("redis is not reachable at start-up ({}); caches are bypassed until it is",
                 s.message());
  }

  common::SystemClock clock;
  common::Metrics metrics;

  // Peers: even in one process, services reach each other over gRPC.
  auto admin_channel = Channel(config, config.PeerAddress("admin"));
  common::GrpcStaffAuthenticator remote_auth(admin_channel, config.PeerCredential());
  common::CachingStaffAuthenticator staff_auth(remote_auth, clock, config.auth_cache_ttl);
  common::GrpcAuditSink audit_sink(admin_channel, config.PeerCredential());

  std::vector<grpc::Service*> grpc_services;
  std::vector<const google::protobuf::ServiceDescriptor*> descriptors;

  std::unique_ptr<admin::MysqlStaffRepository> staff_repo;
  std::unique_ptr<admin::MysqlAuditRepository> audit_repo;
  std::unique_ptr<admin::StaffDirectory> directory;
  std::unique_ptr<admin::AdminServiceImpl> admin_service;
  std::unique_ptr<admin::ExpiryReport> expiry_report;
  // Certificate expiry as metrics: the listener's certificate and CA, and
  // expiry.certificate_files.
  std::vector<std::string> watched = config.expiry_certificate_files;
  if (!config.tls.plaintext()) {
    for (const std::string& f : {config.tls.cert_file, config.tls.ca_file}) {
      if (std::find(watched.begin(), watched.end(), f) == watched.end()) watched.push_back(f);
    }
  }
  common::CertificateWatch certificate_watch(watched, metrics, config.expiry_check_interval);
  certificate_watch.Start();
  std::unique_ptr<fee::MysqlFeePlanRepository> fee_repo;
  std::unique_ptr<fee::FeeOperations> fee_ops;
  std::unique_ptr<fee::FeeServiceImpl> fee_service;
  std::unique_ptr<merchant::MysqlMerchantRepository> merchant_repo;
  std::unique_ptr<merchant::RedisRequestGuard> request_guard;
  std::unique_ptr<merchant::MerchantOperations> merchant_ops;
  std::unique_ptr<merchant::MerchantServiceImpl> merchant_service;
  std::unique_ptr<common::RequestAuthenticator> signed_requests;
  std::unique_ptr<merchant::MysqlOnboardingRepository> onboarding_repo;
  std::unique_ptr<merchant::SandboxChannelOnboarding> channel_onboarding;
  std::unique_ptr<merchant::GrpcFeePlanAssigner> fee_assigner;
  std::unique_ptr<merchant::GrpcCollectionControl> collection_control;
  std::unique_ptr<merchant::GrpcRiskHolds> risk_holds;
  std::unique_ptr<merchant::OnboardingOperations> onboarding_ops;
  std::unique_ptr<common::LogFileOtpSender> merchant_sms;
  std::unique_ptr<merchant::MysqlPortalRepository> portal_repo;
  std::unique_ptr<merchant::PortalOperations> portal_ops;
  std::unique_ptr<terminal::MysqlTerminalRepository> terminal_repo;
  std::unique_ptr<terminal::GrpcMerchantDirectory> merchant_directory;
  std::unique_ptr<terminal::GrpcCodeSource> remote_code_source;
  std::unique_ptr<aggpayd::InProcessCodeSource> code_source;
  std::unique_ptr<terminal::TerminalOperations> terminal_ops;
  std::unique_ptr<terminal::TerminalServiceImpl> terminal_service;
  std::unique_ptr<binding::MysqlCodeRepository> code_repo;
  std::unique_ptr<binding::ResolveCache> resolve_cache;
  std::unique_ptr<binding::GrpcBindingDirectory> binding_directory;
  std::unique_ptr<binding::LogFileOtpSender> otp_sender;
  std::unique_ptr<binding::BindingOperations> binding_ops;
  std::unique_ptr<binding::BindingServiceImpl> binding_service;
  // Resolves the cache cannot answer from memory wait on Redis and MySQL here, one per pooled
  // MySQL connection, instead of on gRPC's callback threads (binding_service.h). Declared after
  // the service: stopped, its queue run, before the service and its operations go.
  std::unique_ptr<common::BlockingPool> resolve_misses;
  std::unique_ptr<payment::MysqlPaymentRepository> payment_repo;
  std::unique_ptr<payment::GrpcPaymentDirectory> payment_remote_directory;
  std::unique_ptr<aggpayd::InProcessPaymentDirectory> payment_directory;
  std::unique_ptr<payment::RiskGate> remote_risk_gate;
  std::unique_ptr<aggpayd::InProcessRiskGate> in_process_risk_gate;
  payment::RiskGate* risk_gate = nullptr;
  std::unique_ptr<risk::MysqlRiskRepository> risk_repo;
  std::unique_ptr<risk::RedisRiskCounters> risk_counters;
  std::unique_ptr<risk::GrpcRiskEffects> risk_effects;
  std::unique_ptr<risk::RiskOperations> risk_ops;
  std::unique_ptr<risk::RiskServiceImpl> risk_service;
  std::unique_ptr<payment::SandboxChannel> sandbox;
  std::unique_ptr<payment::PaymentOperations> payment_ops;
  std::unique_ptr<payment::PaymentServiceImpl> payment_service;
  std::unique_ptr<settlement::MysqlSettlementRepository> settlement_repo;
  std::unique_ptr<settlement::GrpcSettlementDirectory> settlement_directory;
  std::unique_ptr<settlement::SettlementOperations> settlement_ops;
  std::unique_ptr<settlement::SettlementServiceImpl> settlement_service;
  std::unique_ptr<settlement::D0Scheduler> d0_scheduler;
  const auto* pool_descriptors = google::protobuf::DescriptorPool::generated_pool();
  for (const auto& name : *services) {
    if (name == "admin") {
      staff_repo = std::make_unique<admin::MysqlStaffRepository>(**pool);
      audit_repo = std::make_unique<admin::MysqlAuditRepository>(**pool);
      directory = std::make_unique<admin::StaffDirectory>(*staff_repo, clock, config.token_ttl,
                                                          ConsoleSignIn(config));
      admin_service = std::make_unique<admin::AdminServiceImpl>(*directory, *audit_repo);
      expiry_report = std::make_unique<admin::ExpiryReport>(
          &certificate_watch, Channel(config, config.PeerAddress("merchant")),
          Channel(config, config.PeerAddress("payment")),
          Channel(config, config.PeerAddress("terminal")), config.PeerCredential(), clock,
          admin::ExpiryOptions{config.expiry_api_key_rotation_age, config.terminal_check_in_grace});
      admin_service->set_expiry(expiry_report.get());
      grpc_services.push_back(admin_service.get());
      descriptors.push_back(
          pool_descriptors->FindServiceByName(aggpay::v1::AdminService::service_full_name()));
    } else if (name == "fee") {
      fee_repo = std::make_unique<fee::MysqlFeePlanRepository>(**pool);
      fee_ops = std::make_unique<fee::FeeOperations>(*fee_repo, clock);
      fee_service = std::make_unique<fee::FeeServiceImpl>(*fee_ops);
      grpc_services.push_back(fee_service.get());
      descriptors.push_back(
          pool_descriptors->FindServiceByName(aggpay::v1::FeeService::service_full_name()));
    } else if (name == "merchant") {
      auto box = common::SecretBox::FromHexKey(config.secret_key_hex);
      if (!box.ok()) {
        return Fail(absl::InvalidArgumentError(
            absl::StrCat("AGGPAY_SECRET_KEY: ", box.status().message(),
                         "; the merchant service seals API key secrets with it")));
      }
      merchant_repo = std::make_unique<merchant::MysqlMerchantRepository>(**pool);
      request_guard = std::make_unique<merchant::RedisRequestGuard>(
          *redis, metrics,
          merchant::RequestGuardOptions{config.request_nonce_ttl, config.request_rate_per_second,
                                        config.request_burst, config.request_guard_fail_open,
                                        config.request_guard_fail_open_mutating});
      merchant_ops = std::make_unique<merchant::MerchantOperations>(
          *merchant_repo, *request_guard, *box, clock, config.request_timestamp_window);
      // The signed requests the gateway forwards with a route's call are checked in process.
      signed_requests = std::make_unique<merchant::LocalRequestAuthenticator>(*merchant_ops);
      onboarding_repo = std::make_unique<merchant::MysqlOnboardingRepository>(**pool);
      channel_onboarding = std::make_unique<merchant::SandboxChannelOnboarding>();
      fee_assigner = std::make_unique<merchant::GrpcFeePlanAssigner>(
          Channel(config, config.PeerAddress("fee")), config.PeerCredential());
      collection_control = std::make_unique<merchant::GrpcCollectionControl>(
          Channel(config, config.PeerAddress("binding")), config.PeerCredential());
      onboarding_ops = std::make_unique<merchant::OnboardingOperations>(
          *onboarding_repo, *channel_onboarding, *fee_assigner, *collection_control,
          *std::move(box), clock);
      risk_holds = std::make_unique<merchant::GrpcRiskHolds>(
          Channel(config, config.PeerAddress("risk")), config.PeerCredential());
      onboarding_ops->set_risk_holds(risk_holds.get());
      // Settlement account changes by the merchant itself are confirmed by SMS, through the same
      // gateway as code resets.
      merchant_sms = std::make_unique<common::LogFileOtpSender>(config.binding_sms_log);
      onboarding_ops->set_step_up(
          merchant_sms.get(), common::HmacSha256Hex(config.secret_key_hex, "aggpay merchant otp"));
      // Portal sign-in codes go out through the same SMS sender, under their own key.
      portal_repo = std::make_unique<merchant::MysqlPortalRepository>(**pool);
      portal_ops = std::make_unique<merchant::PortalOperations>(
          *portal_repo, merchant_sms.get(),
          common::HmacSha256Hex(config.secret_key_hex, "aggpay portal otp"), clock);
      merchant_service = std::make_unique<merchant::MerchantServiceImpl>(
          *merchant_ops, *onboarding_ops, *portal_ops);
      grpc_services.push_back(merchant_service.get());
      descriptors.push_back(
          pool_descriptors->FindServiceByName(aggpay::v1::MerchantService::service_full_name()));
    } else if (name == "terminal") {
      auto box = common::SecretBox::FromHexKey(config.secret_key_hex);
      if (!box.ok()) {
        return Fail(absl::InvalidArgumentError(
            absl::StrCat("AGGPAY_SECRET_KEY: ", box.status().message(),
                         "; the terminal service seals terminal keys with it")));
      }
      auto capabilities = ParseCapabilityTable(config.terminal_capabilities);
      if (!capabilities.ok()) return Fail(capabilities.status());
      terminal_repo = std::make_unique<terminal::MysqlTerminalRepository>(**pool);
      merchant_directory = std::make_unique<terminal::GrpcMerchantDirectory>(
          Channel(config, config.PeerAddress("merchant")), config.PeerCredential());
      terminal::TerminalOptions options;
      options.key_overlap = config.terminal_key_overlap;
      options.check_in_grace = config.terminal_check_in_grace;
      options.capabilities = *std::move(capabilities);
      remote_code_source = std::make_unique<terminal::GrpcCodeSource>(
          Channel(config, config.PeerAddress("binding")), config.PeerCredential());
      // Binding is built after terminal: bound below when hosted here.
      code_source = std::make_unique<aggpayd::InProcessCodeSource>(*remote_code_source);
      terminal_ops = std::make_unique<terminal::TerminalOperations>(
          *terminal_repo, *merchant_directory, code_source.get(), *std::move(box), clock,
          std::move(options));
      terminal_service = std::make_unique<terminal::TerminalServiceImpl>(*terminal_ops);
      grpc_services.push_back(terminal_service.get());
      descriptors.push_back(
          pool_descriptors->FindServiceByName(aggpay::v1::TerminalService::service_full_name()));
    } else if (name == "binding") {
      code_repo = std::make_unique<binding::MysqlCodeRepository>(**pool);
      if (config.secret_key_hex.size() < 32) {
        return Fail(absl::InvalidArgumentError(
            "AGGPAY_SECRET_KEY: required; the binding service keys one-time passwords with it"));
      }
      binding::ResolveCacheOptions cache_options;
      cache_options.local_ttl = config.binding_local_cache_ttl;
      cache_options.lease = config.binding_cache_lease;
      cache_options.poll_interval = config.binding_cache_poll_interval;
      resolve_cache = std::make_unique<binding::ResolveCache>(*redis, *code_repo, metrics, clock,
                                                              cache_options);
      binding_directory = std::make_unique<binding::GrpcBindingDirectory>(
          Channel(config, config.PeerAddress("merchant")),
          Channel(config, config.PeerAddress("terminal")), config.PeerCredential());
      otp_sender = std::make_unique<binding::LogFileOtpSender>(config.binding_sms_log);
      binding::BindingOptions options;
      options.public_base_url = config.binding_public_base_url;
      options.resolve_rate_per_second = config.binding_resolve_rate_per_second;
      options.resolve_burst = config.binding_resolve_burst;
      options.otp_key = common::HmacSha256Hex(config.secret_key_hex, "aggpay binding otp");
      binding_ops = std::make_unique<binding::BindingOperations>(
          *code_repo, *resolve_cache, *binding_directory, *otp_sender, metrics, clock, options);
      resolve_cache->Start();
      if (code_source != nullptr) code_source->Bind(binding_ops.get());
      resolve_misses =
          std::make_unique<common::BlockingPool>(config.mysql.pool_size, "resolve-miss");
      binding_service =
          std::make_unique<binding::BindingServiceImpl>(*binding_ops, *resolve_misses);
      grpc_services.push_back(binding_service.get());
      descriptors.push_back(
          pool_descriptors->FindServiceByName(aggpay::v1::BindingService::service_full_name()));
    } else if (name == "payment") {
      auto box = common::SecretBox::FromHexKey(config.secret_key_hex);
      if (!box.ok()) {
        return Fail(absl::InvalidArgumentError(
            absl::StrCat("AGGPAY_SECRET_KEY: ", box.status().message(),
                         "; the payment service seals webhook secrets with it")));
      }
      payment_repo = std::make_unique<payment::MysqlPaymentRepository>(**pool);
      payment_remote_directory = std::make_unique<payment::GrpcPaymentDirectory>(
          Channel(config, config.PeerAddress("binding")),
          Channel(config, config.PeerAddress("merchant")),
          Channel(config, config.PeerAddress("fee")),
          Channel(config, config.PeerAddress("terminal")), config.PeerCredential());
      // Binding, merchant and fee are built before payment: asked in process when hosted here.
      payment_directory = std::make_unique<aggpayd::InProcessPaymentDirectory>(
          *payment_remote_directory, binding_ops.get(), merchant_ops.get(), fee_ops.get());
      if (config.payment_risk_control) {
        remote_risk_gate = std::make_unique<payment::GrpcRiskGate>(
            Channel(config, config.PeerAddress("risk")), config.PeerCredential());
        // Risk is built after payment: bound below when hosted here.
        in_process_risk_gate = std::make_unique<aggpayd::InProcessRiskGate>(*remote_risk_gate);
        risk_gate = in_process_risk_gate.get();
      } else {
        spdlog::warn("payment.risk_control is off: payments are taken without risk control");
        remote_risk_gate = std::make_unique<payment::AllowAllRisk>();
        risk_gate = remote_risk_gate.get();
      }
      payment::SandboxOptions sandbox_options = config.sandbox;
      sandbox_options.callback_secret =
          common::HmacSha256Hex(config.secret_key_hex, "aggpay sandbox callback");
      auto callback_channel = Channel(config, config.PeerAddress("payment"));
      sandbox = std::make_unique<payment::SandboxChannel>(
          **pool, clock, metrics, sandbox_options,
          [callback_channel](const payment::SignedCallback& cb) {
            auto stub = aggpay::v1::PaymentService::NewStub(callback_channel);
            grpc::ClientContext ctx;
            ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
            aggpay::v1::ChannelCallbackRequest req;
            req.set_channel("sandbox");
            req.set_body(cb.body);
            req.set_timestamp(cb.timestamp);
            req.set_nonce(cb.nonce);
            req.set_signature(cb.signature);
            aggpay::v1::ChannelCallbackResponse resp;
            grpc::Status s = stub->ChannelCallback(&ctx, req, &resp);
            if (!s.ok()) spdlog::warn("sandbox callback not accepted: {}", s.error_message());
          });
      payment_ops = std::make_unique<payment::PaymentOperations>(
          *payment_repo, *payment_directory, *risk_gate, *sandbox, sandbox.get(), *std::move(box),
          metrics, clock, config.payment);
      payment_ops->Start();
      payment_service = std::make_unique<payment::PaymentServiceImpl>(*payment_ops);
      grpc_services.push_back(payment_service.get());
      descriptors.push_back(
          pool_descriptors->FindServiceByName(aggpay::v1::PaymentService::service_full_name()));
    } else if (name == "risk") {
      risk_repo = std::make_unique<risk::MysqlRiskRepository>(**pool);
      risk_counters = std::make_unique<risk::RedisRiskCounters>(*redis);
      risk_effects = std::make_unique<risk::GrpcRiskEffects>(
          Channel(config, config.PeerAddress("merchant")),
          Channel(config, config.PeerAddress("terminal")),
          Channel(config, config.PeerAddress("payment")), config.PeerCredential());
      risk_ops = std::make_unique<risk::RiskOperations>(*risk_repo, *risk_counters, *risk_effects,
                                                        metrics, clock, config.risk);
      if (absl::Status s = risk_ops->Start(); !s.ok()) return Fail(s);
      if (in_process_risk_gate != nullptr) in_process_risk_gate->Bind(risk_ops.get());
      risk_service = std::make_unique<risk::RiskServiceImpl>(*risk_ops);
      grpc_services.push_back(risk_service.get());
      descriptors.push_back(
          pool_descriptors->FindServiceByName(aggpay::v1::RiskService::service_full_name()));
    } else if (name == "settlement") {
      settlement_repo = std::make_unique<settlement::MysqlSettlementRepository>(**pool);
      settlement_directory = std::make_unique<settlement::GrpcSettlementDirectory>(
          Channel(config, config.PeerAddress("fee")),
          Channel(config, config.PeerAddress("merchant")),
          Channel(config, config.PeerAddress("payment")), config.PeerCredential());
      settlement_ops = std::make_unique<settlement::SettlementOperations>(
          *settlement_repo, *settlement_directory, clock, config.settlement);
      settlement_service = std::make_unique<settlement::SettlementServiceImpl>(*settlement_ops);
      if (config.settlement_d0_schedule) {
        d0_scheduler = std::make_unique<settlement::D0Scheduler>(*settlement_ops,
                                                                 config.settlement_d0_interval);
      }
      grpc_services.push_back(settlement_service.get());
      descriptors.push_back(
          pool_descriptors->FindServiceByName(aggpay::v1::SettlementService::service_full_name()));
    }
  }

  auto policies = common::AccessPolicies::FromServices(descriptors);
  if (!policies.ok()) return Fail(policies.status());
  // Every process drains the audit outbox (its own rows at once, anyone's left behind later).
  common::AuditRelay audit_relay(**pool, audit_sink, metrics, config.audit_relay);
  audit_relay.Start();
  common::AuthInterceptorDeps deps{&*policies, &staff_auth, &audit_sink,
                                   &metrics,   &clock,      config.PeerCredential()};
  deps.relay = &audit_relay;
  // Null without the merchant service here: the gateway sends signed requests only to the
  // merchant service's address (docs/api.md), and this process refuses one as UNAVAILABLE.
  deps.signed_requests = signed_requests.get();
  deps.service_identities = !config.tls.plaintext();
  deps.public_failures_per_second = config.public_failures_per_second;
  deps.public_failure_burst = config.public_failure_burst;
  auto server = common::GrpcServer::Start(
      config.grpc_listen, grpc_services, deps, common::ServerCredentials(config.tls),
      config.grpc_max_receive_message_bytes, config.grpc_sync_max_pollers);
  if (!server.ok()) return Fail(server.status());

  std::vector<std::string> http = absl::StrSplit(config.http_listen, absl::MaxSplits(':', 1));
  std::vector<common::ReadinessCheck> checks = {
      {"mysql", [&] { return (*pool)->Ping(); }},
      {"redis", [&] { return redis->Ping(); }},
  };
  auto admin_http = common::AdminHttpServer::Start(http[0], std::stoi(http[1]), metrics, checks);
  if (!admin_http.ok()) return Fail(admin_http.status());

  std::string hosted;
  for (const auto& s : *services) absl::StrAppend(&hosted, hosted.empty() ? "" : ",", s);
  spdlog::info("aggpayd serving [{}] on gRPC {} and HTTP {}", hosted, config.grpc_listen,
               config.http_listen);
  // After the server is up: the D0 run asks the fee and merchant services, possibly this process.
  if (d0_scheduler) d0_scheduler->Start();

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("aggpayd: signal {}, shutting down", sig);
  if (d0_scheduler) d0_scheduler->Stop();
  (*server)->Shutdown();
  if (payment_ops) payment_ops->Stop();
  if (risk_ops) risk_ops->Stop();
  audit_relay.Stop();
  if (resolve_cache) resolve_cache->Stop();
  (*admin_http)->Stop();
  return 0;
}

}  // namespace
}  // namespace aggpay::aggpayd

int main(int argc, char** argv) {
  using namespace aggpay::aggpayd;
  // Debian's Abseil is built with absl::Mutex deadlock detection on: every lock and unlock
  // updates a global lock graph with a stack trace (about 7% of aggpayd's CPU on the payment
  // path, docs/performance.md). The daemon turns it off; the tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"aggpayd: the aggpay platform daemon"};
  app.require_subcommand(1);
  std::string config_path;
  app.add_option("--config", config_path, "YAML config file")->envname("AGGPAY_CONFIG");

  auto* serve = app.add_subcommand("serve", "host services over gRPC");
  std::string services_flag = "all";
  serve->add_option("--services", services_flag, "all, or a comma-separated list of services");

  auto* migrate = app.add_subcommand("migrate", "apply sql/migrations in order");
  std::string migrations_dir;
  migrate->add_option("--dir", migrations_dir, "migrations directory");

  auto* bootstrap = app.add_subcommand("bootstrap-admin", "create the first admin, print a token");
  std::string username = "admin";
  std::string output = "text";
  bootstrap->add_option("--username", username, "admin username");
  bootstrap->add_option("--output", output, "text or json")->check(CLI::IsMember({"text", "json"}));

  auto* settle =
      app.add_subcommand("settle", "settle one T+1 business date (shard) or one D0 cycle");
  std::string settle_date;
  std::string settle_cycle = "T1";
  std::string settle_shard;
  std::string settle_output = "text";
  settle->add_option("--date", settle_date, "T1: the business date YYYY-MM-DD");
  settle->add_option("--cycle", settle_cycle, "T1 (default) or D0")
      ->check(CLI::IsMember({"T1", "D0"}));
  auto* shard_option =
      settle->add_option("--shard", settle_shard, "i/n: this process settles shard i of n");
  SettleJobArgs settle_job;
  settle
      ->add_option("--indexed-job", settle_job.indexed_job,
                   "N: one pod of a Kubernetes Indexed Job of N completions; settles shard "
                   "JOB_COMPLETION_INDEX+1 of N")
      ->excludes(shard_option);
  settle->add_option("--cronjob", settle_job.cronjob,
                     "NAME: without --date, settle the day of this run's scheduled time (from "
                     "JOB_NAME, <NAME>-<minutes>) in settlement.zone, minus --days-before");
  settle->add_option("--days-before", settle_job.days_before,
                     "with --cronjob: how many days before the scheduled day (default 1)");
  settle->add_flag("--dry-run", settle_job.dry_run,
                   "print the date and shard this run would settle, and stop");
  settle->add_option("--output", settle_output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));

  auto* import_calendar = app.add_subcommand(
      "import-calendar", "load a business calendar CSV (holidays, make-up days)");
  std::string calendar_name;
  std::string calendar_file;
  import_calendar->add_option("--calendar", calendar_name,
                              "calendar name (default: settlement.calendar)");
  import_calendar->add_option("--file", calendar_file, "CSV: date,kind,name")->required();

  CLI11_PARSE(app, argc, argv);

  auto config = LoadConfig(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "aggpayd: config: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  if (absl::Status s = aggpay::common::InitLogging(config->log); !s.ok()) {
    std::fprintf(stderr, "aggpayd: config: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  if (!migrations_dir.empty()) config->migrations_dir = migrations_dir;
  if (*serve) return Serve(*config, absl::StrSplit(services_flag, ',', absl::SkipEmpty()));
  if (*migrate) return Migrate(*config);
  if (*bootstrap) return BootstrapAdmin(*config, username, output == "json");
  if (*settle) {
    return Settle(*config, settle_date, settle_cycle, settle_shard, settle_job,
                  settle_output == "json");
  }
  if (*import_calendar) return ImportCalendar(*config, calendar_name, calendar_file);
  return 1;
}
