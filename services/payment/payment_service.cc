#include "services/payment/payment_service.h"

#include "absl/strings/str_cat.h"
#include "services/common/grpc/auth_interceptor.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/status/field_errors.h"
#include "services/common/text/utf8.h"

namespace aggpay::payment {
namespace {

namespace v1 = aggpay::v1;
using common::ToGrpcStatus;

v1::Money MoneyProto(int64_t minor, const std::string& currency) {
  v1::Money m;
  m.set_currency(currency);
  m.set_amount_minor(minor);
  return m;
}

void ToProto(const PaymentRecord& p, v1::Payment* out) {
  out->set_payment_id(p.payment_id);
  out->set_merchant_id(p.merchant_id);
  out->set_store_id(p.store_id);
  out->set_terminal_sn(p.terminal_sn);
  out->set_code_id(p.code_id);
  out->set_flow(std::string(FlowName(p.flow)));
  out->set_wallet(std::string(WalletName(p.wallet)));
  out->set_channel(p.channel);
  out->set_out_trade_no(p.out_trade_no);
  out->set_client_request_id(p.client_request_id);
  *out->mutable_amount() = MoneyProto(p.amount_minor, p.currency);
  *out->mutable_fee() = MoneyProto(p.fee_minor, p.currency);
  out->set_plan_id(p.plan_id);
  out->set_plan_version(p.plan_version);
  out->set_status(std::string(PaymentStatusName(p.status)));
  *out->mutable_refunded() = MoneyProto(p.refunded_minor, p.currency);
  *out->mutable_fee_returned() = MoneyProto(p.fee_returned_minor, p.currency);
  out->set_refund_count(p.refund_count);
  out->set_business_date(p.business_date);
  out->set_pay_url(p.pay_url);
  out->set_channel_txn_id(p.channel_txn_id);
  *out->mutable_created_at() = common::ToProtoTime(p.created_at);
  if (p.paid_at) *out->mutable_paid_at() = common::ToProtoTime(*p.paid_at);
  *out->mutable_expires_at() = common::ToProtoTime(p.expires_at);
  out->set_risk_decision(p.risk_decision);
  out->set_risk_event_id(p.risk_event_id);
}

void ToProto(const RefundRecord& r, v1::Refund* out) {
  out->set_refund_id(r.refund_id);
  out->set_payment_id(r.payment_id);
  out->set_merchant_id(r.merchant_id);
  out->set_out_refund_no(r.out_refund_no);
  *out->mutable_amount() = MoneyProto(r.amount_minor, r.currency);
  *out->mutable_fee_returned() = MoneyProto(r.fee_return_minor, r.currency);
  out->set_status(std::string(RefundStatusName(r.status)));
  *out->mutable_created_at() = common::ToProtoTime(r.created_at);
  if (r.succeeded_at) *out->mutable_succeeded_at() = common::ToProtoTime(*r.succeeded_at);
}

void ToProto(const NotificationRecord& n, v1::Notification* out) {
  out->set_notification_id(n.notification_id);
  out->set_merchant_id(n.merchant_id);
  out->set_event(n.event);
  out->set_ref_id(n.ref_id);
  out->set_status(n.status);
  out->set_attempts(n.attempts);
  out->set_last_http_status(n.last_http_status);
  out->set_last_error(n.last_error);
  if (n.next_attempt_at) *out->mutable_next_attempt_at() = common::ToProtoTime(*n.next_attempt_at);
  if (n.delivered_at) *out->mutable_delivered_at() = common::ToProtoTime(*n.delivered_at);
  *out->mutable_created_at() = common::ToProtoTime(n.created_at);
}

}  // namespace

grpc::Status PaymentServiceImpl::CreateCodePayment(grpc::ServerContext* ctx,
                                                   const v1::CreateCodePaymentRequest* req,
                                                   v1::Payment* resp) {
  AGGPAY_AUTHORIZE(ctx);
  CodePaymentInput in{req->code(),
                      req->amount().amount_minor(),
                      req->amount().currency(),
                      req->wallet(),
                      req->payer_ip(),
                      req->device_id(),
                      req->client_request_id()};
  auto p = ops_.CreateCodePayment(in);
  common::SetAuditTarget(*ctx, p.ok() ? absl::StrCat("payment:", p->payment_id) : "payment:",
                         p.ok() ? absl::StrCat("merchant=", p->merchant_id,
                                               " amount=", p->amount_minor, " ", p->currency)
                                : std::string());
  if (!p.ok()) return ToGrpcStatus(p.status());
  ToProto(*p, resp);
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::GetPaymentStatus(grpc::ServerContext* ctx,
                                                  const v1::GetPaymentStatusRequest* req,
                                                  v1::PaymentStatus* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto p = ops_.GetForPayer(req->payment_id(), req->client_request_id());
  if (!p.ok()) return ToGrpcStatus(p.status());
  resp->set_payment_id(p->payment_id);
  resp->set_status(std::string(PaymentStatusName(p->status)));
  *resp->mutable_amount() = MoneyProto(p->amount_minor, p->currency);
  if (p->paid_at) *resp->mutable_paid_at() = common::ToProtoTime(*p->paid_at);
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::CreateMerchantPayment(grpc::ServerContext* ctx,
                                                       const v1::CreateMerchantPaymentRequest* req,
                                                       v1::Payment* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  MerchantPaymentInput in{*merchant,
                          req->out_trade_no(),
                          req->amount().amount_minor(),
                          req->amount().currency(),
                          req->wallet(),
                          req->store_id(),
                          req->description()};
  auto p = ops_.CreateMerchantPayment(in);
  common::SetAuditTarget(*ctx, absl::StrCat("merchant:", *merchant),
                         p.ok() ? absl::StrCat("payment_id=", p->payment_id) : std::string());
  if (!p.ok()) return ToGrpcStatus(p.status());
  ToProto(*p, resp);
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::CreateTerminalPayment(grpc::ServerContext* ctx,
                                                       const v1::CreateTerminalPaymentRequest* req,
                                                       v1::Payment* resp) {
  AGGPAY_AUTHORIZE(ctx);
  TerminalPaymentInput in{req->terminal_sn(),
                          req->kind(),
                          req->out_trade_no(),
                          req->amount().amount_minor(),
                          req->amount().currency(),
                          req->wallet(),
                          req->auth_code(),
                          req->timestamp(),
                          req->nonce(),
                          req->signature()};
  auto p = ops_.CreateTerminalPayment(in);
  common::SetAuditTarget(
      *ctx, absl::StrCat("terminal:", common::TruncateUtf8(req->terminal_sn(), 32)),
      p.ok() ? absl::StrCat("payment_id=", p->payment_id, " kind=", req->kind()) : std::string());
  if (!p.ok()) return ToGrpcStatus(p.status());
  ToProto(*p, resp);
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::GetPayment(grpc::ServerContext* ctx,
                                            const v1::GetPaymentRequest* req, v1::Payment* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto p = ops_.Get(req->payment_id(),
                    principal_or->is_merchant() ? principal_or->merchant_id : std::string());
  if (!p.ok()) return ToGrpcStatus(p.status());
  ToProto(*p, resp);
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::ListPayments(grpc::ServerContext* ctx,
                                              const v1::ListPaymentsRequest* req,
                                              v1::ListPaymentsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  auto size = common::PageSize(req->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  PaymentFilter f;
  f.merchant_id = *merchant;
  f.business_date = req->business_date();
  if (!req->status().empty()) {
    auto status = ParsePaymentStatus(req->status());
    if (!status.ok()) return ToGrpcStatus(status.status());
    f.status = *status;
  }
  if (!req->page_token().empty()) {
    auto after = common::DecodePageToken(req->page_token());
    if (!after.ok()) return ToGrpcStatus(after.status());
    f.before_payment_id = *after;
  }
  f.limit = *size + 1;
  auto list = ops_.List(f);
  if (!list.ok()) return ToGrpcStatus(list.status());
  const bool more = static_cast<int>(list->size()) > *size;
  if (more) list->pop_back();
  for (const auto& p : *list) ToProto(p, resp->add_payments());
  if (more && !list->empty())
    resp->set_next_page_token(common::EncodePageToken(list->back().payment_id));
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::RefundPayment(grpc::ServerContext* ctx,
                                               const v1::RefundPaymentRequest* req,
                                               v1::Refund* resp) {
  AGGPAY_AUTHORIZE(ctx);
  RefundInput in{req->payment_id(), req->amount().amount_minor(), req->amount().currency(),
                 req->out_refund_no(), req->reason()};
  auto r = ops_.Refund(in, principal_or->is_merchant() ? principal_or->merchant_id : std::string());
  common::SetAuditTarget(
      *ctx, absl::StrCat("payment:", common::TruncateUtf8(req->payment_id(), 64)),
      r.ok() ? absl::StrCat("refund_id=", r->refund_id, " amount=", r->amount_minor)
             : std::string());
  if (!r.ok()) return ToGrpcStatus(r.status());
  ToProto(*r, resp);
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::ChannelCallback(grpc::ServerContext* ctx,
                                                 const v1::ChannelCallbackRequest* req,
                                                 v1::ChannelCallbackResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto p = ops_.HandleCallback(req->channel(), SignedCallback{req->body(), req->timestamp(),
                                                              req->nonce(), req->signature()});
  common::SetAuditTarget(
      *ctx, p.ok() ? absl::StrCat("payment:", p->payment_id) : "payment:",
      p.ok() ? absl::StrCat("status=", PaymentStatusName(p->status)) : std::string());
  if (!p.ok()) return ToGrpcStatus(p.status());
  resp->set_code("SUCCESS");
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::SandboxPay(grpc::ServerContext* ctx,
                                            const v1::SandboxPayRequest* req, v1::Payment* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto p = ops_.SandboxPay(req->payment_id(), req->decline());
  common::SetAuditTarget(*ctx,
                         absl::StrCat("payment:", common::TruncateUtf8(req->payment_id(), 64)),
                         req->decline() ? "declined" : "paid");
  if (!p.ok()) return ToGrpcStatus(p.status());
  ToProto(*p, resp);
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::SandboxBill(grpc::ServerContext* ctx,
                                             const v1::SandboxBillRequest* req,
                                             v1::SandboxBillResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto csv = ops_.SandboxBill(req->date());
  if (!csv.ok()) return ToGrpcStatus(csv.status());
  resp->set_csv(*csv);
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::ConfigureWebhook(grpc::ServerContext* ctx,
                                                  const v1::ConfigureWebhookRequest* req,
                                                  v1::ConfigureWebhookResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  auto w = ops_.ConfigureWebhook(*merchant, req->notify_url());
  common::SetAuditTarget(*ctx, absl::StrCat("merchant:", *merchant),
                         absl::StrCat("notify_url=", common::TruncateUtf8(req->notify_url(), 200)));
  if (!w.ok()) return ToGrpcStatus(w.status());
  resp->set_merchant_id(w->first.merchant_id);
  resp->set_notify_url(w->first.notify_url);
  resp->set_secret(w->second);
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::ListAgedWebhookSecrets(
    grpc::ServerContext* ctx, const v1::ListAgedWebhookSecretsRequest* req,
    v1::ListAgedWebhookSecretsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto size = common::PageSize(req->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  if (!req->has_set_before())
    return ToGrpcStatus(common::InvalidField("set_before", "is required"));
  auto aged = ops_.ListAgedWebhooks(common::FromProtoTime(req->set_before()), *size);
  if (!aged.ok()) return ToGrpcStatus(aged.status());
  for (const auto& w : *aged) {
    auto* out = resp->add_secrets();
    out->set_merchant_id(w.merchant_id);
    *out->mutable_set_at() = common::ToProtoTime(w.set_at);
  }
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::ListNotifications(grpc::ServerContext* ctx,
                                                   const v1::ListNotificationsRequest* req,
                                                   v1::ListNotificationsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto size = common::PageSize(req->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  auto list = ops_.ListNotifications(req->merchant_id(), req->ref_id(), *size);
  if (!list.ok()) return ToGrpcStatus(list.status());
  for (const auto& n : *list) ToProto(n, resp->add_notifications());
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::ResendNotification(grpc::ServerContext* ctx,
                                                    const v1::ResendNotificationRequest* req,
                                                    v1::Notification* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto n = ops_.ResendNotification(req->notification_id());
  common::SetAuditTarget(*ctx, absl::StrCat("notification:", req->notification_id()));
  if (!n.ok()) return ToGrpcStatus(n.status());
  ToProto(*n, resp);
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::EnqueueNotification(grpc::ServerContext* ctx,
                                                     const v1::EnqueueNotificationRequest* req,
                                                     v1::Notification* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto n = ops_.EnqueueNotification(
      NotificationDraft{req->merchant_id(), req->event(), req->ref_id(), req->body()});
  common::SetAuditTarget(*ctx,
                         absl::StrCat("merchant:", common::TruncateUtf8(req->merchant_id(), 64)),
                         absl::StrCat("event=", common::TruncateUtf8(req->event(), 24),
                                      " ref_id=", common::TruncateUtf8(req->ref_id(), 26)));
  if (!n.ok()) return ToGrpcStatus(n.status());
  ToProto(*n, resp);
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::CheckLedger(grpc::ServerContext* ctx,
                                             const v1::CheckLedgerRequest* req,
                                             v1::CheckLedgerResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto report = ops_.CheckLedger();
  if (!report.ok()) return ToGrpcStatus(report.status());
  resp->set_ok(report->problems.empty());
  resp->set_transactions(report->transactions);
  resp->set_accounts(report->accounts);
  for (const auto& p : report->problems) resp->add_problems(p);
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::GetPaymentLedger(grpc::ServerContext* ctx,
                                                  const v1::GetPaymentRequest* req,
                                                  v1::PaymentLedger* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto l = ops_.Ledger(req->payment_id());
  if (!l.ok()) return ToGrpcStatus(l.status());
  resp->set_payment_id(l->payment.payment_id);
  for (const auto& r : l->refunds) ToProto(r, resp->add_refunds());
  for (const auto& t : l->transactions) {
    v1::LedgerTransaction* out = resp->add_transactions();
    out->set_txn_id(t.txn_id);
    out->set_kind(t.kind);
    out->set_ref_id(t.ref_id);
    *out->mutable_created_at() = common::ToProtoTime(t.created_at);
    for (const auto& e : t.entries) {
      v1::LedgerEntry* entry = out->add_entries();
      entry->set_account(e.account);
      entry->set_currency(e.currency);
      entry->set_amount_minor(e.amount_minor);
      entry->set_posting_kind(e.posting_kind);
    }
  }
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::SummarizePayments(grpc::ServerContext* ctx,
                                                   const v1::SummarizePaymentsRequest* req,
                                                   v1::PaymentSummary* resp) {
  AGGPAY_AUTHORIZE(ctx);
  if (!req->has_created_from())
    return ToGrpcStatus(common::InvalidField("created_from", "is required"));
  if (!req->has_created_to())
    return ToGrpcStatus(common::InvalidField("created_to", "is required"));
  auto s = ops_.Summarize(common::FromProtoTime(req->created_from()),
                          common::FromProtoTime(req->created_to()));
  if (!s.ok()) return ToGrpcStatus(s.status());
  resp->set_created(s->created);
  for (const auto& t : s->succeeded) {
    v1::CurrencyTotal* out = resp->add_succeeded();
    out->set_currency(t.currency);
    out->set_payments(t.payments);
    out->set_amount_minor(t.amount_minor);
  }
  return grpc::Status::OK;
}

grpc::Status PaymentServiceImpl::CloseBusinessDay(grpc::ServerContext* ctx,
                                                  const v1::CloseBusinessDayRequest* req,
                                                  v1::CloseBusinessDayResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  common::SetAuditTarget(*ctx,
                         absl::StrCat("business_day:", common::TruncateUtf8(req->date(), 10)));
  auto closed = ops_.CloseBusinessDay(req->date());
  if (!closed.ok()) return ToGrpcStatus(closed.status());
  *resp->mutable_closed_at() = common::ToProtoTime(*closed);
  return grpc::Status::OK;
}

}  // namespace aggpay::payment
