#include "services/settlement/settlement_service.h"

#include "absl/strings/str_cat.h"
#include "services/common/grpc/auth_interceptor.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/status/field_errors.h"
#include "services/common/text/utf8.h"

namespace aggpay::settlement {

namespace v1 = aggpay::v1;
using common::ToGrpcStatus;

void ToProto(const Line& l, v1::SettlementLine* out) {
  out->set_line_id(l.line_id);
  out->set_batch_id(l.batch_id);
  out->set_cycle(l.cycle);
  out->set_business_date(l.business_date);
  out->set_merchant_id(l.merchant_id);
  out->set_currency(l.currency);
  out->set_gross(l.amounts.gross);
  out->set_refunds(l.amounts.refunds);
  out->set_fees(l.amounts.fees);
  out->set_fee_returns(l.amounts.fee_returns);
  out->set_carried_in(l.amounts.carried_in);
  out->set_net(l.net);
  out->set_status(l.status);
  out->set_payout_date(l.payout_date);
  out->set_payments(l.payments);
  out->set_refund_count(l.refund_count);
  out->set_released_by_batch(l.released_by_batch);
}

void ToProto(const Batch& b, v1::SettlementBatch* out) {
  out->set_batch_id(b.batch_id);
  out->set_cycle(b.cycle);
  out->set_business_date(b.business_date);
  out->set_shard(b.shard.Name());
  out->set_status(b.status);
  out->set_lines(b.line_count);
  out->set_payouts(b.payout_count);
  if (b.window_from) *out->mutable_window_from() = common::ToProtoTime(*b.window_from);
  if (b.window_to) *out->mutable_window_to() = common::ToProtoTime(*b.window_to);
  if (b.batch_id != 0) {
    *out->mutable_started_at() = common::ToProtoTime(b.started_at);
    *out->mutable_finished_at() = common::ToProtoTime(b.finished_at);
  }
  for (const auto& [currency, total] : b.payout_totals) {
    out->add_payout_totals(absl::StrCat(currency, ":", total));
  }
}

void ToProto(const StoredReconciliation& r, v1::Reconciliation* out) {
  out->set_reconciliation_id(r.reconciliation_id);
  out->set_channel(r.channel);
  out->set_date(r.date);
  out->set_result(r.result.clean() ? "CLEAN" : "DIFFERENCES");
  out->set_bill_rows(r.result.bill_rows);
  out->set_matched(r.result.matched);
  out->set_missing_ours(r.result.missing_ours);
  out->set_missing_channel(r.result.missing_channel);
  out->set_differs(r.result.differs);
  out->set_channel_fee_milli(r.result.channel_fee_milli);
  out->set_our_fee_milli(r.result.our_fee_milli);
  out->set_fee_totals_agree(r.result.fee_totals_agree);
  out->set_bill_sha256(r.bill_sha256);
  *out->mutable_created_at() = common::ToProtoTime(r.created_at);
  for (const ReconItem& item : r.result.items) {
    v1::ReconciliationItem* i = out->add_items();
    i->set_kind(std::string(ItemKindName(item.kind)));
    i->set_ref_type(item.is_refund ? "REFUND" : "PAYMENT");
    i->set_ref_id(item.ref_id);
    i->set_channel_ref(item.channel_ref);
    i->set_our_amount(item.our_amount);
    i->set_channel_amount(item.channel_amount);
    i->set_our_status(item.our_status);
    i->set_channel_status(item.channel_status);
    i->set_detail(item.detail);
  }
}

grpc::Status SettlementServiceImpl::ListBatches(grpc::ServerContext* ctx,
                                                const v1::ListBatchesRequest* req,
                                                v1::ListBatchesResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto size = common::PageSize(req->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  auto batches = ops_.ListBatches(req->date(), *size);
  if (!batches.ok()) return ToGrpcStatus(batches.status());
  for (const Batch& b : *batches) ToProto(b, resp->add_batches());
  return grpc::Status::OK;
}

grpc::Status SettlementServiceImpl::ListLines(grpc::ServerContext* ctx,
                                              const v1::ListLinesRequest* req,
                                              v1::ListLinesResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  // Lines are small: pages up to 10,000 (default 1,000) so a day's file is a few calls.
  auto size = common::PageSize(req->page_size(), 1000, 10000);
  if (!size.ok()) return ToGrpcStatus(size.status());
  auto lines = ops_.ListLines(req->date(), *merchant, req->status(), req->after_line_id(), *size);
  if (!lines.ok()) return ToGrpcStatus(lines.status());
  for (const Line& l : *lines) ToProto(l, resp->add_lines());
  return grpc::Status::OK;
}

grpc::Status SettlementServiceImpl::GetNextPayout(grpc::ServerContext* ctx,
                                                  const v1::GetNextPayoutRequest* req,
                                                  v1::NextPayout* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  // The calendar is the platform's, the same for every merchant: staff may ask without one.
  const absl::CivilDay today = ops_.Today();
  auto payout = ops_.NextPayout(req->cycle(), today);
  if (!payout.ok()) return ToGrpcStatus(payout.status());
  resp->set_cycle(req->cycle());
  resp->set_today(FormatDate(today));
  resp->set_payout_date(FormatDate(*payout));
  resp->set_calendar(ops_.options().calendar);
  return grpc::Status::OK;
}

grpc::Status SettlementServiceImpl::GetStatement(grpc::ServerContext* ctx,
                                                 const v1::GetStatementRequest* req,
                                                 v1::Statement* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  if (merchant->empty()) {
    return ToGrpcStatus(common::InvalidField("merchant_id", "is required"));
  }
  auto csv = ops_.Statement(*merchant, req->date());
  if (!csv.ok()) return ToGrpcStatus(csv.status());
  resp->set_merchant_id(*merchant);
  resp->set_date(req->date());
  resp->set_csv(*csv);
  return grpc::Status::OK;
}

grpc::Status SettlementServiceImpl::ReleaseHeld(grpc::ServerContext* ctx,
                                                const v1::ReleaseHeldRequest* req,
                                                v1::ReleaseHeldResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto report = ops_.Release(req->merchant_id());
  common::SetAuditTarget(
      *ctx, absl::StrCat("merchant:", common::TruncateUtf8(req->merchant_id(), 64)),
      report.ok() ? absl::StrCat("batch_id=", report->outcome.batch.batch_id) : std::string());
  if (!report.ok()) return ToGrpcStatus(report.status());
  resp->set_batch_id(report->outcome.batch.batch_id);
  if (report->outcome.batch.batch_id != 0) {
    auto lines = ops_.ReleasedLines(report->outcome.batch.batch_id);
    if (!lines.ok()) return ToGrpcStatus(lines.status());
    for (const Line& l : *lines) ToProto(l, resp->add_released());
  }
  return grpc::Status::OK;
}

grpc::Status SettlementServiceImpl::ImportCalendar(grpc::ServerContext* ctx,
                                                   const v1::ImportCalendarRequest* req,
                                                   v1::ImportCalendarResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto imported = ops_.ImportCalendar(req->calendar(), req->csv());
  const std::string calendar = req->calendar().empty() ? ops_.options().calendar : req->calendar();
  common::SetAuditTarget(*ctx, absl::StrCat("calendar:", common::TruncateUtf8(calendar, 16)),
                         imported.ok() ? absl::StrCat("days=", imported->first) : std::string());
  if (!imported.ok()) return ToGrpcStatus(imported.status());
  resp->set_calendar(calendar);
  resp->set_days(imported->first);
  for (int y : imported->second) resp->add_years(y);
  return grpc::Status::OK;
}

grpc::Status SettlementServiceImpl::Reconcile(grpc::ServerContext* ctx,
                                              const v1::ReconcileRequest* req,
                                              v1::Reconciliation* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto r = ops_.Reconcile(req->channel(), req->date(), req->bill_csv());
  common::SetAuditTarget(
      *ctx,
      absl::StrCat("bill:", common::TruncateUtf8(req->channel(), 16), ":",
                   common::TruncateUtf8(req->date(), 10)),
      r.ok() ? absl::StrCat("reconciliation_id=", r->reconciliation_id) : std::string());
  if (!r.ok()) return ToGrpcStatus(r.status());
  ToProto(*r, resp);
  return grpc::Status::OK;
}

grpc::Status SettlementServiceImpl::ListReconciliations(grpc::ServerContext* ctx,
                                                        const v1::ListReconciliationsRequest* req,
                                                        v1::ListReconciliationsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto list = ops_.ListReconciliations(req->channel(), req->date());
  if (!list.ok()) return ToGrpcStatus(list.status());
  for (const StoredReconciliation& r : *list) ToProto(r, resp->add_reconciliations());
  return grpc::Status::OK;
}

}  // namespace aggpay::settlement
