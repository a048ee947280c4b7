#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/common/money/money.h"

namespace aggpay::payment {

// Where a payment stands. UNKNOWN is a real state (Kill Bill's lesson): the channel did not say
// whether the money moved, and only a re-query may decide.
//   CREATED  stored, not yet accepted by the channel
//   PAYING   the channel accepted the order; the payer has not paid yet
//   SUCCESS  paid (final; refunds hang off it)
//   FAILED   the channel refused or the payer's payment failed (final)
//   CLOSED   unpaid and closed: timed out or closed on request (final)
//   UNKNOWN  the channel's answer was lost or undecided; re-queried until it is one of the above
enum class PaymentStatus : uint8_t { kCreated, kPaying, kSuccess, kFailed, kClosed, kUnknown };
inline constexpr std::array<PaymentStatus, 6> kAllPaymentStatuses = {
    PaymentStatus::kCreated, PaymentStatus::kPaying, PaymentStatus::kSuccess,
    PaymentStatus::kFailed,  PaymentStatus::kClosed, PaymentStatus::kUnknown};
absl::string_view PaymentStatusName(PaymentStatus s);  // "CREATED", "PAYING", ...
absl::StatusOr<PaymentStatus> ParsePaymentStatus(absl::string_view name,
                                                 absl::string_view field = "status");
bool IsFinal(PaymentStatus s);  // SUCCESS, FAILED, CLOSED

// What happened to a payment, as the channel or a job reports it.
enum class PaymentEvent : uint8_t {
  kAccepted,  // the channel took the order (precreate answered)
  kPaid,      // the channel says paid (callback or query)
  kFailed,    // the channel says failed
  kClosed,    // closed: timed out unpaid, or closed at the channel
  kUndecided  // the channel's answer was lost or "unknown"
};
inline constexpr std::array<PaymentEvent, 5> kAllPaymentEvents = {
    PaymentEvent::kAccepted, PaymentEvent::kPaid, PaymentEvent::kFailed, PaymentEvent::kClosed,
    PaymentEvent::kUndecided};
absl::string_view PaymentEventName(PaymentEvent e);

// The state machine, every (status, event) pair decided explicitly:
//   CREATED  + Accepted -> PAYING; + Paid -> SUCCESS; + Failed -> FAILED; + Closed -> CLOSED;
//              + Undecided -> UNKNOWN
//   PAYING   + Accepted -> PAYING (no change); + Paid -> SUCCESS; + Failed -> FAILED;
//              + Closed -> CLOSED; + Undecided -> UNKNOWN
//   UNKNOWN  + Accepted -> PAYING; + Paid -> SUCCESS; + Failed -> FAILED; + Closed -> CLOSED;
//              + Undecided -> UNKNOWN (no change)
//   SUCCESS  + Paid -> SUCCESS (a repeated callback: no change); anything else FAILED_PRECONDITION
//   FAILED   + Failed -> FAILED; anything else FAILED_PRECONDITION
//   CLOSED   + Closed -> CLOSED; + Paid -> FAILED_PRECONDITION (a payment paid after it was
//              closed is a channel mismatch for reconciliation, never a silent capture);
//              anything else FAILED_PRECONDITION
// Every refusal is FAILED_PRECONDITION naming "status".
// Returns the new status; `changed` tells whether it differs (no posting for a no-change).
struct TransitionResult {
  PaymentStatus to;
  bool changed;
};
absl::StatusOr<TransitionResult> Transition(PaymentStatus from, PaymentEvent event);

// The wallet the payer pays with.
enum class Wallet : uint8_t { kWechat, kAlipay, kUnionpay };
inline constexpr std::array<Wallet, 3> kAllWallets = {Wallet::kWechat, Wallet::kAlipay,
                                                      Wallet::kUnionpay};
absl::string_view WalletName(Wallet w);  // "wechat", "alipay", "unionpay" (fee channel names)
// Exactly one of the names above, else INVALID_ARGUMENT naming `field`.
absl::StatusOr<Wallet> ParseWallet(absl::string_view name, absl::string_view field = "wallet");
// The key of the merchant's sub-merchant id for this wallet in a code's channel parameters
// ("wechat", "alipay", "unionpay": as onboarding stores them).
absl::string_view SubMerchantKey(Wallet w);

// How a payment was started.
enum class Flow : uint8_t { kStaticCode, kDynamicCode, kBarcode, kNative };
absl::string_view FlowName(Flow f);  // "STATIC_CODE", "DYNAMIC_CODE", "BARCODE", "NATIVE"
absl::StatusOr<Flow> ParseFlow(absl::string_view name, absl::string_view field = "flow");

// A payment amount: positive, in the currency's minor units, at most `max_minor`.
// INVALID_ARGUMENT naming `field` otherwise ("must be positive", "at most 50000.00 CNY").
absl::Status ValidatePaymentAmount(const common::Money& amount, int64_t max_minor,
                                   absl::string_view field = "amount");

// A merchant's order number (out_trade_no, out_refund_no, client request id): 1 to 32
// characters, each an ASCII letter or digit or one of _ - | * @ . (WeChat's rule; the "_-|" of
// [A-Za-z0-9_-|*@.] is three characters, not a range). INVALID_ARGUMENT naming `field` otherwise.
absl::Status ValidateOrderNo(absl::string_view no, absl::string_view field);

// The business date of a payment: the local date, in the merchant's zone, of its success time,
// as "YYYY-MM-DD".
std::string BusinessDate(absl::Time success_at, const absl::TimeZone& zone);
// "YYYY-MM-DD" -> the same string, else INVALID_ARGUMENT naming `field`.
absl::StatusOr<std::string> ParseBusinessDate(absl::string_view date,
                                              absl::string_view field = "business_date");

// Idempotency (Jeepay keys orders on merchant + out_trade_no; Fineract's lesson for the rest):
// what a repeated create must match. A retry with the same key and the same fingerprint returns
// the first result; the same key with a different one is ALREADY_EXISTS naming the first field
// that differs ("amount", "currency", "wallet").
struct OrderFingerprint {
  int64_t amount_minor = 0;
  std::string currency;
  std::string wallet;
};
absl::Status CheckSameOrder(const OrderFingerprint& first, const OrderFingerprint& retry,
                            absl::string_view key_field);

// What a terminal signs for CreateTerminalPayment (its SHA-256 is the body hash of the
// terminal canonical string): "<kind>\n<out_trade_no>\n<amount_minor>\n<currency>\n<wallet>\n
// <auth_code>\n" (one line each, auth_code empty for PRECREATE).
inline constexpr absl::string_view kTerminalPaymentMethod = "CreateTerminalPayment";
std::string TerminalPaymentBody(absl::string_view kind, absl::string_view out_trade_no,
                                int64_t amount_minor, absl::string_view currency,
                                absl::string_view wallet, absl::string_view auth_code);

}  // namespace aggpay::payment
