// The resolve cache against a real MariaDB and Redis, with two cache instances standing for two
// aggpayd processes: a revoke returns only when every live instance has applied it, a stale view
// in Redis (a restored snapshot, a failed overwrite) is refused by its stamp, an instance that
// cannot read the log stops trusting its caches within its lease and does not hold revokes up
// longer than two leases, and revokes still work with Redis stopped.
#include <gtest/gtest.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "services/binding/mysql_code_repository.h"
#include "services/binding/resolve_cache.h"
#include "services/common/clock/clock.h"
#include "tests/support/test_servers.h"

namespace aggpay::binding {
namespace {

using testing::SharedServers;

bool WaitFor(const std::function<bool()>& condition) {
  for (int i = 0; i < 200; ++i) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

// The log as another process sees it, with a switch that makes every read fail (MySQL out of
// reach for this instance only).
class SwitchableLog final : public InvalidationLog {
 public:
  explicit SwitchableLog(InvalidationLog& log) : log_(log) {}
  absl::StatusOr<int64_t> Head() override { return Check() ? log_.Head() : Down(); }
  absl::StatusOr<std::vector<Invalidation>> Since(int64_t after, int limit) override {
    if (!Check()) return Down();
    return log_.Since(after, limit);
  }
  absl::Status Heartbeat(const std::string& instance, int64_t applied) override {
    return Check() ? log_.Heartbeat(instance, applied) : Down();
  }
  absl::StatusOr<int64_t> Behind(int64_t seq, absl::Duration within) override {
    if (!Check()) return Down();
    return log_.Behind(seq, within);
  }
  std::atomic<bool> down{false};

 private:
  bool Check() const { return !down.load(); }
  static absl::Status Down() { return absl::UnavailableError("database unavailable"); }
  InvalidationLog& log_;
};

ResolveCacheOptions FastOptions() {
  ResolveCacheOptions o;
  o.lease = absl::Milliseconds(400);
  o.poll_interval = absl::Milliseconds(50);
  return o;
}

class ResolveCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = SharedServers().CreateDatabase("cache");
    pool_a_ = *common::MysqlPool::Create(db_);
    pool_b_ = *common::MysqlPool::Create(db_);
    repo_a_ = std::make_unique<MysqlCodeRepository>(*pool_a_);
    repo_b_ = std::make_unique<MysqlCodeRepository>(*pool_b_);
    log_b_ = std::make_unique<SwitchableLog>(*repo_b_);
    redis_ = std::make_unique<common::RedisClient>(SharedServers().Redis());
    a_ = std::make_unique<ResolveCache>(*redis_, *repo_a_, metrics_, clock_, FastOptions());
    b_ = std::make_unique<ResolveCache>(*redis_, *log_b_, metrics_, clock_, FastOptions());
    a_->Start();
    b_->Start();
    ASSERT_TRUE(WaitFor([&] { return a_->Current() && b_->Current(); }));
  }
  void TearDown() override {
    a_->Stop();
    b_->Stop();
  }

  // An ACTIVE static code in MySQL; returns the view a reader on `cache` would store.
  CodeView IssueAndRead(ResolveCache& cache, MysqlCodeRepository& repo, const std::string& id) {
    CodeRecord c;
    c.code_id = id;
    c.merchant_id = "m_1";
    c.store_id = "s_1";
    c.display_name = "Tea House";
    c.created_at = clock_.Now();
    EXPECT_TRUE(
        repo.Create(c, HistoryEntry{id, "m_1", "", "ISSUED", "STATIC", "test", c.created_at}).ok());
    const int64_t stamp = cache.Applied();
    auto record = repo.Get(id);
    EXPECT_TRUE(record.ok() && record->has_value());
    CodeView v;
    v.code_id = id;
    v.status = (*record)->status;
    v.merchant_id = (*record)->merchant_id;
    v.merchant_display_name = (*record)->display_name;
    v.stamp = stamp;
    return v;
  }

  // Revokes the code in MySQL (with its log entry) and waits as a revoke does.
  int64_t Revoke(MysqlCodeRepository& repo, ResolveCache& cache, const std::string& id) {
    auto change = repo.Change(
        id,
        [&](const CodeRecord& c) -> absl::StatusOr<CodeChange> {
          CodeChange ch{c, std::nullopt, {}};
          ch.old_code.status = CodeStatus::kRevoked;
          return ch;
        },
        clock_.Now());
    EXPECT_TRUE(change.ok()) << change.status();
    cache.AwaitPropagation(change->invalidation_seq);
    return change->invalidation_seq;
  }

  common::SystemClock clock_;
  common::Metrics metrics_;
  common::MysqlOptions db_;
  std::unique_ptr<common::MysqlPool> pool_a_;
  std::unique_ptr<common::MysqlPool> pool_b_;
  std::unique_ptr<MysqlCodeRepository> repo_a_;
  std::unique_ptr<MysqlCodeRepository> repo_b_;
  std::unique_ptr<SwitchableLog> log_b_;
  std::unique_ptr<common::RedisClient> redis_;
  std::unique_ptr<ResolveCache> a_;
  std::unique_ptr<ResolveCache> b_;
};

TEST(ResolveCacheSocketTest, TheInvalidationListenerConnectsThroughTheConfiguredSocket) {
  // With redis.socket set, every Redis connection goes there, the pub/sub listener's included:
  // the port points nowhere, so a listener that dialled host and port would never subscribe.
  common::RedisOptions options = SharedServers().Redis();
  options.socket = SharedServers().dir() + "/redis.sock";
  options.port = testing::FreePort();
  auto db = SharedServers().CreateDatabase("cache_socket");
  auto pool = *common::MysqlPool::Create(db);
  MysqlCodeRepository repo(*pool);
  common::RedisClient redis(options);
  common::SystemClock clock;
  common::Metrics metrics;
  ResolveCache cache(redis, repo, metrics, clock, FastOptions());
  cache.Start();
  const std::string list = absl::StrCat("redis-cli -s ", options.socket, " client list");
  EXPECT_TRUE(WaitFor([&] {
    const testing::CommandResult r = testing::RunCommand(list);
    return r.out.find(absl::StrCat("addr=", options.socket)) != std::string::npos &&
           r.out.find("cmd=subscribe") != std::string::npos;
  })) << testing::RunCommand(list).out;
  cache.Stop();
}

TEST_F(ResolveCacheTest, CachedViewsServeUntilARevokeAndNeverAfter) {
  const std::string id = "AAAAAAAAAAAAAAAAAAAAA1";
  const CodeView payable = IssueAndRead(*a_, *repo_a_, id);
  a_->Store(id, payable);
  ASSERT_TRUE(b_->Lookup(id).has_value()) << "b reads a's view from Redis";
  ASSERT_TRUE(a_->Lookup(id).has_value());

  const int64_t seq = Revoke(*repo_a_, *a_, id);
  // Both instances confirmed before the revoke returned.
  EXPECT_GE(b_->Applied(), seq);
  EXPECT_FALSE(a_->Lookup(id).has_value());
  EXPECT_FALSE(b_->Lookup(id).has_value());

  // Redis brought back from a snapshot taken before the revoke: the old PAYABLE view is back in
  // Redis, and both instances refuse it by its stamp.
  ASSERT_TRUE(
      redis_->Set(absl::StrCat("aggpay:code:", id), SerializeCodeView(payable), absl::Minutes(10))
          .ok());
  EXPECT_FALSE(a_->Lookup(id).has_value());
  EXPECT_FALSE(b_->Lookup(id).has_value());
}

TEST_F(ResolveCacheTest, AMerchantBlockInvalidatesEveryCodeOfTheMerchant) {
  const std::string id = "AAAAAAAAAAAAAAAAAAAAA2";
  a_->Store(id, IssueAndRead(*a_, *repo_a_, id));
  ASSERT_TRUE(b_->Lookup(id).has_value());
  auto block = repo_a_->SetMerchantBlock("m_1", "FROZEN", "risk", "staff:test", clock_.Now());
  ASSERT_TRUE(block.ok()) << block.status();
  a_->AwaitPropagation(block->invalidation_seq);
  EXPECT_FALSE(a_->Lookup(id).has_value());
  EXPECT_FALSE(b_->Lookup(id).has_value());
  auto record = repo_b_->Get(id);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->merchant_block, "FROZEN");
}

TEST_F(ResolveCacheTest, AnInstanceThatCannotReadTheLogStopsTrustingWithinItsLease) {
  const std::string id = "AAAAAAAAAAAAAAAAAAAAA3";
  a_->Store(id, IssueAndRead(*a_, *repo_a_, id));
  ASSERT_TRUE(b_->Lookup(id).has_value());
  log_b_->down = true;
  EXPECT_TRUE(WaitFor([&] { return !b_->Current(); }));
  EXPECT_FALSE(b_->Lookup(id).has_value()) << "an instance that cannot prove it is current";
  // b never confirms: the revoke waits out b's lease (2 × 400 ms + one poll) and no longer.
  const absl::Time start = absl::Now();
  Revoke(*repo_a_, *a_, id);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  log_b_->down = false;
  EXPECT_TRUE(WaitFor([&] { return b_->Current(); }));
  EXPECT_FALSE(b_->Lookup(id).has_value()) << "caught up: the revoke is applied";
}

TEST_F(ResolveCacheTest, RevokesWorkWithRedisStoppedAndCachesRecoverAfter) {
  const std::string id = "AAAAAAAAAAAAAAAAAAAAA4";
  const CodeView payable = IssueAndRead(*a_, *repo_a_, id);
  a_->Store(id, payable);
  SharedServers().StopRedis();
  const absl::Time start = absl::Now();
  const int64_t seq = Revoke(*repo_a_, *a_, id);
  // No pub/sub: b learned of it by polling the log, well within the wait-out time.
  EXPECT_GE(b_->Applied(), seq);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(800));
  EXPECT_FALSE(a_->Lookup(id).has_value());
  EXPECT_FALSE(b_->Lookup(id).has_value());
  SharedServers().StartRedis();
  ASSERT_TRUE(WaitFor([&] {
    return redis_
        ->Set(absl::StrCat("aggpay:code:", id), SerializeCodeView(payable), absl::Minutes(10))
        .ok();
  }));
  EXPECT_FALSE(b_->Lookup(id).has_value());
}

}  // namespace
}  // namespace aggpay::binding
