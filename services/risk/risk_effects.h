#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"

namespace grpc {
class Channel;
}

namespace aggpay::risk {

// What risk asks of the services that own merchants, terminals and notifications. Each call is
// idempotent: the action relay repeats it until it succeeds.
class RiskEffects {
 public:
  virtual ~RiskEffects() = default;
  // Collection frozen through the merchant service (the revoke path of the binding service).
  virtual absl::Status FreezeCollection(const std::string& merchant_id,
                                        const std::string& reason) = 0;
  virtual absl::Status UnfreezeCollection(const std::string& merchant_id,
                                          const std::string& reason) = 0;
  // Every terminal of the merchant offline, held until released.
  virtual absl::Status ForceTerminalsOffline(const std::string& merchant_id,
                                             const std::string& reason) = 0;
  virtual absl::Status ReleaseTerminals(const std::string& merchant_id,
                                        const std::string& reason) = 0;
  // A merchant notification through the payment service's notifier.
  virtual absl::Status Notify(const std::string& merchant_id, const std::string& ref_id,
                              const std::string& body) = 0;
  // OK when the merchant service knows the merchant, NOT_FOUND naming it when it does not (risk
  // asks the owner of the merchants over its RPC; it never reads their tables).
  virtual absl::Status MerchantExists(const std::string& merchant_id) = 0;
};

class GrpcRiskEffects final : public RiskEffects {
 public:
  GrpcRiskEffects(std::shared_ptr<grpc::Channel> merchant, std::shared_ptr<grpc::Channel> terminal,
                  std::shared_ptr<grpc::Channel> payment, std::string internal_secret)
      : merchant_(std::move(merchant)),
        terminal_(std::move(terminal)),
        payment_(std::move(payment)),
        internal_secret_(std::move(internal_secret)) {}
  absl::Status FreezeCollection(const std::string& merchant_id, const std::string& reason) override;
  absl::Status UnfreezeCollection(const std::string& merchant_id,
                                  const std::string& reason) override;
  absl::Status ForceTerminalsOffline(const std::string& merchant_id,
                                     const std::string& reason) override;
  absl::Status ReleaseTerminals(const std::string& merchant_id, const std::string& reason) override;
  absl::Status Notify(const std::string& merchant_id, const std::string& ref_id,
                      const std::string& body) override;
  absl::Status MerchantExists(const std::string& merchant_id) override;

 private:
  absl::Status MerchantStep(bool freeze, const std::string& merchant_id, const std::string& reason);
  std::shared_ptr<grpc::Channel> merchant_;
  std::shared_ptr<grpc::Channel> terminal_;
  std::shared_ptr<grpc::Channel> payment_;
  std::string internal_secret_;
};

}  // namespace aggpay::risk
