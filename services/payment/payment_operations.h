#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock/clock.h"
#include "services/common/crypto/crypto.h"
#include "services/common/metrics/metrics.h"
#include "services/payment/channel/channel.h"
#include "services/payment/channel/sandbox_channel.h"
#include "services/payment/payment_directory.h"
#include "services/payment/payment_repository.h"

namespace aggpay::payment {

struct PaymentOptions {
  // Unpaid orders close after this.
  absl::Duration close_after = absl::Minutes(15);
  // The largest single payment, in minor units of any currency.
  int64_t max_amount_minor = 5000000;  // 50,000.00 CNY
  // The first re-query of a payment the channel has not decided, then doubling up to the max.
  absl::Duration requery_first = absl::Seconds(5);
  absl::Duration requery_max = absl::Minutes(1);
  // How often the background jobs look for work.
  absl::Duration job_interval = absl::Milliseconds(500);
  // Notification delivery: workers, and the HTTP timeout of one attempt.
  int notification_workers = 4;
  absl::Duration notification_timeout = absl::Seconds(5);
  // WeChat's retry schedule is followed as is at 100; tests and demos shrink it (1: a hundredth).
  int64_t notification_schedule_percent = 100;
};

// Input of the public static-code flow.
struct CodePaymentInput {
  std::string code;
  int64_t amount_minor = 0;
  std::string currency;
  std::string wallet;
  std::string payer_ip;
  std::string device_id;
  std::string client_request_id;
};

struct MerchantPaymentInput {
  std::string merchant_id;
  std::string out_trade_no;
  int64_t amount_minor = 0;
  std::string currency;
  std::string wallet;
  std::string store_id;
  std::string description;
};

struct TerminalPaymentInput {
  std::string terminal_sn;
  std::string kind;  // PRECREATE or BARCODE
  std::string out_trade_no;
  int64_t amount_minor = 0;
  std::string currency;
  std::string wallet;
  std::string auth_code;
  std::string timestamp;
  std::string nonce;
  std::string signature;
};

struct RefundInput {
  std::string payment_id;
  int64_t amount_minor = 0;
  std::string currency;
  std::string out_refund_no;
  std::string reason;
};

// The payment service's use cases. Remote parties (the code, merchant and fee owners; the
// channel; merchants' endpoints) are always called with no database connection held: reads
// first, then one short transaction on the locked payment row, then calls after commit.
class PaymentOperations {
 public:
  PaymentOperations(PaymentRepository& repo, PaymentDirectory& directory, RiskGate& risk,
                    PaymentChannel& channel, SandboxChannel* sandbox, common::SecretBox box,
                    common::Metrics& metrics, const common::Clock& clock, PaymentOptions options);
  ~PaymentOperations();

  absl::StatusOr<PaymentRecord> CreateCodePayment(const CodePaymentInput& in);
  absl::StatusOr<PaymentRecord> CreateMerchantPayment(const MerchantPaymentInput& in);
  // A terminal's signed order: PRECREATE (a dynamic code to show) or BARCODE (charged at once).
  absl::StatusOr<PaymentRecord> CreateTerminalPayment(const TerminalPaymentInput& in);
  // `merchant_scope`: the calling merchant (empty for staff): another merchant's is NOT_FOUND.
  absl::StatusOr<PaymentRecord> Get(const std::string& payment_id,
                                    const std::string& merchant_scope);
  // The payer's own payment, by its id and the client_request_id it was created with. NOT_FOUND
  // for a wrong key, a payment created without a key and no such payment alike.
  absl::StatusOr<PaymentRecord> GetForPayer(const std::string& payment_id,
                                            const std::string& client_request_id);
  absl::StatusOr<std::vector<PaymentRecord>> List(PaymentFilter filter);
  absl::StatusOr<RefundRecord> Refund(const RefundInput& in, const std::string& merchant_scope);

  // A channel's signed notice. UNAUTHENTICATED for a bad signature; idempotent.
  absl::StatusOr<PaymentRecord> HandleCallback(const std::string& channel,
                                               const SignedCallback& callback);
  absl::StatusOr<PaymentRecord> SandboxPay(const std::string& payment_id, bool decline);
  absl::StatusOr<std::string> SandboxBill(const std::string& date);

  // A new notify URL and signing secret (returned once).
  // Webhooks whose secret was set before `set_before`, oldest first (the expiry watch).
  absl::StatusOr<std::vector<AgedWebhook>> ListAgedWebhooks(absl::Time set_before, int limit) {
    return repo_.ListAgedWebhooks(set_before, limit);
  }
  absl::StatusOr<std::pair<Webhook, std::string>> ConfigureWebhook(const std::string& merchant_id,
                                                                   const std::string& notify_url);
  absl::StatusOr<std::vector<NotificationRecord>> ListNotifications(const std::string& merchant_id,
                                                                    const std::string& ref_id,
                                                                    int limit);
  absl::StatusOr<NotificationRecord> ResendNotification(int64_t id);
  // Another service's notification (risk.alert), delivered like the payment service's own.
  absl::StatusOr<NotificationRecord> EnqueueNotification(const NotificationDraft& draft);
  absl::StatusOr<LedgerReport> CheckLedger();
  // A payment (NOT_FOUND when there is none), its refunds and its ledger transactions.
  struct PaymentLedger {
    PaymentRecord payment;
    std::vector<RefundRecord> refunds;
    std::vector<LedgerTransactionRecord> transactions;
  };
  absl::StatusOr<PaymentLedger> Ledger(const std::string& payment_id);
  // Payments created in [from, to): INVALID_ARGUMENT naming "created_to" for an empty range or
  // one longer than 31 days.
  absl::StatusOr<PaymentSummaryRecord> Summarize(absl::Time from, absl::Time to);
  // INVALID_ARGUMENT naming "date" for a malformed date, or one not over yet even at UTC+14.
  // Which zone's midnight closes a day is the caller's rule (settlement: its calendar's zone);
  // a merchant further west whose day is still running records later successes on the next.
  absl::StatusOr<absl::Time> CloseBusinessDay(const std::string& date);

  // The background work: re-query undecided payments and refunds, close expired orders, and
  // deliver notifications. Safe with several instances (lease rows).
  void Start();
  void Stop();
  // One pass of the re-query job (tests call it directly); how many payments it looked at.
  int RunDueQueries();
  int RunDueRefunds();

 private:
  // What every creation checks before it writes: the merchant collects (ACTIVE, in this
  // currency, on this wallet), risk lets it through, and the fee it is quoted.
  struct Collection {
    std::string merchant_id;
    MerchantFacts merchant;
    std::string sub_mch_id;
    FeeQuote quote;
    RiskVerdict risk;
  };
  // `sub_mch_ids`: the code's, or nullptr to ask the merchant service. `status_field` names the
  // field a merchant that is not ACTIVE is refused on.
  absl::StatusOr<Collection> CheckCollection(const std::string& merchant_id, Wallet wallet,
                                             const common::Money& amount,
                                             absl::string_view status_field,
                                             const std::map<std::string, std::string>* sub_mch_ids,
                                             const RiskInput& risk);
  // A payment of `amount` on `wallet` with what CheckCollection found, CREATED now.
  PaymentRecord NewPayment(Wallet wallet, const common::Money& amount, const Collection& ok) const;
  absl::Time Now() const;
  std::string NewId(absl::string_view prefix) const;
  absl::StatusOr<PaymentRecord> Open(PaymentRecord record, const ChannelOrder& order);
  // Applies what the channel said about a payment, in one transaction.
  absl::StatusOr<PaymentRecord> Apply(const std::string& payment_id, const ChannelAnswer& answer);
  absl::StatusOr<RefundRecord> FinishRefund(const std::string& refund_id,
                                            const RefundAnswer& answer);
  RefundAnswer ConfirmRefund(const std::string& refund_id, const RefundAnswer& submitted);
  absl::Duration Backoff(int attempts) const;
  void JobLoop();
  void NotificationLoop();
  void Deliver(const NotificationRecord& n);

  PaymentRepository& repo_;
  PaymentDirectory& directory_;
  RiskGate& risk_;
  PaymentChannel& channel_;
  SandboxChannel* sandbox_;
  common::SecretBox box_;
  common::Metrics& metrics_;
  const common::Clock& clock_;
  PaymentOptions options_;
  std::string instance_id_;

  std::atomic<bool> stop_{false};
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  std::vector<std::thread> threads_;
  std::mutex busy_mu_;
  std::map<std::string, int> in_flight_;  // merchant -> deliveries in flight
};

}  // namespace aggpay::payment
