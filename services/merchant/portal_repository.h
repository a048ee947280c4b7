#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/merchant/domain/portal.h"

namespace aggpay::merchant {

// The merchant portal's storage (migration 0017_merchant_portal.sql): users, sign-in codes and
// sessions.

inline constexpr char kRegisteredOwner[] = "registered";

struct MerchantUserRecord {
  std::string user_id;
  std::string merchant_id;
  std::string mobile;
  PortalRole role = PortalRole::kViewer;
  std::string invited_by;
  absl::Time created_at;
  // Read-only: the merchant's display name, filled on reads.
  std::string merchant_name;
};

struct PortalSessionRecord {
  std::string token_hash;
  std::string user_id;
  std::string merchant_id;
  absl::Time created_at;
  absl::Time last_seen_at;
  absl::Time expires_at;
  std::optional<absl::Time> ended_at;
};

class PortalRepository {
 public:
  virtual ~PortalRepository() = default;

  // The user with this mobile. When there is none and the number is the registered contact
  // phone of a merchant that is not CLOSED (the oldest, if several), that merchant's owner is
  // added first, as `new_user_id` (invited_by kRegisteredOwner).
  virtual absl::StatusOr<std::optional<MerchantUserRecord>> FindOrAdoptUser(
      const std::string& mobile, const std::string& new_user_id, absl::Time now) = 0;

  // Runs `decide` on the number's sign-in state under its row lock, stores what it says to, and
  // returns its answer (a refused code still stores its counted failure).
  using SignInCheck = std::function<SignInDecision(const std::optional<SignInCodeState>&)>;
  virtual absl::Status UpdateSignInCode(const std::string& mobile, const SignInCheck& decide) = 0;

  virtual absl::Status CreateSession(const PortalSessionRecord& session) = 0;
  // The session and its user, or none when either is gone.
  virtual absl::StatusOr<std::optional<std::pair<PortalSessionRecord, MerchantUserRecord>>>
  GetSession(const std::string& token_hash) = 0;
  virtual absl::Status TouchSession(const std::string& token_hash, absl::Time now) = 0;
  // NOT_FOUND when no live session has this hash.
  virtual absl::Status EndSession(const std::string& token_hash, absl::Time now) = 0;

  virtual absl::StatusOr<std::vector<MerchantUserRecord>> ListUsers(
      const std::string& merchant_id) = 0;
  // ALREADY_EXISTS naming "mobile" when the number is already a user.
  virtual absl::Status AddUser(const MerchantUserRecord& user) = 0;
  // Deletes the user and ends its sessions in one transaction; NOT_FOUND when the merchant has
  // no such user. `allowed` may refuse after reading it (the registered owner).
  virtual absl::StatusOr<MerchantUserRecord> RemoveUser(
      const std::string& merchant_id, const std::string& user_id, absl::Time now,
      const std::function<absl::Status(const MerchantUserRecord&)>& allowed) = 0;
};

}  // namespace aggpay::merchant
