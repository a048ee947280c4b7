#include "services/common/mysql/mysql_pool.h"

#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <atomic>
#include <mutex>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "services/common/log/logging.h"

namespace aggpay::common {
namespace {

thread_local int t_connections_held = 0;

// Statements kept per open connection (see Prepare); entries go when the connection does.
struct StatementCaches {
  std::mutex mu;
  std::unordered_map<const sql::Connection*,
                     std::unordered_map<std::string, std::unique_ptr<sql::PreparedStatement>>>
      by_connection;
};
StatementCaches& Caches() {
  static StatementCaches* caches = new StatementCaches();
  return *caches;
}
void ForgetStatements(const sql::Connection* conn) {
  StatementCaches& c = Caches();
  std::unordered_map<std::string, std::unique_ptr<sql::PreparedStatement>> dropped;
  {
    std::lock_guard lock(c.mu);
    auto it = c.by_connection.find(conn);
    if (it == c.by_connection.end()) return;
    dropped = std::move(it->second);
    c.by_connection.erase(it);
  }
  try {
    dropped.clear();  // closes them while the connection still exists
  } catch (...) {
  }
}
thread_local TransactionHook* t_transaction_hook = nullptr;
std::atomic<int64_t> g_calls_holding_database{0};

}  // namespace

int ConnectionsHeldByThisThread() { return t_connections_held; }

sql::PreparedStatement& Prepare(sql::Connection& conn, const std::string& sql) {
  StatementCaches& c = Caches();
  std::unordered_map<std::string, std::unique_ptr<sql::PreparedStatement>>* mine = nullptr;
  {
    std::lock_guard lock(c.mu);
    mine = &c.by_connection[&conn];
  }
  // Only the thread holding the connection touches its statements.
  auto it = mine->find(sql);
  if (it != mine->end()) return *it->second;
  std::unique_ptr<sql::PreparedStatement> st(conn.prepareStatement(sql));
  return *mine->emplace(sql, std::move(st)).first->second;
}

void BeginTransaction(sql::Connection& conn) {
  std::unique_ptr<sql::Statement> st(conn.createStatement());
  st->execute("START TRANSACTION");
}

void CommitTransaction(sql::Connection& conn) {
  std::unique_ptr<sql::Statement> st(conn.createStatement());
  st->execute("COMMIT");
}

void RollbackTransaction(sql::Connection& conn) {
  std::unique_ptr<sql::Statement> st(conn.createStatement());
  st->execute("ROLLBACK");
}

bool TryRollback(sql::Connection& conn) {
  try {
    RollbackTransaction(conn);
    return true;
  } catch (...) {
    return false;
  }
}

ScopedTransactionHook::ScopedTransactionHook(TransactionHook* hook)
    : previous_(t_transaction_hook) {
  t_transaction_hook = hook;
}

ScopedTransactionHook::~ScopedTransactionHook() { t_transaction_hook = previous_; }

TransactionHook* CurrentTransactionHook() { return t_transaction_hook; }

void NoteOutboundCallWhileHoldingDatabase(absl::string_view what) {
  g_calls_holding_database.fetch_add(1, std::memory_order_relaxed);
  spdlog::error("outbound call {} made while holding a database connection", what);
}

int64_t OutboundCallsHoldingDatabase() {
  return g_calls_holding_database.load(std::memory_order_relaxed);
}

absl::Status UnexpectedException(absl::string_view what) {
  try {
    throw;
  } catch (const std::exception& e) {
    spdlog::error("mysql {}: unexpected exception: {}", what, e.what());
  } catch (...) {
    spdlog::error("mysql {}: unexpected non-standard exception", what);
  }
  return absl::InternalError(absl::StrCat(what, ": internal error"));
}

bool IsConnectionError(int code) {
  // CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST,
  // CR_SERVER_LOST_EXTENDED, ER_CON_COUNT_ERROR, ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED; 0 is
  // a driver-side failure.
  switch (code) {
    case 1927:
    case 2002:
    case 2003:
    case 2006:
    case 2013:
    case 2055:
    case 1040:
    case 1053:
    case 0:
      return true;
    default:
      return false;
  }
}

absl::Status MapSqlException(const sql::SQLException& e, absl::string_view what) {
  const int code = e.getErrorCode();
  if (code == 1062) return absl::AlreadyExistsError(absl::StrCat(what, ": already exists"));
  if (code == 1205 || code == 1213) {
    spdlog::warn("mysql {}: lock conflict ({} {}): {}", what, code, e.getSQLState(), e.what());
    return absl::AbortedError(absl::StrCat(what, ": conflicting concurrent change, retry"));
  }
  if (IsConnectionError(code)) {
    spdlog::warn("mysql {}: connection error ({} {}): {}", what, code, e.getSQLState(), e.what());
    return absl::UnavailableError(absl::StrCat(what, ": database unavailable"));
  }
  spdlog::error("mysql {}: error {} state {}: {}", what, code, e.getSQLState(), e.what());
  return absl::InternalError(absl::StrCat(what, ": internal database error"));
}

MysqlPool::MysqlPool(MysqlOptions options)
    : options_(std::move(options)), driver_(sql::mysql::get_mysql_driver_instance()) {}

MysqlPool::~MysqlPool() {
  for (const auto& conn : idle_) ForgetStatements(conn.get());
}

absl::StatusOr<std::unique_ptr<MysqlPool>> MysqlPool::Create(const MysqlOptions& options) {
  std::unique_ptr<MysqlPool> pool(new MysqlPool(options));
  auto conn = pool->Connect();
  if (!conn.ok()) return conn.status();
  std::lock_guard lock(pool->mu_);
  pool->idle_.push_back(std::move(*conn));
  pool->open_ = 1;
  return pool;
}

absl::StatusOr<std::unique_ptr<sql::Connection>> MysqlPool::Connect() {
  sql::ConnectOptionsMap opts;
  const std::string where = options_.socket.empty()
                                ? absl::StrCat(options_.host, ":", options_.port)
                                : absl::StrCat("socket ", options_.socket);
  opts["hostName"] = sql::SQLString(options_.socket.empty()
                                        ? absl::StrCat("tcp://", options_.host, ":", options_.port)
                                        : absl::StrCat("unix://", options_.socket));
  opts["userName"] = sql::SQLString(options_.user);
  opts["password"] = sql::SQLString(options_.password);
  if (!options_.database.empty()) opts["schema"] = sql::SQLString(options_.database);
  opts["OPT_CONNECT_TIMEOUT"] =
      static_cast<int>(absl::ToInt64Seconds(options_.connect_timeout) + 1);
  opts["OPT_READ_TIMEOUT"] = static_cast<int>(absl::ToInt64Seconds(options_.read_timeout) + 1);
  opts["OPT_WRITE_TIMEOUT"] = static_cast<int>(absl::ToInt64Seconds(options_.read_timeout) + 1);
  opts["OPT_RECONNECT"] = false;
  opts["CLIENT_MULTI_STATEMENTS"] = false;
  opts["CLIENT_FOUND_ROWS"] = true;  // UPDATE counts matched rows, so "not found" is exact
  opts["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  try {
    std::unique_ptr<sql::Connection> conn(driver_->connect(opts));
    std::unique_ptr<sql::Statement> stmt(conn->createStatement());
    stmt->execute("SET time_zone = '+00:00'");
    stmt->execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    return conn;
  } catch (const sql::SQLException& e) {
    spdlog::warn("mysql connect {}: {} ({})", where, e.what(), e.getErrorCode());
    return absl::UnavailableError(
        absl::StrCat("cannot connect to MySQL at ", where, " as ", options_.user, ": ", e.what()));
  }
}

absl::StatusOr<MysqlPool::Lease> MysqlPool::Acquire() {
  std::unique_lock lock(mu_);
  const auto deadline = absl::ToChronoTime(absl::Now() + options_.acquire_timeout);
  while (idle_.empty() && open_ >= options_.pool_size) {
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.pool_size) {
      return absl::UnavailableError("database busy: no free connection");
    }
  }
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  auto conn = Connect();
  if (!conn.ok()) {
    std::lock_guard relock(mu_);
    --open_;
    cv_.notify_one();
    return absl::UnavailableError("database unavailable");
  }
  return Lease(this, std::move(*conn));
}

void MysqlPool::Release(std::unique_ptr<sql::Connection> conn, bool broken) {
  if (broken && conn != nullptr) {
    ForgetStatements(conn.get());
    conn.reset();
  }
  std::lock_guard lock(mu_);
  if (broken || conn == nullptr) {
    --open_;
  } else {
    idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

MysqlPool::Lease::Lease(MysqlPool* pool, std::unique_ptr<sql::Connection> conn)
    : pool_(pool), conn_(std::move(conn)) {
  ++t_connections_held;
}

MysqlPool::Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) {
    --t_connections_held;
    pool_->Release(std::move(conn_), broken_);
  }
}

absl::Status MysqlPool::Ping() {
  return Run("ping", [](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::Statement> stmt(c.createStatement());
    std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery("SELECT 1"));
    return absl::OkStatus();
  });
}

std::string FormatSqlTime(absl::Time t) {
  // DATETIME's range; "the end of time" compares after every stored value.
  if (t == absl::InfiniteFuture()) return "9999-12-31 23:59:59.999999";
  if (t == absl::InfinitePast()) return "1000-01-01 00:00:00.000000";
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S", t, absl::UTCTimeZone());
}

absl::Time ParseSqlTime(const std::string& s) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%Y-%m-%d %H:%M:%E*S", s, absl::UTCTimeZone(), &t, &err)) return t;
  return absl::InfinitePast();
}

size_t PaddedCount(size_t n) {
  size_t padded = n == 0 ? 0 : 1;
  while (padded < n) padded *= 2;
  return padded;
}

std::string Placeholders(size_t n) {
  std::string out;
  out.reserve(n * 3);
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

}  // namespace aggpay::common
