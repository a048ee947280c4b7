// The console's sign-in against a real MariaDB: password + TOTP, each code once, the lock after
// repeated failures, idle timeout and sign-out ending a session for every caller at once.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/admin/mysql_staff_repository.h"
#include "services/admin/sign_in_crypto.h"
#include "services/admin/staff_directory.h"
#include "services/common/clock/clock.h"
#include "tests/support/test_servers.h"
#include "tests/support/totp_uri.h"

namespace aggpay::admin {
namespace {

using testing::SharedServers;

constexpr absl::string_view kKey =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr absl::string_view kPassword = "a long enough password";

class ConsoleSignInTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = *common::MysqlPool::Create(SharedServers().CreateDatabase("console_sign_in"));
    repo_ = std::make_unique<MysqlStaffRepository>(*pool_);
    SignInOptions options;
    options.box = *common::SecretBox::FromHexKey(kKey);
    options.sessions.idle_timeout = absl::Minutes(15);
    options.sessions.max_lifetime = absl::Hours(12);
    options.sessions.lock_after_failures = 3;
    options.sessions.lock_for = absl::Minutes(10);
    directory_ = std::make_unique<StaffDirectory>(*repo_, clock_, absl::Hours(1), options);
    auto staff = directory_->CreateStaff("olivia", "Olivia", "operator");
    ASSERT_TRUE(staff.ok()) << staff.status();
    staff_id_ = staff->staff_id;
    auto uri = directory_->SetCredentials(staff_id_, kPassword, true);
    ASSERT_TRUE(uri.ok()) << uri.status();
    ASSERT_TRUE(absl::StartsWith(*uri, "otpauth://totp/aggpay:olivia?secret=")) << *uri;
    secret_ = testing::TotpSecretFromUri(*uri);
  }

  std::string Code(absl::Duration offset = absl::ZeroDuration()) {
    return TotpCode(secret_, TotpStep(clock_.Now() + offset));
  }

  common::FakeClock clock_;
  std::unique_ptr<common::MysqlPool> pool_;
  std::unique_ptr<MysqlStaffRepository> repo_;
  std::unique_ptr<StaffDirectory> directory_;
  std::string staff_id_;
  std::string secret_;
};

TEST_F(ConsoleSignInTest, PasswordAndCodeGiveASessionThatIsAStaffCredential) {
  auto in = directory_->SignIn("olivia", kPassword, Code());
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(absl::StartsWith(in->session_token, "agss_"));
  EXPECT_EQ(in->staff.staff_id, staff_id_);
  EXPECT_EQ(in->expires_at, clock_.Now() + absl::Hours(12));
  auto who = directory_->Authenticate(in->session_token);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->id, staff_id_);
  EXPECT_EQ(who->role, "operator");
  // Only the hash is stored.
  auto found = repo_->FindSession(common::Sha256Hex(in->session_token));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->first.session_id, in->session_id);
}

TEST_F(ConsoleSignInTest, EachCodeWorksOnceAndWrongAnswersLookAlike) {
  const std::string code = Code();
  ASSERT_TRUE(directory_->SignIn("olivia", kPassword, code).ok());
  auto replay = directory_->SignIn("olivia", kPassword, code);
  EXPECT_EQ(replay.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(replay.status().message(), "wrong username, password or code");
  // The next step's code (a clock 30 s ahead) is accepted.
  EXPECT_TRUE(directory_->SignIn("olivia", kPassword, Code(absl::Seconds(30))).ok());

  clock_.Advance(absl::Minutes(5));
  auto wrong_password = directory_->SignIn("olivia", "not the password", Code());
  auto unknown = directory_->SignIn("nobody", kPassword, Code());
  EXPECT_EQ(wrong_password.status().message(), unknown.status().message());
  EXPECT_EQ(directory_->SignIn("olivia", kPassword, "").status().message(),
            "totp_code: is required");
}

TEST_F(ConsoleSignInTest, RepeatedFailuresLockTheAccountForAWhile) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(directory_->SignIn("olivia", "not the password", Code()).status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  auto locked = directory_->SignIn("olivia", kPassword, Code());
  EXPECT_EQ(locked.status().message(), "too many failed sign-ins; try again later");
  clock_.Advance(absl::Minutes(11));
  EXPECT_TRUE(directory_->SignIn("olivia", kPassword, Code()).ok());
}

TEST_F(ConsoleSignInTest, IdleSessionsTimeOutAndActivityKeepsThemAlive) {
  auto in = directory_->SignIn("olivia", kPassword, Code());
  ASSERT_TRUE(in.ok());
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(absl::Minutes(10));
    EXPECT_TRUE(directory_->Authenticate(in->session_token).ok()) << i;
  }
  clock_.Advance(absl::Minutes(16));
  EXPECT_EQ(directory_->Authenticate(in->session_token).status().message(), "session timed out");
}

TEST_F(ConsoleSignInTest, SignOutAndDisablingEndSessions) {
  auto a = directory_->SignIn("olivia", kPassword, Code());
  auto b = directory_->SignIn("olivia", kPassword, Code(absl::Seconds(30)));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(directory_->SignOut(a->session_token).ok());
  EXPECT_EQ(directory_->Authenticate(a->session_token).status().message(), "session ended");
  EXPECT_TRUE(directory_->SignOut(a->session_token).ok());  // twice is fine
  EXPECT_EQ(directory_->SignOut("agss_unknown").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(directory_->Authenticate(b->session_token).ok());
  ASSERT_TRUE(directory_->DisableStaff(staff_id_).ok());
  EXPECT_EQ(directory_->Authenticate(b->session_token).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(ConsoleSignInTest, AnAccountWithoutAPasswordCannotSignIn) {
  auto bob = directory_->CreateStaff("bob", "Bob", "auditor");
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(directory_->SignIn("bob", kPassword, Code()).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(directory_->SetCredentials(bob->staff_id, "short", true).status().message(),
            "password: must be at least 12 characters");
}

TEST_F(ConsoleSignInTest, BootstrapAdminPrintsAWorkingPasswordAndTotpSecret) {
  auto boot = directory_->BootstrapAdmin("root");
  ASSERT_TRUE(boot.ok()) << boot.status();
  ASSERT_TRUE(boot->credentials.has_value());
  secret_ = testing::TotpSecretFromUri(boot->credentials->totp_uri);
  auto in = directory_->SignIn("root", boot->credentials->password, Code());
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(directory_->Authenticate(in->session_token)->role, "admin");
}

}  // namespace
}  // namespace aggpay::admin
