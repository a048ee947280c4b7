#pragma once

#include "aggpay/v1/payment.grpc.pb.h"
#include "services/payment/payment_operations.h"

namespace aggpay::payment {

// gRPC handlers of aggpay.v1.PaymentService: proto <-> domain mapping and status mapping only.
class PaymentServiceImpl final : public aggpay::v1::PaymentService::Service {
 public:
  explicit PaymentServiceImpl(PaymentOperations& ops) : ops_(ops) {}

  grpc::Status CreateCodePayment(grpc::ServerContext* ctx,
                                 const aggpay::v1::CreateCodePaymentRequest* req,
                                 aggpay::v1::Payment* resp) override;
  grpc::Status GetPaymentStatus(grpc::ServerContext* ctx,
                                const aggpay::v1::GetPaymentStatusRequest* req,
                                aggpay::v1::PaymentStatus* resp) override;
  grpc::Status CreateMerchantPayment(grpc::ServerContext* ctx,
                                     const aggpay::v1::CreateMerchantPaymentRequest* req,
                                     aggpay::v1::Payment* resp) override;
  grpc::Status CreateTerminalPayment(grpc::ServerContext* ctx,
                                     const aggpay::v1::CreateTerminalPaymentRequest* req,
                                     aggpay::v1::Payment* resp) override;
  grpc::Status GetPayment(grpc::ServerContext* ctx, const aggpay::v1::GetPaymentRequest* req,
                          aggpay::v1::Payment* resp) override;
  grpc::Status ListPayments(grpc::ServerContext* ctx, const aggpay::v1::ListPaymentsRequest* req,
                            aggpay::v1::ListPaymentsResponse* resp) override;
  grpc::Status RefundPayment(grpc::ServerContext* ctx, const aggpay::v1::RefundPaymentRequest* req,
                             aggpay::v1::Refund* resp) override;
  grpc::Status ChannelCallback(grpc::ServerContext* ctx,
                               const aggpay::v1::ChannelCallbackRequest* req,
                               aggpay::v1::ChannelCallbackResponse* resp) override;
  grpc::Status SandboxPay(grpc::ServerContext* ctx, const aggpay::v1::SandboxPayRequest* req,
                          aggpay::v1::Payment* resp) override;
  grpc::Status SandboxBill(grpc::ServerContext* ctx, const aggpay::v1::SandboxBillRequest* req,
                           aggpay::v1::SandboxBillResponse* resp) override;
  grpc::Status ListAgedWebhookSecrets(grpc::ServerContext* ctx,
                                      const aggpay::v1::ListAgedWebhookSecretsRequest* req,
                                      aggpay::v1::ListAgedWebhookSecretsResponse* resp) override;
  grpc::Status ConfigureWebhook(grpc::ServerContext* ctx,
                                const aggpay::v1::ConfigureWebhookRequest* req,
                                aggpay::v1::ConfigureWebhookResponse* resp) override;
  grpc::Status ListNotifications(grpc::ServerContext* ctx,
                                 const aggpay::v1::ListNotificationsRequest* req,
                                 aggpay::v1::ListNotificationsResponse* resp) override;
  grpc::Status ResendNotification(grpc::ServerContext* ctx,
                                  const aggpay::v1::ResendNotificationRequest* req,
                                  aggpay::v1::Notification* resp) override;
  grpc::Status EnqueueNotification(grpc::ServerContext* ctx,
                                   const aggpay::v1::EnqueueNotificationRequest* req,
                                   aggpay::v1::Notification* resp) override;
  grpc::Status CheckLedger(grpc::ServerContext* ctx, const aggpay::v1::CheckLedgerRequest* req,
                           aggpay::v1::CheckLedgerResponse* resp) override;
  grpc::Status GetPaymentLedger(grpc::ServerContext* ctx, const aggpay::v1::GetPaymentRequest* req,
                                aggpay::v1::PaymentLedger* resp) override;
  grpc::Status SummarizePayments(grpc::ServerContext* ctx,
                                 const aggpay::v1::SummarizePaymentsRequest* req,
                                 aggpay::v1::PaymentSummary* resp) override;
  grpc::Status CloseBusinessDay(grpc::ServerContext* ctx,
                                const aggpay::v1::CloseBusinessDayRequest* req,
                                aggpay::v1::CloseBusinessDayResponse* resp) override;

 private:
  PaymentOperations& ops_;
};

}  // namespace aggpay::payment
