// Payments end to end through the sandbox channel, on real MariaDB, Redis and aggpayd processes,
// driven as staff and payers drive them (aggpayctl) and as a channel does (signed callbacks):
// scan, pay, callback, success with the fee and plan version fixed; partial refunds whose fee
// returns add up to the fee; idempotency; a frozen merchant; bad input that writes nothing; an
// UNKNOWN answer and a lost callback resolved by re-query; a merchant endpoint that fails four
// times and then takes the notification; the statement; and a clean ledger after all of it.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aggpay/v1/payment.grpc.pb.h"
#include "services/common/crypto/crypto.h"
#include "services/payment/domain/payment.h"
#include "services/terminal/domain/terminal_key.h"
#include "tests/support/stack_fixture.h"
#include "tests/support/tls_support.h"

namespace aggpay::testing {
namespace {

namespace v1 = aggpay::v1;

class PaymentE2eTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    merchant_ = new std::string(OnboardMerchant("PAYMENT_E2E"));
    store_ = new std::string(CreateStore(*merchant_));
    CommandResult c = AdminCtl(
        absl::StrCat("code issue --merchant ", *merchant_, " --store ", *store_, " -o json"));
    code_ = new std::string(JsonString(c.out, "code_id"));
  }
  static void TearDownTestSuite() {
    delete merchant_;
    delete store_;
    delete code_;
    StackTest::TearDownTestSuite();
  }

  // Minor units of the "amount_minor" that follows `key` ("fee", "amount", ...) in JSON.
  static int64_t Minor(const std::string& json, const std::string& key) {
    const size_t at = json.find(absl::StrCat("\"", key, "\":{"));
    if (at == std::string::npos) return -1;
    const std::string needle = "\"amount_minor\":";
    const size_t start = json.find(needle, at) + needle.size();
    const size_t end = json.find_first_of(",}", start);
    int64_t v = -1;
    if (!absl::SimpleAtoi(json.substr(start, end - start), &v)) return -1;
    return v;
  }

  static std::string Scan(AggpaydProcess& instance, const std::string& args) {
    CommandResult r =
        instance.Ctl(admin_token(), "sandbox scan " + *code_ + " " + args + " -o json");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return r.out;
  }

  static std::string WaitForStatus(const std::string& payment_id, const std::string& want) {
    std::string got;
    for (int i = 0; i < 100; ++i) {
      got = AdminCtl("payment get " + payment_id + " -o json").out;
      if (JsonString(got, "status") == want) break;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return got;
  }

  static std::string Today() {
    absl::TimeZone sh;
    absl::LoadTimeZone("Asia/Shanghai", &sh);
    return absl::FormatTime("%Y-%m-%d", absl::Now(), sh);
  }

  static std::string* merchant_;
  static std::string* store_;
  static std::string* code_;
};

std::string* PaymentE2eTest::merchant_ = nullptr;
std::string* PaymentE2eTest::store_ = nullptr;
std::string* PaymentE2eTest::code_ = nullptr;

TEST_F(PaymentE2eTest, ScanPayCallbackSuccessWithTheFeeFixed) {
  const std::string created = Scan(aggpayd(), "--amount 123.45 --wallet wechat");
  const std::string id = JsonString(created, "payment_id");
  ASSERT_FALSE(id.empty()) << created;
  EXPECT_EQ(JsonString(created, "status"), "PAYING");
  EXPECT_NE(JsonString(created, "pay_url").find("sandbox"), std::string::npos) << created;
  EXPECT_EQ(Minor(created, "amount"), 12345);

  CommandResult paid = AdminCtl("sandbox pay " + id + " -o json");
  ASSERT_EQ(paid.exit_code, 0) << paid.out;
  const std::string got = WaitForStatus(id, "SUCCESS");
  EXPECT_EQ(JsonString(got, "status"), "SUCCESS") << got;
  EXPECT_EQ(JsonString(got, "merchant_id"), *merchant_);
  // 0.38% of 123.45 CNY = 46.911 fen, rounded half up: 47 fen.
  EXPECT_EQ(Minor(got, "fee"), 47);
  EXPECT_EQ(JsonString(got, "plan_id"), "bank-standard");
  EXPECT_NE(got.find("\"plan_version\":1"), std::string::npos) << got;
  EXPECT_EQ(JsonString(got, "business_date"), Today());
  EXPECT_EQ(JsonString(got, "out_trade_no"), id);
  EXPECT_EQ(Minor(got, "refunded"), 0);
  // Capture and fee: one ledger transaction of four entries.
  EXPECT_EQ(Query("SELECT COUNT(*) FROM ledger_entries e JOIN ledger_transactions t ON "
                  "t.txn_id = e.txn_id WHERE t.ref_id = '" +
                  id + "'"),
            "4");
  // A second pay (the channel retrying its notice) changes nothing.
  AdminCtl("sandbox pay " + id);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM ledger_transactions WHERE ref_id = '" + id + "'"), "1");
}

TEST_F(PaymentE2eTest, PartialRefundsReturnTheWholeFeeToTheFen) {
  const std::string id = JsonString(Scan(aggpayd(), "--amount 123.45"), "payment_id");
  ASSERT_EQ(AdminCtl("sandbox pay " + id).exit_code, 0);
  WaitForStatus(id, "SUCCESS");
  // Not yet more than what is left.
  CommandResult over = AdminCtl("payment refund " + id + " --amount 123.46 --out-refund-no R-OVER");
  EXPECT_NE(over.exit_code, 0);
  EXPECT_NE(over.out.find("FAILED_PRECONDITION: amount"), std::string::npos) << over.out;
  int64_t returned = 0;
  int i = 0;
  for (const char* part : {"100.00", "20.00", "3.45"}) {
    CommandResult r = AdminCtl(absl::StrCat("payment refund ", id, " --amount ", part,
                                            " --out-refund-no R-", ++i, " -o json"));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(JsonString(r.out, "status"), "SUCCESS") << r.out;
    returned += Minor(r.out, "fee_returned");
  }
  EXPECT_EQ(returned, 47) << "the fee returns add up to the fee";
  const std::string got = AdminCtl("payment get " + id + " -o json").out;
  EXPECT_EQ(Minor(got, "refunded"), 12345);
  EXPECT_EQ(Minor(got, "fee_returned"), 47);
  CommandResult more = AdminCtl("payment refund " + id + " --amount 0.01 --out-refund-no R-MORE");
  EXPECT_NE(more.exit_code, 0);
  // The same out_refund_no again returns the first refund; with another amount it is refused.
  CommandResult again =
      AdminCtl("payment refund " + id + " --amount 100.00 --out-refund-no R-1 -o json");
  EXPECT_EQ(again.exit_code, 0) << again.out;
  CommandResult changed = AdminCtl("payment refund " + id + " --amount 99.00 --out-refund-no R-1");
  EXPECT_NE(changed.out.find("ALREADY_EXISTS: amount"), std::string::npos) << changed.out;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM refunds WHERE payment_id = '" + id + "'"), "3");
}

TEST_F(PaymentE2eTest, SameRequestIdReturnsTheFirstPaymentAndADifferentOneIsRefused) {
  const std::string first = Scan(aggpayd(), "--amount 8.80 --request-id REQ-1");
  const std::string again = Scan(aggpayd(), "--amount 8.80 --request-id REQ-1");
  EXPECT_EQ(JsonString(first, "payment_id"), JsonString(again, "payment_id"));
  CommandResult other = AdminCtl("sandbox scan " + *code_ + " --amount 9.90 --request-id REQ-1");
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.out.find("ALREADY_EXISTS: amount"), std::string::npos) << other.out;
  CommandResult wallet =
      AdminCtl("sandbox scan " + *code_ + " --amount 8.80 --wallet alipay --request-id REQ-1");
  EXPECT_NE(wallet.out.find("ALREADY_EXISTS: wallet"), std::string::npos) << wallet.out;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments WHERE client_request_id = 'REQ-1'"), "1");
}

TEST_F(PaymentE2eTest, BadInputGetsTheRightStatusAndWritesNothing) {
  const std::string before = Query("SELECT COUNT(*) FROM payments");
  const auto refused = [&](const std::string& args, const std::string& want) {
    CommandResult r = AdminCtl("sandbox scan " + args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_NE(r.out.find(want), std::string::npos) << args << " -> " << r.out;
  };
  refused(*code_ + " --amount 0", "INVALID_ARGUMENT: amount");
  refused(*code_ + " --amount -1.00", "INVALID_ARGUMENT");
  refused(*code_ + " --amount 12.345", "INVALID_ARGUMENT");
  refused(*code_ + " --amount 50000.01", "INVALID_ARGUMENT: amount");
  refused(*code_ + " --amount 10.00 --currency USD", "INVALID_ARGUMENT: amount.currency");
  refused(*code_ + " --amount 10.00 --wallet paypal", "INVALID_ARGUMENT: wallet");
  refused(std::string(22, 'A') + " --amount 10.00", "NOT_FOUND");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments"), before);

  // A revoked code.
  CommandResult c = AdminCtl(
      absl::StrCat("code issue --merchant ", *merchant_, " --store ", *store_, " -o json"));
  const std::string revoked = JsonString(c.out, "code_id");
  ASSERT_EQ(AdminCtl("code reset " + revoked + " --reason DEVICE_LOST --mode IMMEDIATE").exit_code,
            0);
  refused(revoked + " --amount 10.00", "FAILED_PRECONDITION: code");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments"), before);

  // A refund of an unpaid payment; a callback with a bad signature.
  const std::string unpaid = JsonString(Scan(aggpayd(), "--amount 5.00"), "payment_id");
  CommandResult r =
      AdminCtl("payment refund " + unpaid + " --amount 1.00 --out-refund-no R-UNPAID");
  EXPECT_NE(r.out.find("FAILED_PRECONDITION: payment_id"), std::string::npos) << r.out;
  auto stub = v1::PaymentService::NewStub(TestChannel(aggpayd().grpc_addr()));
  grpc::ClientContext ctx;
  v1::ChannelCallbackRequest cb;
  cb.set_channel("sandbox");
  cb.set_body(absl::StrCat("{\"out_trade_no\":\"", unpaid,
                           "\",\"trade_state\":\"SUCCESS\",\"amount_minor\":\"500\","
                           "\"currency\":\"CNY\"}"));
  cb.set_timestamp(std::to_string(absl::ToUnixSeconds(absl::Now())));
  cb.set_nonce("forged");
  cb.set_signature(std::string(64, 'a'));
  v1::ChannelCallbackResponse resp;
  grpc::Status s = stub->ChannelCallback(&ctx, cb, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_EQ(JsonString(AdminCtl("payment get " + unpaid + " -o json").out, "status"), "PAYING");
}

TEST_F(PaymentE2eTest, AFrozenMerchantsScanIsRefused) {
  const std::string merchant = OnboardMerchant("PAYMENT_FROZEN");
  const std::string store = CreateStore(merchant);
  CommandResult c =
      AdminCtl(absl::StrCat("code issue --merchant ", merchant, " --store ", store, " -o json"));
  const std::string code = JsonString(c.out, "code_id");
  ASSERT_EQ(AdminCtl("merchant freeze " + merchant + " --reason 'risk review'").exit_code, 0);
  CommandResult r = AdminCtl("sandbox scan " + code + " --amount 10.00");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("FAILED_PRECONDITION: code"), std::string::npos) << r.out;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments WHERE merchant_id = '" + merchant + "'"), "0");
}

TEST_F(PaymentE2eTest, UnknownAnswersAndLostCallbacksAreResolvedByRequery) {
  AggpaydOptions chaos;
  chaos.payment_config =
      "{requery_first: 300ms, requery_max: 1s, job_interval: 100ms, "
      "notification_schedule_percent: 1, sandbox: {unknown_ppm: 1000000, "
      "lost_callback_ppm: 1000000}}";
  AggpaydProcess flaky(SharedServers(), db(), chaos);
  const std::string created = Scan(flaky, "--amount 66.60");
  const std::string id = JsonString(created, "payment_id");
  EXPECT_EQ(JsonString(created, "status"), "UNKNOWN") << created;
  EXPECT_EQ(JsonString(WaitForStatus(id, "PAYING"), "status"), "PAYING")
      << "the re-query found the order open";
  ASSERT_EQ(flaky.Ctl(admin_token(), "sandbox pay " + id).exit_code, 0);
  EXPECT_EQ(JsonString(WaitForStatus(id, "SUCCESS"), "status"), "SUCCESS")
      << "the lost callback's payment was found paid by re-query";
  EXPECT_EQ(Query("SELECT COUNT(*) FROM ledger_transactions WHERE ref_id = '" + id + "'"), "1");
}

TEST_F(PaymentE2eTest, AnEndpointThatFailsFourTimesGetsTheNotificationOnTheFifth) {
  httplib::Server receiver;
  std::atomic<int> calls{0};
  std::mutex mu;
  std::string body, ts, nonce, signature, target;
  receiver.Post("/notify", [&](const httplib::Request& req, httplib::Response& res) {
    {
      // Earlier payments' notifications, waiting for a URL, arrive too: they are taken at once.
      std::lock_guard lock(mu);
      if (target.empty() || req.body.find(target) == std::string::npos) {
        res.status = 200;
        return;
      }
    }
    if (++calls <= 4) {
      res.status = 500;
      return;
    }
    std::lock_guard lock(mu);
    body = req.body;
    ts = req.get_header_value("Aggpay-Timestamp");
    nonce = req.get_header_value("Aggpay-Nonce");
    signature = req.get_header_value("Aggpay-Signature");
    res.status = 200;
  });
  const int port = receiver.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { receiver.listen_after_bind(); });
  CommandResult hook = AdminCtl(absl::StrCat("payment webhook --merchant ", *merchant_,
                                             " --url http://127.0.0.1:", port, "/notify -o json"));
  ASSERT_EQ(hook.exit_code, 0) << hook.out;
  const std::string secret = JsonString(hook.out, "secret");
  const std::string id = JsonString(Scan(aggpayd(), "--amount 9.99"), "payment_id");
  {
    std::lock_guard lock(mu);
    target = id;
  }
  ASSERT_EQ(AdminCtl("sandbox pay " + id).exit_code, 0);
  // Retries at 1% of WeChat's schedule: 150 ms, 150 ms, 300 ms, 1.8 s.
  for (int i = 0; i < 150 && calls.load() < 5; ++i) absl::SleepFor(absl::Milliseconds(100));
  std::string listed;
  for (int i = 0; i < 50; ++i) {
    listed =
        AdminCtl("payment notifications --merchant " + *merchant_ + " --ref " + id + " -o json")
            .out;
    if (JsonString(listed, "status") == "DELIVERED") break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  receiver.stop();
  serving.join();
  EXPECT_EQ(calls.load(), 5);
  EXPECT_EQ(JsonString(listed, "status"), "DELIVERED") << listed;
  EXPECT_NE(listed.find("\"attempts\":5"), std::string::npos) << listed;
  std::lock_guard lock(mu);
  EXPECT_NE(body.find(id), std::string::npos) << body;
  EXPECT_NE(body.find("\"payment.succeeded\""), std::string::npos) << body;
  EXPECT_EQ(signature,
            common::HmacSha256Hex(secret, absl::StrCat(ts, "\n", nonce, "\n", body, "\n")));
}

grpc::Status TerminalPay(const std::string& addr, const ActivatedTerminal& d,
                         const std::string& kind, const std::string& out_trade_no,
                         int64_t amount_minor, const std::string& auth_code, v1::Payment* out,
                         const std::string& key_override = "") {
  auto stub = v1::PaymentService::NewStub(TestChannel(addr));
  v1::CreateTerminalPaymentRequest req;
  req.set_terminal_sn(d.sn);
  req.set_kind(kind);
  req.set_out_trade_no(out_trade_no);
  req.mutable_amount()->set_currency("CNY");
  req.mutable_amount()->set_amount_minor(amount_minor);
  req.set_wallet("wechat");
  req.set_auth_code(auth_code);
  req.set_timestamp(std::to_string(absl::ToUnixSeconds(absl::Now())));
  req.set_nonce(common::RandomToken(12));
  const std::string body = common::Sha256Hex(
      payment::TerminalPaymentBody(kind, out_trade_no, amount_minor, "CNY", "wechat", auth_code));
  req.set_signature(terminal::SignTerminalRequest(key_override.empty() ? d.key : key_override,
                                                  payment::kTerminalPaymentMethod, d.sn,
                                                  req.timestamp(), req.nonce(), body));
  grpc::ClientContext ctx;
  return stub->CreateTerminalPayment(&ctx, req, out);
}

TEST_F(PaymentE2eTest, ATerminalShowsADynamicCodeAndChargesABarcode) {
  const ActivatedTerminal d = ActivateTerminal(*merchant_, *store_, "PAY-POS-1");
  ASSERT_FALSE(d.key.empty());
  v1::Payment shown;
  grpc::Status s =
      TerminalPay(aggpayd().grpc_addr(), d, "PRECREATE", "T-ORDER-1", 2500, "", &shown);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(shown.status(), "PAYING");
  EXPECT_EQ(shown.flow(), "DYNAMIC_CODE");
  EXPECT_FALSE(shown.pay_url().empty());
  EXPECT_EQ(shown.terminal_sn(), d.sn);
  // The same order again: the first payment; with another amount: refused naming it.
  v1::Payment again;
  ASSERT_TRUE(
      TerminalPay(aggpayd().grpc_addr(), d, "PRECREATE", "T-ORDER-1", 2500, "", &again).ok());
  EXPECT_EQ(again.payment_id(), shown.payment_id());
  v1::Payment other;
  s = TerminalPay(aggpayd().grpc_addr(), d, "PRECREATE", "T-ORDER-1", 2600, "", &other);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();

  v1::Payment charged;
  s = TerminalPay(aggpayd().grpc_addr(), d, "BARCODE", "T-ORDER-2", 1888, "134567890123456789",
                  &charged);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(charged.status(), "SUCCESS");
  EXPECT_EQ(charged.flow(), "BARCODE");
  EXPECT_EQ(charged.fee().amount_minor(), 7);  // 0.38% of 18.88 = 7.17 fen -> 7
  v1::Payment declined;
  s = TerminalPay(aggpayd().grpc_addr(), d, "BARCODE", "T-ORDER-3", 1888, "004567890123456789",
                  &declined);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(declined.status(), "FAILED");

  // A forged signature writes nothing.
  const std::string before = Query("SELECT COUNT(*) FROM payments");
  v1::Payment forged;
  s = TerminalPay(aggpayd().grpc_addr(), d, "PRECREATE", "T-ORDER-4", 100, "", &forged,
                  std::string(43, 'A'));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments"), before);
}

TEST_F(PaymentE2eTest, AFrozenOrOfflineTerminalIsRefused) {
  const ActivatedTerminal d = ActivateTerminal(*merchant_, *store_, "PAY-POS-2");
  ASSERT_EQ(AdminCtl("terminal freeze " + d.sn + " --reason 'risk check'").exit_code, 0);
  v1::Payment p;
  grpc::Status s = TerminalPay(aggpayd().grpc_addr(), d, "PRECREATE", "T-FROZEN-1", 100, "", &p);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("FROZEN"), std::string::npos) << s.error_message();
  ASSERT_EQ(AdminCtl("terminal unfreeze " + d.sn + " --reason 'cleared'").exit_code, 0);
  ASSERT_TRUE(TerminalPay(aggpayd().grpc_addr(), d, "PRECREATE", "T-FROZEN-2", 100, "", &p).ok());
  ASSERT_EQ(AdminCtl("terminal offline --terminal " + d.sn + " --reason 'lost'").exit_code, 0);
  s = TerminalPay(aggpayd().grpc_addr(), d, "PRECREATE", "T-FROZEN-3", 100, "", &p);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments WHERE out_trade_no LIKE 'T-FROZEN-%'"), "1");
}

TEST_F(PaymentE2eTest, TheFirstPaymentOnANewCodeEndsTheOldCodesGrace) {
  CommandResult c = AdminCtl(
      absl::StrCat("code issue --merchant ", *merchant_, " --store ", *store_, " -o json"));
  const std::string old_code = JsonString(c.out, "code_id");
  CommandResult reset =
      AdminCtl("code reset " + old_code + " --reason DAMAGED --mode GRACEFUL -o json");
  ASSERT_EQ(reset.exit_code, 0) << reset.out;
  const size_t at = reset.out.find("\"new_code\"");
  ASSERT_NE(at, std::string::npos) << reset.out;
  const std::string new_code = JsonString(reset.out.substr(at), "code_id");
  EXPECT_EQ(JsonString(Ctl("", "code resolve " + old_code + " -o json").out, "outcome"), "PAYABLE")
      << "in grace";
  CommandResult paid = AdminCtl("sandbox scan " + new_code + " --amount 3.00 -o json");
  ASSERT_EQ(paid.exit_code, 0) << paid.out;
  ASSERT_EQ(AdminCtl("sandbox pay " + JsonString(paid.out, "payment_id")).exit_code, 0);
  std::string outcome;
  for (int i = 0; i < 50; ++i) {
    outcome = JsonString(Ctl("", "code resolve " + old_code + " -o json").out, "outcome");
    if (outcome == "REPLACED") break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(outcome, "REPLACED");
}

TEST_F(PaymentE2eTest, AnUnpaidOrderClosesAfterItsTimeoutAndCannotBePaidThen) {
  AggpaydOptions quick;
  quick.payment_config =
      "{close_after: 1s, requery_first: 200ms, requery_max: 500ms, job_interval: 100ms, "
      "notification_schedule_percent: 1}";
  AggpaydProcess instance(SharedServers(), db(), quick);
  const std::string id = JsonString(Scan(instance, "--amount 4.00"), "payment_id");
  EXPECT_EQ(JsonString(WaitForStatus(id, "CLOSED"), "status"), "CLOSED");
  CommandResult late = AdminCtl("sandbox pay " + id);
  EXPECT_NE(late.exit_code, 0);
  EXPECT_NE(late.out.find("FAILED_PRECONDITION"), std::string::npos) << late.out;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM ledger_transactions WHERE ref_id = '" + id + "'"), "0");
}

TEST_F(PaymentE2eTest, TheFiftyFirstRefundIsRefused) {
  const std::string id = JsonString(Scan(aggpayd(), "--amount 1.00"), "payment_id");
  ASSERT_EQ(AdminCtl("sandbox pay " + id).exit_code, 0);
  WaitForStatus(id, "SUCCESS");
  auto stub = v1::PaymentService::NewStub(TestChannel(aggpayd().grpc_addr()));
  const auto refund = [&](int n) {
    v1::RefundPaymentRequest req;
    req.set_payment_id(id);
    req.mutable_amount()->set_currency("CNY");
    req.mutable_amount()->set_amount_minor(1);
    req.set_out_refund_no(absl::StrCat("R50-", n));
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_token());
    v1::Refund r;
    return stub->RefundPayment(&ctx, req, &r);
  };
  for (int n = 1; n <= 50; ++n) ASSERT_TRUE(refund(n).ok()) << n;
  grpc::Status s = refund(51);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("50"), std::string::npos) << s.error_message();
  EXPECT_EQ(Query("SELECT COUNT(*) FROM refunds WHERE payment_id = '" + id + "'"), "50");
  EXPECT_EQ(Minor(AdminCtl("payment get " + id + " -o json").out, "refunded"), 50);
}

// The staff console's reads: one payment's refunds and ledger transactions, and a time range's
// payments per currency.
TEST_F(PaymentE2eTest, StaffReadAPaymentsLedgerAndARangesSummary) {
  auto stub = v1::PaymentService::NewStub(TestChannel(aggpayd().grpc_addr()));
  const auto staff = [](grpc::ClientContext& ctx) {
    ctx.AddMetadata("authorization", "Bearer " + admin_token());
  };
  const absl::Time before = absl::Now() - absl::Milliseconds(1);
  const std::string id = JsonString(Scan(aggpayd(), "--amount 88.88"), "payment_id");
  ASSERT_EQ(AdminCtl("sandbox pay " + id).exit_code, 0);
  WaitForStatus(id, "SUCCESS");
  CommandResult r =
      AdminCtl("payment refund " + id + " --amount 10.00 --out-refund-no LEDGER-1 -o json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string refund = JsonString(r.out, "refund_id");
  const absl::Time after = absl::Now() + absl::Milliseconds(1);

  v1::GetPaymentRequest req;
  req.set_payment_id(id);
  v1::PaymentLedger ledger;
  {
    grpc::ClientContext ctx;
    staff(ctx);
    grpc::Status s = stub->GetPaymentLedger(&ctx, req, &ledger);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_EQ(ledger.refunds_size(), 1);
  EXPECT_EQ(ledger.refunds(0).refund_id(), refund);
  EXPECT_EQ(ledger.refunds(0).amount().amount_minor(), 1000);
  ASSERT_EQ(ledger.transactions_size(), 2);
  EXPECT_EQ(ledger.transactions(0).kind(), "payment");
  EXPECT_EQ(ledger.transactions(0).ref_id(), id);
  EXPECT_EQ(ledger.transactions(1).kind(), "refund");
  EXPECT_EQ(ledger.transactions(1).ref_id(), refund);
  for (const v1::LedgerTransaction& t : ledger.transactions()) {
    int64_t sum = 0;
    for (const v1::LedgerEntry& e : t.entries()) sum += e.amount_minor();
    EXPECT_EQ(sum, 0) << t.kind() << " balances";
    EXPECT_GE(t.entries_size(), 2);
  }
  // The capture: the channel debited the whole amount.
  EXPECT_EQ(ledger.transactions(0).entries(0).account(), "channel:wechat:CNY");
  EXPECT_EQ(ledger.transactions(0).entries(0).amount_minor(), 8888);
  {
    grpc::ClientContext ctx;
    staff(ctx);
    req.set_payment_id("py0000000000000000000000");
    EXPECT_EQ(stub->GetPaymentLedger(&ctx, req, &ledger).error_code(), grpc::StatusCode::NOT_FOUND);
  }

  const auto summarize = [&](absl::Time from, absl::Time to, v1::PaymentSummary* out) {
    v1::SummarizePaymentsRequest q;
    const auto set = [](absl::Time t, google::protobuf::Timestamp* ts) {
      const int64_t us = absl::ToUnixMicros(t);
      ts->set_seconds(us / 1000000);
      ts->set_nanos(static_cast<int32_t>(us % 1000000) * 1000);
    };
    set(from, q.mutable_created_from());
    set(to, q.mutable_created_to());
    grpc::ClientContext ctx;
    staff(ctx);
    return stub->SummarizePayments(&ctx, q, out);
  };
  v1::PaymentSummary summary;
  grpc::Status s = summarize(before, after, &summary);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(summary.created(), 1);
  ASSERT_EQ(summary.succeeded_size(), 1);
  EXPECT_EQ(summary.succeeded(0).currency(), "CNY");
  EXPECT_EQ(summary.succeeded(0).payments(), 1);
  EXPECT_EQ(summary.succeeded(0).amount_minor(), 8888);
  s = summarize(after, before, &summary);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("created_to: ", 0), 0u) << s.error_message();
  s = summarize(before, before + absl::Hours(24 * 32), &summary);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "more than 31 days";
  grpc::ClientContext ctx;
  staff(ctx);
  s = stub->SummarizePayments(&ctx, v1::SummarizePaymentsRequest(), &summary);
  EXPECT_EQ(s.error_message().rfind("created_from: ", 0), 0u) << s.error_message();
}

TEST_F(PaymentE2eTest, ADynamicCodeIsPaidOnce) {
  const ActivatedTerminal d = ActivateTerminal(*merchant_, *store_, "PAY-POS-3");
  CommandResult c =
      AdminCtl(absl::StrCat("code issue --merchant ", *merchant_, " --store ", *store_,
                            " --terminal ", d.sn, " --kind DYNAMIC --amount-minor 680 -o json"));
  ASSERT_EQ(c.exit_code, 0) << c.out;
  const std::string code = JsonString(c.out, "code_id");
  CommandResult first = AdminCtl("sandbox scan " + code + " --amount 6.80 -o json");
  ASSERT_EQ(first.exit_code, 0) << first.out;
  CommandResult second = AdminCtl("sandbox scan " + code + " --amount 6.80 -o json");
  ASSERT_EQ(second.exit_code, 0) << second.out;
  EXPECT_EQ(JsonString(second.out, "payment_id"), JsonString(first.out, "payment_id"))
      << "a second scan of one order answers with its payment";
  CommandResult other = AdminCtl("sandbox scan " + code + " --amount 6.80 --wallet alipay");
  EXPECT_NE(other.out.find("ALREADY_EXISTS"), std::string::npos) << other.out;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments WHERE code_id = '" + code + "'"), "1");
}

TEST_F(PaymentE2eTest, PayersAtOnceEachGetTheirPaymentAndOneAuditEntryOfTheirOwn) {
  // Payers who scan at the same moment share the insert's transactions (group commit), and
  // their audit outbox rows go in one INSERT: each payment must still be stored once, with
  // exactly one audit entry naming it.
  const std::string seq_before = Query("SELECT COALESCE(MAX(seq), 0) FROM audit_log");
  constexpr int kPayers = 24;
  std::vector<std::string> ids(kPayers);
  std::vector<std::string> errors(kPayers);
  std::atomic<int> ready{0};
  std::vector<std::thread> payers;
  for (int i = 0; i < kPayers; ++i) {
    payers.emplace_back([&, i] {
      auto stub = v1::PaymentService::NewStub(aggpayd().Channel());
      v1::CreateCodePaymentRequest req;
      req.set_code(*code_);
      req.mutable_amount()->set_currency("CNY");
      req.mutable_amount()->set_amount_minor(2000 + i);  // above risk's night_small amounts
      req.set_wallet(i % 2 == 0 ? "wechat" : "alipay");
      req.set_client_request_id(absl::StrCat("at-once-", i));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
      ++ready;
      while (ready.load() < kPayers) std::this_thread::yield();
      v1::Payment p;
      grpc::Status st = stub->CreateCodePayment(&ctx, req, &p);
      if (st.ok()) {
        ids[i] = p.payment_id();
      } else {
        errors[i] = st.error_message();
      }
    });
  }
  for (auto& t : payers) t.join();
  std::string targets;
  for (int i = 0; i < kPayers; ++i) {
    ASSERT_FALSE(ids[i].empty()) << "payer " << i << ": " << errors[i];
    absl::StrAppend(&targets, i == 0 ? "" : ",", "'payment:", ids[i], "'");
  }
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments WHERE client_request_id LIKE 'at-once-%'"),
            absl::StrCat(kPayers));
  EXPECT_EQ(Query(absl::StrCat("SELECT SUM(amount_minor) FROM payments WHERE client_request_id "
                               "LIKE 'at-once-%'")),
            absl::StrCat(2000 * kPayers + kPayers * (kPayers - 1) / 2));
  const std::string entries =
      absl::StrCat("FROM audit_log WHERE seq > ", seq_before,
                   " AND action LIKE '%/CreateCodePayment' AND target IN (", targets, ")");
  std::string chained;
  for (int i = 0; i < 200; ++i) {  // the relay appends within its batch delay
    chained = Query("SELECT COUNT(*) " + entries);
    if (chained == absl::StrCat(kPayers)) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(chained, absl::StrCat(kPayers));
  EXPECT_EQ(Query("SELECT COUNT(DISTINCT target) " + entries), absl::StrCat(kPayers));
  EXPECT_EQ(Query("SELECT COUNT(DISTINCT source_key) " + entries), absl::StrCat(kPayers))
      << "each entry came from its own outbox row";
  EXPECT_EQ(Query("SELECT COUNT(*) " + entries +
                  " AND outcome = 'OK' AND source_key LIKE "
                  "'outbox:%'"),
            absl::StrCat(kPayers));
}

TEST_F(PaymentE2eTest, TheStatementListsTheDayAndTheLedgerIsClean) {
  const std::string id = JsonString(Scan(aggpayd(), "--amount 1.00"), "payment_id");
  ASSERT_EQ(AdminCtl("sandbox pay " + id).exit_code, 0);
  WaitForStatus(id, "SUCCESS");
  CommandResult bill = AdminCtl("sandbox bill --date " + Today());
  ASSERT_EQ(bill.exit_code, 0) << bill.out;
  EXPECT_NE(bill.out.find(absl::StrCat("`", id)), std::string::npos) << bill.out.substr(0, 600);
  EXPECT_NE(bill.out.find("总交易单数"), std::string::npos);
  CommandResult check = AdminCtl("ledger check -o json");
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_NE(check.out.find("\"ok\":true"), std::string::npos) << check.out;
}

}  // namespace
}  // namespace aggpay::testing
