// The merchant portal's pure rules: the sign-in code's send limits, its lock after wrong codes,
// and when a session is alive.
#include "services/merchant/domain/portal.h"

#include <gtest/gtest.h>

#include "services/common/status/field_errors.h"

namespace aggpay::merchant {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(PortalRoleTest, NamesRoundTripAndUnknownIsRefused) {
  for (PortalRole r : {PortalRole::kOwner, PortalRole::kCashier, PortalRole::kViewer}) {
    EXPECT_EQ(ParsePortalRole(PortalRoleName(r)), r);
  }
  EXPECT_EQ(ParsePortalRole("admin"), std::nullopt);
  EXPECT_EQ(ParsePortalRole("Owner"), std::nullopt);
}

TEST(PortalSignInTest, OneCodeAMinuteAndFiveAnHour) {
  SignInLimits limits;
  SignInDecision d = DecideSend(std::nullopt, kT0, limits, "h1");
  ASSERT_TRUE(d.answer.ok());
  ASSERT_TRUE(d.store.has_value());
  EXPECT_EQ(d.store->otp_hash, "h1");
  EXPECT_EQ(d.store->expires_at, kT0 + absl::Minutes(5));
  EXPECT_EQ(d.store->sends_in_window, 1);

  SignInDecision again = DecideSend(d.store, kT0 + absl::Seconds(30), limits, "h2");
  EXPECT_EQ(again.answer.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(common::ErrorRetryAfter(again.answer), absl::Seconds(30));
  EXPECT_FALSE(again.store.has_value());

  SignInCodeState s = *d.store;
  for (int i = 2; i <= 5; ++i) {
    SignInDecision next = DecideSend(s, kT0 + absl::Minutes(i), limits, "h");
    ASSERT_TRUE(next.answer.ok()) << i;
    s = *next.store;
  }
  EXPECT_EQ(s.sends_in_window, 5);
  SignInDecision sixth = DecideSend(s, kT0 + absl::Minutes(7), limits, "h");
  EXPECT_EQ(sixth.answer.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(std::string(sixth.answer.message()), "mobile: at most 5 codes an hour");
  // A new window an hour after the first send.
  SignInDecision later = DecideSend(s, kT0 + absl::Minutes(61), limits, "h");
  ASSERT_TRUE(later.answer.ok());
  EXPECT_EQ(later.store->sends_in_window, 1);
}

TEST(PortalSignInTest, RightCodeWorksOnceWrongOnesLockTheNumber) {
  SignInLimits limits;
  SignInCodeState s = *DecideSend(std::nullopt, kT0, limits, "right").store;
  SignInDecision ok = DecideVerify(s, kT0 + absl::Minutes(1), limits, "right");
  ASSERT_TRUE(ok.answer.ok());
  EXPECT_TRUE(ok.store->otp_hash.empty());
  // Spent: the same code again is wrong.
  SignInDecision replay = DecideVerify(*ok.store, kT0 + absl::Minutes(2), limits, "right");
  EXPECT_EQ(replay.answer.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(replay.store->failures, 1);

  s = *DecideSend(std::nullopt, kT0, limits, "right").store;
  for (int i = 1; i < 5; ++i) {
    SignInDecision wrong = DecideVerify(s, kT0 + absl::Seconds(i), limits, "wrong");
    EXPECT_EQ(wrong.answer.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(std::string(wrong.answer.message()), "wrong mobile or code");
    s = *wrong.store;
  }
  SignInDecision fifth = DecideVerify(s, kT0 + absl::Seconds(5), limits, "wrong");
  EXPECT_EQ(fifth.answer.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(common::ErrorField(fifth.answer), "mobile");
  s = *fifth.store;
  // Locked: even the right code, and new codes, are refused for 15 minutes.
  EXPECT_EQ(DecideVerify(s, kT0 + absl::Minutes(1), limits, "right").answer.code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideSend(s, kT0 + absl::Minutes(10), limits, "h").answer.code(),
            absl::StatusCode::kFailedPrecondition);
  SignInDecision after = DecideSend(s, kT0 + absl::Minutes(16), limits, "new");
  ASSERT_TRUE(after.answer.ok());
  EXPECT_EQ(after.store->failures, 0);
  EXPECT_FALSE(after.store->locked_until.has_value());
}

TEST(PortalSignInTest, ExpiredCodeIsWrong) {
  SignInLimits limits;
  SignInCodeState s = *DecideSend(std::nullopt, kT0, limits, "right").store;
  EXPECT_EQ(DecideVerify(s, kT0 + absl::Minutes(5), limits, "right").answer.code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(DecideVerify(std::nullopt, kT0, limits, "right").answer.code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(PortalSessionTest, IdleLifetimeAndEnd) {
  SessionLimits limits;
  const absl::Time expires = kT0 + limits.lifetime;
  EXPECT_TRUE(SessionAlive(kT0, expires, std::nullopt, kT0 + absl::Minutes(14), limits));
  EXPECT_FALSE(SessionAlive(kT0, expires, std::nullopt, kT0 + absl::Minutes(15), limits));
  EXPECT_FALSE(SessionAlive(expires - absl::Minutes(1), expires, std::nullopt, expires, limits));
  EXPECT_FALSE(SessionAlive(kT0, expires, kT0, kT0 + absl::Seconds(1), limits));
}

}  // namespace
}  // namespace aggpay::merchant
