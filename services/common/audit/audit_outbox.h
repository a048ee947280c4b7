#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/common/audit/audit_sink.h"
#include "services/common/metrics/metrics.h"
#include "services/common/mysql/mysql_pool.h"

namespace grpc {
class ServerContext;
}

namespace aggpay::common {

// The transactional audit outbox: every committed mutation has its audit entry, eventually and
// exactly once.
//
//  - The auth interceptor marks each call of a mutating RPC; AGGPAY_AUTHORIZE opens an AuditScope
//    for it on the handler's thread. The first transaction that thread commits while serving the
//    call also inserts one audit_outbox row (actor, action, request id) before COMMIT: the change
//    and the record of it commit together or not at all.
//  - The row's key is made here (128 random bits), not read back from the database. When the
//    call ends the interceptor hands the key, with the final target, details and outcome, to
//    the AuditRelay, which appends batches to the chain (AdminService.AppendAudit) and deletes
//    the delivered rows.
//  - Rows that no relay delivered (the process died, the admin service was down) are swept from
//    the table by any instance's relay after a while and appended from what the row holds.
//  - Each entry carries "outbox:<key>" as its source key ("outbox:<id>" for a row written before
//    rows had keys, migration 0020) and the chain refuses a second entry with the same key, so a
//    delivery repeated after a crash between append and delete, or by two relays at once, is
//    chained once.
// A call that commits nothing (refused, failed, read-only) is appended directly by the
// interceptor, as before; losing one of those is tolerated and counted.
class AuditScope final : public TransactionHook {
 public:
  // Active only when the interceptor marked the call as mutating.
  explicit AuditScope(grpc::ServerContext& context);
  ~AuditScope() override;
  AuditScope(const AuditScope&) = delete;
  AuditScope& operator=(const AuditScope&) = delete;

  absl::Status BeforeCommit(sql::Connection& conn) override;
  void AfterRollback() override;
  // Scopes whose calls share a group commit write their rows in one multi-row INSERT.
  const Batch* batch() const override;

 private:
  class OutboxBatch;
  // False if this scope writes no row: inactive, or its row is already in this transaction.
  bool NeedsRow() const { return active_ && outbox_key_.empty(); }
  // outbox_key_ is set only once the row's INSERT has run: an INSERT that throws leaves it empty.
  void BindRow(sql::PreparedStatement& st, int* index, const std::string& key) const;

  grpc::ServerContext& context_;
  bool active_ = false;
  AuditRecord record_;
  std::string outbox_key_;  // set once the row is written
  // Whether the transaction being committed wrote outbox_key_'s row: a rollback forgets the key
  // only then, never the key of a row an earlier transaction of the call already committed.
  bool row_in_this_transaction_ = false;
  ScopedTransactionHook install_;
};

// Metadata the interceptor uses to mark a mutating call (request) and the handler to report an
// outbox row (trailers); never sent to or accepted from clients.
inline constexpr absl::string_view kAuditCallKey = "x-aggpay-audit-call";
inline constexpr absl::string_view kAuditOutboxKey = "x-aggpay-audit-outbox";

struct AuditRelayOptions {
  // How long the relay gathers entries into one batch.
  absl::Duration batch_delay = absl::Milliseconds(5);
  int batch_size = 500;
  // How often rows left in the table are looked for, and how old they must be.
  absl::Duration sweep_interval = absl::Seconds(2);
  // Longer than any call's deadline: a call still running must deliver its own entry, with its
  // final target and outcome.
  absl::Duration sweep_age = absl::Seconds(60);
  // Entries without an outbox row waiting for the admin service, at most.
  int max_direct_queued = 10000;
};

class AuditRelay {
 public:
  AuditRelay(MysqlPool& pool, AuditSink& sink, Metrics& metrics, AuditRelayOptions options);
  ~AuditRelay();
  AuditRelay(const AuditRelay&) = delete;
  AuditRelay& operator=(const AuditRelay&) = delete;

  void Start();
  void Stop();
  // Queues the entry of the outbox row with `key`; never blocks on the database or the admin
  // service.
  void Deliver(std::string key, AuditRecord record);
  // Queues the entry of a call that committed nothing (refused, failed, read-only): appended
  // with the next batch, without an outbox row, so the caller's answer never waits for the admin
  // service. Such an entry is lost, and counted in audit_append_failures_total, when its append
  // fails or more than max_direct_queued are waiting.
  void DeliverDirect(AuditRecord record);
  // Appends rows older than sweep_age that are still in the table; returns how many.
  absl::StatusOr<int64_t> Sweep();

 private:
  // An entry waiting to be appended: an outbox row's (by key, or by id for a row written
  // before keys), or a direct one (neither).
  struct Pending {
    int64_t id = 0;
    std::string key;
    AuditRecord record;
    bool direct() const { return id == 0 && key.empty(); }
  };
  absl::Status Send(std::vector<Pending> batch);
  void Run();

  MysqlPool& pool_;
  AuditSink& sink_;
  Metrics& metrics_;
  AuditRelayOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  int direct_queued_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace aggpay::common
