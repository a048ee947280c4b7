#pragma once

#include <map>

#include "services/binding/code_repository.h"
#include "services/binding/resolve_cache.h"
#include "services/common/mysql/batched_read.h"
#include "services/common/mysql/mysql_pool.h"

namespace aggpay::binding {

// Codes and the invalidation log live in one schema, so a change and its log entry commit
// together.
class MysqlCodeRepository final : public CodeRepository, public InvalidationLog {
 public:
  explicit MysqlCodeRepository(common::MysqlPool& pool);

  absl::Status Create(const CodeRecord& code, const HistoryEntry& history) override;
  absl::StatusOr<std::optional<CodeRecord>> Get(const std::string& code_id) override;
  absl::StatusOr<std::vector<CodeRecord>> List(const CodeFilter& filter) override;
  // Concurrent callers (check-ins) share one read of all their terminals (common::BatchedRead),
  // each answered from a read that began after its call.
  absl::StatusOr<std::optional<std::string>> ActiveCodeIdForTerminal(
      const std::string& terminal_sn) override;
  const common::BatchedRead<std::string, std::string>& terminal_codes() const {
    return terminal_codes_;
  }
  absl::StatusOr<CodeChange> Change(const std::string& code_id, const ChangeDecision& decide,
                                    absl::Time now) override;
  absl::Status RecordDelivery(const std::string& terminal_sn, const std::string& code_id,
                              absl::Time now) override;
  absl::StatusOr<std::vector<std::string>> TerminalsHolding(const std::string& code_id) override;
  absl::StatusOr<std::vector<HistoryEntry>> History(const std::string& terminal_sn,
                                                    const std::string& code_id) override;
  absl::Status AddAlert(const AlertRecord& alert) override;
  absl::StatusOr<std::vector<AlertRecord>> ListAlerts(const std::string& merchant_id,
                                                      int limit) override;
  absl::StatusOr<int64_t> CountAlerts(const std::string& merchant_id) override;
  absl::Status CreateRequest(const RequestRecord& request) override;
  absl::StatusOr<std::optional<RequestRecord>> GetRequest(const std::string& id) override;
  absl::StatusOr<RequestRecord> UpdateRequest(const std::string& id, const RequestDecision& decide,
                                              absl::Time now) override;
  absl::StatusOr<std::vector<RequestRecord>> ListRequests(std::optional<RequestStatus> status,
                                                          const std::string& merchant_id,
                                                          int limit) override;
  absl::StatusOr<std::optional<std::string>> GraceCodeReplacedBy(
      const std::string& code_id) override;
  absl::StatusOr<std::pair<int64_t, int64_t>> CountRequestsSince(const std::string& code_id,
                                                                 const std::string& merchant_id,
                                                                 absl::Time since) override;
  absl::StatusOr<MerchantBlockChange> SetMerchantBlock(const std::string& merchant_id,
                                                       const std::string& status,
                                                       const std::string& reason,
                                                       const std::string& actor,
                                                       absl::Time now) override;

  absl::StatusOr<int64_t> Head() override;
  absl::StatusOr<std::vector<Invalidation>> Since(int64_t after, int limit) override;
  absl::Status Heartbeat(const std::string& instance, int64_t applied) override;
  absl::StatusOr<int64_t> Behind(int64_t seq, absl::Duration within) override;

 private:
  absl::StatusOr<std::map<std::string, std::string>> ReadTerminalCodes(
      absl::Span<const std::string> terminal_sns);

  common::MysqlPool& pool_;
  common::BatchedRead<std::string, std::string> terminal_codes_;
};

// "wechat=1900000001;alipay=2088..." <-> pairs (ids are [A-Za-z0-9_.-], never ';' or '=').
std::string EncodeChannelParams(const std::vector<std::pair<std::string, std::string>>& params);
std::vector<std::pair<std::string, std::string>> DecodeChannelParams(const std::string& text);

}  // namespace aggpay::binding
