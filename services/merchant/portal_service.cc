// The merchant portal's half of MerchantService's handlers (docs/portal.md): proto <-> domain
// mapping only.
#include "absl/strings/str_cat.h"
#include "services/common/grpc/auth_interceptor.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/text/utf8.h"
#include "services/merchant/domain/merchant.h"
#include "services/merchant/merchant_service.h"

namespace aggpay::merchant {
namespace {

namespace v1 = aggpay::v1;
using common::ToGrpcStatus;

void ToProto(const MerchantUserRecord& u, v1::MerchantUser* out) {
  out->set_user_id(u.user_id);
  out->set_merchant_id(u.merchant_id);
  out->set_mobile(MaskPhone(u.mobile));
  out->set_role(std::string(PortalRoleName(u.role)));
  out->set_invited_by(u.invited_by);
  *out->mutable_created_at() = common::ToProtoTime(u.created_at);
}

void ToProto(const MerchantUserRecord& u, v1::PortalPrincipal* out) {
  ToProto(u, out->mutable_user());
  out->set_merchant_display_name(u.merchant_name);
}

std::string MobileTarget(const std::string& mobile) {
  return absl::StrCat("mobile:", MaskPhone(common::TruncateUtf8(mobile, 32)));
}

}  // namespace

absl::Status RequirePortalOwnerOrStaff(const common::Principal& principal) {
  if (!principal.is_merchant()) return absl::OkStatus();
  if (!principal.username.empty() && principal.role == PortalRoleName(PortalRole::kOwner)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      "only an owner signed in to the merchant portal may manage API keys and users");
}

grpc::Status MerchantServiceImpl::RequestPortalCode(grpc::ServerContext* ctx,
                                                    const v1::RequestPortalCodeRequest* req,
                                                    v1::RequestPortalCodeResponse* resp) {
  common::SetAuditTarget(*ctx, MobileTarget(req->mobile()));
  AGGPAY_AUTHORIZE(ctx);
  auto sent = portal_.RequestCode(req->mobile());
  if (!sent.ok()) return ToGrpcStatus(sent.status());
  *resp->mutable_expires_at() = common::ToProtoTime(sent->expires_at);
  resp->set_resend_after_seconds(absl::ToInt64Seconds(sent->resend_after));
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::VerifyPortalCode(grpc::ServerContext* ctx,
                                                   const v1::VerifyPortalCodeRequest* req,
                                                   v1::PortalSession* resp) {
  common::SetAuditTarget(*ctx, MobileTarget(req->mobile()));
  AGGPAY_AUTHORIZE(ctx);
  auto session = portal_.VerifyCode(req->mobile(), req->code());
  if (!session.ok()) return ToGrpcStatus(session.status());
  common::SetAuditTarget(
      *ctx, MobileTarget(req->mobile()),
      absl::StrCat("user_id=", session->user.user_id, " merchant_id=", session->user.merchant_id));
  resp->set_session_token(session->token);
  ToProto(session->user, resp->mutable_principal());
  *resp->mutable_expires_at() = common::ToProtoTime(session->expires_at);
  resp->set_idle_timeout_seconds(absl::ToInt64Seconds(portal_.session_limits().idle_timeout));
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::CheckPortalSession(grpc::ServerContext* ctx,
                                                     const v1::PortalSessionRef* req,
                                                     v1::PortalPrincipal* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto user = portal_.CheckSession(req->session_token());
  if (!user.ok()) return ToGrpcStatus(user.status());
  ToProto(*user, resp);
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::EndPortalSession(grpc::ServerContext* ctx,
                                                   const v1::PortalSessionRef* req,
                                                   v1::EndPortalSessionResponse* /*resp*/) {
  common::SetAuditTarget(*ctx, "portal-session");
  AGGPAY_AUTHORIZE(ctx);
  return ToGrpcStatus(portal_.EndSession(req->session_token()));
}

grpc::Status MerchantServiceImpl::ListMerchantUsers(grpc::ServerContext* ctx,
                                                    const v1::MerchantRef* req,
                                                    v1::ListMerchantUsersResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto id = common::MerchantScope(*principal_or, req->merchant_id());
  if (!id.ok()) return ToGrpcStatus(id.status());
  auto users = portal_.ListUsers(*id);
  if (!users.ok()) return ToGrpcStatus(users.status());
  for (const MerchantUserRecord& u : *users) ToProto(u, resp->add_users());
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::InviteMerchantUser(grpc::ServerContext* ctx,
                                                     const v1::InviteMerchantUserRequest* req,
                                                     v1::MerchantUser* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto id = common::MerchantScope(*principal_or, req->merchant_id());
  common::SetAuditTarget(*ctx, absl::StrCat("merchant:", id.ok() ? *id : req->merchant_id()),
                         absl::StrCat("invite ", MobileTarget(req->mobile()),
                                      " role=", common::TruncateUtf8(req->role(), 16)));
  if (!id.ok()) return ToGrpcStatus(id.status());
  if (absl::Status s = RequirePortalOwnerOrStaff(*principal_or); !s.ok()) return ToGrpcStatus(s);
  auto user = portal_.InviteUser(*id, req->mobile(), req->role(), principal_or->Actor());
  if (!user.ok()) return ToGrpcStatus(user.status());
  ToProto(*user, resp);
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::RemoveMerchantUser(grpc::ServerContext* ctx,
                                                     const v1::RemoveMerchantUserRequest* req,
                                                     v1::MerchantUser* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto id = common::MerchantScope(*principal_or, req->merchant_id());
  common::SetAuditTarget(*ctx, absl::StrCat("merchant:", id.ok() ? *id : req->merchant_id()),
                         absl::StrCat("remove user_id=", common::TruncateUtf8(req->user_id(), 64)));
  if (!id.ok()) return ToGrpcStatus(id.status());
  if (absl::Status s = RequirePortalOwnerOrStaff(*principal_or); !s.ok()) return ToGrpcStatus(s);
  auto user = portal_.RemoveUser(*id, req->user_id());
  if (!user.ok()) return ToGrpcStatus(user.status());
  ToProto(*user, resp);
  return grpc::Status::OK;
}

}  // namespace aggpay::merchant
