#include "services/terminal/terminal_operations.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/log/logging.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"

namespace aggpay::terminal {
namespace {

using common::InvalidField;

std::string NewTerminalSn() {
  // "T" + 16 digits from 64 random bits: the numeric style of Shouqianba's terminal_sn.
  const std::string raw = common::RandomToken(12);
  uint64_t n = 0;
  for (char c : raw) n = n * 131 + static_cast<unsigned char>(c);
  std::string digits = std::to_string(n % 10'000'000'000'000'000ULL);
  digits.insert(0, 16 - digits.size(), '0');
  return "T" + digits;
}

absl::Status CheckMerchantActive(const MerchantInfo& m) {
  if (m.status != "ACTIVE") {
    return common::FailedPreconditionField(
        "merchant_id", absl::StrCat("the merchant is ", m.status, ", not ACTIVE"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Time TerminalOperations::Now() const {
  return absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
}

std::vector<Capability> TerminalOperations::CapabilitiesOf(const TerminalRecord& t) const {
  return options_.capabilities.CapabilitiesFor(t.type, t.version);
}

absl::StatusOr<absl::TimeZone> TerminalOperations::CheckInZone(const std::string& merchant_id) {
  const absl::Time now = clock_.Now();
  {
    std::lock_guard lock(zones_mu_);
    auto it = zones_.find(merchant_id);
    if (it != zones_.end() && now < it->second.second) return it->second.first;
  }
  ASSIGN_OR_RETURN(MerchantInfo merchant, merchants_.GetMerchant(merchant_id));
  ASSIGN_OR_RETURN(absl::TimeZone zone, KeyZone(merchant));
  std::lock_guard lock(zones_mu_);
  if (zones_.size() > 100000) zones_.clear();
  zones_[merchant_id] = {zone, now + kZoneCacheLifetime};
  return zone;
}

std::string TerminalOperations::CachedTerminalMerchant(const std::string& terminal_sn) {
  std::lock_guard lock(zones_mu_);
  auto it = terminal_merchants_.find(terminal_sn);
  return it == terminal_merchants_.end() ? std::string() : it->second;
}

void TerminalOperations::RememberTerminalMerchant(const std::string& terminal_sn,
                                                  const std::string& merchant_id) {
  std::lock_guard lock(zones_mu_);
  if (terminal_merchants_.size() > 1000000) terminal_merchants_.clear();
  terminal_merchants_[terminal_sn] = merchant_id;
}

void TerminalOperations::ForgetTerminalMerchant(const std::string& terminal_sn) {
  std::lock_guard lock(zones_mu_);
  terminal_merchants_.erase(terminal_sn);
}

absl::StatusOr<absl::TimeZone> TerminalOperations::KeyZone(const MerchantInfo& merchant) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(merchant.time_zone, &zone)) {
    // Onboarding refuses a zone that does not load, so this is a host without that zone's
    // data, or a row written around onboarding. Keys in a guessed zone would expire at the
    // wrong local midnight: refuse instead.
    spdlog::error("merchant {}: time zone \"{}\" does not load; no terminal key issued",
                  merchant.merchant_id, merchant.time_zone);
    return absl::InternalError("the merchant's time zone cannot be loaded");
  }
  return zone;
}

absl::StatusOr<IssuedKey> TerminalOperations::NewKey(int64_t version, const absl::TimeZone& zone,
                                                     absl::Time now) {
  IssuedKey out;
  out.secret = NewTerminalKeySecret();
  out.key.version = version;
  ASSIGN_OR_RETURN(out.key.secret_sealed, box_.Seal(out.secret));
  out.key.issued_at = now;
  out.key.expires_at = KeyExpiry(now, zone);
  return out;
}

absl::StatusOr<TerminalRecord> TerminalOperations::Register(
    const std::string& merchant_id, const std::string& store_id, const std::string& type,
    const std::string& serial, const std::string& vendor, const std::string& client_version) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  RETURN_IF_ERROR(common::ValidateId(store_id, "store_id"));
  TerminalRecord t;
  ASSIGN_OR_RETURN(t.type, ParseTerminalType(type));
  RETURN_IF_ERROR(ValidateSerial(serial));
  RETURN_IF_ERROR(ValidateVendor(vendor));
  ASSIGN_OR_RETURN(t.version, ParseClientVersion(client_version));
  ASSIGN_OR_RETURN(MerchantInfo merchant, merchants_.GetMerchant(merchant_id));
  if (merchant.status == "CLOSED") {
    return common::FailedPreconditionField("merchant_id", "the merchant is CLOSED");
  }
  RETURN_IF_ERROR(merchants_.CheckStore(merchant_id, store_id));
  TerminalFilter in_store;
  in_store.merchant_id = merchant_id;
  in_store.store_id = store_id;
  in_store.limit = 10 * kMaxTerminalsPerStore;
  ASSIGN_OR_RETURN(std::vector<TerminalRecord> existing, repo_.List(in_store));
  const auto live = std::count_if(existing.begin(), existing.end(), [](const TerminalRecord& e) {
    return e.status != TerminalStatus::kRetired;
  });
  if (static_cast<size_t>(live) >= kMaxTerminalsPerStore) {
    return common::FailedPreconditionField(
        "store_id", absl::StrCat("a store may have at most ", kMaxTerminalsPerStore,
                                 " terminals that are not retired"));
  }
  t.terminal_sn = NewTerminalSn();
  t.merchant_id = merchant_id;
  t.store_id = store_id;
  t.serial = serial;
  t.vendor = vendor;
  t.status = TerminalStatus::kRegistered;
  t.created_at = Now();
  RETURN_IF_ERROR(repo_.CreateTerminal(t));
  return t;
}

absl::StatusOr<ActivationCode> TerminalOperations::IssueActivationCode(
    const std::string& merchant_id, const std::string& store_id, const std::string& terminal_sn,
    int max_uses, absl::Duration ttl) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  RETURN_IF_ERROR(common::ValidateId(store_id, "store_id"));
  if (max_uses == 0) max_uses = 1;
  if (ttl == absl::ZeroDuration()) ttl = kDefaultActivationCodeLifetime;
  RETURN_IF_ERROR(ValidateActivationCodeOptions(max_uses, ttl));
  RETURN_IF_ERROR(CheckNotHeld(merchant_id));
  RETURN_IF_ERROR(merchants_.CheckStore(merchant_id, store_id));
  if (!terminal_sn.empty()) {
    ASSIGN_OR_RETURN(TerminalRecord t, Get(terminal_sn));
    if (t.merchant_id != merchant_id || t.store_id != store_id) {
      return InvalidField("terminal_sn", "belongs to another merchant or store");
    }
    ASSIGN_OR_RETURN(TerminalStatus next, Transition(t.status, TerminalAction::kActivate));
    (void)next;
    if (max_uses != 1) return InvalidField("max_uses", "a code for one terminal is single-use");
  }
  ActivationCode code;
  code.code = NewActivationCode();
  code.merchant_id = merchant_id;
  code.store_id = store_id;
  code.terminal_sn = terminal_sn;
  code.max_uses = max_uses;
  const absl::Time now = Now();
  code.expires_at = now + ttl;
  RETURN_IF_ERROR(repo_.CreateActivationCode(code, common::Sha256Hex(code.code), now));
  return code;
}

absl::StatusOr<ActivationOutcome> TerminalOperations::Activate(const ActivateInput& in) {
  RETURN_IF_ERROR(ValidateActivationCodeFormat(in.activation_code));
  RETURN_IF_ERROR(ValidateDeviceId(in.device_id));
  std::optional<ClientVersion> version;
  if (!in.client_version.empty()) {
    ASSIGN_OR_RETURN(version, ParseClientVersion(in.client_version));
  }
  const absl::Time now = Now();
  const std::string code_hash = common::Sha256Hex(in.activation_code);
  // Everything remote first (the merchant's status and zone), then the transaction: no call
  // out while a connection is held (docs/architecture.md).
  ASSIGN_OR_RETURN(std::optional<ActivationCode> seen, repo_.GetActivationCode(code_hash));
  if (!seen) return InvalidField("activation_code", "no such activation code");
  RETURN_IF_ERROR(CheckActivationCodeUsable(*seen, now));
  ASSIGN_OR_RETURN(MerchantInfo merchant, merchants_.GetMerchant(seen->merchant_id));
  RETURN_IF_ERROR(CheckMerchantActive(merchant));
  ASSIGN_OR_RETURN(absl::TimeZone zone, KeyZone(merchant));
  std::string secret;
  auto plan = repo_.Activate(
      code_hash,
      [&](const ActivationCode& code,
          const std::optional<TerminalRecord>& bound) -> absl::StatusOr<ActivationPlan> {
        RETURN_IF_ERROR(CheckActivationCodeUsable(code, now));
        if (code.merchant_id != merchant.merchant_id) {
          return absl::AbortedError("the activation code changed meanwhile; retry");
        }
        ActivationPlan p;
        if (bound) {
          if (!in.serial.empty() && in.serial != bound->serial) {
            return common::FailedPreconditionField("activation_code",
                                                   "this activation code is for another device");
          }
          RETURN_IF_ERROR(
              CheckActivationCodeMatchesTerminal(code, bound->merchant_id, bound->store_id));
          ASSIGN_OR_RETURN(TerminalStatus next,
                           Transition(bound->status, TerminalAction::kActivate));
          p.terminal = *bound;
          p.terminal.status = next;
        } else {
          ASSIGN_OR_RETURN(p.terminal.type, ParseTerminalType(in.type));
          RETURN_IF_ERROR(ValidateSerial(in.serial));
          RETURN_IF_ERROR(ValidateVendor(in.vendor));
          if (!version) return InvalidField("client_version", "is required");
          p.create_terminal = true;
          p.terminal.terminal_sn = NewTerminalSn();
          p.terminal.merchant_id = code.merchant_id;
          p.terminal.store_id = code.store_id;
          p.terminal.serial = in.serial;
          p.terminal.vendor = in.vendor;
          p.terminal.created_at = now;
          p.terminal.status = TerminalStatus::kActive;
        }
        if (version) p.terminal.version = *version;
        p.terminal.device_id = in.device_id;
        p.terminal.activated_at = now;
        p.terminal.last_check_in_ts = 0;
        ASSIGN_OR_RETURN(IssuedKey key, NewKey(p.terminal.key_version + 1, zone, now));
        p.terminal.key_version = key.key.version;
        p.key = key.key;
        secret = key.secret;
        return p;
      },
      now);
  if (absl::IsNotFound(plan.status())) {
    return InvalidField("activation_code", "no such activation code");
  }
  RETURN_IF_ERROR(plan.status());
  // After commit: the binding service's current code for the terminal.
  ActivationOutcome out{plan->terminal, IssuedKey{secret, plan->key}, {}};
  ASSIGN_OR_RETURN(out.parameters, Parameters(out.terminal));
  return out;
}

absl::StatusOr<TerminalRecord> TerminalOperations::VerifyRequest(
    const std::string& sn, const std::string& method, const std::string& timestamp,
    const std::string& nonce, const std::string& body_sha256, const std::string& signature) {
  RETURN_IF_ERROR(common::ValidateId(sn, "terminal_sn"));
  if (method.empty() || method.size() > 64) return common::InvalidField("method", "is required");
  // The row and its keys in one read.
  ASSIGN_OR_RETURN(std::optional<TerminalWithKeys> found, repo_.GetWithKeys(sn));
  if (!found) return absl::UnauthenticatedError("unknown terminal");
  const TerminalRecord* t = &found->terminal;
  if (t->status != TerminalStatus::kActive) {
    return common::FailedPreconditionField(
        "terminal_sn", absl::StrCat("the terminal is ", TerminalStatusName(t->status)));
  }
  const std::vector<StoredKey>& keys = found->keys;
  const absl::Time now = Now();
  for (const StoredKey& k : keys) {
    TerminalKey key{k.version, "", k.issued_at, k.expires_at, k.superseded_at};
    if (!CheckKeyUsable(key, now, options_.key_overlap).ok()) continue;
    auto opened = box_.Open(k.secret_sealed);
    if (!opened.ok()) continue;
    if (VerifyTerminalSignature(*opened, signature, method, sn, timestamp, nonce, body_sha256, now,
                                options_.timestamp_window)
            .ok()) {
      return *t;
    }
  }
  return absl::UnauthenticatedError("signature does not match a valid terminal key");
}

absl::StatusOr<CheckInOutcome> TerminalOperations::CheckIn(const CheckInInput& in) {
  RETURN_IF_ERROR(common::ValidateId(in.terminal_sn, "terminal_sn"));
  ASSIGN_OR_RETURN(ClientVersion version, ParseClientVersion(in.client_version));
  ASSIGN_OR_RETURN(int64_t signed_ts, ParseTerminalTimestamp(in.timestamp));
  const absl::Time now = Now();
  const std::string body_hash = common::Sha256Hex(in.client_version);
  // The merchant's zone is read before the transaction: a terminal never changes merchant, so
  // an unlocked read of the row (once per terminal and process) names the right one.
  std::string merchant_id = CachedTerminalMerchant(in.terminal_sn);
  if (merchant_id.empty()) {
    ASSIGN_OR_RETURN(std::optional<TerminalRecord> seen, repo_.Get(in.terminal_sn));
    if (!seen) return absl::UnauthenticatedError("unknown terminal");
    merchant_id = seen->merchant_id;
    RememberTerminalMerchant(in.terminal_sn, merchant_id);
  }
  ASSIGN_OR_RETURN(absl::TimeZone zone, CheckInZone(merchant_id));
  std::string secret;
  absl::Time previous_valid_until = now + options_.key_overlap;
  std::optional<TerminalRecord> checked;
  auto plan = repo_.CheckIn(
      in.terminal_sn,
      [&](const TerminalRecord& t,
          const std::vector<StoredKey>& keys) -> absl::StatusOr<CheckInPlan> {
        if (t.merchant_id != merchant_id) {
          ForgetTerminalMerchant(in.terminal_sn);
          return absl::AbortedError("the terminal changed meanwhile; retry");
        }
        RETURN_IF_ERROR(Transition(t.status, TerminalAction::kCheckIn).status());
        RETURN_IF_ERROR(CheckTimestampAdvances(signed_ts, t.last_check_in_ts));
        bool verified = false;
        for (const StoredKey& k : keys) {
          TerminalKey key{k.version, "", k.issued_at, k.expires_at, k.superseded_at};
          if (!CheckKeyUsableForCheckIn(key, now, options_.key_overlap, options_.check_in_grace)
                   .ok()) {
            continue;
          }
          auto opened = box_.Open(k.secret_sealed);
          if (!opened.ok()) continue;
          if (VerifyTerminalSignature(*opened, in.signature, "CheckIn", in.terminal_sn,
                                      in.timestamp, in.nonce, body_hash, now,
                                      options_.timestamp_window)
                  .ok()) {
            verified = true;
            break;
          }
        }
        if (!verified) {
          return absl::UnauthenticatedError("signature does not match a valid terminal key");
        }
        // The key being replaced signs for the overlap, but never past its own expiry.
        if (!keys.empty()) {
          previous_valid_until = std::min(previous_valid_until, keys.front().expires_at);
        }
        ASSIGN_OR_RETURN(IssuedKey key, NewKey(t.key_version + 1, zone, now));
        secret = key.secret;
        checked = t;
        return CheckInPlan{key.key, signed_ts, version};
      },
      now);
  if (absl::IsNotFound(plan.status())) {
    ForgetTerminalMerchant(in.terminal_sn);
    return absl::UnauthenticatedError("unknown terminal");
  }
  RETURN_IF_ERROR(plan.status());
  checked->version = version;
  CheckInOutcome out{IssuedKey{secret, plan->plan.new_key}, previous_valid_until, {}};
  out.parameters = ParametersWith(*checked, plan->channel_configs);
  return out;
}

absl::StatusOr<TerminalRecord> TerminalOperations::Get(const std::string& terminal_sn) {
  RETURN_IF_ERROR(common::ValidateId(terminal_sn, "terminal_sn"));
  ASSIGN_OR_RETURN(std::optional<TerminalRecord> t, repo_.Get(terminal_sn));
  if (!t) return absl::NotFoundError("terminal not found");
  return *t;
}

absl::StatusOr<std::vector<TerminalRecord>> TerminalOperations::List(const TerminalFilter& f) {
  if (!f.merchant_id.empty()) RETURN_IF_ERROR(common::ValidateId(f.merchant_id, "merchant_id"));
  if (!f.store_id.empty()) RETURN_IF_ERROR(common::ValidateId(f.store_id, "store_id"));
  return repo_.List(f);
}

absl::StatusOr<ChannelConfigRecord> TerminalOperations::SetChannelConfig(
    const std::string& terminal_sn, const std::string& store_id, const std::string& merchant_id,
    const std::string& channel, const std::string& sub_mch_id, const std::string& sub_appid) {
  if (terminal_sn.empty() == store_id.empty()) {
    return InvalidField("terminal_sn", "give exactly one of terminal_sn and store_id");
  }
  if (channel != "wechat" && channel != "alipay" && channel != "unionpay") {
    return InvalidField("channel", "must be wechat, alipay or unionpay");
  }
  RETURN_IF_ERROR(common::ValidateId(sub_mch_id, "sub_mch_id"));
  if (!sub_appid.empty()) RETURN_IF_ERROR(common::ValidateId(sub_appid, "sub_appid"));
  ChannelConfigRecord r;
  if (!terminal_sn.empty()) {
    ASSIGN_OR_RETURN(TerminalRecord t, Get(terminal_sn));
    if (t.status == TerminalStatus::kRetired) {
      return common::FailedPreconditionField("terminal_sn", "terminal is RETIRED");
    }
    r.scope = "TERMINAL";
    r.scope_id = terminal_sn;
    r.merchant_id = t.merchant_id;
  } else {
    RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
    RETURN_IF_ERROR(merchants_.CheckStore(merchant_id, store_id));
    r.scope = "STORE";
    r.scope_id = store_id;
    r.merchant_id = merchant_id;
  }
  r.channel = channel;
  r.sub_mch_id = sub_mch_id;
  r.sub_appid = sub_appid;
  r.updated_at = Now();
  RETURN_IF_ERROR(repo_.SetChannelConfig(r));
  return r;
}

absl::StatusOr<std::vector<std::string>> TerminalOperations::ForceOffline(
    const std::string& terminal_sn, const std::string& merchant_id,
    const std::string& hold_reason) {
  if (!hold_reason.empty() && merchant_id.empty()) {
    return InvalidField("hold", "a hold is of a merchant: give merchant_id");
  }
  if (terminal_sn.empty() == merchant_id.empty()) {
    return InvalidField("terminal_sn", "give exactly one of terminal_sn and merchant_id");
  }
  if (!terminal_sn.empty()) {
    ASSIGN_OR_RETURN(TerminalRecord t, Get(terminal_sn));
    RETURN_IF_ERROR(Transition(t.status, TerminalAction::kForceOffline).status());
  } else {
    RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  }
  return repo_.ForceOffline(terminal_sn, merchant_id, Now(), hold_reason);
}

absl::StatusOr<bool> TerminalOperations::ReleaseHold(const std::string& merchant_id) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  // A release for a merchant that exists nowhere is an error, not "nothing was held".
  if (auto m = merchants_.GetMerchant(merchant_id); !m.ok()) {
    if (!absl::IsNotFound(m.status())) return m.status();
    return absl::NotFoundError(absl::StrCat("merchant_id: no merchant \"", merchant_id, "\""));
  }
  return repo_.ReleaseHold(merchant_id);
}

absl::Status TerminalOperations::CheckNotHeld(const std::string& merchant_id) {
  ASSIGN_OR_RETURN(bool held, repo_.IsHeld(merchant_id));
  if (held) {
    return common::FailedPreconditionField(
        "merchant_id",
        "the merchant's terminals are held by risk control until its security "
        "check passes");
  }
  return absl::OkStatus();
}

absl::StatusOr<TerminalRecord> TerminalOperations::Step(const std::string& terminal_sn,
                                                        TerminalAction action) {
  RETURN_IF_ERROR(common::ValidateId(terminal_sn, "terminal_sn"));
  auto result = repo_.UpdateStatus(
      terminal_sn,
      [&](const TerminalRecord& t) -> absl::StatusOr<TerminalStatus> {
        return Transition(t.status, action);
      },
      Now());
  return result;
}

absl::StatusOr<TerminalRecord> TerminalOperations::Freeze(const std::string& terminal_sn) {
  return Step(terminal_sn, TerminalAction::kFreeze);
}

absl::StatusOr<TerminalRecord> TerminalOperations::Unfreeze(const std::string& terminal_sn) {
  return Step(terminal_sn, TerminalAction::kUnfreeze);
}

absl::StatusOr<TerminalRecord> TerminalOperations::Clear(const std::string& terminal_sn) {
  RETURN_IF_ERROR(common::ValidateId(terminal_sn, "terminal_sn"));
  ASSIGN_OR_RETURN(TerminalRecord t, Get(terminal_sn));
  RETURN_IF_ERROR(CheckNotHeld(t.merchant_id));
  return Step(terminal_sn, TerminalAction::kClear);
}

absl::StatusOr<TerminalRecord> TerminalOperations::Retire(const std::string& terminal_sn) {
  return Step(terminal_sn, TerminalAction::kRetire);
}

absl::StatusOr<TerminalParameters> TerminalOperations::Parameters(const TerminalRecord& t) {
  ASSIGN_OR_RETURN(std::vector<ChannelConfigRecord> configs,
                   repo_.ChannelConfigs(t.terminal_sn, t.store_id));
  return ParametersWith(t, configs);
}

TerminalParameters TerminalOperations::ParametersWith(
    const TerminalRecord& t, const std::vector<ChannelConfigRecord>& configs) {
  TerminalParameters p;
  p.capabilities = CapabilitiesOf(t);
  // Terminal scope comes first and wins over the store's for the same channel.
  for (const ChannelConfigRecord& c : configs) {
    const bool seen =
        std::any_of(p.channels.begin(), p.channels.end(),
                    [&](const ChannelParameter& x) { return x.channel == c.channel; });
    if (!seen)
      p.channels.push_back(ChannelParameter{c.channel, c.sub_mch_id, c.sub_appid, c.scope});
  }
  if (codes_ != nullptr) {
    // Best effort: a check-in succeeds even when the binding service cannot answer.
    auto url = codes_->CurrentCodeUrl(t.terminal_sn);
    if (url.ok()) {
      p.collection_code_url = *url;
    } else {
      spdlog::warn("terminal {}: current code unavailable: {}", t.terminal_sn,
                   url.status().message());
    }
  }
  return p;
}

}  // namespace aggpay::terminal
