#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/admin/domain/staff.h"
#include "services/common/audit/audit_outbox.h"
#include "services/common/grpc/tls.h"
#include "services/common/log/log.h"
#include "services/common/mysql/mysql_pool.h"
#include "services/common/redis/redis_client.h"
#include "services/payment/channel/sandbox_channel.h"
#include "services/payment/payment_operations.h"
#include "services/risk/risk_operations.h"
#include "services/settlement/settlement_operations.h"
#include "yaml-cpp/yaml.h"

namespace aggpay::aggpayd {

// Everything aggpayd reads at start-up. Secrets come only from the environment:
// AGGPAY_MYSQL_PASSWORD, AGGPAY_REDIS_PASSWORD, AGGPAY_INTERNAL_SECRET (tls.mode plaintext only).
struct Config {
  std::string grpc_listen = "127.0.0.1:50051";
  std::string http_listen = "127.0.0.1:9090";
  // The largest gRPC request accepted (bytes); larger ones get RESOURCE_EXHAUSTED. This and the
  // next default repeat common::kDefaultMaxReceiveMessageBytes and kDefaultSyncMaxPollers
  // (services/common/grpc/server.h) instead of naming them: the config fuzz target builds
  // config.cc without gRPC or the generated protos, which server.h includes.
  int grpc_max_receive_message_bytes = 1 << 20;
  // Idle request threads the gRPC server keeps (see common::kDefaultSyncMaxPollers).
  int grpc_sync_max_pollers = 64;
  std::vector<std::string> services = {"all"};
  common::MysqlOptions mysql;
  common::RedisOptions redis;
  common::LogOptions log;
  absl::Duration token_ttl = absl::Hours(24 * 30);
  absl::Duration auth_cache_ttl = absl::Seconds(5);
  // The staff console's sessions (auth.session_idle_timeout, auth.session_max_lifetime).
  admin::SessionPolicy console_sessions;
  // Failed calls of public methods (activation, check-in, resolve) per client address.
  double public_failures_per_second = 5;
  double public_failure_burst = 20;
  common::AuditRelayOptions audit_relay;
  payment::PaymentOptions payment;
  payment::SandboxOptions sandbox;
  bool payment_risk_control = true;
  risk::RiskOptions risk;
  // Where each service is reached; a service not listed is reached at grpc_listen.
  std::map<std::string, std::string> peers;
  // The gRPC listener's TLS and the certificate presented to peers (tls.mode mtls | plaintext,
  // tls.cert_file, tls.key_file, tls.ca_file, tls.reload_interval).
  common::TlsOptions tls;
  // tls.mode plaintext only (development): the shared secret every caller presents.
  std::string internal_secret;
  // Seals merchant API key secrets (AGGPAY_SECRET_KEY, 64 hex characters).
  std::string secret_key_hex;
  // Signed merchant requests (merchant service).
  absl::Duration request_timestamp_window = absl::Seconds(300);
  absl::Duration request_nonce_ttl = absl::Minutes(10);
  int64_t request_rate_per_second = 20;
  int64_t request_burst = 40;
  bool request_guard_fail_open = true;            // reads (GET, HEAD)
  bool request_guard_fail_open_mutating = false;  // every other method
  // Terminals (terminal service).
  absl::Duration terminal_key_overlap = absl::Minutes(10);
  absl::Duration terminal_check_in_grace = absl::Hours(24 * 7);
  // "MIN_VERSION=CAP,CAP" lines; empty takes the built-in table (7.0 basic, 8.0 dynamic codes,
  // 8.0.15 skins).
  std::vector<std::string> terminal_capabilities;
  // Collection codes (binding service).
  std::string binding_public_base_url = "https://pay.aggpay.local";
  absl::Duration binding_local_cache_ttl = absl::Seconds(2);
  // How long one confirmed read of the code invalidation log lets an instance trust its caches,
  // and how often it reads the log without a notification.
  absl::Duration binding_cache_lease = absl::Seconds(1);
  absl::Duration binding_cache_poll_interval = absl::Milliseconds(100);
  int64_t binding_resolve_rate_per_second = 50;
  int64_t binding_resolve_burst = 100;
  // Where one-time passwords go: the local stack's SMS log (a real SMS gateway comes later).
  std::string binding_sms_log = "aggpay-sms.log";
  std::string migrations_dir = "sql/migrations";
  // Settlement: calendar, zone, D0 lag, payout file directory, channel cost rates.
  settlement::SettlementOptions settlement;
  std::string settlement_zone = "Asia/Shanghai";
  // `aggpayd serve` runs the D0 cycle every d0_interval when d0_schedule is on.
  bool settlement_d0_schedule = false;
  absl::Duration settlement_d0_interval = absl::Minutes(3);

  // The expiry watch (docs/operations.md "Renewing certificates and keys in time"): certificate
  // files re-read every check_interval and exported as metrics; API keys and webhook secrets
  // older than api_key_rotation_age and terminals past terminal.check_in_grace are listed by
  // `aggpayctl admin expiring`.
  std::vector<std::string> expiry_certificate_files;
  absl::Duration expiry_check_interval = absl::Hours(1);
  absl::Duration expiry_api_key_rotation_age = absl::Hours(24 * 90);

  std::string PeerAddress(const std::string& service) const;
  // What calls to peers send as the shared secret: internal_secret in plaintext mode, nothing in
  // mtls mode (the client certificate is the credential).
  std::string PeerCredential() const { return tls.plaintext() ? internal_secret : ""; }
};

// The service names aggpayd can host.
const std::vector<std::string>& KnownServices();

// Reads the YAML file at `path` (empty: defaults only) and the environment. Every error names
// the bad key.
absl::StatusOr<Config> LoadConfig(const std::string& path);
// The same from a parsed file (null: defaults only); what LoadConfig does after reading it.
absl::StatusOr<Config> ConfigFromYaml(const YAML::Node& root);

// Expands "all" and checks names: INVALID_ARGUMENT naming --services.
absl::StatusOr<std::vector<std::string>> ResolveServices(const std::vector<std::string>& names);

}  // namespace aggpay::aggpayd
