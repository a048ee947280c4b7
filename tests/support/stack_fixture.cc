#include "tests/support/stack_fixture.h"

#include "absl/strings/str_cat.h"

namespace aggpay::testing {

common::MysqlOptions* StackTest::db_ = nullptr;
AggpaydProcess* StackTest::aggpayd_ = nullptr;
std::string* StackTest::admin_token_ = nullptr;

void StackTest::SetUpTestSuite() {
  db_ = new common::MysqlOptions(SharedServers().CreateDatabase("e2e"));
  aggpayd_ = new AggpaydProcess(SharedServers(), *db_);
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

std::string StackTest::StaffToken(const std::string& username, const std::string& role) {
  CommandResult created =
      AdminCtl(absl::StrCat("staff create ", username, " --role ", role, " -o json"));
  EXPECT_EQ(created.exit_code, 0) << created.out;
  CommandResult token =
      AdminCtl(absl::StrCat("token issue ", JsonString(created.out, "staff_id"), " -o json"));
  EXPECT_EQ(token.exit_code, 0) << token.out;
  return JsonString(token.out, "token");
}

std::string JsonString(const std::string& json, const std::string& key) {
  const std::string needle = absl::StrCat("\"", key, "\":\"");
  const size_t at = json.find(needle);
  if (at == std::string::npos) return "";
  const size_t start = at + needle.size();
  return json.substr(start, json.find('"', start) - start);
}

}  // namespace aggpay::testing
