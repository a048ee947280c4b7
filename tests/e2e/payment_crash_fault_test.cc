// kill -9 an aggpayd at random points while payments and refunds are created and callbacks
// arrive, restart it, and repeat; then let the jobs settle. No payment, refund or posting may be
// half-written: every ledger transaction balances, every account agrees with the payments and
// refunds it records, every refund reservation matches its refunds, and the audit chain verifies.
// The same with code resets running too: every reset replaced one code by exactly one, and every
// create and refund retried under its request id after the kills gives the first result.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "aggpay/v1/binding.grpc.pb.h"
#include "aggpay/v1/payment.grpc.pb.h"
#include "tests/e2e/fault_payments.h"
#include "tests/support/stack_fixture.h"
#include "tests/support/tls_support.h"

namespace aggpay::testing {
namespace {

namespace v1 = aggpay::v1;

class PaymentCrashTest : public StackTest {
 protected:
  // Lets the audit relay sweep what the kills left in the outbox, then verifies the chain.
  static void ExpectOutboxDrainedAndChainVerified() {
    for (int i = 0; i < 60 && Query("SELECT COUNT(*) FROM audit_outbox") != "0"; ++i) {
      absl::SleepFor(absl::Milliseconds(200));
    }
    EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_outbox"), "0");
    CommandResult audit = AdminCtl("audit verify -o json");
    EXPECT_EQ(audit.exit_code, 0) << audit.out;
  }
};

// One client's work against `addr` until `stop`: scan, pay, refund in parts.
void Traffic(const std::string& addr, const std::string& token, const std::string& code, int seed,
             const std::atomic<bool>& stop, std::atomic<int>& calls) {
  auto stub = v1::PaymentService::NewStub(TestChannel(addr));
  std::mt19937 rng(seed);
  int n = 0;
  const auto ctx = [&](grpc::ClientContext& c) {
    c.AddMetadata("authorization", "Bearer " + token);
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  };
  while (!stop.load()) {
    v1::CreateCodePaymentRequest create;
    create.set_code(code);
    create.mutable_amount()->set_currency("CNY");
    create.mutable_amount()->set_amount_minor(100 + static_cast<int64_t>(rng() % 100000));
    create.set_wallet("wechat");
    create.set_client_request_id(absl::StrCat("crash-", seed, "-", n++));
    v1::Payment p;
    grpc::ClientContext c1;
    ctx(c1);
    if (!stub->CreateCodePayment(&c1, create, &p).ok()) continue;
    ++calls;
    v1::SandboxPayRequest pay;
    pay.set_payment_id(p.payment_id());
    grpc::ClientContext c2;
    ctx(c2);
    v1::Payment paid;
    if (!stub->SandboxPay(&c2, pay, &paid).ok() || paid.status() != "SUCCESS") continue;
    ++calls;
    int64_t left = paid.amount().amount_minor();
    for (int part = 0; part < 3 && left > 0 && !stop.load(); ++part) {
      v1::RefundPaymentRequest refund;
      refund.set_payment_id(p.payment_id());
      refund.mutable_amount()->set_currency("CNY");
      refund.mutable_amount()->set_amount_minor(part == 2 ? left
                                                          : 1 + static_cast<int64_t>(rng() % left));
      refund.set_out_refund_no(absl::StrCat("crash-", seed, "-", n, "-", part));
      grpc::ClientContext c3;
      ctx(c3);
      v1::Refund r;
      if (stub->RefundPayment(&c3, refund, &r).ok()) {
        left -= r.amount().amount_minor();
        ++calls;
      }
    }
  }
}

TEST_F(PaymentCrashTest, KilledMidFlightNothingIsHalfWrittenAndTheLedgerIsClean) {
  const std::string merchant = OnboardMerchant("PAYMENT_CRASH");
  const std::string store = CreateStore(merchant);
  CommandResult c =
      AdminCtl(absl::StrCat("code issue --merchant ", merchant, " --store ", store, " -o json"));
  const std::string code = JsonString(c.out, "code_id");
  ASSERT_FALSE(code.empty()) << c.out;

  std::mt19937 rng(20261201);
  std::atomic<int> calls{0};
  for (int round = 0; round < 5; ++round) {
    auto victim = std::make_unique<AggpaydProcess>(SharedServers(), db());
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 3; ++t) {
      clients.emplace_back(Traffic, victim->grpc_addr(), admin_token(), code, round * 10 + t,
                           std::cref(stop), std::ref(calls));
    }
    absl::SleepFor(absl::Milliseconds(300 + rng() % 900));
    victim->Kill();  // mid-flight: inside transactions, between commit and channel, anywhere
    stop = true;
    for (auto& t : clients) t.join();
  }
  EXPECT_GT(calls.load(), 20) << "the traffic did reach the victims";

  // The surviving instance's jobs settle what the kills left undecided.
  std::string undecided;
  for (int i = 0; i < 100; ++i) {
    undecided = Query(
        "SELECT (SELECT COUNT(*) FROM payments WHERE status IN ('CREATED', 'UNKNOWN')) + "
        "(SELECT COUNT(*) FROM refunds WHERE status IN ('PROCESSING', 'UNKNOWN'))");
    if (undecided == "0") break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(undecided, "0");
  CommandResult ledger = AdminCtl("ledger check -o json");
  EXPECT_EQ(ledger.exit_code, 0) << ledger.out;
  EXPECT_NE(ledger.out.find("\"ok\":true"), std::string::npos) << ledger.out;
  // Every payment row is whole: the fee and plan fixed at creation.
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments WHERE plan_id = '' OR fee_minor < 0"), "0");
  EXPECT_NE(Query("SELECT COUNT(*) FROM payments WHERE status = 'SUCCESS'"), "0");
  // Never more refunded than paid.
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments WHERE refunded_minor > amount_minor"), "0");
  ExpectOutboxDrainedAndChainVerified();
}

// What one client asked for and, when it was answered, what it got.
struct Asked {
  std::string request_id;  // client_request_id, or out_refund_no
  std::string payment_id;  // refunds: the payment refunded
  int64_t amount = 0;
  std::string answered_id;  // empty: no answer (killed, refused)
};

struct Ledgerless {
  std::mutex mu;
  std::vector<Asked> creates;
  std::vector<Asked> refunds;
};

// Creates, pays and refunds like Traffic, remembering every request.
void RecordedTraffic(const AggpaydProcess& victim, const std::string& token,
                     const std::string& code, int seed, const std::atomic<bool>& stop,
                     Ledgerless& log) {
  auto stub = PaymentStub(victim);
  for (int n = 0; !stop.load(); ++n) {
    Asked create{absl::StrCat("rt-", seed, "-", n), "", 5000 + seed * 1000 + n, ""};
    PaymentAnswer p = PayCode(*stub, code, create.amount, create.request_id, absl::Seconds(3));
    if (p.status.ok()) create.answered_id = p.payment.payment_id();
    {
      std::lock_guard lock(log.mu);
      log.creates.push_back(create);
    }
    if (!p.status.ok()) continue;
    PaymentAnswer paid = SandboxConfirm(*stub, token, p.payment.payment_id(), absl::Seconds(3));
    if (!paid.status.ok() || paid.payment.status() != "SUCCESS") continue;
    Asked refund{absl::StrCat("rr-", seed, "-", n), p.payment.payment_id(), 1 + n % 7, ""};
    RefundAnswer r = RefundOnce(*stub, token, refund.payment_id, refund.amount, refund.request_id,
                                absl::Seconds(3));
    if (r.status.ok()) refund.answered_id = r.refund.refund_id();
    std::lock_guard lock(log.mu);
    log.refunds.push_back(refund);
  }
}

// Resets `code` again and again (IMMEDIATE), following each replacement.
void Resets(const AggpaydProcess& victim, const std::string& token, std::string code,
            const std::atomic<bool>& stop, std::atomic<int>& done) {
  auto stub = v1::BindingService::NewStub(victim.Channel());
  while (!stop.load()) {
    v1::ResetCodeRequest req;
    req.set_code(code);
    req.set_reason("DEVICE_LOST");
    req.set_mode("IMMEDIATE");
    grpc::ClientContext c;
    c.AddMetadata("authorization", "Bearer " + token);
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    v1::ResetCodeResponse resp;
    if (stub->ResetCode(&c, req, &resp).ok()) {
      code = resp.new_code().code_id();
      ++done;
    } else {
      // Killed mid-reset: the chain's live code is whichever one the database says.
      return;
    }
  }
}

TEST_F(PaymentCrashTest, KilledDuringResetsAndRefundsRetriesGiveTheFirstResult) {
  const std::string merchant = OnboardMerchant("RESET_CRASH");
  const std::string store = CreateStore(merchant);
  const auto issue = [&] {
    CommandResult c =
        AdminCtl(absl::StrCat("code issue --merchant ", merchant, " --store ", store, " -o json"));
    return JsonString(c.out, "code_id");
  };
  const std::string pay_code = issue();
  ASSERT_FALSE(pay_code.empty());
  std::vector<std::string> chains = {issue(), issue()};
  // Follows replaced_by from a chain's first code to its end (one query for the whole table).
  const auto live = [&](const std::string& first) {
    std::map<std::string, std::string> next;
    for (absl::string_view line :
         absl::StrSplit(Query("SELECT code_id, IFNULL(replaced_by, '') FROM collection_codes"),
                        '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, '\t');
      if (f.size() == 2) next[f[0]] = f[1];
    }
    std::string at = first;
    for (size_t i = 0; i <= next.size(); ++i) {
      if (next[at].empty()) return at;
      at = next[at];
    }
    return std::string("a cycle");
  };

  Ledgerless log;
  std::atomic<int> resets{0};
  std::mt19937 rng(20261202);
  for (int round = 0; round < 3; ++round) {
    auto victim = std::make_unique<AggpaydProcess>(SharedServers(), db());
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 2; ++t) {
      clients.emplace_back(RecordedTraffic, std::cref(*victim), admin_token(), pay_code,
                           round * 10 + t, std::cref(stop), std::ref(log));
    }
    for (const std::string& first : chains) {
      clients.emplace_back(Resets, std::cref(*victim), admin_token(), live(first), std::cref(stop),
                           std::ref(resets));
    }
    absl::SleepFor(absl::Milliseconds(400 + rng() % 800));
    victim->Kill();
    stop = true;
    for (auto& t : clients) t.join();
  }
  EXPECT_GT(resets.load(), 3) << "resets did run";
  EXPECT_GT(log.creates.size(), 10u);

  // No half-written reset: each chain ends in exactly one ACTIVE code, every other code in it
  // is REPLACED and points at an existing one, and nothing else was issued.
  const std::string rows = Query(
      "SELECT status, IFNULL(replaced_by, ''), (SELECT COUNT(*) FROM collection_codes n WHERE "
      "n.code_id = c.replaced_by) FROM collection_codes c WHERE merchant_id = '" +
      merchant + "'");
  int active = 0;
  int replaced = 0;
  for (absl::string_view line : absl::StrSplit(rows, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    ASSERT_EQ(f.size(), 3u) << line;
    if (f[0] == "ACTIVE") {
      ++active;
      EXPECT_EQ(f[1], "") << "an ACTIVE code that is also replaced: " << line;
    } else {
      ++replaced;
      EXPECT_EQ(f[0], "REVOKED") << "an IMMEDIATE reset revokes: " << line;
      EXPECT_EQ(f[2], "1") << "replaced by a code that does not exist: " << line;
    }
  }
  EXPECT_EQ(active, 3) << "the payment code and one live code per chain";
  EXPECT_GE(replaced, resets.load()) << "every answered reset is stored";
  for (const std::string& first : chains) {
    const std::string end = live(first);
    EXPECT_EQ(Query("SELECT status FROM collection_codes WHERE code_id = '" + end + "'"), "ACTIVE");
    EXPECT_EQ(JsonString(Ctl("", "code resolve " + end + " -o json").out, "outcome"), "PAYABLE");
  }

  // Every create and refund, retried on the survivor under its id, gives the first result.
  const auto ids = [&](const std::string& query) {
    std::map<std::string, std::string> out;
    for (absl::string_view line : absl::StrSplit(Query(query), '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, '\t');
      if (f.size() == 2) out[f[0]] = f[1];
    }
    return out;
  };
  std::map<std::string, std::string> payments =
      ids("SELECT client_request_id, payment_id FROM payments WHERE client_request_id IS NOT NULL");
  std::map<std::string, std::string> refunds = ids("SELECT out_refund_no, refund_id FROM refunds");
  auto stub = PaymentStub(aggpayd());
  for (const Asked& a : log.creates) {
    const std::string stored = payments[a.request_id];
    if (!a.answered_id.empty()) {
      EXPECT_EQ(stored, a.answered_id) << a.request_id;
    }
    PaymentAnswer p = PayCode(*stub, pay_code, a.amount, a.request_id);
    ASSERT_TRUE(p.status.ok()) << a.request_id << ": " << p.status.error_message();
    EXPECT_EQ(p.payment.amount().amount_minor(), a.amount);
    if (!stored.empty()) {
      EXPECT_EQ(p.payment.payment_id(), stored) << a.request_id;
    }
  }
  for (const Asked& a : log.refunds) {
    const std::string stored = refunds[a.request_id];
    if (!a.answered_id.empty()) {
      EXPECT_EQ(stored, a.answered_id) << a.request_id;
    }
    RefundAnswer r = RefundOnce(*stub, admin_token(), a.payment_id, a.amount, a.request_id);
    if (!stored.empty()) {
      ASSERT_TRUE(r.status.ok()) << a.request_id << ": " << r.status.error_message();
      EXPECT_EQ(r.refund.refund_id(), stored) << a.request_id;
      EXPECT_EQ(r.refund.amount().amount_minor(), a.amount);
    }
  }
  EXPECT_EQ(Query("SELECT COUNT(*) - COUNT(DISTINCT client_request_id) FROM payments"), "0");

  // Undecided refunds and payments settle; the ledger and the chain are clean.
  std::string undecided;
  for (int i = 0; i < 100; ++i) {
    undecided = Query("SELECT COUNT(*) FROM refunds WHERE status IN ('PROCESSING', 'UNKNOWN')");
    if (undecided == "0") break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(undecided, "0");
  CommandResult ledger = AdminCtl("ledger check -o json");
  EXPECT_NE(ledger.out.find("\"ok\":true"), std::string::npos) << ledger.out;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments WHERE refunded_minor > amount_minor"), "0");
  ExpectOutboxDrainedAndChainVerified();
}

}  // namespace
}  // namespace aggpay::testing
