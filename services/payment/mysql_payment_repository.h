#pragma once

#include "services/common/mysql/group_commit.h"
#include "services/common/mysql/mysql_pool.h"
#include "services/payment/payment_repository.h"

namespace aggpay::payment {

class MysqlPaymentRepository final : public PaymentRepository {
 public:
  explicit MysqlPaymentRepository(common::MysqlPool& pool);

  // Concurrent inserts share a transaction (common::GroupCommit): one START, one multi-row INSERT
  // and one COMMIT for up to 32 new payments, each with its call's audit outbox row.
  absl::Status Insert(const PaymentRecord& payment) override;
  absl::StatusOr<std::optional<PaymentRecord>> Get(const std::string& payment_id) override;
  absl::StatusOr<std::optional<PaymentRecord>> GetByOutTradeNo(
      const std::string& merchant_id, const std::string& out_trade_no) override;
  absl::StatusOr<std::optional<PaymentRecord>> GetByClientRequest(
      const std::string& merchant_id, const std::string& client_request_id) override;
  absl::StatusOr<std::optional<PaymentRecord>> GetByDynamicCode(
      const std::string& code_id) override;
  absl::StatusOr<std::vector<PaymentRecord>> List(const PaymentFilter& filter) override;
  absl::StatusOr<PaymentChange> Change(const std::string& payment_id, const PaymentDecision& decide,
                                       absl::Time now) override;
  absl::StatusOr<bool> MoveStatus(const std::string& payment_id, PaymentStatus from,
                                  PaymentStatus to, const std::string& channel_txn_id,
                                  const std::string& pay_url, absl::Time now) override;
  absl::StatusOr<RefundChange> BeginRefund(const std::string& payment_id,
                                           const RefundDecision& decide, absl::Time now) override;
  absl::StatusOr<RefundChange> FinishRefund(const std::string& refund_id,
                                            const RefundOutcomeDecision& decide,
                                            absl::Time now) override;
  absl::StatusOr<std::optional<RefundRecord>> GetRefund(const std::string& refund_id) override;
  absl::StatusOr<std::optional<RefundRecord>> GetRefundByOutRefundNo(
      const std::string& merchant_id, const std::string& out_refund_no) override;
  absl::StatusOr<std::vector<PaymentRecord>> ClaimDue(const std::string& owner,
                                                      absl::Duration lease, int limit,
                                                      absl::Time now) override;
  absl::Status Release(const std::string& payment_id, const std::string& owner,
                       std::optional<absl::Time> next, int attempts) override;
  absl::StatusOr<std::vector<RefundRecord>> DueRefunds(int limit, absl::Time now) override;
  absl::Status SetWebhook(const Webhook& webhook, absl::Time now) override;
  absl::StatusOr<std::optional<Webhook>> GetWebhook(const std::string& merchant_id) override;
  absl::StatusOr<std::vector<AgedWebhook>> ListAgedWebhooks(absl::Time set_before,
                                                            int limit) override;
  absl::StatusOr<std::vector<NotificationRecord>> ClaimNotifications(
      int limit, const std::vector<std::string>& busy, absl::Duration lease,
      absl::Time now) override;
  absl::Status RecordAttempt(int64_t id, int http_status, const std::string& error, bool delivered,
                             std::optional<absl::Time> next, absl::Time now) override;
  absl::StatusOr<std::vector<NotificationRecord>> ListNotifications(const std::string& merchant_id,
                                                                    const std::string& ref_id,
                                                                    int limit) override;
  absl::StatusOr<NotificationRecord> Resend(int64_t id, absl::Time now) override;
  absl::StatusOr<NotificationRecord> Enqueue(const NotificationDraft& n, absl::Time now) override;
  absl::StatusOr<LedgerReport> CheckLedger() override;
  absl::StatusOr<std::vector<RefundRecord>> ListRefunds(const std::string& payment_id) override;
  absl::StatusOr<std::vector<LedgerTransactionRecord>> LedgerOf(
      const std::string& payment_id, const std::vector<std::string>& refund_ids) override;
  absl::StatusOr<PaymentSummaryRecord> Summarize(const std::string& from_id,
                                                 const std::string& to_id) override;
  absl::StatusOr<absl::Time> CloseBusinessDay(const std::string& date, absl::Time now) override;

  // The inserts' group commit, for tests to watch.
  const common::GroupCommit<PaymentRecord>& inserts() const { return inserts_; }

 private:
  common::MysqlPool& pool_;
  common::GroupCommit<PaymentRecord> inserts_;
};

}  // namespace aggpay::payment
