// The T+1 batch killed with SIGKILL at random moments and run again: the lines are those of
// the oracle, every line is paid at most once, and the ledger stays clean.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "absl/strings/match.h"
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
  // The runs write payout files: a kill between the commit and the file leaves the file to the
  // next run.
  const std::string payout_dir = SharedServers().dir() + "/crash-payouts-" + db.mysql.database;
  setenv("AGGPAY_PAYOUT_DIR", payout_dir.c_str(), 1);
  const std::string helper = BuildDir() + "/tests/integration/settle_run_helper";
  std::mt19937 rng(20260618);
  for (absl::CivilDay d : days) {
    // Early attempts die before the commit, later ones around or after it.
    int killed_before_commit = 0;
    int committed_by_a_killed_run = 0;
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
      if (db.Count("SELECT COUNT(*) FROM settlement_batches") == batches) {
        ++killed_before_commit;
      } else if (attempt < 7) {
        ++committed_by_a_killed_run;
      }
    }
    EXPECT_GT(killed_before_commit, 0);
    // How many attempts a killed run had committed before (informative: the delays are random).
    std::printf("%s: %d kills before the commit, %d after a killed run's commit\n",
                settlement::FormatDate(d).c_str(), killed_before_commit, committed_by_a_killed_run);
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
  // Each batch's payout file exists, once, with the count and sum of its payouts.
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM settlement_batches WHERE payout_file_at IS NULL"), 0);
  for (int64_t batch : {db.Count("SELECT MIN(batch_id) FROM settlement_batches"),
                        db.Count("SELECT MAX(batch_id) FROM settlement_batches")}) {
    const std::string where = absl::StrCat(" FROM payout_instructions WHERE batch_id = ", batch);
    std::string file;
    for (const auto& entry : std::filesystem::directory_iterator(payout_dir)) {
      if (absl::StartsWith(entry.path().filename().string(),
                           absl::StrCat("payouts-", batch, "-")) &&
          absl::EndsWith(entry.path().string(), ".csv")) {
        file = ReadFile(entry.path().string());
      }
    }
    EXPECT_NE(file.find(absl::StrCat("CHECKSUM,CNY,", db.Count("SELECT COUNT(*)" + where), ",",
                                     db.Count("SELECT SUM(amount_minor)" + where), "\n")),
              std::string::npos)
        << "batch " << batch << ": " << file.substr(0, 300);
  }
  payment::MysqlPaymentRepository payments(*db.pool);
  auto report = payments.CheckLedger();
  ASSERT_TRUE(report.ok()) << report.status();
  for (const auto& p : report->problems) ADD_FAILURE() << p;
}

}  // namespace
}  // namespace aggpay::testing
