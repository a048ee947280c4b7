// The audit outbox relay (services/common/audit/audit_outbox.h) against a real MariaDB, with the
// real audit chain (MysqlAuditRepository) as its sink: rows left in audit_outbox are appended
// exactly once, under their "outbox:<key>" source key ("outbox:<id>" for rows written before
// rows had keys), and deleted only after the append; a sink
// that fails leaves them for the next sweep; a delivery repeated after a crash between append and
// delete is chained once.
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <grpcpp/server_context.h>
#include <grpcpp/test/server_context_test_spouse.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/admin/mysql_audit_repository.h"
#include "services/common/audit/audit_outbox.h"
#include "services/common/crypto/crypto.h"
#include "services/common/metrics/metrics.h"
#include "tests/support/test_servers.h"

namespace aggpay::common {
namespace {

using testing::SharedServers;

class FailingSink final : public AuditSink {
 public:
  absl::Status Append(const AuditRecord&) override {
    ++calls;
    return absl::UnavailableError("admin service unavailable");
  }
  absl::Status AppendBatch(const std::vector<AuditRecord>&) override {
    ++calls;
    return absl::UnavailableError("admin service unavailable");
  }
  std::atomic<int> calls{0};
};

class AuditOutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = SharedServers().CreateDatabase("outbox");
    pool_ = *MysqlPool::Create(db_);
    chain_ = std::make_unique<admin::MysqlAuditRepository>(*pool_);
  }

  // An outbox row as a committed mutation leaves it, `age` old, with `key` (none: a row written
  // before rows had keys); returns its id.
  int64_t InsertRow(const std::string& actor, const std::string& target, absl::Duration age,
                    const std::string& key = "") {
    SharedServers().Sql(
        db_.database,
        absl::StrCat("INSERT INTO audit_outbox (outbox_key, at, actor, role, action, target, "
                     "request_id, details, created_at) VALUES (",
                     key.empty() ? "NULL" : absl::StrCat("'", key, "'"), ", NOW(6) - INTERVAL ",
                     absl::ToInt64Microseconds(age), " MICROSECOND, '", actor,
                     "', 'operator', '/aggpay.v1.BindingService/ResetCode', '", target, "', 'req-",
                     target, "', '', NOW(6) - INTERVAL ", absl::ToInt64Microseconds(age),
                     " MICROSECOND)"));
    return Count(absl::StrCat("SELECT MAX(id) FROM audit_outbox WHERE target = '", target, "'"));
  }

  int64_t Count(const std::string& sql) {
    auto n = pool_->Run("count", [&](sql::Connection& c) -> absl::StatusOr<int64_t> {
      std::unique_ptr<sql::Statement> st(c.createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql));
      if (!rs->next() || rs->isNull(1)) return int64_t{-1};
      return rs->getInt64(1);
    });
    return n.ok() ? *n : -2;
  }

  int64_t Chained(int64_t id) {
    return Count(
        absl::StrCat("SELECT COUNT(*) FROM audit_log WHERE source_key = 'outbox:", id, "'"));
  }
  int64_t ChainedKey(const std::string& key) {
    return Count(
        absl::StrCat("SELECT COUNT(*) FROM audit_log WHERE source_key = 'outbox:", key, "'"));
  }
  int64_t InOutbox(int64_t id) {
    return Count(absl::StrCat("SELECT COUNT(*) FROM audit_outbox WHERE id = ", id));
  }

  void ExpectChainVerifies(int64_t entries) {
    auto result = chain_->Verify();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(result->ok) << result->problem;
    EXPECT_EQ(result->entries_checked, entries);
  }

  MysqlOptions db_;
  std::unique_ptr<MysqlPool> pool_;
  std::unique_ptr<admin::MysqlAuditRepository> chain_;
  Metrics metrics_;
};

TEST_F(AuditOutboxTest, SweepAppendsAnOldRowOnceAndDeletesIt) {
  const int64_t old_id = InsertRow("staff:alice", "code:old", absl::Minutes(1));
  // Younger than sweep_age: its own relay is presumably still delivering it.
  const int64_t young_id = InsertRow("staff:bob", "code:young", absl::ZeroDuration());
  ASSERT_GT(old_id, 0);
  ASSERT_GT(young_id, 0);
  AuditRelay relay(*pool_, *chain_, metrics_, AuditRelayOptions{});

  auto swept = relay.Sweep();
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(Chained(old_id), 1);
  EXPECT_EQ(InOutbox(old_id), 0) << "delivered, then deleted";
  EXPECT_EQ(InOutbox(young_id), 1);
  EXPECT_EQ(Chained(young_id), 0);

  auto entries = chain_->List(admin::AuditFilter{0, 10, "", ""});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  const AuditRecord& r = (*entries)[0].record;
  EXPECT_EQ(r.actor, "staff:alice");
  EXPECT_EQ(r.role, "operator");
  EXPECT_EQ(r.action, "/aggpay.v1.BindingService/ResetCode");
  EXPECT_EQ(r.target, "code:old");
  EXPECT_EQ(r.request_id, "req-code:old");
  EXPECT_EQ(r.outcome, "OK") << "the change committed with its outbox row";

  auto again = relay.Sweep();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log"), 1);
  ExpectChainVerifies(1);
  EXPECT_NE(metrics_.RenderPrometheus().find("aggpay_audit_outbox_recovered_total 1\n"),
            std::string::npos);
}

TEST_F(AuditOutboxTest, AFailingSinkLeavesTheRowForTheNextSweep) {
  const int64_t id = InsertRow("staff:alice", "code:kept", absl::Minutes(1));
  FailingSink down;
  AuditRelay failing(*pool_, down, metrics_, AuditRelayOptions{});
  auto swept = failing.Sweep();
  EXPECT_EQ(swept.status().code(), absl::StatusCode::kUnavailable) << swept.status();
  EXPECT_EQ(down.calls.load(), 1);
  EXPECT_EQ(InOutbox(id), 1) << "never deleted before the append succeeded";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log"), 0);
  EXPECT_NE(metrics_.RenderPrometheus().find("aggpay_audit_outbox_delivery_failures_total 1\n"),
            std::string::npos);

  // The admin service is back: the next sweep (any instance's) delivers it.
  AuditRelay relay(*pool_, *chain_, metrics_, AuditRelayOptions{});
  auto recovered = relay.Sweep();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(*recovered, 1);
  EXPECT_EQ(Chained(id), 1);
  EXPECT_EQ(InOutbox(id), 0);
  ExpectChainVerifies(1);
}

TEST_F(AuditOutboxTest, ACrashBetweenAppendAndDeleteStillChainsOnce) {
  const int64_t id = InsertRow("staff:alice", "code:crash", absl::Minutes(1));
  const int64_t other = InsertRow("staff:carol", "code:other", absl::Minutes(1));
  // A relay appended the row's entry, then died before deleting the row.
  AuditRecord delivered;
  delivered.at = absl::Now();
  delivered.actor = "staff:alice";
  delivered.role = "operator";
  delivered.action = "/aggpay.v1.BindingService/ResetCode";
  delivered.target = "code:crash";
  delivered.request_id = "req-code:crash";
  delivered.outcome = "OK";
  delivered.details = "reset to a new code";
  delivered.source_key = absl::StrCat("outbox:", id);
  ASSERT_TRUE(chain_->Append(delivered).ok());
  ASSERT_EQ(InOutbox(id), 1);

  AuditRelay relay(*pool_, *chain_, metrics_, AuditRelayOptions{});
  auto swept = relay.Sweep();
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 2);
  auto again = relay.Sweep();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0);

  EXPECT_EQ(Chained(id), 1) << "the repeated delivery is not chained twice";
  EXPECT_EQ(Chained(other), 1);
  EXPECT_EQ(InOutbox(id), 0);
  EXPECT_EQ(InOutbox(other), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log"), 2);
  // The entry that stands is the first delivery's, with its final details.
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM audit_log WHERE source_key = 'outbox:", id,
                               "' AND details = 'reset to a new code'")),
            1);
  ExpectChainVerifies(2);
}

// Forwards to the chain once `parties` appends are waiting, so that relays that read the same
// rows append them one after the other, none having deleted anything yet.
class BarrierSink final : public AuditSink {
 public:
  BarrierSink(AuditSink& chain, int parties) : chain_(chain), parties_(parties) {}
  absl::Status Append(const AuditRecord& record) override { return chain_.Append(record); }
  absl::Status AppendBatch(const std::vector<AuditRecord>& records) override {
    {
      std::unique_lock lock(mu_);
      ++waiting_;
      cv_.notify_all();
      if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] { return waiting_ >= parties_; })) {
        return absl::DeadlineExceededError("the other relay never appended");
      }
    }
    return chain_.AppendBatch(records);
  }

 private:
  AuditSink& chain_;
  const int parties_;
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
};

TEST_F(AuditOutboxTest, TwoRelaysSweepingTheSameRowsChainThemOnce) {
  std::vector<int64_t> ids;
  ids.reserve(5);
  for (int i = 0; i < 5; ++i) {
    ids.push_back(InsertRow("staff:alice", absl::StrCat("code:", i), absl::Minutes(1)));
  }
  BarrierSink both(*chain_, 2);
  AuditRelay a(*pool_, both, metrics_, AuditRelayOptions{});
  AuditRelay b(*pool_, both, metrics_, AuditRelayOptions{});
  absl::StatusOr<int64_t> swept_a;
  absl::StatusOr<int64_t> swept_b;
  std::thread ta([&] { swept_a = a.Sweep(); });
  std::thread tb([&] { swept_b = b.Sweep(); });
  ta.join();
  tb.join();
  ASSERT_TRUE(swept_a.ok()) << swept_a.status();
  ASSERT_TRUE(swept_b.ok()) << swept_b.status();
  EXPECT_EQ(*swept_a, 5) << "both relays read every row";
  EXPECT_EQ(*swept_b, 5);
  for (int64_t id : ids) {
    EXPECT_EQ(Chained(id), 1) << id;
    EXPECT_EQ(InOutbox(id), 0) << id;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log"), 5);
  ExpectChainVerifies(5);
}

TEST_F(AuditOutboxTest, ADeliveredEntryCarriesTheCallsFinalTargetAndIsDeleted) {
  const std::string key = RandomToken(16);
  ASSERT_EQ(key.size(), 22u) << "the column's width";
  const int64_t id = InsertRow("staff:alice", "", absl::ZeroDuration(), key);
  AuditRelayOptions options;
  options.sweep_interval = absl::Hours(1);  // only the delivery path runs
  AuditRelay relay(*pool_, *chain_, metrics_, options);
  relay.Start();
  AuditRecord r;
  r.at = absl::Now();
  r.actor = "staff:alice";
  r.role = "operator";
  r.action = "/aggpay.v1.BindingService/ResetCode";
  r.target = "code:final";
  r.request_id = "req-final";
  r.outcome = "OK";
  r.details = "reset IMMEDIATE";
  relay.Deliver(key, r);
  bool deleted = false;
  for (int i = 0; i < 200 && !deleted; ++i) {
    deleted = InOutbox(id) == 0;
    if (!deleted) absl::SleepFor(absl::Milliseconds(20));
  }
  relay.Stop();
  ASSERT_TRUE(deleted);
  EXPECT_EQ(ChainedKey(key), 1);
  EXPECT_EQ(Chained(id), 0) << "a keyed row is chained by its key, not its id";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE target = 'code:final' AND details = "
                  "'reset IMMEDIATE'"),
            1);
  ExpectChainVerifies(1);
}

// Thirteen deliveries in one batch (inserted as 8, 4 and 1 rows, deleted by one padded list),
// and a sweep that meets keyed rows beside one written before keys: each chained once, in
// order, under its own source key, and every row deleted.
TEST_F(AuditOutboxTest, ABatchOfKeyedRowsAndARowWithoutAKeyAreEachChainedOnce) {
  std::vector<std::string> keys;
  std::vector<int64_t> ids;
  for (int i = 0; i < 13; ++i) {
    keys.push_back(RandomToken(16));
    ids.push_back(
        InsertRow("staff:alice", absl::StrCat("code:k", i), absl::ZeroDuration(), keys.back()));
  }
  AuditRelayOptions options;
  options.sweep_interval = absl::Hours(1);
  options.batch_delay = absl::Milliseconds(200);  // all thirteen in one append
  {
    AuditRelay relay(*pool_, *chain_, metrics_, options);
    relay.Start();
    for (int i = 0; i < 13; ++i) {
      AuditRecord r;
      r.at = absl::Now();
      r.actor = "staff:alice";
      r.role = "operator";
      r.action = "/aggpay.v1.BindingService/ResetCode";
      r.target = absl::StrCat("code:k", i);
      r.outcome = "OK";
      relay.Deliver(keys[i], r);
    }
    for (int i = 0; i < 200 && Count("SELECT COUNT(*) FROM audit_outbox") != 0; ++i) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    relay.Stop();
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_outbox"), 0);
  for (int i = 0; i < 13; ++i) EXPECT_EQ(ChainedKey(keys[i]), 1) << i;
  // In the order delivered: code:k0 first, code:k12 last.
  EXPECT_EQ(Count("SELECT seq FROM audit_log WHERE target = 'code:k0'"), 1);
  EXPECT_EQ(Count("SELECT seq FROM audit_log WHERE target = 'code:k12'"), 13);

  // Rows a killed instance left: two keyed, one from before keys.
  const std::string left = RandomToken(16);
  const std::string left2 = RandomToken(16);
  const int64_t keyed = InsertRow("staff:bob", "code:left", absl::Minutes(1), left);
  const int64_t legacy = InsertRow("staff:bob", "code:legacy", absl::Minutes(1));
  const int64_t keyed2 = InsertRow("staff:bob", "code:left2", absl::Minutes(1), left2);
  AuditRelay relay(*pool_, *chain_, metrics_, AuditRelayOptions{});
  auto swept = relay.Sweep();
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 3);
  EXPECT_EQ(ChainedKey(left), 1);
  EXPECT_EQ(ChainedKey(left2), 1);
  EXPECT_EQ(Chained(legacy), 1);
  EXPECT_EQ(Chained(keyed), 0);
  EXPECT_EQ(InOutbox(keyed) + InOutbox(legacy) + InOutbox(keyed2), 0);
  auto again = relay.Sweep();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log"), 16);
  ExpectChainVerifies(16);
}

// AuditScope on a call the interceptor marked as mutating: which key the call reports when one
// of its transactions fails to commit.
class AuditScopeTest : public AuditOutboxTest {
 protected:
  void SetUp() override {
    AuditOutboxTest::SetUp();
    spouse_.AddClientMetadata(std::string(kAuditCallKey),
                              "/aggpay.v1.PaymentService/CreateCodePayment");
  }

  // A transaction whose connection the server closes before it commits (the scope installed
  // on this thread runs in it as for any transaction).
  absl::Status TransactionThatLosesItsConnection() {
    return pool_->InTransaction("lost", [&](sql::Connection& c) -> absl::Status {
      std::unique_ptr<sql::Statement> st(c.createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT CONNECTION_ID()"));
      rs->next();
      const int64_t id = rs->getInt64(1);
      SharedServers().Sql(db_.database, absl::StrCat("KILL CONNECTION ", id));
      return absl::OkStatus();
    });
  }
  absl::Status TransactionThatCommits() {
    return pool_->InTransaction("commits", [](sql::Connection&) { return absl::OkStatus(); });
  }
  std::string ReportedKey() {
    auto trailers = spouse_.GetTrailingMetadata();
    auto it = trailers.find(std::string(kAuditOutboxKey));
    return it == trailers.end() ? std::string() : it->second;
  }
  std::string OnlyRowKey() {
    auto key = pool_->Run("key", [](sql::Connection& c) -> absl::StatusOr<std::string> {
      std::unique_ptr<sql::Statement> st(c.createStatement());
      std::unique_ptr<sql::ResultSet> rs(
          st->executeQuery("SELECT GROUP_CONCAT(outbox_key) FROM audit_outbox"));
      rs->next();
      return rs->isNull(1) ? std::string() : std::string(rs->getString(1));
    });
    return key.ok() ? *key : "error";
  }

  grpc::ServerContext context_;
  grpc::testing::ServerContextTestSpouse spouse_{&context_};
};

TEST_F(AuditScopeTest, ARowWhoseTransactionFailedIsWrittenAgainByTheCallsNextTransaction) {
  {
    AuditScope scope(context_);
    // The row's INSERT runs on a connection the server closed: it throws, nothing commits.
    EXPECT_EQ(TransactionThatLosesItsConnection().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_outbox"), 0);
    ASSERT_TRUE(TransactionThatCommits().ok());
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_outbox"), 1);
  EXPECT_FALSE(ReportedKey().empty());
  EXPECT_EQ(ReportedKey(), OnlyRowKey());
}

TEST_F(AuditScopeTest, AKeyAnEarlierTransactionCommittedSurvivesALaterFailedCommit) {
  {
    AuditScope scope(context_);
    ASSERT_TRUE(TransactionThatCommits().ok());  // the change and its row
    // A later transaction of the same call writes no row (the call has one) and fails to
    // commit: the committed row's key must still be the one the call reports, or the entry
    // would be appended twice (directly, and by the sweep from the row).
    EXPECT_EQ(TransactionThatLosesItsConnection().code(), absl::StatusCode::kUnavailable);
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_outbox"), 1);
  EXPECT_FALSE(ReportedKey().empty()) << "the committed row's key was forgotten";
  EXPECT_EQ(ReportedKey(), OnlyRowKey());
}

}  // namespace
}  // namespace aggpay::common
