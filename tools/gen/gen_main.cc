// aggpay-gen: fills a database with one business day (tools/aggpay gen). See generator.h.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "services/common/mysql/mysql_pool.h"
#include "tools/gen/generator.h"

int main(int argc, char** argv) {
  CLI::App app{"aggpay-gen: one business day of merchants, payments, refunds and postings"};
  std::string date;
  int64_t payments = 1000;
  int64_t merchants = 10;
  double refund_ratio = 0.05;
  uint64_t seed = 1;
  std::string prefix = "gm";
  std::string plans = "both";
  aggpay::common::MysqlOptions mysql;
  app.add_option("--date", date, "YYYY-MM-DD")->required();
  app.add_option("--payments", payments)->required();
  app.add_option("--merchants", merchants)->required();
  app.add_option("--refund-ratio", refund_ratio, "share of payments refunded (0..1)");
  app.add_option("--seed", seed);
  app.add_option("--merchant-prefix", prefix);
  app.add_option("--plans", plans, "both (even merchants T+1, odd D0) or t1 (all T+1)")
      ->check(CLI::IsMember({"both", "t1"}));
  app.add_option("--mysql-host", mysql.host);
  app.add_option("--mysql-port", mysql.port);
  app.add_option("--mysql-user", mysql.user);
  app.add_option("--mysql-database", mysql.database);
  CLI11_PARSE(app, argc, argv);
  if (const char* p = std::getenv("AGGPAY_MYSQL_PASSWORD")) mysql.password = p;
  mysql.read_timeout = absl::Hours(2);
  mysql.pool_size = 1;

  aggpay::gen::GenOptions o;
  if (!absl::ParseCivilTime(date, &o.date)) {
    std::fprintf(stderr, "aggpay-gen: --date: must be YYYY-MM-DD\n");
    return 2;
  }
  if (!(refund_ratio >= 0 && refund_ratio <= 1)) {
    std::fprintf(stderr, "aggpay-gen: --refund-ratio: between 0 and 1\n");
    return 2;
  }
  o.payments = payments;
  o.merchants = merchants;
  o.refund_ppm = static_cast<int64_t>(refund_ratio * 1000000 + 0.5);
  o.seed = seed;
  o.merchant_prefix = prefix;
  o.both_plans = plans == "both";
  if (!absl::LoadTimeZone("Asia/Shanghai", &o.zone)) {
    std::fprintf(stderr, "aggpay-gen: Asia/Shanghai does not load\n");
    return 1;
  }
  auto pool = aggpay::common::MysqlPool::Create(mysql);
  if (!pool.ok()) {
    std::fprintf(stderr, "aggpay-gen: %s\n", std::string(pool.status().message()).c_str());
    return 1;
  }
  const absl::Time start = absl::Now();
  o.progress = [start](const char* phase) {
    std::fprintf(stderr, "aggpay-gen: %s done at %.1f s\n", phase,
                 absl::ToDoubleSeconds(absl::Now() - start));
  };
  auto r = aggpay::gen::Generate(**pool, o);
  if (!r.ok()) {
    std::fprintf(stderr, "aggpay-gen: %s\n", std::string(r.status().message()).c_str());
    return 1;
  }
  std::printf("generated %s: %lld merchants, %lld payments, %lld refunds in %.1f s\n", date.c_str(),
              static_cast<long long>(r->merchants), static_cast<long long>(r->payments),
              static_cast<long long>(r->refunds), absl::ToDoubleSeconds(absl::Now() - start));
  return 0;
}
