#include "services/merchant/mysql_merchant_repository.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "services/common/mysql/select_by_keys.h"
#include "services/merchant/mysql_merchant_rows.h"

namespace aggpay::merchant {
namespace {

using common::FormatSqlTime;
using common::ParseSqlTime;

constexpr const char* kKeyColumns =
    "key_id, merchant_id, secret_sealed, status, created_at, revoked_at";

ApiKey ReadKey(sql::ResultSet& rs) {
  ApiKey k;
  k.key_id = rs.getString(1);
  k.merchant_id = rs.getString(2);
  k.secret_sealed = rs.getString(3);
  k.status = rs.getString(4) == "ACTIVE" ? ApiKeyStatus::kActive : ApiKeyStatus::kRevoked;
  k.created_at = ParseSqlTime(rs.getString(5));
  if (!rs.isNull(6)) k.revoked_at = ParseSqlTime(rs.getString(6));
  return k;
}

}  // namespace

MysqlMerchantRepository::MysqlMerchantRepository(common::MysqlPool& pool)
    : pool_(pool),
      merchants_([this](absl::Span<const std::string> ids) { return ReadMerchants(ids); }),
      keys_([this](absl::Span<const std::string> ids) { return ReadKeys(ids); }) {}

absl::StatusOr<std::optional<Merchant>> MysqlMerchantRepository::GetMerchant(
    const std::string& merchant_id) {
  return merchants_.Get(merchant_id);
}

absl::StatusOr<std::map<std::string, Merchant>> MysqlMerchantRepository::ReadMerchants(
    absl::Span<const std::string> ids) {
  return pool_.Run(
      "get merchant", [&](sql::Connection& c) -> absl::StatusOr<std::map<std::string, Merchant>> {
        // On every signed REST call and every payment: concurrent callers share it.
        static const std::string kHead = absl::StrCat("SELECT ", kMerchantProfileColumns,
                                                      " FROM merchants m WHERE m.merchant_id IN ");
        std::map<std::string, Merchant> out;
        common::SelectByKeys(c, kHead, ids, "", [&](sql::ResultSet& rs) {
          Merchant m = ReadMerchantRow(rs);
          std::string id = m.merchant_id;
          out.emplace(std::move(id), std::move(m));
        });
        return out;
      });
}

absl::Status MysqlMerchantRepository::CreateApiKey(const ApiKey& k) {
  return pool_.Run("create api key", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO merchant_api_keys (key_id, merchant_id, secret_sealed, status, created_at) "
        "VALUES (?, ?, ?, 'ACTIVE', ?)"));
    st->setString(1, k.key_id);
    st->setString(2, k.merchant_id);
    st->setString(3, k.secret_sealed);
    st->setString(4, FormatSqlTime(k.created_at));
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<ApiKey>> MysqlMerchantRepository::GetApiKey(
    const std::string& key_id) {
  return keys_.Get(key_id);
}

absl::StatusOr<std::map<std::string, ApiKey>> MysqlMerchantRepository::ReadKeys(
    absl::Span<const std::string> key_ids) {
  return pool_.Run(
      "get api key", [&](sql::Connection& c) -> absl::StatusOr<std::map<std::string, ApiKey>> {
        // On every signed REST call: concurrent callers share it.
        static const std::string kHead =
            absl::StrCat("SELECT ", kKeyColumns, " FROM merchant_api_keys WHERE key_id IN ");
        std::map<std::string, ApiKey> out;
        common::SelectByKeys(c, kHead, key_ids, "", [&](sql::ResultSet& rs) {
          ApiKey k = ReadKey(rs);
          std::string id = k.key_id;
          out.emplace(std::move(id), std::move(k));
        });
        return out;
      });
}

absl::StatusOr<std::vector<ApiKey>> MysqlMerchantRepository::ListApiKeys(
    const std::string& merchant_id) {
  return pool_.Run("list api keys", [&](sql::Connection& c) -> absl::StatusOr<std::vector<ApiKey>> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
        "SELECT ", kKeyColumns,
        " FROM merchant_api_keys WHERE merchant_id = ? ORDER BY created_at, key_id LIMIT 1000")));
    st->setString(1, merchant_id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<ApiKey> out;
    while (rs->next()) out.push_back(ReadKey(*rs));
    return out;
  });
}

absl::StatusOr<std::vector<ApiKey>> MysqlMerchantRepository::ListAgedApiKeys(
    absl::Time created_before, int limit) {
  return pool_.Run(
      "list aged api keys", [&](sql::Connection& c) -> absl::StatusOr<std::vector<ApiKey>> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            absl::StrCat("SELECT ", kKeyColumns,
                         " FROM merchant_api_keys WHERE status = 'ACTIVE' AND created_at < ? "
                         "ORDER BY created_at, key_id LIMIT ?")));
        st->setString(1, FormatSqlTime(created_before));
        st->setInt(2, limit);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<ApiKey> out;
        while (rs->next()) out.push_back(ReadKey(*rs));
        return out;
      });
}

absl::StatusOr<ApiKey> MysqlMerchantRepository::RevokeApiKey(const std::string& key_id,
                                                             absl::Time now) {
  return pool_.InTransaction("revoke api key", [&](sql::Connection& c) -> absl::StatusOr<ApiKey> {
    std::unique_ptr<sql::PreparedStatement> up(c.prepareStatement(
        "UPDATE merchant_api_keys SET status = 'REVOKED', revoked_at = COALESCE(revoked_at, ?) "
        "WHERE key_id = ?"));
    up->setString(1, FormatSqlTime(now));
    up->setString(2, key_id);
    if (up->executeUpdate() == 0) {
      return absl::NotFoundError(absl::StrCat("API key ", key_id, " not found"));
    }
    std::unique_ptr<sql::PreparedStatement> get(c.prepareStatement(
        absl::StrCat("SELECT ", kKeyColumns, " FROM merchant_api_keys WHERE key_id = ?")));
    get->setString(1, key_id);
    std::unique_ptr<sql::ResultSet> rs(get->executeQuery());
    rs->next();
    return ReadKey(*rs);
  });
}

Merchant ReadMerchantRow(sql::ResultSet& rs) {
  Merchant m;
  m.merchant_id = rs.getString(1);
  m.display_name = rs.getString(2);
  m.legal_name = rs.getString(3);
  m.kind = rs.getString(4);
  m.status = rs.getString(5);
  m.home_currency = rs.getString(6);
  m.time_zone = rs.getString(7);
  m.region = rs.getString(8);
  m.contact_phone = rs.getString(9);
  if (!rs.isNull(10)) m.agent_id = std::string(rs.getString(10));
  m.created_at = ParseSqlTime(rs.getString(11));
  return m;
}

}  // namespace aggpay::merchant
