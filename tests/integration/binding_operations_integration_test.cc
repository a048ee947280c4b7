// The binding use cases (BindingOperations) on the real MysqlCodeRepository and a real
// ResolveCache against test MariaDB and Redis, with in-process fakes of the merchant/terminal
// directory and the SMS gateway: self-service reset limits, the keyed OTP hash, verification that
// can be retried after a refused reset, store codes checked against the merchant, and frozen
// merchants' codes resolving MERCHANT_FROZEN.
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "services/binding/binding_operations.h"
#include "services/binding/mysql_code_repository.h"
#include "services/binding/resolve_cache.h"
#include "services/common/clock/clock.h"
#include "services/common/crypto/crypto.h"
#include "services/common/status/field_errors.h"
#include "tests/support/test_servers.h"

namespace aggpay::binding {
namespace {

using testing::SharedServers;

constexpr char kOtpKey[] = "test-otp-server-secret";
constexpr char kClient[] = "198.51.100.7";

// The merchant and terminal services as the binding service sees them.
class FakeDirectory final : public BindingDirectory {
 public:
  absl::StatusOr<MerchantSnapshot> Merchant(const std::string& merchant_id) override {
    std::lock_guard lock(mu_);
    auto it = merchants_.find(merchant_id);
    if (it == merchants_.end()) return absl::NotFoundError("merchant not found");
    return it->second;
  }
  absl::StatusOr<TerminalSnapshot> Terminal(const std::string& terminal_sn) override {
    std::lock_guard lock(mu_);
    auto it = terminals_.find(terminal_sn);
    if (it == terminals_.end()) return absl::NotFoundError("terminal not found");
    return it->second;
  }
  absl::Status CheckStore(const std::string& merchant_id, const std::string& store_id) override {
    std::lock_guard lock(mu_);
    ++store_checks_;
    if (!store_error_.ok()) return store_error_;
    if (stores_.count({merchant_id, store_id}) == 0) return absl::NotFoundError("no such store");
    return absl::OkStatus();
  }

  void AddMerchant(const std::string& id, const std::string& phone) {
    std::lock_guard lock(mu_);
    merchants_[id] = MerchantSnapshot{id, "ACTIVE", "Tea House", phone, {{"WECHAT", "190001"}}};
  }
  void AddTerminal(const std::string& sn, const std::string& merchant_id,
                   const std::string& store_id) {
    std::lock_guard lock(mu_);
    terminals_[sn] = TerminalSnapshot{sn, merchant_id, store_id, "ACTIVE", {}};
  }
  void SetStatus(const std::string& id, const std::string& status) {
    std::lock_guard lock(mu_);
    merchants_[id].status = status;
  }
  void AddStore(const std::string& merchant_id, const std::string& store_id) {
    std::lock_guard lock(mu_);
    stores_.insert({merchant_id, store_id});
  }
  void FailStoreChecks(absl::Status s) {
    std::lock_guard lock(mu_);
    store_error_ = std::move(s);
  }
  int store_checks() {
    std::lock_guard lock(mu_);
    return store_checks_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, MerchantSnapshot> merchants_;
  std::map<std::string, TerminalSnapshot> terminals_;
  std::set<std::pair<std::string, std::string>> stores_;
  absl::Status store_error_;
  int store_checks_ = 0;
};

// The SMS gateway: keeps what was sent.
class FakeOtpSender final : public OtpSender {
 public:
  absl::Status Send(const std::string& phone, const std::string& message) override {
    std::lock_guard lock(mu_);
    sent_.emplace_back(phone, message);
    return absl::OkStatus();
  }
  int sent() {
    std::lock_guard lock(mu_);
    return static_cast<int>(sent_.size());
  }
  std::string last_phone() {
    std::lock_guard lock(mu_);
    return sent_.empty() ? "" : sent_.back().first;
  }
  // The password in the newest message, which must name `request_id`.
  std::string LastOtpFor(const std::string& request_id) {
    std::lock_guard lock(mu_);
    if (sent_.empty()) return "";
    const std::string& message = sent_.back().second;
    if (message.find(request_id) == std::string::npos) return "";
    std::smatch m;
    static const std::regex kOtp("one-time password ([0-9]{6})");
    return std::regex_search(message, m, kOtp) ? m[1].str() : "";
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> sent_;
};

bool WaitFor(const std::function<bool()>& condition) {
  for (int i = 0; i < 200; ++i) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

BindingOptions Options(const std::string& otp_key) {
  BindingOptions o;
  o.otp_key = otp_key;
  return o;
}

class BindingOperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = SharedServers().CreateDatabase("bindops");
    pool_ = *common::MysqlPool::Create(db_);
    repo_ = std::make_unique<MysqlCodeRepository>(*pool_);
    redis_ = std::make_unique<common::RedisClient>(SharedServers().Redis());
    ResolveCacheOptions cache_options;
    cache_options.lease = absl::Milliseconds(400);
    cache_options.poll_interval = absl::Milliseconds(50);
    cache_ =
        std::make_unique<ResolveCache>(*redis_, *repo_, metrics_, system_clock_, cache_options);
    cache_->Start();
    ASSERT_TRUE(WaitFor([&] { return cache_->Current(); }));
    directory_.AddMerchant("m_1", "+8613800000001");
    directory_.AddStore("m_1", "s_1");
    directory_.AddMerchant("m_2", "+8613800000002");
    directory_.AddStore("m_2", "s_2");
    ops_ = MakeOps(kOtpKey);
  }
  void TearDown() override { cache_->Stop(); }

  std::unique_ptr<BindingOperations> MakeOps(const std::string& otp_key) {
    return std::make_unique<BindingOperations>(*repo_, *cache_, directory_, otp_, metrics_, clock_,
                                               Options(otp_key));
  }

  CodeRecord StoreCode(const std::string& merchant = "m_1", const std::string& store = "s_1") {
    auto code = ops_->IssueCode(merchant, store, "", "STATIC", std::nullopt, absl::ZeroDuration(),
                                "staff:test");
    EXPECT_TRUE(code.ok()) << code.status();
    return code.ok() ? *code : CodeRecord{};
  }

  absl::StatusOr<RequestRecord> Request(const std::string& code_id, bool staff_review = false) {
    return ops_->RequestReset(code_id, "DAMAGED", "IMMEDIATE", staff_review, "m_1");
  }

  int64_t Count(const std::string& sql, const std::string& arg = "") {
    auto n = pool_->Run("count", [&](sql::Connection& c) -> absl::StatusOr<int64_t> {
      std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
      if (!arg.empty()) st->setString(1, arg);
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
      rs->next();
      return rs->getInt64(1);
    });
    return n.ok() ? *n : -1;
  }

  std::string StoredOtpHash(const std::string& request_id) {
    auto h = pool_->Run("otp hash", [&](sql::Connection& c) -> absl::StatusOr<std::string> {
      std::unique_ptr<sql::PreparedStatement> st(
          c.prepareStatement("SELECT otp_hash FROM code_reset_requests WHERE request_id = ?"));
      st->setString(1, request_id);
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
      if (!rs->next()) return absl::NotFoundError("no request");
      return std::string(rs->getString(1));
    });
    return h.ok() ? *h : "";
  }

  RequestRecord StoredRequest(const std::string& request_id) {
    auto r = repo_->GetRequest(request_id);
    EXPECT_TRUE(r.ok() && r->has_value()) << request_id;
    return r.ok() && r->has_value() ? **r : RequestRecord{};
  }

  CodeRecord StoredCode(const std::string& code_id) {
    auto c = repo_->Get(code_id);
    EXPECT_TRUE(c.ok() && c->has_value()) << code_id;
    return c.ok() && c->has_value() ? **c : CodeRecord{};
  }

  ResolveOutcome Resolve(const std::string& code_id) {
    auto r = ops_->Resolve(ops_->Url(code_id), {kClient});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->outcome : ResolveOutcome::kUnbound;
  }

  common::FakeClock clock_;
  common::SystemClock system_clock_;
  common::Metrics metrics_;
  common::MysqlOptions db_;
  std::unique_ptr<common::MysqlPool> pool_;
  std::unique_ptr<MysqlCodeRepository> repo_;
  std::unique_ptr<common::RedisClient> redis_;
  std::unique_ptr<ResolveCache> cache_;
  FakeDirectory directory_;
  FakeOtpSender otp_;
  std::unique_ptr<BindingOperations> ops_;
};

TEST_F(BindingOperationsTest, AFourthResetRequestForACodeWithin24HoursIsRefused) {
  const CodeRecord code = StoreCode();
  for (int i = 0; i < 3; ++i) {
    auto r = Request(code.code_id, /*staff_review=*/i == 2);
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
    clock_.Advance(absl::Hours(1));
  }
  EXPECT_EQ(otp_.sent(), 2);
  auto fourth = Request(code.code_id);
  EXPECT_EQ(fourth.status().code(), absl::StatusCode::kResourceExhausted) << fourth.status();
  EXPECT_GT(common::ErrorRetryAfter(fourth.status()), absl::ZeroDuration());
  EXPECT_EQ(Request(code.code_id, /*staff_review=*/true).status().code(),
            absl::StatusCode::kResourceExhausted)
      << "staff review requests count too";
  EXPECT_EQ(otp_.sent(), 2) << "no password sent for a refused request";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM code_reset_requests WHERE code_id = ?", code.code_id), 3);

  // Another code of the merchant has its own three.
  const CodeRecord other = StoreCode();
  EXPECT_TRUE(Request(other.code_id).ok());

  // 24 hours after the first request, one slot is free again, and only one.
  clock_.Advance(absl::Hours(21) + absl::Minutes(1));
  EXPECT_TRUE(Request(code.code_id).ok());
  EXPECT_EQ(Request(code.code_id).status().code(), absl::StatusCode::kResourceExhausted);
}

// Counting and inserting are separate statements: requests sent at once must not all slip under
// the limit (each usable request is five more guesses at the password).
TEST_F(BindingOperationsTest, ResetRequestsSentAtOnceNeverExceedTheLimit) {
  const CodeRecord code = StoreCode();
  constexpr int kRacers = 16;
  std::atomic<int> admitted{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  threads.reserve(kRacers);
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&] {
      auto r = Request(code.code_id);
      if (r.ok()) {
        ++admitted;
      } else if (r.status().code() == absl::StatusCode::kResourceExhausted) {
        ++refused;
      } else {
        ADD_FAILURE() << r.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(admitted.load(), 3);
  EXPECT_EQ(admitted.load() + refused.load(), kRacers);
  EXPECT_EQ(otp_.sent(), admitted.load()) << "a password only for an admitted request";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM code_reset_requests WHERE code_id = ? AND status = "
                  "'PENDING_OTP'",
                  code.code_id),
            admitted.load())
      << "a request that lost the race cannot be verified";
  EXPECT_EQ(Request(code.code_id).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(BindingOperationsTest, AMerchantGetsAtMostTwentyResetRequestsIn24Hours) {
  std::vector<CodeRecord> codes(7);
  for (CodeRecord& c : codes) c = StoreCode();
  int accepted = 0;
  for (int round = 0; round < 3; ++round) {
    for (const CodeRecord& c : codes) {
      if (accepted == 20) break;
      auto r = Request(c.code_id);
      ASSERT_TRUE(r.ok()) << accepted << ": " << r.status();
      ++accepted;
    }
  }
  // The 21st: its code has had only two requests, the merchant twenty.
  auto refused = Request(codes.back().code_id);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  EXPECT_NE(refused.status().message().find("merchant"), absl::string_view::npos)
      << refused.status();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM code_reset_requests WHERE merchant_id = ?", "m_1"), 20);
  // Another merchant is not affected.
  const CodeRecord theirs = StoreCode("m_2", "s_2");
  EXPECT_TRUE(ops_->RequestReset(theirs.code_id, "DAMAGED", "IMMEDIATE", false, "m_2").ok());
}

TEST_F(BindingOperationsTest, TheStoredOtpHashIsKeyedByTheServerSecret) {
  const CodeRecord code = StoreCode();
  auto request = Request(code.code_id);
  ASSERT_TRUE(request.ok()) << request.status();
  const std::string id = request->request.request_id;
  EXPECT_EQ(otp_.last_phone(), "+8613800000001");
  const std::string otp = otp_.LastOtpFor(id);
  ASSERT_EQ(otp.size(), 6u) << "the message names the request and carries the password";

  const std::string stored = StoredOtpHash(id);
  ASSERT_EQ(stored.size(), 64u);
  EXPECT_EQ(stored.find(otp), std::string::npos) << "the password itself is never stored";
  // Not the old HMAC keyed by the public request id, which anyone holding a copy of the table
  // could grind through all 10^6 passwords.
  EXPECT_NE(stored, common::HmacSha256Hex(id, otp));
  EXPECT_NE(stored, HashOtp("", id, otp));
  EXPECT_EQ(stored, HashOtp(kOtpKey, id, otp));

  // An instance configured with another key cannot verify the password: the key matters.
  auto other_key = MakeOps("another-server-secret");
  auto wrong = other_key->VerifyReset(id, otp, "m_1", "merchant:m_1");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument) << wrong.status();
  EXPECT_EQ(common::ErrorField(wrong.status()), "otp");
  EXPECT_EQ(StoredRequest(id).request.attempts, 1);

  auto right = ops_->VerifyReset(id, otp, "m_1", "merchant:m_1");
  ASSERT_TRUE(right.ok()) << right.status();
  EXPECT_EQ(StoredRequest(id).request.status, RequestStatus::kCompleted);
}

TEST_F(BindingOperationsTest, AResetRefusedForAFrozenMerchantCanBeRetriedWithTheSamePassword) {
  const CodeRecord code = StoreCode();
  auto request = Request(code.code_id);
  ASSERT_TRUE(request.ok()) << request.status();
  const std::string id = request->request.request_id;
  const std::string otp = otp_.LastOtpFor(id);
  ASSERT_EQ(otp.size(), 6u);

  directory_.SetStatus("m_1", "FROZEN");
  auto frozen = ops_->VerifyReset(id, otp, "m_1", "merchant:m_1");
  EXPECT_EQ(frozen.status().code(), absl::StatusCode::kFailedPrecondition) << frozen.status();
  // The right password was not used up: the request is still waiting for it, with no attempt
  // counted, and the code was not touched.
  const RequestRecord pending = StoredRequest(id);
  EXPECT_EQ(pending.request.status, RequestStatus::kPendingOtp);
  EXPECT_EQ(pending.request.attempts, 0);
  EXPECT_TRUE(pending.new_code_id.empty());
  EXPECT_EQ(StoredCode(code.code_id).status, CodeStatus::kActive);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM collection_codes WHERE merchant_id = ?", "m_1"), 1);

  directory_.SetStatus("m_1", "ACTIVE");
  clock_.Advance(absl::Minutes(1));  // still within the password's 5 minutes
  auto done = ops_->VerifyReset(id, otp, "m_1", "merchant:m_1");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->old_code.status, CodeStatus::kRevoked);
  EXPECT_EQ(StoredCode(code.code_id).status, CodeStatus::kRevoked);
  EXPECT_EQ(StoredCode(done->new_code.code_id).status, CodeStatus::kActive);
  const RequestRecord completed = StoredRequest(id);
  EXPECT_EQ(completed.request.status, RequestStatus::kCompleted);
  EXPECT_EQ(completed.new_code_id, done->new_code.code_id);
  EXPECT_EQ(completed.decided_by, "merchant:m_1");
  EXPECT_EQ(Resolve(code.code_id), ResolveOutcome::kReplaced);
  EXPECT_EQ(Resolve(done->new_code.code_id), ResolveOutcome::kPayable);

  // Completed: the same password does not reset again.
  auto replay = ops_->VerifyReset(id, otp, "m_1", "merchant:m_1");
  EXPECT_EQ(replay.status().code(), absl::StatusCode::kFailedPrecondition) << replay.status();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM collection_codes WHERE merchant_id = ?", "m_1"), 2);
}

// A freeze blocks collection in the binding service before the merchant service records FROZEN,
// and the block stays if that recording fails: the block alone refuses resets.
TEST_F(BindingOperationsTest, ABlockedMerchantCannotResetEvenWhileTheDirectorySaysActive) {
  const CodeRecord code = StoreCode();
  auto request = Request(code.code_id);
  ASSERT_TRUE(request.ok()) << request.status();
  const std::string id = request->request.request_id;
  const std::string otp = otp_.LastOtpFor(id);
  ASSERT_EQ(otp.size(), 6u);

  auto block = repo_->SetMerchantBlock("m_1", "FROZEN", "risk review", "staff:test", clock_.Now());
  ASSERT_TRUE(block.ok()) << block.status();
  cache_->AwaitPropagation(block->invalidation_seq);
  const int sent = otp_.sent();
  auto refused = Request(code.code_id);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_EQ(common::ErrorField(refused.status()), "code_id");
  EXPECT_EQ(otp_.sent(), sent);
  auto staff_reset =
      ops_->Reset(code.code_id, "DEVICE_LOST", "IMMEDIATE", absl::ZeroDuration(), "staff:test", "");
  EXPECT_EQ(staff_reset.status().code(), absl::StatusCode::kFailedPrecondition)
      << staff_reset.status();
  auto verify = ops_->VerifyReset(id, otp, "m_1", "merchant:m_1");
  EXPECT_EQ(verify.status().code(), absl::StatusCode::kFailedPrecondition) << verify.status();
  EXPECT_EQ(StoredRequest(id).request.status, RequestStatus::kPendingOtp);
  EXPECT_EQ(StoredCode(code.code_id).status, CodeStatus::kActive);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM collection_codes WHERE merchant_id = ?", "m_1"), 1);

  auto unblock = repo_->SetMerchantBlock("m_1", "ACTIVE", "cleared", "staff:test", clock_.Now());
  ASSERT_TRUE(unblock.ok()) << unblock.status();
  auto done = ops_->VerifyReset(id, otp, "m_1", "merchant:m_1");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(StoredRequest(id).request.status, RequestStatus::kCompleted);
}

TEST_F(BindingOperationsTest, AStoreCodeForAnotherMerchantsStoreIsRefusedAndWritesNothing) {
  // s_2 is m_2's store, s_9 nobody's.
  for (const char* store : {"s_2", "s_9"}) {
    auto code = ops_->IssueCode("m_1", store, "", "STATIC", std::nullopt, absl::ZeroDuration(),
                                "staff:test");
    EXPECT_EQ(code.status().code(), absl::StatusCode::kInvalidArgument) << code.status();
    EXPECT_EQ(common::ErrorField(code.status()), "store_id") << code.status();
  }
  EXPECT_EQ(directory_.store_checks(), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM collection_codes WHERE merchant_id = ?", "m_1"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM code_history WHERE merchant_id = ?", "m_1"), 0);

  // The merchant service cannot answer: the error is passed on, not taken for a yes.
  directory_.FailStoreChecks(absl::UnavailableError("merchant service unavailable"));
  auto unknown =
      ops_->IssueCode("m_1", "s_1", "", "STATIC", std::nullopt, absl::ZeroDuration(), "staff:test");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnavailable) << unknown.status();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM collection_codes WHERE merchant_id = ?", "m_1"), 0);

  directory_.FailStoreChecks(absl::OkStatus());
  const CodeRecord own = StoreCode("m_1", "s_1");
  EXPECT_EQ(own.store_id, "s_1");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM collection_codes WHERE merchant_id = ?", "m_1"), 1);
}

// The per-address limit (burst 100 here) is for payers. The payment service resolves every
// payer's code from its own one address and is not counted; payers from that address still are.
TEST_F(BindingOperationsTest, AServiceIsNotCountedAgainstThePerAddressResolveLimit) {
  const CodeRecord code = StoreCode();
  int service_ok = 0;
  for (int i = 0; i < 150; ++i) {
    auto r = ops_->Resolve(code.code_id, {kClient, /*service=*/true});
    if (r.ok() && r->outcome == ResolveOutcome::kPayable) ++service_ok;
  }
  EXPECT_EQ(service_ok, 150);
  int payer_ok = 0;
  absl::Status refused;
  for (int i = 0; i < 150 && refused.ok(); ++i) {
    auto r = ops_->Resolve(code.code_id, {kClient});
    if (r.ok()) {
      ++payer_ok;
    } else {
      refused = r.status();
    }
  }
  EXPECT_EQ(payer_ok, 100);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
}

TEST_F(BindingOperationsTest, AFrozenMerchantsCodesResolveMerchantFrozenEvenWhenCached) {
  const CodeRecord code = StoreCode();
  ASSERT_EQ(Resolve(code.code_id), ResolveOutcome::kPayable);
  ASSERT_TRUE(cache_->Lookup(code.code_id).has_value()) << "the payable view is cached";

  auto block = repo_->SetMerchantBlock("m_1", "FROZEN", "risk review", "staff:test", clock_.Now());
  ASSERT_TRUE(block.ok()) << block.status();
  cache_->AwaitPropagation(block->invalidation_seq);
  auto frozen = ops_->Resolve(code.code_id, {kClient});
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_EQ(frozen->outcome, ResolveOutcome::kMerchantFrozen);
  EXPECT_TRUE(frozen->view.merchant_id.empty()) << "nothing to pay to";
  EXPECT_TRUE(frozen->view.channel_params.empty());
  EXPECT_EQ(frozen->view.merchant_display_name, "Tea House");
  // Read again from the cache it now fills: still frozen.
  EXPECT_EQ(Resolve(code.code_id), ResolveOutcome::kMerchantFrozen);
  // Another merchant's code is unaffected.
  const CodeRecord theirs = StoreCode("m_2", "s_2");
  EXPECT_EQ(Resolve(theirs.code_id), ResolveOutcome::kPayable);

  // Unfrozen through the merchant service's call: payable again.
  auto unblock = ops_->SetMerchantCollection("m_1", "ACTIVE", "review cleared", "service:merchant");
  ASSERT_TRUE(unblock.ok()) << unblock.status();
  EXPECT_EQ(Resolve(code.code_id), ResolveOutcome::kPayable);

  // Closed: every code is unbound for good, with history.
  auto closed = ops_->SetMerchantCollection("m_1", "CLOSED", "merchant left", "service:merchant");
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->codes_unbound, 1);
  EXPECT_EQ(Resolve(code.code_id), ResolveOutcome::kUnbound);
  EXPECT_EQ(StoredCode(code.code_id).status, CodeStatus::kUnbound);
  EXPECT_EQ(StoredCode(code.code_id).merchant_block, "CLOSED");
}

}  // namespace
}  // namespace aggpay::binding

namespace aggpay::binding {
namespace {

// Check-ins ask for their terminal's current code at once; the repository reads many terminals
// in one statement (common::BatchedRead). Each caller must still get its own terminal's newest
// ACTIVE static code, and a code unbound before a call is never handed over by it.
TEST_F(BindingOperationsTest, TerminalsAskingAtOnceEachGetTheirOwnCurrentCodeAndNeverAnUnboundOne) {
  std::map<std::string, std::string> want;  // sn -> code id ("" for none)
  for (int i = 0; i < 8; ++i) {
    const std::string sn = absl::StrCat("T88000000000000", i);
    want[sn] = "";
    if (i < 6) want[sn] = StoreCode().code_id;  // a store code first, then the terminal's own
    if (i < 6) {
      directory_.AddTerminal(sn, "m_1", "s_1");
      auto own = ops_->IssueCode("m_1", "s_1", sn, "STATIC", std::nullopt, absl::ZeroDuration(),
                                 "staff:test");
      ASSERT_TRUE(own.ok()) << own.status();
      want[sn] = own->code_id;
    }
  }
  // T...5's code is unbound: it has none to hand over.
  const std::string unbound_sn = "T880000000000005";
  ASSERT_TRUE(ops_->Unbind(ops_->Url(want[unbound_sn]), "lost", "staff:test").ok());
  want[unbound_sn] = "";
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 40; ++k) {
        const std::string sn = absl::StrCat("T88000000000000", (t + k) % 8);
        auto got = ops_->TerminalCodeId(sn);
        if (!got.ok() || got->value_or("") != want[sn]) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(repo_->terminal_codes().counts().items, 320u);
  // Each terminal with a code has it recorded as delivered; the others have no row.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM terminal_code_delivery"), 5);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM terminal_code_delivery WHERE terminal_sn = ?", unbound_sn),
            0);
}

}  // namespace
}  // namespace aggpay::binding
