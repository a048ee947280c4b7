#include "services/merchant/mysql_portal_repository.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"

namespace aggpay::merchant {
namespace {

using common::FormatSqlTime;
using common::ParseSqlTime;

constexpr const char* kUserColumns =
    "u.user_id, u.merchant_id, u.mobile, u.role, u.invited_by, u.created_at, m.display_name";

MerchantUserRecord ReadUser(sql::ResultSet& rs, int first) {
  MerchantUserRecord u;
  u.user_id = rs.getString(first);
  u.merchant_id = rs.getString(first + 1);
  u.mobile = rs.getString(first + 2);
  u.role = ParsePortalRole(std::string(rs.getString(first + 3))).value_or(PortalRole::kViewer);
  u.invited_by = rs.getString(first + 4);
  u.created_at = ParseSqlTime(rs.getString(first + 5));
  u.merchant_name = rs.isNull(first + 6) ? "" : std::string(rs.getString(first + 6));
  return u;
}

std::optional<MerchantUserRecord> UserByMobile(sql::Connection& c, const std::string& mobile) {
  std::unique_ptr<sql::PreparedStatement> st(
      c.prepareStatement(absl::StrCat("SELECT ", kUserColumns,
                                      " FROM merchant_users u LEFT JOIN merchants m ON "
                                      "m.merchant_id = u.merchant_id WHERE u.mobile = ?")));
  st->setString(1, mobile);
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
  if (!rs->next()) return std::nullopt;
  return ReadUser(*rs, 1);
}

std::optional<absl::Time> OptionalTime(sql::ResultSet& rs, int i) {
  if (rs.isNull(i)) return std::nullopt;
  return ParseSqlTime(rs.getString(i));
}

void SetOptionalTime(sql::PreparedStatement& st, int i, const std::optional<absl::Time>& t) {
  if (t) {
    st.setString(i, FormatSqlTime(*t));
  } else {
    st.setNull(i, 0);
  }
}

}  // namespace

absl::StatusOr<std::optional<MerchantUserRecord>> MysqlPortalRepository::FindOrAdoptUser(
    const std::string& mobile, const std::string& new_user_id, absl::Time now) {
  return pool_.Run(
      "find portal user",
      [&](sql::Connection& c) -> absl::StatusOr<std::optional<MerchantUserRecord>> {
        if (auto found = UserByMobile(c, mobile)) return found;
        // The registered mobile becomes the first owner; IGNORE: a concurrent adoption (or an
        // invitation of the same number) wins, and the read below sees whichever did.
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            "INSERT IGNORE INTO merchant_users (user_id, merchant_id, mobile, role, invited_by, "
            "created_at) SELECT ?, merchant_id, contact_phone, 'owner', ?, ? FROM merchants "
            "WHERE contact_phone = ? AND status <> 'CLOSED' ORDER BY created_at, merchant_id "
            "LIMIT 1"));
        st->setString(1, new_user_id);
        st->setString(2, kRegisteredOwner);
        st->setString(3, FormatSqlTime(now));
        st->setString(4, mobile);
        st->executeUpdate();
        return UserByMobile(c, mobile);
      });
}

absl::Status MysqlPortalRepository::UpdateSignInCode(const std::string& mobile,
                                                     const SignInCheck& decide) {
  absl::Status answer;
  absl::Status s =
      pool_.InTransaction("portal sign-in code", [&](sql::Connection& c) -> absl::Status {
        std::unique_ptr<sql::PreparedStatement> q(c.prepareStatement(
            "SELECT otp_hash, expires_at, sent_at, window_started, sends_in_window, failures, "
            "locked_until FROM portal_sign_in_codes WHERE mobile = ? FOR UPDATE"));
        q->setString(1, mobile);
        std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
        std::optional<SignInCodeState> current;
        if (rs->next()) {
          SignInCodeState st;
          if (!rs->isNull(1)) st.otp_hash = rs->getString(1);
          st.expires_at = ParseSqlTime(rs->getString(2));
          st.sent_at = ParseSqlTime(rs->getString(3));
          st.window_started = ParseSqlTime(rs->getString(4));
          st.sends_in_window = rs->getInt(5);
          st.failures = rs->getInt(6);
          st.locked_until = OptionalTime(*rs, 7);
          current = std::move(st);
        }
        SignInDecision d = decide(current);
        answer = d.answer;
        if (!d.store) return absl::OkStatus();
        std::unique_ptr<sql::PreparedStatement> w(c.prepareStatement(
            "REPLACE INTO portal_sign_in_codes (mobile, otp_hash, expires_at, sent_at, "
            "window_started, sends_in_window, failures, locked_until) VALUES (?, ?, ?, ?, ?, ?, ?, "
            "?)"));
        const SignInCodeState& n = *d.store;
        w->setString(1, mobile);
        if (!n.otp_hash.empty()) {
          w->setString(2, n.otp_hash);
        } else {
          w->setNull(2, 0);
        }
        w->setString(3, FormatSqlTime(n.expires_at));
        w->setString(4, FormatSqlTime(n.sent_at));
        w->setString(5, FormatSqlTime(n.window_started));
        w->setInt(6, n.sends_in_window);
        w->setInt(7, n.failures);
        SetOptionalTime(*w, 8, n.locked_until);
        w->execute();
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return answer;
}

absl::Status MysqlPortalRepository::CreateSession(const PortalSessionRecord& session) {
  return pool_.Run("create portal session", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO portal_sessions (token_hash, user_id, merchant_id, created_at, "
        "last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)"));
    st->setString(1, session.token_hash);
    st->setString(2, session.user_id);
    st->setString(3, session.merchant_id);
    st->setString(4, FormatSqlTime(session.created_at));
    st->setString(5, FormatSqlTime(session.last_seen_at));
    st->setString(6, FormatSqlTime(session.expires_at));
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<std::pair<PortalSessionRecord, MerchantUserRecord>>>
MysqlPortalRepository::GetSession(const std::string& token_hash) {
  using Result = std::optional<std::pair<PortalSessionRecord, MerchantUserRecord>>;
  return pool_.Run("get portal session", [&](sql::Connection& c) -> absl::StatusOr<Result> {
    // The user is joined, not copied: a removed user or a changed role applies at once.
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
        "SELECT s.created_at, s.last_seen_at, s.expires_at, s.ended_at, ", kUserColumns,
        " FROM portal_sessions s JOIN merchant_users u ON u.user_id = s.user_id AND "
        "u.merchant_id = s.merchant_id LEFT JOIN merchants m ON m.merchant_id = u.merchant_id "
        "WHERE s.token_hash = ?")));
    st->setString(1, token_hash);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return Result();
    PortalSessionRecord s;
    s.token_hash = token_hash;
    s.created_at = ParseSqlTime(rs->getString(1));
    s.last_seen_at = ParseSqlTime(rs->getString(2));
    s.expires_at = ParseSqlTime(rs->getString(3));
    s.ended_at = OptionalTime(*rs, 4);
    MerchantUserRecord u = ReadUser(*rs, 5);
    s.user_id = u.user_id;
    s.merchant_id = u.merchant_id;
    return Result(std::make_pair(std::move(s), std::move(u)));
  });
}

absl::Status MysqlPortalRepository::TouchSession(const std::string& token_hash, absl::Time now) {
  return pool_.Run("touch portal session", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "UPDATE portal_sessions SET last_seen_at = GREATEST(last_seen_at, ?) WHERE token_hash = ? "
        "AND ended_at IS NULL"));
    st->setString(1, FormatSqlTime(now));
    st->setString(2, token_hash);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlPortalRepository::EndSession(const std::string& token_hash, absl::Time now) {
  return pool_.InTransaction("end portal session", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "UPDATE portal_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL"));
    st->setString(1, FormatSqlTime(now));
    st->setString(2, token_hash);
    if (st->executeUpdate() == 0) return absl::NotFoundError("no such session");
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<MerchantUserRecord>> MysqlPortalRepository::ListUsers(
    const std::string& merchant_id) {
  return pool_.Run("list portal users",
                   [&](sql::Connection& c) -> absl::StatusOr<std::vector<MerchantUserRecord>> {
                     std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
                         "SELECT ", kUserColumns,
                         " FROM merchant_users u LEFT JOIN merchants m ON m.merchant_id = "
                         "u.merchant_id WHERE u.merchant_id = ? ORDER BY u.created_at, u.user_id "
                         "LIMIT 200")));
                     st->setString(1, merchant_id);
                     std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
                     std::vector<MerchantUserRecord> out;
                     while (rs->next()) out.push_back(ReadUser(*rs, 1));
                     return out;
                   });
}

absl::Status MysqlPortalRepository::AddUser(const MerchantUserRecord& user) {
  absl::Status s = pool_.InTransaction("add portal user", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO merchant_users (user_id, merchant_id, mobile, role, invited_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)"));
    st->setString(1, user.user_id);
    st->setString(2, user.merchant_id);
    st->setString(3, user.mobile);
    st->setString(4, std::string(PortalRoleName(user.role)));
    st->setString(5, user.invited_by);
    st->setString(6, FormatSqlTime(user.created_at));
    st->execute();
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(s)) {
    return common::AlreadyExistsField("mobile", "this number is already a portal user");
  }
  return s;
}

absl::StatusOr<MerchantUserRecord> MysqlPortalRepository::RemoveUser(
    const std::string& merchant_id, const std::string& user_id, absl::Time now,
    const std::function<absl::Status(const MerchantUserRecord&)>& allowed) {
  return pool_.InTransaction(
      "remove portal user", [&](sql::Connection& c) -> absl::StatusOr<MerchantUserRecord> {
        std::unique_ptr<sql::PreparedStatement> q(c.prepareStatement(absl::StrCat(
            "SELECT ", kUserColumns,
            " FROM merchant_users u LEFT JOIN merchants m ON m.merchant_id = u.merchant_id "
            "WHERE u.user_id = ? AND u.merchant_id = ? FOR UPDATE")));
        q->setString(1, user_id);
        q->setString(2, merchant_id);
        std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
        if (!rs->next()) return common::NotFoundField("user_id", "no such user");
        MerchantUserRecord user = ReadUser(*rs, 1);
        if (absl::Status a = allowed(user); !a.ok()) return a;
        std::unique_ptr<sql::PreparedStatement> del(
            c.prepareStatement("DELETE FROM merchant_users WHERE user_id = ?"));
        del->setString(1, user_id);
        del->execute();
        std::unique_ptr<sql::PreparedStatement> end(c.prepareStatement(
            "UPDATE portal_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL"));
        end->setString(1, FormatSqlTime(now));
        end->setString(2, user_id);
        end->execute();
        return user;
      });
}

}  // namespace aggpay::merchant
