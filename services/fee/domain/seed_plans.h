#pragma once

#include "services/fee/domain/fee_plan.h"

namespace aggpay::fee {

// The plans every new installation starts with (DOMAIN.md, "Two kinds of provider"), version 1,
// effective from 2026-01-01T00:00:00Z.

// "bank-standard": bank-affiliated provider. CNY, 0.38% on every channel capped at 20.00 CNY,
// T1 settlement, corporate account required, channel cost 0.20%.
FeePlan BankStandardPlan();

// "independent-standard": independent third party. CNY, 0.6% on every channel, no cap,
// D0 settlement, channel cost 0.20%.
FeePlan IndependentStandardPlan();

}  // namespace aggpay::fee
