#include "services/fee/mysql_fee_plan_repository.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace aggpay::fee {
namespace {

using common::FormatSqlTime;
using common::ParseSqlTime;

constexpr const char* kColumns =
    "plan_id, version, currency, settlement, wechat_rate_ppm, alipay_rate_ppm, "
    "unionpay_rate_ppm, cap_minor, min_fee_minor, channel_cost_ppm, rounding, max_amount_minor, "
    "requires_corporate_account, effective_from";

// Rows were validated on the way in; a row that no longer parses is corrupt data.
absl::StatusOr<FeePlan> ReadPlan(sql::ResultSet& rs) {
  auto currency = common::Currency::Find(std::string(rs.getString(3)));
  auto settlement = ParseSettlementCycle(std::string(rs.getString(4)));
  auto rounding = common::ParseRoundingMode(std::string(rs.getString(11)));
  if (!currency.ok() || !settlement.ok() || !rounding.ok()) {
    return absl::InternalError(
        absl::StrCat("fee plan ", std::string(rs.getString(1)), " has an unreadable row"));
  }
  FeePlan p{.currency = *currency};
  p.id = rs.getString(1);
  p.version = rs.getInt64(2);
  p.settlement = *settlement;
  p.rate_ppm = {rs.getInt64(5), rs.getInt64(6), rs.getInt64(7)};
  if (!rs.isNull(8)) p.cap_minor = rs.getInt64(8);
  if (!rs.isNull(9)) p.min_fee_minor = rs.getInt64(9);
  p.channel_cost_ppm = rs.getInt64(10);
  p.rounding = *rounding;
  p.max_amount_minor = rs.getInt64(12);
  p.requires_corporate_account = rs.getBoolean(13);
  p.effective_from = ParseSqlTime(rs.getString(14));
  return p;
}

void BindVersion(sql::PreparedStatement& st, const FeePlan& p, int64_t version, absl::Time now) {
  st.setString(1, p.id);
  st.setInt64(2, version);
  st.setString(3, std::string(p.currency.code()));
  st.setString(4, std::string(SettlementCycleName(p.settlement)));
  st.setInt64(5, p.RatePpm(Channel::kWechat));
  st.setInt64(6, p.RatePpm(Channel::kAlipay));
  st.setInt64(7, p.RatePpm(Channel::kUnionpay));
  if (p.cap_minor) {
    st.setInt64(8, *p.cap_minor);
  } else {
    st.setNull(8, 0);
  }
  if (p.min_fee_minor) {
    st.setInt64(9, *p.min_fee_minor);
  } else {
    st.setNull(9, 0);
  }
  st.setInt64(10, p.channel_cost_ppm);
  st.setString(11, std::string(common::RoundingModeName(p.rounding)));
  st.setInt64(12, p.max_amount_minor);
  st.setBoolean(13, p.requires_corporate_account);
  st.setString(14, FormatSqlTime(p.effective_from));
  st.setString(15, FormatSqlTime(now));
}

constexpr const char* kInsertVersion =
    "INSERT INTO fee_plan_versions (plan_id, version, currency, settlement, wechat_rate_ppm, "
    "alipay_rate_ppm, unionpay_rate_ppm, cap_minor, min_fee_minor, channel_cost_ppm, rounding, "
    "max_amount_minor, requires_corporate_account, effective_from, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

// Every change of plans or assignments moves the generation, in its own transaction.
void BumpGeneration(sql::Connection& c) {
  std::unique_ptr<sql::Statement> st(c.createStatement());
  st->execute("UPDATE fee_generation SET generation = generation + 1 WHERE id = 1");
}

}  // namespace

absl::Status MysqlFeePlanRepository::CreatePlan(const FeePlan& plan, absl::Time now) {
  absl::Status s = pool_.InTransaction("create fee plan", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> head(
        c.prepareStatement("INSERT INTO fee_plans (plan_id, created_at) VALUES (?, ?)"));
    head->setString(1, plan.id);
    head->setString(2, FormatSqlTime(now));
    head->execute();
    std::unique_ptr<sql::PreparedStatement> ins(c.prepareStatement(kInsertVersion));
    BindVersion(*ins, plan, 1, now);
    ins->execute();
    BumpGeneration(c);
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat("fee plan \"", plan.id, "\" already exists"));
  }
  return s;
}

absl::StatusOr<FeePlan> MysqlFeePlanRepository::AddVersion(const FeePlan& plan, absl::Time now) {
  return pool_.InTransaction(
      "add fee plan version", [&](sql::Connection& c) -> absl::StatusOr<FeePlan> {
        // Locking the plan's row serializes concurrent updates of one plan.
        std::unique_ptr<sql::PreparedStatement> lock(
            c.prepareStatement("SELECT plan_id FROM fee_plans WHERE plan_id = ? FOR UPDATE"));
        lock->setString(1, plan.id);
        std::unique_ptr<sql::ResultSet> locked(lock->executeQuery());
        if (!locked->next()) {
          return absl::NotFoundError(absl::StrCat("fee plan \"", plan.id, "\" not found"));
        }
        std::unique_ptr<sql::PreparedStatement> max(c.prepareStatement(
            "SELECT COALESCE(MAX(version), 0) FROM fee_plan_versions WHERE plan_id = ?"));
        max->setString(1, plan.id);
        std::unique_ptr<sql::ResultSet> rs(max->executeQuery());
        rs->next();
        FeePlan stored = plan;
        stored.version = rs->getInt64(1) + 1;
        std::unique_ptr<sql::PreparedStatement> ins(c.prepareStatement(kInsertVersion));
        BindVersion(*ins, stored, stored.version, now);
        ins->execute();
        BumpGeneration(c);
        return stored;
      });
}

absl::StatusOr<std::optional<FeePlan>> MysqlFeePlanRepository::QueryOne(
    const std::string& where_sql, const std::string& plan_id, const std::string& param) {
  return pool_.Run(
      "get fee plan", [&](sql::Connection& c) -> absl::StatusOr<std::optional<FeePlan>> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
            "SELECT ", kColumns, " FROM fee_plan_versions WHERE plan_id = ? AND ", where_sql)));
        st->setString(1, plan_id);
        st->setString(2, param);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        if (!rs->next()) return std::optional<FeePlan>();
        auto plan = ReadPlan(*rs);
        if (!plan.ok()) return plan.status();
        return std::optional<FeePlan>(*std::move(plan));
      });
}

absl::StatusOr<std::optional<FeePlan>> MysqlFeePlanRepository::GetVersion(
    const std::string& plan_id, int64_t version) {
  return QueryOne("version = ?", plan_id, std::to_string(version));
}

absl::StatusOr<std::optional<FeePlan>> MysqlFeePlanRepository::GetEffective(
    const std::string& plan_id, absl::Time at) {
  return QueryOne("effective_from <= ? ORDER BY effective_from DESC, version DESC LIMIT 1", plan_id,
                  FormatSqlTime(at));
}

absl::StatusOr<std::vector<FeePlan>> MysqlFeePlanRepository::ListLatest(const std::string& after,
                                                                        int limit) {
  return pool_.Run(
      "list fee plans", [&](sql::Connection& c) -> absl::StatusOr<std::vector<FeePlan>> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
            "SELECT ", kColumns,
            " FROM fee_plan_versions v WHERE v.plan_id > ? AND v.version = "
            "(SELECT MAX(version) FROM fee_plan_versions w WHERE w.plan_id = v.plan_id) "
            "ORDER BY v.plan_id LIMIT ?")));
        st->setString(1, after);
        st->setInt(2, limit);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<FeePlan> out;
        while (rs->next()) {
          auto plan = ReadPlan(*rs);
          if (!plan.ok()) return plan.status();
          out.push_back(*std::move(plan));
        }
        return out;
      });
}

absl::Status MysqlFeePlanRepository::Assign(const PlanAssignment& a, absl::Time now) {
  return pool_.InTransaction("assign fee plan", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> exists(
        c.prepareStatement("SELECT 1 FROM fee_plans WHERE plan_id = ?"));
    exists->setString(1, a.plan_id);
    std::unique_ptr<sql::ResultSet> rs(exists->executeQuery());
    if (!rs->next()) {
      return absl::NotFoundError(absl::StrCat("fee plan \"", a.plan_id, "\" not found"));
    }
    // Re-assigning at the same instant replaces the earlier choice.
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO merchant_fee_plans (merchant_id, effective_from, plan_id, assigned_at) "
        "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE plan_id = VALUES(plan_id), "
        "assigned_at = VALUES(assigned_at)"));
    st->setString(1, a.merchant_id);
    st->setString(2, FormatSqlTime(a.effective_from));
    st->setString(3, a.plan_id);
    st->setString(4, FormatSqlTime(now));
    st->execute();
    BumpGeneration(c);
    return absl::OkStatus();
  });
}

MysqlFeePlanRepository::MysqlFeePlanRepository(common::MysqlPool& pool)
    : pool_(pool), generation_([this] { return ReadGeneration(); }) {}

absl::StatusOr<int64_t> MysqlFeePlanRepository::Generation() { return generation_.Get(); }

absl::StatusOr<int64_t> MysqlFeePlanRepository::ReadGeneration() {
  return pool_.Run("fee generation", [&](sql::Connection& c) -> absl::StatusOr<int64_t> {
    // On every payment's quote: prepared once per connection.
    std::unique_ptr<sql::ResultSet> rs(
        common::Prepare(c, "SELECT generation FROM fee_generation WHERE id = 1").executeQuery());
    if (!rs->next()) return absl::InternalError("fee generation row is missing");
    return rs->getInt64(1);
  });
}

absl::StatusOr<absl::Time> MysqlFeePlanRepository::NextChangeAfter(const std::string& merchant_id,
                                                                   const std::string& plan_id,
                                                                   absl::Time at) {
  return pool_.Run("next fee change", [&](sql::Connection& c) -> absl::StatusOr<absl::Time> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "SELECT LEAST(COALESCE((SELECT MIN(effective_from) FROM fee_plan_versions WHERE plan_id = "
        "? AND effective_from > ?), '9999-12-31 23:59:59.999999'), COALESCE((SELECT "
        "MIN(effective_from) FROM merchant_fee_plans WHERE merchant_id = ? AND effective_from > "
        "?), '9999-12-31 23:59:59.999999'))"));
    st->setString(1, plan_id);
    st->setString(2, FormatSqlTime(at));
    st->setString(3, merchant_id);
    st->setString(4, FormatSqlTime(at));
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    rs->next();
    const std::string next = rs->getString(1);
    if (next.rfind("9999-12-31", 0) == 0) return absl::InfiniteFuture();
    return ParseSqlTime(next);
  });
}

absl::StatusOr<std::optional<PlanAssignment>> MysqlFeePlanRepository::GetAssignment(
    const std::string& merchant_id, absl::Time at) {
  return pool_.Run(
      "get fee plan assignment",
      [&](sql::Connection& c) -> absl::StatusOr<std::optional<PlanAssignment>> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            "SELECT merchant_id, plan_id, effective_from FROM merchant_fee_plans "
            "WHERE merchant_id = ? AND effective_from <= ? ORDER BY effective_from DESC LIMIT 1"));
        st->setString(1, merchant_id);
        st->setString(2, FormatSqlTime(at));
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        if (!rs->next()) return std::optional<PlanAssignment>();
        return std::optional<PlanAssignment>(
            PlanAssignment{rs->getString(1), rs->getString(2), ParseSqlTime(rs->getString(3))});
      });
}

absl::StatusOr<AgentCost> MysqlFeePlanRepository::SetAgentCost(const std::string& agent_id,
                                                               int64_t cost_ppm, absl::Time now) {
  return pool_.Run("set agent cost", [&](sql::Connection& c) -> absl::StatusOr<AgentCost> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO agent_cost_rates (agent_id, cost_ppm, updated_at) VALUES (?, ?, ?) "
        "ON DUPLICATE KEY UPDATE cost_ppm = VALUES(cost_ppm), updated_at = VALUES(updated_at)"));
    st->setString(1, agent_id);
    st->setInt64(2, cost_ppm);
    st->setString(3, FormatSqlTime(now));
    st->execute();
    return AgentCost{agent_id, cost_ppm, now};
  });
}

absl::StatusOr<std::vector<AgentCost>> MysqlFeePlanRepository::GetAgentCosts(
    const std::vector<std::string>& ids) {
  if (ids.empty()) return std::vector<AgentCost>();
  return pool_.Run(
      "get agent costs", [&](sql::Connection& c) -> absl::StatusOr<std::vector<AgentCost>> {
        std::string sql =
            "SELECT agent_id, cost_ppm, updated_at FROM agent_cost_rates WHERE agent_id IN (";
        for (size_t i = 0; i < ids.size(); ++i) sql += i == 0 ? "?" : ", ?";
        sql += ")";
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
        for (size_t i = 0; i < ids.size(); ++i) st->setString(static_cast<int>(i + 1), ids[i]);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<AgentCost> out;
        while (rs->next()) {
          out.push_back(
              AgentCost{rs->getString(1), rs->getInt64(2), ParseSqlTime(rs->getString(3))});
        }
        return out;
      });
}

}  // namespace aggpay::fee
