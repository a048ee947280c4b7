#include "services/binding/binding_directory.h"

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "aggpay/v1/merchant.grpc.pb.h"
#include "aggpay/v1/terminal.grpc.pb.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/status_mapping.h"

namespace aggpay::binding {
absl::StatusOr<MerchantSnapshot> GrpcBindingDirectory::Merchant(const std::string& merchant_id) {
  auto stub = aggpay::v1::MerchantService::NewStub(merchant_);
  aggpay::v1::MerchantRef req;
  req.set_merchant_id(merchant_id);
  aggpay::v1::MerchantApplication resp;
  auto ctx = common::InternalContext(internal_secret_);
  grpc::Status s = stub->GetApplication(ctx.get(), req, &resp);
  if (!s.ok()) return common::FromGrpcStatus(s);
  MerchantSnapshot out{resp.merchant_id(),
                       resp.status(),
                       resp.spec().display_name(),
                       resp.spec().contact_phone(),
                       {}};
  for (const auto& sm : resp.sub_merchants()) {
    out.sub_merchant_ids.emplace_back(sm.channel(), sm.sub_merchant_id());
  }
  return out;
}

absl::StatusOr<TerminalSnapshot> GrpcBindingDirectory::Terminal(const std::string& terminal_sn) {
  auto stub = aggpay::v1::TerminalService::NewStub(terminal_);
  aggpay::v1::GetTerminalRequest req;
  req.set_terminal_sn(terminal_sn);
  aggpay::v1::Terminal resp;
  auto ctx = common::InternalContext(internal_secret_);
  grpc::Status s = stub->GetTerminal(ctx.get(), req, &resp);
  if (!s.ok()) return common::FromGrpcStatus(s);
  TerminalSnapshot out{resp.terminal_sn(), resp.merchant_id(), resp.store_id(), resp.status(), {}};
  for (const auto& c : resp.capabilities()) out.capabilities.push_back(c);
  return out;
}

absl::Status GrpcBindingDirectory::CheckStore(const std::string& merchant_id,
                                              const std::string& store_id) {
  auto stub = aggpay::v1::MerchantService::NewStub(merchant_);
  aggpay::v1::MerchantRef req;
  req.set_merchant_id(merchant_id);
  aggpay::v1::ListStoresResponse resp;
  auto ctx = common::InternalContext(internal_secret_);
  grpc::Status s = stub->ListStores(ctx.get(), req, &resp);
  if (!s.ok()) return common::FromGrpcStatus(s);
  for (const auto& store : resp.stores()) {
    if (store.store_id() == store_id) return absl::OkStatus();
  }
  return absl::NotFoundError("no such store for this merchant");
}

}  // namespace aggpay::binding
