#include "services/common/audit/audit_outbox.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <grpcpp/server_context.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"
#include "services/common/grpc/principal.h"
#include "services/common/log/logging.h"
#include "services/common/mysql/multi_row_insert.h"
#include "services/common/text/utf8.h"

namespace aggpay::common {
namespace {

std::string MarkedAction(const grpc::ServerContext& context) {
  const auto& md = context.client_metadata();
  auto it = md.find(grpc::string_ref(kAuditCallKey.data(), kAuditCallKey.size()));
  return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

// The chain's source key of an outbox row: by its key, or by its id for a row written before
// rows had keys (migration 0020). An id has at most 19 digits and a key 22 characters, so the
// two never meet.
std::string SourceKey(int64_t id, const std::string& key) {
  return key.empty() ? absl::StrCat("outbox:", id) : absl::StrCat("outbox:", key);
}

// The outbox key: 128 random bits, URL-safe base64 (22 characters, the column's width).
constexpr size_t kOutboxKeyBytes = 16;

}  // namespace

AuditScope::AuditScope(grpc::ServerContext& context)
    : context_(context), record_{}, install_(MarkedAction(context).empty() ? nullptr : this) {
  record_.action = MarkedAction(context);
  active_ = !record_.action.empty();
  if (!active_) return;
  if (auto p = CallPrincipal(context); p.ok()) {
    record_.actor = p->Actor();
    record_.role = p->is_staff() ? p->role : std::string(p->KindName());
  }
  record_.request_id = CallRequestId(context);
}

AuditScope::~AuditScope() {
  if (!outbox_key_.empty()) context_.AddTrailingMetadata(std::string(kAuditOutboxKey), outbox_key_);
}

// The key is made here, so that nothing has to be read back: one statement per row, or per
// batch of rows.
const MultiRowInsert& OutboxInsert() {
  static const MultiRowInsert insert(
      "INSERT INTO audit_outbox (outbox_key, at, actor, role, action, target, request_id, "
      "details, created_at) VALUES ",
      "(?, NOW(6), ?, ?, ?, '', ?, '', NOW(6))");
  return insert;
}

void AuditScope::BindRow(sql::PreparedStatement& st, int* index, const std::string& key) const {
  st.setString((*index)++, key);
  st.setString((*index)++, TruncateUtf8(record_.actor, 128));
  st.setString((*index)++, TruncateUtf8(record_.role, 32));
  st.setString((*index)++, TruncateUtf8(record_.action, 160));
  st.setString((*index)++, TruncateUtf8(record_.request_id, 128));
}

absl::Status AuditScope::BeforeCommit(sql::Connection& conn) {
  row_in_this_transaction_ = false;
  if (!NeedsRow()) return absl::OkStatus();
  std::string key = RandomToken(kOutboxKeyBytes);
  OutboxInsert().Run(conn, 1,
                     [&](sql::PreparedStatement& st, int* i, size_t) { BindRow(st, i, key); });
  outbox_key_ = std::move(key);
  row_in_this_transaction_ = true;
  return absl::OkStatus();
}

class AuditScope::OutboxBatch final : public TransactionHook::Batch {
 public:
  absl::Status BeforeCommitAll(sql::Connection& conn,
                               absl::Span<TransactionHook* const> hooks) const override {
    std::vector<std::pair<AuditScope*, std::string>> rows;
    rows.reserve(hooks.size());
    for (TransactionHook* h : hooks) {
      // Only an AuditScope returns this Batch from batch().
      auto* scope = static_cast<AuditScope*>(h);
      scope->row_in_this_transaction_ = false;
      if (scope->NeedsRow()) rows.emplace_back(scope, RandomToken(kOutboxKeyBytes));
    }
    OutboxInsert().Run(conn, rows.size(), [&](sql::PreparedStatement& st, int* i, size_t r) {
      rows[r].first->BindRow(st, i, rows[r].second);
    });
    for (auto& [scope, key] : rows) {
      scope->outbox_key_ = std::move(key);
      scope->row_in_this_transaction_ = true;
    }
    return absl::OkStatus();
  }
};

const TransactionHook::Batch* AuditScope::batch() const {
  static const OutboxBatch kBatch;
  return &kBatch;
}

void AuditScope::AfterRollback() {
  // The row inserted before a COMMIT that failed is gone with it: the next transaction writes
  // it again. A row an earlier transaction of this call committed stays, and so does its key.
  if (!row_in_this_transaction_) return;
  outbox_key_.clear();
  row_in_this_transaction_ = false;
}

AuditRelay::AuditRelay(MysqlPool& pool, AuditSink& sink, Metrics& metrics,
                       AuditRelayOptions options)
    : pool_(pool), sink_(sink), metrics_(metrics), options_(options) {}

AuditRelay::~AuditRelay() { Stop(); }

void AuditRelay::Start() {
  thread_ = std::thread([this] { Run(); });
}

void AuditRelay::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AuditRelay::Deliver(std::string key, AuditRecord record) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Pending{0, std::move(key), std::move(record)});
  }
  cv_.notify_one();
}

void AuditRelay::DeliverDirect(AuditRecord record) {
  {
    std::lock_guard lock(mu_);
    if (direct_queued_ >= options_.max_direct_queued) {
      metrics_.Increment("audit_append_failures_total");
      return;
    }
    ++direct_queued_;
    queue_.push_back(Pending{0, "", std::move(record)});
  }
  cv_.notify_one();
}

absl::Status AuditRelay::Send(std::vector<Pending> batch) {
  if (batch.empty()) return absl::OkStatus();
  std::vector<AuditRecord> records;
  std::vector<int64_t> ids;  // rows written before keys (migration 0020)
  std::vector<std::string> keys;
  records.reserve(batch.size());
  for (Pending& p : batch) {
    if (!p.direct()) {
      p.record.source_key = SourceKey(p.id, p.key);
      if (p.key.empty()) {
        ids.push_back(p.id);
      } else {
        keys.push_back(std::move(p.key));
      }
    }
    records.push_back(std::move(p.record));
  }
  const int64_t rows = static_cast<int64_t>(ids.size() + keys.size());
  const int64_t direct = static_cast<int64_t>(batch.size()) - rows;
  // No connection is held while the admin service is called.
  if (absl::Status s = sink_.AppendBatch(records); !s.ok()) {
    metrics_.Increment("audit_outbox_delivery_failures_total");
    if (direct > 0) metrics_.Increment("audit_append_failures_total", direct);
    return s;
  }
  if (rows == 0) return absl::OkStatus();
  return pool_.Run("delete audit outbox", [&](sql::Connection& c) -> absl::Status {
    // Padded to a power of two by repeating the last value: a few texts, each prepared once per
    // connection.
    if (!keys.empty()) {
      const size_t n = PaddedCount(keys.size());
      sql::PreparedStatement* st = &Prepare(
          c, absl::StrCat("DELETE FROM audit_outbox WHERE outbox_key IN (", Placeholders(n), ")"));
      for (size_t i = 0; i < n; ++i) {
        st->setString(static_cast<int>(i + 1), keys[std::min(i, keys.size() - 1)]);
      }
      st->execute();
    }
    if (!ids.empty()) {
      const size_t n = PaddedCount(ids.size());
      sql::PreparedStatement* st =
          &Prepare(c, absl::StrCat("DELETE FROM audit_outbox WHERE id IN (", Placeholders(n), ")"));
      for (size_t i = 0; i < n; ++i) {
        st->setInt64(static_cast<int>(i + 1), ids[std::min(i, ids.size() - 1)]);
      }
      st->execute();
    }
    metrics_.Increment("audit_outbox_delivered_total", rows);
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> AuditRelay::Sweep() {
  auto rows = pool_.Run(
      "sweep audit outbox", [&](sql::Connection& c) -> absl::StatusOr<std::vector<Pending>> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            "SELECT id, at, actor, role, action, target, request_id, details, outbox_key "
            "FROM audit_outbox WHERE created_at < NOW(6) - INTERVAL ? MICROSECOND ORDER BY id "
            "LIMIT ?"));
        st->setInt64(1, absl::ToInt64Microseconds(options_.sweep_age));
        st->setInt(2, options_.batch_size);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<Pending> out;
        while (rs->next()) {
          AuditRecord r;
          r.at = ParseSqlTime(rs->getString(2));
          r.actor = rs->getString(3);
          r.role = rs->getString(4);
          r.action = rs->getString(5);
          r.target = rs->getString(6);
          r.request_id = rs->getString(7);
          r.outcome = "OK";
          r.details = "committed; entry recovered from the audit outbox";
          Pending p{rs->getInt64(1), "", std::move(r)};
          if (!rs->isNull(9)) p.key = rs->getString(9);
          out.push_back(std::move(p));
        }
        return out;
      });
  if (!rows.ok()) return rows.status();
  const int64_t n = static_cast<int64_t>(rows->size());
  if (n > 0) {
    metrics_.Increment("audit_outbox_recovered_total", n);
    if (absl::Status s = Send(*std::move(rows)); !s.ok()) return s;
  }
  return n;
}

void AuditRelay::Run() {
  absl::Time next_sweep = absl::Now() + options_.sweep_interval;
  for (;;) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.sweep_interval),
                   [&] { return stop_ || !queue_.empty(); });
      if (stop_ && queue_.empty()) return;
      if (!queue_.empty() && static_cast<int>(queue_.size()) < options_.batch_size) {
        // Gather what arrives within batch_delay into the same append.
        cv_.wait_for(lock, absl::ToChronoMicroseconds(options_.batch_delay), [&] {
          return stop_ || static_cast<int>(queue_.size()) >= options_.batch_size;
        });
      }
      while (!queue_.empty() && static_cast<int>(batch.size()) < options_.batch_size) {
        if (queue_.front().direct()) --direct_queued_;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (absl::Status s = Send(std::move(batch)); !s.ok()) {
      // The rows stay in the table; the sweep delivers them later.
      spdlog::warn("audit outbox: delivery failed ({}); the sweep will retry", s.message());
    }
    if (absl::Now() >= next_sweep) {
      next_sweep = absl::Now() + options_.sweep_interval;
      auto swept = Sweep();
      if (!swept.ok()) spdlog::warn("audit outbox: sweep failed ({})", swept.status().message());
    }
  }
}

}  // namespace aggpay::common
