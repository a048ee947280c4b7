#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/payment/domain/ledger.h"
#include "services/payment/domain/payment.h"
#include "services/payment/domain/refund.h"

namespace aggpay::payment {

struct PaymentRecord {
  std::string payment_id;
  std::string merchant_id;
  std::string store_id;
  std::string terminal_sn;
  std::string code_id;
  Flow flow = Flow::kStaticCode;
  Wallet wallet = Wallet::kWechat;
  std::string channel;
  std::string sub_mch_id;
  std::string out_trade_no;
  std::string client_request_id;
  std::string description;
  int64_t amount_minor = 0;
  std::string currency;
  int64_t fee_minor = 0;
  std::string plan_id;
  int64_t plan_version = 0;
  PaymentStatus status = PaymentStatus::kCreated;
  std::string channel_txn_id;
  std::string pay_url;
  int64_t refunded_minor = 0;
  int64_t fee_returned_minor = 0;
  int refund_count = 0;
  std::string payer_ip;
  std::string device_id;
  std::string merchant_zone;
  // Risk control's answer when the payment was created: ALLOW or REVIEW (flagged).
  std::string risk_decision = "ALLOW";
  int64_t risk_event_id = 0;
  // The business day the success is recorded on (the merchant's local date when aggpay recorded
  // it, or the first open day after it when that day is closed); empty until paid.
  std::string business_date;
  absl::Time created_at;
  absl::Time updated_at;
  std::optional<absl::Time> paid_at;  // the channel's time of payment
  // When aggpay recorded the success. Set it (to any time) with the change that makes the
  // payment SUCCESS: the stored value is the database's clock at that statement, which D0
  // settlement windows read.
  std::optional<absl::Time> recorded_at;
  absl::Time expires_at;
  std::optional<absl::Time> next_query_at;
  int query_attempts = 0;
};

struct RefundRecord {
  std::string refund_id;
  std::string payment_id;
  std::string merchant_id;
  std::string out_refund_no;
  int64_t amount_minor = 0;
  std::string currency;
  int64_t fee_return_minor = 0;
  RefundStatus status = RefundStatus::kProcessing;
  std::string channel_refund_id;
  std::string reason;
  absl::Time created_at;
  std::optional<absl::Time> succeeded_at;
  std::optional<absl::Time> next_query_at;
  // As for payments: the business day its success is settled on; empty until it succeeds.
  std::string business_date;
};

// A merchant notification to write with a change (the outbox).
struct NotificationDraft {
  std::string merchant_id;
  std::string event;  // payment.succeeded, refund.succeeded
  std::string ref_id;
  std::string body;
};

// What a change to a payment writes, decided on the locked row by pure code: the payment's new
// state, the ledger transaction it records (kind + postings; none for a no-change), and the
// notification to send.
struct PaymentChange {
  PaymentRecord payment;
  std::string ledger_kind;  // "payment": capture and fee
  std::vector<Posting> postings;
  std::optional<NotificationDraft> notification;
};

struct RefundChange {
  RefundRecord refund;
  PaymentRecord payment;  // refunded totals and count as they are after the change
  std::vector<Posting> postings;
  std::optional<NotificationDraft> notification;
};

struct PaymentFilter {
  std::string merchant_id;
  std::string business_date;
  std::optional<PaymentStatus> status;
  std::string before_payment_id;  // keyset: ids sort by creation time
  int limit = 50;
};

struct NotificationRecord {
  int64_t notification_id = 0;
  std::string merchant_id;
  std::string event;
  std::string ref_id;
  std::string body;
  std::string status;  // PENDING, DELIVERED, GAVE_UP
  int attempts = 0;
  int last_http_status = 0;
  std::string last_error;
  std::optional<absl::Time> next_attempt_at;
  std::optional<absl::Time> delivered_at;
  absl::Time created_at;
};

struct Webhook {
  std::string merchant_id;
  std::string notify_url;
  std::string secret_sealed;
};

// A webhook whose secret was last set at `set_at` (the expiry watch).
struct AgedWebhook {
  std::string merchant_id;
  absl::Time set_at;
};

// A stored ledger transaction with its entries (debits positive, credits negative).
struct LedgerEntryRecord {
  std::string account;
  std::string currency;
  int64_t amount_minor = 0;
  std::string posting_kind;
};
struct LedgerTransactionRecord {
  int64_t txn_id = 0;
  std::string kind;  // payment, refund
  std::string ref_id;
  absl::Time created_at;
  std::vector<LedgerEntryRecord> entries;
};

struct CurrencyTotalRecord {
  std::string currency;
  int64_t payments = 0;
  int64_t amount_minor = 0;
};
struct PaymentSummaryRecord {
  int64_t created = 0;
  std::vector<CurrencyTotalRecord> succeeded;  // by currency
};

struct LedgerReport {
  int64_t transactions = 0;
  int64_t accounts = 0;
  std::vector<std::string> problems;
};

// Business days close (the T+1 batch closes its date first). A transaction that records a
// success asks the gate for its day: the gate holds that day open until the transaction ends,
// so a close waits for it, and a day closed before answers the next open one.
class BusinessDayGate {
 public:
  virtual ~BusinessDayGate() = default;
  // The first open business date on or after `date` (YYYY-MM-DD).
  virtual absl::StatusOr<std::string> OpenDayOnOrAfter(const std::string& date) = 0;
};

// Storage of payments, refunds, ledger entries and notifications. Every change runs in one
// transaction on the locked payment row; a decision that returns an error writes nothing.
class PaymentRepository {
 public:
  virtual ~PaymentRepository() = default;

  // ALREADY_EXISTS (naming "out_trade_no" or "client_request_id") when the key is taken.
  virtual absl::Status Insert(const PaymentRecord& payment) = 0;
  virtual absl::StatusOr<std::optional<PaymentRecord>> Get(const std::string& payment_id) = 0;
  virtual absl::StatusOr<std::optional<PaymentRecord>> GetByOutTradeNo(
      const std::string& merchant_id, const std::string& out_trade_no) = 0;
  virtual absl::StatusOr<std::optional<PaymentRecord>> GetByClientRequest(
      const std::string& merchant_id, const std::string& client_request_id) = 0;
  // The payment of a dynamic code (there is at most one).
  virtual absl::StatusOr<std::optional<PaymentRecord>> GetByDynamicCode(
      const std::string& code_id) = 0;
  virtual absl::StatusOr<std::vector<PaymentRecord>> List(const PaymentFilter& filter) = 0;

  using PaymentDecision =
      std::function<absl::StatusOr<PaymentChange>(const PaymentRecord&, BusinessDayGate&)>;
  virtual absl::StatusOr<PaymentChange> Change(const std::string& payment_id,
                                               const PaymentDecision& decide, absl::Time now) = 0;

  // One statement, for a change that depends on the stored status alone and writes no posting
  // or notification (a channel accepting a new order): sets `to`, and the channel's id and pay
  // URL where given, on the payment if it is still `from`. False when it is not (another writer
  // moved it first): the caller decides again under Change.
  virtual absl::StatusOr<bool> MoveStatus(const std::string& payment_id, PaymentStatus from,
                                          PaymentStatus to, const std::string& channel_txn_id,
                                          const std::string& pay_url, absl::Time now) = 0;

  // Locks the payment, decides the refund (inserted PROCESSING with the payment's refunded
  // amount and count reserved), in one transaction. ALREADY_EXISTS naming "out_refund_no".
  using RefundDecision = std::function<absl::StatusOr<RefundChange>(const PaymentRecord&)>;
  virtual absl::StatusOr<RefundChange> BeginRefund(const std::string& payment_id,
                                                   const RefundDecision& decide,
                                                   absl::Time now) = 0;
  // Locks the payment and the refund and applies the channel's outcome.
  using RefundOutcomeDecision = std::function<absl::StatusOr<RefundChange>(
      const PaymentRecord&, const RefundRecord&, BusinessDayGate&)>;
  virtual absl::StatusOr<RefundChange> FinishRefund(const std::string& refund_id,
                                                    const RefundOutcomeDecision& decide,
                                                    absl::Time now) = 0;
  virtual absl::StatusOr<std::optional<RefundRecord>> GetRefund(const std::string& refund_id) = 0;
  virtual absl::StatusOr<std::optional<RefundRecord>> GetRefundByOutRefundNo(
      const std::string& merchant_id, const std::string& out_refund_no) = 0;

  // Payments whose re-query is due (PAYING/UNKNOWN/CREATED, or past their expiry), claimed for
  // `lease` by `owner` in one statement so that two instances never work on one payment.
  virtual absl::StatusOr<std::vector<PaymentRecord>> ClaimDue(const std::string& owner,
                                                              absl::Duration lease, int limit,
                                                              absl::Time now) = 0;
  virtual absl::Status Release(const std::string& payment_id, const std::string& owner,
                               std::optional<absl::Time> next, int attempts) = 0;
  virtual absl::StatusOr<std::vector<RefundRecord>> DueRefunds(int limit, absl::Time now) = 0;

  virtual absl::Status SetWebhook(const Webhook& webhook, absl::Time now) = 0;
  virtual absl::StatusOr<std::optional<Webhook>> GetWebhook(const std::string& merchant_id) = 0;
  // Webhooks whose secret was set before `set_before`, oldest first.
  virtual absl::StatusOr<std::vector<AgedWebhook>> ListAgedWebhooks(absl::Time set_before,
                                                                    int limit) = 0;

  // Notifications due now, claimed for `lease`, of merchants not in `busy` (whose endpoints
  // already have deliveries in flight).
  virtual absl::StatusOr<std::vector<NotificationRecord>> ClaimNotifications(
      int limit, const std::vector<std::string>& busy, absl::Duration lease, absl::Time now) = 0;
  virtual absl::Status RecordAttempt(int64_t id, int http_status, const std::string& error,
                                     bool delivered, std::optional<absl::Time> next,
                                     absl::Time now) = 0;
  virtual absl::StatusOr<std::vector<NotificationRecord>> ListNotifications(
      const std::string& merchant_id, const std::string& ref_id, int limit) = 0;
  virtual absl::StatusOr<NotificationRecord> Resend(int64_t id, absl::Time now) = 0;
  // Another service's notification: stored once per (event, ref_id); the stored one returned.
  virtual absl::StatusOr<NotificationRecord> Enqueue(const NotificationDraft& n,
                                                     absl::Time now) = 0;

  virtual absl::StatusOr<LedgerReport> CheckLedger() = 0;

  // A payment's refunds, oldest first.
  virtual absl::StatusOr<std::vector<RefundRecord>> ListRefunds(const std::string& payment_id) = 0;
  // The ledger transactions recording a payment and those refunds, oldest first.
  virtual absl::StatusOr<std::vector<LedgerTransactionRecord>> LedgerOf(
      const std::string& payment_id, const std::vector<std::string>& refund_ids) = 0;
  // Payments whose ids fall in [from_id, to_id) (ids begin with their creation time).
  virtual absl::StatusOr<PaymentSummaryRecord> Summarize(const std::string& from_id,
                                                         const std::string& to_id) = 0;

  // Closes `date` (YYYY-MM-DD) once every transaction recording a success on it has ended;
  // closing a closed day answers when it was closed.
  virtual absl::StatusOr<absl::Time> CloseBusinessDay(const std::string& date, absl::Time now) = 0;
};

}  // namespace aggpay::payment
