#include "services/aggpayd/batch_job.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/status/field_errors.h"

namespace aggpay::aggpayd {

absl::StatusOr<std::string> ShardOfIndexedJob(absl::string_view completion_index, int completions) {
  if (completions < 1 || completions > 1024) {
    return common::InvalidField("--indexed-job", "the number of completions must be 1 to 1024");
  }
  int index = 0;
  if (completion_index.empty() ||
      !std::all_of(completion_index.begin(), completion_index.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(completion_index, &index)) {
    return common::InvalidField(
        "JOB_COMPLETION_INDEX",
        absl::StrCat("must be the pod's completion index (0 to ", completions - 1, "), not \"",
                     completion_index, "\": is this pod part of an Indexed Job?"));
  }
  if (index >= completions) {
    return common::InvalidField(
        "JOB_COMPLETION_INDEX",
        absl::StrCat(index, " is not below --indexed-job ", completions,
                     ": the Job's completions and --indexed-job must be the same number"));
  }
  return absl::StrCat(index + 1, "/", completions);
}

absl::StatusOr<absl::CivilDay> DateOfCronJobRun(absl::string_view job_name,
                                                absl::string_view cronjob_name, absl::TimeZone zone,
                                                int days_before) {
  if (days_before < 0 || days_before > 31) {
    return common::InvalidField("--days-before", "must be 0 to 31");
  }
  const std::string prefix = absl::StrCat(cronjob_name, "-");
  absl::string_view minutes_text = job_name;
  int64_t minutes = 0;
  if (cronjob_name.empty() || !absl::ConsumePrefix(&minutes_text, prefix) || minutes_text.empty() ||
      !std::all_of(minutes_text.begin(), minutes_text.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(minutes_text, &minutes)) {
    return common::InvalidField(
        "JOB_NAME", absl::StrCat("\"", job_name, "\" was not created by CronJob \"", cronjob_name,
                                 "\" (<cronjob>-<minutes>); give it --date"));
  }
  // A name such as "<cronjob>-0501", made by hand, is digits too: a time before 2000 is not a
  // CronJob's.
  constexpr int64_t kMinutesAt2000 = 946684800 / 60;
  if (minutes < kMinutesAt2000 || minutes > kMinutesAt2000 * 4) {
    return common::InvalidField("JOB_NAME",
                                absl::StrCat("\"", job_name,
                                             "\" does not end in a CronJob's scheduled time "
                                             "(minutes since the epoch); give it --date"));
  }
  const absl::Time scheduled = absl::FromUnixSeconds(minutes * 60);
  return absl::ToCivilDay(scheduled, zone) - days_before;
}

}  // namespace aggpay::aggpayd
