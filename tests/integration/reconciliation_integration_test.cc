// Reconciliation of a channel bill against the platform's payments and refunds of the day,
// with one planted difference of each kind, sub-fen fee differences, and the bills refused.

#include <gtest/gtest.h>

#include "services/payment/domain/bill.h"
#include "services/settlement/domain/reconciliation.h"
#include "tests/integration/settlement_fixture.h"

namespace aggpay::testing {
namespace {

using payment::BillLine;

// The bill a channel charging 0.20% would send for these rows.
std::vector<BillLine> BillOf(const gen::GenResult& g, absl::CivilDay day) {
  std::vector<BillLine> out;
  for (const auto& p : g.payment_rows) {
    BillLine l;
    l.at = p.paid_at;
    l.app_id = "wx0";
    l.mch_id = "1900000001";
    l.sub_mch_id = "sub";
    l.channel_txn_id = "st" + p.payment_id;
    l.out_trade_no = p.payment_id;
    l.payer = "payer";
    l.trade_type = "NATIVE";
    l.trade_state = "SUCCESS";
    l.currency = "CNY";
    l.amount_minor = p.amount_minor;
    l.product = "generated";
    l.fee_milli_minor = settlement::ExpectedFeeMilli(p.amount_minor, 2000);
    l.rate = "0.20%";
    out.push_back(l);
  }
  for (const auto& r : g.refund_rows) {
    if (absl::ToCivilDay(r.succeeded_at, Shanghai()) != day) continue;
    BillLine l = out.front();
    l.at = r.succeeded_at;
    l.out_trade_no = r.payment_id;
    l.trade_state = "REFUND";
    l.channel_refund_id = "sr" + r.refund_id;
    l.out_refund_no = r.refund_id;
    l.refund_minor = r.amount_minor;
    l.refund_state = "SUCCESS";
    l.fee_milli_minor = -settlement::ExpectedFeeMilli(r.amount_minor, 2000);
    out.push_back(l);
  }
  return out;
}

TEST(ReconciliationIntegration, PlantedDifferencesOfEachKindAndACleanDay) {
  SettlementDb db("recon");
  const absl::CivilDay day(2026, 4, 8);
  // Refunds land within 30 hours: the ones of the day itself are on its bill.
  gen::GenResult g = db.Gen(day, 400, 10, 0, 31);
  ASSERT_EQ(g.payments, 400);
  db.At(day + 1);

  // A clean day says so.
  std::vector<BillLine> clean = BillOf(g, day);
  auto ok = db.ops->Reconcile("sandbox", "2026-04-08", payment::FormatDownloadBill(clean));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(ok->result.clean());
  EXPECT_EQ(ok->result.matched, 400);
  EXPECT_EQ(ok->result.bill_rows, 400);
  EXPECT_TRUE(ok->result.items.empty());
  // The same bill again is a duplicate; nothing more is stored.
  auto dup = db.ops->Reconcile("sandbox", "2026-04-08", payment::FormatDownloadBill(clean));
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("duplicate bill"), std::string::npos);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM reconciliations"), 1);

  // The next day, with one difference of each kind planted.
  const absl::CivilDay next(2026, 4, 9);
  gen::GenResult h = db.Gen(next, 300, 10, 0, 32);
  std::vector<BillLine> bill = BillOf(h, next);
  const std::string dropped = bill[0].out_trade_no;  // missing on the channel's side
  bill.erase(bill.begin());
  BillLine stranger = bill[0];  // missing on ours
  stranger.out_trade_no = "G0000000000000000000STRANG";
  stranger.channel_txn_id = "stSTRANGER";
  bill.push_back(stranger);
  const std::string changed = bill[1].out_trade_no;  // amount differs
  bill[1].amount_minor += 1;
  bill[1].fee_milli_minor = settlement::ExpectedFeeMilli(bill[1].amount_minor, 2000);
  const std::string closed = bill[2].out_trade_no;  // status differs: ours is CLOSED
  ASSERT_TRUE(db.pool
                  ->Run("plant",
                        [&](sql::Connection& c) -> absl::Status {
                          std::unique_ptr<sql::Statement> st(c.createStatement());
                          st->execute("UPDATE payments SET status = 'CLOSED' WHERE payment_id = '" +
                                      closed + "'");
                          return absl::OkStatus();
                        })
                  .ok());
  const std::string overcharged = bill[3].out_trade_no;  // fee off by 1.5 fen
  bill[3].fee_milli_minor += 1500;
  // Sub-fen differences on single rows that cancel out on the day: not differences.
  bill[4].fee_milli_minor += 400;
  bill[5].fee_milli_minor -= 400;
  bill[6].fee_milli_minor += 300;
  bill[7].fee_milli_minor -= 300;
  auto r = db.ops->Reconcile("sandbox", "2026-04-09", payment::FormatDownloadBill(bill));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->result.clean());
  std::map<std::string, std::string> kinds;
  for (const auto& item : r->result.items) {
    kinds[item.ref_id] = std::string(settlement::ItemKindName(item.kind));
  }
  EXPECT_EQ(kinds.size(), 5u);
  EXPECT_EQ(kinds[dropped], "MISSING_CHANNEL");
  EXPECT_EQ(kinds[stranger.out_trade_no], "MISSING_OURS");
  EXPECT_EQ(kinds[changed], "AMOUNT_DIFFERS");
  EXPECT_EQ(kinds[closed], "STATUS_DIFFERS");
  EXPECT_EQ(kinds[overcharged], "FEE_DIFFERS");
  EXPECT_EQ(r->result.missing_ours, 1);
  EXPECT_EQ(r->result.missing_channel, 1);
  EXPECT_EQ(r->result.differs, 3);
  EXPECT_EQ(r->result.matched, 300 - 1 - 3);
  // The planted 1.5 fen and the amount change's 0.002 fen: the day's totals differ.
  EXPECT_FALSE(r->result.fee_totals_agree);
  // Stored and listed.
  auto listed = db.ops->ListReconciliations("sandbox", "2026-04-09");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().result.items.size(), 5u);
  EXPECT_EQ(listed->front().result.missing_ours, 1);
}

TEST(ReconciliationIntegration, SubFenRowDifferencesAreJudgedOnTheDayTotal) {
  SettlementDb db("recon_fen");
  const absl::CivilDay day(2026, 4, 10);
  gen::GenResult g = db.Gen(day, 50, 5, 0, 33);
  db.At(day + 1);
  std::vector<BillLine> bill = BillOf(g, day);
  // Every row 0.4 fen under: row by row below a fen, but 50 rows make 20 fen on the day.
  for (auto& l : bill) l.fee_milli_minor -= 400;
  auto r = db.ops->Reconcile("sandbox", "2026-04-10", payment::FormatDownloadBill(bill));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->result.items.empty());
  EXPECT_EQ(r->result.matched, 50);
  EXPECT_FALSE(r->result.fee_totals_agree);
  EXPECT_EQ(r->result.our_fee_milli - r->result.channel_fee_milli, 50 * 400);
  EXPECT_FALSE(r->result.clean());
}

TEST(ReconciliationIntegration, MalformedTruncatedOtherDateAndSecondBillsAreRefused) {
  SettlementDb db("recon_bad");
  const absl::CivilDay day(2026, 4, 13);
  gen::GenResult g = db.Gen(day, 20, 3, 0, 34);
  db.At(day + 1);
  const std::string csv = payment::FormatDownloadBill(BillOf(g, day));
  // Truncated: the summary is gone.
  const std::string truncated = csv.substr(0, csv.size() / 2);
  EXPECT_EQ(db.ops->Reconcile("sandbox", "2026-04-13", truncated).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(db.ops->Reconcile("sandbox", "2026-04-13", "not,a,bill\n").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(db.ops->Reconcile("sandbox", "2026-04-13", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  // The bill of the 13th is not the 14th's.
  auto other = db.ops->Reconcile("sandbox", "2026-04-14", csv);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(other.status().message().find("another date"), std::string::npos);
  EXPECT_EQ(db.ops->Reconcile("alipay-x", "2026-04-13", csv).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM reconciliations"), 0);
  ASSERT_TRUE(db.ops->Reconcile("sandbox", "2026-04-13", csv).ok());
  // A different file for a day already reconciled.
  std::vector<BillLine> changed = BillOf(g, day);
  changed.pop_back();
  EXPECT_EQ(db.ops->Reconcile("sandbox", "2026-04-13", payment::FormatDownloadBill(changed))
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM reconciliations"), 1);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM reconciliation_items"), 0);
}

}  // namespace
}  // namespace aggpay::testing
