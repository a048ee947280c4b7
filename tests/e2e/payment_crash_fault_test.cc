// kill -9 an aggpayd at random points while payments and refunds are created and callbacks
// arrive, restart it, and repeat; then let the jobs settle. No payment, refund or posting may be
// half-written: every ledger transaction balances, every account agrees with the payments and
// refunds it records, every refund reservation matches its refunds, and the audit chain verifies.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "aggpay/v1/payment.grpc.pb.h"
#include "tests/support/stack_fixture.h"
#include "tests/support/tls_support.h"

namespace aggpay::testing {
namespace {

namespace v1 = aggpay::v1;

class PaymentCrashTest : public StackTest {};

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
  // Let the audit relay sweep what the kills left in the outbox, then verify the chain.
  for (int i = 0; i < 60 && Query("SELECT COUNT(*) FROM audit_outbox") != "0"; ++i) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_outbox"), "0");
  CommandResult audit = AdminCtl("audit verify -o json");
  EXPECT_EQ(audit.exit_code, 0) << audit.out;
}

}  // namespace
}  // namespace aggpay::testing
