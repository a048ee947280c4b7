#pragma once

#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/clock/clock.h"
#include "services/common/crypto/crypto.h"
#include "services/terminal/domain/terminal_key.h"
#include "services/terminal/merchant_directory.h"
#include "services/terminal/terminal_repository.h"

namespace aggpay::terminal {

struct TerminalOptions {
  absl::Duration key_overlap = kDefaultKeyOverlap;
  // How long after its expiry the newest key may still check in (a device off for a weekend).
  absl::Duration check_in_grace = absl::Hours(24 * 7);
  absl::Duration timestamp_window = absl::Seconds(300);
  CapabilityTable capabilities = CapabilityTable::Default();
};

struct ChannelParameter {
  std::string channel;
  std::string sub_mch_id;
  std::string sub_appid;
  std::string scope;
};

struct TerminalParameters {
  std::vector<ChannelParameter> channels;
  std::vector<Capability> capabilities;
  std::string collection_code_url;
};

struct IssuedKey {
  std::string secret;
  StoredKey key;
};

struct ActivationOutcome {
  TerminalRecord terminal;
  IssuedKey key;
  TerminalParameters parameters;
};

struct CheckInOutcome {
  IssuedKey key;
  absl::Time previous_key_valid_until;
  TerminalParameters parameters;
};

struct ActivateInput {
  std::string activation_code;
  std::string device_id;
  std::string type;
  std::string serial;
  std::string vendor;
  std::string client_version;
};

struct CheckInInput {
  std::string terminal_sn;
  std::string client_version;
  std::string timestamp;
  std::string nonce;
  std::string signature;
};

// The terminal service's use cases. Every call to the merchant directory and the code source
// happens before a repository transaction opens or after it commits, never inside one: in one
// process all services share one MySQL pool (docs/architecture.md).
class TerminalOperations {
 public:
  // `codes` may be null (no binding service reachable): parameters then carry no code.
  TerminalOperations(TerminalRepository& repo, MerchantDirectory& merchants, CodeSource* codes,
                     common::SecretBox box, const common::Clock& clock, TerminalOptions options)
      : repo_(repo),
        codes_(codes),
        merchants_(merchants),
        box_(std::move(box)),
        clock_(clock),
        options_(std::move(options)) {}

  absl::StatusOr<TerminalRecord> Register(const std::string& merchant_id,
                                          const std::string& store_id, const std::string& type,
                                          const std::string& serial, const std::string& vendor,
                                          const std::string& client_version);
  absl::StatusOr<ActivationCode> IssueActivationCode(const std::string& merchant_id,
                                                     const std::string& store_id,
                                                     const std::string& terminal_sn, int max_uses,
                                                     absl::Duration ttl);
  absl::StatusOr<ActivationOutcome> Activate(const ActivateInput& input);
  absl::StatusOr<CheckInOutcome> CheckIn(const CheckInInput& input);

  absl::StatusOr<TerminalRecord> Get(const std::string& terminal_sn);
  absl::StatusOr<std::vector<TerminalRecord>> List(const TerminalFilter& filter);
  absl::StatusOr<ChannelConfigRecord> SetChannelConfig(
      const std::string& terminal_sn, const std::string& store_id, const std::string& merchant_id,
      const std::string& channel, const std::string& sub_mch_id, const std::string& sub_appid);
  // `hold_reason` (merchant only): no terminal of the merchant may be cleared or get an
  // activation code until ReleaseHold (risk control's device freeze).
  absl::StatusOr<std::vector<std::string>> ForceOffline(const std::string& terminal_sn,
                                                        const std::string& merchant_id,
                                                        const std::string& hold_reason = "");
  absl::StatusOr<bool> ReleaseHold(const std::string& merchant_id);
  absl::StatusOr<TerminalRecord> Freeze(const std::string& terminal_sn);
  absl::StatusOr<TerminalRecord> Unfreeze(const std::string& terminal_sn);
  absl::StatusOr<TerminalRecord> Clear(const std::string& terminal_sn);
  absl::StatusOr<TerminalRecord> Retire(const std::string& terminal_sn);

  // A terminal's signed request to another service (a payment): the signature under a usable
  // key (the current one, or the previous within its overlap), a timestamp inside the window.
  // UNAUTHENTICATED otherwise; FAILED_PRECONDITION naming terminal_sn unless ACTIVE. Replays
  // within the window are the caller's to stop (payments are idempotent by out_trade_no).
  absl::StatusOr<TerminalRecord> VerifyRequest(
      const std::string& terminal_sn, const std::string& method, const std::string& timestamp,
      const std::string& nonce, const std::string& body_sha256, const std::string& signature);

  std::vector<Capability> CapabilitiesOf(const TerminalRecord& t) const;
  absl::StatusOr<TerminalParameters> Parameters(const TerminalRecord& t);
  // The same, from the terminal's channel configs already read (terminal scope first).
  TerminalParameters ParametersWith(const TerminalRecord& t,
                                    const std::vector<ChannelConfigRecord>& configs);

 private:
  absl::Time Now() const;
  absl::Status CheckNotHeld(const std::string& merchant_id);
  // INTERNAL (and an error log) when the merchant's zone does not load: never a guessed zone.
  static absl::StatusOr<absl::TimeZone> KeyZone(const MerchantInfo& merchant);
  // The merchant's key zone for a check-in, from a short in-process cache: a merchant's zone is
  // fixed at onboarding, and a morning storm of one store's terminals needs it once, not once
  // per terminal. Activation reads the merchant fresh (it checks the status too).
  absl::StatusOr<absl::TimeZone> CheckInZone(const std::string& merchant_id);
  // The merchant a terminal belongs to, for a check-in's zone, before its transaction: a
  // terminal never changes merchant, and the transaction checks the locked row's merchant
  // anyway (a mismatch forgets the entry and aborts), so the mapping is kept without expiry.
  // Empty when not known here: the caller reads the row then.
  std::string CachedTerminalMerchant(const std::string& terminal_sn);
  void RememberTerminalMerchant(const std::string& terminal_sn, const std::string& merchant_id);
  void ForgetTerminalMerchant(const std::string& terminal_sn);
  // Pure: called inside the check-in and activation transactions.
  absl::StatusOr<IssuedKey> NewKey(int64_t version, const absl::TimeZone& zone, absl::Time now);
  absl::StatusOr<TerminalRecord> Step(const std::string& terminal_sn, TerminalAction action);

  TerminalRepository& repo_;
  CodeSource* codes_;
  MerchantDirectory& merchants_;
  common::SecretBox box_;
  const common::Clock& clock_;
  TerminalOptions options_;

  static constexpr absl::Duration kZoneCacheLifetime = absl::Minutes(5);
  std::mutex zones_mu_;
  std::unordered_map<std::string, std::pair<absl::TimeZone, absl::Time>> zones_;
  std::unordered_map<std::string, std::string> terminal_merchants_;  // guarded by zones_mu_
};

}  // namespace aggpay::terminal
