#pragma once

// The payer's and the sandbox wallet's calls, as the fault suites drive them: one call each,
// with a short deadline, answering the status and the payment.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>
#include <utility>

#include "aggpay/v1/payment.grpc.pb.h"
#include "tests/support/aggpayd_process.h"

namespace aggpay::testing {

struct PaymentAnswer {
  grpc::Status status;
  aggpay::v1::Payment payment;
  absl::Duration took;
};

inline std::unique_ptr<aggpay::v1::PaymentService::Stub> PaymentStub(
    const AggpaydProcess& instance) {
  return aggpay::v1::PaymentService::NewStub(instance.Channel());
}

inline void FaultDeadline(grpc::ClientContext& ctx, absl::Duration deadline) {
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(absl::ToInt64Milliseconds(deadline)));
}

// The smallest amount outside risk's night_small rule (payments of at most 1,000 fen, by
// default): a fault suite makes more than the rule's 20 small payments in ten minutes, and
// between midnight and 6:00 in the merchant's zone (Asia/Shanghai: 16:00-22:00 UTC) the rule
// would freeze the merchant, or block by its CLOSED fail mode while Redis is down. The suites
// test the faults, whatever the hour.
inline constexpr int64_t kAboveNightSmall = 1001;

// A payer's static-code payment of `amount_minor` fen, idempotent under `request_id`.
inline PaymentAnswer PayCode(aggpay::v1::PaymentService::Stub& stub, const std::string& code,
                             int64_t amount_minor, const std::string& request_id,
                             absl::Duration deadline = absl::Seconds(4)) {
  aggpay::v1::CreateCodePaymentRequest req;
  req.set_code(code);
  req.mutable_amount()->set_currency("CNY");
  req.mutable_amount()->set_amount_minor(amount_minor);
  req.set_wallet("wechat");
  req.set_client_request_id(request_id);
  PaymentAnswer out;
  grpc::ClientContext ctx;
  FaultDeadline(ctx, deadline);
  const absl::Time start = absl::Now();
  out.status = stub.CreateCodePayment(&ctx, req, &out.payment);
  out.took = absl::Now() - start;
  return out;
}

// The sandbox wallet confirms `payment_id` (an operator's call).
inline PaymentAnswer SandboxConfirm(aggpay::v1::PaymentService::Stub& stub,
                                    const std::string& token, const std::string& payment_id,
                                    absl::Duration deadline = absl::Seconds(4)) {
  aggpay::v1::SandboxPayRequest req;
  req.set_payment_id(payment_id);
  PaymentAnswer out;
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  FaultDeadline(ctx, deadline);
  const absl::Time start = absl::Now();
  out.status = stub.SandboxPay(&ctx, req, &out.payment);
  out.took = absl::Now() - start;
  return out;
}

struct RefundAnswer {
  grpc::Status status;
  aggpay::v1::Refund refund;
};

// A staff refund of `amount_minor` fen, idempotent under `out_refund_no`.
inline RefundAnswer RefundOnce(aggpay::v1::PaymentService::Stub& stub, const std::string& token,
                               const std::string& payment_id, int64_t amount_minor,
                               const std::string& out_refund_no,
                               absl::Duration deadline = absl::Seconds(4)) {
  aggpay::v1::RefundPaymentRequest req;
  req.set_payment_id(payment_id);
  req.mutable_amount()->set_currency("CNY");
  req.mutable_amount()->set_amount_minor(amount_minor);
  req.set_out_refund_no(out_refund_no);
  RefundAnswer out;
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + token);
  FaultDeadline(ctx, deadline);
  out.status = stub.RefundPayment(&ctx, req, &out.refund);
  return out;
}

}  // namespace aggpay::testing
