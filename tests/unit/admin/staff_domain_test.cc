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

namespace aggpay::admin {
namespace {

TEST(StaffDomainTest, SessionsEndWhenIdleExpiredEndedOrDisabled) {
  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  SessionPolicy policy;
  policy.idle_timeout = absl::Minutes(15);
  StaffSession session;
  session.created_at = t0;
  session.last_seen_at = t0;
  session.expires_at = t0 + absl::Hours(12);
  Staff staff;
  EXPECT_TRUE(CheckSessionUsable(session, staff, policy, t0 + absl::Minutes(15)).ok());
  EXPECT_EQ(CheckSessionUsable(session, staff, policy, t0 + absl::Minutes(16)).message(),
            "session timed out");
  session.last_seen_at = t0 + absl::Hours(11) + absl::Minutes(59);
  EXPECT_TRUE(
      CheckSessionUsable(session, staff, policy, t0 + absl::Hours(12) - absl::Seconds(1)).ok());
  EXPECT_EQ(CheckSessionUsable(session, staff, policy, t0 + absl::Hours(12)).message(),
            "session expired");
  session.last_seen_at = t0;
  session.ended_at = t0 + absl::Minutes(1);
  EXPECT_EQ(CheckSessionUsable(session, staff, policy, t0 + absl::Minutes(2)).code(),
            absl::StatusCode::kUnauthenticated);
  session.ended_at.reset();
  staff.status = StaffStatus::kDisabled;
  EXPECT_EQ(CheckSessionUsable(session, staff, policy, t0 + absl::Minutes(2)).message(),
            "staff account disabled");
}

TEST(StaffDomainTest, PasswordsAreTwelveTo128Bytes) {
  EXPECT_NE(ValidateNewPassword("short").message().find("password"), absl::string_view::npos);
  EXPECT_TRUE(ValidateNewPassword("twelve chars").ok());
  EXPECT_EQ(ValidateNewPassword(std::string(129, 'x')).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace aggpay::admin
