#include "services/merchant/merchant_service.h"

#include "absl/strings/str_cat.h"
#include "services/common/grpc/auth_interceptor.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/status/field_errors.h"

namespace aggpay::merchant {
namespace {

namespace v1 = aggpay::v1;
using common::ToGrpcStatus;

void ToProto(const ApiKey& k, v1::ApiKey* out) {
  out->set_key_id(k.key_id);
  out->set_merchant_id(k.merchant_id);
  out->set_status(k.status == ApiKeyStatus::kActive ? "ACTIVE" : "REVOKED");
  *out->mutable_created_at() = common::ToProtoTime(k.created_at);
  if (k.revoked_at) *out->mutable_revoked_at() = common::ToProtoTime(*k.revoked_at);
}

}  // namespace

void ToProto(const Merchant& m, v1::Merchant* out) {
  out->set_merchant_id(m.merchant_id);
  out->set_display_name(m.display_name);
  out->set_legal_name(m.legal_name);
  out->set_kind(m.kind);
  out->set_status(m.status);
  out->set_home_currency(m.home_currency);
  out->set_time_zone(m.time_zone);
  out->set_region(m.region);
  out->set_contact_phone(MaskPhone(m.contact_phone));
  *out->mutable_created_at() = common::ToProtoTime(m.created_at);
}

grpc::Status MerchantServiceImpl::GetMerchant(grpc::ServerContext* ctx,
                                              const v1::GetMerchantRequest* req,
                                              v1::Merchant* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto id = common::MerchantScope(*principal_or, req->merchant_id());
  if (!id.ok()) return ToGrpcStatus(id.status());
  auto m = ops_.GetMerchant(*id);
  if (!m.ok()) return ToGrpcStatus(m.status());
  ToProto(*m, resp);
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::CreateApiKey(grpc::ServerContext* ctx,
                                               const v1::CreateApiKeyRequest* req,
                                               v1::CreateApiKeyResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto id = common::MerchantScope(*principal_or, req->merchant_id());
  if (!id.ok()) return ToGrpcStatus(id.status());
  if (absl::Status s = RequirePortalOwnerOrStaff(*principal_or); !s.ok()) return ToGrpcStatus(s);
  auto created = ops_.CreateApiKey(*id);
  common::SetAuditTarget(*ctx, absl::StrCat("merchant:", *id),
                         created.ok() ? absl::StrCat("key_id=", created->key.key_id) : "");
  if (!created.ok()) return ToGrpcStatus(created.status());
  ToProto(created->key, resp->mutable_key());
  resp->set_secret(created->secret);
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::ListApiKeys(grpc::ServerContext* ctx,
                                              const v1::ListApiKeysRequest* req,
                                              v1::ListApiKeysResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto id = common::MerchantScope(*principal_or, req->merchant_id());
  if (!id.ok()) return ToGrpcStatus(id.status());
  auto keys = ops_.ListApiKeys(*id);
  if (!keys.ok()) return ToGrpcStatus(keys.status());
  for (const auto& k : *keys) ToProto(k, resp->add_keys());
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::ListAgedApiKeys(grpc::ServerContext* ctx,
                                                  const v1::ListAgedApiKeysRequest* req,
                                                  v1::ListApiKeysResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto size = common::PageSize(req->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  if (!req->has_created_before()) {
    return ToGrpcStatus(common::InvalidField("created_before", "is required"));
  }
  auto keys = ops_.ListAgedApiKeys(common::FromProtoTime(req->created_before()), *size);
  if (!keys.ok()) return ToGrpcStatus(keys.status());
  for (const auto& k : *keys) ToProto(k, resp->add_keys());
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::RevokeApiKey(grpc::ServerContext* ctx,
                                               const v1::RevokeApiKeyRequest* req,
                                               v1::ApiKey* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("api_key:", req->key_id()));
  AGGPAY_AUTHORIZE(ctx);
  if (absl::Status s = RequirePortalOwnerOrStaff(*principal_or); !s.ok()) return ToGrpcStatus(s);
  auto key = ops_.RevokeApiKey(req->key_id(),
                               principal_or->is_merchant() ? principal_or->merchant_id : "");
  if (!key.ok()) return ToGrpcStatus(key.status());
  ToProto(*key, resp);
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::AuthenticateRequest(grpc::ServerContext* ctx,
                                                      const v1::AuthenticateRequestRequest* req,
                                                      v1::AuthenticateRequestResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  SignedRequest r{req->key_id(), req->timestamp(),      req->nonce(),      req->signature(),
                  req->method(), req->path_and_query(), req->body_sha256()};
  auto key = ops_.AuthenticateRequest(r);
  if (!key.ok()) return ToGrpcStatus(key.status());
  resp->set_merchant_id(key->merchant_id);
  resp->set_key_id(key->key_id);
  return grpc::Status::OK;
}

}  // namespace aggpay::merchant
