// services/common against a real MariaDB and Redis: the connection pool, the Redis client and
// the migrator.
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/grpc/principal.h"
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
      std::unique_ptr<sql::PreparedStatement> st(
          c.prepareStatement("INSERT INTO staff (staff_id, username, display_name, role, status, "
                             "created_at, updated_at) "
                             "VALUES (?, ?, 'x', 'operator', 'ACTIVE', NOW(6), NOW(6))"));
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
    st->execute(
        "INSERT INTO staff (staff_id, username, display_name, role, status, created_at, "
        "updated_at) VALUES ('a', 'a', 'x', 'operator', 'ACTIVE', NOW(6), NOW(6))");
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CountRows(**pool, "SELECT COUNT(*) FROM staff"), 0);
}

void InsertStaff(sql::Connection& c, const std::string& id) {
  std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
      "INSERT INTO staff (staff_id, username, display_name, role, status, created_at, updated_at) "
      "VALUES (?, ?, 'x', 'operator', 'ACTIVE', NOW(6), NOW(6))"));
  st->setString(1, id);
  st->setString(2, absl::StrCat("user-", id));
  st->execute();
}

// One staff row written by Run, outside any transaction.
absl::Status InsertOutsideATransaction(MysqlPool& pool, const std::string& id) {
  return pool.Run("plain insert", [&](sql::Connection& c) -> absl::Status {
    InsertStaff(c, id);
    return absl::OkStatus();
  });
}

// A callback's own exception (not the driver's) in the middle of a transaction: INTERNAL, the
// write before it rolled back, and the connection, left with autocommit off, never handed out
// again. With one connection, a reused one would carry the half-done transaction into the next.
TEST(MysqlPoolTest, TransactionThatThrowsAForeignExceptionRollsBackAndDropsItsConnection) {
  auto options = SharedServers().CreateDatabase("pool");
  options.pool_size = 1;
  auto pool = MysqlPool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto observer = MysqlPool::Create(options);
  ASSERT_TRUE(observer.ok()) << observer.status();

  absl::Status s = (*pool)->InTransaction("throwing", [](sql::Connection& c) -> absl::Status {
    InsertStaff(c, "doomed");
    throw std::runtime_error("callback bug: secret detail");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  EXPECT_EQ(s.message().find("secret detail"), absl::string_view::npos) << s;
  EXPECT_EQ(ConnectionsHeldByThisThread(), 0);
  EXPECT_EQ(CountRows(**pool, "SELECT COUNT(*) FROM staff"), 0);

  absl::Status next = (*pool)->InTransaction("next", [](sql::Connection& c) -> absl::Status {
    InsertStaff(c, "kept");
    return absl::OkStatus();
  });
  ASSERT_TRUE(next.ok()) << next;
  // Seen from another connection: the next transaction really committed, and only it.
  EXPECT_EQ(CountRows(**observer, "SELECT COUNT(*) FROM staff"), 1);
  EXPECT_EQ(CountRows(**observer, "SELECT COUNT(*) FROM staff WHERE staff_id = 'kept'"), 1);
  // The pool's one connection is in autocommit mode again: a plain write is durable at once.
  ASSERT_TRUE(InsertOutsideATransaction(**pool, "plain").ok());
  EXPECT_EQ(CountRows(**observer, "SELECT COUNT(*) FROM staff"), 2);
}

// InTransaction opens with START TRANSACTION and leaves autocommit on: its writes are still
// invisible to others until COMMIT, a failed one leaves nothing, and the connection it used
// writes durably at once afterwards.
TEST(MysqlPoolTest, TransactionWithAutocommitOnIsStillOneTransaction) {
  auto options = SharedServers().CreateDatabase("pool");
  options.pool_size = 1;
  auto pool = MysqlPool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto observer = MysqlPool::Create(options);
  ASSERT_TRUE(observer.ok()) << observer.status();

  int seen_inside = -1;
  absl::Status ok = (*pool)->InTransaction("two rows", [&](sql::Connection& c) -> absl::Status {
    InsertStaff(c, "first");
    // Not yet committed: another connection does not see it.
    seen_inside = CountRows(**observer, "SELECT COUNT(*) FROM staff");
    InsertStaff(c, "second");
    return absl::OkStatus();
  });
  ASSERT_TRUE(ok.ok()) << ok;
  EXPECT_EQ(seen_inside, 0);
  EXPECT_EQ(CountRows(**observer, "SELECT COUNT(*) FROM staff"), 2);

  absl::Status refused = (*pool)->InTransaction("refused", [](sql::Connection& c) -> absl::Status {
    InsertStaff(c, "undone");
    return absl::FailedPreconditionError("changed its mind");
  });
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CountRows(**observer, "SELECT COUNT(*) FROM staff WHERE staff_id = 'undone'"), 0);

  // The same (only) connection afterwards: autocommit on, no transaction left open.
  EXPECT_EQ(CountRows(**pool, "SELECT @@autocommit"), 1);
  EXPECT_EQ(CountRows(**pool, "SELECT @@in_transaction"), 0);
  ASSERT_TRUE(InsertOutsideATransaction(**pool, "plain").ok());
  EXPECT_EQ(CountRows(**observer, "SELECT COUNT(*) FROM staff"), 3);
}

TEST(MysqlPoolTest, RunThatThrowsAForeignExceptionIsInternalAndDropsItsConnection) {
  auto options = SharedServers().CreateDatabase("pool");
  options.pool_size = 1;
  auto pool = MysqlPool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto observer = MysqlPool::Create(options);
  ASSERT_TRUE(observer.ok()) << observer.status();

  // The callback leaves its connection inside an open transaction, then throws.
  absl::Status s = (*pool)->Run("throwing run", [](sql::Connection& c) -> absl::Status {
    c.setAutoCommit(false);
    InsertStaff(c, "doomed");
    throw std::runtime_error("not a driver error");
  });
  // Not UNAVAILABLE: nothing is wrong with the database.
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  EXPECT_EQ(ConnectionsHeldByThisThread(), 0);
  // The dropped connection's open transaction died with it; the next caller gets a fresh one.
  EXPECT_EQ(CountRows(**pool, "SELECT COUNT(*) FROM staff"), 0);
  ASSERT_TRUE((*pool)
                  ->Run("insert",
                        [](sql::Connection& c) -> absl::Status {
                          InsertStaff(c, "kept");
                          return absl::OkStatus();
                        })
                  .ok());
  EXPECT_EQ(CountRows(**observer, "SELECT COUNT(*) FROM staff"), 1);

  // Something that is not even a std::exception is contained too.
  absl::Status odd = (*pool)->Run("odd throw", [](sql::Connection&) -> absl::Status { throw 42; });
  EXPECT_EQ(odd.code(), absl::StatusCode::kInternal) << odd;
  absl::Status odd_tx = (*pool)->InTransaction("odd throw", [](sql::Connection& c) -> absl::Status {
    InsertStaff(c, "odd");
    throw 42;
  });
  EXPECT_EQ(odd_tx.code(), absl::StatusCode::kInternal) << odd_tx;
  EXPECT_EQ(CountRows(**observer, "SELECT COUNT(*) FROM staff"), 1);
  EXPECT_TRUE((*pool)->Ping().ok());
}

TEST(MysqlPoolTest, ConnectionsHeldCountsThisThreadsLeases) {
  auto options = SharedServers().CreateDatabase("pool");
  options.pool_size = 2;
  auto pool = MysqlPool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_EQ(ConnectionsHeldByThisThread(), 0);
  int inside = -1;
  int nested = -1;
  int other_thread = -1;
  ASSERT_TRUE((*pool)
                  ->Run("outer",
                        [&](sql::Connection&) -> absl::Status {
                          inside = ConnectionsHeldByThisThread();
                          std::thread([&] { other_thread = ConnectionsHeldByThisThread(); }).join();
                          return (*pool)->InTransaction("inner",
                                                        [&](sql::Connection&) -> absl::Status {
                                                          nested = ConnectionsHeldByThisThread();
                                                          return absl::OkStatus();
                                                        });
                        })
                  .ok());
  EXPECT_EQ(inside, 1);
  EXPECT_EQ(nested, 2);
  EXPECT_EQ(other_thread, 0);
  EXPECT_EQ(ConnectionsHeldByThisThread(), 0);

  // Leases taken directly count until they are released, failed callbacks included.
  {
    auto lease = (*pool)->Acquire();
    ASSERT_TRUE(lease.ok());
    EXPECT_EQ(ConnectionsHeldByThisThread(), 1);
  }
  EXPECT_EQ(ConnectionsHeldByThisThread(), 0);
  EXPECT_FALSE(
      (*pool)
          ->Run("fails", [](sql::Connection&) -> absl::Status { return absl::InternalError("no"); })
          .ok());
  EXPECT_EQ(ConnectionsHeldByThisThread(), 0);
}

TEST(MysqlPoolTest, AnOutboundCallPreparedWhileHoldingAConnectionIsCounted) {
  auto pool = MysqlPool::Create(SharedServers().CreateDatabase("pool"));
  ASSERT_TRUE(pool.ok()) << pool.status();
  const int64_t before = OutboundCallsHoldingDatabase();
  EXPECT_NE(InternalContext("internal-secret"), nullptr);
  EXPECT_EQ(OutboundCallsHoldingDatabase(), before) << "no connection held: not counted";

  ASSERT_TRUE((*pool)
                  ->Run("calls out",
                        [](sql::Connection&) -> absl::Status {
                          auto ctx = InternalContext("internal-secret");
                          return ctx != nullptr ? absl::OkStatus() : absl::InternalError("null");
                        })
                  .ok());
  EXPECT_EQ(OutboundCallsHoldingDatabase(), before + 1);

  ASSERT_TRUE((*pool)
                  ->InTransaction("calls out in a transaction",
                                  [](sql::Connection&) -> absl::Status {
                                    InternalContext("internal-secret", absl::Seconds(1));
                                    return absl::OkStatus();
                                  })
                  .ok());
  EXPECT_EQ(OutboundCallsHoldingDatabase(), before + 2);

  InternalContext("internal-secret");
  EXPECT_EQ(OutboundCallsHoldingDatabase(), before + 2) << "released: not counted";
}

// Records its calls; inserts its own row inside the transaction, then answers `result`.
class RecordingHook final : public TransactionHook {
 public:
  explicit RecordingHook(absl::Status result) : result_(std::move(result)) {}
  absl::Status BeforeCommit(sql::Connection& conn) override {
    ++calls;
    InsertStaff(conn, absl::StrCat("hook-", calls));
    return result_;
  }
  int calls = 0;

 private:
  absl::Status result_;
};

TEST(MysqlPoolTest, AFailingTransactionHookRollsTheTransactionBack) {
  auto options = SharedServers().CreateDatabase("pool");
  options.pool_size = 1;
  auto pool = MysqlPool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  const auto insert = [&](const std::string& id) {
    return (*pool)->InTransaction("insert", [&](sql::Connection& c) -> absl::Status {
      InsertStaff(c, id);
      return absl::OkStatus();
    });
  };

  RecordingHook failing(absl::UnavailableError("outbox down"));
  {
    ScopedTransactionHook install(&failing);
    EXPECT_EQ(CurrentTransactionHook(), &failing);
    absl::Status s = insert("a");
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
    EXPECT_EQ(failing.calls, 1);
  }
  EXPECT_EQ(CurrentTransactionHook(), nullptr);
  EXPECT_EQ(CountRows(**pool, "SELECT COUNT(*) FROM staff"), 0)
      << "neither the change nor the hook's row committed";

  // The one connection went back in autocommit mode: the next transaction, without a hook,
  // commits exactly its own row.
  ASSERT_TRUE(insert("b").ok());
  EXPECT_EQ(failing.calls, 1);
  EXPECT_EQ(CountRows(**pool, "SELECT COUNT(*) FROM staff"), 1);

  RecordingHook passing(absl::OkStatus());
  {
    ScopedTransactionHook install(&passing);
    ASSERT_TRUE(insert("c").ok());
    // A transaction that fails by itself never reaches its hook.
    absl::Status refused =
        (*pool)->InTransaction("refused", [](sql::Connection& c) -> absl::Status {
          InsertStaff(c, "d");
          return absl::FailedPreconditionError("no");
        });
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(passing.calls, 1);
  EXPECT_EQ(CountRows(**pool, "SELECT COUNT(*) FROM staff WHERE staff_id IN ('c', 'hook-1')"), 2)
      << "the change and the hook's row committed together";
  EXPECT_EQ(CountRows(**pool, "SELECT COUNT(*) FROM staff"), 3);
}

// The server closes the connection in the middle of a transaction (a KILL, as a shutdown does
// to every connection): the server rolls the transaction back, so the caller must never hear OK.
// The driver's Connection::commit() returned normally here, and a payment answered OK across a
// MariaDB restart was not stored; COMMIT is now a statement, which reports the lost connection.
void KillConnection(MysqlPool& killer, int64_t id) {
  absl::Status killed = killer.Run("kill", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::Statement> st(c.createStatement());
    st->execute(absl::StrCat("KILL CONNECTION ", id));
    return absl::OkStatus();
  });
  ASSERT_TRUE(killed.ok()) << killed;
  absl::SleepFor(absl::Milliseconds(100));  // the server has closed the socket
}

int64_t ThisConnectionId(sql::Connection& c) {
  std::unique_ptr<sql::Statement> st(c.createStatement());
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT CONNECTION_ID()"));
  rs->next();
  return rs->getInt64(1);
}

// Kills its own transaction's connection as the last thing before COMMIT.
class KillingHook final : public TransactionHook {
 public:
  explicit KillingHook(MysqlPool& killer) : killer_(killer) {}
  absl::Status BeforeCommit(sql::Connection& conn) override {
    InsertStaff(conn, "hook-row");
    KillConnection(killer_, ThisConnectionId(conn));
    return absl::OkStatus();
  }
  void AfterRollback() override { ++rollbacks; }
  int rollbacks = 0;

 private:
  MysqlPool& killer_;
};

TEST(MysqlPoolTest, ACommitOnAConnectionTheServerClosedIsUnavailableAndNothingIsStored) {
  auto options = SharedServers().CreateDatabase("pool");
  options.pool_size = 1;
  auto pool = MysqlPool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto killer = MysqlPool::Create(options);
  ASSERT_TRUE(killer.ok()) << killer.status();

  absl::Status s = (*pool)->InTransaction("insert", [&](sql::Connection& c) -> absl::Status {
    InsertStaff(c, "lost");
    KillConnection(**killer, ThisConnectionId(c));
    return absl::OkStatus();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(CountRows(**killer, "SELECT COUNT(*) FROM staff"), 0);

  // The same with the audit hook's row: UNAVAILABLE, the hook hears of the rollback, no row.
  KillingHook hook(**killer);
  {
    ScopedTransactionHook install(&hook);
    absl::Status h = (*pool)->InTransaction("insert", [&](sql::Connection& c) -> absl::Status {
      InsertStaff(c, "lost-too");
      return absl::OkStatus();
    });
    EXPECT_EQ(h.code(), absl::StatusCode::kUnavailable) << h;
  }
  EXPECT_EQ(hook.rollbacks, 1);
  EXPECT_EQ(CountRows(**killer, "SELECT COUNT(*) FROM staff"), 0);

  // A transaction that fails by itself on a connection the server closed: its own status, and
  // the dead connection is not handed out again (the pool has one), so the next one commits.
  absl::Status refused = (*pool)->InTransaction("refused", [&](sql::Connection& c) -> absl::Status {
    KillConnection(**killer, ThisConnectionId(c));
    return absl::FailedPreconditionError("no");
  });
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  absl::Status next = (*pool)->InTransaction("next", [](sql::Connection& c) -> absl::Status {
    InsertStaff(c, "kept");
    return absl::OkStatus();
  });
  ASSERT_TRUE(next.ok()) << next;
  EXPECT_EQ(CountRows(**killer, "SELECT COUNT(*) FROM staff WHERE staff_id = 'kept'"), 1);
  EXPECT_EQ(CountRows(**killer, "SELECT COUNT(*) FROM staff"), 1);
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

TEST(MysqlPoolTest, ConnectsThroughAUnixSocketInsteadOfHostAndPort) {
  MysqlOptions options = SharedServers().CreateDatabase("socket");
  options.socket = SharedServers().dir() + "/mysql.sock";
  options.port = testing::FreePort();  // nothing listens there: only the socket can answer
  auto pool = MysqlPool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto host = (*pool)->Run("host", [](sql::Connection& c) -> absl::StatusOr<std::string> {
    std::unique_ptr<sql::Statement> st(c.createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
        "SELECT host FROM information_schema.processlist WHERE id = CONNECTION_ID()"));
    rs->next();
    return std::string(rs->getString(1));
  });
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_EQ(*host, "localhost") << "a TCP client shows as 127.0.0.1:port";
  EXPECT_EQ(CountRows(**pool, "SELECT COUNT(*) FROM staff"), 0);

  options.socket = SharedServers().dir() + "/no-such.sock";
  options.connect_timeout = absl::Seconds(1);
  auto missing = MysqlPool::Create(options);
  ASSERT_EQ(missing.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(missing.status().message().find("socket " + options.socket), absl::string_view::npos)
      << missing.status();
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

TEST(RedisClientTest, ConnectsThroughAUnixSocketInsteadOfHostAndPort) {
  RedisOptions options = SharedServers().Redis();
  options.socket = SharedServers().dir() + "/redis.sock";
  options.port = testing::FreePort();  // nothing listens there: only the socket can answer
  RedisClient redis(options);
  ASSERT_TRUE(redis.Set("through-socket", "收款", absl::Seconds(10)).ok());
  RedisClient over_tcp(SharedServers().Redis());
  EXPECT_EQ(over_tcp.Get("through-socket")->value_or(""), "收款") << "the same server";

  options.socket = SharedServers().dir() + "/no-such.sock";
  RedisClient missing(options);
  absl::Status down = missing.Ping();
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(down.message().find("socket " + options.socket), absl::string_view::npos) << down;
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
