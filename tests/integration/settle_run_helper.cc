// settle_run_helper: one `RunT1` against a test database with a fixed directory, for the crash
// test to kill at random moments (the same operations `aggpayd settle` runs, without the gRPC
// peers). Usage: settle_run_helper PORT USER DATABASE DATE SHARD [FROZEN,...]
// (password in AGGPAY_MYSQL_PASSWORD). Prints the outcome; exit 0 when settled or already done.

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_split.h"
#include "services/common/clock/clock.h"
#include "services/settlement/mysql_settlement_repository.h"
#include "services/settlement/settlement_operations.h"

namespace {

class FixedDirectory final : public aggpay::settlement::SettlementDirectory {
 public:
  explicit FixedDirectory(std::set<std::string> frozen) : frozen_(std::move(frozen)) {}
  absl::StatusOr<std::vector<std::string>> PlanIds(const std::string& cycle) override {
    return std::vector<std::string>{cycle == "T1" ? "bank-standard" : "independent-standard"};
  }
  absl::Status CloseBusinessDay(const std::string&) override { return absl::OkStatus(); }
  absl::StatusOr<std::map<std::string, aggpay::settlement::PayoutAccount>> PayoutAccounts(
      const std::vector<std::string>& ids) override {
    std::map<std::string, aggpay::settlement::PayoutAccount> out;
    for (const std::string& id : ids) out[id] = {"CORPORATE", "Bank", "Shop " + id, "6222" + id};
    return out;
  }
  absl::StatusOr<std::set<std::string>> FrozenMerchants() override { return frozen_; }

 private:
  std::set<std::string> frozen_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: settle_run_helper PORT USER DATABASE DATE SHARD [FROZEN,...]\n");
    return 2;
  }
  aggpay::common::MysqlOptions mysql;
  mysql.port = std::atoi(argv[1]);
  mysql.user = argv[2];
  mysql.database = argv[3];
  mysql.read_timeout = absl::Minutes(5);
  if (const char* p = std::getenv("AGGPAY_MYSQL_PASSWORD")) mysql.password = p;
  std::set<std::string> frozen;
  if (argc > 6) {
    for (absl::string_view m : absl::StrSplit(argv[6], ',', absl::SkipEmpty())) {
      frozen.insert(std::string(m));
    }
  }
  auto pool = aggpay::common::MysqlPool::Create(mysql);
  if (!pool.ok()) {
    std::fprintf(stderr, "%s\n", std::string(pool.status().message()).c_str());
    return 1;
  }
  aggpay::settlement::MysqlSettlementRepository repo(**pool);
  FixedDirectory directory(frozen);
  aggpay::common::SystemClock clock;
  aggpay::settlement::SettlementOptions options;
  if (!absl::LoadTimeZone("Asia/Shanghai", &options.zone)) return 1;
  if (const char* dir = std::getenv("AGGPAY_PAYOUT_DIR")) options.output_dir = dir;
  aggpay::settlement::SettlementOperations ops(repo, directory, clock, options);
  auto r = ops.RunT1(argv[4], argv[5]);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", r->message.c_str());
  return 0;
}
