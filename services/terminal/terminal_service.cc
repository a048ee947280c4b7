#include "services/terminal/terminal_service.h"

#include "absl/strings/str_cat.h"
#include "services/common/grpc/auth_interceptor.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/status/field_errors.h"
#include "services/common/text/utf8.h"

namespace aggpay::terminal {
namespace {

namespace v1 = aggpay::v1;
using common::ToGrpcStatus;

void ToProto(const TerminalRecord& t, const std::vector<Capability>& caps, v1::Terminal* out) {
  out->set_terminal_sn(t.terminal_sn);
  out->set_merchant_id(t.merchant_id);
  out->set_store_id(t.store_id);
  out->set_type(std::string(TerminalTypeName(t.type)));
  out->set_serial(t.serial);
  out->set_vendor(t.vendor);
  out->set_client_version(ToString(t.version));
  for (Capability c : caps) out->add_capabilities(std::string(CapabilityName(c)));
  out->set_status(std::string(TerminalStatusName(t.status)));
  if (t.last_check_in_at)
    *out->mutable_last_check_in_at() = common::ToProtoTime(*t.last_check_in_at);
  if (t.activated_at) *out->mutable_activated_at() = common::ToProtoTime(*t.activated_at);
  *out->mutable_created_at() = common::ToProtoTime(t.created_at);
  out->set_key_version(t.key_version);
}

void ToProto(const TerminalParameters& p, v1::TerminalParameters* out) {
  for (const auto& c : p.channels) {
    auto* ch = out->add_channels();
    ch->set_channel(c.channel);
    ch->set_sub_mch_id(c.sub_mch_id);
    ch->set_sub_appid(c.sub_appid);
    ch->set_scope(c.scope);
  }
  for (Capability c : p.capabilities) out->add_capabilities(std::string(CapabilityName(c)));
  out->set_collection_code_url(p.collection_code_url);
}

// Activation codes are secrets until used: the audit log keeps only a prefix.
std::string MaskCode(const std::string& code) {
  return code.size() <= 4 ? std::string("****") : code.substr(0, 4) + "********";
}

}  // namespace

grpc::Status TerminalServiceImpl::RegisterTerminal(grpc::ServerContext* ctx,
                                                   const v1::RegisterTerminalRequest* req,
                                                   v1::Terminal* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto t = ops_.Register(req->merchant_id(), req->store_id(), req->type(), req->serial(),
                         req->vendor(), req->client_version());
  common::SetAuditTarget(
      *ctx, absl::StrCat("merchant:", req->merchant_id()),
      t.ok() ? absl::StrCat("terminal_sn=", t->terminal_sn, " serial=", req->serial())
             : absl::StrCat("serial=", req->serial()));
  if (!t.ok()) return ToGrpcStatus(t.status());
  ToProto(*t, ops_.CapabilitiesOf(*t), resp);
  return grpc::Status::OK;
}

grpc::Status TerminalServiceImpl::IssueActivationCode(grpc::ServerContext* ctx,
                                                      const v1::IssueActivationCodeRequest* req,
                                                      v1::ActivationCode* resp) {
  AGGPAY_AUTHORIZE(ctx);
  if (req->ttl_seconds() < 0) {
    return ToGrpcStatus(common::InvalidField("ttl_seconds", "must not be negative"));
  }
  auto code = ops_.IssueActivationCode(req->merchant_id(), req->store_id(), req->terminal_sn(),
                                       req->max_uses(), absl::Seconds(req->ttl_seconds()));
  common::SetAuditTarget(*ctx, absl::StrCat("store:", req->store_id()),
                         code.ok() ? absl::StrCat("code=", MaskCode(code->code)) : std::string());
  if (!code.ok()) return ToGrpcStatus(code.status());
  resp->set_code(code->code);
  resp->set_merchant_id(code->merchant_id);
  resp->set_store_id(code->store_id);
  resp->set_terminal_sn(code->terminal_sn);
  resp->set_max_uses(code->max_uses);
  resp->set_uses(code->uses);
  *resp->mutable_expires_at() = common::ToProtoTime(code->expires_at);
  return grpc::Status::OK;
}

grpc::Status TerminalServiceImpl::Activate(grpc::ServerContext* ctx, const v1::ActivateRequest* req,
                                           v1::ActivateResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto out = ops_.Activate(ActivateInput{req->activation_code(), req->device_id(), req->type(),
                                         req->serial(), req->vendor(), req->client_version()});
  common::SetAuditTarget(
      *ctx, absl::StrCat("activation_code:", MaskCode(req->activation_code())),
      absl::StrCat("device_id=", common::TruncateUtf8(req->device_id(), 64),
                   out.ok() ? absl::StrCat(" terminal_sn=", out->terminal.terminal_sn) : ""));
  if (!out.ok()) return ToGrpcStatus(out.status());
  resp->set_terminal_sn(out->terminal.terminal_sn);
  resp->set_terminal_key(out->key.secret);
  resp->set_key_version(out->key.key.version);
  *resp->mutable_key_expires_at() = common::ToProtoTime(out->key.key.expires_at);
  ToProto(out->parameters, resp->mutable_parameters());
  return grpc::Status::OK;
}

grpc::Status TerminalServiceImpl::CheckIn(grpc::ServerContext* ctx, const v1::CheckInRequest* req,
                                          v1::CheckInResponse* resp) {
  common::SetAuditTarget(*ctx,
                         absl::StrCat("terminal:", common::TruncateUtf8(req->terminal_sn(), 64)));
  AGGPAY_AUTHORIZE(ctx);
  auto out = ops_.CheckIn(CheckInInput{req->terminal_sn(), req->client_version(), req->timestamp(),
                                       req->nonce(), req->signature()});
  if (!out.ok()) return ToGrpcStatus(out.status());
  resp->set_terminal_key(out->key.secret);
  resp->set_key_version(out->key.key.version);
  *resp->mutable_key_expires_at() = common::ToProtoTime(out->key.key.expires_at);
  *resp->mutable_previous_key_valid_until() = common::ToProtoTime(out->previous_key_valid_until);
  ToProto(out->parameters, resp->mutable_parameters());
  return grpc::Status::OK;
}

grpc::Status TerminalServiceImpl::GetTerminal(grpc::ServerContext* ctx,
                                              const v1::GetTerminalRequest* req,
                                              v1::Terminal* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto t = ops_.Get(req->terminal_sn());
  if (!t.ok()) return ToGrpcStatus(t.status());
  if (principal_or->is_merchant() && t->merchant_id != principal_or->merchant_id) {
    return ToGrpcStatus(absl::NotFoundError("terminal not found"));
  }
  ToProto(*t, ops_.CapabilitiesOf(*t), resp);
  return grpc::Status::OK;
}

grpc::Status TerminalServiceImpl::ListPage(TerminalFilter filter, int page_size,
                                           const std::string& page_token,
                                           v1::ListTerminalsResponse* resp) {
  auto size = common::PageSize(page_size);
  if (!size.ok()) return ToGrpcStatus(size.status());
  auto after = common::DecodePageToken(page_token);
  if (!after.ok()) return ToGrpcStatus(after.status());
  filter.after_sn = *after;
  filter.limit = *size + 1;
  auto rows = ops_.List(filter);
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  const bool more = static_cast<int>(rows->size()) > *size;
  if (more) rows->pop_back();
  for (const auto& t : *rows) ToProto(t, ops_.CapabilitiesOf(t), resp->add_terminals());
  if (more) resp->set_next_page_token(common::EncodePageToken(rows->back().terminal_sn));
  return grpc::Status::OK;
}

grpc::Status TerminalServiceImpl::ListTerminals(grpc::ServerContext* ctx,
                                                const v1::ListTerminalsRequest* req,
                                                v1::ListTerminalsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  TerminalFilter f;
  f.merchant_id = req->merchant_id();
  f.store_id = req->store_id();
  if (!req->type().empty()) {
    auto type = ParseTerminalType(req->type());
    if (!type.ok()) return ToGrpcStatus(type.status());
    f.type = *type;
  }
  if (!req->status().empty()) {
    auto status = ParseTerminalStatus(req->status());
    if (!status.ok()) return ToGrpcStatus(status.status());
    f.status = *status;
  }
  if (!req->version_below().empty()) {
    auto v = ParseClientVersion(req->version_below(), "version_below");
    if (!v.ok()) return ToGrpcStatus(v.status());
    f.version_below = *v;
  }
  if (req->checked_in_more_than_seconds_ago() < 0) {
    return ToGrpcStatus(
        common::InvalidField("checked_in_more_than_seconds_ago", "must not be negative"));
  }
  if (req->checked_in_more_than_seconds_ago() > 0) {
    f.checked_in_before = absl::Now() - absl::Seconds(req->checked_in_more_than_seconds_ago());
  }
  return ListPage(f, req->page_size(), req->page_token(), resp);
}

grpc::Status TerminalServiceImpl::ListMyTerminals(grpc::ServerContext* ctx,
                                                  const v1::ListMyTerminalsRequest* req,
                                                  v1::ListTerminalsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, "");
  if (!merchant.ok() || merchant->empty()) {
    return ToGrpcStatus(absl::PermissionDeniedError("only a merchant has its own terminals"));
  }
  TerminalFilter f;
  f.merchant_id = *merchant;
  return ListPage(f, req->page_size(), req->page_token(), resp);
}

grpc::Status TerminalServiceImpl::SetChannelConfig(grpc::ServerContext* ctx,
                                                   const v1::SetChannelConfigRequest* req,
                                                   v1::ChannelConfig* resp) {
  common::SetAuditTarget(
      *ctx,
      req->terminal_sn().empty() ? absl::StrCat("store:", req->store_id())
                                 : absl::StrCat("terminal:", req->terminal_sn()),
      absl::StrCat("channel=", req->channel(), " sub_mch_id=", req->sub_mch_id()));
  AGGPAY_AUTHORIZE(ctx);
  auto r = ops_.SetChannelConfig(req->terminal_sn(), req->store_id(), req->merchant_id(),
                                 req->channel(), req->sub_mch_id(), req->sub_appid());
  if (!r.ok()) return ToGrpcStatus(r.status());
  resp->set_scope(r->scope);
  resp->set_scope_id(r->scope_id);
  auto* p = resp->mutable_parameters();
  p->set_channel(r->channel);
  p->set_sub_mch_id(r->sub_mch_id);
  p->set_sub_appid(r->sub_appid);
  p->set_scope(r->scope);
  *resp->mutable_updated_at() = common::ToProtoTime(r->updated_at);
  return grpc::Status::OK;
}

grpc::Status TerminalServiceImpl::ForceOffline(grpc::ServerContext* ctx,
                                               const v1::ForceOfflineRequest* req,
                                               v1::ForceOfflineResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  if (auto bad = common::ValidateFreeText(req->reason(), "reason", common::kMaxReasonChars);
      !bad.ok()) {
    common::SetAuditTarget(*ctx, "terminal:", "reason refused");
    return ToGrpcStatus(bad);
  }
  auto sns = ops_.ForceOffline(
      req->terminal_sn(), req->merchant_id(),
      req->hold() ? (req->reason().empty() ? std::string("risk control hold") : req->reason())
                  : std::string());
  common::SetAuditTarget(*ctx,
                         req->terminal_sn().empty() ? absl::StrCat("merchant:", req->merchant_id())
                                                    : absl::StrCat("terminal:", req->terminal_sn()),
                         absl::StrCat("reason=", common::TruncateUtf8(req->reason(), 200),
                                      sns.ok() ? absl::StrCat(" terminals=", sns->size()) : ""));
  if (!sns.ok()) return ToGrpcStatus(sns.status());
  resp->set_terminals_offline(static_cast<int64_t>(sns->size()));
  for (const auto& sn : *sns) resp->add_terminal_sns(sn);
  return grpc::Status::OK;
}

grpc::Status TerminalServiceImpl::ReleaseMerchantHold(grpc::ServerContext* ctx,
                                                      const v1::ReleaseMerchantHoldRequest* req,
                                                      v1::ReleaseMerchantHoldResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto released = ops_.ReleaseHold(req->merchant_id());
  common::SetAuditTarget(*ctx,
                         absl::StrCat("merchant:", common::TruncateUtf8(req->merchant_id(), 64)),
                         absl::StrCat("reason=", common::TruncateUtf8(req->reason(), 200)));
  if (!released.ok()) return ToGrpcStatus(released.status());
  resp->set_released(*released);
  return grpc::Status::OK;
}

grpc::Status TerminalServiceImpl::StatusStep(grpc::ServerContext* ctx, const v1::TerminalRef* req,
                                             TerminalAction action, v1::Terminal* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("terminal:", req->terminal_sn()),
                         absl::StrCat("action=", TerminalActionName(action),
                                      " reason=", common::TruncateUtf8(req->reason(), 200)));
  AGGPAY_AUTHORIZE(ctx);
  absl::StatusOr<TerminalRecord> t;
  switch (action) {
    case TerminalAction::kFreeze:
      t = ops_.Freeze(req->terminal_sn());
      break;
    case TerminalAction::kUnfreeze:
      t = ops_.Unfreeze(req->terminal_sn());
      break;
    case TerminalAction::kClear:
      t = ops_.Clear(req->terminal_sn());
      break;
    default:
      t = ops_.Retire(req->terminal_sn());
  }
  if (!t.ok()) return ToGrpcStatus(t.status());
  ToProto(*t, ops_.CapabilitiesOf(*t), resp);
  return grpc::Status::OK;
}

grpc::Status TerminalServiceImpl::FreezeTerminal(grpc::ServerContext* ctx,
                                                 const v1::TerminalRef* req, v1::Terminal* resp) {
  return StatusStep(ctx, req, TerminalAction::kFreeze, resp);
}

grpc::Status TerminalServiceImpl::UnfreezeTerminal(grpc::ServerContext* ctx,
                                                   const v1::TerminalRef* req, v1::Terminal* resp) {
  return StatusStep(ctx, req, TerminalAction::kUnfreeze, resp);
}

grpc::Status TerminalServiceImpl::ClearTerminal(grpc::ServerContext* ctx,
                                                const v1::TerminalRef* req, v1::Terminal* resp) {
  return StatusStep(ctx, req, TerminalAction::kClear, resp);
}

grpc::Status TerminalServiceImpl::RetireTerminal(grpc::ServerContext* ctx,
                                                 const v1::TerminalRef* req, v1::Terminal* resp) {
  return StatusStep(ctx, req, TerminalAction::kRetire, resp);
}

grpc::Status TerminalServiceImpl::VerifyTerminalRequest(grpc::ServerContext* ctx,
                                                        const v1::VerifyTerminalRequestRequest* req,
                                                        v1::Terminal* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto t = ops_.VerifyRequest(req->terminal_sn(), req->method(), req->timestamp(), req->nonce(),
                              req->body_sha256(), req->signature());
  if (!t.ok()) return ToGrpcStatus(t.status());
  ToProto(*t, ops_.CapabilitiesOf(*t), resp);
  return grpc::Status::OK;
}

}  // namespace aggpay::terminal
