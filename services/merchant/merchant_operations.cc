#include "services/merchant/merchant_operations.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/log/logging.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"
#include "services/merchant/domain/merchant.h"

namespace aggpay::merchant {

absl::StatusOr<Merchant> MerchantOperations::GetMerchant(const std::string& merchant_id) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  ASSIGN_OR_RETURN(std::optional<Merchant> m, repo_.GetMerchant(merchant_id));
  if (!m) return absl::NotFoundError("merchant not found");
  return *m;
}

absl::StatusOr<CreatedApiKey> MerchantOperations::CreateApiKey(const std::string& merchant_id) {
  ASSIGN_OR_RETURN(Merchant merchant, GetMerchant(merchant_id));
  if (merchant.status == "CLOSED") {
    return common::FailedPreconditionField("merchant_id", "the merchant is closed");
  }
  ASSIGN_OR_RETURN(std::vector<ApiKey> keys, repo_.ListApiKeys(merchant_id));
  const auto active = std::count_if(
      keys.begin(), keys.end(), [](const ApiKey& k) { return k.status == ApiKeyStatus::kActive; });
  if (static_cast<size_t>(active) >= kMaxActiveApiKeys) {
    return common::FailedPreconditionField(
        "merchant_id", absl::StrCat("a merchant may hold at most ", kMaxActiveApiKeys,
                                    " active API keys: revoke one first"));
  }
  CreatedApiKey out;
  out.secret = common::RandomToken(32);
  out.key.key_id = absl::StrCat("ak_", common::RandomToken(12));
  out.key.merchant_id = merchant_id;
  ASSIGN_OR_RETURN(out.key.secret_sealed, box_.Seal(out.secret));
  out.key.status = ApiKeyStatus::kActive;
  out.key.created_at = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
  RETURN_IF_ERROR(repo_.CreateApiKey(out.key));
  return out;
}

absl::StatusOr<std::vector<ApiKey>> MerchantOperations::ListApiKeys(
    const std::string& merchant_id) {
  RETURN_IF_ERROR(GetMerchant(merchant_id).status());
  return repo_.ListApiKeys(merchant_id);
}

absl::StatusOr<ApiKey> MerchantOperations::RevokeApiKey(const std::string& key_id,
                                                        const std::string& merchant_scope) {
  RETURN_IF_ERROR(common::ValidateId(key_id, "key_id"));
  if (!merchant_scope.empty()) {
    ASSIGN_OR_RETURN(std::optional<ApiKey> key, repo_.GetApiKey(key_id));
    if (!key || key->merchant_id != merchant_scope) return absl::NotFoundError("api key not found");
  }
  return repo_.RevokeApiKey(key_id, clock_.Now());
}

absl::StatusOr<ApiKey> MerchantOperations::AuthenticateRequest(const SignedRequest& request) {
  RETURN_IF_ERROR(CheckRequestShape(request, clock_.Now(), timestamp_window_));
  ASSIGN_OR_RETURN(std::optional<ApiKey> key, repo_.GetApiKey(request.key_id));
  // Unknown and revoked keys get the same answer: the caller learns nothing about which ids exist.
  if (!key || key->status != ApiKeyStatus::kActive) {
    return absl::UnauthenticatedError("unknown or revoked key");
  }
  auto secret = box_.Open(key->secret_sealed);
  if (!secret.ok()) {
    spdlog::error("api key {} cannot be unsealed: is AGGPAY_SECRET_KEY the one it was sealed with?",
                  key->key_id);
    return absl::InternalError("api key cannot be unsealed");
  }
  if (!SignatureMatches(request, *secret)) {
    return absl::UnauthenticatedError("signature does not match");
  }
  const bool mutating = request.method != "GET" && request.method != "HEAD";
  int64_t signed_at = 0;
  if (!absl::SimpleAtoi(request.timestamp, &signed_at)) {
    return absl::UnauthenticatedError("timestamp must be Unix seconds");
  }
  ASSIGN_OR_RETURN(absl::Duration wait,
                   guard_.Admit(key->key_id, request.nonce, signed_at, mutating));
  if (wait > absl::ZeroDuration()) {
    return common::ResourceExhaustedRetryAfter("rate limit exceeded", wait);
  }
  return *key;
}

}  // namespace aggpay::merchant
