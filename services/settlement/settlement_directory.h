#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/settlement/domain/settlement.h"

namespace grpc {
class Channel;
}

namespace aggpay::settlement {

// What settlement asks other services, always before it opens a transaction.
class SettlementDirectory {
 public:
  virtual ~SettlementDirectory() = default;
  // The fee plans whose payments settle on `cycle` ("T1" or "D0") (fee service).
  virtual absl::StatusOr<std::vector<std::string>> PlanIds(const std::string& cycle) = 0;
  // Merchants whose payouts are held now (merchant service): frozen ones, and ones back in
  // review (a changed settlement account is reviewed before anything is paid to it).
  virtual absl::StatusOr<std::set<std::string>> FrozenMerchants() = 0;
  // Closes a business date (payment service): once it answers, every success recorded on
  // `date` has committed, and no later one is recorded on it.
  virtual absl::Status CloseBusinessDay(const std::string& date) = 0;
  // The settlement accounts of these merchants, in full (merchant service); merchants without
  // one are left out.
  virtual absl::StatusOr<std::map<std::string, PayoutAccount>> PayoutAccounts(
      const std::vector<std::string>& merchant_ids) = 0;
};

class GrpcSettlementDirectory final : public SettlementDirectory {
 public:
  GrpcSettlementDirectory(std::shared_ptr<grpc::Channel> fee,
                          std::shared_ptr<grpc::Channel> merchant,
                          std::shared_ptr<grpc::Channel> payment, std::string internal_secret);
  absl::StatusOr<std::vector<std::string>> PlanIds(const std::string& cycle) override;
  absl::StatusOr<std::set<std::string>> FrozenMerchants() override;
  absl::Status CloseBusinessDay(const std::string& date) override;
  absl::StatusOr<std::map<std::string, PayoutAccount>> PayoutAccounts(
      const std::vector<std::string>& merchant_ids) override;

 private:
  std::shared_ptr<grpc::Channel> fee_;
  std::shared_ptr<grpc::Channel> merchant_;
  std::shared_ptr<grpc::Channel> payment_;
  std::string internal_secret_;
};

}  // namespace aggpay::settlement
