// The onboarding half of MerchantService's handlers: proto <-> domain mapping only.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/grpc/auth_interceptor.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"
#include "services/merchant/merchant_service.h"

namespace aggpay::merchant {
namespace {

namespace v1 = aggpay::v1;
using common::ToGrpcStatus;

absl::StatusOr<SettlementAccount> AccountFromProto(const v1::SettlementAccount& a) {
  SettlementAccount out;
  ASSIGN_OR_RETURN(out.kind, ParseSettlementAccountKind(a.kind()));
  out.bank_name = a.bank_name();
  out.account_name = a.account_name();
  out.account_number = a.account_number();
  return out;
}

absl::StatusOr<Application> ApplicationFromProto(const v1::ApplicationSpec& s) {
  ASSIGN_OR_RETURN(MerchantKind kind, ParseMerchantKind(s.kind()));
  ASSIGN_OR_RETURN(common::Currency currency,
                   common::Currency::Find(s.home_currency(), "home_currency"));
  ASSIGN_OR_RETURN(PlanKind plan_kind, ParsePlanKind(s.plan_kind()));
  ASSIGN_OR_RETURN(SettlementAccount account, AccountFromProto(s.settlement_account()));
  Application a{.home_currency = currency};
  a.business_code = s.business_code();
  a.kind = kind;
  a.display_name = s.display_name();
  a.legal_name = s.legal_name();
  a.business_licence_number = s.business_licence_number();
  a.legal_representative = s.legal_rep_name();
  a.contact_phone = s.contact_phone();
  a.time_zone = s.time_zone();
  a.region = s.region();
  if (!s.agent_id().empty()) a.agent_id = s.agent_id();
  a.plan_kind = plan_kind;
  a.settlement_account = account;
  for (int i = 0; i < s.documents_size(); ++i) {
    const auto& d = s.documents(i);
    const std::string prefix = absl::StrCat("documents[", i, "]");
    RETURN_IF_ERROR(ValidateDocument(d.sha256(), d.size_bytes(), d.kind(), prefix));
    ASSIGN_OR_RETURN(DocumentKind dk, ParseDocumentKind(d.kind(), absl::StrCat(prefix, ".kind")));
    a.documents.push_back(Document{dk, d.sha256(), d.size_bytes()});
  }
  return a;
}

void ToProto(const OnboardingRecord& r, bool for_merchant, v1::MerchantApplication* out) {
  out->set_merchant_id(r.merchant_id);
  out->set_status(std::string(MerchantStatusName(r.status)));
  const Application& a = r.application;
  auto* s = out->mutable_spec();
  s->set_business_code(a.business_code);
  s->set_kind(std::string(MerchantKindName(a.kind)));
  s->set_display_name(a.display_name);
  s->set_legal_name(a.legal_name);
  s->set_business_licence_number(a.business_licence_number);
  s->set_legal_rep_name(a.legal_representative);
  s->set_contact_phone(for_merchant ? MaskPhone(a.contact_phone) : a.contact_phone);
  s->set_home_currency(std::string(a.home_currency.code()));
  s->set_time_zone(a.time_zone);
  s->set_region(a.region);
  if (a.agent_id) s->set_agent_id(*a.agent_id);
  s->set_plan_kind(std::string(PlanKindName(a.plan_kind)));
  auto* acct = s->mutable_settlement_account();
  acct->set_kind(std::string(SettlementAccountKindName(a.settlement_account.kind)));
  acct->set_bank_name(a.settlement_account.bank_name);
  acct->set_account_name(a.settlement_account.account_name);
  acct->set_account_number(a.settlement_account.account_number);
  for (const Document& d : a.documents) {
    auto* doc = s->add_documents();
    doc->set_kind(std::string(DocumentKindName(d.kind)));
    doc->set_sha256(d.sha256);
    doc->set_size_bytes(d.size_bytes);
  }
  out->set_reject_reason(r.reject_reason);
  for (const ReviewEntry& e : r.reviews) {
    auto* rv = out->add_reviews();
    rv->set_action(std::string(OnboardingActionName(e.action)));
    rv->set_from_status(std::string(MerchantStatusName(e.from)));
    rv->set_to_status(std::string(MerchantStatusName(e.to)));
    rv->set_actor(for_merchant ? "" : e.actor);
    rv->set_reason(e.reason);
    *rv->mutable_at() = common::ToProtoTime(e.at);
  }
  for (const SubMerchantId& id : r.sub_merchants) {
    auto* sm = out->add_sub_merchants();
    sm->set_channel(id.channel);
    sm->set_sub_merchant_id(id.sub_merchant_id);
    sm->set_source(id.source);
  }
  *out->mutable_created_at() = common::ToProtoTime(r.created_at);
}

void ToProto(const StoreRecord& s, v1::Store* out) {
  out->set_store_id(s.store_id);
  out->set_merchant_id(s.merchant_id);
  out->set_name(s.name);
  out->set_address(s.address);
  *out->mutable_created_at() = common::ToProtoTime(s.created_at);
}

}  // namespace

grpc::Status MerchantServiceImpl::CreateApplication(grpc::ServerContext* ctx,
                                                    const v1::CreateApplicationRequest* req,
                                                    v1::MerchantApplication* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto app = ApplicationFromProto(req->spec());
  if (!app.ok()) return ToGrpcStatus(app.status());
  auto record = onboarding_.CreateApplication(*app, principal_or->Actor());
  common::SetAuditTarget(
      *ctx, absl::StrCat("business_code:", req->spec().business_code()),
      record.ok() ? absl::StrCat("merchant_id=", record->merchant_id) : std::string());
  if (!record.ok()) return ToGrpcStatus(record.status());
  ToProto(*record, false, resp);
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::UpdateApplication(grpc::ServerContext* ctx,
                                                    const v1::UpdateApplicationRequest* req,
                                                    v1::MerchantApplication* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("merchant:", req->merchant_id()));
  AGGPAY_AUTHORIZE(ctx);
  auto app = ApplicationFromProto(req->spec());
  if (!app.ok()) return ToGrpcStatus(app.status());
  auto record = onboarding_.UpdateApplication(req->merchant_id(), *app, principal_or->Actor());
  if (!record.ok()) return ToGrpcStatus(record.status());
  ToProto(*record, false, resp);
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::Step(grpc::ServerContext* ctx, const std::string& merchant_id,
                                       OnboardingAction action, const std::string& reason,
                                       v1::MerchantApplication* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("merchant:", merchant_id),
                         absl::StrCat("action=", OnboardingActionName(action)));
  AGGPAY_AUTHORIZE(ctx);
  auto record = onboarding_.Act(merchant_id, action, principal_or->Actor(), reason);
  if (!record.ok()) return ToGrpcStatus(record.status());
  ToProto(*record, false, resp);
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::SubmitApplication(grpc::ServerContext* ctx,
                                                    const v1::MerchantRef* req,
                                                    v1::MerchantApplication* resp) {
  return Step(ctx, req->merchant_id(), OnboardingAction::kSubmit, "", resp);
}

grpc::Status MerchantServiceImpl::StartReview(grpc::ServerContext* ctx, const v1::MerchantRef* req,
                                              v1::MerchantApplication* resp) {
  return Step(ctx, req->merchant_id(), OnboardingAction::kStartReview, "", resp);
}

grpc::Status MerchantServiceImpl::RejectApplication(grpc::ServerContext* ctx,
                                                    const v1::RejectApplicationRequest* req,
                                                    v1::MerchantApplication* resp) {
  return Step(ctx, req->merchant_id(), OnboardingAction::kReject, req->reason(), resp);
}

grpc::Status MerchantServiceImpl::FreezeMerchant(grpc::ServerContext* ctx,
                                                 const v1::ReasonRequest* req,
                                                 v1::MerchantApplication* resp) {
  return Step(ctx, req->merchant_id(), OnboardingAction::kFreeze, req->reason(), resp);
}

grpc::Status MerchantServiceImpl::UnfreezeMerchant(grpc::ServerContext* ctx,
                                                   const v1::ReasonRequest* req,
                                                   v1::MerchantApplication* resp) {
  return Step(ctx, req->merchant_id(), OnboardingAction::kUnfreeze, req->reason(), resp);
}

grpc::Status MerchantServiceImpl::CloseMerchant(grpc::ServerContext* ctx,
                                                const v1::ReasonRequest* req,
                                                v1::MerchantApplication* resp) {
  return Step(ctx, req->merchant_id(), OnboardingAction::kClose, req->reason(), resp);
}

grpc::Status MerchantServiceImpl::ApproveApplication(grpc::ServerContext* ctx,
                                                     const v1::ApproveApplicationRequest* req,
                                                     v1::MerchantApplication* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("merchant:", req->merchant_id()), "action=APPROVE");
  AGGPAY_AUTHORIZE(ctx);
  auto record = onboarding_.Approve(req->merchant_id(), req->wechat_sub_mch_id(),
                                    req->alipay_smid(), principal_or->Actor(), req->reason());
  if (!record.ok()) return ToGrpcStatus(record.status());
  ToProto(*record, false, resp);
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::GetApplication(grpc::ServerContext* ctx,
                                                 const v1::MerchantRef* req,
                                                 v1::MerchantApplication* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto id = common::MerchantScope(*principal_or, req->merchant_id());
  if (!id.ok()) return ToGrpcStatus(id.status());
  auto record = onboarding_.Get(*id);
  if (!record.ok()) return ToGrpcStatus(record.status());
  ToProto(*record, principal_or->is_merchant(), resp);
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::ListMerchants(grpc::ServerContext* ctx,
                                                const v1::ListMerchantsRequest* req,
                                                v1::ListMerchantsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto size = common::PageSize(req->page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  MerchantFilter filter;
  if (!req->status().empty()) {
    auto status = ParseMerchantStatus(req->status());
    if (!status.ok()) return ToGrpcStatus(status.status());
    filter.status = *status;
  }
  filter.agent_id = req->agent_id();
  filter.store_id = req->store_id();
  filter.created_from = common::OptionalTime(req->has_created_from(), req->created_from());
  filter.created_to = common::OptionalTime(req->has_created_to(), req->created_to());
  auto token = common::DecodePageToken(req->page_token());
  if (!token.ok()) return ToGrpcStatus(token.status());
  if (!token->empty()) {
    std::vector<std::string> parts = absl::StrSplit(*token, absl::MaxSplits('/', 1));
    int64_t micros = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &micros)) {
      return ToGrpcStatus(common::InvalidField("page_token", "is malformed"));
    }
    filter.before = std::make_pair(absl::FromUnixMicros(micros), parts[1]);
  }
  filter.limit = *size + 1;
  auto merchants = onboarding_.List(filter);
  if (!merchants.ok()) return ToGrpcStatus(merchants.status());
  const bool more = static_cast<int>(merchants->size()) > *size;
  if (more) merchants->pop_back();
  for (const Merchant& m : *merchants) ToProto(m, resp->add_merchants());
  if (more) {
    const Merchant& last = merchants->back();
    resp->set_next_page_token(common::EncodePageToken(
        absl::StrCat(absl::ToUnixMicros(last.created_at), "/", last.merchant_id)));
  }
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::ListPayoutAccounts(grpc::ServerContext* ctx,
                                                     const v1::ListPayoutAccountsRequest* req,
                                                     v1::ListPayoutAccountsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  const std::vector<std::string> ids(req->merchant_ids().begin(), req->merchant_ids().end());
  auto accounts = onboarding_.PayoutAccounts(ids);
  if (!accounts.ok()) return ToGrpcStatus(accounts.status());
  for (const auto& [merchant_id, a] : *accounts) {
    v1::PayoutAccount* out = resp->add_accounts();
    out->set_merchant_id(merchant_id);
    v1::SettlementAccount* acct = out->mutable_account();
    acct->set_kind(std::string(SettlementAccountKindName(a.kind)));
    acct->set_bank_name(a.bank_name);
    acct->set_account_name(a.account_name);
    acct->set_account_number(a.account_number);
  }
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::CreateStore(grpc::ServerContext* ctx,
                                              const v1::CreateStoreRequest* req, v1::Store* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto store = onboarding_.CreateStore(req->merchant_id(), req->name(), req->address());
  common::SetAuditTarget(*ctx, absl::StrCat("merchant:", req->merchant_id()),
                         store.ok() ? absl::StrCat("store_id=", store->store_id) : std::string());
  if (!store.ok()) return ToGrpcStatus(store.status());
  ToProto(*store, resp);
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::ListStores(grpc::ServerContext* ctx, const v1::MerchantRef* req,
                                             v1::ListStoresResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto id = common::MerchantScope(*principal_or, req->merchant_id());
  if (!id.ok()) return ToGrpcStatus(id.status());
  auto stores = onboarding_.ListStores(*id);
  if (!stores.ok()) return ToGrpcStatus(stores.status());
  for (const StoreRecord& s : *stores) ToProto(s, resp->add_stores());
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::UpdateSettlementAccount(
    grpc::ServerContext* ctx, const v1::UpdateSettlementAccountRequest* req,
    v1::MerchantApplication* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto id = common::MerchantScope(*principal_or, req->merchant_id());
  common::SetAuditTarget(*ctx, absl::StrCat("merchant:", id.ok() ? *id : req->merchant_id()),
                         "action=CHANGE_SETTLEMENT_ACCOUNT");
  if (!id.ok()) return ToGrpcStatus(id.status());
  auto account = AccountFromProto(req->account());
  if (!account.ok()) return ToGrpcStatus(account.status());
  auto record = principal_or->is_merchant()
                    ? onboarding_.ChangeSettlementAccountWithOtp(*id, *account, req->otp(),
                                                                 principal_or->Actor())
                    : onboarding_.ChangeSettlementAccount(*id, *account, principal_or->Actor());
  if (!record.ok()) return ToGrpcStatus(record.status());
  ToProto(*record, principal_or->is_merchant(), resp);
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::RequestSettlementAccountOtp(grpc::ServerContext* ctx,
                                                              const v1::MerchantRef* req,
                                                              v1::StepUpOtpResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto id = common::MerchantScope(*principal_or, req->merchant_id());
  common::SetAuditTarget(*ctx, absl::StrCat("merchant:", id.ok() ? *id : req->merchant_id()),
                         "action=REQUEST_SETTLEMENT_ACCOUNT_OTP");
  if (!id.ok()) return ToGrpcStatus(id.status());
  auto expires = onboarding_.RequestAccountChangeOtp(*id);
  if (!expires.ok()) return ToGrpcStatus(expires.status());
  *resp->mutable_expires_at() = common::ToProtoTime(*expires);
  auto record = onboarding_.Get(*id);
  if (record.ok()) {
    const std::string& phone = record->application.contact_phone;
    resp->set_phone_hint(
        phone.size() >= 7 ? absl::StrCat(phone.substr(0, 3), "****", phone.substr(phone.size() - 4))
                          : "****");
  }
  return grpc::Status::OK;
}

grpc::Status MerchantServiceImpl::CreateAgent(grpc::ServerContext* ctx,
                                              const v1::CreateAgentRequest* req, v1::Agent* resp) {
  common::SetAuditTarget(*ctx, absl::StrCat("agent:", req->agent_id()));
  AGGPAY_AUTHORIZE(ctx);
  auto agent = onboarding_.CreateAgent(req->agent_id(), req->parent_agent_id(), req->name());
  if (!agent.ok()) return ToGrpcStatus(agent.status());
  resp->set_agent_id(agent->agent_id);
  resp->set_parent_agent_id(agent->parent_agent_id.value_or(""));
  resp->set_name(agent->name);
  *resp->mutable_created_at() = common::ToProtoTime(agent->created_at);
  return grpc::Status::OK;
}

}  // namespace aggpay::merchant
