#include "services/settlement/settlement_directory.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <utility>

#include "aggpay/v1/fee.grpc.pb.h"
#include "aggpay/v1/merchant.grpc.pb.h"
#include "aggpay/v1/payment.grpc.pb.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/status_mapping.h"

namespace aggpay::settlement {

GrpcSettlementDirectory::GrpcSettlementDirectory(std::shared_ptr<grpc::Channel> fee,
                                                 std::shared_ptr<grpc::Channel> merchant,
                                                 std::shared_ptr<grpc::Channel> payment,
                                                 std::string internal_secret)
    : fee_(std::move(fee)),
      merchant_(std::move(merchant)),
      payment_(std::move(payment)),
      internal_secret_(std::move(internal_secret)) {}

absl::StatusOr<std::vector<std::string>> GrpcSettlementDirectory::PlanIds(
    const std::string& cycle) {
  auto stub = aggpay::v1::FeeService::NewStub(fee_);
  std::vector<std::string> out;
  std::string token;
  do {
    auto ctx = common::InternalContext(internal_secret_);
    aggpay::v1::ListPlansRequest req;
    req.set_page_size(100);
    req.set_page_token(token);
    aggpay::v1::ListPlansResponse resp;
    grpc::Status s = stub->ListPlans(ctx.get(), req, &resp);
    if (!s.ok()) return common::FromGrpcStatus(s);
    for (const auto& p : resp.plans()) {
      if (p.settlement() == cycle) out.push_back(p.plan_id());
    }
    token = resp.next_page_token();
  } while (!token.empty());
  return out;
}

absl::StatusOr<std::set<std::string>> GrpcSettlementDirectory::FrozenMerchants() {
  auto stub = aggpay::v1::MerchantService::NewStub(merchant_);
  std::set<std::string> out;
  for (const char* status : {"FROZEN", "SUBMITTED", "IN_REVIEW"}) {
    std::string token;
    do {
      auto ctx = common::InternalContext(internal_secret_);
      aggpay::v1::ListMerchantsRequest req;
      req.set_status(status);
      req.set_page_size(100);
      req.set_page_token(token);
      aggpay::v1::ListMerchantsResponse resp;
      grpc::Status s = stub->ListMerchants(ctx.get(), req, &resp);
      if (!s.ok()) return common::FromGrpcStatus(s);
      for (const auto& m : resp.merchants()) out.insert(m.merchant_id());
      token = resp.next_page_token();
    } while (!token.empty());
  }
  return out;
}

absl::StatusOr<std::map<std::string, PayoutAccount>> GrpcSettlementDirectory::PayoutAccounts(
    const std::vector<std::string>& merchant_ids) {
  auto stub = aggpay::v1::MerchantService::NewStub(merchant_);
  std::map<std::string, PayoutAccount> out;
  constexpr size_t kChunk = 1000;  // the RPC's limit
  for (size_t from = 0; from < merchant_ids.size(); from += kChunk) {
    auto ctx = common::InternalContext(internal_secret_);
    aggpay::v1::ListPayoutAccountsRequest req;
    for (size_t i = from; i < std::min(merchant_ids.size(), from + kChunk); ++i) {
      req.add_merchant_ids(merchant_ids[i]);
    }
    aggpay::v1::ListPayoutAccountsResponse resp;
    grpc::Status s = stub->ListPayoutAccounts(ctx.get(), req, &resp);
    if (!s.ok()) return common::FromGrpcStatus(s);
    for (const auto& a : resp.accounts()) {
      out[a.merchant_id()] = {a.account().kind(), a.account().bank_name(),
                              a.account().account_name(), a.account().account_number()};
    }
  }
  return out;
}

absl::Status GrpcSettlementDirectory::CloseBusinessDay(const std::string& date) {
  auto stub = aggpay::v1::PaymentService::NewStub(payment_);
  // It waits for the transactions recording successes on the day: seconds at most.
  auto ctx = common::InternalContext(internal_secret_, absl::Seconds(60));
  aggpay::v1::CloseBusinessDayRequest req;
  req.set_date(date);
  aggpay::v1::CloseBusinessDayResponse resp;
  grpc::Status s = stub->CloseBusinessDay(ctx.get(), req, &resp);
  if (!s.ok()) return common::FromGrpcStatus(s);
  return absl::OkStatus();
}

}  // namespace aggpay::settlement
