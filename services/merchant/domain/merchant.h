#pragma once

#include <optional>
#include <string>

#include "absl/time/time.h"

namespace aggpay::merchant {

struct Merchant {
  std::string merchant_id;
  std::string display_name;
  std::string legal_name;
  std::string kind;    // INDIVIDUAL, SMALL_BUSINESS, ENTERPRISE
  std::string status;  // DRAFT ... ACTIVE, FROZEN, CLOSED
  std::string home_currency;
  std::string time_zone;
  std::string region;
  std::string contact_phone;
  std::optional<std::string> agent_id;
  absl::Time created_at;
};

enum class ApiKeyStatus { kActive, kRevoked };

// Count limits (docs/api.md "Limits"): one more is FAILED_PRECONDITION naming the field.
inline constexpr size_t kMaxActiveApiKeys = 10;        // per merchant; revoke one to add one
inline constexpr size_t kMaxStoresPerMerchant = 1000;  // ListStores is one unpaged answer
inline constexpr size_t kMaxPortalUsersPerMerchant = 50;

struct ApiKey {
  std::string key_id;
  std::string merchant_id;
  std::string secret_sealed;
  ApiKeyStatus status = ApiKeyStatus::kActive;
  absl::Time created_at;
  std::optional<absl::Time> revoked_at;
};

// 13812345678 -> 138****5678: enough for the merchant to recognise, not enough to misuse.
std::string MaskPhone(const std::string& phone);

}  // namespace aggpay::merchant
