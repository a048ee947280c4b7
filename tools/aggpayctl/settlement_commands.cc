#include <cstdio>
#include <string>

#include "aggpay/v1/settlement.grpc.pb.h"
#include "tools/aggpayctl/ctl.h"

namespace aggpay::ctl {
namespace {

namespace v1 = aggpay::v1;

struct SettlementArgs {
  std::string date;
  std::string merchant_id;
  std::string calendar;
  std::string file;
  std::string channel = "sandbox";
};

void PrintLine(const v1::SettlementLine& l) {
  std::printf(
      "%s  %s  %s %s  gross %lld  refunds %lld  fees %lld  fee returns %lld  carried in %lld  "
      "net %lld  %s  payout %s%s\n",
      l.business_date().c_str(), l.cycle().c_str(), l.merchant_id().c_str(), l.currency().c_str(),
      static_cast<long long>(l.gross()), static_cast<long long>(l.refunds()),
      static_cast<long long>(l.fees()), static_cast<long long>(l.fee_returns()),
      static_cast<long long>(l.carried_in()), static_cast<long long>(l.net()), l.status().c_str(),
      l.payout_date().c_str(),
      l.released_by_batch() != 0
          ? (" (released by batch " + std::to_string(l.released_by_batch()) + ")").c_str()
          : "");
}

void PrintReconciliation(const v1::Reconciliation& r) {
  std::printf(
      "reconciliation %lld  %s %s  %s: %lld bill rows, %lld matched, %lld missing ours, %lld "
      "missing at the channel, %lld differ; fees channel %lld / ours %lld (1/1000 minor) %s\n",
      static_cast<long long>(r.reconciliation_id()), r.channel().c_str(), r.date().c_str(),
      r.result() == "CLEAN" ? "CLEAN, nothing to investigate" : r.result().c_str(),
      static_cast<long long>(r.bill_rows()), static_cast<long long>(r.matched()),
      static_cast<long long>(r.missing_ours()), static_cast<long long>(r.missing_channel()),
      static_cast<long long>(r.differs()), static_cast<long long>(r.channel_fee_milli()),
      static_cast<long long>(r.our_fee_milli()), r.fee_totals_agree() ? "agree" : "DIFFER");
  for (const auto& i : r.items()) {
    std::printf("  %s  %s %s  ours %lld %s  channel %lld %s  %s\n", i.kind().c_str(),
                i.ref_type().c_str(), i.ref_id().c_str(), static_cast<long long>(i.our_amount()),
                i.our_status().c_str(), static_cast<long long>(i.channel_amount()),
                i.channel_status().c_str(), i.detail().c_str());
  }
}

}  // namespace

void AddSettlementCommands(CLI::App& app, Ctl& ctl) {
  auto a = std::make_shared<SettlementArgs>();
  const auto stub = [&ctl] {
    ctl.Connect();
    return v1::SettlementService::NewStub(ctl.channel);
  };

  auto* settlement = app.add_subcommand("settlement", "settlement batches, lines and statements");
  settlement->require_subcommand(1);

  auto* batches = settlement->add_subcommand("batches", "settlement batches, newest first");
  batches->add_option("--date", a->date, "business date YYYY-MM-DD");
  batches->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::ListBatchesRequest req;
      req.set_date(a->date);
      req.set_page_size(500);
      auto s = stub();
      return RunCall<v1::ListBatchesResponse>(
          ctl,
          [&](grpc::ClientContext* c, v1::ListBatchesResponse* r) {
            return s->ListBatches(c, req, r);
          },
          [](const v1::ListBatchesResponse& r) {
            for (const auto& b : r.batches()) {
              std::printf("%lld  %s  %s  shard %s  %s  %lld lines  %lld payouts",
                          static_cast<long long>(b.batch_id()), b.cycle().c_str(),
                          b.business_date().c_str(), b.shard().c_str(), b.status().c_str(),
                          static_cast<long long>(b.lines()), static_cast<long long>(b.payouts()));
              for (const auto& t : b.payout_totals()) std::printf("  %s", t.c_str());
              std::printf("\n");
            }
          });
    };
  });

  auto* lines = settlement->add_subcommand("lines", "the settlement lines of a business date");
  lines->add_option("--date", a->date, "business date YYYY-MM-DD")->required();
  lines->add_option("--merchant", a->merchant_id);
  lines->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      // Every page: a day's lines in one answer.
      v1::ListLinesResponse all;
      auto s = stub();
      for (int64_t after = 0;;) {
        v1::ListLinesRequest req;
        req.set_date(a->date);
        req.set_merchant_id(a->merchant_id);
        req.set_page_size(10000);
        req.set_after_line_id(after);
        v1::ListLinesResponse page;
        auto ctx = ctl.Context();
        grpc::Status st = s->ListLines(ctx.get(), req, &page);
        if (!st.ok()) return PrintError(st);
        for (const auto& l : page.lines()) *all.add_lines() = l;
        if (page.lines_size() < 10000) break;
        after = page.lines(page.lines_size() - 1).line_id();
      }
      return Print(ctl, all, [&] {
        for (const auto& l : all.lines()) PrintLine(l);
      });
    };
  });

  auto* statement =
      settlement->add_subcommand("statement", "a merchant's statement for a date (CSV)");
  statement->add_option("--merchant", a->merchant_id)->required();
  statement->add_option("--date", a->date)->required();
  statement->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::GetStatementRequest req;
      req.set_merchant_id(a->merchant_id);
      req.set_date(a->date);
      v1::Statement resp;
      auto ctx = ctl.Context();
      grpc::Status st = stub()->GetStatement(ctx.get(), req, &resp);
      if (!st.ok()) return PrintError(st);
      if (ctl.json()) {
        std::printf("%s\n", ToJson(resp).c_str());
      } else {
        std::fwrite(resp.csv().data(), 1, resp.csv().size(), stdout);
      }
      return 0;
    };
  });

  auto* release = settlement->add_subcommand(
      "release", "pay a merchant's held settlement once its freeze is lifted");
  release->add_option("--merchant", a->merchant_id)->required();
  release->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::ReleaseHeldRequest req;
      req.set_merchant_id(a->merchant_id);
      auto s = stub();
      return RunCall<v1::ReleaseHeldResponse>(
          ctl,
          [&](grpc::ClientContext* c, v1::ReleaseHeldResponse* r) {
            return s->ReleaseHeld(c, req, r);
          },
          [](const v1::ReleaseHeldResponse& r) {
            if (r.batch_id() == 0) {
              std::printf("nothing held\n");
              return;
            }
            std::printf("released in batch %lld:\n", static_cast<long long>(r.batch_id()));
            for (const auto& l : r.released()) PrintLine(l);
          });
    };
  });

  auto* calendar = settlement->add_subcommand("calendar", "business calendars");
  calendar->require_subcommand(1);
  auto* import = calendar->add_subcommand(
      "import", "replace a year's holidays and make-up working days from CSV");
  import->add_option("--calendar", a->calendar, "default CN");
  import->add_option("--file", a->file, "CSV: date,kind,name")->required();
  import->callback([&ctl, a, stub] {
    ctl.run = [&ctl, a, stub] {
      v1::ImportCalendarRequest req;
  req.set_calendar(a->calendar);
  if (auto st = ReadFileArg(a->file, req.mutable_csv()); !st.ok()) return PrintError(st);
  auto s = stub();
  return RunCall<v1::ImportCalendarResponse>(
      ctl,
      [&](grpc::ClientContext* c, v1::ImportCalendarResponse* r) {
        return s->ImportCalendar(c, req, r);
      },
      [](const v1::ImportCalendarResponse& r) {
        std::printf("calendar %s: %lld days imported\n", r.calendar().c_str(),
                    static_cast<long long>(r.days()));
      });
};
}  // namespace aggpay::ctl
);

auto* reconcile =
    app.add_subcommand("reconcile", "match a channel's daily bill against the platform's records");
reconcile->add_option("--channel", a->channel, "sandbox");
reconcile->add_option("--date", a->date, "the bill's date YYYY-MM-DD");
reconcile->add_option("--file", a->file, "the bill (WeChat downloadbill CSV)");
auto* list = reconcile->add_subcommand("list", "stored reconciliations");
list->callback([&ctl, a, stub] {
  ctl.run = [&ctl, a, stub] {
    v1::ListReconciliationsRequest req;
    req.set_channel(a->channel);
    req.set_date(a->date);
    auto s = stub();
    return RunCall<v1::ListReconciliationsResponse>(
        ctl,
        [&](grpc::ClientContext* c, v1::ListReconciliationsResponse* r) {
          return s->ListReconciliations(c, req, r);
        },
        [](const v1::ListReconciliationsResponse& r) {
          for (const auto& x : r.reconciliations()) PrintReconciliation(x);
        });
  };
});
reconcile->callback([&ctl, a, stub, reconcile, list] {
  if (list->parsed()) return;
  ctl.run = [&ctl, a, stub] {
    if (a->date.empty() || a->file.empty()) {
      return PrintError(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "--date and --file are required"));
    }
    v1::ReconcileRequest req;
    req.set_channel(a->channel);
    req.set_date(a->date);
    if (auto st = ReadFileArg(a->file, req.mutable_bill_csv()); !st.ok()) return PrintError(st);
    v1::Reconciliation resp;
    auto ctx = ctl.Context();
    grpc::Status st = stub()->Reconcile(ctx.get(), req, &resp);
    if (!st.ok()) return PrintError(st);
    Print(ctl, resp, [&] { PrintReconciliation(resp); });
    return resp.result() == "CLEAN" ? 0 : 3;
  };
});
}

}  // namespace aggpay::ctl
