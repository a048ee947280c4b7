#include "services/admin/expiry_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "aggpay/v1/merchant.grpc.pb.h"
#include "aggpay/v1/payment.grpc.pb.h"
#include "aggpay/v1/terminal.grpc.pb.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/proto_mapping.h"

namespace aggpay::admin {

namespace v1 = aggpay::v1;

ExpiryReport::ExpiryReport(const common::CertificateWatch* certificates,
                           std::shared_ptr<grpc::Channel> merchant,
                           std::shared_ptr<grpc::Channel> payment,
                           std::shared_ptr<grpc::Channel> terminal, std::string internal_secret,
                           const common::Clock& clock, ExpiryOptions options)
    : certificates_(certificates),
      merchant_(std::move(merchant)),
      payment_(std::move(payment)),
      terminal_(std::move(terminal)),
      internal_secret_(std::move(internal_secret)),
      clock_(clock),
      options_(options) {}

v1::ListExpiringResponse ExpiryReport::List(absl::Duration within) const {
  const absl::Time now = clock_.Now();
  const absl::Time horizon = now + within;
  v1::ListExpiringResponse out;
  auto add = [&](const std::string& kind, const std::string& id, const std::string& merchant,
                 const std::string& detail, absl::Time expires) {
    v1::ExpiringItem* item = out.add_items();
    item->set_kind(kind);
    item->set_id(id);
    item->set_merchant_id(merchant);
    item->set_detail(detail);
    *item->mutable_expires_at() = common::ToProtoTime(expires);
  };

  if (certificates_ != nullptr) {
    for (const auto& c : certificates_->Snapshot()) {
      if (!c.error.empty()) out.add_errors(absl::StrCat("certificate ", c.path, ": ", c.error));
      if (c.not_after != absl::InfinitePast() && c.not_after <= horizon) {
        add("certificate", c.path, "", c.subject, c.not_after);
      }
    }
  }

  // Due for rotation before the horizon: made before horizon - rotation_age.
  const absl::Time made_before = horizon - options_.rotation_age;
  {
    v1::ListAgedApiKeysRequest req;
    *req.mutable_created_before() = common::ToProtoTime(made_before);
    req.set_page_size(500);
    v1::ListApiKeysResponse resp;
    auto ctx = common::InternalContext(internal_secret_);
    grpc::Status s =
        v1::MerchantService::NewStub(merchant_)->ListAgedApiKeys(ctx.get(), req, &resp);
    if (!s.ok()) out.add_errors(absl::StrCat("merchant service: ", s.error_message()));
    for (const auto& k : resp.keys()) {
      add("api_key", k.key_id(), k.merchant_id(), "rotate: create a new key, move, revoke this one",
          common::FromProtoTime(k.created_at()) + options_.rotation_age);
    }
  }
  {
    v1::ListAgedWebhookSecretsRequest req;
    *req.mutable_set_before() = common::ToProtoTime(made_before);
    req.set_page_size(500);
    v1::ListAgedWebhookSecretsResponse resp;
    auto ctx = common::InternalContext(internal_secret_);
    grpc::Status s =
        v1::PaymentService::NewStub(payment_)->ListAgedWebhookSecrets(ctx.get(), req, &resp);
    if (!s.ok()) out.add_errors(absl::StrCat("payment service: ", s.error_message()));
    for (const auto& w : resp.secrets()) {
      add("webhook_secret", w.merchant_id(), w.merchant_id(),
          "rotate: configure the webhook again for a new secret",
          common::FromProtoTime(w.set_at()) + options_.rotation_age);
    }
  }
  {
    // A terminal's key stops working at last check-in + grace: due when that is before the
    // horizon, i.e. the last check-in is more than grace - within ago.
    v1::ListTerminalsRequest req;
    req.set_status("ACTIVE");
    req.set_checked_in_more_than_seconds_ago(
        std::max<int64_t>(1, absl::ToInt64Seconds(options_.terminal_check_in_grace - within)));
    req.set_page_size(500);
    v1::ListTerminalsResponse resp;
    auto ctx = common::InternalContext(internal_secret_);
    grpc::Status s = v1::TerminalService::NewStub(terminal_)->ListTerminals(ctx.get(), req, &resp);
    if (!s.ok()) out.add_errors(absl::StrCat("terminal service: ", s.error_message()));
    for (const auto& t : resp.terminals()) {
      const absl::Time expires =
          t.has_last_check_in_at()
              ? common::FromProtoTime(t.last_check_in_at()) + options_.terminal_check_in_grace
              : now;
      add("terminal_key", t.terminal_sn(), t.merchant_id(),
          t.has_last_check_in_at() ? "check in, or re-activate the terminal"
                                   : "never checked in: re-activate the terminal",
          expires);
    }
  }

  std::stable_sort(out.mutable_items()->begin(), out.mutable_items()->end(),
                   [](const v1::ExpiringItem& a, const v1::ExpiringItem& b) {
                     return common::FromProtoTime(a.expires_at()) <
                            common::FromProtoTime(b.expires_at());
                   });
  return out;
}

}  // namespace aggpay::admin
