#pragma once

// Shared by the settlement integration and crash tests: a database with the CN 2026 calendar,
// a fake directory (plans, frozen merchants), a fake clock, and an independent, straightforward
// computation of what the T+1 lines must be.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "services/common/clock/clock.h"
#include "services/common/mysql/mysql_pool.h"
#include "services/settlement/mysql_settlement_repository.h"
#include "services/settlement/settlement_operations.h"
#include "tests/support/test_servers.h"
#include "tools/gen/generator.h"

namespace aggpay::testing {

class FakeSettlementDirectory final : public settlement::SettlementDirectory {
 public:
  absl::StatusOr<std::vector<std::string>> PlanIds(const std::string& cycle) override {
    if (cycle == "T1") return std::vector<std::string>{"bank-standard"};
    return std::vector<std::string>{"independent-standard"};
  }
  absl::Status CloseBusinessDay(const std::string&) override { return absl::OkStatus(); }
  // Every merchant has an account (its id in the number), unless the merchant service is "down".
  absl::StatusOr<std::map<std::string, settlement::PayoutAccount>> PayoutAccounts(
      const std::vector<std::string>& ids) override {
    if (accounts_down) return absl::UnavailableError("merchant service unavailable");
    std::map<std::string, settlement::PayoutAccount> out;
    for (const std::string& id : ids) out[id] = {"CORPORATE", "Bank", "Shop " + id, "6222" + id};
    return out;
  }
  std::atomic<bool> accounts_down{false};
  absl::StatusOr<std::set<std::string>> FrozenMerchants() override {
    std::lock_guard<std::mutex> lock(mu);
    return frozen;
  }
  void Set(std::set<std::string> f) {
    std::lock_guard<std::mutex> lock(mu);
    frozen = std::move(f);
  }
  std::mutex mu;
  std::set<std::string> frozen;
};

inline absl::TimeZone Shanghai() {
  absl::TimeZone z;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &z));
  return z;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One settlement database with its objects.
struct SettlementDb {
  explicit SettlementDb(const std::string& prefix) {
    mysql = SharedServers().CreateDatabase(prefix);
    mysql.pool_size = 4;
    mysql.read_timeout = absl::Minutes(5);
    pool = *common::MysqlPool::Create(mysql);
    repo = std::make_unique<settlement::MysqlSettlementRepository>(*pool);
    settlement::SettlementOptions options;
    options.zone = Shanghai();
    options.output_dir = SharedServers().dir() + "/payouts-" + mysql.database;
    ops = std::make_unique<settlement::SettlementOperations>(*repo, directory, clock, options);
    auto imported = ops->ImportCalendar("CN", ReadFile(SourceDir() + "/sql/calendars/CN-2026.csv"));
    EXPECT_TRUE(imported.ok()) << imported.status();
  }
  // The clock at 10:00 Beijing time on `day`.
  void At(absl::CivilDay day) {
    clock.Set(absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 10, 0, 0),
                              Shanghai()));
  }
  gen::GenResult Gen(absl::CivilDay day, int64_t payments, int64_t merchants, int64_t refund_ppm,
                     uint64_t seed) {
    gen::GenOptions o;
    o.date = day;
    o.payments = payments;
    o.merchants = merchants;
    o.refund_ppm = refund_ppm;
    o.seed = seed;
    o.zone = Shanghai();
    o.keep_rows = true;
    auto r = gen::Generate(*pool, o);
    EXPECT_TRUE(r.ok()) << r.status();
    return *r;
  }
  int64_t Count(const std::string& sql) {
    auto n = pool->Run("count", [&](sql::Connection& c) -> absl::StatusOr<int64_t> {
      std::unique_ptr<sql::Statement> st(c.createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql));
      rs->next();
      return rs->getInt64(1);
    });
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }
  // Every line of the given dates, keyed "date/merchant/currency".
  std::map<std::string, settlement::Line> Lines(const std::vector<absl::CivilDay>& days) {
    std::map<std::string, settlement::Line> out;
    for (absl::CivilDay d : days) {
      auto lines = ops->ListLines(settlement::FormatDate(d), "", "", 0, 100000);
      EXPECT_TRUE(lines.ok()) << lines.status();
      for (const auto& l : *lines) {
        out[l.business_date + "/" + l.merchant_id + "/" + l.currency] = l;
      }
    }
    return out;
  }

  common::MysqlOptions mysql;
  std::unique_ptr<common::MysqlPool> pool;
  FakeSettlementDirectory directory;
  common::FakeClock clock;
  std::unique_ptr<settlement::MysqlSettlementRepository> repo;
  std::unique_ptr<settlement::SettlementOperations> ops;
};

struct ExpectedLine {
  int64_t gross = 0, refunds = 0, fees = 0, fee_returns = 0, carried_in = 0, net = 0;
  std::string status;
  std::string payout_date;
};

// The rule of DOMAIN.md, one merchant and day at a time, in date order: what each T+1 line
// must be. `frozen_on[d]` is who is frozen when day d is settled; `payout[d]` is d's payout
// date (from the calendar's published table, not from the code under test).
inline std::map<std::string, ExpectedLine> OracleT1(
    const std::vector<gen::GenResult>& data, const std::vector<absl::CivilDay>& days,
    const std::map<absl::CivilDay, std::set<std::string>>& frozen_on,
    const std::map<absl::CivilDay, std::string>& payout) {
  const absl::TimeZone zone = Shanghai();
  struct Day {
    int64_t gross = 0, refunds = 0, fees = 0, fee_returns = 0;
  };
  std::map<std::pair<absl::CivilDay, std::string>, Day> activity;
  for (const auto& g : data) {
    for (const auto& p : g.payment_rows) {
      if (p.plan_id != "bank-standard") continue;
      absl::CivilDay d;
      absl::ParseCivilTime(p.business_date, &d);
      auto& a = activity[{d, p.merchant_id}];
      a.gross += p.amount_minor;
      a.fees += p.fee_minor;
    }
    for (const auto& r : g.refund_rows) {
      if (r.plan_id != "bank-standard") continue;
      auto& a = activity[{absl::ToCivilDay(r.succeeded_at, zone), r.merchant_id}];
      a.refunds += r.amount_minor;
      a.fee_returns += r.fee_return_minor;
    }
  }
  std::map<std::string, ExpectedLine> out;
  std::map<std::string, int64_t> carry;
  std::map<std::string, std::vector<std::string>> held;  // merchant -> keys of HELD lines
  for (absl::CivilDay d : days) {
    const std::set<std::string>& frozen = frozen_on.at(d);
    // Holds of merchants no longer frozen are paid by this day's batch.
    for (auto& [m, keys] : held) {
      if (frozen.contains(m)) continue;
      for (const auto& k : keys) {
        out[k].status = "PAID";
        out[k].payout_date = payout.at(d);
      }
      keys.clear();
    }
    for (const auto& [key, a] : activity) {
      if (key.first != d) continue;
      const std::string& m = key.second;
      ExpectedLine e{a.gross, a.refunds, a.fees, a.fee_returns, carry[m], 0, "", payout.at(d)};
      e.net = e.gross - e.refunds - e.fees + e.fee_returns + e.carried_in;
      const std::string k = settlement::FormatDate(d) + "/" + m + "/CNY";
      if (e.net < 0) {
        e.status = "CARRIED";
        carry[m] = e.net;
      } else {
        carry[m] = 0;
        e.status = frozen.contains(m) && e.net > 0 ? "HELD" : "PAID";
        if (e.status == "HELD") held[m].push_back(k);
      }
      out[k] = e;
    }
  }
  return out;
}

inline void ExpectLinesEqual(const std::map<std::string, ExpectedLine>& expected,
                             const std::map<std::string, settlement::Line>& actual) {
  ASSERT_EQ(expected.size(), actual.size());
  for (const auto& [k, e] : expected) {
    auto it = actual.find(k);
    ASSERT_NE(it, actual.end()) << "missing line " << k;
    const settlement::Line& l = it->second;
    EXPECT_EQ(l.amounts.gross, e.gross) << k;
    EXPECT_EQ(l.amounts.refunds, e.refunds) << k;
    EXPECT_EQ(l.amounts.fees, e.fees) << k;
    EXPECT_EQ(l.amounts.fee_returns, e.fee_returns) << k;
    EXPECT_EQ(l.amounts.carried_in, e.carried_in) << k;
    EXPECT_EQ(l.net, e.net) << k;
    EXPECT_EQ(l.status, e.status) << k;
    EXPECT_EQ(l.payout_date, e.payout_date) << k;
  }
}

}  // namespace aggpay::testing
