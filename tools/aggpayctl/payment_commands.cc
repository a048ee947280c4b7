#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "aggpay/v1/payment.grpc.pb.h"
#include "services/common/money/money.h"
#include "tools/aggpayctl/ctl.h"

namespace aggpay::ctl {
namespace {

namespace v1 = aggpay::v1;

struct PaymentArgs {
  std::string code;
  std::string amount;
  std::string currency = "CNY";
  std::string wallet = "wechat";
  std::string payer_ip = "127.0.0.1";
  std::string device_id;
  std::string request_id;
  std::string payment_id;
  std::string merchant_id;
  std::string business_date;
  std::string status;
  int page_size = 0;
  std::string page_token;
  std::string out_refund_no;
  std::string out_trade_no;
  std::string reason;
  std::string date;
  std::string notify_url;
  std::string ref_id;
  int64_t notification_id = 0;
  bool decline = false;
};

void PrintPayment(const v1::Payment& p) {
  std::printf("%s  %s  %s  %s  fee %s  %s v%lld  %s  %s%s%s\n", p.payment_id().c_str(),
              p.status().c_str(), Decimal(p.amount()).c_str(), p.wallet().c_str(),
              Decimal(p.fee()).c_str(), p.plan_id().c_str(),
              static_cast<long long>(p.plan_version()), p.merchant_id().c_str(),
              p.business_date().empty() ? "" : "business date ", p.business_date().c_str(),
              p.pay_url().empty() ? "" : ("  " + p.pay_url()).c_str());
}

void PrintRefund(const v1::Refund& r) {
  std::printf("%s  %s  %s  fee returned %s  payment %s\n", r.refund_id().c_str(),
              r.status().c_str(), Decimal(r.amount()).c_str(), Decimal(r.fee_returned()).c_str(),
              r.payment_id().c_str());
}

}  // namespace

void AddPaymentCommands(CLI::App& app, Ctl& ctl) {
  auto a = std::make_shared<PaymentArgs>();
  const auto stub = [&ctl] {
    ctl.Connect();
    return v1::PaymentService::NewStub(ctl.channel);
  };

  auto* sandbox = app.add_subcommand("sandbox", "the built-in sandbox channel");
  sandbox->require_subcommand(1);
  auto* scan = sandbox->add_subcommand("scan", "act as a payer scanning a static code");
  scan->add_option("code", a->code, "code id or scanned URL")->required();
  scan->add_option("--amount", a->amount, "e.g. 12.34")->required();
  scan->add_option("--currency", a->currency);
  scan->add_option("--wallet", a->wallet, "wechat, alipay or unionpay");
  scan->add_option("--payer-ip", a->payer_ip);
  scan->add_option("--device-id", a->device_id);
  scan->add_option("--request-id", a->request_id, "idempotency key");
  scan->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::CreateCodePaymentRequest req;
      req.set_code(a->code);
      if (auto s = ParseAmount(a->amount, a->currency, "amount", req.mutable_amount()); !s.ok()) {
        return PrintError(s);
      }
      req.set_wallet(a->wallet);
      req.set_payer_ip(a->payer_ip);
      req.set_device_id(a->device_id);
      req.set_client_request_id(a->request_id);
      auto s = stub();
      return RunCall<v1::Payment>(
          ctl,
          [&](grpc::ClientContext* c, v1::Payment* r) { return s->CreateCodePayment(c, req, r); },
          PrintPayment);
    };
  });
  auto* pay = sandbox->add_subcommand("pay", "the payer confirms in the sandbox wallet");
  pay->add_option("payment_id", a->payment_id)->required();
  pay->add_flag("--decline", a->decline, "decline instead: the payment fails");
  pay->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::SandboxPayRequest req;
      req.set_payment_id(a->payment_id);
      req.set_decline(a->decline);
      auto s = stub();
      return RunCall<v1::Payment>(
          ctl, [&](grpc::ClientContext* c, v1::Payment* r) { return s->SandboxPay(c, req, r); },
          PrintPayment);
    };
  });
  auto* bill = sandbox->add_subcommand("bill", "the sandbox's daily statement (downloadbill CSV)");
  bill->add_option("--date", a->date, "YYYY-MM-DD (Asia/Shanghai)")->required();
  bill->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::SandboxBillRequest req;
      req.set_date(a->date);
      v1::SandboxBillResponse resp;
      auto ctx = ctl.Context();
      grpc::Status st = stub()->SandboxBill(ctx.get(), req, &resp);
      if (!st.ok()) return PrintError(st);
      std::fwrite(resp.csv().data(), 1, resp.csv().size(), stdout);
      return 0;
    };
  });

  auto* payment = app.add_subcommand("payment", "payments and refunds");
  payment->require_subcommand(1);
  auto* get = payment->add_subcommand("get", "one payment");
  get->add_option("payment_id", a->payment_id)->required();
  get->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::GetPaymentRequest req;
      req.set_payment_id(a->payment_id);
      auto s = stub();
      return RunCall<v1::Payment>(
          ctl, [&](grpc::ClientContext* c, v1::Payment* r) { return s->GetPayment(c, req, r); },
          PrintPayment);
    };
  });
  auto* list = payment->add_subcommand("list", "a merchant's payments, newest first");
  list->add_option("--merchant", a->merchant_id)->required();
  list->add_option("--business-date", a->business_date, "YYYY-MM-DD");
  list->add_option("--status", a->status);
  list->add_option("--page-size", a->page_size);
  list->add_option("--page-token", a->page_token);
  list->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::ListPaymentsRequest req;
      req.set_merchant_id(a->merchant_id);
      req.set_business_date(a->business_date);
      req.set_status(a->status);
      req.set_page_size(a->page_size);
      req.set_page_token(a->page_token);
      auto s = stub();
      return RunCall<v1::ListPaymentsResponse>(
          ctl,
          [&](grpc::ClientContext* c, v1::ListPaymentsResponse* r) {
            return s->ListPayments(c, req, r);
          },
          [](const v1::ListPaymentsResponse& r) {
            for (const auto& p : r.payments()) PrintPayment(p);
            if (!r.next_page_token().empty()) {
              std::printf("next page: --page-token %s\n", r.next_page_token().c_str());
            }
          });
    };
  });
  auto* refund = payment->add_subcommand("refund", "refund part or all of a payment");
  refund->add_option("payment_id", a->payment_id)->required();
  refund->add_option("--amount", a->amount, "e.g. 1.00")->required();
  refund->add_option("--currency", a->currency);
  refund->add_option("--out-refund-no", a->out_refund_no)->required();
  refund->add_option("--reason", a->reason);
  refund->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::RefundPaymentRequest req;
      req.set_payment_id(a->payment_id);
      if (auto s = ParseAmount(a->amount, a->currency, "amount", req.mutable_amount()); !s.ok()) {
        return PrintError(s);
      }
      req.set_out_refund_no(a->out_refund_no);
      req.set_reason(a->reason);
      auto s = stub();
      return RunCall<v1::Refund>(
          ctl, [&](grpc::ClientContext* c, v1::Refund* r) { return s->RefundPayment(c, req, r); },
          PrintRefund);
    };
  });
  auto* webhook = payment->add_subcommand("webhook", "set a merchant's notify URL (new secret)");
  webhook->add_option("--merchant", a->merchant_id)->required();
  webhook->add_option("--url", a->notify_url)->required();
  webhook->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::ConfigureWebhookRequest req;
      req.set_merchant_id(a->merchant_id);
      req.set_notify_url(a->notify_url);
      auto s = stub();
      return RunCall<v1::ConfigureWebhookResponse>(
          ctl,
          [&](grpc::ClientContext* c, v1::ConfigureWebhookResponse* r) {
            return s->ConfigureWebhook(c, req, r);
          },
          [](const v1::ConfigureWebhookResponse& r) {
            std::printf("%s -> %s\nsecret (shown once): %s\n", r.merchant_id().c_str(),
                        r.notify_url().c_str(), r.secret().c_str());
          });
    };
  });
  auto* notes = payment->add_subcommand("notifications", "a merchant's notification deliveries");
  notes->add_option("--merchant", a->merchant_id)->required();
  notes->add_option("--ref", a->ref_id, "a payment or refund id");
  notes->add_option("--page-size", a->page_size);
  notes->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::ListNotificationsRequest req;
      req.set_merchant_id(a->merchant_id);
      req.set_ref_id(a->ref_id);
      req.set_page_size(a->page_size);
      auto s = stub();
      return RunCall<v1::ListNotificationsResponse>(
          ctl,
          [&](grpc::ClientContext* c, v1::ListNotificationsResponse* r) {
            return s->ListNotifications(c, req, r);
          },
          [](const v1::ListNotificationsResponse& r) {
            for (const auto& n : r.notifications()) {
              std::printf("%lld  %s  %s  %s  attempts=%d last_http=%d %s\n",
                          static_cast<long long>(n.notification_id()), n.event().c_str(),
                          n.ref_id().c_str(), n.status().c_str(), n.attempts(),
                          n.last_http_status(), n.last_error().c_str());
            }
          });
    };
  });
  auto* resend = payment->add_subcommand("resend", "send a notification again now");
  resend->add_option("notification_id", a->notification_id)->required();
  resend->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::ResendNotificationRequest req;
      req.set_notification_id(a->notification_id);
      auto s = stub();
      return RunCall<v1::Notification>(
          ctl,
          [&](grpc::ClientContext* c, v1::Notification* r) {
            return s->ResendNotification(c, req, r);
          },
          [](const v1::Notification& n) {
            std::printf("%lld  %s  queued\n", static_cast<long long>(n.notification_id()),
                        n.status().c_str());
          });
    };
  });

  auto* ledger = app.add_subcommand("ledger", "the double-entry ledger");
  ledger->require_subcommand(1);
  auto* check = ledger->add_subcommand("check", "prove every transaction balances");
  check->callback([&ctl, stub] {
    ctl.run = [&ctl, stub] {
      v1::CheckLedgerRequest req;
      v1::CheckLedgerResponse resp;
      auto ctx = ctl.Context();
      grpc::Status st = stub()->CheckLedger(ctx.get(), req, &resp);
      if (!st.ok()) return PrintError(st);
      if (ctl.json() && resp.ok()) {
        // The contract: exactly these keys when the ledger is clean.
        std::printf("{\"ok\":true,\"transactions\":%lld,\"accounts\":%lld}\n",
                    static_cast<long long>(resp.transactions()),
                    static_cast<long long>(resp.accounts()));
        return 0;
      }
      Print(ctl, resp, [&] {
        std::printf("%s: %lld transactions, %lld accounts\n", resp.ok() ? "ok" : "NOT OK",
                    static_cast<long long>(resp.transactions()),
                    static_cast<long long>(resp.accounts()));
        for (const auto& p : resp.problems()) std::printf("  %s\n", p.c_str());
      });
      return resp.ok() ? 0 : 3;
    };
  });
}

}  // namespace aggpay::ctl
