// aggpayd's gRPC defaults repeat the server's own constants (config.h says why it cannot name
// them); this keeps the two equal.
#include <gtest/gtest.h>

#include "services/aggpayd/config.h"
#include "services/common/grpc/server.h"

namespace aggpay::aggpayd {
namespace {

TEST(ConfigDefaultsTest, GrpcDefaultsAreTheServersOwn) {
  const Config c;
  EXPECT_EQ(c.grpc_sync_max_pollers, common::kDefaultSyncMaxPollers);
  EXPECT_EQ(c.grpc_max_receive_message_bytes, common::kDefaultMaxReceiveMessageBytes);
}

}  // namespace
}  // namespace aggpay::aggpayd
