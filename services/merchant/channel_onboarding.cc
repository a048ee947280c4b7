#include "services/merchant/channel_onboarding.h"

#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"

namespace aggpay::merchant {

absl::StatusOr<std::string> SandboxChannelOnboarding::RequestSubMerchantId(
    const std::string& channel, const std::string& merchant_id, const std::string& legal_name) {
  // 10 decimal digits like WeChat's sub_mch_id; 16 like Alipay's smid (2088...).
  const std::string digest = common::Sha256Hex(absl::StrCat(channel, ":", merchant_id));
  std::string digits;
  for (char c : digest) digits.push_back(static_cast<char>('0' + (c % 10)));
  if (channel == "wechat") return absl::StrCat("16", digits.substr(0, 8));
  if (channel == "alipay") return absl::StrCat("2088", digits.substr(0, 12));
  if (channel == "unionpay") return absl::StrCat("898", digits.substr(0, 12));
  return absl::InvalidArgumentError(absl::StrCat("channel: unknown channel ", channel));
}

}  // namespace aggpay::merchant
