#include "services/aggpayd/batch_job.h"

#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace aggpay::aggpayd {
namespace {

absl::TimeZone Shanghai() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &zone));
  return zone;
}

// Minutes since the epoch, as a CronJob names its Jobs.
std::string JobName(const std::string& cronjob, absl::CivilMinute at, absl::TimeZone zone) {
  return cronjob + "-" + std::to_string(absl::ToUnixSeconds(absl::FromCivil(at, zone)) / 60);
}

TEST(ShardOfIndexedJob, CompletionIndexFromZeroIsShardFromOne) {
  EXPECT_EQ(*ShardOfIndexedJob("0", 4), "1/4");
  EXPECT_EQ(*ShardOfIndexedJob("3", 4), "4/4");
  EXPECT_EQ(*ShardOfIndexedJob("0", 1), "1/1");
}

TEST(ShardOfIndexedJob, RefusesAnIndexOutsideTheJob) {
  auto beyond = ShardOfIndexedJob("4", 4);
  ASSERT_EQ(beyond.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(beyond.status().message().find("JOB_COMPLETION_INDEX"), std::string::npos);
  EXPECT_NE(beyond.status().message().find("--indexed-job 4"), std::string::npos);
  for (const char* bad : {"", "-1", "one", "1 ", "+1"}) {
    auto s = ShardOfIndexedJob(bad, 4);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << "\"" << bad << "\"";
    EXPECT_NE(s.status().message().find("JOB_COMPLETION_INDEX"), std::string::npos);
  }
  for (int n : {0, -2, 1025}) {
    auto s = ShardOfIndexedJob("0", n);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << n;
    EXPECT_NE(s.status().message().find("--indexed-job"), std::string::npos);
  }
}

TEST(DateOfCronJobRun, TheDayBeforeTheScheduledDayInTheZone) {
  const absl::TimeZone zone = Shanghai();
  // 02:00 on 2 May in Shanghai is 18:00 on 1 May in UTC: the scheduled day is 2 May there.
  const std::string job = JobName("aggpay-settle", absl::CivilMinute(2026, 5, 2, 2, 0), zone);
  EXPECT_EQ(*DateOfCronJobRun(job, "aggpay-settle", zone, 1), absl::CivilDay(2026, 5, 1));
  EXPECT_EQ(*DateOfCronJobRun(job, "aggpay-settle", zone, 0), absl::CivilDay(2026, 5, 2));
  // Across a month and a year.
  const std::string new_year = JobName("s", absl::CivilMinute(2027, 1, 1, 0, 30), zone);
  EXPECT_EQ(*DateOfCronJobRun(new_year, "s", zone, 1), absl::CivilDay(2026, 12, 31));
}

TEST(DateOfCronJobRun, EveryRetryOfARunGetsTheSameDay) {
  // The date comes from the Job's name, never from the clock: a retry after midnight settles
  // the same day as the first attempt.
  const absl::TimeZone zone = Shanghai();
  const std::string job = JobName("aggpay-settle", absl::CivilMinute(2026, 5, 2, 23, 59), zone);
  EXPECT_EQ(*DateOfCronJobRun(job, "aggpay-settle", zone, 1), absl::CivilDay(2026, 5, 1));
}

TEST(DateOfCronJobRun, RefusesAJobTheCronJobDidNotCreate) {
  const absl::TimeZone zone = Shanghai();
  for (const char* job : {"aggpay-settle-rerun-0501", "aggpay-settle-", "other-29610840",
                          "aggpay-settle-2961084x", "aggpay-settle-0501", ""}) {
    auto d = DateOfCronJobRun(job, "aggpay-settle", zone, 1);
    ASSERT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << job;
    EXPECT_NE(d.status().message().find("JOB_NAME"), std::string::npos);
    EXPECT_NE(d.status().message().find("--date"), std::string::npos);
  }
  auto far = DateOfCronJobRun("s-29610840", "s", zone, 32);
  ASSERT_EQ(far.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(far.status().message().find("--days-before"), std::string::npos);
}

}  // namespace
}  // namespace aggpay::aggpayd
