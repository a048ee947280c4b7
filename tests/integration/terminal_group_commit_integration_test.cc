// Check-ins' group commit (common::GroupCommit under MysqlTerminalRepository::CheckIn), on
// MariaDB: concurrent check-ins share transactions and each terminal ends with exactly its own
// keys and each call with its own hook row (the audit outbox row in aggpayd); a call its decision
// turns down, or whose terminal does not exist, writes nothing and answers only its own caller;
// each call of a batch gets its own terminal's and store's channel configs;
// two check-ins of one terminal in one batch are decided one after the other; a write that fails
// in a shared batch fails only its own caller.
#include <cppconn/prepared_statement.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "services/common/mysql/mysql_pool.h"
#include "services/terminal/mysql_terminal_repository.h"
#include "tests/support/sql_query.h"
#include "tests/support/test_servers.h"

namespace aggpay::terminal {
namespace {

using testing::SharedServers;

// What an audited call installs: a row of its own, written in the transaction that commits its
// change. This one can hold its transaction open (entered / release).
class RowHook final : public common::TransactionHook {
 public:
  explicit RowHook(std::string id) : id_(std::move(id)) {}
  absl::Notification* entered = nullptr;
  absl::Notification* release = nullptr;

  absl::Status BeforeCommit(sql::Connection& conn) override {
    if (entered != nullptr && !entered->HasBeenNotified()) entered->Notify();
    if (release != nullptr) release->WaitForNotification();
    sql::PreparedStatement& st =
        common::Prepare(conn, "INSERT INTO check_in_hook_rows (call_id) VALUES (?)");
    st.setString(1, id_);
    st.execute();
    return absl::OkStatus();
  }

 private:
  std::string id_;
};

// A decision that accepts: the next key, signed at `ts`; it records the keys it was shown.
TerminalRepository::CheckInDecision Accept(int64_t ts, std::vector<int64_t>* seen = nullptr) {
  return [ts, seen](const TerminalRecord& t,
                    const std::vector<StoredKey>& keys) -> absl::StatusOr<CheckInPlan> {
    if (seen != nullptr) {
      for (const StoredKey& k : keys) seen->push_back(k.version);
    }
    const absl::Time now = absl::FromUnixSeconds(ts);
    StoredKey key{t.key_version + 1, absl::StrCat("sealed-", t.terminal_sn, "-", t.key_version + 1),
                  now, now + absl::Hours(24), std::nullopt};
    return CheckInPlan{key, ts, ClientVersion{8, 1, 0}};
  };
}

class TerminalGroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = SharedServers().CreateDatabase("terminal_group_commit");
    db_.pool_size = 8;
    pool_ = *common::MysqlPool::Create(db_);
    repo_ = std::make_unique<MysqlTerminalRepository>(*pool_);
    Exec("CREATE TABLE check_in_hook_rows (call_id VARCHAR(64) NOT NULL)");
  }

  void Exec(const std::string& sql) { ASSERT_TRUE(testing::ExecSql(*pool_, sql).ok()) << sql; }

  std::string Query(const std::string& sql) { return testing::QueryOne(*pool_, sql); }

  // An ACTIVE terminal holding key version 1.
  std::string Terminal(int n, const std::string& store_id = "st_group") {
    const std::string sn = absl::StrCat("T", 7000000000000000 + n);
    TerminalRecord t;
    t.terminal_sn = sn;
    t.merchant_id = "m_group";
    t.store_id = store_id;
    t.serial = absl::StrCat("serial-", n);
    t.vendor = "sunmi";
    t.version = ClientVersion{8, 0, 15};
    t.status = TerminalStatus::kActive;
    t.device_id = absl::StrCat("device-", n);
    t.key_version = 1;
    t.created_at = absl::Now();
    EXPECT_TRUE(repo_->CreateTerminal(t).ok());
    Exec(
        absl::StrCat("INSERT INTO terminal_keys (terminal_sn, version, secret_sealed, issued_at, "
                     "expires_at) VALUES ('",
                     sn, "', 1, 'sealed-1', NOW(6), NOW(6) + INTERVAL 1 DAY)"));
    return sn;
  }

  // A check-in on a thread of its own, with `hook` installed as the call's.
  std::thread CheckInWithHook(const std::string& sn, TerminalRepository::CheckInDecision decide,
                              common::TransactionHook* hook, absl::StatusOr<CheckedIn>* out) {
    return std::thread([this, sn, decide = std::move(decide), hook, out] {
      common::ScopedTransactionHook install(hook);
      *out = repo_->CheckIn(sn, decide, absl::Now());
    });
  }

  // A first check-in whose transaction stays open (in its hook) until release: the check-ins
  // made meanwhile queue up and go in the next batch together.
  struct Holder {
    explicit Holder() : hook("holder") {
      hook.entered = &entered;
      hook.release = &release;
    }
    absl::Notification entered, release;
    RowHook hook;
    absl::StatusOr<CheckedIn> result;
    std::thread thread;
  };
  std::unique_ptr<Holder> HoldATransactionOpen(const std::string& sn) {
    auto h = std::make_unique<Holder>();
    h->thread = CheckInWithHook(sn, Accept(1000), &h->hook, &h->result);
    h->entered.WaitForNotification();
    return h;
  }

  void WaitUntilWaiting(size_t n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (repo_->check_ins().Waiting() < n && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    ASSERT_EQ(repo_->check_ins().Waiting(), n);
  }

  std::string KeyVersions(const std::string& sn) {
    return Query(absl::StrCat(
        "SELECT GROUP_CONCAT(version, IF(superseded_at IS NULL, '', 's') ORDER BY version) "
        "FROM terminal_keys WHERE terminal_sn = '",
        sn, "'"));
  }
  std::string HookRows(const std::string& id) {
    return Query(
        absl::StrCat("SELECT COUNT(*) FROM check_in_hook_rows WHERE call_id = '", id, "'"));
  }

  common::MysqlOptions db_;
  std::unique_ptr<common::MysqlPool> pool_;
  std::unique_ptr<MysqlTerminalRepository> repo_;
};

TEST_F(TerminalGroupCommitTest, ConcurrentCheckInsShareTransactionsAndEachTerminalKeepsItsKeys) {
  constexpr int kThreads = 16, kEach = 25;
  std::vector<std::string> sns;
  for (int i = 0; i < kThreads; ++i) sns.push_back(Terminal(i));
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < kEach; ++k) {
        RowHook hook(absl::StrCat(sns[i], "-", k));
        common::ScopedTransactionHook install(&hook);
        auto plan = repo_->CheckIn(sns[i], Accept(2000 + k), absl::Now());
        if (!plan.ok() || plan->plan.new_key.version != k + 2) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  for (const std::string& sn : sns) {
    EXPECT_EQ(Query(absl::StrCat("SELECT CONCAT(key_version, ' ', last_check_in_ts, ' ', "
                                 "client_version) FROM terminals WHERE terminal_sn = '",
                                 sn, "'")),
              absl::StrCat(kEach + 1, " ", 2000 + kEach - 1, " 8.1.0"));
    // Every key but the newest superseded, none missing, none twice.
    std::string want;
    for (int v = 1; v <= kEach + 1; ++v) {
      absl::StrAppend(&want, v == 1 ? "" : ",", v, v <= kEach ? "s" : "");
    }
    EXPECT_EQ(KeyVersions(sn), want) << sn;
  }
  EXPECT_EQ(Query("SELECT COUNT(*) FROM check_in_hook_rows"), std::to_string(kThreads * kEach));
  EXPECT_EQ(Query("SELECT COUNT(DISTINCT call_id) FROM check_in_hook_rows"),
            std::to_string(kThreads * kEach));
  const auto counts = repo_->check_ins().counts();
  EXPECT_EQ(counts.items, static_cast<size_t>(kThreads * kEach));
  EXPECT_LT(counts.batches, counts.items) << "no check-ins shared a transaction";
}

TEST_F(TerminalGroupCommitTest, ACheckInTurnedDownInASharedBatchWritesNothingAndAnswersOnlyItself) {
  const std::string held = Terminal(0), a = Terminal(1), refused = Terminal(2), c = Terminal(3);
  auto holder = HoldATransactionOpen(held);
  RowHook hook_a("a"), hook_refused("refused"), hook_unknown("unknown"), hook_c("c");
  absl::StatusOr<CheckedIn> out_a, out_refused, out_unknown, out_c;
  std::vector<std::thread> calls;
  calls.push_back(CheckInWithHook(a, Accept(3000), &hook_a, &out_a));
  WaitUntilWaiting(1);
  calls.push_back(CheckInWithHook(
      refused,
      [](const TerminalRecord&, const std::vector<StoredKey>&) -> absl::StatusOr<CheckInPlan> {
        return absl::UnauthenticatedError("signature does not match a valid terminal key");
      },
      &hook_refused, &out_refused));
  WaitUntilWaiting(2);
  calls.push_back(CheckInWithHook("T0000000000000404", Accept(3000), &hook_unknown, &out_unknown));
  WaitUntilWaiting(3);
  calls.push_back(CheckInWithHook(c, Accept(3001), &hook_c, &out_c));
  WaitUntilWaiting(4);
  holder->release.Notify();
  holder->thread.join();
  for (auto& t : calls) t.join();

  ASSERT_TRUE(holder->result.ok()) << holder->result.status();
  ASSERT_TRUE(out_a.ok()) << out_a.status();
  ASSERT_TRUE(out_c.ok()) << out_c.status();
  EXPECT_EQ(out_refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(out_refused.status().message(), "signature does not match a valid terminal key");
  EXPECT_EQ(out_unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(repo_->check_ins().counts().largest, 4u) << "the four did not share one batch";

  EXPECT_EQ(KeyVersions(a), "1s,2");
  EXPECT_EQ(KeyVersions(c), "1s,2");
  EXPECT_EQ(HookRows("a"), "1");
  EXPECT_EQ(HookRows("c"), "1");
  // The refused terminal is as it was: no check-in recorded, its key still current, no hook row.
  EXPECT_EQ(Query(absl::StrCat("SELECT CONCAT(key_version, ' ', last_check_in_ts, ' ', "
                               "IFNULL(last_check_in_at, 'never')) FROM terminals WHERE "
                               "terminal_sn = '",
                               refused, "'")),
            "1 0 never");
  EXPECT_EQ(KeyVersions(refused), "1");
  EXPECT_EQ(HookRows("refused"), "0");
  EXPECT_EQ(HookRows("unknown"), "0");
}

TEST_F(TerminalGroupCommitTest, TwoCheckInsOfOneTerminalInOneBatchAreDecidedOneAfterTheOther) {
  const std::string held = Terminal(0), sn = Terminal(1);
  auto holder = HoldATransactionOpen(held);
  RowHook first_hook("first"), second_hook("second");
  absl::StatusOr<CheckedIn> first, second;
  std::vector<int64_t> first_saw, second_saw;
  std::thread t1 = CheckInWithHook(sn, Accept(4000, &first_saw), &first_hook, &first);
  WaitUntilWaiting(1);
  std::thread t2 = CheckInWithHook(sn, Accept(4001, &second_saw), &second_hook, &second);
  WaitUntilWaiting(2);
  holder->release.Notify();
  holder->thread.join();
  t1.join();
  t2.join();

  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->plan.new_key.version, 2);
  EXPECT_EQ(second->plan.new_key.version, 3);
  EXPECT_EQ(first_saw, (std::vector<int64_t>{1}));
  EXPECT_EQ(second_saw, (std::vector<int64_t>{2, 1})) << "the second was not shown the first's key";
  EXPECT_EQ(KeyVersions(sn), "1s,2s,3");
  EXPECT_EQ(
      Query(absl::StrCat("SELECT last_check_in_ts FROM terminals WHERE terminal_sn = '", sn, "'")),
      "4001");
  EXPECT_EQ(HookRows("first"), "1");
  EXPECT_EQ(HookRows("second"), "1");
}

TEST_F(TerminalGroupCommitTest, AFailingWriteInASharedBatchFailsOnlyItsOwnCaller) {
  const std::string held = Terminal(0), a = Terminal(1), broken = Terminal(2);
  // A key row the broken terminal's next key collides with: its INSERT fails as a duplicate.
  Exec(
      absl::StrCat("INSERT INTO terminal_keys (terminal_sn, version, secret_sealed, issued_at, "
                   "expires_at) VALUES ('",
                   broken, "', 2, 'stray', NOW(6), NOW(6) + INTERVAL 1 DAY)"));
  auto holder = HoldATransactionOpen(held);
  RowHook hook_a("a"), hook_broken("broken");
  absl::StatusOr<CheckedIn> out_a, out_broken;
  std::thread ta = CheckInWithHook(a, Accept(5000), &hook_a, &out_a);
  WaitUntilWaiting(1);
  std::thread tb = CheckInWithHook(broken, Accept(5000), &hook_broken, &out_broken);
  WaitUntilWaiting(2);
  holder->release.Notify();
  holder->thread.join();
  ta.join();
  tb.join();

  ASSERT_TRUE(out_a.ok()) << out_a.status();
  EXPECT_EQ(out_broken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(KeyVersions(a), "1s,2");
  EXPECT_EQ(HookRows("a"), "1");
  // Nothing of the failed call: its old key not superseded, its row not moved, no hook row.
  EXPECT_EQ(KeyVersions(broken), "1,2");
  EXPECT_EQ(
      Query(absl::StrCat("SELECT key_version FROM terminals WHERE terminal_sn = '", broken, "'")),
      "1");
  EXPECT_EQ(HookRows("broken"), "0");
}

TEST_F(TerminalGroupCommitTest, EachCheckInOfABatchGetsItsOwnTerminalsAndItsStoresChannelConfigs) {
  const std::string held = Terminal(0), a = Terminal(1, "st_a"), b = Terminal(2, "st_a"),
                    other = Terminal(3, "st_other");
  auto config = [&](const std::string& scope, const std::string& id, const std::string& channel,
                    const std::string& sub) {
    ASSERT_TRUE(repo_
                    ->SetChannelConfig(ChannelConfigRecord{scope, id, channel, "m_group", sub,
                                                           "wx_app", absl::Now()})
                    .ok());
  };
  config("STORE", "st_a", "WECHAT", "store-wx");
  config("STORE", "st_a", "ALIPAY", "store-ali");
  config("TERMINAL", a, "WECHAT", "a-wx");
  config("TERMINAL", other, "UNIONPAY", "other-up");
  auto holder = HoldATransactionOpen(held);
  RowHook hook_a("a"), hook_b("b"), hook_other("other");
  absl::StatusOr<CheckedIn> out_a, out_b, out_other;
  std::vector<std::thread> calls;
  calls.push_back(CheckInWithHook(a, Accept(6000), &hook_a, &out_a));
  WaitUntilWaiting(1);
  calls.push_back(CheckInWithHook(b, Accept(6000), &hook_b, &out_b));
  WaitUntilWaiting(2);
  calls.push_back(CheckInWithHook(other, Accept(6000), &hook_other, &out_other));
  WaitUntilWaiting(3);
  holder->release.Notify();
  holder->thread.join();
  for (auto& t : calls) t.join();
  auto shown = [](const absl::StatusOr<CheckedIn>& out) {
    std::string s;
    if (!out.ok()) return out.status().ToString();
    for (const ChannelConfigRecord& r : out->channel_configs) {
      absl::StrAppend(&s, s.empty() ? "" : " ", r.scope, ":", r.channel, "=", r.sub_mch_id);
    }
    return s;
  };
  EXPECT_EQ(repo_->check_ins().counts().largest, 3u) << "the three did not share one batch";
  // Terminal scope first, then the store's, each by channel.
  EXPECT_EQ(shown(out_a), "TERMINAL:WECHAT=a-wx STORE:ALIPAY=store-ali STORE:WECHAT=store-wx");
  EXPECT_EQ(shown(out_b), "STORE:ALIPAY=store-ali STORE:WECHAT=store-wx");
  EXPECT_EQ(shown(out_other), "TERMINAL:UNIONPAY=other-up");
  EXPECT_EQ(shown(holder->result), "");
  // The same as a read of their own gives.
  auto alone = repo_->ChannelConfigs(a, "st_a");
  ASSERT_TRUE(alone.ok());
  ASSERT_EQ(alone->size(), 3u);
  EXPECT_EQ((*alone)[0].sub_mch_id, "a-wx");
  EXPECT_EQ((*alone)[1].sub_mch_id, "store-ali");
}

}  // namespace
}  // namespace aggpay::terminal
