#include "services/aggpayd/config.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/config/config_reader.h"
#include "services/common/status/status_macros.h"

namespace aggpay::aggpayd {

const std::vector<std::string>& KnownServices() {
  static const std::vector<std::string> kServices = {
      "admin", "fee", "merchant", "terminal", "binding", "payment", "risk", "settlement"};
  return kServices;
}

std::string Config::PeerAddress(const std::string& service) const {
  auto it = peers.find(service);
  return it == peers.end() ? grpc_listen : it->second;
}

absl::StatusOr<std::vector<std::string>> ResolveServices(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (n == "all") return KnownServices();
    if (std::find(KnownServices().begin(), KnownServices().end(), n) == KnownServices().end()) {
      return absl::InvalidArgumentError(absl::StrCat("--services: unknown service \"", n,
                                                     "\" (known: all, ",
                                                     absl::StrJoin(KnownServices(), ", "), ")"));
    }
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
  if (out.empty()) return absl::InvalidArgumentError("--services: name at least one service");
  return out;
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  YAML::Node root;
  if (!path.empty()) {
    ASSIGN_OR_RETURN(root, common::LoadYamlFile(path));
  }
  return ConfigFromYaml(root);
}

absl::StatusOr<Config> ConfigFromYaml(const YAML::Node& root) {
  Config c;
  // One request holds at most one connection of each pool at a time (nothing calls out while
  // holding one), so a pool bounds how many requests work in MySQL or Redis at once. Sized for
  // one process serving every service; docs/operations.md says how to size them.
  c.mysql.pool_size = 16;
  c.redis.pool_size = 16;
  common::ConfigReader r(root, "");
  c.grpc_listen = r.String("grpc_listen", c.grpc_listen);
  c.http_listen = r.String("http_listen", c.http_listen);
  c.grpc_max_receive_message_bytes = static_cast<int>(
      r.Int("grpc_max_receive_message_bytes", c.grpc_max_receive_message_bytes, 4096, 64 << 20));
  c.grpc_sync_max_pollers =
      static_cast<int>(r.Int("grpc_sync_max_pollers", c.grpc_sync_max_pollers, 2, 1024));
  c.services = r.StringList("services", c.services);
  c.migrations_dir = r.String("migrations_dir", c.migrations_dir);

  common::ConfigReader m = r.Child("mysql");
  c.mysql.host = m.String("host", c.mysql.host);
  c.mysql.port = static_cast<int>(m.Int("port", c.mysql.port, 1, 65535));
  c.mysql.socket = m.String("socket", c.mysql.socket);
  c.mysql.user = m.String("user", c.mysql.user);
  c.mysql.database = m.String("database", c.mysql.database);
  c.mysql.pool_size = static_cast<int>(m.Int("pool_size", c.mysql.pool_size, 1, 256));
  c.mysql.connect_timeout = m.Duration("connect_timeout", c.mysql.connect_timeout);
  c.mysql.acquire_timeout = m.Duration("acquire_timeout", c.mysql.acquire_timeout);
  RETURN_IF_ERROR(m.Finish());

  common::ConfigReader rd = r.Child("redis");
  c.redis.host = rd.String("host", c.redis.host);
  c.redis.port = static_cast<int>(rd.Int("port", c.redis.port, 1, 65535));
  c.redis.socket = rd.String("socket", c.redis.socket);
  c.redis.pool_size = static_cast<int>(rd.Int("pool_size", c.redis.pool_size, 1, 256));
  c.redis.connect_timeout = rd.Duration("connect_timeout", c.redis.connect_timeout);
  c.redis.command_timeout = rd.Duration("command_timeout", c.redis.command_timeout);
  RETURN_IF_ERROR(rd.Finish());

  common::ConfigReader tls = r.Child("tls");
  c.tls.mode = tls.Enum("mode", "mtls", {"mtls", "plaintext"}) == "plaintext"
                   ? common::TlsOptions::Mode::kPlaintext
                   : common::TlsOptions::Mode::kMtls;
  c.tls.cert_file = tls.String("cert_file", c.tls.cert_file);
  c.tls.key_file = tls.String("key_file", c.tls.key_file);
  c.tls.ca_file = tls.String("ca_file", c.tls.ca_file);
  c.tls.reload_interval = tls.Duration("reload_interval", c.tls.reload_interval);
  RETURN_IF_ERROR(tls.Finish());
  if (c.tls.reload_interval < absl::Seconds(1) || c.tls.reload_interval > absl::Hours(1)) {
    return absl::InvalidArgumentError("tls.reload_interval: between 1s and 1h");
  }

  common::ConfigReader lg = r.Child("log");
  c.log.level = lg.Enum("level", c.log.level, {"trace", "debug", "info", "warn", "error", "off"});
  c.log.format = lg.Enum("format", c.log.format, {"text", "json"});
  RETURN_IF_ERROR(lg.Finish());

  common::ConfigReader auth = r.Child("auth");
  c.token_ttl = auth.Duration("token_ttl", c.token_ttl);
  c.auth_cache_ttl = auth.Duration("cache_ttl", c.auth_cache_ttl);
  c.console_sessions.idle_timeout =
      auth.Duration("session_idle_timeout", c.console_sessions.idle_timeout);
  c.console_sessions.max_lifetime =
      auth.Duration("session_max_lifetime", c.console_sessions.max_lifetime);
  c.public_failures_per_second =
      static_cast<double>(auth.Int("public_failures_per_second",
                                   static_cast<int64_t>(c.public_failures_per_second), 1, 1000000));
  c.public_failure_burst = static_cast<double>(
      auth.Int("public_failure_burst", static_cast<int64_t>(c.public_failure_burst), 1, 1000000));
  RETURN_IF_ERROR(auth.Finish());

  common::ConfigReader audit = r.Child("audit");
  c.audit_relay.batch_delay = audit.Duration("batch_delay", c.audit_relay.batch_delay);
  c.audit_relay.sweep_interval = audit.Duration("sweep_interval", c.audit_relay.sweep_interval);
  c.audit_relay.sweep_age = audit.Duration("sweep_age", c.audit_relay.sweep_age);
  RETURN_IF_ERROR(audit.Finish());

  common::ConfigReader api = r.Child("merchant_api");
  c.request_timestamp_window = api.Duration("timestamp_window", c.request_timestamp_window);
  c.request_nonce_ttl = api.Duration("nonce_ttl", c.request_nonce_ttl);
  c.request_rate_per_second = api.Int("rate_per_second", c.request_rate_per_second, 1, 1000000);
  c.request_burst = api.Int("burst", c.request_burst, 1, 1000000);
  c.request_guard_fail_open = api.Bool("redis_fail_open", c.request_guard_fail_open);
  c.request_guard_fail_open_mutating =
      api.Bool("redis_fail_open_mutating", c.request_guard_fail_open_mutating);
  RETURN_IF_ERROR(api.Finish());
  if (c.request_nonce_ttl < 2 * c.request_timestamp_window) {
    return absl::InvalidArgumentError(
        "merchant_api.nonce_ttl: must be at least twice merchant_api.timestamp_window, or a "
        "replay could outlive its nonce");
  }

  common::ConfigReader term = r.Child("terminal");
  c.terminal_key_overlap = term.Duration("key_overlap", c.terminal_key_overlap);
  c.terminal_check_in_grace = term.Duration("check_in_grace", c.terminal_check_in_grace);
  c.terminal_capabilities = term.StringList("capabilities", {});
  RETURN_IF_ERROR(term.Finish());
  if (c.terminal_key_overlap > absl::Hours(1)) {
    return absl::InvalidArgumentError("terminal.key_overlap: must be at most 1h");
  }

  common::ConfigReader bind = r.Child("binding");
  c.binding_public_base_url = bind.String("public_base_url", c.binding_public_base_url);
  c.binding_local_cache_ttl = bind.Duration("local_cache_ttl", c.binding_local_cache_ttl);
  c.binding_resolve_rate_per_second =
      bind.Int("resolve_rate_per_second", c.binding_resolve_rate_per_second, 1, 1000000);
  c.binding_resolve_burst = bind.Int("resolve_burst", c.binding_resolve_burst, 1, 1000000);
  c.binding_sms_log = bind.String("sms_log", c.binding_sms_log);
  c.binding_cache_lease = bind.Duration("cache_lease", c.binding_cache_lease);
  c.binding_cache_poll_interval =
      bind.Duration("cache_poll_interval", c.binding_cache_poll_interval);
  RETURN_IF_ERROR(bind.Finish());
  if (c.binding_public_base_url.rfind("https://", 0) != 0 &&
      c.binding_public_base_url.rfind("http://", 0) != 0) {
    return absl::InvalidArgumentError("binding.public_base_url: must start with https://");
  }
  if (c.binding_cache_lease < absl::Milliseconds(100) ||
      c.binding_cache_lease > absl::Seconds(10)) {
    return absl::InvalidArgumentError("binding.cache_lease: between 100ms and 10s");
  }
  if (c.binding_cache_poll_interval < absl::Milliseconds(10) ||
      c.binding_cache_poll_interval * 2 > c.binding_cache_lease) {
    return absl::InvalidArgumentError(
        "binding.cache_poll_interval: at least 10ms and at most half of binding.cache_lease");
  }
  if (c.binding_local_cache_ttl > absl::Seconds(30)) {
    return absl::InvalidArgumentError(
        "binding.local_cache_ttl: at most 30s (it bounds how long a revoked code can live)");
  }

  common::ConfigReader pay = r.Child("payment");
  c.payment.close_after = pay.Duration("close_after", c.payment.close_after);
  c.payment.max_amount_minor =
      pay.Int("max_amount_minor", c.payment.max_amount_minor, 1, 100000000000000);
  c.payment.requery_first = pay.Duration("requery_first", c.payment.requery_first);
  c.payment.requery_max = pay.Duration("requery_max", c.payment.requery_max);
  c.payment.job_interval = pay.Duration("job_interval", c.payment.job_interval);
  c.payment.notification_workers =
      static_cast<int>(pay.Int("notification_workers", c.payment.notification_workers, 1, 64));
  c.payment.notification_timeout =
      pay.Duration("notification_timeout", c.payment.notification_timeout);
  c.payment.notification_schedule_percent =
      pay.Int("notification_schedule_percent", c.payment.notification_schedule_percent, 1, 100);
  // Only for development without a risk service: every payment is then allowed unchecked.
  c.payment_risk_control = pay.Bool("risk_control", c.payment_risk_control);
  {
    common::ConfigReader sb = pay.Child("sandbox");
    auto& chaos = c.sandbox.chaos;
    chaos.slow_ppm = sb.Int("slow_ppm", chaos.slow_ppm, 0, 1000000);
    chaos.slow_delay = sb.Duration("slow_delay", chaos.slow_delay);
    chaos.unknown_ppm = sb.Int("unknown_ppm", chaos.unknown_ppm, 0, 1000000);
    chaos.failure_ppm = sb.Int("failure_ppm", chaos.failure_ppm, 0, 1000000);
    chaos.lost_callback_ppm = sb.Int("lost_callback_ppm", chaos.lost_callback_ppm, 0, 1000000);
    chaos.seed = static_cast<uint64_t>(sb.Int("seed", 0, 0, INT64_MAX));
    RETURN_IF_ERROR(sb.Finish());
  }
  RETURN_IF_ERROR(pay.Finish());
  if (c.payment.close_after < absl::Seconds(1) || c.payment.requery_first <= absl::ZeroDuration() ||
      c.payment.requery_max < c.payment.requery_first) {
    return absl::InvalidArgumentError(
        "payment: close_after at least 1s, requery_first positive and at most requery_max");
  }

  common::ConfigReader risk = r.Child("risk");
  c.risk.reload_interval = risk.Duration("reload_interval", c.risk.reload_interval);
  c.risk.flush_interval = risk.Duration("flush_interval", c.risk.flush_interval);
  c.risk.relay_interval = risk.Duration("relay_interval", c.risk.relay_interval);
  c.risk.action_retry = risk.Duration("action_retry", c.risk.action_retry);
  c.risk.history_ttl = risk.Duration("history_ttl", c.risk.history_ttl);
  c.risk.thresholds_ttl = risk.Duration("thresholds_ttl", c.risk.thresholds_ttl);
  RETURN_IF_ERROR(risk.Finish());
  if (c.risk.reload_interval <= absl::ZeroDuration() ||
      c.risk.reload_interval > absl::Seconds(60) || c.risk.flush_interval <= absl::ZeroDuration() ||
      c.risk.relay_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "risk: reload_interval (at most 60s), flush_interval and relay_interval must be positive");
  }

  common::ConfigReader settle = r.Child("settlement");
  c.settlement.calendar = settle.String("calendar", c.settlement.calendar);
  c.settlement_zone = settle.String("zone", c.settlement_zone);
  c.settlement.d0_lag = settle.Duration("d0_lag", c.settlement.d0_lag);
  c.settlement_d0_schedule = settle.Bool("d0_schedule", c.settlement_d0_schedule);
  c.settlement_d0_interval = settle.Duration("d0_interval", c.settlement_d0_interval);
  c.settlement.output_dir = settle.String("output_dir", c.settlement.output_dir);
  c.settlement.channel_cost_ppm["sandbox"] =
      settle.Int("sandbox_cost_ppm", c.sandbox.cost_rate_ppm, 0, 1000000);
  RETURN_IF_ERROR(settle.Finish());
  if (!absl::LoadTimeZone(c.settlement_zone, &c.settlement.zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("settlement.zone: unknown time zone \"", c.settlement_zone, "\""));
  }
  if (c.settlement.d0_lag < absl::ZeroDuration() || c.settlement.d0_lag > absl::Hours(1)) {
    return absl::InvalidArgumentError("settlement.d0_lag: between 0s and 1h");
  }
  if (c.settlement_d0_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("settlement.d0_interval: at least 1s");
  }

  common::ConfigReader expiry = r.Child("expiry");
  c.expiry_certificate_files = expiry.StringList("certificate_files", {});
  c.expiry_check_interval = expiry.Duration("check_interval", c.expiry_check_interval);
  c.expiry_api_key_rotation_age =
      expiry.Duration("api_key_rotation_age", c.expiry_api_key_rotation_age);
  RETURN_IF_ERROR(expiry.Finish());
  if (c.expiry_check_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("expiry.check_interval: must be at least 1s");
  }
  if (c.expiry_api_key_rotation_age < absl::Hours(24)) {
    return absl::InvalidArgumentError("expiry.api_key_rotation_age: must be at least 1d");
  }

  // Every service of the platform, hosted by this build or not yet: one config file serves
  // every pod of a release, whatever version each runs.
  static const std::vector<std::string> kPlatformServices = {
      "admin", "merchant", "terminal", "binding", "fee", "payment", "risk", "settlement"};
  common::ConfigReader peers = r.Child("peers");
  for (const auto& name : kPlatformServices) {
    std::string addr = peers.String(name, "");
    if (!addr.empty()) {
      RETURN_IF_ERROR(common::ValidateHostPort(absl::StrCat("peers.", name), addr));
      c.peers[name] = addr;
    }
  }
  RETURN_IF_ERROR(peers.Finish());
  RETURN_IF_ERROR(r.Finish());
  RETURN_IF_ERROR(common::ValidateHostPort("grpc_listen", c.grpc_listen));
  RETURN_IF_ERROR(common::ValidateHostPort("http_listen", c.http_listen));
  if (c.console_sessions.idle_timeout < absl::Minutes(1) ||
      c.console_sessions.idle_timeout > absl::Hours(8)) {
    return absl::InvalidArgumentError("auth.session_idle_timeout: must be between 1m and 8h");
  }
  if (c.console_sessions.max_lifetime < c.console_sessions.idle_timeout ||
      c.console_sessions.max_lifetime > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        "auth.session_max_lifetime: must be at least auth.session_idle_timeout and at most 24h");
  }
  if (c.token_ttl < absl::Minutes(1)) {
    return absl::InvalidArgumentError("auth.token_ttl: must be at least 1m");
  }

  if (const char* v = std::getenv("AGGPAY_MYSQL_PASSWORD")) c.mysql.password = v;
  if (const char* v = std::getenv("AGGPAY_REDIS_PASSWORD")) c.redis.password = v;
  if (const char* v = std::getenv("AGGPAY_INTERNAL_SECRET")) c.internal_secret = v;
  if (const char* v = std::getenv("AGGPAY_SECRET_KEY")) c.secret_key_hex = v;
  return c;
}

}  // namespace aggpay::aggpayd
