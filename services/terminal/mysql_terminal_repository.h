#pragma once

#include "services/common/mysql/mysql_pool.h"
#include "services/terminal/terminal_repository.h"

namespace aggpay::terminal {

class MysqlTerminalRepository final : public TerminalRepository {
 public:
  explicit MysqlTerminalRepository(common::MysqlPool& pool) : pool_(pool) {}

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
  absl::StatusOr<CheckInPlan> CheckIn(const std::string& terminal_sn, const CheckInDecision& decide,
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

 private:
  common::MysqlPool& pool_;
};

}  // namespace aggpay::terminal
