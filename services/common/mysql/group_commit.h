#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "services/common/mysql/batch_queue.h"
#include "services/common/mysql/mysql_pool.h"

namespace aggpay::common {

// Group commit: concurrent callers' writes of one kind share one transaction.
//
// A caller that finds no transaction of this kind running leads: it takes up to `max_batch`
// waiting callers (itself among them, in arrival order), writes all their items with one call of
// `write` inside one transaction, runs every member's TransactionHook (each call's audit outbox
// row; hooks of one TransactionHook::Batch together, so the outbox rows are one INSERT) before
// COMMIT, and wakes them. Callers that arrive meanwhile wait for the next batch, so a
// lone caller pays what a plain transaction costs, and a busy one shares a START and a COMMIT
// (and, with a multi-row `write`, its INSERT) among up to `max_batch` calls.
//
// Each caller's answer is its own:
//   - the batch committed: OK for every member;
//   - the connection was lost (UNAVAILABLE, a COMMIT whose outcome is unknown included): that
//     status for every member, as a lone transaction would have answered each;
//   - anything else (a duplicate key, a deadlock, a hook's error): the batch is rolled back and
//     each member writes its item again in a transaction of its own, on its own thread, so a
//     duplicate answers ALREADY_EXISTS only to the caller whose row it is.
//
// A write that decides on the rows it reads (a check-in, on its locked terminal) may turn one
// member down: `verdict` names that member's own answer once `write` ran. A member whose verdict
// is not OK wrote nothing, its hook does not run, and its caller gets the verdict whether the
// batch committed or not (a lost connection aside); the others commit as before.
// Never call Write while holding a pooled connection or inside InTransaction.
template <typename Item>
class GroupCommit {
 public:
  // The batch's statements for items.size() >= 1, inside the open transaction. It throws the
  // driver's exceptions (InTransaction maps them). It may be called again for an item alone (the
  // retry above), so whatever it notes in an item it sets anew each time.
  using Writer = std::function<void(sql::Connection&, absl::Span<const Item* const>)>;
  // An item's own answer after `write` ran on it: OK, or the reason it wrote nothing.
  using Verdict = std::function<absl::Status(const Item&)>;

  GroupCommit(MysqlPool& pool, std::string what, Writer write, size_t max_batch = 32,
              Verdict verdict = nullptr)
      : pool_(pool),
        what_(std::move(what)),
        write_(std::move(write)),
        verdict_(std::move(verdict)),
        queue_(max_batch) {}
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  absl::Status Write(const Item& item);

  // Batches run (committed or not) and the items in them, since start.
  BatchCounts counts() const { return queue_.counts(); }
  // Callers waiting for a batch to take them.
  size_t Waiting() const { return queue_.Waiting(); }

 private:
  struct Member {
    Member(const Item* i, TransactionHook* h) : item(i), hook(h) {}
    const Item* item;
    TransactionHook* hook;  // the caller's own (its audit scope), or null
    absl::Status status;
    bool done = false;
    bool alone = false;  // write again in a transaction of its own
    std::condition_variable cv;
  };

  absl::Status VerdictOf(const Item& item) const {
    return verdict_ ? verdict_(item) : absl::OkStatus();
  }

  // Calls each member's hook before COMMIT, and AfterRollback on those that ran. A member turned
  // down by its verdict wrote nothing, so its hook does not run.
  class BatchHook final : public TransactionHook {
   public:
    BatchHook(const GroupCommit& owner, const std::vector<Member*>& batch)
        : owner_(owner), batch_(batch) {}
    // Hooks of one Batch run together (in the order their members came), the rest alone.
    absl::Status BeforeCommit(sql::Connection& conn) override {
      std::vector<TransactionHook*> hooks;
      hooks.reserve(batch_.size());
      for (Member* m : batch_) {
        hooks.push_back(m->hook != nullptr && owner_.VerdictOf(*m->item).ok() ? m->hook : nullptr);
      }
      std::vector<TransactionHook*> joined;
      for (size_t i = 0; i < hooks.size(); ++i) {
        TransactionHook* h = hooks[i];
        if (h == nullptr) continue;
        const TransactionHook::Batch* kind = h->batch();
        if (kind == nullptr) {
          ran_.push_back(h);
          if (absl::Status s = h->BeforeCommit(conn); !s.ok()) return s;
          continue;
        }
        if (std::find(kinds_.begin(), kinds_.end(), kind) != kinds_.end()) continue;
        kinds_.push_back(kind);
        joined.clear();
        for (size_t j = i; j < hooks.size(); ++j) {
          TransactionHook* o = hooks[j];
          if (o != nullptr && o->batch() == kind) joined.push_back(o);
        }
        ran_.insert(ran_.end(), joined.begin(), joined.end());
        if (absl::Status s = kind->BeforeCommitAll(conn, joined); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    void AfterRollback() override {
      for (TransactionHook* h : ran_) h->AfterRollback();
      ran_.clear();
    }

   private:
    const GroupCommit& owner_;
    const std::vector<Member*>& batch_;
    std::vector<TransactionHook*> ran_;
    std::vector<const TransactionHook::Batch*> kinds_;
  };

  void Lead(const std::vector<Member*>& batch);

  MysqlPool& pool_;
  const std::string what_;
  const Writer write_;
  const Verdict verdict_;
  BatchQueue<Member> queue_;
};

template <typename Item>
absl::Status GroupCommit<Item>::Write(const Item& item) {
  Member me(&item, CurrentTransactionHook());
  queue_.Join(&me, [this](const std::vector<Member*>& batch) { Lead(batch); });
  if (!me.alone) return me.status;
  // This thread's own hook is installed again here, as for any transaction it runs.
  const Item* one[] = {&item};
  return pool_.InTransaction(what_, [&](sql::Connection& c) -> absl::Status {
    write_(c, absl::MakeConstSpan(one));
    return VerdictOf(item);  // turned down: rolled back, and its hook does not run
  });
}

template <typename Item>
void GroupCommit<Item>::Lead(const std::vector<Member*>& batch) {
  std::vector<const Item*> items;
  items.reserve(batch.size());
  for (Member* m : batch) items.push_back(m->item);
  BatchHook hook(*this, batch);
  absl::Status s;
  {
    ScopedTransactionHook install(&hook);
    s = pool_.InTransaction(what_, [&](sql::Connection& c) -> absl::Status {
      write_(c, absl::MakeConstSpan(items));
      return absl::OkStatus();
    });
  }
  const bool shared_fate = s.ok() || absl::IsUnavailable(s) || batch.size() == 1;
  for (Member* m : batch) {
    if (shared_fate) {
      m->status = s.ok() ? VerdictOf(*m->item) : s;
    } else {
      m->alone = true;
    }
  }
}

}  // namespace aggpay::common
