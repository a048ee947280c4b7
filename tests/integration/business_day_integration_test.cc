// Closing a business day against the transactions that record successes on it, on MariaDB:
// the close waits for a recording transaction that holds the day, a success recorded after the
// close goes to the next open day, and a closed day stays closed. Also the repository's
// one-statement status move (MoveStatus), which must never overwrite another writer's change.
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "services/common/mysql/mysql_pool.h"
#include "services/payment/mysql_payment_repository.h"
#include "tests/integration/payment_fixture.h"
#include "tests/support/test_servers.h"

namespace aggpay::payment {
namespace {

using testing::SharedServers;

PaymentRecord Pending(const std::string& id) {
  return fixture::TestPayment(id, "m_day", PaymentStatus::kPaying);
}

class BusinessDayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mysql_ = SharedServers().CreateDatabase("business_day");
    mysql_.pool_size = 4;
    pool_ = *common::MysqlPool::Create(mysql_);
    repo_ = std::make_unique<MysqlPaymentRepository>(*pool_);
  }

  // Records the payment's success on the first open day on or after `date`, holding the
  // transaction open until `release` is notified (when given).
  absl::StatusOr<PaymentChange> Succeed(const std::string& id, const std::string& date,
                                        absl::Notification* holding = nullptr,
                                        absl::Notification* release = nullptr) {
    return repo_->Change(
        id,
        [&](const PaymentRecord& current, BusinessDayGate& days) -> absl::StatusOr<PaymentChange> {
          PaymentChange ch{current, "payment", {}, std::nullopt};
          ch.payment.status = PaymentStatus::kSuccess;
          ch.payment.paid_at = absl::Now();
          ch.payment.recorded_at = absl::Now();
          auto day = days.OpenDayOnOrAfter(date);
          if (!day.ok()) return day.status();
          ch.payment.business_date = *day;
          if (holding != nullptr) holding->Notify();
          if (release != nullptr) release->WaitForNotification();
          return ch;
        },
        absl::Now());
  }

  std::string Query(const std::string& sql) { return fixture::QueryOne(*pool_, sql); }

  common::MysqlOptions mysql_;
  std::unique_ptr<common::MysqlPool> pool_;
  std::unique_ptr<MysqlPaymentRepository> repo_;
};

TEST_F(BusinessDayTest, TheCloseWaitsForARecordingTransactionAndLaterSuccessesMoveOn) {
  ASSERT_TRUE(repo_->Insert(Pending("P0000000000000000000000001")).ok());
  ASSERT_TRUE(repo_->Insert(Pending("P0000000000000000000000002")).ok());

  // A success being recorded on 2026-11-26 holds the day while its transaction is open.
  absl::Notification holding, release;
  auto recording = std::async(std::launch::async, [&] {
    return Succeed("P0000000000000000000000001", "2026-11-26", &holding, &release);
  });
  holding.WaitForNotification();
  std::atomic<bool> closed{false};
  auto closing = std::async(std::launch::async, [&] {
    auto at = repo_->CloseBusinessDay("2026-11-26", absl::Now());
    closed = true;
    return at;
  });
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_FALSE(closed) << "the close must wait for the transaction recording on the day";
  release.Notify();
  auto recorded = recording.get();
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  auto closed_at = closing.get();
  ASSERT_TRUE(closed_at.ok()) << closed_at.status();
  EXPECT_EQ(Query("SELECT business_date FROM payments WHERE payment_id = "
                  "'P0000000000000000000000001'"),
            "2026-11-26")
      << "committed before the close: it is the day's, and the batch after the close sees it";

  // After the close, a success of that day (a late re-query) is recorded on the next open day,
  // past any other closed day.
  ASSERT_TRUE(repo_->CloseBusinessDay("2026-11-27", absl::Now()).ok());
  auto late = Succeed("P0000000000000000000000002", "2026-11-26");
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(Query("SELECT business_date FROM payments WHERE payment_id = "
                  "'P0000000000000000000000002'"),
            "2026-11-28");
  EXPECT_EQ(Query("SELECT recorded_at IS NOT NULL FROM payments WHERE payment_id = "
                  "'P0000000000000000000000002'"),
            "1");

  // Closing again keeps the first close's time.
  auto again = repo_->CloseBusinessDay("2026-11-26", absl::Now() + absl::Hours(1));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *closed_at);
}

// A channel's acceptance moves a CREATED payment to PAYING in one statement, and only while it
// is still CREATED: a payment a re-query already settled, or one moved before, is left as it is.
TEST_F(BusinessDayTest, MoveStatusChangesOnlyAPaymentStillInItsFromStatus) {
  PaymentRecord created = Pending("P0000000000000000000000011");
  created.status = PaymentStatus::kCreated;
  ASSERT_TRUE(repo_->Insert(created).ok());
  const auto row = [&](const std::string& column) {
    return Query(absl::StrCat("SELECT ", column,
                              " FROM payments WHERE payment_id = 'P0000000000000000000000011'"));
  };
  EXPECT_EQ(row("channel_txn_id"), "NULL");

  auto moved = repo_->MoveStatus(created.payment_id, PaymentStatus::kCreated,
                                 PaymentStatus::kPaying, "", "weixin://pay/1", absl::Now());
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_TRUE(*moved);
  EXPECT_EQ(row("status"), "PAYING");
  EXPECT_EQ(row("pay_url"), "weixin://pay/1");
  EXPECT_EQ(row("channel_txn_id"), "NULL") << "no id given: the stored one stays";
  EXPECT_EQ(row("amount_minor"), "1000");

  // Moved already: a second move from CREATED changes nothing.
  auto again = repo_->MoveStatus(created.payment_id, PaymentStatus::kCreated,
                                 PaymentStatus::kPaying, "txn-2", "weixin://pay/2", absl::Now());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again);
  EXPECT_EQ(row("pay_url"), "weixin://pay/1");
  EXPECT_EQ(row("channel_txn_id"), "NULL");

  // Settled by another writer first (a re-query that heard "paid"): SUCCESS stays.
  PaymentRecord raced = Pending("P0000000000000000000000012");
  raced.status = PaymentStatus::kCreated;
  ASSERT_TRUE(repo_->Insert(raced).ok());
  ASSERT_TRUE(Succeed(raced.payment_id, "2026-11-26").ok());
  auto late = repo_->MoveStatus(raced.payment_id, PaymentStatus::kCreated, PaymentStatus::kPaying,
                                "txn-3", "weixin://pay/3", absl::Now());
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_FALSE(*late);
  EXPECT_EQ(Query("SELECT CONCAT(status, ' ', pay_url) FROM payments WHERE payment_id = "
                  "'P0000000000000000000000012'"),
            "SUCCESS ");

  // An unknown payment: false, nothing written.
  auto missing = repo_->MoveStatus("P0000000000000000000000099", PaymentStatus::kCreated,
                                   PaymentStatus::kPaying, "x", "y", absl::Now());
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_FALSE(*missing);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments"), "2");
}

}  // namespace
}  // namespace aggpay::payment
