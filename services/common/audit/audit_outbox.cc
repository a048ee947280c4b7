#include "services/common/audit/audit_outbox.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <grpcpp/server_context.h>

#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/grpc/principal.h"
#include "services/common/log/logging.h"
#include "services/common/text/utf8.h"

namespace aggpay::common {
namespace {

std::string MarkedAction(const grpc::ServerContext& context) {
  const auto& md = context.client_metadata();
  auto it = md.find(grpc::string_ref(kAuditCallKey.data(), kAuditCallKey.size()));
  return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

std::string SourceKey(int64_t id) { return absl::StrCat("outbox:", id); }

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
  if (outbox_id_ != 0) {
    context_.AddTrailingMetadata(std::string(kAuditOutboxKey), std::to_string(outbox_id_));
  }
}

absl::Status AuditScope::BeforeCommit(sql::Connection& conn) {
  if (!active_ || outbox_id_ != 0) return absl::OkStatus();
  sql::PreparedStatement* st = &common::Prepare(
      conn,
      "INSERT INTO audit_outbox (at, actor, role, action, target, request_id, details, "
      "created_at) VALUES (NOW(6), ?, ?, ?, '', ?, '', NOW(6))");
  st->setString(1, TruncateUtf8(record_.actor, 128));
  st->setString(2, TruncateUtf8(record_.role, 32));
  st->setString(3, TruncateUtf8(record_.action, 160));
  st->setString(4, TruncateUtf8(record_.request_id, 128));
  st->execute();
  std::unique_ptr<sql::Statement> id(conn.createStatement());
  std::unique_ptr<sql::ResultSet> rs(id->executeQuery("SELECT LAST_INSERT_ID()"));
  if (!rs->next()) return absl::InternalError("audit outbox: no row id");
  outbox_id_ = rs->getInt64(1);
  return absl::OkStatus();
}

void AuditScope::AfterRollback() {
  // The row inserted before a COMMIT that failed is gone with it: the next transaction writes
  // it again.
  outbox_id_ = 0;
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

void AuditRelay::Deliver(int64_t id, AuditRecord record) {
  {
    std::lock_guard lock(mu_);
    queue_.emplace_back(id, std::move(record));
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
    queue_.emplace_back(0, std::move(record));
  }
  cv_.notify_one();
}

absl::Status AuditRelay::Send(std::vector<std::pair<int64_t, AuditRecord>> batch) {
  if (batch.empty()) return absl::OkStatus();
  std::vector<AuditRecord> records;
  std::vector<int64_t> ids;
  records.reserve(batch.size());
  for (auto& [id, r] : batch) {
    if (id != 0) {
      r.source_key = SourceKey(id);
      ids.push_back(id);
    }
    records.push_back(std::move(r));
  }
  const int64_t direct = static_cast<int64_t>(batch.size() - ids.size());
  // No connection is held while the admin service is called.
  if (absl::Status s = sink_.AppendBatch(records); !s.ok()) {
    metrics_.Increment("audit_outbox_delivery_failures_total");
    if (direct > 0) metrics_.Increment("audit_append_failures_total", direct);
    return s;
  }
  if (ids.empty()) return absl::OkStatus();
  return pool_.Run("delete audit outbox", [&](sql::Connection& c) -> absl::Status {
    std::string sql = "DELETE FROM audit_outbox WHERE id IN (";
    for (size_t i = 0; i < ids.size(); ++i) sql += i == 0 ? "?" : ", ?";
    sql += ")";
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
    for (size_t i = 0; i < ids.size(); ++i) st->setInt64(static_cast<int>(i + 1), ids[i]);
    st->execute();
    metrics_.Increment("audit_outbox_delivered_total", static_cast<int64_t>(ids.size()));
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> AuditRelay::Sweep() {
  auto rows = pool_.Run(
      "sweep audit outbox",
      [&](sql::Connection& c) -> absl::StatusOr<std::vector<std::pair<int64_t, AuditRecord>>> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            "SELECT id, at, actor, role, action, target, request_id, details FROM audit_outbox "
            "WHERE created_at < NOW(6) - INTERVAL ? MICROSECOND ORDER BY id LIMIT ?"));
        st->setInt64(1, absl::ToInt64Microseconds(options_.sweep_age));
        st->setInt(2, options_.batch_size);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<std::pair<int64_t, AuditRecord>> out;
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
          out.emplace_back(rs->getInt64(1), std::move(r));
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
    std::vector<std::pair<int64_t, AuditRecord>> batch;
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
        if (queue_.front().first == 0) --direct_queued_;
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
