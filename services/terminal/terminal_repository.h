#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/terminal/domain/activation.h"
#include "services/terminal/domain/client_version.h"
#include "services/terminal/domain/terminal.h"

namespace aggpay::terminal {

struct TerminalRecord {
  std::string terminal_sn;
  std::string merchant_id;
  std::string store_id;
  TerminalType type = TerminalType::kPos;
  std::string serial;
  std::string vendor;
  ClientVersion version{0, 0, 0};
  TerminalStatus status = TerminalStatus::kRegistered;
  std::optional<std::string> device_id;
  int64_t key_version = 0;
  int64_t last_check_in_ts = 0;  // the signed timestamp of the last accepted check-in
  std::optional<absl::Time> last_check_in_at;
  std::optional<absl::Time> activated_at;
  absl::Time created_at;
};

// A terminal key as stored: the secret sealed with AGGPAY_SECRET_KEY.
struct StoredKey {
  int64_t version = 0;
  std::string secret_sealed;
  absl::Time issued_at;
  absl::Time expires_at;
  std::optional<absl::Time> superseded_at;
};

struct ChannelConfigRecord {
  std::string scope;  // TERMINAL or STORE
  std::string scope_id;
  std::string channel;
  std::string merchant_id;
  std::string sub_mch_id;
  std::string sub_appid;
  absl::Time updated_at;
};

struct TerminalFilter {
  std::string merchant_id;
  std::string store_id;
  std::optional<TerminalType> type;
  std::optional<TerminalStatus> status;
  std::optional<ClientVersion> version_below;
  // Last check-in before this time, or never.
  std::optional<absl::Time> checked_in_before;
  std::string after_sn;  // keyset
  int limit = 50;
};

// What an activation writes, decided by the caller on the locked code and terminal.
struct ActivationPlan {
  TerminalRecord terminal;
  bool create_terminal = false;
  StoredKey key;
};

struct TerminalWithKeys {
  TerminalRecord terminal;
  std::vector<StoredKey> keys;  // the two newest, newest first
};

// What a check-in writes, decided by the caller on the locked terminal and its keys.
struct CheckInPlan {
  StoredKey new_key;
  int64_t signed_timestamp = 0;
  ClientVersion client_version{0, 0, 0};
};

// A committed check-in: its plan, and the terminal's channel configs read in the same
// transaction (terminal scope first, as ChannelConfigs gives them).
struct CheckedIn {
  CheckInPlan plan;
  std::vector<ChannelConfigRecord> channel_configs;
};

// Storage of terminals. Multi-step changes run in one transaction around a caller-supplied
// decision on the locked rows; an error from the decision writes nothing.
class TerminalRepository {
 public:
  virtual ~TerminalRepository() = default;

  // ALREADY_EXISTS when the vendor's serial is registered already.
  virtual absl::Status CreateTerminal(const TerminalRecord& terminal) = 0;
  virtual absl::StatusOr<std::optional<TerminalRecord>> Get(const std::string& terminal_sn) = 0;
  virtual absl::StatusOr<std::vector<TerminalRecord>> List(const TerminalFilter& filter) = 0;

  // Activation codes are stored and looked up by `code_hash` (lowercase hex SHA-256 of the
  // code), never in clear: a database dump cannot activate a device. `code.code` is not stored.
  virtual absl::Status CreateActivationCode(const ActivationCode& code,
                                            const std::string& code_hash, absl::Time now) = 0;
  // The code without a lock (its `code` field empty), or nullopt.
  virtual absl::StatusOr<std::optional<ActivationCode>> GetActivationCode(
      const std::string& code_hash) = 0;

  using ActivationDecision = std::function<absl::StatusOr<ActivationPlan>(
      const ActivationCode& code, const std::optional<TerminalRecord>& bound_terminal)>;
  // NOT_FOUND when there is no such code. A device id already used by another terminal of the
  // merchant is FAILED_PRECONDITION naming device_id. `decide` runs inside the transaction, on
  // locked rows: it must not wait on anything remote (see docs/architecture.md).
  virtual absl::StatusOr<ActivationPlan> Activate(const std::string& code_hash,
                                                  const ActivationDecision& decide,
                                                  absl::Time now) = 0;

  using CheckInDecision = std::function<absl::StatusOr<CheckInPlan>(
      const TerminalRecord& terminal, const std::vector<StoredKey>& recent_keys)>;
  // `recent_keys`: the terminal's two newest keys, newest first. NOT_FOUND for no terminal.
  // `decide` runs inside the transaction with the terminal row locked: no remote waits.
  virtual absl::StatusOr<CheckedIn> CheckIn(const std::string& terminal_sn,
                                            const CheckInDecision& decide, absl::Time now) = 0;

  // The terminal and its two newest keys, newest first, in one read without a lock; nullopt for
  // no terminal.
  virtual absl::StatusOr<std::optional<TerminalWithKeys>> GetWithKeys(
      const std::string& terminal_sn) = 0;

  // Sets the terminals (one, or all of a merchant) OFFLINE and ends their keys now, in one
  // statement each. Returns the terminals changed.
  // A non-empty `hold_reason` (with merchant_id) also holds the merchant, in the same
  // transaction.
  virtual absl::StatusOr<std::vector<std::string>> ForceOffline(const std::string& terminal_sn,
                                                                const std::string& merchant_id,
                                                                absl::Time now,
                                                                const std::string& hold_reason) = 0;
  // Ends a hold: false when there was none.
  virtual absl::StatusOr<bool> ReleaseHold(const std::string& merchant_id) = 0;
  virtual absl::StatusOr<bool> IsHeld(const std::string& merchant_id) = 0;

  using StatusDecision = std::function<absl::StatusOr<TerminalStatus>(const TerminalRecord&)>;
  // Locks the terminal, asks `decide` for its next status and stores it.
  virtual absl::StatusOr<TerminalRecord> UpdateStatus(const std::string& terminal_sn,
                                                      const StatusDecision& decide,
                                                      absl::Time now) = 0;

  virtual absl::Status SetChannelConfig(const ChannelConfigRecord& config) = 0;
  // Configs of the terminal and of its store, terminal scope first.
  virtual absl::StatusOr<std::vector<ChannelConfigRecord>> ChannelConfigs(
      const std::string& terminal_sn, const std::string& store_id) = 0;
};

}  // namespace aggpay::terminal
