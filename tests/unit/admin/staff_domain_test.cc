#include <gtest/gtest.h>

#include "services/admin/domain/staff.h"

namespace aggpay::admin {
namespace {

Staff Valid() {
  Staff s;
  s.username = "alice";
  s.display_name = "Alice";
  s.role = "operator";
  return s;
}

TEST(StaffDomainTest, ValidatesNewAccountsNamingTheField) {
  EXPECT_TRUE(ValidateNewStaff(Valid()).ok());
  Staff s = Valid();
  s.username = "Al";
  EXPECT_NE(ValidateNewStaff(s).message().find("username"), absl::string_view::npos);
  s.username = "alice smith";
  EXPECT_EQ(ValidateNewStaff(s).code(), absl::StatusCode::kInvalidArgument);
  s = Valid();
  s.role = "root";
  EXPECT_NE(ValidateNewStaff(s).message().find("role"), absl::string_view::npos);
  for (const char* role : {"admin", "operator", "reviewer", "finance", "auditor"}) {
    s.role = role;
    EXPECT_TRUE(ValidateNewStaff(s).ok()) << role;
  }
}

TEST(StaffDomainTest, TokenUsableUntilExpiryRevocationOrDisable) {
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  StaffToken t;
  t.expires_at = now + absl::Hours(1);
  Staff s = Valid();
  EXPECT_TRUE(CheckTokenUsable(t, s, now).ok());
  EXPECT_TRUE(CheckTokenUsable(t, s, now + absl::Minutes(59)).ok());
  EXPECT_EQ(CheckTokenUsable(t, s, now + absl::Hours(1)).code(),
            absl::StatusCode::kUnauthenticated);
  t.revoked_at = now;
  EXPECT_EQ(CheckTokenUsable(t, s, now).message(), "token revoked");
  t.revoked_at.reset();
  s.status = StaffStatus::kDisabled;
  EXPECT_EQ(CheckTokenUsable(t, s, now).message(), "staff account disabled");
  EXPECT_FALSE(ValidateTokenTtl(absl::Seconds(59)).ok());
  EXPECT_TRUE(ValidateTokenTtl(absl::Hours(720)).ok());
}

}  // namespace
}  // namespace aggpay::admin
