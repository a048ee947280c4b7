// The resolve cache against a real Redis, with two cache instances standing for two aggpayd
// processes: tombstones beat racing readers, invalidations reach every instance before a revoke
// returns, a reader that raced an invalidation keeps nothing, and a Redis outage makes every
// instance distrust its caches until it has re-subscribed and purged.
#include <gtest/gtest.h>

#include <atomic>

#include "services/binding/resolve_cache.h"
#include "services/common/clock/clock.h"
#include "tests/support/test_servers.h"

namespace aggpay::binding {
namespace {

using testing::SharedServers;

CodeView View(const std::string& id, CodeStatus status) {
  CodeView v;
  v.code_id = id;
  v.status = status;
  v.merchant_id = "m_1";
  v.merchant_display_name = "Shop";
  return v;
}

bool WaitFor(const std::function<bool()>& condition) {
  for (int i = 0; i < 200; ++i) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

class ResolveCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = std::make_unique<common::RedisClient>(SharedServers().Redis());
    a_ = std::make_unique<ResolveCache>(*redis_, metrics_, clock_, ResolveCacheOptions{});
    b_ = std::make_unique<ResolveCache>(*redis_, metrics_, clock_, ResolveCacheOptions{});
    a_->Start([this](ResolveCache&) {
      ++purges_;
      return absl::OkStatus();
    });
    b_->Start([this](ResolveCache&) {
      ++purges_;
      return absl::OkStatus();
    });
    ASSERT_TRUE(WaitFor([&] { return a_->Trusted() && b_->Trusted(); }));
  }
  void TearDown() override {
    a_->Stop();
    b_->Stop();
  }

  common::SystemClock clock_;
  common::Metrics metrics_;
  std::unique_ptr<common::RedisClient> redis_;
  std::unique_ptr<ResolveCache> a_;
  std::unique_ptr<ResolveCache> b_;
  std::atomic<int> purges_{0};
};

TEST_F(ResolveCacheTest, ATombstoneIsNeverOverwrittenByARacingReader) {
  const std::string id = "AAAAAAAAAAAAAAAAAAAAA1";
  // The reader read ACTIVE from MySQL before the revoke committed, and populates after it.
  ASSERT_TRUE(a_->Invalidate(id, View(id, CodeStatus::kRevoked)).ok());
  b_->PutRedis(id, View(id, CodeStatus::kActive));
  auto cached = b_->GetRedis(id);
  ASSERT_TRUE(cached.ok() && cached->has_value());
  EXPECT_EQ((*cached)->status, CodeStatus::kRevoked);
}

TEST_F(ResolveCacheTest, InvalidationReachesEveryInstanceBeforeItReturns) {
  const std::string id = "AAAAAAAAAAAAAAAAAAAAA2";
  const uint64_t epoch = b_->Epoch();
  b_->PutLocal(id, View(id, CodeStatus::kActive), epoch);
  ASSERT_TRUE(b_->GetLocal(id).has_value());
  ASSERT_TRUE(a_->Invalidate(id, View(id, CodeStatus::kRevoked)).ok());
  // No waiting: b acknowledged before Invalidate returned.
  EXPECT_FALSE(b_->GetLocal(id).has_value());
  EXPECT_GT(b_->Epoch(), epoch);
}

TEST_F(ResolveCacheTest, AReaderThatRacedAnInvalidationKeepsNothing) {
  const std::string id = "AAAAAAAAAAAAAAAAAAAAA3";
  const uint64_t before = b_->Epoch();  // b starts reading
  ASSERT_TRUE(a_->Invalidate(id, View(id, CodeStatus::kRevoked)).ok());
  b_->PutLocal(id, View(id, CodeStatus::kActive), before);  // b's stale read arrives late
  EXPECT_FALSE(b_->GetLocal(id).has_value());
}

TEST_F(ResolveCacheTest, RedisOutageDistrustsCachesUntilResubscribedAndPurged) {
  const int purges_before = purges_.load();
  SharedServers().StopRedis();
  EXPECT_TRUE(WaitFor([&] { return !a_->Trusted() && !b_->Trusted(); }));
  EXPECT_EQ(
      a_->Invalidate("AAAAAAAAAAAAAAAAAAAAA4", View("AAAAAAAAAAAAAAAAAAAAA4", CodeStatus::kRevoked))
          .code(),
      absl::StatusCode::kUnavailable);
  SharedServers().StartRedis();
  EXPECT_TRUE(WaitFor([&] { return a_->Trusted() && b_->Trusted(); }));
  EXPECT_GE(purges_.load(), purges_before + 2) << "each instance purged before trusting again";
}

}  // namespace
}  // namespace aggpay::binding
