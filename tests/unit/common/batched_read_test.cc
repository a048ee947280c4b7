// common::BatchedRead: concurrent callers' keys are read in one call, each caller gets its own
// key's value, and none is answered by a read that began before its call.
#include "services/common/mysql/batched_read.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace aggpay::common {
namespace {

using Read = BatchedRead<std::string, std::string>;

// A store of values whose first read can be held open; it records the keys of every read.
struct Source {
  std::mutex mu;
  std::map<std::string, std::string> values;
  std::vector<std::string> reads;  // each read's keys, joined
  absl::Notification* hold = nullptr;
  absl::Notification first_started;

  absl::StatusOr<std::map<std::string, std::string>> Read(absl::Span<const std::string> keys) {
    std::map<std::string, std::string> out;
    bool first;
    {
      std::lock_guard<std::mutex> lock(mu);
      first = reads.empty();
      reads.push_back(absl::StrJoin(keys, ","));
      for (const std::string& k : keys) {
        auto it = values.find(k);
        if (it != values.end()) out.emplace(k, it->second);
      }
    }
    if (first) {
      first_started.Notify();
      if (hold != nullptr) hold->WaitForNotification();
    }
    return out;
  }
  void Set(const std::string& k, const std::string& v) {
    std::lock_guard<std::mutex> lock(mu);
    values[k] = v;
  }
};

void WaitUntilWaiting(const Read& read, size_t n) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (read.Waiting() < n && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(read.Waiting(), n);
}

TEST(BatchedReadTest, ALoneCallerGetsItsValueOrNone) {
  Source src;
  src.Set("T1", "code-1");
  Read read([&](absl::Span<const std::string> keys) { return src.Read(keys); });
  auto got = read.Get("T1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value_or("none"), "code-1");
  auto none = read.Get("T2");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(src.reads, (std::vector<std::string>{"T1", "T2"}));
}

TEST(BatchedReadTest, CallersWhoArriveDuringAReadShareTheNextAndSeeWhatChangedBeforeTheirCall) {
  Source src;
  src.Set("T1", "old");
  absl::Notification release;
  src.hold = &release;
  Read read([&](absl::Span<const std::string> keys) { return src.Read(keys); });
  absl::StatusOr<std::optional<std::string>> a, b, c, d;
  std::thread ta([&] { a = read.Get("T1"); });
  src.first_started.WaitForNotification();
  // A change commits while A's read runs; B, C and D call after it.
  src.Set("T1", "new");
  src.Set("T3", "code-3");
  std::thread tb([&] { b = read.Get("T1"); });
  WaitUntilWaiting(read, 1);
  std::thread tc([&] { c = read.Get("T3"); });
  WaitUntilWaiting(read, 2);
  std::thread td([&] { d = read.Get("T1"); });
  WaitUntilWaiting(read, 3);
  release.Notify();
  for (std::thread* t : {&ta, &tb, &tc, &td}) t->join();
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(a->value_or("none"), "old");
  EXPECT_EQ(b->value_or("none"), "new") << "B was answered by a read that began before its call";
  EXPECT_EQ(c->value_or("none"), "code-3");
  EXPECT_EQ(d->value_or("none"), "new");
  // B, C and D in one read, T1 asked once.
  EXPECT_EQ(src.reads, (std::vector<std::string>{"T1", "T1,T3"}));
  EXPECT_EQ(read.counts().batches, 2u);
  EXPECT_EQ(read.counts().largest, 3u);
}

TEST(BatchedReadTest, AFailedReadAnswersItsErrorToEveryCallerItServedAndTheNextReadsAgain) {
  std::atomic<bool> fail{true};
  absl::Notification release, started;
  std::atomic<int> calls{0};
  Read read([&](absl::Span<const std::string> keys)
                -> absl::StatusOr<std::map<std::string, std::string>> {
    if (calls.fetch_add(1) == 0) {
      started.Notify();
      release.WaitForNotification();
      return std::map<std::string, std::string>{{"T0", "zero"}};
    }
    if (fail) return absl::UnavailableError("database down");
    std::map<std::string, std::string> out;
    for (const std::string& k : keys) out.emplace(k, "ok-" + k);
    return out;
  });
  absl::StatusOr<std::optional<std::string>> first, b, c;
  std::thread t0([&] { first = read.Get("T0"); });
  started.WaitForNotification();
  std::thread tb([&] { b = read.Get("T1"); });
  WaitUntilWaiting(read, 1);
  std::thread tc([&] { c = read.Get("T2"); });
  WaitUntilWaiting(read, 2);
  release.Notify();
  for (std::thread* t : {&t0, &tb, &tc}) t->join();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->value_or("none"), "zero");
  EXPECT_EQ(b.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  fail = false;
  auto again = read.Get("T1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->value_or("none"), "ok-T1");
}

TEST(BatchedReadTest, ManyCallersAtOnceEachGetTheirOwnKeysValue) {
  Source src;
  for (int i = 0; i < 64; ++i) src.Set(absl::StrCat("T", i), absl::StrCat("code-", i));
  Read read([&](absl::Span<const std::string> keys) { return src.Read(keys); });
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 200; ++k) {
        const int i = (t * 7 + k) % 80;  // 64 with a value, 16 without
        auto got = read.Get(absl::StrCat("T", i));
        const std::string want = i < 64 ? absl::StrCat("code-", i) : "none";
        if (!got.ok() || got->value_or("none") != want) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(read.counts().items, 3200u);
  EXPECT_LE(read.counts().largest, 16u);
}

}  // namespace
}  // namespace aggpay::common
