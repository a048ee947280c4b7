// MariaDB shut down and started again while payers create and pay payments through the real
// RPCs: every payment the API answered OK is stored with its amount, every paid one is SUCCESS,
// the outage is answered UNAVAILABLE (never OK for nothing, never INTERNAL or UNKNOWN), a request
// retried under its request id after the outage gives one payment, the same aggpayd serves again
// without a restart (its pool heals), and the ledger checks clean.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/e2e/fault_payments.h"
#include "tests/support/stack_fixture.h"

namespace aggpay::testing {
namespace {

struct Attempt {
  std::string request_id;
  int64_t amount = 0;
  grpc::StatusCode create = grpc::StatusCode::UNKNOWN;
  std::string payment_id;
  bool paid_ok = false;
  grpc::StatusCode pay = grpc::StatusCode::OK;
  std::string error;
};

struct StoredPayment {
  int64_t amount = 0;
  std::string request_id;
  std::string status;
};

class MysqlRestartFaultTest : public StackTest {
 protected:
  static std::map<std::string, StoredPayment> StoredPayments(const std::string& merchant);
};

std::map<std::string, StoredPayment> MysqlRestartFaultTest::StoredPayments(
    const std::string& merchant) {
  std::map<std::string, StoredPayment> out;
  const std::string rows = Query(
      "SELECT payment_id, amount_minor, client_request_id, status FROM payments WHERE "
      "merchant_id = '" +
      merchant + "'");
  for (absl::string_view line : absl::StrSplit(rows, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() != 4) continue;
    StoredPayment p;
    EXPECT_TRUE(absl::SimpleAtoi(f[1], &p.amount)) << line;
    p.request_id = f[2];
    p.status = f[3];
    out[f[0]] = p;
  }
  return out;
}

TEST_F(MysqlRestartFaultTest, PaymentsAnsweredOkAcrossARestartAreStoredAndTheSameProcessRecovers) {
  const std::string merchant = OnboardMerchant("MYSQL_RESTART");
  const std::string store = CreateStore(merchant);
  CommandResult c =
      AdminCtl(absl::StrCat("code issue --merchant ", merchant, " --store ", store, " -o json"));
  const std::string code = JsonString(c.out, "code_id");
  ASSERT_FALSE(code.empty()) << c.out;
  const pid_t pid = aggpayd().pid();

  std::mutex mu;
  std::vector<Attempt> attempts;
  std::atomic<bool> stop{false};
  std::atomic<int> created{0};
  std::atomic<int> unavailable{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&, t] {
      auto stub = PaymentStub(aggpayd());
      for (int n = 0; !stop.load(); ++n) {
        Attempt a;
        a.request_id = absl::StrCat("mysql-", t, "-", n);
        a.amount = kAboveNightSmall + t * 100000 + n;
        PaymentAnswer p = PayCode(*stub, code, a.amount, a.request_id);
        a.create = p.status.error_code();
        a.error = p.status.error_message();
        if (p.status.ok()) {
          a.payment_id = p.payment.payment_id();
          EXPECT_EQ(p.payment.amount().amount_minor(), a.amount);
          ++created;
          PaymentAnswer paid = SandboxConfirm(*stub, admin_token(), a.payment_id);
          a.pay = paid.status.error_code();
          a.paid_ok = paid.status.ok() && paid.payment.status() == "SUCCESS";
          if (!paid.status.ok()) a.error = "pay: " + paid.status.error_message();
        }
        if (a.create == grpc::StatusCode::UNAVAILABLE || a.pay == grpc::StatusCode::UNAVAILABLE) {
          ++unavailable;
        }
        const bool failed = a.create != grpc::StatusCode::OK || a.pay != grpc::StatusCode::OK;
        {
          std::lock_guard lock(mu);
          attempts.push_back(a);
        }
        if (failed) absl::SleepFor(absl::Milliseconds(50));
      }
    });
  }
  const auto poll = [](absl::Duration limit, const std::function<bool()>& done) {
    const absl::Time until = absl::Now() + limit;
    while (!done() && absl::Now() < until) absl::SleepFor(absl::Milliseconds(50));
    return done();
  };
  EXPECT_TRUE(poll(absl::Seconds(20), [&] { return created.load() >= 6; }));
  SharedServers().StopMysql();
  // The outage, as the clients see it.
  EXPECT_TRUE(poll(absl::Seconds(10), [&] { return unavailable.load() >= 6; }));
  SharedServers().StartMysql();
  const int before_restart = created.load();
  const bool recovered =
      poll(absl::Seconds(30), [&] { return created.load() >= before_restart + 6; });
  stop = true;
  for (auto& t : clients) t.join();
  std::string last;
  for (size_t i = attempts.size() > 5 ? attempts.size() - 5 : 0; i < attempts.size(); ++i) {
    last += absl::StrCat(attempts[i].request_id, " ", attempts[i].create, "/", attempts[i].pay, " ",
                         attempts[i].error, "\n");
  }
  ASSERT_TRUE(recovered) << "the same aggpayd serves payments again after MariaDB is back; last "
                            "answers:\n"
                         << last << RunCommand("tail -30 " + aggpayd().config_path() + ".log").out;
  EXPECT_EQ(aggpayd().pid(), pid);
  EXPECT_EQ(kill(pid, 0), 0) << "not restarted";

  // Every answer was OK or UNAVAILABLE.
  std::map<grpc::StatusCode, int> codes;
  for (const Attempt& a : attempts) {
    ++codes[a.create];
    if (a.create == grpc::StatusCode::OK) ++codes[a.pay];
  }
  for (const auto& [code_seen, count] : codes) {
    EXPECT_TRUE(code_seen == grpc::StatusCode::OK || code_seen == grpc::StatusCode::UNAVAILABLE)
        << count << " answers with status " << code_seen;
  }
  EXPECT_GT(codes[grpc::StatusCode::UNAVAILABLE], 0);

  // Every payment answered OK is stored with its amount; every one paid is SUCCESS.
  std::map<std::string, StoredPayment> stored = StoredPayments(merchant);
  std::map<std::string, std::string> by_request;
  for (const auto& [id, p] : stored) by_request[p.request_id] = id;
  int ok = 0;
  for (const Attempt& a : attempts) {
    if (a.create != grpc::StatusCode::OK) continue;
    ++ok;
    auto it = stored.find(a.payment_id);
    ASSERT_NE(it, stored.end()) << a.request_id << " answered OK as " << a.payment_id;
    EXPECT_EQ(it->second.amount, a.amount) << a.request_id;
    EXPECT_EQ(it->second.request_id, a.request_id);
    if (a.paid_ok) {
      EXPECT_EQ(it->second.status, "SUCCESS") << a.request_id;
    }
  }
  EXPECT_GT(ok, 12);

  // A request answered UNAVAILABLE, retried under its id: one payment, the one stored if the
  // first try did commit, with the first amount.
  auto stub = PaymentStub(aggpayd());
  int retried = 0;
  for (const Attempt& a : attempts) {
    if (a.create != grpc::StatusCode::UNAVAILABLE) continue;
    ++retried;
    PaymentAnswer again = PayCode(*stub, code, a.amount, a.request_id);
    ASSERT_TRUE(again.status.ok()) << a.request_id << ": " << again.status.error_message();
    EXPECT_EQ(again.payment.amount().amount_minor(), a.amount);
    auto first = by_request.find(a.request_id);
    if (first != by_request.end()) {
      EXPECT_EQ(again.payment.payment_id(), first->second);
    }
  }
  EXPECT_GT(retried, 0);
  EXPECT_EQ(Query("SELECT COUNT(*) - COUNT(DISTINCT client_request_id) FROM payments"), "0");

  // Paid ones have their postings, and nothing is half-posted.
  CommandResult ledger = AdminCtl("ledger check -o json");
  EXPECT_EQ(ledger.exit_code, 0) << ledger.out;
  EXPECT_NE(ledger.out.find("\"ok\":true"), std::string::npos) << ledger.out;
}

}  // namespace
}  // namespace aggpay::testing
