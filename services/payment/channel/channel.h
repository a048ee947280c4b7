#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/common/money/money.h"
#include "services/payment/domain/payment.h"

namespace aggpay::payment {

// One order as a channel sees it. The platform's payment id is the channel's out_trade_no.
struct ChannelOrder {
  std::string payment_id;
  Wallet wallet = Wallet::kWechat;
  Flow flow = Flow::kStaticCode;
  std::string sub_mch_id;  // the merchant's sub-merchant number on this wallet
  std::string device;      // terminal sn, when there is one
  common::Money amount;
  std::string description;
  absl::Time expires_at;
  std::string auth_code;  // the payer's wallet barcode (BARCODE flow)
};

// What a channel answered about an order. Transport failures and timeouts are answers too
// (kUnknown), never errors: whether the money moved is then unknown and a re-query decides.
enum class ChannelOutcome : uint8_t {
  kAccepted,  // order open, not paid (WeChat NOTPAY / USERPAYING)
  kPaid,      // SUCCESS
  kFailed,    // PAYERROR, or refused outright
  kClosed,    // CLOSED / REVOKED
  kUnknown,   // no usable answer
  kNotFound   // the channel has no such order (ORDERNOTEXIST)
};

struct ChannelAnswer {
  ChannelOutcome outcome = ChannelOutcome::kUnknown;
  std::string channel_txn_id;
  std::string pay_url;  // what the wallet needs (code_url / prepay id); precreate only
  absl::Time paid_at;
  std::string message;  // the channel's reason, for logs and the payer
  // What the channel says was paid (0 when it did not say): checked against the order.
  int64_t amount_minor = 0;
  std::string currency;
};

struct ChannelRefundRequest {
  std::string refund_id;  // the channel's out_refund_no
  std::string payment_id;
  common::Money amount;
  common::Money payment_amount;
};

enum class RefundOutcome : uint8_t { kSucceeded, kProcessing, kFailed, kUnknown, kNotFound };

struct RefundAnswer {
  RefundOutcome outcome = RefundOutcome::kUnknown;
  std::string channel_refund_id;
  std::string message;
};

// A channel's asynchronous notice, once its signature is checked.
struct CallbackNotice {
  std::string payment_id;
  ChannelOutcome outcome = ChannelOutcome::kUnknown;  // kPaid or kFailed
  std::string channel_txn_id;
  int64_t amount_minor = 0;
  std::string currency;
  absl::Time paid_at;
};

struct SignedCallback {
  std::string body;
  std::string timestamp;
  std::string nonce;
  std::string signature;
};

// One wallet channel (WeChat Pay, Alipay, UnionPay, the sandbox). The payment service uses
// only this interface; docs/payments.md maps WeChat Pay v3 onto it. Calls may block on the
// network, so callers never hold a database connection across them.
class PaymentChannel {
 public:
  virtual ~PaymentChannel() = default;
  virtual absl::string_view name() const = 0;
  virtual ChannelAnswer Precreate(const ChannelOrder& order) = 0;
  virtual ChannelAnswer BarcodePay(const ChannelOrder& order) = 0;
  virtual ChannelAnswer Query(const std::string& payment_id) = 0;
  virtual ChannelAnswer Close(const std::string& payment_id) = 0;
  virtual RefundAnswer Refund(const ChannelRefundRequest& refund) = 0;
  virtual RefundAnswer QueryRefund(const std::string& refund_id) = 0;
  // UNAUTHENTICATED for a bad or stale signature, INVALID_ARGUMENT for an unreadable body.
  virtual absl::StatusOr<CallbackNotice> VerifyCallback(const SignedCallback& callback) = 0;
};

}  // namespace aggpay::payment
