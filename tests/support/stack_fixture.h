#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/support/aggpayd_process.h"

namespace aggpay::testing {

// One aggpayd (all services) per test suite, with a bootstrap admin, driven like staff drive
// it: through aggpayctl.
// A terminal registered and activated, its key in hand.
struct ActivatedTerminal {
  std::string sn;
  std::string key;
};

class StackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { SetUpTestSuite(AggpaydOptions{}); }
  // The same stack with more of aggpayd's config (limits, jobs) set by the suite.
  static void SetUpTestSuite(const AggpaydOptions& options);
  static void TearDownTestSuite();

  static CommandResult Ctl(const std::string& token, const std::string& args);
  static CommandResult AdminCtl(const std::string& args) { return Ctl(admin_token(), args); }
  // Creates a staff account with `role` and returns a bearer token for it.
  static std::string StaffToken(const std::string& username, const std::string& role);

  // Applies (docs/examples/application.json under `business_code`), reviews and approves a
  // merchant as staff do; returns its id. `time_zone`, when given, replaces Asia/Shanghai.
  static std::string OnboardMerchant(const std::string& business_code,
                                     const std::string& plan_kind = "BANK_AFFILIATED",
                                     const std::string& time_zone = "");
  // Registers a POS terminal at the store and activates it as the device would.
  static ActivatedTerminal ActivateTerminal(const std::string& merchant, const std::string& store,
                                            const std::string& serial);
  // A store for the merchant; returns its id.
  static std::string CreateStore(const std::string& merchant_id);

  // Fills the suite's database with one generated business day (tools/gen/aggpay-gen; `args`
  // are its options but the connection's: "--date 2026-11-26 --payments 40 --merchants 2 ...").
  static CommandResult GenerateDay(const std::string& args);
  // Imports the shipped business calendar (sql/calendars/CN-2026.csv).
  static CommandResult ImportCnCalendar();
  // `aggpayd settle --date DATE` on the suite's stack, its output and log together.
  static CommandResult SettleDay(const std::string& date);

  // The result of `query` on the suite's database (tab-separated, one line per row, no header).
  static std::string Query(const std::string& query);

  static const std::string& admin_token() { return *admin_token_; }
  static AggpaydProcess& aggpayd() { return *aggpayd_; }
  static const common::MysqlOptions& db() { return *db_; }

 private:
  static common::MysqlOptions* db_;
  static AggpaydProcess* aggpayd_;
  static std::string* admin_token_;
};

// The first string value of "key" in a JSON text ("" when absent); enough for test assertions.
std::string JsonString(const std::string& json, const std::string& key);

}  // namespace aggpay::testing
