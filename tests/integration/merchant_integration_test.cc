// Merchant API keys and signed-request verification against a real MariaDB and Redis.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/clock/clock.h"
#include "services/common/crypto/crypto.h"
#include "services/common/status/field_errors.h"
#include "services/merchant/merchant_operations.h"
#include "services/merchant/mysql_merchant_repository.h"
#include "services/merchant/redis_request_guard.h"
#include "tests/support/test_servers.h"

namespace aggpay::merchant {
namespace {

using testing::SharedServers;

constexpr const char* kSecretKey =
    "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

class MerchantIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = SharedServers().CreateDatabase("merchant");
    SharedServers().Sql(options_.database,
                        "INSERT INTO merchants (merchant_id, display_name, legal_name, kind, "
                        "status, home_currency, time_zone, region, contact_phone, agent_id, "
                        "created_at, updated_at) VALUES ('m_1', 'Shop One', 'Shop One Ltd', "
                        "'SMALL_BUSINESS', 'ACTIVE', 'CNY', 'Asia/Shanghai', 'CN-SH', "
                        "'13800138000', NULL, NOW(6), NOW(6)), ('m_2', 'Shop Two', 'Two', "
                        "'INDIVIDUAL', 'ACTIVE', 'CNY', 'Asia/Shanghai', 'CN-SH', '13900000000', "
                        "NULL, NOW(6), NOW(6))");
    pool_ = *common::MysqlPool::Create(options_);
    repo_ = std::make_unique<MysqlMerchantRepository>(*pool_);
    redis_ = std::make_unique<common::RedisClient>(SharedServers().Redis());
    guard_ = std::make_unique<RedisRequestGuard>(
        *redis_, metrics_, RequestGuardOptions{absl::Minutes(10), 5, 3, true});
    clock_.Set(absl::Now());  // Redis' clock drives the token bucket; keep them close.
    ops_ = std::make_unique<MerchantOperations>(
        *repo_, *guard_, *common::SecretBox::FromHexKey(kSecretKey), clock_, absl::Seconds(300));
  }

  // A request signed the way a merchant (or tools/aggpay-curl) signs it.
  SignedRequest Sign(const CreatedApiKey& key, const std::string& body = "{}",
                     const std::string& nonce = "", const std::string& method = "POST") {
    SignedRequest r;
    r.key_id = key.key.key_id;
    r.timestamp = std::to_string(absl::ToUnixSeconds(clock_.Now()));
    r.nonce = nonce.empty() ? common::RandomToken(12) : nonce;
    r.method = method;
    r.path_and_query = "/v1/fees/quote";
    r.body_sha256 = common::Sha256Hex(body);
    r.signature = common::HmacSha256Hex(key.secret, CanonicalString(r));
    return r;
  }

  common::FakeClock clock_;
  common::Metrics metrics_;
  common::MysqlOptions options_;
  std::unique_ptr<common::MysqlPool> pool_;
  std::unique_ptr<MysqlMerchantRepository> repo_;
  std::unique_ptr<common::RedisClient> redis_;
  std::unique_ptr<RedisRequestGuard> guard_;
  std::unique_ptr<MerchantOperations> ops_;
};

TEST_F(MerchantIntegrationTest, KeysAreSealedAtRest) {
  auto key = ops_->CreateApiKey("m_1");
  ASSERT_TRUE(key.ok()) << key.status();
  auto stored = repo_->GetApiKey(key->key.key_id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->secret_sealed.find(key->secret), std::string::npos);
  EXPECT_EQ(*common::SecretBox::FromHexKey(kSecretKey)->Open((*stored)->secret_sealed),
            key->secret);
  // Another installation's key cannot open it.
  auto other = common::SecretBox::FromHexKey(std::string(64, 'a'));
  EXPECT_FALSE(other->Open((*stored)->secret_sealed).ok());
  EXPECT_EQ(ops_->CreateApiKey("m_missing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(MerchantIntegrationTest, ValidRequestNamesTheKeysMerchant) {
  auto key = *ops_->CreateApiKey("m_2");
  auto who = ops_->AuthenticateRequest(Sign(key));
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->merchant_id, "m_2");
}

TEST_F(MerchantIntegrationTest, EveryForgeryIsUnauthenticated) {
  auto key = *ops_->CreateApiKey("m_1");
  auto other = *ops_->CreateApiKey("m_2");
  struct Case {
    const char* name;
    std::function<void(SignedRequest&)> tamper;
  };
  const std::vector<Case> cases = {
      {"bad signature",
       [](SignedRequest& r) { r.signature[0] = r.signature[0] == 'a' ? 'b' : 'a'; }},
      {"wrong key", [&](SignedRequest& r) { r.key_id = other.key.key_id; }},
      {"unknown key", [](SignedRequest& r) { r.key_id = "ak_nope"; }},
      {"body altered", [](SignedRequest& r) { r.body_sha256 = common::Sha256Hex("{\"x\":1}"); }},
      {"path altered", [](SignedRequest& r) { r.path_and_query = "/v1/merchant"; }},
      {"stale timestamp",
       [&](SignedRequest& r) {
         r.timestamp = std::to_string(absl::ToUnixSeconds(clock_.Now()) - 301);
       }},
      {"future timestamp",
       [&](SignedRequest& r) {
         r.timestamp = std::to_string(absl::ToUnixSeconds(clock_.Now()) + 301);
       }},
      {"uppercase hex", [](SignedRequest& r) { r.signature = absl::AsciiStrToUpper(r.signature); }},
      {"short nonce", [](SignedRequest& r) { r.nonce = "abc"; }},
  };
  for (const Case& c : cases) {
    SignedRequest r = Sign(key);
    c.tamper(r);
    EXPECT_EQ(ops_->AuthenticateRequest(r).status().code(), absl::StatusCode::kUnauthenticated)
        << c.name;
  }
}

TEST_F(MerchantIntegrationTest, ReplayedNonceAndRevokedKeyAreRefused) {
  auto key = *ops_->CreateApiKey("m_1");
  SignedRequest r = Sign(key);
  ASSERT_TRUE(ops_->AuthenticateRequest(r).ok());
  auto replay = ops_->AuthenticateRequest(r);
  EXPECT_EQ(replay.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(replay.status().message(), "nonce already used");

  ASSERT_TRUE(ops_->RevokeApiKey(key.key.key_id).ok());
  auto revoked = ops_->AuthenticateRequest(Sign(key));
  EXPECT_EQ(revoked.status().message(), "unknown or revoked key");
  auto listed = ops_->ListApiKeys("m_1");
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].status, ApiKeyStatus::kRevoked);
}

TEST_F(MerchantIntegrationTest, NonceAndTokenInOneScriptKeepTheirOrder) {
  // One script records the nonce and then takes a token: a replay is refused before it can
  // take one, so replays do not drain the key's bucket (burst 3 at 5/s here).
  auto key = *ops_->CreateApiKey("m_1");
  SignedRequest first = Sign(key);
  ASSERT_TRUE(ops_->AuthenticateRequest(first).ok());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(ops_->AuthenticateRequest(first).status().message(), "nonce already used") << i;
  }
  // Two tokens are left of the burst, whatever the replays did; a refill adds at most one more
  // on a slow machine.
  EXPECT_TRUE(ops_->AuthenticateRequest(Sign(key)).ok());
  EXPECT_TRUE(ops_->AuthenticateRequest(Sign(key)).ok());
  // The nonce is remembered for nonce_ttl (10 minutes), as SET NX PX did.
  auto ttl =
      redis_->Command({"PTTL", absl::StrCat("aggpay:nonce:", key.key.key_id, ":", first.nonce)});
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_GT(ttl->integer, absl::ToInt64Milliseconds(absl::Minutes(9)));
  EXPECT_LE(ttl->integer, absl::ToInt64Milliseconds(absl::Minutes(10)));
  // A fresh nonce on an empty bucket is remembered even though it is refused for the rate:
  // its replay is a replay.
  SignedRequest limited = Sign(key);
  auto answer = ops_->AuthenticateRequest(limited);
  for (int i = 0; i < 5 && answer.ok(); ++i) {
    limited = Sign(key);
    answer = ops_->AuthenticateRequest(limited);
  }
  ASSERT_EQ(answer.status().code(), absl::StatusCode::kResourceExhausted) << answer.status();
  EXPECT_EQ(ops_->AuthenticateRequest(limited).status().message(), "nonce already used");
}

TEST_F(MerchantIntegrationTest, RateLimitAnswersWithTheWait) {
  auto key = *ops_->CreateApiKey("m_1");
  // Burst 3 at 5/s: the fourth request at once waits about 200 ms.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ops_->AuthenticateRequest(Sign(key)).ok()) << i;
  // On a loaded machine the three may take longer than a refill (200 ms): the next few calls
  // must still hit the empty bucket.
  auto limited = ops_->AuthenticateRequest(Sign(key));
  for (int i = 0; i < 5 && limited.ok(); ++i) limited = ops_->AuthenticateRequest(Sign(key));
  ASSERT_EQ(limited.status().code(), absl::StatusCode::kResourceExhausted);
  const absl::Duration wait = common::ErrorRetryAfter(limited.status());
  EXPECT_GT(wait, absl::ZeroDuration());
  EXPECT_LE(wait, absl::Milliseconds(200));
  absl::SleepFor(wait + absl::Milliseconds(20));
  EXPECT_TRUE(ops_->AuthenticateRequest(Sign(key)).ok());
}

TEST_F(MerchantIntegrationTest, RedisDownLetsReadsThroughAndRefusesChanges) {
  auto key = *ops_->CreateApiKey("m_1");
  // A signed PUT (a settlement account change) captured while Redis was up and replayed while
  // it is down, and a fresh one: neither passes, as nonces cannot be checked. A read passes,
  // counted.
  SignedRequest put = Sign(key, "{}", "", "PUT");
  // Signed ten seconds ago: before the restart below, past the guard's 2 s of slack.
  put.timestamp = std::to_string(absl::ToUnixSeconds(clock_.Now()) - 10);
  put.signature = common::HmacSha256Hex(key.secret, CanonicalString(put));
  SharedServers().StopRedis();
  auto read = ops_->AuthenticateRequest(Sign(key, "", "", "GET"));
  auto change = ops_->AuthenticateRequest(put);
  auto replay = ops_->AuthenticateRequest(put);
  SharedServers().StartRedis();
  EXPECT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(change.status().code(), absl::StatusCode::kUnavailable) << change.status();
  EXPECT_EQ(replay.status().code(), absl::StatusCode::kUnavailable) << replay.status();
  const std::string metrics = metrics_.RenderPrometheus();
  EXPECT_NE(metrics.find("aggpay_redis_degraded_total{path=\"nonce\",request=\"read\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("aggpay_redis_degraded_total{path=\"nonce\",request=\"mutating\"} 2"),
            std::string::npos)
      << metrics;
  // Redis is back, empty: the PUT was signed before its memory of nonces began, so it is refused
  // (it might have been accepted before the restart); a freshly signed one passes once and its
  // replay is refused. (The client reconnects with a back-off: the first calls may still be
  // refused UNAVAILABLE.)
  auto after = ops_->AuthenticateRequest(put);
  for (int i = 0; i < 100 && after.status().code() == absl::StatusCode::kUnavailable; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    after = ops_->AuthenticateRequest(put);
  }
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnauthenticated) << after.status();
  EXPECT_NE(after.status().message().find("signed before the nonce store restarted"),
            std::string::npos)
      << after.status();
  clock_.Set(absl::Now() + absl::Seconds(1));
  const SignedRequest fresh = Sign(key, "{}", "", "PUT");
  EXPECT_TRUE(ops_->AuthenticateRequest(fresh).ok());
  EXPECT_EQ(ops_->AuthenticateRequest(fresh).status().code(), absl::StatusCode::kUnauthenticated);

  RedisRequestGuard closed(*redis_, metrics_,
                           RequestGuardOptions{absl::Minutes(10), 5, 3, false, false});
  SharedServers().StopRedis();
  auto refused = closed.ConsumeNonce("k", "nonce-123", absl::ToUnixSeconds(absl::Now()),
                                     /*mutating=*/false);
  SharedServers().StartRedis();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
}

// Every payment and signed REST call reads its merchant and its key; concurrent calls share one
// read (common::BatchedRead). Each must still get its own rows, and a freeze or a revoke
// committed before a call must be seen by that call.
TEST_F(MerchantIntegrationTest, CallsAtOnceEachReadTheirOwnMerchantAndKeyAndSeeEarlierChanges) {
  std::vector<CreatedApiKey> keys;
  for (int i = 0; i < 4; ++i) keys.push_back(*ops_->CreateApiKey(i % 2 == 0 ? "m_1" : "m_2"));
  std::atomic<int> wrong{0};
  auto storm = [&] {
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int k = 0; k < 50; ++k) {
          const CreatedApiKey& key = keys[(t + k) % 4];
          const std::string merchant = (t + k) % 2 == 0 ? "m_1" : "m_2";
          auto m = repo_->GetMerchant(merchant);
          auto got = repo_->GetApiKey(key.key.key_id);
          auto none = repo_->GetMerchant("m_none");
          if (!m.ok() || !m->has_value() || (*m)->merchant_id != merchant ||
              (*m)->display_name != (merchant == "m_1" ? "Shop One" : "Shop Two") || !got.ok() ||
              !got->has_value() || (*got)->merchant_id != key.key.merchant_id || !none.ok() ||
              none->has_value()) {
            ++wrong;
          }
        }
      });
    }
    for (auto& th : threads) th.join();
  };
  const size_t merchants_before = repo_->merchant_reads().counts().items;
  const size_t keys_before = repo_->key_reads().counts().items;
  storm();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(repo_->merchant_reads().counts().items - merchants_before, 800u);
  EXPECT_EQ(repo_->key_reads().counts().items - keys_before, 400u);
  // A freeze and a revoke, committed: the very next reads see both.
  SharedServers().Sql(options_.database,
                      "UPDATE merchants SET status = 'FROZEN' WHERE merchant_id = 'm_2'");
  ASSERT_TRUE(ops_->RevokeApiKey(keys[0].key.key_id, "m_1").ok());
  EXPECT_EQ((*repo_->GetMerchant("m_2"))->status, "FROZEN");
  EXPECT_EQ((*repo_->GetApiKey(keys[0].key.key_id))->status, ApiKeyStatus::kRevoked);
  EXPECT_EQ(ops_->AuthenticateRequest(Sign(keys[0])).status().code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace aggpay::merchant
