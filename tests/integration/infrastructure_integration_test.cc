// services/common against a real MariaDB and Redis: the connection pool, the Redis client and
// the migrator.
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "services/common/mysql/migrator.h"
#include "services/common/mysql/mysql_pool.h"
#include "services/common/redis/redis_client.h"
#include "tests/support/test_servers.h"

namespace aggpay::common {
namespace {

using testing::SharedServers;

int64_t CountRows(MysqlPool& pool, const std::string& sql) {
  auto n = pool.Run("count", [&](sql::Connection& c) -> absl::StatusOr<int64_t> {
    std::unique_ptr<sql::Statement> st(c.createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql));
    rs->next();
    return rs->getInt64(1);
  });
  return n.ok() ? *n : -1;
}

TEST(MysqlPoolTest, RunsQueriesAndMapsDuplicateKeys) {
  auto options = SharedServers().CreateDatabase("pool");
  auto pool = MysqlPool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  ASSERT_TRUE((*pool)->Ping().ok());
  const auto insert = [&](const std::string& id) {
    return (*pool)->Run("insert staff", [&](sql::Connection& c) -> absl::Status {
      std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
          "INSERT INTO staff VALUES (?, ?, 'x', 'operator', 'ACTIVE', NOW(6), NOW(6))"));
      st->setString(1, id);
      st->setString(2, "same-name");
      st->execute();
      return absl::OkStatus();
    });
  };
  EXPECT_TRUE(insert("s1").ok());
  absl::Status dup = insert("s2");
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CountRows(**pool, "SELECT COUNT(*) FROM staff"), 1);
}

TEST(MysqlPoolTest, SyntaxErrorsAreInternalWithoutDriverDetails) {
  auto pool = MysqlPool::Create(SharedServers().CreateDatabase("pool"));
  ASSERT_TRUE(pool.ok());
  absl::Status s = (*pool)->Run("bad", [](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::Statement> st(c.createStatement());
    st->execute("SELEKT 1");
    return absl::OkStatus();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message().find("SELEKT"), absl::string_view::npos);
}

TEST(MysqlPoolTest, TransactionRollsBackOnError) {
  auto pool = MysqlPool::Create(SharedServers().CreateDatabase("pool"));
  ASSERT_TRUE(pool.ok());
  absl::Status s = (*pool)->InTransaction("two inserts", [](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::Statement> st(c.createStatement());
    st->execute("INSERT INTO staff VALUES ('a', 'a', 'x', 'operator', 'ACTIVE', NOW(6), NOW(6))");
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CountRows(**pool, "SELECT COUNT(*) FROM staff"), 0);
}

TEST(MysqlPoolTest, ExhaustedPoolAnswersUnavailableAfterTheAcquireTimeout) {
  auto options = SharedServers().CreateDatabase("pool");
  options.pool_size = 1;
  options.acquire_timeout = absl::Milliseconds(100);
  auto pool = MysqlPool::Create(options);
  ASSERT_TRUE(pool.ok());
  auto held = (*pool)->Acquire();
  ASSERT_TRUE(held.ok());
  auto second = (*pool)->Acquire();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(MysqlPoolTest, UnreachableServerIsAClearUnavailable) {
  MysqlOptions options;
  options.port = testing::FreePort();
  options.connect_timeout = absl::Seconds(1);
  auto pool = MysqlPool::Create(options);
  ASSERT_EQ(pool.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(pool.status().message().find(absl::StrCat("127.0.0.1:", options.port)),
            absl::string_view::npos);
}

TEST(MigratorTest, SecondRunAppliesNothingAndChangedFilesAreRefused) {
  auto options = SharedServers().CreateDatabase("mig");
  auto pool = MysqlPool::Create(options);
  ASSERT_TRUE(pool.ok());
  const std::string source = absl::StrCat(testing::SourceDir(), "/sql/migrations");
  auto again = ApplyMigrations(**pool, source);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->applied.empty());
  EXPECT_GE(again->already_applied, 1);
  const int64_t recorded = CountRows(**pool, "SELECT COUNT(*) FROM schema_migrations");
  EXPECT_EQ(recorded, again->already_applied);

  // A copy of the migrations with the first file edited.
  const std::string dir = absl::StrCat(SharedServers().dir(), "/mig-edited");
  std::filesystem::create_directories(dir);
  for (const auto& f : std::filesystem::directory_iterator(source)) {
    std::filesystem::copy_file(f.path(), absl::StrCat(dir, "/", f.path().filename().string()),
                               std::filesystem::copy_options::overwrite_existing);
  }
  std::ofstream(absl::StrCat(dir, "/0001_admin.sql"), std::ios::app) << "\n-- edited\n";
  auto edited = ApplyMigrations(**pool, dir);
  EXPECT_EQ(edited.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(edited.status().message().find("0001_admin.sql"), absl::string_view::npos);
}

TEST(MigratorTest, SplitsStatementsAndSkipsComments) {
  auto parts = SplitSqlStatements("-- c\nCREATE TABLE a (x INT);\n\nINSERT INTO a\nVALUES (1);\n");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_NE(parts[1].find("VALUES (1)"), std::string::npos);
}

TEST(RedisClientTest, SetGetTtlAndSetIfAbsent) {
  RedisClient redis(SharedServers().Redis());
  ASSERT_TRUE(redis.Ping().ok());
  ASSERT_TRUE(redis.Set("k1", "v1", absl::Seconds(10)).ok());
  EXPECT_EQ(redis.Get("k1")->value_or(""), "v1");
  EXPECT_FALSE(redis.Get("missing")->has_value());
  EXPECT_TRUE(*redis.SetIfAbsent("nonce-1", "1", absl::Seconds(10)));
  EXPECT_FALSE(*redis.SetIfAbsent("nonce-1", "1", absl::Seconds(10)));
  EXPECT_EQ(*redis.Del("k1"), 1);
  EXPECT_FALSE(redis.Get("k1")->has_value());
  ASSERT_TRUE(redis.Set("short", "v", absl::Milliseconds(50)).ok());
  absl::SleepFor(absl::Milliseconds(120));
  EXPECT_FALSE(redis.Get("short")->has_value());
  auto eval = redis.Eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", {"ctr"}, {"5"});
  ASSERT_TRUE(eval.ok()) << eval.status();
  EXPECT_EQ(eval->integer, 5);
}

TEST(RedisClientTest, UnreachableRedisFailsFastAndHealsAfterRestart) {
  auto& servers = SharedServers();
  RedisOptions options = servers.Redis();
  options.reconnect_backoff = absl::Milliseconds(50);
  RedisClient redis(options);
  ASSERT_TRUE(redis.Set("survives?", "no", absl::Seconds(60)).ok());
  servers.StopRedis();
  const absl::Time start = absl::Now();
  auto down = redis.Get("survives?");
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  servers.StartRedis();
  absl::SleepFor(absl::Milliseconds(100));
  absl::Status healed = absl::UnavailableError("not yet");
  for (int i = 0; i < 20 && !healed.ok(); ++i) {
    healed = redis.Ping();
    if (!healed.ok()) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(healed.ok()) << healed;
}

}  // namespace
}  // namespace aggpay::common
