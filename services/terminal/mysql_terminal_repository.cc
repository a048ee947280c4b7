#include "services/terminal/mysql_terminal_repository.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/mysql/multi_row_insert.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"

namespace aggpay::terminal {
namespace {

using common::FormatSqlTime;
using common::ParseSqlTime;

constexpr const char* kColumns =
    "terminal_sn, merchant_id, store_id, type, serial, vendor, client_version, status, "
    "device_id, key_version, last_check_in_ts, last_check_in_at, activated_at, created_at";

absl::StatusOr<TerminalRecord> ReadTerminal(sql::ResultSet& rs) {
  TerminalRecord t;
  t.terminal_sn = rs.getString(1);
  t.merchant_id = rs.getString(2);
  t.store_id = rs.getString(3);
  auto type = ParseTerminalType(std::string(rs.getString(4)));
  auto version = ParseClientVersion(std::string(rs.getString(7)));
  auto status = ParseTerminalStatus(std::string(rs.getString(8)));
  if (!type.ok() || !version.ok() || !status.ok()) {
    return absl::InternalError(absl::StrCat("terminal ", t.terminal_sn, " has an unreadable row"));
  }
  t.type = *type;
  t.serial = rs.getString(5);
  t.vendor = rs.getString(6);
  t.version = *version;
  t.status = *status;
  if (!rs.isNull(9)) t.device_id = std::string(rs.getString(9));
  t.key_version = rs.getInt64(10);
  t.last_check_in_ts = rs.getInt64(11);
  if (!rs.isNull(12)) t.last_check_in_at = ParseSqlTime(rs.getString(12));
  if (!rs.isNull(13)) t.activated_at = ParseSqlTime(rs.getString(13));
  t.created_at = ParseSqlTime(rs.getString(14));
  return t;
}

absl::StatusOr<std::optional<TerminalRecord>> LoadTerminal(sql::Connection& c,
                                                           const std::string& sn, bool lock) {
  sql::PreparedStatement* st =
      &common::Prepare(c, absl::StrCat("SELECT ", kColumns, " FROM terminals WHERE terminal_sn = ?",
                                       lock ? " FOR UPDATE" : ""));
  st->setString(1, sn);
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
  if (!rs->next()) return std::optional<TerminalRecord>();
  auto t = ReadTerminal(*rs);
  if (!t.ok()) return t.status();
  return std::optional<TerminalRecord>(*std::move(t));
}

void InsertTerminal(sql::Connection& c, const TerminalRecord& t, absl::Time now) {
  std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
      "INSERT INTO terminals (terminal_sn, merchant_id, store_id, type, serial, vendor, "
      "client_version, version_rank, status, device_id, key_version, last_check_in_ts, "
      "activated_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
      "?)"));
  st->setString(1, t.terminal_sn);
  st->setString(2, t.merchant_id);
  st->setString(3, t.store_id);
  st->setString(4, std::string(TerminalTypeName(t.type)));
  st->setString(5, t.serial);
  st->setString(6, t.vendor);
  st->setString(7, ToString(t.version));
  st->setInt64(8, VersionRank(t.version));
  st->setString(9, std::string(TerminalStatusName(t.status)));
  if (t.device_id) {
    st->setString(10, *t.device_id);
  } else {
    st->setNull(10, 0);
  }
  st->setInt64(11, t.key_version);
  st->setInt64(12, t.last_check_in_ts);
  if (t.activated_at) {
    st->setString(13, FormatSqlTime(*t.activated_at));
  } else {
    st->setNull(13, 0);
  }
  st->setString(14, FormatSqlTime(t.created_at));
  st->setString(15, FormatSqlTime(now));
  st->execute();
}

void UpdateTerminal(sql::Connection& c, const TerminalRecord& t, absl::Time now) {
  sql::PreparedStatement* st = &common::Prepare(
      c,
      "UPDATE terminals SET status = ?, device_id = ?, key_version = ?, last_check_in_ts = ?, "
      "last_check_in_at = ?, activated_at = ?, client_version = ?, version_rank = ?, "
      "updated_at = ? WHERE terminal_sn = ?");
  st->setString(1, std::string(TerminalStatusName(t.status)));
  if (t.device_id) {
    st->setString(2, *t.device_id);
  } else {
    st->setNull(2, 0);
  }
  st->setInt64(3, t.key_version);
  st->setInt64(4, t.last_check_in_ts);
  if (t.last_check_in_at) {
    st->setString(5, FormatSqlTime(*t.last_check_in_at));
  } else {
    st->setNull(5, 0);
  }
  if (t.activated_at) {
    st->setString(6, FormatSqlTime(*t.activated_at));
  } else {
    st->setNull(6, 0);
  }
  st->setString(7, ToString(t.version));
  st->setInt64(8, VersionRank(t.version));
  st->setString(9, FormatSqlTime(now));
  st->setString(10, t.terminal_sn);
  st->execute();
}

absl::StatusOr<std::optional<ActivationCode>> LoadActivationCode(sql::Connection& c,
                                                                 const std::string& code_hash,
                                                                 bool lock) {
  std::unique_ptr<sql::PreparedStatement> q(c.prepareStatement(
      absl::StrCat("SELECT merchant_id, store_id, terminal_sn, max_uses, uses, expires_at, revoked "
                   "FROM terminal_activation_codes WHERE code_hash = ?",
                   lock ? " FOR UPDATE" : "")));
  q->setString(1, code_hash);
  std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
  if (!rs->next()) return std::optional<ActivationCode>();
  ActivationCode code;
  code.merchant_id = rs->getString(1);
  code.store_id = rs->getString(2);
  code.terminal_sn = rs->isNull(3) ? "" : std::string(rs->getString(3));
  code.max_uses = rs->getInt(4);
  code.uses = rs->getInt(5);
  code.expires_at = ParseSqlTime(rs->getString(6));
  code.revoked = rs->getBoolean(7);
  return std::optional<ActivationCode>(std::move(code));
}

// Stores `count` keys, each as its terminal's newest, in as few INSERTs as the count allows.
// key_at(r) gives row r's terminal and key.
template <typename KeyAt>
void InsertKeys(sql::Connection& c, size_t count, KeyAt&& key_at) {
  static const common::MultiRowInsert insert(
      "INSERT INTO terminal_keys (terminal_sn, version, secret_sealed, issued_at, expires_at) "
      "VALUES ",
      "(?, ?, ?, ?, ?)");
  insert.Run(c, count, [&](sql::PreparedStatement& st, int* i, size_t r) {
    const auto [sn, key] = key_at(r);
    st.setString((*i)++, sn);
    st.setInt64((*i)++, key.version);
    st.setString((*i)++, key.secret_sealed);
    st.setString((*i)++, FormatSqlTime(key.issued_at));
    st.setString((*i)++, FormatSqlTime(key.expires_at));
  });
}

using KeyRow = std::pair<const std::string&, const StoredKey&>;

// Supersedes every live key of the terminal and stores `key` as the newest.
void RotateKey(sql::Connection& c, const std::string& sn, const StoredKey& key, absl::Time now) {
  sql::PreparedStatement* old =
      &common::Prepare(c,
                       "UPDATE terminal_keys SET superseded_at = ? WHERE terminal_sn = ? AND "
                       "superseded_at IS NULL");
  old->setString(1, FormatSqlTime(now));
  old->setString(2, sn);
  old->execute();
  InsertKeys(c, 1, [&](size_t) { return KeyRow(sn, key); });
}

StoredKey ReadKey(sql::ResultSet& rs, int first) {
  StoredKey k;
  k.version = rs.getInt64(first);
  k.secret_sealed = rs.getString(first + 1);
  k.issued_at = ParseSqlTime(rs.getString(first + 2));
  k.expires_at = ParseSqlTime(rs.getString(first + 3));
  if (!rs.isNull(first + 4)) k.superseded_at = ParseSqlTime(rs.getString(first + 4));
  return k;
}

// Terminals' rows, locked or not, each with its two newest keys (versions key_version and the one
// before: every key is issued as key_version + 1), in one statement for all of them. A terminal
// with no row is absent; one whose row does not read holds that error.
using TerminalsWithKeys = std::map<std::string, absl::StatusOr<TerminalWithKeys>>;
TerminalsWithKeys LoadWithKeys(sql::Connection& c, absl::Span<const std::string> sns, bool lock) {
  TerminalsWithKeys out;
  if (sns.empty()) return out;
  const size_t n = common::PaddedCount(sns.size());
  sql::PreparedStatement* st = &common::Prepare(
      c,
      absl::StrCat("SELECT t.terminal_sn, t.merchant_id, t.store_id, t.type, t.serial, t.vendor, "
                   "t.client_version, t.status, t.device_id, t.key_version, "
                   "t.last_check_in_ts, t.last_check_in_at, t.activated_at, t.created_at, "
                   "k.version, k.secret_sealed, k.issued_at, k.expires_at, k.superseded_at "
                   "FROM terminals t LEFT JOIN terminal_keys k ON k.terminal_sn = "
                   "t.terminal_sn AND k.version >= t.key_version - 1 "
                   "WHERE t.terminal_sn IN (",
                   common::Placeholders(n), ")", lock ? " FOR UPDATE" : ""));
  for (size_t i = 0; i < n; ++i) {
    st->setString(static_cast<int>(i + 1), sns[std::min(i, sns.size() - 1)]);
  }
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
  while (rs->next()) {
    std::string sn = rs->getString(1);
    auto it = out.find(sn);
    if (it == out.end()) {
      auto t = ReadTerminal(*rs);
      it =
          out.emplace(std::move(sn),
                      t.ok() ? absl::StatusOr<TerminalWithKeys>(TerminalWithKeys{*std::move(t), {}})
                             : absl::StatusOr<TerminalWithKeys>(t.status()))
              .first;
    }
    if (it->second.ok() && !rs->isNull(15)) it->second->keys.push_back(ReadKey(*rs, 15));
  }
  // Newest first, sorted here: an ORDER BY would cost the statement a temporary table and a
  // filesort for a few rows.
  for (auto& [sn, loaded] : out) {
    if (!loaded.ok()) continue;
    std::vector<StoredKey>& keys = loaded->keys;
    std::sort(keys.begin(), keys.end(),
              [](const StoredKey& a, const StoredKey& b) { return a.version > b.version; });
    if (keys.size() > 2) keys.resize(2);
  }
  return out;
}

absl::StatusOr<std::optional<TerminalWithKeys>> LoadOneWithKeys(sql::Connection& c,
                                                                const std::string& sn, bool lock) {
  TerminalsWithKeys loaded = LoadWithKeys(c, absl::MakeConstSpan(&sn, 1), lock);
  auto it = loaded.find(sn);
  if (it == loaded.end()) return std::optional<TerminalWithKeys>();
  if (!it->second.ok()) return it->second.status();
  return std::optional<TerminalWithKeys>(*std::move(it->second));
}

// Check-ins' row changes with the supersede of each one's replaced key, in as few statements as
// the count allows (each terminal's values in a derived row joined to it by primary key); the new
// keys are inserted after, so that none is superseded itself.
struct CheckInRow {
  const TerminalRecord* row;
  int64_t replaced_key_version;
  absl::Time now;
};
void RecordCheckIns(sql::Connection& c, const std::vector<CheckInRow>& rows) {
  static const common::MultiRowInsert update(
      "UPDATE terminals t JOIN (",
      "SELECT ? AS sn, ? AS replaced, ? AS key_version, ? AS ts, ? AS at, ? AS client_version, "
      "? AS version_rank",
      " UNION ALL ",
      ") v ON t.terminal_sn = v.sn LEFT JOIN terminal_keys k ON k.terminal_sn = t.terminal_sn "
      "AND k.version = v.replaced AND k.superseded_at IS NULL "
      "SET k.superseded_at = v.at, t.key_version = v.key_version, t.last_check_in_ts = v.ts, "
      "t.last_check_in_at = v.at, t.client_version = v.client_version, "
      "t.version_rank = v.version_rank, t.updated_at = v.at");
  update.Run(c, rows.size(), [&](sql::PreparedStatement& st, int* i, size_t r) {
    const TerminalRecord& t = *rows[r].row;
    st.setString((*i)++, t.terminal_sn);
    st.setInt64((*i)++, rows[r].replaced_key_version);
    st.setInt64((*i)++, t.key_version);
    st.setInt64((*i)++, t.last_check_in_ts);
    st.setString((*i)++, FormatSqlTime(rows[r].now));
    st.setString((*i)++, ToString(t.version));
    st.setInt64((*i)++, VersionRank(t.version));
  });
}

// The channel configs of any of `sns` (terminal scope) or `store_ids` (store scope), in one
// statement, each list padded to a power of two (PaddedCount).
std::vector<ChannelConfigRecord> LoadChannelConfigs(sql::Connection& c,
                                                    absl::Span<const std::string> sns,
                                                    absl::Span<const std::string> store_ids) {
  std::vector<ChannelConfigRecord> out;
  if (sns.empty()) return out;
  const size_t n = common::PaddedCount(sns.size()), m = common::PaddedCount(store_ids.size());
  sql::PreparedStatement* st = &common::Prepare(
      c, absl::StrCat("SELECT scope, scope_id, channel, merchant_id, sub_mch_id, sub_appid, "
                      "updated_at FROM terminal_channel_configs WHERE (scope = 'TERMINAL' AND "
                      "scope_id IN (",
                      common::Placeholders(n), ")) OR (scope = 'STORE' AND scope_id IN (",
                      common::Placeholders(m), "))"));
  int index = 1;
  for (size_t i = 0; i < n; ++i) st->setString(index++, sns[std::min(i, sns.size() - 1)]);
  for (size_t i = 0; i < m; ++i) {
    st->setString(index++, store_ids[std::min(i, store_ids.size() - 1)]);
  }
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
  while (rs->next()) {
    out.push_back(ChannelConfigRecord{rs->getString(1), rs->getString(2), rs->getString(3),
                                      rs->getString(4), rs->getString(5), rs->getString(6),
                                      ParseSqlTime(rs->getString(7))});
  }
  return out;
}

// One terminal's configs out of `all`: its own and its store's, terminal scope first, each scope
// by channel (the order an ORDER BY scope DESC, channel gave, sorted here without a filesort).
std::vector<ChannelConfigRecord> ConfigsOf(const std::vector<ChannelConfigRecord>& all,
                                           const std::string& sn, const std::string& store_id) {
  std::vector<ChannelConfigRecord> out;
  for (const ChannelConfigRecord& r : all) {
    if ((r.scope == "TERMINAL" && r.scope_id == sn) ||
        (r.scope == "STORE" && r.scope_id == store_id)) {
      out.push_back(r);
    }
  }
  std::sort(out.begin(), out.end(), [](const ChannelConfigRecord& a, const ChannelConfigRecord& b) {
    if (a.scope != b.scope) return a.scope > b.scope;
    return a.channel < b.channel;
  });
  return out;
}

// A check-in its decision accepted: the terminal's row as it is to be written.
struct AcceptedCheckIn {
  const CheckInCall* call;
  TerminalRecord row;
  int64_t replaced_key_version;
};

// Runs the call's decision on its terminal's locked row and keys; the row to write, or nothing
// (the call's result then says why).
std::optional<AcceptedCheckIn> DecideCheckIn(const CheckInCall& call,
                                             const TerminalsWithKeys& loaded) {
  auto it = loaded.find(call.terminal_sn);
  if (it == loaded.end()) {
    call.result = absl::NotFoundError("terminal not found");
    return std::nullopt;
  }
  if (!it->second.ok()) {
    call.result = it->second.status();
    return std::nullopt;
  }
  TerminalRecord t = it->second->terminal;
  call.result = (*call.decide)(t, it->second->keys);
  if (!call.result.ok()) return std::nullopt;
  AcceptedCheckIn out{&call, std::move(t), 0};
  out.replaced_key_version = out.row.key_version;
  out.row.key_version = call.result->new_key.version;
  out.row.last_check_in_ts = call.result->signed_timestamp;
  out.row.last_check_in_at = call.now;
  out.row.version = call.result->client_version;
  return out;
}

// The accepted check-ins' rows: each terminal's update with its old key's supersede, then every
// new key in as few INSERTs as the batch allows (after the supersedes, so that no new key is
// superseded itself); then their channel configs, in one read.
void WriteAccepted(sql::Connection& c, const std::vector<AcceptedCheckIn>& accepted) {
  if (accepted.empty()) return;
  std::vector<CheckInRow> rows;
  rows.reserve(accepted.size());
  for (const AcceptedCheckIn& a : accepted) {
    rows.push_back(CheckInRow{&a.row, a.replaced_key_version, a.call->now});
  }
  RecordCheckIns(c, rows);
  InsertKeys(c, accepted.size(), [&](size_t r) {
    return KeyRow(accepted[r].row.terminal_sn, accepted[r].call->result->new_key);
  });
  // The parameters the check-ins hand over, read once for all of them.
  std::vector<std::string> sns, stores;
  for (const AcceptedCheckIn& a : accepted) {
    sns.push_back(a.row.terminal_sn);
    if (std::find(stores.begin(), stores.end(), a.row.store_id) == stores.end()) {
      stores.push_back(a.row.store_id);
    }
  }
  const std::vector<ChannelConfigRecord> configs = LoadChannelConfigs(c, sns, stores);
  for (const AcceptedCheckIn& a : accepted) {
    a.call->channel_configs = ConfigsOf(configs, a.row.terminal_sn, a.row.store_id);
  }
}

// Concurrent check-ins in one transaction (common::GroupCommit): one locked read of every
// terminal with its keys, each call decided on its own row, then the accepted ones written. A
// second call of a terminal already in the batch (a device retrying at once) is decided after
// the first's writes, on a read of its own, exactly as if it had come after it.
void WriteCheckIns(sql::Connection& c, absl::Span<const CheckInCall* const> calls) {
  std::vector<std::string> sns;
  std::vector<const CheckInCall*> first, again;
  std::set<std::string> seen;
  for (const CheckInCall* call : calls) {
    if (seen.insert(call->terminal_sn).second) {
      first.push_back(call);
      sns.push_back(call->terminal_sn);
    } else {
      again.push_back(call);
    }
  }
  const TerminalsWithKeys loaded = LoadWithKeys(c, sns, /*lock=*/true);
  std::vector<AcceptedCheckIn> accepted;
  for (const CheckInCall* call : first) {
    if (auto a = DecideCheckIn(*call, loaded)) accepted.push_back(*std::move(a));
  }
  WriteAccepted(c, accepted);
  for (const CheckInCall* call : again) {
    const TerminalsWithKeys one = LoadWithKeys(c, absl::MakeConstSpan(&call->terminal_sn, 1),
                                               /*lock=*/true);
    accepted.clear();
    if (auto a = DecideCheckIn(*call, one)) accepted.push_back(*std::move(a));
    WriteAccepted(c, accepted);
  }
}

}  // namespace

MysqlTerminalRepository::MysqlTerminalRepository(common::MysqlPool& pool)
    : pool_(pool),
      check_ins_(pool, "check in", WriteCheckIns, common::MultiRowInsert::kMaxRows,
                 [](const CheckInCall& call) { return call.result.status(); }) {}

absl::Status MysqlTerminalRepository::CreateTerminal(const TerminalRecord& t) {
  absl::Status s = pool_.Run("create terminal", [&](sql::Connection& c) -> absl::Status {
    InsertTerminal(c, t, t.created_at);
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError("serial: this vendor's serial is already registered");
  }
  return s;
}

absl::StatusOr<std::optional<TerminalRecord>> MysqlTerminalRepository::Get(const std::string& sn) {
  return pool_.Run("get terminal", [&](sql::Connection& c) { return LoadTerminal(c, sn, false); });
}

absl::StatusOr<std::vector<TerminalRecord>> MysqlTerminalRepository::List(const TerminalFilter& f) {
  return pool_.Run("list terminals",
                   [&](sql::Connection& c) -> absl::StatusOr<std::vector<TerminalRecord>> {
                     std::string sql =
                         absl::StrCat("SELECT ", kColumns, " FROM terminals WHERE terminal_sn > ?");
                     if (!f.merchant_id.empty()) sql += " AND merchant_id = ?";
                     if (!f.store_id.empty()) sql += " AND store_id = ?";
                     if (f.type) sql += " AND type = ?";
                     if (f.status) sql += " AND status = ?";
                     if (f.version_below) sql += " AND version_rank < ?";
                     if (f.checked_in_before)
                       sql += " AND (last_check_in_at IS NULL OR last_check_in_at < ?)";
                     sql += " ORDER BY terminal_sn LIMIT ?";
                     std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
                     int i = 1;
                     st->setString(i++, f.after_sn);
                     if (!f.merchant_id.empty()) st->setString(i++, f.merchant_id);
                     if (!f.store_id.empty()) st->setString(i++, f.store_id);
                     if (f.type) st->setString(i++, std::string(TerminalTypeName(*f.type)));
                     if (f.status) st->setString(i++, std::string(TerminalStatusName(*f.status)));
                     if (f.version_below) st->setInt64(i++, VersionRank(*f.version_below));
                     if (f.checked_in_before)
                       st->setString(i++, FormatSqlTime(*f.checked_in_before));
                     st->setInt(i, f.limit);
                     std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
                     std::vector<TerminalRecord> out;
                     while (rs->next()) {
                       auto t = ReadTerminal(*rs);
                       if (!t.ok()) return t.status();
                       out.push_back(*std::move(t));
                     }
                     return out;
                   });
}

absl::Status MysqlTerminalRepository::CreateActivationCode(const ActivationCode& code,
                                                           const std::string& code_hash,
                                                           absl::Time now) {
  return pool_.Run("create activation code", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO terminal_activation_codes (code_hash, merchant_id, store_id, terminal_sn, "
        "max_uses, uses, expires_at, revoked, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, FALSE, ?)"));
    st->setString(1, code_hash);
    st->setString(2, code.merchant_id);
    st->setString(3, code.store_id);
    if (code.terminal_sn.empty()) {
      st->setNull(4, 0);
    } else {
      st->setString(4, code.terminal_sn);
    }
    st->setInt(5, code.max_uses);
    st->setString(6, FormatSqlTime(code.expires_at));
    st->setString(7, FormatSqlTime(now));
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<ActivationCode>> MysqlTerminalRepository::GetActivationCode(
    const std::string& code_hash) {
  return pool_.Run("get activation code", [&](sql::Connection& c) {
    return LoadActivationCode(c, code_hash, /*lock=*/false);
  });
}

absl::StatusOr<ActivationPlan> MysqlTerminalRepository::Activate(const std::string& code_hash,
                                                                 const ActivationDecision& decide,
                                                                 absl::Time now) {
  auto result = pool_.InTransaction(
      "activate terminal", [&](sql::Connection& c) -> absl::StatusOr<ActivationPlan> {
        auto found = LoadActivationCode(c, code_hash, /*lock=*/true);
        if (!found.ok()) return found.status();
        if (!found->has_value()) {
          return absl::NotFoundError("activation_code: no such activation code");
        }
        const ActivationCode& code = **found;
        std::optional<TerminalRecord> bound;
        if (!code.terminal_sn.empty()) {
          auto loaded = LoadTerminal(c, code.terminal_sn, /*lock=*/true);
          if (!loaded.ok()) return loaded.status();
          bound = *loaded;
        }
        auto plan = decide(code, bound);
        if (!plan.ok()) return plan.status();
        if (plan->create_terminal) {
          InsertTerminal(c, plan->terminal, now);
        } else {
          UpdateTerminal(c, plan->terminal, now);
        }
        RotateKey(c, plan->terminal.terminal_sn, plan->key, now);
        std::unique_ptr<sql::PreparedStatement> use(c.prepareStatement(
            "UPDATE terminal_activation_codes SET uses = uses + 1 WHERE code_hash = ?"));
        use->setString(1, code_hash);
        use->execute();
        return plan;
      });
  if (absl::IsAlreadyExists(result.status())) {
    return common::FailedPreconditionField(
        "device_id",
        "this device already activated a terminal of this merchant, or the serial "
        "is registered");
  }
  return result;
}

absl::StatusOr<std::optional<TerminalWithKeys>> MysqlTerminalRepository::GetWithKeys(
    const std::string& sn) {
  return pool_.Run("terminal with keys",
                   [&](sql::Connection& c) { return LoadOneWithKeys(c, sn, /*lock=*/false); });
}

absl::StatusOr<CheckedIn> MysqlTerminalRepository::CheckIn(const std::string& sn,
                                                           const CheckInDecision& decide,
                                                           absl::Time now) {
  CheckInCall call{sn, &decide, now};
  RETURN_IF_ERROR(check_ins_.Write(call));
  return CheckedIn{*std::move(call.result), std::move(call.channel_configs)};
}

absl::StatusOr<std::vector<std::string>> MysqlTerminalRepository::ForceOffline(
    const std::string& sn, const std::string& merchant_id, absl::Time now,
    const std::string& hold_reason) {
  return pool_.InTransaction(
      "force offline", [&](sql::Connection& c) -> absl::StatusOr<std::vector<std::string>> {
        if (!hold_reason.empty() && !merchant_id.empty()) {
          std::unique_ptr<sql::PreparedStatement> hold(c.prepareStatement(
              "INSERT IGNORE INTO terminal_merchant_holds (merchant_id, reason, held_at) "
              "VALUES (?, ?, ?)"));
          hold->setString(1, merchant_id);
          hold->setString(2, hold_reason);
          hold->setString(3, FormatSqlTime(now));
          hold->execute();
        }
        const char* scope = sn.empty() ? "merchant_id = ?" : "terminal_sn = ?";
        const std::string& key = sn.empty() ? merchant_id : sn;
        std::unique_ptr<sql::PreparedStatement> q(c.prepareStatement(absl::StrCat(
            "SELECT terminal_sn FROM terminals WHERE ", scope,
            " AND status IN ('ACTIVE', 'FROZEN', 'OFFLINE') ORDER BY terminal_sn FOR UPDATE")));
        q->setString(1, key);
        std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
        std::vector<std::string> sns;
        while (rs->next()) sns.emplace_back(rs->getString(1));
        if (sns.empty()) return sns;
        // Set-based: one statement for the terminals, one for every key they hold.
        std::unique_ptr<sql::PreparedStatement> up(c.prepareStatement(
            absl::StrCat("UPDATE terminals SET status = 'OFFLINE', updated_at = ? WHERE ", scope,
                         " AND status IN ('ACTIVE', 'FROZEN', 'OFFLINE')")));
        up->setString(1, FormatSqlTime(now));
        up->setString(2, key);
        up->execute();
        std::unique_ptr<sql::PreparedStatement> keys(c.prepareStatement(
            absl::StrCat("UPDATE terminal_keys k JOIN terminals t ON t.terminal_sn = k.terminal_sn "
                         "SET k.expires_at = LEAST(k.expires_at, ?), k.superseded_at = "
                         "COALESCE(k.superseded_at, ?) "
                         "WHERE t.",
                         scope)));
        keys->setString(1, FormatSqlTime(now));
        keys->setString(2, FormatSqlTime(now - absl::Hours(24)));
        keys->setString(3, key);
        keys->execute();
        if (sn.empty()) {
          // Unused activation codes would bring the merchant's terminals back: revoke them too.
          std::unique_ptr<sql::PreparedStatement> codes(
              c.prepareStatement("UPDATE terminal_activation_codes SET revoked = TRUE "
                                 "WHERE merchant_id = ? AND uses < max_uses AND revoked = FALSE"));
          codes->setString(1, merchant_id);
          codes->execute();
        }
        return sns;
      });
}

absl::StatusOr<TerminalRecord> MysqlTerminalRepository::UpdateStatus(const std::string& sn,
                                                                     const StatusDecision& decide,
                                                                     absl::Time now) {
  return pool_.InTransaction("update terminal",
                             [&](sql::Connection& c) -> absl::StatusOr<TerminalRecord> {
                               auto loaded = LoadTerminal(c, sn, /*lock=*/true);
                               if (!loaded.ok()) return loaded.status();
                               if (!loaded->has_value())
                                 return absl::NotFoundError("terminal not found");
                               TerminalRecord t = **loaded;
                               auto next = decide(t);
                               if (!next.ok()) return next.status();
                               t.status = *next;
                               UpdateTerminal(c, t, now);
                               return t;
                             });
}

absl::Status MysqlTerminalRepository::SetChannelConfig(const ChannelConfigRecord& r) {
  return pool_.Run("set channel config", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO terminal_channel_configs (scope, scope_id, channel, merchant_id, sub_mch_id, "
        "sub_appid, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
        "sub_mch_id = VALUES(sub_mch_id), sub_appid = VALUES(sub_appid), "
        "updated_at = VALUES(updated_at)"));
    st->setString(1, r.scope);
    st->setString(2, r.scope_id);
    st->setString(3, r.channel);
    st->setString(4, r.merchant_id);
    st->setString(5, r.sub_mch_id);
    st->setString(6, r.sub_appid);
    st->setString(7, FormatSqlTime(r.updated_at));
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ChannelConfigRecord>> MysqlTerminalRepository::ChannelConfigs(
    const std::string& sn, const std::string& store_id) {
  return pool_.Run("channel configs",
                   [&](sql::Connection& c) -> absl::StatusOr<std::vector<ChannelConfigRecord>> {
                     return ConfigsOf(LoadChannelConfigs(c, absl::MakeConstSpan(&sn, 1),
                                                         absl::MakeConstSpan(&store_id, 1)),
                                      sn, store_id);
                   });
}

absl::StatusOr<bool> MysqlTerminalRepository::ReleaseHold(const std::string& merchant_id) {
  return pool_.Run("release hold", [&](sql::Connection& c) -> absl::StatusOr<bool> {
    std::unique_ptr<sql::PreparedStatement> st(
        c.prepareStatement("DELETE FROM terminal_merchant_holds WHERE merchant_id = ?"));
    st->setString(1, merchant_id);
    return st->executeUpdate() == 1;
  });
}

absl::StatusOr<bool> MysqlTerminalRepository::IsHeld(const std::string& merchant_id) {
  return pool_.Run("terminal hold", [&](sql::Connection& c) -> absl::StatusOr<bool> {
    std::unique_ptr<sql::PreparedStatement> st(
        c.prepareStatement("SELECT 1 FROM terminal_merchant_holds WHERE merchant_id = ?"));
    st->setString(1, merchant_id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    return rs->next();
  });
}

}  // namespace aggpay::terminal
