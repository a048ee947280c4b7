// The T+1 batch killed with SIGKILL at random moments and run again: the lines are those of
// the oracle, every line is paid at most once, and the ledger stays clean.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <random>

#include "services/payment/mysql_payment_repository.h"
#include "tests/integration/settlement_fixture.h"

extern char** environ;

namespace aggpay::testing {
namespace {

pid_t Spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  EXPECT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST(SettlementCrashFault, KilledAtRandomPointsThenRerunPaysEachLineOnce) {
  SettlementDb db("settle_crash");
  // Dates in the past of the real clock, since the helper runs on the system clock.
  const std::vector<absl::CivilDay> days = {absl::CivilDay(2026, 6, 18),
                                            absl::CivilDay(2026, 6, 19)};
  std::vector<gen::GenResult> data;
  data.push_back(db.Gen(days[0], 120000, 3000, 60000, 21));
  data.push_back(db.Gen(days[1], 8000, 3000, 300000, 22));
  const std::string frozen = "gm2,gm8,gm100";
  setenv("AGGPAY_MYSQL_PASSWORD", db.mysql.password.c_str(), 1);
  const std::string helper = BuildDir() + "/tests/integration/settle_run_helper";
  std::mt19937 rng(20260618);
  for (absl::CivilDay d : days) {
    // Early attempts die before the commit, later ones around or after it.
    int killed_before_commit = 0;
    const std::vector<std::string> args = {helper,
                                           std::to_string(db.mysql.port),
                                           db.mysql.user,
                                           db.mysql.database,
                                           settlement::FormatDate(d),
                                           "1/1",
                                           frozen};
    for (int attempt = 0; attempt < 8; ++attempt) {
      const int64_t batches = db.Count("SELECT COUNT(*) FROM settlement_batches");
      pid_t pid = Spawn(args);
      std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % (10 + 40 * attempt)));
      kill(pid, SIGKILL);
      Wait(pid);
      if (db.Count("SELECT COUNT(*) FROM settlement_batches") == batches) ++killed_before_commit;
    }
    EXPECT_GT(killed_before_commit, 0);
    // The final run finishes (or finds the batch a killed run committed).
    pid_t pid = Spawn(args);
    const int status = Wait(pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  std::map<absl::CivilDay, std::set<std::string>> frozen_on;
  std::map<absl::CivilDay, std::string> payout = {{days[0], "2026-06-22"}, {days[1], "2026-06-22"}};
  for (absl::CivilDay d : days) frozen_on[d] = {"gm2", "gm8", "gm100"};
  ExpectLinesEqual(OracleT1(data, days, frozen_on, payout), db.Lines(days));
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM settlement_batches"), 2);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM (SELECT line_id FROM payout_instructions GROUP BY "
                     "line_id HAVING COUNT(*) > 1) x"),
            0);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM payout_instructions"),
            db.Count("SELECT COUNT(*) FROM settlement_lines WHERE status = 'PAID' AND net_minor "
                     "> 0"));
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM ledger_transactions WHERE kind = 'settlement'"), 2);
  payment::MysqlPaymentRepository payments(*db.pool);
  auto report = payments.CheckLedger();
  ASSERT_TRUE(report.ok()) << report.status();
  for (const auto& p : report->problems) ADD_FAILURE() << p;
}

}  // namespace
}  // namespace aggpay::testing
