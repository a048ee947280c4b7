#include "services/admin/admin_service.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "services/common/grpc/auth_interceptor.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/status/field_errors.h"

namespace aggpay::admin {
namespace {

using common::ToGrpcStatus;
using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

void ToProto(const Staff& s, aggpay::v1::Staff* out) {
  out->set_staff_id(s.staff_id);
  out->set_username(s.username);
  out->set_display_name(s.display_name);
  out->set_role(s.role);
  out->set_status(s.status == StaffStatus::kActive ? aggpay::v1::STAFF_STATUS_ACTIVE
                                                   : aggpay::v1::STAFF_STATUS_DISABLED);
  *out->mutable_created_at() = ToProto(s.created_at);
}

void ToProto(const common::Principal& p, aggpay::v1::Principal* out) {
  out->set_kind(std::string(p.KindName()));
  out->set_id(p.id);
  out->set_role(p.role);
  out->set_username(p.username);
  out->set_merchant_id(p.merchant_id);
}

}  // namespace

grpc::Status AdminServiceImpl::CreateStaff(grpc::ServerContext* ctx,
                                           const aggpay::v1::CreateStaffRequest* req,
                                           aggpay::v1::Staff* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto staff = staff_.CreateStaff(req->username(), req->display_name(), req->role());
  common::SetAuditTarget(
      *ctx, absl::StrCat("username:", req->username()),
      absl::StrCat("role=", req->role(),
                   staff.ok() ? absl::StrCat(" staff_id=", staff->staff_id) : std::string()));
  if (!staff.ok()) return ToGrpcStatus(staff.status());
  ToProto(*staff, resp);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ListStaff(grpc::ServerContext* ctx,
                                         const aggpay::v1::ListStaffRequest* req,
                                         aggpay::v1::ListStaffResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto size = common::PageSize(req->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  auto after = common::DecodePageToken(req->page_token());
  if (!after.ok()) return ToGrpcStatus(after.status());
  auto staff = staff_.repository().ListStaff(*after, *size + 1);
  if (!staff.ok()) return ToGrpcStatus(staff.status());
  const bool more = static_cast<int>(staff->size()) > *size;
  if (more) staff->pop_back();
  for (const auto& s : *staff) ToProto(s, resp->add_staff());
  if (more) resp->set_next_page_token(common::EncodePageToken(staff->back().staff_id));
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::DisableStaff(grpc::ServerContext* ctx,
                                            const aggpay::v1::DisableStaffRequest* req,
                                            aggpay::v1::Staff* resp) {
  AGGPAY_AUTHORIZE(ctx);
  common::SetAuditTarget(*ctx, absl::StrCat("staff:", req->staff_id()));
  if (req->staff_id().empty()) return ToGrpcStatus(common::InvalidField("staff_id", "is required"));
  if (principal_or->id == req->staff_id()) {
    return ToGrpcStatus(common::FailedPreconditionField("staff_id", "you cannot disable yourself"));
  }
  auto staff = staff_.DisableStaff(req->staff_id());
  if (!staff.ok()) return ToGrpcStatus(staff.status());
  ToProto(*staff, resp);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::IssueToken(grpc::ServerContext* ctx,
                                          const aggpay::v1::IssueTokenRequest* req,
                                          aggpay::v1::IssueTokenResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  if (req->staff_id().empty()) return ToGrpcStatus(common::InvalidField("staff_id", "is required"));
  if (req->ttl_seconds() < 0) {
    return ToGrpcStatus(common::InvalidField("ttl_seconds", "must not be negative"));
  }
  auto token = staff_.IssueToken(req->staff_id(), absl::Seconds(req->ttl_seconds()));
  common::SetAuditTarget(*ctx, absl::StrCat("staff:", req->staff_id()),
                         token.ok() ? absl::StrCat("token_id=", token->token_id) : std::string());
  if (!token.ok()) return ToGrpcStatus(token.status());
  resp->set_token_id(token->token_id);
  resp->set_token(token->token);
  *resp->mutable_expires_at() = ToProto(token->expires_at);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::RevokeToken(grpc::ServerContext* ctx,
                                           const aggpay::v1::RevokeTokenRequest* req,
                                           aggpay::v1::RevokeTokenResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  common::SetAuditTarget(*ctx, absl::StrCat("token:", req->token_id()));
  if (req->token_id().empty()) return ToGrpcStatus(common::InvalidField("token_id", "is required"));
  return ToGrpcStatus(staff_.RevokeToken(req->token_id()));
}

grpc::Status AdminServiceImpl::WhoAmI(grpc::ServerContext* ctx,
                                      const aggpay::v1::WhoAmIRequest* req,
                                      aggpay::v1::Principal* resp) {
  AGGPAY_AUTHORIZE(ctx);
  ToProto(*principal_or, resp);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ListAudit(grpc::ServerContext* ctx,
                                         const aggpay::v1::ListAuditRequest* req,
                                         aggpay::v1::ListAuditResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto size = common::PageSize(req->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  if (req->after_seq() < 0) {
    return ToGrpcStatus(common::InvalidField("after_seq", "must not be negative"));
  }
  AuditFilter filter{req->after_seq(), *size, req->actor(), req->action()};
  auto entries = audit_.List(filter);
  if (!entries.ok()) return ToGrpcStatus(entries.status());
  for (const auto& e : *entries) {
    auto* out = resp->add_entries();
    out->set_seq(e.seq);
    *out->mutable_at() = ToProto(e.record.at);
    out->set_actor(e.record.actor);
    out->set_role(e.record.role);
    out->set_action(e.record.action);
    out->set_target(e.record.target);
    out->set_request_id(e.record.request_id);
    out->set_outcome(e.record.outcome);
    out->set_details(e.record.details);
    out->set_prev_hash(e.prev_hash);
    out->set_hash(e.hash);
  }
  resp->set_next_after_seq(entries->empty() ? req->after_seq() : entries->back().seq);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::VerifyAudit(grpc::ServerContext* ctx,
                                           const aggpay::v1::VerifyAuditRequest* req,
                                           aggpay::v1::VerifyAuditResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto result = audit_.Verify();
  if (!result.ok()) return ToGrpcStatus(result.status());
  resp->set_ok(result->ok);
  resp->set_entries_checked(result->entries_checked);
  resp->set_first_broken_seq(result->first_broken_seq);
  resp->set_problem(result->problem);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::SetStaffCredentials(
    grpc::ServerContext* ctx, const aggpay::v1::SetStaffCredentialsRequest* req,
    aggpay::v1::SetStaffCredentialsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  common::SetAuditTarget(*ctx, absl::StrCat("staff:", req->staff_id()),
                         req->new_totp_secret() ? "password and new TOTP secret" : "password");
  if (req->staff_id().empty()) return ToGrpcStatus(common::InvalidField("staff_id", "is required"));
  auto uri = staff_.SetCredentials(req->staff_id(), req->password(), req->new_totp_secret());
  if (!uri.ok()) return ToGrpcStatus(uri.status());
  resp->set_totp_uri(*uri);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::SignIn(grpc::ServerContext* ctx,
                                      const aggpay::v1::SignInRequest* req,
                                      aggpay::v1::SignInResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto signed_in = staff_.SignIn(req->username(), req->password(), req->totp_code());
  common::SetAuditTarget(*ctx, absl::StrCat("username:", req->username()),
                         signed_in.ok() ? absl::StrCat("staff_id=", signed_in->staff.staff_id,
                                                       " session_id=", signed_in->session_id)
                                        : std::string());
  if (!signed_in.ok()) return ToGrpcStatus(signed_in.status());
  resp->set_session_token(signed_in->session_token);
  resp->set_session_id(signed_in->session_id);
  ToProto(signed_in->staff, resp->mutable_staff());
  *resp->mutable_expires_at() = ToProto(signed_in->expires_at);
  resp->set_idle_timeout_seconds(absl::ToInt64Seconds(staff_.session_policy().idle_timeout));
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::SignOut(grpc::ServerContext* ctx,
                                       const aggpay::v1::SignOutRequest* req,
                                       aggpay::v1::SignOutResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  common::SetAuditTarget(*ctx, "console session");
  return ToGrpcStatus(staff_.SignOut(req->session_token()));
}

grpc::Status AdminServiceImpl::Authenticate(grpc::ServerContext* ctx,
                                            const aggpay::v1::AuthenticateRequest* req,
                                            aggpay::v1::Principal* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto principal = staff_.Authenticate(req->token());
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  ToProto(*principal, resp);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::AppendAudit(grpc::ServerContext* ctx,
                                           const aggpay::v1::AppendAuditRequest* req,
                                           aggpay::v1::AppendAuditResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  const auto convert = [](const aggpay::v1::AuditEntry& e) {
    common::AuditRecord r;
    r.at = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(e.at()));
    r.actor = e.actor();
    r.role = e.role();
    r.action = e.action();
    r.target = e.target();
    r.request_id = e.request_id();
    r.outcome = e.outcome();
    r.details = e.details();
    r.source_key = e.source_key();
    return r;
  };
  if (req->entries_size() > 0) {
    if (req->entries_size() > 1000) {
      return ToGrpcStatus(common::InvalidField("entries", "at most 1000 per call"));
    }
    std::vector<common::AuditRecord> records;
    records.reserve(req->entries_size());
    for (int i = 0; i < req->entries_size(); ++i) {
      if (req->entries(i).action().empty()) {
        return ToGrpcStatus(
            common::InvalidField(absl::StrCat("entries[", i, "].action"), "is required"));
      }
      records.push_back(convert(req->entries(i)));
    }
    return ToGrpcStatus(audit_.AppendBatch(records));
  }
  const auto& e = req->entry();
  if (e.action().empty()) return ToGrpcStatus(common::InvalidField("entry.action", "is required"));
  return ToGrpcStatus(audit_.Append(convert(e)));
}

grpc::Status AdminServiceImpl::ListExpiring(grpc::ServerContext* ctx,
                                            const aggpay::v1::ListExpiringRequest* req,
                                            aggpay::v1::ListExpiringResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  if (req->within_seconds() < 0 || req->within_seconds() > int64_t{3650} * 24 * 3600) {
    return ToGrpcStatus(common::InvalidField("within_seconds", "must be between 0 and 10 years"));
  }
  if (expiry_ == nullptr) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no expiry watch");
  const absl::Duration within =
      req->within_seconds() == 0 ? absl::Hours(24 * 30) : absl::Seconds(req->within_seconds());
  *resp = expiry_->List(within);
  return grpc::Status::OK;
}

}  // namespace aggpay::admin
