// New payments' group commit (common::GroupCommit under MysqlPaymentRepository::Insert), on
// MariaDB: concurrent inserts share transactions and each keeps its own call's hook row (the
// audit outbox row in aggpayd); a duplicate in a shared batch answers ALREADY_EXISTS to its own
// caller only; a hook that fails in a shared batch fails its own caller only, and the rolled-back
// batch leaves no row behind.
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "services/common/mysql/mysql_pool.h"
#include "services/payment/mysql_payment_repository.h"
#include "tests/integration/payment_fixture.h"
#include "tests/support/test_servers.h"

namespace aggpay::payment {
namespace {

using testing::SharedServers;

PaymentRecord NewPayment(const std::string& id) {
  PaymentRecord p = fixture::TestPayment(id, "m_group", PaymentStatus::kCreated);
  p.wallet = Wallet::kAlipay;
  p.description = "收款码 付款";
  p.amount_minor = 12345;
  p.fee_minor = 47;
  p.plan_version = 3;
  return p;
}

// What an audited call installs: a row of its own written in whichever transaction commits its
// change. This one can hold its transaction open (entered / release) or refuse (fail).
class RowHook final : public common::TransactionHook {
 public:
  explicit RowHook(std::string id) : id_(std::move(id)) {}
  absl::Notification* entered = nullptr;
  absl::Notification* release = nullptr;
  bool fail = false;
  std::atomic<int> rolled_back{0};

  absl::Status BeforeCommit(sql::Connection& conn) override {
    if (entered != nullptr && !entered->HasBeenNotified()) entered->Notify();
    if (release != nullptr) release->WaitForNotification();
    if (fail) return absl::InternalError("the hook refused");
    sql::PreparedStatement& st =
        common::Prepare(conn, "INSERT INTO group_hook_rows (payment_id) VALUES (?)");
    st.setString(1, id_);
    st.execute();
    return absl::OkStatus();
  }
  void AfterRollback() override { ++rolled_back; }

 private:
  std::string id_;
};

// A hook whose rows a group commit may write for many calls at once (as the audit outbox's
// are): its Batch writes every joined hook's row in one multi-row INSERT and records how many
// hooks each call carried.
class BatchedRowHook final : public common::TransactionHook {
 public:
  class RowsBatch final : public Batch {
   public:
    absl::Status BeforeCommitAll(sql::Connection& conn,
                                 absl::Span<TransactionHook* const> hooks) const override {
      std::string sql = "INSERT INTO group_hook_rows (payment_id) VALUES ";
      for (size_t i = 0; i < hooks.size(); ++i) absl::StrAppend(&sql, i == 0 ? "" : ", ", "(?)");
      std::unique_ptr<sql::PreparedStatement> st(conn.prepareStatement(sql));
      for (size_t i = 0; i < hooks.size(); ++i) {
        st->setString(static_cast<int>(i) + 1, static_cast<BatchedRowHook*>(hooks[i])->id_);
      }
      st->execute();
      std::lock_guard<std::mutex> lock(mu);
      sizes.push_back(hooks.size());
      return absl::OkStatus();
    }
    mutable std::mutex mu;
    mutable std::vector<size_t> sizes;  // hooks per call
  };

  BatchedRowHook(std::string id, const RowsBatch* batch) : id_(std::move(id)), batch_(batch) {}
  // Alone (outside a group commit, or when retried alone): the same row by itself.
  absl::Status BeforeCommit(sql::Connection& conn) override {
    TransactionHook* self = this;
    return batch_->BeforeCommitAll(conn, absl::MakeConstSpan(&self, 1));
  }
  const Batch* batch() const override { return batch_; }

 private:
  std::string id_;
  const RowsBatch* batch_;
};

class PaymentGroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mysql_ = SharedServers().CreateDatabase("payment_group_commit");
    mysql_.pool_size = 8;
    pool_ = *common::MysqlPool::Create(mysql_);
    repo_ = std::make_unique<MysqlPaymentRepository>(*pool_);
    Exec("CREATE TABLE group_hook_rows (payment_id VARCHAR(64) NOT NULL)");
  }

  void Exec(const std::string& sql) { ASSERT_TRUE(testing::ExecSql(*pool_, sql).ok()) << sql; }

  std::string Query(const std::string& sql) { return fixture::QueryOne(*pool_, sql); }

  // Insert on a thread of its own, with `hook` installed as the call's.
  std::thread InsertWithHook(const PaymentRecord& p, common::TransactionHook* hook,
                             absl::Status* out) {
    return std::thread([this, p, hook, out] {
      common::ScopedTransactionHook install(hook);
      *out = repo_->Insert(p);
    });
  }

  // A first caller whose transaction stays open (in its hook) until Release(): the callers who
  // insert meanwhile queue up and go in the next batch together.
  struct Holder {
    explicit Holder(const std::string& id) : hook(id) {
      hook.entered = &entered;
      hook.release = &release;
    }
    absl::Notification entered, release;
    RowHook hook;
    absl::Status status;
    std::thread thread;
  };
  std::unique_ptr<Holder> HoldATransactionOpen(const std::string& id) {
    auto h = std::make_unique<Holder>(id);
    h->thread = InsertWithHook(NewPayment(id), &h->hook, &h->status);
    h->entered.WaitForNotification();
    return h;
  }

  void WaitUntilWaiting(size_t n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (repo_->inserts().Waiting() < n && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    ASSERT_EQ(repo_->inserts().Waiting(), n);
  }

  common::MysqlOptions mysql_;
  std::unique_ptr<common::MysqlPool> pool_;
  std::unique_ptr<MysqlPaymentRepository> repo_;
};

TEST_F(PaymentGroupCommitTest, ConcurrentInsertsShareTransactionsAndEachKeepsItsHookRow) {
  constexpr int kThreads = 32;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string id = absl::StrFormat("P%08dG%016d", t, i);
        RowHook hook(id);
        common::ScopedTransactionHook install(&hook);
        if (!repo_->Insert(NewPayment(id)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments"), "800");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM group_hook_rows"), "800");
  // Each payment has exactly its own hook row, none twice.
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments p JOIN group_hook_rows h USING (payment_id)"),
            "800");
  EXPECT_EQ(Query("SELECT COUNT(DISTINCT payment_id) FROM group_hook_rows"), "800");
  // Every column of every row as written, whatever batch it went in.
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments WHERE amount_minor = 12345 AND fee_minor = 47 "
                  "AND plan_version = 3 AND wallet = 'alipay' AND status = 'CREATED' AND "
                  "description = '收款码 付款' AND out_trade_no = payment_id AND "
                  "dynamic_code_id IS NULL AND lease_owner IS NULL"),
            "800");
  const auto counts = repo_->inserts().counts();
  EXPECT_EQ(counts.items, 800u);
  EXPECT_LT(counts.batches, 800u) << "32 concurrent callers never shared a transaction";
  EXPECT_GT(counts.largest, 1u);
  EXPECT_LE(counts.largest, 32u);
}

TEST_F(PaymentGroupCommitTest, HooksOfOneBatchWriteTheirRowsTogetherAndTheOthersAlone) {
  BatchedRowHook::RowsBatch rows;
  // A holds its transaction open while B, C (batched hooks) and D (a plain one) queue: the
  // next batch carries all three, and B's and C's rows go in one call.
  auto a = HoldATransactionOpen("PHOLDER000000000000000003");
  BatchedRowHook b("PB00000000000000000000001", &rows), c("PC00000000000000000000001", &rows);
  RowHook d("PD00000000000000000000001");
  absl::Status sb, sc, sd;
  std::thread tb = InsertWithHook(NewPayment("PB00000000000000000000001"), &b, &sb);
  WaitUntilWaiting(1);
  std::thread td = InsertWithHook(NewPayment("PD00000000000000000000001"), &d, &sd);
  WaitUntilWaiting(2);
  std::thread tc = InsertWithHook(NewPayment("PC00000000000000000000001"), &c, &sc);
  WaitUntilWaiting(3);
  a->release.Notify();
  for (std::thread* t : {&a->thread, &tb, &tc, &td}) t->join();
  for (const absl::Status* st : {&a->status, &sb, &sc, &sd}) EXPECT_TRUE(st->ok()) << *st;
  EXPECT_EQ(repo_->inserts().counts().largest, 3u);
  EXPECT_EQ(rows.sizes, std::vector<size_t>{2}) << "B and C in one call, D not in it";
  EXPECT_EQ(Query("SELECT GROUP_CONCAT(payment_id ORDER BY payment_id) FROM group_hook_rows"),
            "PB00000000000000000000001,PC00000000000000000000001,PD00000000000000000000001,"
            "PHOLDER000000000000000003");
}

TEST_F(PaymentGroupCommitTest, ManyCallersWithBatchedAndPlainHooksEachKeepTheirOwnRow) {
  BatchedRowHook::RowsBatch rows;
  constexpr int kThreads = 32;
  constexpr int kEach = 20;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string id = absl::StrFormat("Q%08dG%016d", t, i);
        std::unique_ptr<common::TransactionHook> hook;
        if (t % 2 == 0) {
          hook = std::make_unique<BatchedRowHook>(id, &rows);
        } else {
          hook = std::make_unique<RowHook>(id);
        }
        common::ScopedTransactionHook install(hook.get());
        if (!repo_->Insert(NewPayment(id)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments"), "640");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments p JOIN group_hook_rows h USING (payment_id)"),
            "640");
  EXPECT_EQ(Query("SELECT COUNT(DISTINCT payment_id) FROM group_hook_rows"), "640");
  size_t batched = 0, largest = 0;
  for (size_t n : rows.sizes) {
    batched += n;
    largest = std::max(largest, n);
  }
  EXPECT_EQ(batched, 320u) << "every batched hook ran once, in some call";
  EXPECT_GT(largest, 1u) << "16 concurrent batched callers never shared a call";
  EXPECT_LT(rows.sizes.size(), 320u);
}

TEST_F(PaymentGroupCommitTest, ADuplicateInASharedBatchAnswersOnlyItsOwnCaller) {
  ASSERT_TRUE(repo_->Insert(NewPayment("PDUPLICATE00000000000001")).ok());

  // A holds its transaction open (in its hook) while B, C and D queue behind it: they go in
  // the next batch together.
  auto a = HoldATransactionOpen("PHOLDER000000000000000001");
  absl::Status sb, sc, sd;
  RowHook b("PDUPLICATE00000000000001"), c("PNEW000000000000000000001"),
      d("PNEW000000000000000000002");
  std::thread tb = InsertWithHook(NewPayment("PDUPLICATE00000000000001"), &b, &sb);
  std::thread tc = InsertWithHook(NewPayment("PNEW000000000000000000001"), &c, &sc);
  std::thread td = InsertWithHook(NewPayment("PNEW000000000000000000002"), &d, &sd);
  WaitUntilWaiting(3);
  const size_t batches_before = repo_->inserts().counts().batches;
  a->release.Notify();
  for (std::thread* t : {&a->thread, &tb, &tc, &td}) t->join();

  EXPECT_TRUE(a->status.ok()) << a->status;
  EXPECT_TRUE(absl::IsAlreadyExists(sb)) << sb;
  EXPECT_TRUE(sc.ok()) << sc;
  EXPECT_TRUE(sd.ok()) << sd;
  // A's batch (still open when counted before), then the shared batch of three, tried once;
  // then each wrote alone.
  EXPECT_EQ(repo_->inserts().counts().batches, batches_before + 2);
  EXPECT_EQ(repo_->inserts().counts().largest, 3u);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments"), "4");
  EXPECT_EQ(Query("SELECT GROUP_CONCAT(payment_id ORDER BY payment_id) FROM group_hook_rows"),
            "PHOLDER000000000000000001,PNEW000000000000000000001,PNEW000000000000000000002");
}

TEST_F(PaymentGroupCommitTest, AHookThatFailsInASharedBatchFailsOnlyItsOwnCaller) {
  auto a = HoldATransactionOpen("PHOLDER000000000000000002");
  absl::Status sf, sg, se;
  RowHook f("PF00000000000000000000001"), g("PG00000000000000000000001"),
      e("PE00000000000000000000001");
  e.fail = true;
  std::thread tf = InsertWithHook(NewPayment("PF00000000000000000000001"), &f, &sf);
  WaitUntilWaiting(1);
  std::thread tg = InsertWithHook(NewPayment("PG00000000000000000000001"), &g, &sg);
  WaitUntilWaiting(2);
  std::thread te = InsertWithHook(NewPayment("PE00000000000000000000001"), &e, &se);
  WaitUntilWaiting(3);
  a->release.Notify();
  for (std::thread* t : {&a->thread, &tf, &tg, &te}) t->join();

  EXPECT_TRUE(a->status.ok()) << a->status;
  EXPECT_TRUE(sf.ok()) << sf;
  EXPECT_TRUE(sg.ok()) << sg;
  EXPECT_EQ(se.code(), absl::StatusCode::kInternal) << se;
  // F and G ran their hooks in the batch E's hook rolled back, and again alone.
  EXPECT_EQ(f.rolled_back.load(), 1);
  EXPECT_EQ(g.rolled_back.load(), 1);
  EXPECT_EQ(Query("SELECT GROUP_CONCAT(payment_id ORDER BY payment_id) FROM payments"),
            "PF00000000000000000000001,PG00000000000000000000001,PHOLDER000000000000000002");
  EXPECT_EQ(Query("SELECT GROUP_CONCAT(payment_id ORDER BY payment_id) FROM group_hook_rows"),
            "PF00000000000000000000001,PG00000000000000000000001,PHOLDER000000000000000002");
}

TEST_F(PaymentGroupCommitTest, ALoneCallerWritesInOneStatement) {
  // Chunks of 32, 16, ... 1: a batch of 1 is the single-row text, and its row is complete.
  PaymentRecord p = NewPayment("PALONE0000000000000000001");
  p.flow = Flow::kDynamicCode;
  p.code_id = "dc_alone";
  p.client_request_id = "req-1";
  p.risk_event_id = 77;
  ASSERT_TRUE(repo_->Insert(p).ok());
  EXPECT_EQ(Query("SELECT CONCAT_WS(' ', dynamic_code_id, code_id, client_request_id, "
                  "risk_event_id, risk_decision) FROM payments"),
            "dc_alone dc_alone req-1 77 ALLOW");
  auto dup = repo_->Insert(p);
  EXPECT_TRUE(absl::IsAlreadyExists(dup)) << dup;
  EXPECT_EQ(repo_->inserts().counts().largest, 1u);
}

}  // namespace
}  // namespace aggpay::payment
