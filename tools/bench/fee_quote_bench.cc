// Throughput of the fee quote: the unchecked FeeMinor hot path and the checked QuoteFee.
//   fee_quote_bench --benchmark_counters_tabular=true

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "services/common/money/money.h"
#include "services/fee/domain/fee_calculator.h"
#include "services/fee/domain/fee_plan.h"
#include "services/fee/domain/seed_plans.h"

namespace aggpay::fee {
namespace {

constexpr size_t kPayments = 1 << 16;

struct Payments {
  std::vector<int64_t> amounts;
  std::vector<Channel> channels;
};

// Log-uniform amounts from 0.01 to `max_minor` minor units, so small payments that round to zero,
// capped ones and everything between are all represented; random channels.
Payments MakePayments(int64_t max_minor) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(0.0, 1.0);
  Payments payments;
  payments.amounts.reserve(kPayments);
  payments.channels.reserve(kPayments);
  const double log_max = std::log(static_cast<double>(max_minor));
  for (size_t i = 0; i < kPayments; ++i) {
    const auto amount = static_cast<int64_t>(std::exp(exponent(rng) * log_max));
    payments.amounts.push_back(std::max<int64_t>(1, std::min(amount, max_minor)));
    payments.channels.push_back(kAllChannels[rng() % kChannelCount]);
  }
  return payments;
}

FeePlan PlanFor(const benchmark::State& state) {
  return state.range(0) == 0 ? BankStandardPlan() : IndependentStandardPlan();
}

void BM_FeeMinor(benchmark::State& state) {
  const FeePlan plan = PlanFor(state);
  const Payments payments = MakePayments(plan.max_amount_minor);
  for (auto _ : state) {
    for (size_t i = 0; i < kPayments; ++i) {
      int64_t fee = FeeMinor(plan, payments.channels[i], payments.amounts[i]);
      benchmark::DoNotOptimize(fee);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPayments));
  state.SetLabel(plan.id);
}
BENCHMARK(BM_FeeMinor)->Arg(0)->Arg(1);

// Amounts above 9.2 * 10^12 minor units take the split path of ApplyRatePpm.
void BM_FeeMinorLargestAmounts(benchmark::State& state) {
  FeePlan plan = IndependentStandardPlan();
  plan.max_amount_minor = kMaxAmountLimit;
  Payments payments = MakePayments(kMaxAmountLimit);
  for (int64_t& amount : payments.amounts) amount = kMaxAmountLimit - amount / 1000;
  for (auto _ : state) {
    for (size_t i = 0; i < kPayments; ++i) {
      int64_t fee = FeeMinor(plan, payments.channels[i], payments.amounts[i]);
      benchmark::DoNotOptimize(fee);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPayments));
}
BENCHMARK(BM_FeeMinorLargestAmounts);

void BM_QuoteFee(benchmark::State& state) {
  const FeePlan plan = PlanFor(state);
  const Payments payments = MakePayments(plan.max_amount_minor);
  std::vector<common::Money> amounts;
  amounts.reserve(kPayments);
  for (int64_t amount : payments.amounts) amounts.emplace_back(amount, plan.currency);
  for (auto _ : state) {
    for (size_t i = 0; i < kPayments; ++i) {
      auto quote = QuoteFee(plan, payments.channels[i], amounts[i]);
      benchmark::DoNotOptimize(quote);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPayments));
  state.SetLabel(plan.id);
}
BENCHMARK(BM_QuoteFee)->Arg(0)->Arg(1);

}  // namespace
}  // namespace aggpay::fee

BENCHMARK_MAIN();
