#include "services/risk/risk_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/grpc/auth_interceptor.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/status/field_errors.h"
#include "services/common/text/utf8.h"

namespace aggpay::risk {
namespace {

namespace v1 = aggpay::v1;
using common::ToGrpcStatus;

void ToProto(const Hit& h, v1::RuleHit* out) {
  out->set_rule_id(h.rule_id);
  out->set_action(std::string(ActionName(h.action)));
  for (const auto& [k, v] : h.evidence) (*out->mutable_evidence())[k] = v;
}

void ToProto(const FreezeRecord& f, v1::RiskFreeze* out) {
  out->set_freeze_id(f.freeze_id);
  out->set_merchant_id(f.merchant_id);
  out->set_kind(f.kind);
  out->set_status(f.status);
  out->set_rule_id(f.rule_id);
  out->set_event_id(f.event_id);
  out->set_reason(f.reason);
  *out->mutable_created_at() = common::ToProtoTime(f.created_at);
  if (f.lifted_at) *out->mutable_lifted_at() = common::ToProtoTime(*f.lifted_at);
  out->set_lifted_by(f.lifted_by);
}

void ToProto(const AppealRecord& a, v1::Appeal* out) {
  out->set_appeal_id(a.appeal_id);
  out->set_merchant_id(a.merchant_id);
  out->set_freeze_id(a.freeze_id);
  out->set_status(a.status);
  out->set_statement(a.statement);
  for (const auto& d : a.documents) {
    auto* doc = out->add_documents();
    doc->set_name(d.name);
    doc->set_sha256(d.sha256);
  }
  out->set_review_note(a.review_note);
  out->set_reviewed_by(a.reviewed_by);
  *out->mutable_submitted_at() = common::ToProtoTime(a.submitted_at);
  if (a.reviewed_at) *out->mutable_reviewed_at() = common::ToProtoTime(*a.reviewed_at);
}

void ToProto(const StoredRule& r, v1::RiskRule* out) {
  static const std::map<std::string, std::string> kDescriptions = {
      {"amount_surge",
       "today's amount > multiplier x the trailing daily mean (history_days), "
       "with at least min_history_days of history"},
      {"night_small",
       "count payments of at most max_amount_minor within window_seconds, "
       "between start_hour and end_hour in the merchant's zone"},
      {"foreign_ip",
       "of at least min_payments within window_seconds, more than share_percent "
       "from one foreign region or one /subnet_prefix network"},
      {"device_hopping",
       "one payer device on at least `merchants` merchants within "
       "window_seconds"},
  };
  out->set_rule_id(r.config.rule_id);
  out->set_enabled(r.config.enabled);
  out->set_action(std::string(ActionName(r.config.action)));
  out->set_fail_mode(std::string(FailModeName(r.config.fail_mode)));
  for (const auto& [k, v] : r.config.params) (*out->mutable_params())[k] = v;
  out->set_version(r.config.version);
  out->set_updated_by(r.updated_by);
  *out->mutable_updated_at() = common::ToProtoTime(r.updated_at);
  auto it = kDescriptions.find(r.config.rule_id);
  if (it != kDescriptions.end()) out->set_description(it->second);
}

void ToProto(const AlertThresholds& t, v1::AlertThresholds* out) {
  out->set_merchant_id(t.merchant_id);
  out->mutable_single_payment_over()->set_currency(t.currency);
  out->mutable_single_payment_over()->set_amount_minor(t.single_payment_minor);
  out->mutable_hourly_volume_over()->set_currency(t.currency);
  out->mutable_hourly_volume_over()->set_amount_minor(t.hourly_volume_minor);
  out->set_new_region(t.new_region);
}

// A freeze made or lifted: audited on the merchant, answered as the freeze.
grpc::Status FreezeReply(grpc::ServerContext& ctx, const std::string& merchant_id,
                         const absl::StatusOr<FreezeRecord>& f, v1::RiskFreeze* resp) {
  common::SetAuditTarget(ctx, absl::StrCat("merchant:", common::TruncateUtf8(merchant_id, 64)),
                         f.ok() ? absl::StrCat("freeze_id=", f->freeze_id) : std::string());
  if (!f.ok()) return ToGrpcStatus(f.status());
  ToProto(*f, resp);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status RiskServiceImpl::Evaluate(grpc::ServerContext* ctx, const v1::EvaluateRequest* req,
                                       v1::EvaluateResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  EvaluateInput in{
      req->merchant_id(),       req->time_zone(),   req->region(),   req->amount().amount_minor(),
      req->amount().currency(), req->terminal_sn(), req->payer_ip(), req->device_id(),
      req->attempt_id()};
  auto r = ops_.Evaluate(in);
  if (!r.ok()) return ToGrpcStatus(r.status());
  resp->set_decision(std::string(DecisionName(r->decision)));
  for (const Hit& h : r->hits) ToProto(h, resp->add_hits());
  resp->set_event_id(r->event_id);
  resp->set_message(r->message);
  return grpc::Status::OK;
}

grpc::Status RiskServiceImpl::ListEvents(grpc::ServerContext* ctx,
                                         const v1::ListRiskEventsRequest* req,
                                         v1::ListRiskEventsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  EventFilter f;
  f.merchant_id = req->merchant_id();
  f.rule_id = req->rule_id();
  if (req->has_since()) f.since = common::FromProtoTime(req->since());
  auto size = common::PageSize(req->page().page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  f.limit = *size;
  if (!req->page().page_token().empty()) {
    auto token = common::DecodePageToken(req->page().page_token());
    if (!token.ok() || !absl::SimpleAtoi(*token, &f.before_event_id)) {
      return ToGrpcStatus(common::InvalidField("page.page_token", "not a token of this list"));
    }
  }
  auto events = ops_.ListEvents(f);
  if (!events.ok()) return ToGrpcStatus(events.status());
  for (const EventRecord& e : *events) {
    auto* out = resp->add_events();
    out->set_event_id(e.event_id);
    out->set_merchant_id(e.merchant_id);
    out->set_decision(std::string(DecisionName(e.decision)));
    for (const Hit& h : e.hits) ToProto(h, out->add_hits());
    out->mutable_amount()->set_currency(e.currency);
    out->mutable_amount()->set_amount_minor(e.amount_minor);
    out->set_payer_ip(e.payer_ip);
    out->set_device_id(e.device_id);
    out->set_terminal_sn(e.terminal_sn);
    *out->mutable_created_at() = common::ToProtoTime(e.created_at);
  }
  if (static_cast<int>(events->size()) == f.limit) {
    resp->set_next_page_token(common::EncodePageToken(absl::StrCat(events->back().event_id)));
  }
  return grpc::Status::OK;
}

grpc::Status RiskServiceImpl::ListRules(grpc::ServerContext* ctx, const v1::ListRulesRequest*,
                                        v1::ListRulesResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto rules = ops_.ListRules();
  if (!rules.ok()) return ToGrpcStatus(rules.status());
  for (const auto& r : *rules) ToProto(r, resp->add_rules());
  return grpc::Status::OK;
}

grpc::Status RiskServiceImpl::UpdateRule(grpc::ServerContext* ctx, const v1::UpdateRuleRequest* req,
                                         v1::RiskRule* resp) {
  AGGPAY_AUTHORIZE(ctx);
  RuleChange change;
  change.rule_id = req->rule_id();
  for (const auto& [k, v] : req->params()) change.params[k] = v;
  change.action = req->action();
  change.fail_mode = req->fail_mode();
  change.enabled = req->enabled();
  change.reason = req->reason();
  auto r = ops_.UpdateRule(change, principal_or->Actor());
  common::SetAuditTarget(*ctx, absl::StrCat("risk_rule:", common::TruncateUtf8(req->rule_id(), 32)),
                         r.ok() ? absl::StrCat("version=", r->config.version,
                                               " params=", FormatParams(r->config.params),
                                               " action=", ActionName(r->config.action),
                                               " fail_mode=", FailModeName(r->config.fail_mode),
                                               " enabled=", r->config.enabled ? "true" : "false")
                                : std::string());
  if (!r.ok()) return ToGrpcStatus(r.status());
  ToProto(*r, resp);
  return grpc::Status::OK;
}

grpc::Status RiskServiceImpl::ImportRegions(grpc::ServerContext* ctx,
                                            const v1::ImportRegionsRequest* req,
                                            v1::ImportRegionsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto r = ops_.ImportRegions(req->csv(), principal_or->Actor());
  common::SetAuditTarget(
      *ctx, "risk_regions",
      r.ok() ? absl::StrCat("version=", r->version, " ranges=", r->ranges, " sha256=", r->sha256)
             : std::string());
  if (!r.ok()) return ToGrpcStatus(r.status());
  resp->set_ranges(r->ranges);
  resp->set_version(r->version);
  resp->set_sha256(r->sha256);
  return grpc::Status::OK;
}

grpc::Status RiskServiceImpl::FreezeMerchant(grpc::ServerContext* ctx,
                                             const v1::RiskFreezeRequest* req,
                                             v1::RiskFreeze* resp) {
  AGGPAY_AUTHORIZE(ctx);
  return FreezeReply(*ctx, req->merchant_id(),
                     ops_.Freeze(req->merchant_id(), req->reason(), principal_or->Actor()), resp);
}

grpc::Status RiskServiceImpl::ListFreezes(grpc::ServerContext* ctx,
                                          const v1::ListFreezesRequest* req,
                                          v1::ListFreezesResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  std::string merchant = req->merchant_id();
  if (principal_or->is_merchant()) {
    auto m = common::MerchantScope(*principal_or, req->merchant_id());
    if (!m.ok()) return ToGrpcStatus(m.status());
    merchant = *m;
  }
  auto list = ops_.ListFreezes(merchant, req->status());
  if (!list.ok()) return ToGrpcStatus(list.status());
  for (const auto& f : *list) ToProto(f, resp->add_freezes());
  return grpc::Status::OK;
}

grpc::Status RiskServiceImpl::SubmitAppeal(grpc::ServerContext* ctx,
                                           const v1::SubmitAppealRequest* req, v1::Appeal* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  std::vector<AppealDocumentRef> docs;
  for (const auto& d : req->documents()) docs.push_back({d.name(), d.sha256()});
  auto a = ops_.SubmitAppeal(*merchant, req->statement(), docs);
  common::SetAuditTarget(*ctx, absl::StrCat("merchant:", *merchant),
                         a.ok()
                             ? absl::StrCat("appeal_id=", a->appeal_id, " freeze_id=", a->freeze_id,
                                            " documents=", docs.size())
                             : std::string());
  if (!a.ok()) return ToGrpcStatus(a.status());
  ToProto(*a, resp);
  return grpc::Status::OK;
}

grpc::Status RiskServiceImpl::ListAppeals(grpc::ServerContext* ctx,
                                          const v1::ListAppealsRequest* req,
                                          v1::ListAppealsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  std::string merchant = req->merchant_id();
  std::string status = req->status();
  if (principal_or->is_merchant()) {
    auto m = common::MerchantScope(*principal_or, req->merchant_id());
    if (!m.ok()) return ToGrpcStatus(m.status());
    merchant = *m;
    if (status.empty()) status = "ALL";  // a merchant sees its whole history by default
  }
  auto list = ops_.ListAppeals(merchant, status);
  if (!list.ok()) return ToGrpcStatus(list.status());
  for (const auto& a : *list) ToProto(a, resp->add_appeals());
  return grpc::Status::OK;
}

grpc::Status RiskServiceImpl::ReviewAppeal(grpc::ServerContext* ctx,
                                           const v1::ReviewAppealRequest* req, v1::Appeal* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto a = ops_.ReviewAppeal(req->appeal_id(), req->verdict(), req->note(), principal_or->Actor());
  common::SetAuditTarget(
      *ctx, absl::StrCat("appeal:", req->appeal_id()),
      a.ok() ? absl::StrCat("merchant_id=", a->merchant_id, " status=", a->status) : std::string());
  if (!a.ok()) return ToGrpcStatus(a.status());
  ToProto(*a, resp);
  return grpc::Status::OK;
}

grpc::Status RiskServiceImpl::PassSecurityCheck(grpc::ServerContext* ctx,
                                                const v1::PassSecurityCheckRequest* req,
                                                v1::RiskFreeze* resp) {
  AGGPAY_AUTHORIZE(ctx);
  return FreezeReply(*ctx, req->merchant_id(),
                     ops_.PassSecurityCheck(req->merchant_id(), req->note(), principal_or->Actor()),
                     resp);
}

grpc::Status RiskServiceImpl::GetThresholds(grpc::ServerContext* ctx,
                                            const v1::GetThresholdsRequest* req,
                                            v1::AlertThresholds* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  auto t = ops_.GetThresholds(*merchant);
  if (!t.ok()) return ToGrpcStatus(t.status());
  ToProto(*t, resp);
  return grpc::Status::OK;
}

grpc::Status RiskServiceImpl::SetThresholds(grpc::ServerContext* ctx,
                                            const v1::SetThresholdsRequest* req,
                                            v1::AlertThresholds* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  AlertThresholds t;
  t.merchant_id = *merchant;
  const std::string& a = req->single_payment_over().currency();
  const std::string& b = req->hourly_volume_over().currency();
  if (!a.empty() && !b.empty() && a != b) {
    return ToGrpcStatus(
        common::InvalidField("hourly_volume_over.currency", "both levels are in one currency"));
  }
  t.currency = !a.empty() ? a : !b.empty() ? b : "CNY";
  t.single_payment_minor = req->single_payment_over().amount_minor();
  t.hourly_volume_minor = req->hourly_volume_over().amount_minor();
  t.new_region = req->new_region();
  auto r = ops_.SetThresholds(t);
  common::SetAuditTarget(
      *ctx, absl::StrCat("merchant:", *merchant),
      r.ok() ? absl::StrCat("single=", t.single_payment_minor, " hourly=", t.hourly_volume_minor,
                            " ", t.currency, " new_region=", t.new_region ? "true" : "false")
             : std::string());
  if (!r.ok()) return ToGrpcStatus(r.status());
  ToProto(*r, resp);
  return grpc::Status::OK;
}

grpc::Status RiskServiceImpl::ListAlerts(grpc::ServerContext* ctx,
                                         const v1::ListRiskAlertsRequest* req,
                                         v1::ListRiskAlertsResponse* resp) {
  AGGPAY_AUTHORIZE(ctx);
  auto merchant = common::MerchantScope(*principal_or, req->merchant_id());
  if (!merchant.ok()) return ToGrpcStatus(merchant.status());
  auto size = common::PageSize(req->page().page_size());
  if (!size.ok()) return ToGrpcStatus(size.status());
  // The newest alerts in one page: this list never hands out a token, so none is valid.
  if (!req->page().page_token().empty()) {
    return ToGrpcStatus(
        common::InvalidField("page.page_token", "not a token of this list (it has one page)"));
  }
  auto list = ops_.ListAlerts(*merchant, *size);
  if (!list.ok()) return ToGrpcStatus(list.status());
  for (const auto& a : *list) {
    auto* out = resp->add_alerts();
    out->set_alert_id(a.alert_id);
    out->set_merchant_id(a.merchant_id);
    out->set_kind(a.kind);
    for (const auto& [k, v] : a.detail) (*out->mutable_detail())[k] = v;
    *out->mutable_created_at() = common::ToProtoTime(a.created_at);
  }
  return grpc::Status::OK;
}

}  // namespace aggpay::risk
