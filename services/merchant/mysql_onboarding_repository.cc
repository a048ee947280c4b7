#include "services/merchant/mysql_onboarding_repository.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <memory>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"
#include "services/merchant/mysql_merchant_rows.h"

namespace aggpay::merchant {
namespace {

using common::FormatSqlTime;
using common::ParseSqlTime;

constexpr const char* kRecordColumns =
    "merchant_id, status, business_code, kind, display_name, legal_name, licence_number, "
    "legal_rep_name, contact_phone, home_currency, time_zone, region, agent_id, plan_kind, "
    "account_kind, account_bank, account_name, account_number_sealed, account_last4, "
    "reject_reason, created_at";

std::string Str(sql::ResultSet& rs, int i) {
  return rs.isNull(i) ? "" : std::string(rs.getString(i));
}

absl::StatusOr<OnboardingRecord> ReadRecord(sql::ResultSet& rs) {
  OnboardingRecord r;
  r.merchant_id = Str(rs, 1);
  auto status = ParseMerchantStatus(Str(rs, 2));
  auto kind = ParseMerchantKind(Str(rs, 4));
  auto currency = common::Currency::Find(Str(rs, 10));
  auto plan = ParsePlanKind(Str(rs, 14));
  if (!status.ok() || !kind.ok() || !currency.ok() || !plan.ok()) {
    return absl::InternalError(absl::StrCat("merchant ", r.merchant_id, " has an unreadable row"));
  }
  r.status = *status;
  Application& a = r.application;
  a.business_code = Str(rs, 3);
  a.kind = *kind;
  a.display_name = Str(rs, 5);
  a.legal_name = Str(rs, 6);
  a.business_licence_number = Str(rs, 7);
  a.legal_representative = Str(rs, 8);
  a.contact_phone = Str(rs, 9);
  a.home_currency = *currency;
  a.time_zone = Str(rs, 11);
  a.region = Str(rs, 12);
  if (!rs.isNull(13)) a.agent_id = Str(rs, 13);
  a.plan_kind = *plan;
  if (!rs.isNull(15)) {
    a.settlement_account.kind =
        ParseSettlementAccountKind(Str(rs, 15)).value_or(SettlementAccountKind::kCorporate);
  }
  a.settlement_account.bank_name = Str(rs, 16);
  a.settlement_account.account_name = Str(rs, 17);
  r.account_number_sealed = Str(rs, 18);
  r.account_last4 = Str(rs, 19);
  a.settlement_account.account_number = r.account_last4.empty() ? "" : "****" + r.account_last4;
  r.reject_reason = Str(rs, 20);
  r.created_at = ParseSqlTime(rs.getString(21));
  return r;
}

// Loads a record with its documents, reviews and sub-merchant ids; `lock` takes the row lock.
absl::StatusOr<std::optional<OnboardingRecord>> Load(sql::Connection& c, const char* where,
                                                     const std::string& key, bool lock) {
  std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
      "SELECT ", kRecordColumns, " FROM merchants WHERE ", where, lock ? " FOR UPDATE" : "")));
  st->setString(1, key);
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
  if (!rs->next()) return std::optional<OnboardingRecord>();
  auto record = ReadRecord(*rs);
  if (!record.ok()) return record.status();
  OnboardingRecord& r = *record;

  std::unique_ptr<sql::PreparedStatement> docs(c.prepareStatement(
      "SELECT kind, sha256, size_bytes FROM merchant_documents WHERE merchant_id = ? "
      "ORDER BY kind"));
  docs->setString(1, r.merchant_id);
  std::unique_ptr<sql::ResultSet> drs(docs->executeQuery());
  while (drs->next()) {
    auto kind = ParseDocumentKind(std::string(drs->getString(1)));
    if (!kind.ok()) continue;
    r.application.documents.push_back(Document{*kind, drs->getString(2), drs->getInt64(3)});
  }
  std::unique_ptr<sql::PreparedStatement> reviews(c.prepareStatement(
      "SELECT action, from_status, to_status, actor, reason, at FROM merchant_reviews "
      "WHERE merchant_id = ? ORDER BY review_id"));
  reviews->setString(1, r.merchant_id);
  std::unique_ptr<sql::ResultSet> rrs(reviews->executeQuery());
  while (rrs->next()) {
    ReviewEntry e;
    for (OnboardingAction a : kAllOnboardingActions) {
      if (OnboardingActionName(a) == absl::string_view(std::string(rrs->getString(1))))
        e.action = a;
    }
    e.from = ParseMerchantStatus(std::string(rrs->getString(2))).value_or(MerchantStatus::kDraft);
    e.to = ParseMerchantStatus(std::string(rrs->getString(3))).value_or(MerchantStatus::kDraft);
    e.actor = rrs->getString(4);
    e.reason = rrs->getString(5);
    e.at = ParseSqlTime(rrs->getString(6));
    r.reviews.push_back(std::move(e));
  }
  std::unique_ptr<sql::PreparedStatement> subs(c.prepareStatement(
      "SELECT channel, sub_merchant_id, source FROM channel_sub_merchants WHERE merchant_id = ? "
      "ORDER BY channel"));
  subs->setString(1, r.merchant_id);
  std::unique_ptr<sql::ResultSet> srs(subs->executeQuery());
  while (srs->next()) {
    r.sub_merchants.push_back(
        SubMerchantId{srs->getString(1), srs->getString(2), srs->getString(3)});
  }
  return std::optional<OnboardingRecord>(std::move(r));
}

void Save(sql::Connection& c, const OnboardingRecord& r, bool insert, absl::Time now) {
  const Application& a = r.application;
  std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
      insert ? "INSERT INTO merchants (status, business_code, kind, display_name, legal_name, "
               "licence_number, legal_rep_name, contact_phone, home_currency, time_zone, region, "
               "agent_id, plan_kind, account_kind, account_bank, account_name, "
               "account_number_sealed, account_last4, reject_reason, updated_at, created_at, "
               "merchant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
               "?, ?)"
             : "UPDATE merchants SET status = ?, business_code = ?, kind = ?, display_name = ?, "
               "legal_name = ?, licence_number = ?, legal_rep_name = ?, contact_phone = ?, "
               "home_currency = ?, time_zone = ?, region = ?, agent_id = ?, plan_kind = ?, "
               "account_kind = ?, account_bank = ?, account_name = ?, account_number_sealed = ?, "
               "account_last4 = ?, reject_reason = ?, updated_at = ? WHERE merchant_id = ?"));
  int i = 1;
  st->setString(i++, std::string(MerchantStatusName(r.status)));
  st->setString(i++, a.business_code);
  st->setString(i++, std::string(MerchantKindName(a.kind)));
  st->setString(i++, a.display_name);
  st->setString(i++, a.legal_name);
  if (a.business_licence_number.empty()) {
    st->setNull(i++, 0);
  } else {
    st->setString(i++, a.business_licence_number);
  }
  st->setString(i++, a.legal_representative);
  st->setString(i++, a.contact_phone);
  st->setString(i++, std::string(a.home_currency.code()));
  st->setString(i++, a.time_zone);
  st->setString(i++, a.region);
  if (a.agent_id) {
    st->setString(i++, *a.agent_id);
  } else {
    st->setNull(i++, 0);
  }
  st->setString(i++, std::string(PlanKindName(a.plan_kind)));
  st->setString(i++, std::string(SettlementAccountKindName(a.settlement_account.kind)));
  st->setString(i++, a.settlement_account.bank_name);
  st->setString(i++, a.settlement_account.account_name);
  st->setString(i++, r.account_number_sealed);
  st->setString(i++, r.account_last4);
  st->setString(i++, r.reject_reason);
  st->setString(i++, FormatSqlTime(now));
  if (insert) st->setString(i++, FormatSqlTime(r.created_at));
  st->setString(i, r.merchant_id);
  st->execute();

  // Documents are replaced as a set: the application names all of them.
  std::unique_ptr<sql::PreparedStatement> del(
      c.prepareStatement("DELETE FROM merchant_documents WHERE merchant_id = ?"));
  del->setString(1, r.merchant_id);
  del->execute();
  if (!a.documents.empty()) {
    std::string sql =
        "INSERT INTO merchant_documents (merchant_id, kind, sha256, size_bytes, uploaded_at) "
        "VALUES ";
    for (size_t k = 0; k < a.documents.size(); ++k)
      sql += k == 0 ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)";
    sql += " ON DUPLICATE KEY UPDATE sha256 = VALUES(sha256), size_bytes = VALUES(size_bytes)";
    std::unique_ptr<sql::PreparedStatement> ins(c.prepareStatement(sql));
    int j = 1;
    for (const Document& d : a.documents) {
      ins->setString(j++, r.merchant_id);
      ins->setString(j++, std::string(DocumentKindName(d.kind)));
      ins->setString(j++, d.sha256);
      ins->setInt64(j++, d.size_bytes);
      ins->setString(j++, FormatSqlTime(now));
    }
    ins->execute();
  }
}

void AppendReview(sql::Connection& c, const std::string& merchant_id, const ReviewEntry& e) {
  std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
      "INSERT INTO merchant_reviews (merchant_id, action, from_status, to_status, actor, reason, "
      "at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  st->setString(1, merchant_id);
  st->setString(2, std::string(OnboardingActionName(e.action)));
  st->setString(3, std::string(MerchantStatusName(e.from)));
  st->setString(4, std::string(MerchantStatusName(e.to)));
  st->setString(5, e.actor);
  st->setString(6, e.reason.substr(0, 512));
  st->setString(7, FormatSqlTime(e.at));
  st->execute();
}

}  // namespace

absl::StatusOr<OnboardingRecord> MysqlOnboardingRepository::CreateOrReplace(
    const std::string& business_code, const std::string& new_merchant_id,
    const CreateMutation& mutation) {
  // The mutation's own refusal (ALREADY_EXISTS for an approved business code) goes back as
  // it is; only a duplicate key from the insert itself is a race that a retry resolves.
  absl::Status refused;
  bool inserted = false;
  auto saved = pool_.InTransaction(
      "create application", [&](sql::Connection& c) -> absl::StatusOr<std::string> {
        auto existing = Load(c, "business_code = ?", business_code, /*lock=*/true);
        if (!existing.ok()) return existing.status();
        OnboardingRecord record;
        std::optional<MerchantStatus> existing_status;
        if (existing->has_value()) {
          record = **existing;
          existing_status = record.status;
        } else {
          record.merchant_id = new_merchant_id;
        }
        auto review = mutation(existing_status, record);
        if (!review.ok()) {
          refused = review.status();
          return refused;
        }
        inserted = !existing_status.has_value();
        Save(c, record, inserted, review->at);
        AppendReview(c, record.merchant_id, *review);
        return record.merchant_id;
      });
  if (!saved.ok()) {
    if (!refused.ok()) return refused;
    if (inserted && absl::IsAlreadyExists(saved.status())) {
      return absl::AbortedError("a concurrent application took this business code; retry");
    }
    return saved.status();
  }
  auto loaded = Get(*saved);
  if (!loaded.ok()) return loaded.status();
  return **loaded;
}

absl::StatusOr<OnboardingRecord> MysqlOnboardingRepository::Update(const std::string& merchant_id,
                                                                   const Mutation& mutation) {
  auto saved = pool_.InTransaction("update merchant", [&](sql::Connection& c) -> absl::Status {
    auto existing = Load(c, "merchant_id = ?", merchant_id, /*lock=*/true);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) return absl::NotFoundError("merchant not found");
    OnboardingRecord record = **existing;
    auto review = mutation(record);
    if (!review.ok()) return review.status();
    Save(c, record, /*insert=*/false, review->at);
    AppendReview(c, record.merchant_id, *review);
    if (record.status == MerchantStatus::kClosed) {
      // A closed merchant's API keys die with it, in the same transaction.
      std::unique_ptr<sql::PreparedStatement> keys(
          c.prepareStatement("UPDATE merchant_api_keys SET status = 'REVOKED', revoked_at = ? "
                             "WHERE merchant_id = ? AND revoked_at IS NULL"));
      keys->setString(1, common::FormatSqlTime(review->at));
      keys->setString(2, record.merchant_id);
      keys->execute();
    }
    return absl::OkStatus();
  });
  if (!saved.ok()) {
    if (absl::IsAlreadyExists(saved)) {
      return common::FailedPreconditionField("business_code",
                                             "another application already uses this business code");
    }
    return saved;
  }
  auto loaded = Get(merchant_id);
  if (!loaded.ok()) return loaded.status();
  return **loaded;
}

absl::StatusOr<std::optional<OnboardingRecord>> MysqlOnboardingRepository::Get(
    const std::string& merchant_id) {
  return pool_.Run("get application",
                   [&](sql::Connection& c) -> absl::StatusOr<std::optional<OnboardingRecord>> {
                     return Load(c, "merchant_id = ?", merchant_id, /*lock=*/false);
                   });
}

namespace {

std::optional<StepUpCode> ReadStepUp(sql::Connection& c, const std::string& merchant_id,
                                     const std::string& purpose, bool lock) {
  std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
      "SELECT otp_hash, attempts_left, expires_at, created_at FROM merchant_step_up_codes WHERE "
      "merchant_id = ? AND purpose = ?",
      lock ? " FOR UPDATE" : "")));
  st->setString(1, merchant_id);
  st->setString(2, purpose);
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
  if (!rs->next()) return std::nullopt;
  return StepUpCode{merchant_id,
                    purpose,
                    std::string(rs->getString(1)),
                    rs->getInt(2),
                    ParseSqlTime(rs->getString(3)),
                    ParseSqlTime(rs->getString(4))};
}

}  // namespace

absl::StatusOr<std::optional<StepUpCode>> MysqlOnboardingRepository::GetStepUp(
    const std::string& merchant_id, const std::string& purpose) {
  return pool_.Run("get step-up code",
                   [&](sql::Connection& c) -> absl::StatusOr<std::optional<StepUpCode>> {
                     return ReadStepUp(c, merchant_id, purpose, /*lock=*/false);
                   });
}

absl::Status MysqlOnboardingRepository::SaveStepUp(const StepUpCode& code) {
  return pool_.Run("save step-up code", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "REPLACE INTO merchant_step_up_codes (merchant_id, purpose, otp_hash, attempts_left, "
        "expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)"));
    st->setString(1, code.merchant_id);
    st->setString(2, code.purpose);
    st->setString(3, code.otp_hash);
    st->setInt(4, code.attempts_left);
    st->setString(5, FormatSqlTime(code.expires_at));
    st->setString(6, FormatSqlTime(code.created_at));
    st->execute();
    return absl::OkStatus();
  });
}

absl::Status MysqlOnboardingRepository::UseStepUp(const std::string& merchant_id,
                                                  const std::string& purpose,
                                                  const StepUpCheck& decide) {
  // The decision's answer is kept apart from the transaction's: a refused password still
  // commits its spent attempt.
  absl::Status answer;
  absl::Status s = pool_.InTransaction("use step-up code", [&](sql::Connection& c) -> absl::Status {
    const std::optional<StepUpCode> code = ReadStepUp(c, merchant_id, purpose, /*lock=*/true);
    StepUpDecision d = decide(code);
    answer = d.answer;
    if (!code) return absl::OkStatus();
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        d.remove ? "DELETE FROM merchant_step_up_codes WHERE merchant_id = ? AND purpose = ?"
                 : "UPDATE merchant_step_up_codes SET attempts_left = ? WHERE merchant_id = ? AND "
                   "purpose = ?"));
    int i = 1;
    if (!d.remove) st->setInt(i++, d.attempts_left);
    st->setString(i++, merchant_id);
    st->setString(i++, purpose);
    st->execute();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return answer;
}

absl::StatusOr<std::vector<OnboardingRecord>> MysqlOnboardingRepository::GetMany(
    const std::vector<std::string>& merchant_ids) {
  if (merchant_ids.empty()) return std::vector<OnboardingRecord>();
  return pool_.Run(
      "get applications", [&](sql::Connection& c) -> absl::StatusOr<std::vector<OnboardingRecord>> {
        std::string marks;
        for (size_t i = 0; i < merchant_ids.size(); ++i) marks += i == 0 ? "?" : ", ?";
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
            "SELECT ", kRecordColumns, " FROM merchants WHERE merchant_id IN (", marks, ")")));
        for (size_t i = 0; i < merchant_ids.size(); ++i) {
          st->setString(static_cast<int>(i + 1), merchant_ids[i]);
        }
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<OnboardingRecord> out;
        while (rs->next()) {
          auto record = ReadRecord(*rs);
          if (!record.ok()) return record.status();
          out.push_back(*std::move(record));
        }
        return out;
      });
}

absl::StatusOr<std::vector<Merchant>> MysqlOnboardingRepository::List(const MerchantFilter& f) {
  return pool_.Run(
      "list merchants", [&](sql::Connection& c) -> absl::StatusOr<std::vector<Merchant>> {
        std::string sql = absl::StrCat("SELECT ", kMerchantProfileColumns, " FROM merchants m");
        if (!f.store_id.empty()) sql += " JOIN stores s ON s.merchant_id = m.merchant_id";
        sql += " WHERE 1 = 1";
        if (f.status) sql += " AND m.status = ?";
        if (!f.agent_id.empty()) sql += " AND m.agent_id = ?";
        if (!f.store_id.empty()) sql += " AND s.store_id = ?";
        if (f.created_from) sql += " AND m.created_at >= ?";
        if (f.created_to) sql += " AND m.created_at < ?";
        if (f.before) sql += " AND (m.created_at, m.merchant_id) < (?, ?)";
        sql += " ORDER BY m.created_at DESC, m.merchant_id DESC LIMIT ?";
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
        int i = 1;
        if (f.status) st->setString(i++, std::string(MerchantStatusName(*f.status)));
        if (!f.agent_id.empty()) st->setString(i++, f.agent_id);
        if (!f.store_id.empty()) st->setString(i++, f.store_id);
        if (f.created_from) st->setString(i++, FormatSqlTime(*f.created_from));
        if (f.created_to) st->setString(i++, FormatSqlTime(*f.created_to));
        if (f.before) {
          st->setString(i++, FormatSqlTime(f.before->first));
          st->setString(i++, f.before->second);
        }
        st->setInt(i, f.limit);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<Merchant> out;
        while (rs->next()) {
          out.push_back(ReadMerchantRow(*rs));
        }
        return out;
      });
}

absl::Status MysqlOnboardingRepository::SaveSubMerchantIds(const std::string& merchant_id,
                                                           const std::vector<SubMerchantId>& ids,
                                                           absl::Time now) {
  if (ids.empty()) return absl::OkStatus();
  // No INSERT IGNORE: it would also swallow a sub-merchant id that belongs to another
  // merchant (uk_channel_sub_merchants) and leave this one without it. A channel already
  // stored for this merchant keeps its id; any other duplicate is refused naming the channel.
  std::string taken_channel;
  absl::Status s =
      pool_.InTransaction("save sub-merchant ids", [&](sql::Connection& c) -> absl::Status {
        std::unique_ptr<sql::PreparedStatement> mine(c.prepareStatement(
            "SELECT channel FROM channel_sub_merchants WHERE merchant_id = ? FOR UPDATE"));
        mine->setString(1, merchant_id);
        std::unique_ptr<sql::ResultSet> rs(mine->executeQuery());
        std::vector<std::string> stored;
        while (rs->next()) stored.emplace_back(rs->getString(1));
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            "INSERT INTO channel_sub_merchants (merchant_id, channel, sub_merchant_id, source, "
            "created_at) VALUES (?, ?, ?, ?, ?)"));
        for (const auto& id : ids) {
          if (std::find(stored.begin(), stored.end(), id.channel) != stored.end()) continue;
          st->setString(1, merchant_id);
          st->setString(2, id.channel);
          st->setString(3, id.sub_merchant_id);
          st->setString(4, id.source);
          st->setString(5, FormatSqlTime(now));
          taken_channel = id.channel;
          st->execute();
        }
        return absl::OkStatus();
      });
  if (absl::IsAlreadyExists(s)) {
    const std::string field = absl::StrCat("sub_merchant_ids.", taken_channel);
    absl::Status taken = absl::AlreadyExistsError(
        absl::StrCat(field, ": that sub-merchant id already belongs to another merchant"));
    taken.SetPayload(common::kFieldPayloadKey, absl::Cord(field));
    return taken;
  }
  return s;
}

absl::Status MysqlOnboardingRepository::CreateStore(const StoreRecord& store) {
  return pool_.InTransaction("create store", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> m(
        c.prepareStatement("SELECT 1 FROM merchants WHERE merchant_id = ? FOR UPDATE"));
    m->setString(1, store.merchant_id);
    std::unique_ptr<sql::ResultSet> rs(m->executeQuery());
    if (!rs->next()) return absl::NotFoundError("merchant not found");
    std::unique_ptr<sql::PreparedStatement> st(
        c.prepareStatement("INSERT INTO stores (store_id, merchant_id, name, address, created_at) "
                           "VALUES (?, ?, ?, ?, ?)"));
    st->setString(1, store.store_id);
    st->setString(2, store.merchant_id);
    st->setString(3, store.name);
    st->setString(4, store.address);
    st->setString(5, FormatSqlTime(store.created_at));
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<StoreRecord>> MysqlOnboardingRepository::ListStores(
    const std::string& merchant_id) {
  return pool_.Run(
      "list stores", [&](sql::Connection& c) -> absl::StatusOr<std::vector<StoreRecord>> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            "SELECT store_id, merchant_id, name, address, created_at FROM stores "
            "WHERE merchant_id = ? ORDER BY store_id LIMIT 1000"));
        st->setString(1, merchant_id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<StoreRecord> out;
        while (rs->next()) {
          out.push_back(StoreRecord{rs->getString(1), rs->getString(2), rs->getString(3),
                                    rs->getString(4), ParseSqlTime(rs->getString(5))});
        }
        return out;
      });
}

absl::Status MysqlOnboardingRepository::CreateAgent(const AgentRecord& agent) {
  absl::Status s = pool_.InTransaction("create agent", [&](sql::Connection& c) -> absl::Status {
    if (agent.parent_agent_id) {
      std::unique_ptr<sql::PreparedStatement> p(
          c.prepareStatement("SELECT 1 FROM agents WHERE agent_id = ?"));
      p->setString(1, *agent.parent_agent_id);
      std::unique_ptr<sql::ResultSet> rs(p->executeQuery());
      if (!rs->next()) return absl::NotFoundError("parent_agent_id: no such agent");
    }
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO agents (agent_id, parent_agent_id, name, created_at) VALUES (?, ?, ?, ?)"));
    st->setString(1, agent.agent_id);
    if (agent.parent_agent_id) {
      st->setString(2, *agent.parent_agent_id);
    } else {
      st->setNull(2, 0);
    }
    st->setString(3, agent.name);
    st->setString(4, FormatSqlTime(agent.created_at));
    st->execute();
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(s)) return absl::AlreadyExistsError("agent_id: already exists");
  return s;
}

absl::StatusOr<bool> MysqlOnboardingRepository::AgentExists(const std::string& agent_id) {
  return pool_.Run("agent exists", [&](sql::Connection& c) -> absl::StatusOr<bool> {
    std::unique_ptr<sql::PreparedStatement> st(
        c.prepareStatement("SELECT 1 FROM agents WHERE agent_id = ?"));
    st->setString(1, agent_id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    return rs->next();
  });
}

}  // namespace aggpay::merchant
