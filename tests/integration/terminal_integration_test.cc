// The terminal service's use cases on a real MariaDB with a fake clock: activation codes, the
// daily key rotation across local midnight, the overlap window, replays and force offline.
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/clock/clock.h"
#include "services/common/crypto/crypto.h"
#include "services/common/status/status_macros.h"
#include "services/terminal/mysql_terminal_repository.h"
#include "services/terminal/terminal_operations.h"
#include "tests/support/test_servers.h"

namespace aggpay::terminal {
namespace {

using testing::SharedServers;

// The merchant service is another process; here a table stands in for it.
class TableMerchantDirectory final : public MerchantDirectory {
 public:
  absl::StatusOr<MerchantInfo> GetMerchant(const std::string& merchant_id) override {
    auto it = merchants.find(merchant_id);
    if (it == merchants.end()) return absl::NotFoundError("merchant not found");
    return it->second;
  }
  absl::Status CheckStore(const std::string& merchant_id, const std::string& store_id) override {
    auto it = stores.find(store_id);
    if (it == stores.end() || it->second != merchant_id) {
      return absl::NotFoundError("store_id: no such store for this merchant");
    }
    return absl::OkStatus();
  }
  std::map<std::string, MerchantInfo> merchants;
  std::map<std::string, std::string> stores;  // store -> merchant
};

class TerminalIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = SharedServers().CreateDatabase("term");
    pool_ = *common::MysqlPool::Create(db_);
    repo_ = std::make_unique<MysqlTerminalRepository>(*pool_);
    directory_.merchants["m_1"] = MerchantInfo{"m_1", "ACTIVE", "Asia/Shanghai"};
    directory_.merchants["m_2"] = MerchantInfo{"m_2", "ACTIVE", "Asia/Shanghai"};
    directory_.stores["st_1"] = "m_1";
    directory_.stores["st_2"] = "m_2";
    // 2026-11-26 20:00 in Shanghai (12:00 UTC).
    clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 11, 26, 12, 0, 0), absl::UTCTimeZone()));
    ops_ = std::make_unique<TerminalOperations>(
        *repo_, directory_, nullptr, *common::SecretBox::FromHexKey(std::string(64, 'd')), clock_,
        TerminalOptions{});
  }

  // Registers and activates a terminal; returns its sn and key.
  std::pair<std::string, std::string> ActiveTerminal(const std::string& serial,
                                                     const std::string& device) {
    auto t = ops_->Register("m_1", "st_1", "POS", serial, "sunmi", "8.0.15");
    EXPECT_TRUE(t.ok()) << t.status();
    auto code = ops_->IssueActivationCode("m_1", "st_1", t->terminal_sn, 0, absl::ZeroDuration());
    EXPECT_TRUE(code.ok()) << code.status();
    auto activated = ops_->Activate(ActivateInput{code->code, device, "", "", "", ""});
    EXPECT_TRUE(activated.ok()) << activated.status();
    return {t->terminal_sn, activated->key.secret};
  }

  CheckInInput Signed(const std::string& sn, const std::string& key,
                      const std::string& version = "8.0.15") {
    CheckInInput in;
    in.terminal_sn = sn;
    in.client_version = version;
    in.timestamp = std::to_string(absl::ToUnixSeconds(clock_.Now()));
    in.nonce = common::RandomToken(12);
    in.signature =
        SignTerminalRequest(key, "CheckIn", sn, in.timestamp, in.nonce, common::Sha256Hex(version));
    return in;
  }

  common::FakeClock clock_;
  TableMerchantDirectory directory_;
  common::MysqlOptions db_;
  std::unique_ptr<common::MysqlPool> pool_;
  std::unique_ptr<MysqlTerminalRepository> repo_;
  std::unique_ptr<TerminalOperations> ops_;
};

TEST_F(TerminalIntegrationTest, KeysRotateDailyAcrossLocalMidnightWithAnOverlap) {
  auto [sn, key1] = ActiveTerminal("SN-A1", "device-aaaa-0001");
  // Issued 20:00 local: expires at the coming local midnight, 16:00 UTC.
  auto first = ops_->CheckIn(Signed(sn, key1));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->key.key.expires_at,
            absl::FromCivil(absl::CivilSecond(2026, 11, 26, 16, 0, 0), absl::UTCTimeZone()));
  const std::string key2 = first->key.secret;
  EXPECT_EQ(first->key.key.version, 2);

  // Past midnight: key 2 has expired, but it is the newest, so it may still check in (grace);
  // the new key expires at the next local midnight.
  clock_.Advance(absl::Hours(5));  // 01:00 local on the 27th
  auto second = ops_->CheckIn(Signed(sn, key2));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->key.key.version, 3);
  EXPECT_EQ(second->key.key.expires_at,
            absl::FromCivil(absl::CivilSecond(2026, 11, 27, 16, 0, 0), absl::UTCTimeZone()));

  // The superseded key 2 keeps working for the 10-minute overlap only.
  clock_.Advance(absl::Minutes(9));
  EXPECT_TRUE(ops_->CheckIn(Signed(sn, key2)).ok());
  clock_.Advance(absl::Minutes(11));
  auto late = ops_->CheckIn(Signed(sn, key2));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnauthenticated);
  // A key two versions old never works.
  EXPECT_EQ(ops_->CheckIn(Signed(sn, key1)).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(TerminalIntegrationTest, ForgedAndReplayedCheckInsAreRefused) {
  auto [sn, key] = ActiveTerminal("SN-B1", "device-bbbb-0001");
  CheckInInput forged = Signed(sn, common::RandomToken(32));
  EXPECT_EQ(ops_->CheckIn(forged).status().code(), absl::StatusCode::kUnauthenticated);
  CheckInInput good = Signed(sn, key);
  ASSERT_TRUE(ops_->CheckIn(good).ok());
  auto replay = ops_->CheckIn(good);
  EXPECT_EQ(replay.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(replay.status().message().find("timestamp is not later"), absl::string_view::npos)
      << replay.status();
  CheckInInput stale = Signed(sn, key);
  clock_.Advance(absl::Minutes(6));
  EXPECT_EQ(ops_->CheckIn(stale).status().code(), absl::StatusCode::kUnauthenticated);
  CheckInInput unknown = Signed("T0000000000000000", key);
  EXPECT_EQ(ops_->CheckIn(unknown).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(TerminalIntegrationTest, ActivationCodesExpireAreSingleUseAndBoundToTheirTerminal) {
  auto t = *ops_->Register("m_1", "st_1", "SMART_POS", "SN-C1", "sunmi", "8.0");
  auto code = *ops_->IssueActivationCode("m_1", "st_1", t.terminal_sn, 0, absl::ZeroDuration());
  // Expires after exactly 7 days.
  clock_.Advance(absl::Hours(24 * 7));
  auto expired = ops_->Activate(ActivateInput{code.code, "device-cccc-0001", "", "", "", ""});
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(expired.status().message().find("expired"), absl::string_view::npos);
  EXPECT_EQ(ops_->Get(t.terminal_sn)->status, TerminalStatus::kRegistered);

  auto fresh = *ops_->IssueActivationCode("m_1", "st_1", t.terminal_sn, 0, absl::ZeroDuration());
  auto wrong_device =
      ops_->Activate(ActivateInput{fresh.code, "device-cccc-0001", "", "SN-OTHER", "", ""});
  EXPECT_EQ(wrong_device.status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(ops_->Activate(ActivateInput{fresh.code, "device-cccc-0001", "", "", "", ""}).ok());
  auto reused = ops_->Activate(ActivateInput{fresh.code, "device-cccc-0002", "", "", "", ""});
  EXPECT_NE(reused.status().message().find("already used"), absl::string_view::npos);
  EXPECT_EQ(ops_->Activate(ActivateInput{"ZZZZZZZZZZZZ", "device-x-00000", "", "", "", ""})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // Another merchant's store cannot get codes for this terminal.
  EXPECT_EQ(ops_->IssueActivationCode("m_2", "st_2", t.terminal_sn, 0, absl::ZeroDuration())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(TerminalIntegrationTest, ADeviceActivatesAtMostOncePerMerchant) {
  auto [sn, key] = ActiveTerminal("SN-D1", "device-dddd-0001");
  auto code = *ops_->IssueActivationCode("m_1", "st_1", "", 5, absl::ZeroDuration());
  auto again = ops_->Activate(
      ActivateInput{code.code, "device-dddd-0001", "CLOUD_SPEAKER", "SN-D2", "xgd", "7.0"});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("device_id"), absl::string_view::npos);
  // A new device on a store code registers a new terminal.
  auto speaker = ops_->Activate(
      ActivateInput{code.code, "device-dddd-0002", "CLOUD_SPEAKER", "SN-D3", "xgd", "7.0"});
  ASSERT_TRUE(speaker.ok()) << speaker.status();
  EXPECT_EQ(speaker->terminal.status, TerminalStatus::kActive);
  EXPECT_EQ(speaker->parameters.capabilities, std::vector<Capability>{Capability::kStaticCode});
}

TEST_F(TerminalIntegrationTest, ForceOfflineEndsKeysAtOnceUntilClearedAndReactivated) {
  auto [sn1, key1] = ActiveTerminal("SN-E1", "device-eeee-0001");
  auto [sn2, key2] = ActiveTerminal("SN-E2", "device-eeee-0002");
  auto offline = ops_->ForceOffline("", "m_1");
  ASSERT_TRUE(offline.ok()) << offline.status();
  EXPECT_EQ(offline->size(), 2u);
  EXPECT_EQ(ops_->CheckIn(Signed(sn1, key1)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ops_->Get(sn2)->status, TerminalStatus::kOffline);
  // Twice is harmless.
  EXPECT_TRUE(ops_->ForceOffline("", "m_1").ok());
  ASSERT_TRUE(ops_->Clear(sn1).ok());
  // Cleared, the old key still does not work: only a new activation brings it back.
  EXPECT_FALSE(ops_->CheckIn(Signed(sn1, key1)).ok());
  auto code = *ops_->IssueActivationCode("m_1", "st_1", sn1, 0, absl::ZeroDuration());
  auto back = ops_->Activate(ActivateInput{code.code, "device-eeee-0001", "", "", "", ""});
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(ops_->CheckIn(Signed(sn1, back->key.secret)).ok());
}

TEST_F(TerminalIntegrationTest, AFrozenTerminalCannotCheckInUntilUnfrozen) {
  auto [sn, key] = ActiveTerminal("SN-J1", "device-jjjj-0001");
  ASSERT_EQ(ops_->Freeze(sn)->status, TerminalStatus::kFrozen);
  EXPECT_EQ(ops_->CheckIn(Signed(sn, key)).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ops_->Freeze(sn).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(ops_->Unfreeze(sn)->status, TerminalStatus::kActive);
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(ops_->CheckIn(Signed(sn, key)).ok()) << "unfreezing resumes with the same key";
}

TEST_F(TerminalIntegrationTest, RetiredTerminalsAreFinal) {
  auto [sn, key] = ActiveTerminal("SN-F1", "device-ffff-0001");
  ASSERT_TRUE(ops_->Retire(sn).ok());
  EXPECT_EQ(ops_->CheckIn(Signed(sn, key)).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ops_->Clear(sn).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ops_->SetChannelConfig(sn, "", "", "wechat", "1900000001", "").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// A check-in remembers which merchant a terminal belongs to (for the key's zone) and skips the
// unlocked read next time; the locked row still decides every check-in.
TEST_F(TerminalIntegrationTest, ARememberedTerminalIsStillCheckedAgainstItsRow) {
  auto [sn, key] = ActiveTerminal("SN-R1", "device-rrrr-0001");
  auto first = ops_->CheckIn(Signed(sn, key));
  ASSERT_TRUE(first.ok()) << first.status();
  std::string current = first->key.secret;
  // Frozen or retired after it was remembered: refused at once.
  ASSERT_EQ(ops_->Freeze(sn)->status, TerminalStatus::kFrozen);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ops_->CheckIn(Signed(sn, current)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(ops_->Unfreeze(sn)->status, TerminalStatus::kActive);
  clock_.Advance(absl::Seconds(1));
  auto again = ops_->CheckIn(Signed(sn, current));
  ASSERT_TRUE(again.ok()) << again.status();
  current = again->key.secret;
  // Should the row ever name another merchant, the remembered one is not trusted: the check-in
  // aborts, and the next one reads the row afresh and goes through.
  SharedServers().Sql(db_.database, absl::StrCat("UPDATE terminals SET merchant_id = 'm_2', "
                                                 "store_id = 'st_2' WHERE terminal_sn = '",
                                                 sn, "'"));
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ops_->CheckIn(Signed(sn, current)).status().code(), absl::StatusCode::kAborted);
  clock_.Advance(absl::Seconds(1));
  auto moved = ops_->CheckIn(Signed(sn, current));
  ASSERT_TRUE(moved.ok()) << moved.status();
  ASSERT_TRUE(ops_->Retire(sn).ok());
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ops_->CheckIn(Signed(sn, moved->key.secret)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(TerminalIntegrationTest, ChannelConfigOfTheTerminalOverridesTheStores) {
  auto [sn, key] = ActiveTerminal("SN-G1", "device-gggg-0001");
  ASSERT_TRUE(ops_->SetChannelConfig("", "st_1", "m_1", "wechat", "1900000001", "wx01").ok());
  ASSERT_TRUE(ops_->SetChannelConfig("", "st_1", "m_1", "alipay", "2088000000000001", "").ok());
  ASSERT_TRUE(ops_->SetChannelConfig(sn, "", "", "wechat", "1900000002", "wx02").ok());
  auto in = ops_->CheckIn(Signed(sn, key));
  ASSERT_TRUE(in.ok());
  ASSERT_EQ(in->parameters.channels.size(), 2u);
  for (const auto& c : in->parameters.channels) {
    if (c.channel == "wechat") {
      EXPECT_EQ(c.sub_mch_id, "1900000002");
      EXPECT_EQ(c.scope, "TERMINAL");
    } else {
      EXPECT_EQ(c.sub_mch_id, "2088000000000001");
      EXPECT_EQ(c.scope, "STORE");
    }
  }
  EXPECT_EQ(ops_->SetChannelConfig("", "st_2", "m_1", "wechat", "1900000003", "").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(TerminalIntegrationTest, SearchFiltersAndPages) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(ops_->Register("m_1", "st_1", i % 2 ? "QR_STAND" : "POS", absl::StrCat("SN-H", i),
                               "sunmi", i < 2 ? "7.0" : "8.0.15")
                    .ok());
  }
  TerminalFilter old_versions;
  old_versions.version_below = ClientVersion{8, 0, 0};
  EXPECT_EQ(ops_->List(old_versions)->size(), 2u);
  TerminalFilter stands;
  stands.type = TerminalType::kQrStand;
  EXPECT_EQ(ops_->List(stands)->size(), 2u);
  TerminalFilter idle;
  idle.checked_in_before = clock_.Now();
  EXPECT_EQ(ops_->List(idle)->size(), 5u);  // never checked in
  TerminalFilter page;
  page.limit = 2;
  std::set<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    auto rows = *ops_->List(page);
    for (const auto& t : rows) seen.insert(t.terminal_sn);
    if (rows.size() < 2) break;
    page.after_sn = rows.back().terminal_sn;
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(ops_->Register("m_1", "st_1", "POS", "SN-H0", "sunmi", "8.0").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ops_->Register("m_1", "st_2", "POS", "SN-H9", "sunmi", "8.0").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ops_->Register("m_1", "st_1", "FAX", "SN-H9", "sunmi", "8.0").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Stands in for a remote service in the same process: every call needs a connection from the
// one pool the terminal repository uses, as GetMerchant or TerminalCode do under
// --services=all. Called while the repository holds that pool's only connection, the probe
// times out and the call fails.
class SharedPoolProbe final : public MerchantDirectory, public CodeSource {
 public:
  SharedPoolProbe(MerchantDirectory& inner, common::MysqlPool& pool) : inner_(inner), pool_(pool) {}
  absl::StatusOr<MerchantInfo> GetMerchant(const std::string& merchant_id) override {
    RETURN_IF_ERROR(Probe());
    return inner_.GetMerchant(merchant_id);
  }
  absl::Status CheckStore(const std::string& merchant_id, const std::string& store_id) override {
    RETURN_IF_ERROR(Probe());
    return inner_.CheckStore(merchant_id, store_id);
  }
  absl::StatusOr<std::string> CurrentCodeUrl(const std::string&) override {
    RETURN_IF_ERROR(Probe());
    return std::string("https://qr.example/c/probe");
  }
  int calls = 0;

 private:
  absl::Status Probe() {
    ++calls;
    return pool_.Run("probe", [](sql::Connection& c) -> absl::Status {
      std::unique_ptr<sql::Statement> st(c.createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT 1"));
      return absl::OkStatus();
    });
  }
  MerchantDirectory& inner_;
  common::MysqlPool& pool_;
};

// Issue 10 part 2: with one connection for everything, every use case still completes: no call
// to the merchant directory or the code source happens while the repository holds it.
TEST_F(TerminalIntegrationTest, NoCallOutWhileHoldingTheOnlyConnection) {
  common::MysqlOptions one = db_;
  one.pool_size = 1;
  one.acquire_timeout = absl::Milliseconds(500);
  auto pool = *common::MysqlPool::Create(one);
  MysqlTerminalRepository repo(*pool);
  SharedPoolProbe probe(directory_, *pool);
  TerminalOperations ops(repo, probe, &probe, *common::SecretBox::FromHexKey(std::string(64, 'd')),
                         clock_, TerminalOptions{});
  auto t = ops.Register("m_1", "st_1", "POS", "SN-POOL1", "sunmi", "8.0.15");
  ASSERT_TRUE(t.ok()) << t.status();
  auto code = ops.IssueActivationCode("m_1", "st_1", t->terminal_sn, 0, absl::ZeroDuration());
  ASSERT_TRUE(code.ok()) << code.status();
  auto activated = ops.Activate(ActivateInput{code->code, "device-pool-0001", "", "", "", ""});
  ASSERT_TRUE(activated.ok()) << activated.status();
  EXPECT_EQ(activated->parameters.collection_code_url, "https://qr.example/c/probe");
  // A code for a new terminal of the store.
  auto open_code = ops.IssueActivationCode("m_1", "st_1", "", 2, absl::ZeroDuration());
  ASSERT_TRUE(open_code.ok()) << open_code.status();
  auto created = ops.Activate(
      ActivateInput{open_code->code, "device-pool-0002", "POS", "SN-POOL2", "sunmi", "8.0.15"});
  ASSERT_TRUE(created.ok()) << created.status();
  std::string key = activated->key.secret;
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(absl::Seconds(1));
    auto in = ops.CheckIn(Signed(t->terminal_sn, key));
    ASSERT_TRUE(in.ok()) << in.status();
    EXPECT_EQ(in->parameters.collection_code_url, "https://qr.example/c/probe");
    key = in->key.secret;
  }
  ASSERT_TRUE(ops.SetChannelConfig("", "st_1", "m_1", "wechat", "1900012345", "").status().ok());
  ASSERT_TRUE(ops.Freeze(t->terminal_sn).ok());
  ASSERT_TRUE(ops.Unfreeze(t->terminal_sn).ok());
  ASSERT_TRUE(ops.ForceOffline("", "m_1").ok());
  EXPECT_GE(probe.calls, 10);
}

// Issue 10 part 5: the table keeps the code's SHA-256, never the code; the same SHA-256 that
// migration 0007 computes in SQL for codes issued before it.
TEST_F(TerminalIntegrationTest, ActivationCodesAreStoredOnlyAsHashes) {
  auto code = ops_->IssueActivationCode("m_1", "st_1", "", 3, absl::ZeroDuration());
  ASSERT_TRUE(code.ok()) << code.status();
  auto stored = pool_->Run("read codes", [&](sql::Connection& c) -> absl::StatusOr<std::string> {
    std::unique_ptr<sql::Statement> st(c.createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(absl::StrCat(
        "SELECT code_hash, SHA2('", code->code, "', 256) FROM terminal_activation_codes")));
    if (!rs->next()) return absl::NotFoundError("no code row");
    EXPECT_EQ(std::string(rs->getString(1)), std::string(rs->getString(2)));
    return std::string(rs->getString(1));
  });
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, common::Sha256Hex(code->code));
  EXPECT_EQ(stored->find(code->code), std::string::npos);
  // Redeeming still works by the typed code.
  auto activated = ops_->Activate(
      ActivateInput{code->code, "device-hash-0001", "POS", "SN-HASH1", "sunmi", "8.0.15"});
  ASSERT_TRUE(activated.ok()) << activated.status();
}

// Issue 10 part 5: a merchant zone that does not load fails the key derivation loudly; the
// terminal is not activated with keys expiring at a guessed midnight.
TEST_F(TerminalIntegrationTest, UnloadableMerchantZoneIssuesNoKey) {
  auto t = ops_->Register("m_1", "st_1", "POS", "SN-ZONE1", "sunmi", "8.0.15");
  ASSERT_TRUE(t.ok());
  auto code = ops_->IssueActivationCode("m_1", "st_1", t->terminal_sn, 0, absl::ZeroDuration());
  ASSERT_TRUE(code.ok());
  directory_.merchants["m_1"].time_zone = "Mars/Olympus";
  auto activated = ops_->Activate(ActivateInput{code->code, "device-zone-0001", "", "", "", ""});
  EXPECT_EQ(activated.status().code(), absl::StatusCode::kInternal) << activated.status();
  EXPECT_EQ(ops_->Get(t->terminal_sn)->status, TerminalStatus::kRegistered);
  // With the zone repaired the same code still works: nothing was used up.
  directory_.merchants["m_1"].time_zone = "Asia/Shanghai";
  auto retried = ops_->Activate(ActivateInput{code->code, "device-zone-0001", "", "", "", ""});
  ASSERT_TRUE(retried.ok()) << retried.status();
  directory_.merchants["m_1"].time_zone = "Nowhere/Special";
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ops_->CheckIn(Signed(t->terminal_sn, retried->key.secret)).status().code(),
            absl::StatusCode::kInternal);
}

// The check-in's rows: the key it replaces is superseded at the check-in's time, the new key is
// not, older keys keep their own supersede time, and the row carries the new version. A refused
// check-in writes none of it.
TEST_F(TerminalIntegrationTest, ACheckInSupersedesExactlyTheKeyItReplaces) {
  auto [sn, key1] = ActiveTerminal("SN-R1", "device-rrrr-0001");
  const absl::Time first_at = clock_.Now();
  auto first = ops_->CheckIn(Signed(sn, key1));
  ASSERT_TRUE(first.ok()) << first.status();
  clock_.Advance(absl::Minutes(3));
  const absl::Time second_at = clock_.Now();
  auto second = ops_->CheckIn(Signed(sn, first->key.secret));
  ASSERT_TRUE(second.ok()) << second.status();
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(ops_->CheckIn(Signed(sn, common::RandomToken(32))).status().code(),
            absl::StatusCode::kUnauthenticated);

  auto rows = pool_->Run("read keys", [&](sql::Connection& c) -> absl::StatusOr<std::string> {
    std::unique_ptr<sql::Statement> st(c.createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(absl::StrCat(
        "SELECT version, COALESCE(superseded_at, '-') FROM terminal_keys WHERE terminal_sn = '", sn,
        "' ORDER BY version")));
    std::string out;
    while (rs->next()) absl::StrAppend(&out, rs->getInt64(1), "@", rs->getString(2).c_str(), " ");
    std::unique_ptr<sql::ResultSet> t(st->executeQuery(absl::StrCat(
        "SELECT key_version, last_check_in_at FROM terminals WHERE terminal_sn = '", sn, "'")));
    if (!t->next()) return absl::NotFoundError("no terminal row");
    absl::StrAppend(&out, "row v", t->getInt64(1), "@", t->getString(2).c_str());
    return out;
  });
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, absl::StrCat("1@", common::FormatSqlTime(first_at), " 2@",
                                common::FormatSqlTime(second_at), " 3@- row v3@",
                                common::FormatSqlTime(second_at)));
}

}  // namespace
}  // namespace aggpay::terminal
