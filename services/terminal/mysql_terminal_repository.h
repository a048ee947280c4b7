#pragma once

#include "services/common/mysql/group_commit.h"
#include "services/common/mysql/mysql_pool.h"
#include "services/terminal/terminal_repository.h"

namespace aggpay::terminal {

// One check-in waiting for its group commit: the decision to run on its locked terminal, and
// what it answered.
struct CheckInCall {
  std::string terminal_sn;
  const TerminalRepository::CheckInDecision* decide;
  absl::Time now;
  mutable absl::StatusOr<CheckInPlan> result = absl::InternalError("check-in not decided");
  mutable std::vector<ChannelConfigRecord> channel_configs = {};  // when accepted
};

class MysqlTerminalRepository final : public TerminalRepository {
 public:
  explicit MysqlTerminalRepository(common::MysqlPool& pool);

  absl::Status CreateTerminal(const TerminalRecord& terminal) override;
  absl::StatusOr<std::optional<TerminalRecord>> Get(const std::string& terminal_sn) override;
  absl::StatusOr<std::vector<TerminalRecord>> List(const TerminalFilter& filter) override;
  absl::Status CreateActivationCode(const ActivationCode& code, const std::string& code_hash,
                                    absl::Time now) override;
  absl::StatusOr<std::optional<ActivationCode>> GetActivationCode(
      const std::string& code_hash) override;
  absl::StatusOr<ActivationPlan> Activate(const std::string& code_hash,
                                          const ActivationDecision& decide,
                                          absl::Time now) override;
  // Concurrent check-ins share a transaction (common::GroupCommit): one START, one locked read of
  // every terminal and its keys, one UPDATE of them all, one multi-row INSERT of the new keys and
  // one COMMIT for up to 32 check-ins, each with its call's audit outbox row; the accepted
  // terminals' channel configs in one read inside it. A call its decision turns down writes
  // nothing and answers its own error.
  absl::StatusOr<CheckedIn> CheckIn(const std::string& terminal_sn, const CheckInDecision& decide,
                                    absl::Time now) override;
  absl::StatusOr<std::optional<TerminalWithKeys>> GetWithKeys(
      const std::string& terminal_sn) override;
  absl::StatusOr<std::vector<std::string>> ForceOffline(const std::string& terminal_sn,
                                                        const std::string& merchant_id,
                                                        absl::Time now,
                                                        const std::string& hold_reason) override;
  absl::StatusOr<bool> ReleaseHold(const std::string& merchant_id) override;
  absl::StatusOr<bool> IsHeld(const std::string& merchant_id) override;
  absl::StatusOr<TerminalRecord> UpdateStatus(const std::string& terminal_sn,
                                              const StatusDecision& decide,
                                              absl::Time now) override;
  absl::Status SetChannelConfig(const ChannelConfigRecord& config) override;
  absl::StatusOr<std::vector<ChannelConfigRecord>> ChannelConfigs(
      const std::string& terminal_sn, const std::string& store_id) override;

  const common::GroupCommit<CheckInCall>& check_ins() const { return check_ins_; }

 private:
  common::MysqlPool& pool_;
  common::GroupCommit<CheckInCall> check_ins_;
};

}  // namespace aggpay::terminal
