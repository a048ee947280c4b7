#pragma once

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace sql::mysql {
class MySQL_Driver;
}

namespace aggpay::common {

// Opens a transaction on `conn` (START TRANSACTION; autocommit stays on, and the next COMMIT or
// ROLLBACK ends it). MysqlPool::InTransaction uses it.
void BeginTransaction(sql::Connection& conn);
// COMMIT and ROLLBACK, sent as statements: they throw when the connection is lost. The driver's
// own Connection::commit() and rollback() do not: on a connection the server had already closed
// (killed, or shut down mid-transaction) commit() returned normally while the server had rolled
// the transaction back, so a change was answered OK and never stored.
void CommitTransaction(sql::Connection& conn);
void RollbackTransaction(sql::Connection& conn);
// RollbackTransaction, answering false instead of throwing: the connection did not answer.
bool TryRollback(sql::Connection& conn);

struct MysqlOptions {
  std::string host = "127.0.0.1";
  int port = 3306;
  // A Unix socket path: when set, it is used instead of host and port (a server on the same
  // machine, where the socket saves the loopback TCP stack's work on every round trip).
  std::string socket;
  std::string user = "aggpay";
  std::string password;  // from the environment, never a committed file
  std::string database = "aggpay";
  int pool_size = 4;
  absl::Duration connect_timeout = absl::Seconds(3);
  absl::Duration read_timeout = absl::Seconds(30);
  absl::Duration acquire_timeout = absl::Seconds(5);
};

// Turns a Connector/C++ exception into a status: duplicate key (1062) -> ALREADY_EXISTS,
// lost or refused connection -> UNAVAILABLE, lock wait / deadlock -> ABORTED, anything else
// INTERNAL. The SQL state and driver message go to the log, never to the caller.
absl::Status MapSqlException(const sql::SQLException& e, absl::string_view what);
// INTERNAL for an exception that is not the driver's, logged with what was running.
absl::Status UnexpectedException(absl::string_view what);
bool IsConnectionError(int mysql_error_code);

// How many pooled connections the calling thread holds. The rule "never call out while holding
// the database" is checked with it: every outbound service call asks (see InternalContext).
int ConnectionsHeldByThisThread();
// Records an outbound call made while this thread held a connection: logged as an error and
// counted in aggpay_outbound_calls_holding_database_total. Tests assert the count stays 0.
void NoteOutboundCallWhileHoldingDatabase(absl::string_view what);
int64_t OutboundCallsHoldingDatabase();

// Work that must commit with every transaction a thread runs while the hook is installed (the
// audit outbox row of the RPC being served). BeforeCommit runs inside the transaction, just
// before COMMIT; an error rolls the whole transaction back.
class TransactionHook {
 public:
  // Hooks whose work can be done for many hooks at once (the audit outbox's rows, in one
  // multi-row INSERT) share one Batch: a group commit that carries several callers' hooks calls
  // BeforeCommitAll once for all its hooks of that Batch instead of BeforeCommit on each. It
  // must do for each hook exactly what BeforeCommit would, and fail as a whole.
  class Batch {
   public:
    virtual ~Batch() = default;
    virtual absl::Status BeforeCommitAll(sql::Connection& conn,
                                         absl::Span<TransactionHook* const> hooks) const = 0;
  };

  virtual ~TransactionHook() = default;
  virtual absl::Status BeforeCommit(sql::Connection& conn) = 0;
  // The transaction rolled back after BeforeCommit ran: BeforeCommit failed or threw, or the
  // COMMIT failed. Undo what BeforeCommit noted of *this* transaction only.
  virtual void AfterRollback() {}
  // The Batch this hook's work can join, or null to be called alone.
  virtual const Batch* batch() const { return nullptr; }
};

// Installs `hook` for the calling thread's transactions while it lives (not nestable).
class ScopedTransactionHook {
 public:
  explicit ScopedTransactionHook(TransactionHook* hook);
  ~ScopedTransactionHook();
  ScopedTransactionHook(const ScopedTransactionHook&) = delete;
  ScopedTransactionHook& operator=(const ScopedTransactionHook&) = delete;

 private:
  TransactionHook* previous_;
};
TransactionHook* CurrentTransactionHook();

// A fixed-size pool of Connector/C++ connections. Thread-safe. Connections are opened lazily
// and replaced after a connection error, so a MySQL restart heals without a process restart.
class MysqlPool {
 public:
  class Lease {
   public:
    Lease(MysqlPool* pool, std::unique_ptr<sql::Connection> conn);
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    sql::Connection& operator*() { return *conn_; }
    sql::Connection* operator->() { return conn_.get(); }
    // The connection is not returned to the pool (it failed mid-use).
    void MarkBroken() { broken_ = true; }

   private:
    MysqlPool* pool_;
    std::unique_ptr<sql::Connection> conn_;
    bool broken_ = false;
  };

  // Opens one connection to check the settings: UNAVAILABLE naming host:port when MySQL cannot
  // be reached, so start-up fails with a clear message.
  static absl::StatusOr<std::unique_ptr<MysqlPool>> Create(const MysqlOptions& options);
  ~MysqlPool();

  absl::StatusOr<Lease> Acquire();
  absl::Status Ping();
  const MysqlOptions& options() const { return options_; }

  // Runs `fn(sql::Connection&)` on a pooled connection. Exceptions from the driver are mapped
  // with MapSqlException and never escape; a connection error drops the connection.
  // `fn` returns absl::Status or absl::StatusOr<T>.
  template <typename Fn>
  auto Run(absl::string_view what, Fn&& fn) -> decltype(fn(std::declval<sql::Connection&>()));

  // Like Run, inside a transaction: committed when `fn` returns OK, rolled back otherwise.
  template <typename Fn>
  auto InTransaction(absl::string_view what, Fn&& fn)
      -> decltype(fn(std::declval<sql::Connection&>()));

 private:
  explicit MysqlPool(MysqlOptions options);
  absl::StatusOr<std::unique_ptr<sql::Connection>> Connect();
  void Release(std::unique_ptr<sql::Connection> conn, bool broken);

  MysqlOptions options_;
  sql::mysql::MySQL_Driver* driver_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<sql::Connection>> idle_;
  int open_ = 0;  // connections handed out or idle
};

template <typename Fn>
auto MysqlPool::Run(absl::string_view what, Fn&& fn)
    -> decltype(fn(std::declval<sql::Connection&>())) {
  auto lease = Acquire();
  if (!lease.ok()) return lease.status();
  try {
    return fn(**lease);
  } catch (const sql::SQLException& e) {
    if (IsConnectionError(e.getErrorCode())) lease->MarkBroken();
    return MapSqlException(e, what);
  } catch (...) {
    // Whatever a callback threw, the connection's state is unknown: never reuse it.
    lease->MarkBroken();
    return UnexpectedException(what);
  }
}

template <typename Fn>
auto MysqlPool::InTransaction(absl::string_view what, Fn&& fn)
    -> decltype(fn(std::declval<sql::Connection&>())) {
  auto lease = Acquire();
  if (!lease.ok()) return lease.status();
  sql::Connection& conn = **lease;
  try {
    // START TRANSACTION, then COMMIT or ROLLBACK: autocommit stays on, so a transaction is two
    // round trips of its own, not three (SET autocommit=0, COMMIT, SET autocommit=1).
    BeginTransaction(conn);
    auto result = fn(conn);
    if (!result.ok()) {
      // Nothing commits either way; a connection that cannot roll back is not reused.
      if (!TryRollback(conn)) lease->MarkBroken();
      return result;
    }
    TransactionHook* hook = CurrentTransactionHook();
    if (hook != nullptr) {
      absl::Status h;
      try {
        h = hook->BeforeCommit(conn);
      } catch (...) {
        // Its statement failed: the transaction rolls back below, and the hook must know.
        hook->AfterRollback();
        throw;
      }
      if (!h.ok()) {
        if (!TryRollback(conn)) lease->MarkBroken();
        hook->AfterRollback();
        return h;
      }
    }
    try {
      // A COMMIT that fails on a lost connection may or may not have committed: UNAVAILABLE,
      // and the caller's retry (idempotent by its key) finds out which.
      CommitTransaction(conn);
    } catch (...) {
      if (hook != nullptr) hook->AfterRollback();
      throw;
    }
    return result;
  } catch (const sql::SQLException& e) {
    if (!TryRollback(conn) || IsConnectionError(e.getErrorCode())) lease->MarkBroken();
    return MapSqlException(e, what);
  } catch (...) {
    // Not a driver error (std::bad_alloc, a callback's own exception): the transaction must not
    // go back to the pool half-done. Roll back if the connection still answers, and drop it.
    TryRollback(conn);
    lease->MarkBroken();
    return UnexpectedException(what);
  }
}

// The prepared statement for `sql` on `conn`, prepared on first use and kept with the connection
// until it closes: one round trip per execution instead of prepare, execute and close. Only for
// a fixed set of statement texts (the hot paths): the cache is not bounded. Parameters must be
// set anew before each execution, and a result set must be finished before the same text is
// executed again on the connection.
sql::PreparedStatement& Prepare(sql::Connection& conn, const std::string& sql);

// A batch statement over n values (an IN list) is written for PaddedCount(n) values, the next
// power of two, and padded by repeating one of them, which an IN list ignores: a connection then
// prepares a few texts once (Prepare) instead of one per batch size, and each batch is one round
// trip instead of prepare, execute and close. PaddedCount(5) == 8, PaddedCount(0) == 0.
size_t PaddedCount(size_t n);
// "?, ?, ?": n placeholders, comma-separated.
std::string Placeholders(size_t n);

// Helpers for reading and binding DATETIME(6) columns as UTC absl::Time.
std::string FormatSqlTime(absl::Time t);
absl::Time ParseSqlTime(const std::string& s);

}  // namespace aggpay::common
