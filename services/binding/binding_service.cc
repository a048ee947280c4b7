#include "services/binding/binding_service.h"

#include "absl/strings/str_cat.h"
#include "services/common/grpc/auth_interceptor.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/money/money.h"
#include "services/common/status/field_errors.h"
#include "services/common/text/utf8.h"

namespace aggpay::binding {
namespace {

namespace v1 = aggpay::v1;
using common::ToGrpcStatus;

// The merchant a merchant principal may act on; empty for staff and services.
std::string Scope(const common::Principal& p) { return p.is_merchant() ? p.merchant_id : ""; }

void ToProto(const RequestRecord& rec, v1::ResetRequestView* out) {
  const ResetRequest& r = rec.request;
  out->set_request_id(r.request_id);
  out->set_merchant_id(r.merchant_id);
  out->set_code_id(r.code_id);
  out->set_reason(std::string(ResetReasonName(r.reason)));
  out->set_mode(std::string(ResetModeName(r.mode)));
  out->set_status(std::string(RequestStatusName(r.status)));
  out->set_attempts_left(r.status == RequestStatus::kPendingOtp ? kMaxOtpAttempts - r.attempts : 0);
  *out->mutable_otp_expires_at() = common::ToProtoTime(r.otp_expires_at);
  *out->mutable_created_at() = common::ToProtoTime(r.created_at);
  out->set_new_code_id(rec.new_code_id);
}

}  // namespace

void BindingServiceImpl::ToProto(const CodeRecord& c, v1::CollectionCode* out) const {
  out->set_code_id(c.code_id);
  out->set_url(ops_.Url(c.code_id));
  out->set_kind(std::string(CodeKindName(c.kind)));
  out->set_status(std::string(CodeStatusName(c.status)));
  out->set_merchant_id(c.merchant_id);
  out->set_store_id(c.store_id);
  out->set_terminal_sn(c.terminal_sn);
  if (c.amount_minor) {
    out->mutable_amount()->set_currency(c.currency);
    out->mutable_amount()->set_amount_minor(*c.amount_minor);
  }
  if (c.valid_until) *out->mutable_valid_until() = common::ToProtoTime(*c.valid_until);
  out->set_replaced_by(c.replaced_by);
  *out->mutable_created_at() = common::ToProtoTime(c.created_at);
}

void BindingServiceImpl::ToProto(const ResetOutcome& r, v1::ResetCodeResponse* out) const {
  ToProto(r.old_code, out->mutable_old_code());
  ToProto(r.new_code, out->mutable_new_code());
  for (const auto& sn : r.terminals_holding_old_code) out->add_terminals_holding_old_code(sn);
}

grpc::Status BindingServiceImpl::IssueCode(grpc::ServerContext* ctx,
                                           const v1::IssueCodeRequest* req,
                                           v1::CollectionCode* resp) {
  AGGPAY_AUTHORIZE(ctx);
  std::optional<std::pair<int64_t, std::string>> amount;
  if (req->has_amount())
    amount = std::make_pair(req->amount().amount_minor(), req->amount().currency());
  if (req->ttl_seconds() < 0) {
    return ToGrpcStatus(common::InvalidField("ttl_seconds", "must not be negative"));
  }
  auto code = ops_.IssueCode(req->merchant_id(), req->store_id(), req->terminal_sn(), req->kind(),
                             amount, absl::Seconds(req->ttl_seconds()), principal_or->Actor());
  common::SetAuditTarget(*ctx,
                         req->terminal_sn().empty() ? absl::StrCat("store:", req->store_id())
                                                    : absl::StrCat("terminal:", req->terminal_sn()),
                         code.ok() ? absl::StrCat("code_id=", code->code_id) : std::string());
  if (!code.ok()) return ToGrpcStatus(code.status());
  ToProto(*code, resp);
  return grpc::Status::OK;
}

void ResolutionToProto(const Resolution& r, bool to_service, v1::ResolvedCode* out) {
  const CodeView& v = r.view;
  out->set_code_id(v.code_id);
  out->set_kind(std::string(CodeKindName(v.kind)));
  switch (r.outcome) {
    case ResolveOutcome::kPayable:
      out->set_outcome("PAYABLE");
      if (to_service) out->set_merchant_id(v.merchant_id);
      out->set_merchant_display_name(v.merchant_display_name);
      out->set_store_id(v.store_id);
      out->set_terminal_sn(v.terminal_sn);
      for (const auto& [channel, id] : v.channel_params) {
        (*out->mutable_channel_sub_mch_ids())[channel] = id;
      }
      if (v.amount_minor) {
        out->mutable_amount()->set_currency(v.currency);
        out->mutable_amount()->set_amount_minor(*v.amount_minor);
      }
      if (v.valid_until) *out->mutable_valid_until() = common::ToProtoTime(*v.valid_until);
      break;
    case ResolveOutcome::kMerchantFrozen:
      out->set_merchant_display_name(v.merchant_display_name);
      [[fallthrough]];
    default:
      out->set_outcome(std::string(ResolveOutcomeName(r.outcome)));
      out->set_message(std::string(PayerMessage(r.outcome)));
      break;
  }
}

namespace {

grpc::Status ResolvedToProto(const absl::StatusOr<Resolution>& r, const common::Principal& caller,
                             v1::ResolvedCode* resp) {
  if (!r.ok()) return ToGrpcStatus(r.status());
  ResolutionToProto(*r, caller.kind == common::Principal::Kind::kService, resp);
  return grpc::Status::OK;
}

}  // namespace

grpc::ServerUnaryReactor* BindingServiceImpl::ResolveCode(grpc::CallbackServerContext* ctx,
                                                          const v1::ResolveCodeRequest* req,
                                                          v1::ResolvedCode* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<common::Principal> caller = common::CallPrincipal(*ctx);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  ResolveCaller who{common::CallClientAddress(*ctx),
                    caller->kind == common::Principal::Kind::kService};
  absl::StatusOr<ResolveStep> step = ops_.BeginResolve(req->code(), who);
  if (!step.ok()) {
    reactor->Finish(ToGrpcStatus(step.status()));
  } else if (auto* done = std::get_if<Resolution>(&*step)) {
    reactor->Finish(ResolvedToProto(*std::move(done), *caller, resp));
  } else {
    // Redis or MySQL: off gRPC's threads. ctx, req and resp live until Finish.
    const bool queued = blocking_.Submit([this, ctx, reactor, resp, caller = *std::move(caller),
                                          who = std::move(who),
                                          pending = std::get<PendingResolve>(*std::move(step))] {
      // A payer who gave up while the resolve waited for a thread costs no store round trip.
      if (ctx->IsCancelled()) {
        reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled"));
        return;
      }
      reactor->Finish(ResolvedToProto(ops_.ContinueResolve(pending, who), caller, resp));
    });
    if (!queued) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "too many resolves are waiting for the database; try again"));
    }
  }
  return reactor;
}

grpc::Status BindingServiceImpl::GetCode(grpc::ServerContext* ctx, const v1::GetCodeRequest* req,
                                         v1::CollectionCode* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto code = ops_.Get(req->code_id(), Scope(*principal_or));
  if (!code.ok()) return ToGrpcStatus(code.status());
  ToProto(*code, resp);
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::ListCodes(grpc::ServerContext* ctx,
                                           const v1::ListCodesRequest* req,
                                           v1::ListCodesResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  auto size = common::PageSize(req->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  auto after = common::DecodePageToken(req->page_token());
  if (!after.ok()) return ToGrpcStatus(after.status());
  CodeFilter f;
  f.merchant_id = *merchant;
  f.terminal_sn = req->terminal_sn();
  if (!req->status().empty()) {
    auto status = ParseCodeStatus(req->status());
    if (!status.ok()) return ToGrpcStatus(status.status());
    f.status = *status;
  }
  f.after_code_id = *after;
  f.limit = *size + 1;
  auto codes = ops_.List(f);
  if (!codes.ok()) return ToGrpcStatus(codes.status());
  const bool more = static_cast<int>(codes->size()) > *size;
  if (more) codes->pop_back();
  for (const auto& c : *codes) ToProto(c, resp->add_codes());
  if (more) resp->set_next_page_token(common::EncodePageToken(codes->back().code_id));
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::RenderCode(grpc::ServerContext* ctx,
                                            const v1::RenderCodeRequest* req, v1::CodeImage* resp) {
  AGGPAY_AUTHORIZE(ctx);
  RenderOptions o;
  if (!req->format().empty()) {
    auto format = ParseImageFormat(req->format());
    if (!format.ok()) return ToGrpcStatus(format.status());
    o.format = *format;
  }
  if (req->size_px() != 0) o.size_px = req->size_px();
  if (req->skin()) {
    Skin skin;
    skin.caption = req->caption();
    if (!req->foreground().empty()) {
      auto fg = ParseRgb(req->foreground(), "foreground");
      if (!fg.ok()) return ToGrpcStatus(fg.status());
      skin.foreground_rgb = *fg;
    }
    if (!req->background().empty()) {
      auto bg = ParseRgb(req->background(), "background");
      if (!bg.ok()) return ToGrpcStatus(bg.status());
      skin.background_rgb = *bg;
    }
    skin.logo_area = req->logo_area();
    o.skin = skin;
  }
  auto image = ops_.Render(req->code_id(), Scope(*principal_or), o);
  if (!image.ok()) return ToGrpcStatus(image.status());
  resp->set_code_id(req->code_id());
  resp->set_url(ops_.Url(req->code_id()));
  resp->set_mime_type(std::string(MimeType(o.format)));
  resp->set_data(*image);
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::BackupCodes(grpc::ServerContext* ctx,
                                             const v1::BackupCodesRequest* req,
                                             v1::BackupCodesResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  ImageFormat format = ImageFormat::kPng;
  if (!req->format().empty()) {
    auto parsed = ParseImageFormat(req->format());
    if (!parsed.ok()) return ToGrpcStatus(parsed.status());
    format = *parsed;
  }
  auto images = ops_.Backup(*merchant, format);
  if (!images.ok()) return ToGrpcStatus(images.status());
  for (const auto& [code, data] : *images) {
    auto* img = resp->add_images();
    img->set_code_id(code.code_id);
    img->set_url(ops_.Url(code.code_id));
    img->set_mime_type(std::string(MimeType(format)));
    img->set_data(data);
  }
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::UnbindCode(grpc::ServerContext* ctx,
                                            const v1::UnbindCodeRequest* req,
                                            v1::CollectionCode* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto code = ops_.Unbind(req->scanned(), req->reason(), principal_or->Actor());
  common::SetAuditTarget(*ctx, code.ok() ? absl::StrCat("code:", code->code_id) : "code:?",
                         absl::StrCat("reason=", common::TruncateUtf8(req->reason(), 200)));
  if (!code.ok()) return ToGrpcStatus(code.status());
  ToProto(*code, resp);
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::ResetCode(grpc::ServerContext* ctx,
                                           const v1::ResetCodeRequest* req,
                                           v1::ResetCodeResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  if (req->grace_seconds() < 0) {
    return ToGrpcStatus(common::InvalidField("grace_seconds", "must not be negative"));
  }
  auto out =
      ops_.Reset(req->code(), req->reason(), req->mode(), absl::Seconds(req->grace_seconds()),
                 principal_or->Actor(), Scope(*principal_or));
  common::SetAuditTarget(
      *ctx, out.ok() ? absl::StrCat("code:", out->old_code.code_id) : "code:?",
      absl::StrCat("reason=", req->reason(), " mode=", req->mode(),
                   out.ok() ? absl::StrCat(" new_code_id=", out->new_code.code_id) : ""));
  if (!out.ok()) return ToGrpcStatus(out.status());
  ToProto(*out, resp);
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::EndGrace(grpc::ServerContext* ctx, const v1::EndGraceRequest* req,
                                          v1::CollectionCode* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("code:", req->code_id()));
  AGGPAY_AUTHORIZE(ctx);
  auto code = ops_.EndGrace(req->code_id(), principal_or->Actor(), Scope(*principal_or));
  if (!code.ok()) return ToGrpcStatus(code.status());
  ToProto(*code, resp);
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::RequestReset(grpc::ServerContext* ctx,
                                              const v1::RequestResetRequest* req,
                                              v1::ResetRequestView* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("code:", req->code_id()),
                         absl::StrCat("reason=", req->reason(), " mode=", req->mode()));
  AGGPAY_AUTHORIZE(ctx);
  auto r = ops_.RequestReset(req->code_id(), req->reason(), req->mode(), req->staff_review(),
                             Scope(*principal_or));
  if (!r.ok()) return ToGrpcStatus(r.status());
  binding::ToProto(*r, resp);
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::VerifyReset(grpc::ServerContext* ctx,
                                             const v1::VerifyResetRequest* req,
                                             v1::ResetCodeResponse* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("reset_request:", req->request_id()));
  AGGPAY_AUTHORIZE(ctx);
  auto out =
      ops_.VerifyReset(req->request_id(), req->otp(), Scope(*principal_or), principal_or->Actor());
  if (!out.ok()) return ToGrpcStatus(out.status());
  ToProto(*out, resp);
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::ListResetRequests(grpc::ServerContext* ctx,
                                                   const v1::ListResetRequestsRequest* req,
                                                   v1::ListResetRequestsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto size = common::PageSize(req->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  auto list = ops_.ListRequests(req->status(), req->merchant_id(), *size);
  if (!list.ok()) return ToGrpcStatus(list.status());
  for (const auto& r : *list) binding::ToProto(r, resp->add_requests());
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::ReviewReset(grpc::ServerContext* ctx,
                                             const v1::ReviewResetRequest* req,
                                             v1::ResetRequestView* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("reset_request:", req->request_id()),
                         absl::StrCat(req->approve() ? "approve" : "reject",
                                      " reason=", common::TruncateUtf8(req->reason(), 200)));
  AGGPAY_AUTHORIZE(ctx);
  auto r = ops_.ReviewReset(req->request_id(), req->approve(), principal_or->Actor());
  if (!r.ok()) return ToGrpcStatus(r.status());
  binding::ToProto(r->first, resp);
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::ListAlerts(grpc::ServerContext* ctx,
                                            const v1::ListAlertsRequest* req,
                                            v1::ListAlertsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  auto size = common::PageSize(req->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  auto alerts = ops_.Alerts(*merchant, *size);
  if (!alerts.ok()) return ToGrpcStatus(alerts.status());
  for (const AlertRecord& a : alerts->first) {
    auto* out = resp->add_alerts();
    out->set_alert_id(a.alert_id);
    out->set_merchant_id(a.merchant_id);
    out->set_code_id(a.code_id);
    out->set_terminal_sn(a.terminal_sn);
    out->set_client(principal_or->is_merchant() ? "" : a.client);
    *out->mutable_at() = common::ToProtoTime(a.at);
  }
  resp->set_total_scans_of_replaced_codes(alerts->second);
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::CodeHistory(grpc::ServerContext* ctx,
                                             const v1::CodeHistoryRequest* req,
                                             v1::CodeHistoryResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto entries = ops_.History(req->terminal_sn(), req->code_id());
  if (!entries.ok()) return ToGrpcStatus(entries.status());
  for (const HistoryEntry& e : *entries) {
    if (principal_or->is_merchant() && e.merchant_id != principal_or->merchant_id) continue;
    auto* out = resp->add_entries();
    out->set_code_id(e.code_id);
    out->set_event(e.event);
    out->set_reason(e.reason);
    out->set_actor(e.actor);
    *out->mutable_at() = common::ToProtoTime(e.at);
    out->set_terminal_sn(e.terminal_sn);
  }
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::TerminalCode(grpc::ServerContext* ctx,
                                              const v1::TerminalCodeRequest* req,
                                              v1::TerminalCodeResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto code_id = ops_.TerminalCodeId(req->terminal_sn());
  if (!code_id.ok()) return ToGrpcStatus(code_id.status());
  if (*code_id) {
    resp->set_code_id(**code_id);
    resp->set_url(ops_.Url(**code_id));
  }
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::SetMerchantCollection(grpc::ServerContext* ctx,
                                                       const v1::SetMerchantCollectionRequest* req,
                                                       v1::SetMerchantCollectionResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto change = ops_.SetMerchantCollection(req->merchant_id(), req->status(), req->reason(),
                                           principal_or->Actor());
  common::SetAuditTarget(*ctx,
                         absl::StrCat("merchant:", common::TruncateUtf8(req->merchant_id(), 64)),
                         absl::StrCat("collection=", common::TruncateUtf8(req->status(), 16)));
  if (!change.ok()) return ToGrpcStatus(change.status());
  resp->set_codes_unbound(change->codes_unbound);
  return grpc::Status::OK;
}

grpc::Status BindingServiceImpl::CodePaid(grpc::ServerContext* ctx, const v1::CodePaidRequest* req,
                                          v1::CodePaidResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto ended = ops_.CodePaid(req->code_id(), principal_or->Actor());
  common::SetAuditTarget(*ctx, absl::StrCat("code:", common::TruncateUtf8(req->code_id(), 32)),
                         ended.ok() && *ended ? absl::StrCat("grace_ended=", **ended) : "");
  if (!ended.ok()) return ToGrpcStatus(ended.status());
  if (*ended) resp->set_grace_ended_code_id(**ended);
  return grpc::Status::OK;
}

}  // namespace aggpay::binding
