#pragma once

#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "services/common/clock/clock.h"
#include "services/common/metrics/metrics.h"
#include "services/common/mysql/mysql_pool.h"
#include "services/payment/channel/channel.h"
#include "services/payment/domain/bill.h"

namespace aggpay::payment {

// How often the sandbox misbehaves, so that tests and the local stack can exercise every path.
// Rates are in parts per million (0 never, 1000000 always).
struct SandboxChaos {
  int64_t slow_ppm = 0;  // answers after `slow_delay`
  absl::Duration slow_delay = absl::Seconds(2);
  int64_t unknown_ppm = 0;        // precreate and refund answer "unknown" (the order exists)
  int64_t failure_ppm = 0;        // precreate and refund refused outright
  int64_t lost_callback_ppm = 0;  // the paid callback is never sent
  uint64_t seed = 0;              // 0: random
};

struct SandboxOptions {
  SandboxChaos chaos;
  // Signs callbacks; the payment service verifies with the same secret.
  std::string callback_secret;
  std::string mch_id = "1900000001";  // the provider's merchant number at the channel
  std::string app_id = "wxsandbox000000001";
  int64_t cost_rate_ppm = 2000;  // the channel's cost shown in the statement (0.20%)
  std::string pay_base_url = "https://sandbox.aggpay.local/pay/";
};

// The built-in channel: behaves like WeChat Pay on the wire's meaning (precreate, barcode pay,
// query, close, refund, signed callbacks, daily statement), with its books in MySQL tables of
// its own (sandbox_orders, sandbox_refunds). The payer's confirmation comes from Pay().
class SandboxChannel final : public PaymentChannel {
 public:
  // `deliver` sends a signed callback to the payment service (over gRPC in aggpayd); it is
  // called after the sandbox's own commit, never inside it.
  using CallbackSender = std::function<void(const SignedCallback&)>;
  SandboxChannel(common::MysqlPool& pool, const common::Clock& clock, common::Metrics& metrics,
                 SandboxOptions options, CallbackSender deliver);

  absl::string_view name() const override { return "sandbox"; }
  ChannelAnswer Precreate(const ChannelOrder& order) override;
  ChannelAnswer BarcodePay(const ChannelOrder& order) override;
  ChannelAnswer Query(const std::string& payment_id) override;
  ChannelAnswer Close(const std::string& payment_id) override;
  RefundAnswer Refund(const ChannelRefundRequest& refund) override;
  RefundAnswer QueryRefund(const std::string& refund_id) override;
  absl::StatusOr<CallbackNotice> VerifyCallback(const SignedCallback& callback) override;

  // The payer confirms (or declines) in the sandbox wallet; then the callback goes out (unless
  // chaos loses it). NOT_FOUND for no such order, FAILED_PRECONDITION when it is not open.
  absl::Status Pay(const std::string& payment_id, bool decline);
  // The statement for `date` (YYYY-MM-DD, Asia/Shanghai) in downloadbill CSV.
  absl::StatusOr<std::string> Bill(const std::string& date);

  // The callback the sandbox would send for a paid order (tests forge variants of it).
  absl::StatusOr<SignedCallback> CallbackFor(const std::string& payment_id);

 private:
  bool Roll(int64_t ppm);
  void MaybeSlow();
  ChannelAnswer Open(const ChannelOrder& order, bool paid_at_once);
  SignedCallback Sign(const std::string& body);

  common::MysqlPool& pool_;
  const common::Clock& clock_;
  common::Metrics& metrics_;
  SandboxOptions options_;
  CallbackSender deliver_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace aggpay::payment
