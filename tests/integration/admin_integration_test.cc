// The admin service's repositories against a real MariaDB: staff tokens and the audit chain,
// including tampering behind the platform's back.
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/admin/mysql_audit_repository.h"
#include "services/admin/mysql_staff_repository.h"
#include "services/admin/staff_directory.h"
#include "services/common/clock/clock.h"
#include "tests/support/test_servers.h"

namespace aggpay::admin {
namespace {

using testing::SharedServers;

class AdminIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = SharedServers().CreateDatabase("admin");
    pool_ = *common::MysqlPool::Create(options_);
    staff_repo_ = std::make_unique<MysqlStaffRepository>(*pool_);
    audit_ = std::make_unique<MysqlAuditRepository>(*pool_);
    directory_ = std::make_unique<StaffDirectory>(*staff_repo_, clock_, absl::Hours(1));
  }

  void AppendN(int n) {
    for (int i = 0; i < n; ++i) {
      common::AuditRecord r;
      r.at = clock_.Now();
      r.actor = "staff:alice";
      r.role = "operator";
      r.action = "/aggpay.v1.AdminService/CreateStaff";
      r.target = absl::StrCat("username:u", i);
      r.request_id = absl::StrCat("req-", i);
      r.outcome = "OK";
      ASSERT_TRUE(audit_->Append(r).ok());
      clock_.Advance(absl::Seconds(1));
    }
  }

  common::AuditRecord Keyed(const std::string& key, const std::string& target) {
    common::AuditRecord r;
    r.at = clock_.Now();
    r.actor = "service:relay";
    r.role = "service";
    r.action = "/aggpay.v1.BindingService/ResetCode";
    r.target = target;
    r.request_id = absl::StrCat("req-", target);
    r.outcome = "OK";
    r.source_key = key;
    return r;
  }

  int64_t Count(const std::string& sql) {
    auto n = pool_->Run("count", [&](sql::Connection& c) -> absl::StatusOr<int64_t> {
      std::unique_ptr<sql::Statement> st(c.createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql));
      rs->next();
      return rs->getInt64(1);
    });
    return n.ok() ? *n : -1;
  }

  common::FakeClock clock_;
  common::MysqlOptions options_;
  std::unique_ptr<common::MysqlPool> pool_;
  std::unique_ptr<MysqlStaffRepository> staff_repo_;
  std::unique_ptr<MysqlAuditRepository> audit_;
  std::unique_ptr<StaffDirectory> directory_;
};

TEST_F(AdminIntegrationTest, TokensAuthenticateUntilExpiryOrRevocation) {
  auto staff = directory_->CreateStaff("fiona", "Fiona", "finance");
  ASSERT_TRUE(staff.ok()) << staff.status();
  auto token = directory_->IssueToken(staff->staff_id, absl::Minutes(30));
  ASSERT_TRUE(token.ok()) << token.status();
  auto who = directory_->Authenticate(token->token);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->role, "finance");
  EXPECT_EQ(who->username, "fiona");

  // Only the hash is stored.
  auto stored = staff_repo_->FindToken(token->token);
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->has_value());

  clock_.Advance(absl::Minutes(31));
  EXPECT_EQ(directory_->Authenticate(token->token).status().code(),
            absl::StatusCode::kUnauthenticated);

  auto second = directory_->IssueToken(staff->staff_id, absl::ZeroDuration());
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(directory_->Authenticate(second->token).ok());
  ASSERT_TRUE(directory_->RevokeToken(second->token_id).ok());
  EXPECT_EQ(directory_->Authenticate(second->token).status().message(), "token revoked");
  EXPECT_EQ(directory_->RevokeToken("tok_nope").code(), absl::StatusCode::kNotFound);
}

TEST_F(AdminIntegrationTest, DisablingStaffRevokesEveryToken) {
  auto staff = directory_->CreateStaff("olga", "", "operator");
  ASSERT_TRUE(staff.ok());
  auto token = directory_->IssueToken(staff->staff_id, absl::ZeroDuration());
  ASSERT_TRUE(token.ok());
  ASSERT_TRUE(directory_->DisableStaff(staff->staff_id).ok());
  EXPECT_EQ(directory_->Authenticate(token->token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(directory_->IssueToken(staff->staff_id, absl::ZeroDuration()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(directory_->DisableStaff("stf_missing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AdminIntegrationTest, DuplicateUsernameAndBadRoleWriteNothing) {
  ASSERT_TRUE(directory_->CreateStaff("dup", "", "auditor").ok());
  EXPECT_EQ(directory_->CreateStaff("dup", "", "auditor").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(directory_->CreateStaff("eve", "", "superuser").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto all = staff_repo_->ListStaff("", 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(AdminIntegrationTest, BootstrapAdminIsRepeatableAndIssuesFreshTokens) {
  auto first = directory_->BootstrapAdmin("root");
  auto second = directory_->BootstrapAdmin("root");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->staff.staff_id, second->staff.staff_id);
  EXPECT_NE(first->token.token, second->token.token);
  EXPECT_EQ(directory_->Authenticate(second->token.token)->role, "admin");
}

TEST_F(AdminIntegrationTest, AuditChainVerifiesAndListsInOrder) {
  AppendN(5);
  auto result = audit_->Verify();
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->ok) << result->problem;
  EXPECT_EQ(result->entries_checked, 5);
  auto page = audit_->List(AuditFilter{2, 2, "", ""});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, 3);
  EXPECT_EQ((*page)[1].record.target, "username:u3");
  EXPECT_EQ((*page)[1].prev_hash, (*page)[0].hash);
}

TEST_F(AdminIntegrationTest, VerifyCatchesAnEditedRow) {
  AppendN(5);
  SharedServers().Sql(options_.database,
                      "UPDATE audit_log SET outcome = 'PERMISSION_DENIED' WHERE seq = 3");
  auto result = audit_->Verify();
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->ok);
  EXPECT_EQ(result->first_broken_seq, 3);
  EXPECT_NE(result->problem.find("altered"), std::string::npos);
}

TEST_F(AdminIntegrationTest, VerifyCatchesDeletedRows) {
  AppendN(5);
  SharedServers().Sql(options_.database, "DELETE FROM audit_log WHERE seq = 2");
  auto middle = audit_->Verify();
  ASSERT_TRUE(middle.ok());
  EXPECT_FALSE(middle->ok);
  EXPECT_EQ(middle->first_broken_seq, 2);

  auto options = SharedServers().CreateDatabase("admin");
  auto pool = *common::MysqlPool::Create(options);
  MysqlAuditRepository audit(*pool);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        audit.Append(common::AuditRecord{clock_.Now(), "a", "r", "x", "t", "q", "OK", "", ""})
            .ok());
  }
  SharedServers().Sql(options.database, "DELETE FROM audit_log WHERE seq = 3");
  auto newest = audit.Verify();
  ASSERT_TRUE(newest.ok());
  EXPECT_FALSE(newest->ok);
  EXPECT_EQ(newest->first_broken_seq, 3);
}

// A relay that died between appending a batch and deleting its outbox rows delivers the same
// batch again: each source key is chained once, entries without a key every time.
TEST_F(AdminIntegrationTest, ARepeatedBatchChainsEachSourceKeyOnce) {
  const std::vector<common::AuditRecord> batch = {Keyed("outbox:1", "code:a"), Keyed("", "code:b"),
                                                  Keyed("outbox:2", "code:c")};
  ASSERT_TRUE(audit_->AppendBatch(batch).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log"), 3);
  ASSERT_TRUE(audit_->AppendBatch(batch).ok()) << "a repeat is not an error";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE source_key = 'outbox:1'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE source_key = 'outbox:2'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE source_key IS NULL"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log"), 4);

  // A batch of only chained keys appends nothing and leaves the head alone.
  ASSERT_TRUE(audit_->AppendBatch({Keyed("outbox:2", "code:c")}).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log"), 4);
  EXPECT_EQ(Count("SELECT last_seq FROM audit_chain_head WHERE id = 1"), 4);

  // The same key twice in one batch, next to a new one: the first occurrence wins.
  ASSERT_TRUE(audit_
                  ->AppendBatch({Keyed("outbox:3", "first"), Keyed("outbox:3", "second"),
                                 Keyed("outbox:1", "code:a")})
                  .ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE source_key = 'outbox:3'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE target = 'first'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log"), 5);

  auto result = audit_->Verify();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->ok) << result->problem;
  EXPECT_EQ(result->entries_checked, 5);
  auto page = audit_->List(AuditFilter{0, 10, "", ""});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 5u);
  for (size_t i = 0; i < page->size(); ++i) EXPECT_EQ((*page)[i].seq, static_cast<int64_t>(i + 1));
}

// Verify reads the head, then pages through the log. An append that commits between the two
// (rows past the head it read) is not a broken chain: it is left for the next run. Simulated
// deterministically by moving the head back one entry, as Verify would have read it just before
// that entry's append committed.
TEST_F(AdminIntegrationTest, VerifyChecksUpToTheHeadItReadAndLaterEntriesNextTime) {
  AppendN(3);
  auto first = audit_->Verify();
  ASSERT_TRUE(first.ok() && first->ok);
  EXPECT_EQ(first->entries_checked, 3);

  AppendN(2);
  auto second = audit_->Verify();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->ok) << second->problem;
  EXPECT_EQ(second->entries_checked, 5) << "entries appended after a verify are checked next time";

  SharedServers().Sql(options_.database,
                      "UPDATE audit_chain_head SET last_seq = 4, last_hash = (SELECT hash FROM "
                      "audit_log WHERE seq = 4) WHERE id = 1");
  auto racing = audit_->Verify();
  ASSERT_TRUE(racing.ok()) << racing.status();
  EXPECT_TRUE(racing->ok) << racing->problem;
  EXPECT_EQ(racing->entries_checked, 4);

  SharedServers().Sql(options_.database,
                      "UPDATE audit_chain_head SET last_seq = 5, last_hash = (SELECT hash FROM "
                      "audit_log WHERE seq = 5) WHERE id = 1");
  auto caught_up = audit_->Verify();
  ASSERT_TRUE(caught_up.ok()) << caught_up.status();
  EXPECT_TRUE(caught_up->ok) << caught_up->problem;
  EXPECT_EQ(caught_up->entries_checked, 5);

  // Bounding the range does not weaken the check: an edited entry within it is still caught.
  SharedServers().Sql(options_.database, "UPDATE audit_log SET target = 'forged' WHERE seq = 2");
  auto tampered = audit_->Verify();
  ASSERT_TRUE(tampered.ok());
  EXPECT_FALSE(tampered->ok);
  EXPECT_EQ(tampered->first_broken_seq, 2);
}

// A target longer than the column is cut on a character boundary, and the hash covers what is
// stored, so the chain verifies.
TEST_F(AdminIntegrationTest, ALongCjkTargetIsCutOnACharacterBoundaryAndStillVerifies) {
  // 301 bytes; the column holds 255, which falls inside the 85th character.
  std::string target = "a";
  for (int i = 0; i < 100; ++i) target += "\xE5\x86\xBB";
  common::AuditRecord r = Keyed("", target);
  ASSERT_TRUE(audit_->Append(r).ok());
  auto page = audit_->List(AuditFilter{0, 10, "", ""});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  std::string want = "a";
  for (int i = 0; i < 84; ++i) want += "\xE5\x86\xBB";  // 253 bytes: 85 whole characters
  EXPECT_EQ((*page)[0].record.target, want);
  auto result = audit_->Verify();
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->ok) << result->problem;
}

TEST_F(AdminIntegrationTest, ConcurrentAppendsKeepOneUnbrokenChain) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        common::AuditRecord r{clock_.Now(),
                              absl::StrCat("staff:t", t),
                              "operator",
                              "x",
                              absl::StrCat(i),
                              "q",
                              "OK",
                              "",
                              ""};
        absl::Status s = audit_->Append(r);
        for (int retry = 0; !s.ok() && absl::IsAborted(s) && retry < 5; ++retry) {
          s = audit_->Append(r);
        }
        EXPECT_TRUE(s.ok()) << s;
      }
    });
  }
  for (auto& th : threads) th.join();
  auto result = audit_->Verify();
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->ok) << result->problem;
  EXPECT_EQ(result->entries_checked, 100);
}

}  // namespace
}  // namespace aggpay::admin
