#include <grpcpp/grpcpp.h>

#include "aggpay/v1/binding.grpc.pb.h"
#include "aggpay/v1/merchant.grpc.pb.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/status/field_errors.h"
#include "services/terminal/merchant_directory.h"

namespace aggpay::terminal {
absl::StatusOr<MerchantInfo> GrpcMerchantDirectory::GetMerchant(const std::string& merchant_id) {
  auto stub = aggpay::v1::MerchantService::NewStub(merchant_);
  aggpay::v1::GetMerchantRequest req;
  req.set_merchant_id(merchant_id);
  aggpay::v1::Merchant resp;
  auto ctx = common::InternalContext(internal_secret_);
  grpc::Status s = stub->GetMerchant(ctx.get(), req, &resp);
  if (!s.ok()) return common::FromGrpcStatus(s);
  return MerchantInfo{resp.merchant_id(), resp.status(), resp.time_zone()};
}

absl::Status GrpcMerchantDirectory::CheckStore(const std::string& merchant_id,
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
  return absl::NotFoundError("store_id: no such store for this merchant");
}

absl::StatusOr<std::string> GrpcCodeSource::CurrentCodeUrl(const std::string& terminal_sn) {
  auto stub = aggpay::v1::BindingService::NewStub(binding_);
  aggpay::v1::TerminalCodeRequest req;
  req.set_terminal_sn(terminal_sn);
  aggpay::v1::TerminalCodeResponse resp;
  auto ctx = common::InternalContext(internal_secret_);
  grpc::Status s = stub->TerminalCode(ctx.get(), req, &resp);
  if (!s.ok()) return common::FromGrpcStatus(s);
  return resp.url();
}

}  // namespace aggpay::terminal
