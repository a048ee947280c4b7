#include "tests/support/stack_fixture.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace aggpay::testing {

common::MysqlOptions* StackTest::db_ = nullptr;
AggpaydProcess* StackTest::aggpayd_ = nullptr;
std::string* StackTest::admin_token_ = nullptr;

void StackTest::SetUpTestSuite(const AggpaydOptions& suite_options) {
  db_ = new common::MysqlOptions(SharedServers().CreateDatabase("e2e"));
  // CTest runs some suites a second time with AGGPAY_TEST_MYSQL_POOL_SIZE=1: the whole flow
  // must pass with one connection, which no nested call may wait for.
  AggpaydOptions options = suite_options;
  if (const char* size = std::getenv("AGGPAY_TEST_MYSQL_POOL_SIZE")) {
    options.mysql_pool_size = std::atoi(size);
  }
  aggpayd_ = new AggpaydProcess(SharedServers(), *db_, options);
  admin_token_ = new std::string(aggpayd_->BootstrapAdmin());
}

void StackTest::TearDownTestSuite() {
  delete aggpayd_;
  delete db_;
  delete admin_token_;
  aggpayd_ = nullptr;
}

CommandResult StackTest::Ctl(const std::string& token, const std::string& args) {
  return aggpayd_->Ctl(token, args);
}

CommandResult StackTest::GenerateDay(const std::string& args) {
  return RunCommand(absl::StrCat("AGGPAY_MYSQL_PASSWORD=", db_->password, " ", BuildDir(),
                                 "/tools/gen/aggpay-gen --mysql-port ", db_->port, " --mysql-user ",
                                 db_->user, " --mysql-database ", db_->database, " ", args,
                                 " 2>&1"));
}

CommandResult StackTest::ImportCnCalendar() {
  return AdminCtl("settlement calendar import --file " + SourceDir() +
                  "/sql/calendars/CN-2026.csv");
}

CommandResult StackTest::SettleDay(const std::string& date) {
  return RunCommand(absl::StrCat(aggpayd_->AggpaydCommand(), " settle --date ", date, " 2>&1"));
}

std::string StackTest::Query(const std::string& query) {
  CommandResult r = RunCommand(absl::StrCat("mariadb --no-defaults -N -B -h127.0.0.1 -P",
                                            SharedServers().mysql_port(), " -uroot ", db_->database,
                                            " -e \"", query, "\" 2>&1"));
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string StackTest::StaffToken(const std::string& username, const std::string& role) {
  CommandResult created =
      AdminCtl(absl::StrCat("staff create ", username, " --role ", role, " -o json"));
  EXPECT_EQ(created.exit_code, 0) << created.out;
  CommandResult token =
      AdminCtl(absl::StrCat("token issue ", JsonString(created.out, "staff_id"), " -o json"));
  EXPECT_EQ(token.exit_code, 0) << token.out;
  return JsonString(token.out, "token");
}

std::string StackTest::OnboardMerchant(const std::string& business_code,
                                       const std::string& plan_kind, const std::string& time_zone) {
  std::ifstream in(SourceDir() + "/docs/examples/application.json");
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string path = absl::StrCat(SharedServers().dir(), "/", business_code, ".json");
  std::ofstream(path) << absl::StrReplaceAll(
      buf.str(), {{"APPLY_20261126_0001", business_code},
                  {"BANK_AFFILIATED", plan_kind},
                  {"\"Asia/Shanghai\"",
                   absl::StrCat("\"", time_zone.empty() ? "Asia/Shanghai" : time_zone, "\"")}});
  CommandResult applied = AdminCtl("merchant apply -o json --file " + path);
  const std::string id = JsonString(applied.out, "merchant_id");
  EXPECT_FALSE(id.empty()) << applied.out;
  EXPECT_EQ(AdminCtl("merchant submit " + id).exit_code, 0);
  EXPECT_EQ(AdminCtl("merchant review " + id).exit_code, 0);
  CommandResult approved = AdminCtl("merchant approve " + id + " -o json");
  EXPECT_EQ(JsonString(approved.out, "status"), "ACTIVE") << approved.out;
  return id;
}

ActivatedTerminal StackTest::ActivateTerminal(const std::string& merchant, const std::string& store,
                                              const std::string& serial) {
  CommandResult reg = AdminCtl(absl::StrCat("terminal register --merchant ", merchant, " --store ",
                                            store, " --type POS --serial ", serial,
                                            " --vendor sunmi --client-version 8.0.15 -o json"));
  const std::string sn = JsonString(reg.out, "terminal_sn");
  CommandResult code = AdminCtl(absl::StrCat("terminal code --merchant ", merchant, " --store ",
                                             store, " --terminal ", sn, " -o json"));
  CommandResult act = Ctl("", "terminal activate --code " + JsonString(code.out, "code") +
                                  " --device-id dev-" + serial + " -o json");
  EXPECT_EQ(act.exit_code, 0) << act.out;
  return ActivatedTerminal{sn, JsonString(act.out, "terminal_key")};
}

std::string StackTest::CreateStore(const std::string& merchant_id) {
  CommandResult store =
      AdminCtl("merchant store create " + merchant_id + " --name Front --address 'No. 1' -o json");
  EXPECT_EQ(store.exit_code, 0) << store.out;
  return JsonString(store.out, "store_id");
}

std::string JsonString(const std::string& json, const std::string& key) {
  const std::string needle = absl::StrCat("\"", key, "\":\"");
  const size_t at = json.find(needle);
  if (at == std::string::npos) return "";
  const size_t start = at + needle.size();
  return json.substr(start, json.find('"', start) - start);
}

}  // namespace aggpay::testing
