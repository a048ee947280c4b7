// common::CoalescedRead: callers at the same moment share one read, and none is answered with a
// value read before its own call began.
#include "services/common/mysql/coalesced_read.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace aggpay::common {
namespace {

// A counter read that can be held open: the value is what `source` holds when the read starts.
struct HeldSource {
  std::atomic<int64_t> source{0};
  std::atomic<int> started{0};
  absl::Notification* hold = nullptr;  // the first read waits for it
  absl::Notification first_started;

  absl::StatusOr<int64_t> Read() {
    const int64_t v = source.load();
    if (started.fetch_add(1) == 0) {
      first_started.Notify();
      if (hold != nullptr) hold->WaitForNotification();
    }
    return v;
  }
};

TEST(CoalescedReadTest, ACallerWhoArrivesDuringAReadGetsALaterOne) {
  HeldSource src;
  absl::Notification release;
  src.hold = &release;
  CoalescedRead<int64_t> read([&] { return src.Read(); });
  src.source = 1;
  absl::StatusOr<int64_t> a, b, c;
  std::thread ta([&] { a = read.Get(); });
  src.first_started.WaitForNotification();
  // A change commits while A's read runs; B and C call after it: they must see it.
  src.source = 2;
  std::thread tb([&] { b = read.Get(); });
  std::thread tc([&] { c = read.Get(); });
  absl::SleepFor(absl::Milliseconds(50));  // B and C are waiting on A's read
  release.Notify();
  for (std::thread* t : {&ta, &tb, &tc}) t->join();
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, 1);
  EXPECT_EQ(*b, 2) << "B was answered with a read that began before its call";
  EXPECT_EQ(*c, 2) << "C was answered with a read that began before its call";
  EXPECT_EQ(read.reads(), 2u) << "B and C share the second read";
}

TEST(CoalescedReadTest, ALoneCallerReadsEachTime) {
  int64_t n = 0;
  CoalescedRead<int64_t> read([&]() -> absl::StatusOr<int64_t> { return ++n; });
  EXPECT_EQ(*read.Get(), 1);
  EXPECT_EQ(*read.Get(), 2);
  EXPECT_EQ(*read.Get(), 3);
  EXPECT_EQ(read.reads(), 3u);
}

TEST(CoalescedReadTest, AFailedReadAnswersItsErrorAndTheNextReadsAgain) {
  bool fail = true;
  CoalescedRead<int64_t> read([&]() -> absl::StatusOr<int64_t> {
    if (fail) return absl::UnavailableError("database down");
    return 7;
  });
  EXPECT_EQ(read.Get().status().code(), absl::StatusCode::kUnavailable);
  fail = false;
  EXPECT_EQ(*read.Get(), 7);
}

TEST(CoalescedReadTest, ManyCallersShareReadsAndNeverSeeAnOlderValueThanAtTheirCall) {
  std::atomic<int64_t> source{0};
  CoalescedRead<int64_t> read([&]() -> absl::StatusOr<int64_t> {
    const int64_t v = source.load();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    return v;
  });
  constexpr int kThreads = 16;
  constexpr int kEach = 200;
  std::atomic<int> stale{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        // Each caller moves the value on, then reads: it must see its own change or a later one.
        const int64_t mine = source.fetch_add(1) + 1;
        auto got = read.Get();
        if (!got.ok() || *got < mine) ++stale;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(stale.load(), 0);
  EXPECT_LT(read.reads(), static_cast<uint64_t>(kThreads * kEach))
      << "16 concurrent callers never shared a read";
}

}  // namespace
}  // namespace aggpay::common
