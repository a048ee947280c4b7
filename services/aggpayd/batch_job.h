#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

// How a settlement pod of a Kubernetes CronJob learns its business date and shard without a
// shell: pure functions of what the pod's environment says (main.cc reads it).
namespace aggpay::aggpayd {

// The shard ("i/n", counted from 1 as `aggpayd settle --shard` wants it) of the pod with
// completion index `completion_index` (JOB_COMPLETION_INDEX: 0 to n-1) of an Indexed Job with
// `completions` pods. INVALID_ARGUMENT naming JOB_COMPLETION_INDEX or --indexed-job.
absl::StatusOr<std::string> ShardOfIndexedJob(absl::string_view completion_index, int completions);

// The business date a CronJob run settles: the calendar day, in `zone`, of the run's scheduled
// time, minus `days_before`. A CronJob names each Job "<cronjob>-<scheduled time in minutes since
// the epoch>", so every pod and every retry of one run gets the same date, however late it
// starts. INVALID_ARGUMENT naming JOB_NAME when `job_name` is not of that form (a Job created by
// hand: give it --date), or --days-before when it is out of 0..31.
absl::StatusOr<absl::CivilDay> DateOfCronJobRun(absl::string_view job_name,
                                                absl::string_view cronjob_name, absl::TimeZone zone,
                                                int days_before);

}  // namespace aggpay::aggpayd
