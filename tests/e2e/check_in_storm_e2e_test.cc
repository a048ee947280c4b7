// Issue 10 part 2, a store's morning check-in storm: 64 terminals of one store check in at the
// same moment, three rounds, against one aggpayd with all services and a pool of 4 MySQL
// connections (the pool that deadlocked when check-in called the merchant service inside its
// transaction). Every check-in must succeed, each with a new key.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "aggpay/v1/terminal.grpc.pb.h"
#include "services/common/crypto/crypto.h"
#include "services/terminal/domain/terminal_key.h"
#include "tests/support/stack_fixture.h"
#include "tests/support/tls_support.h"

namespace aggpay::testing {
namespace {

constexpr int kTerminals = 64;
constexpr int kRounds = 3;
constexpr const char* kVersion = "8.0.15";

struct Device {
  std::string sn;
  std::string key;
  int64_t key_version = 0;
};

class CheckInStormTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new common::MysqlOptions(SharedServers().CreateDatabase("storm"));
    aggpayd_ = new AggpaydProcess(SharedServers(), *db_,
                                  AggpaydOptions{.mysql_pool_size = 4,
                                                 .extra_config = "",
                                                 .payment_config = AggpaydOptions().payment_config,
                                                 .audit_config = AggpaydOptions().audit_config,
                                                 .settlement_config = "",
                                                 .tls_config = ""});
    token_ = new std::string(aggpayd_->BootstrapAdmin());
  }
  static void TearDownTestSuite() {
    delete aggpayd_;
    delete db_;
    delete token_;
  }
  static CommandResult Ctl(const std::string& args) { return aggpayd_->Ctl(*token_, args); }

  static common::MysqlOptions* db_;
  static AggpaydProcess* aggpayd_;
  static std::string* token_;
};

common::MysqlOptions* CheckInStormTest::db_ = nullptr;
AggpaydProcess* CheckInStormTest::aggpayd_ = nullptr;
std::string* CheckInStormTest::token_ = nullptr;

TEST_F(CheckInStormTest, SixtyFourTerminalsCheckInTogetherThreeRounds) {
  // A merchant, a store and one code that activates the store's 64 new terminals.
  const std::string path = absl::StrCat(SharedServers().dir(), "/storm.json");
  {
    CommandResult copy =
        RunCommand(absl::StrCat("sed s/APPLY_20261126_0001/STORM_0001/ ", SourceDir(),
                                "/docs/examples/application.json > ", path));
    ASSERT_EQ(copy.exit_code, 0);
  }
  const std::string merchant =
      JsonString(Ctl("merchant apply -o json --file " + path).out, "merchant_id");
  ASSERT_FALSE(merchant.empty());
  ASSERT_EQ(Ctl("merchant submit " + merchant).exit_code, 0);
  ASSERT_EQ(Ctl("merchant review " + merchant).exit_code, 0);
  ASSERT_EQ(JsonString(Ctl("merchant approve " + merchant + " -o json").out, "status"), "ACTIVE");
  const std::string store = JsonString(
      Ctl("merchant store create " + merchant + " --name Front --address 'No. 1' -o json").out,
      "store_id");
  ASSERT_FALSE(store.empty());
  CommandResult code = Ctl(absl::StrCat("terminal code --merchant ", merchant, " --store ", store,
                                        " --max-uses ", kTerminals, " -o json"));
  ASSERT_EQ(code.exit_code, 0) << code.out;
  const std::string activation_code = JsonString(code.out, "code");

  auto channel = TestChannel(aggpayd_->grpc_addr());
  std::vector<Device> devices(kTerminals);
  std::atomic<int> failures{0};
  std::vector<std::string> errors(kTerminals);
  // The activations come all at once too.
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kTerminals; ++i) {
      threads.emplace_back([&, i] {
        auto stub = v1::TerminalService::NewStub(channel);
        v1::ActivateRequest req;
        req.set_activation_code(activation_code);
        req.set_device_id(absl::StrCat("storm-device-", 1000 + i));
        req.set_type("POS");
        req.set_serial(absl::StrCat("STORM-", 1000 + i));
        req.set_vendor("sunmi");
        req.set_client_version(kVersion);
        v1::ActivateResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
        grpc::Status s = stub->Activate(&ctx, req, &resp);
        if (!s.ok()) {
          ++failures;
          errors[i] = s.error_message();
          return;
        }
        devices[i] = Device{resp.terminal_sn(), resp.terminal_key(), resp.key_version()};
      });
    }
    for (auto& t : threads) t.join();
  }
  ASSERT_EQ(failures.load(), 0) << errors[0];

  for (int round = 0; round < kRounds; ++round) {
    // Each round signs a later second than the last: check-ins of a terminal are ordered.
    const std::string timestamp = std::to_string(absl::ToUnixSeconds(absl::Now()) + round);
    std::vector<std::thread> threads;
    const absl::Time start = absl::Now();
    for (int i = 0; i < kTerminals; ++i) {
      threads.emplace_back([&, i] {
        Device& d = devices[i];
        auto stub = v1::TerminalService::NewStub(channel);
        v1::CheckInRequest req;
        req.set_terminal_sn(d.sn);
        req.set_client_version(kVersion);
        req.set_timestamp(timestamp);
        req.set_nonce(common::RandomToken(12));
        req.set_signature(terminal::SignTerminalRequest(d.key, "CheckIn", d.sn, timestamp,
                                                        req.nonce(), common::Sha256Hex(kVersion)));
        v1::CheckInResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
        grpc::Status s = stub->CheckIn(&ctx, req, &resp);
        if (!s.ok() || resp.key_version() != d.key_version + 1 || resp.terminal_key() == d.key) {
          ++failures;
          errors[i] = absl::StrCat(s.error_code(), " ", s.error_message());
          return;
        }
        d.key = resp.terminal_key();
        d.key_version = resp.key_version();
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(failures.load(), 0) << "round " << round << ": " << [&] {
      for (const auto& e : errors)
        if (!e.empty()) return e;
      return std::string();
    }();
    // A storm is over in well under the 5 s a check-in used to wait for a connection.
    EXPECT_LT(absl::Now() - start, absl::Seconds(10)) << "round " << round;
  }
  for (const Device& d : devices) EXPECT_EQ(d.key_version, 1 + kRounds) << d.sn;
}

}  // namespace
}  // namespace aggpay::testing
