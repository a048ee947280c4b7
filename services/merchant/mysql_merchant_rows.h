#pragma once

#include <cppconn/resultset.h>

#include "services/merchant/domain/merchant.h"

namespace aggpay::merchant {

// The profile columns of `merchants`, in the order ReadMerchantRow expects (prefix "m.").
inline constexpr const char* kMerchantProfileColumns =
    "m.merchant_id, m.display_name, m.legal_name, m.kind, m.status, m.home_currency, "
    "m.time_zone, m.region, m.contact_phone, m.agent_id, m.created_at";

Merchant ReadMerchantRow(sql::ResultSet& rs);

}  // namespace aggpay::merchant
