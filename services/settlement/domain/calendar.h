#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace aggpay::settlement {

// A day that is not what its weekday says.
enum class DayKind { kHoliday, kWorkday };

struct CalendarDay {
  absl::CivilDay day;
  DayKind kind = DayKind::kHoliday;
  std::string name;
};

absl::string_view DayKindName(DayKind kind);  // "HOLIDAY", "WORKDAY"

// "date,kind,name" lines (a header line "date,kind,name" and '#' comments allowed). Refuses,
// naming the line: a bad date, an unknown kind, a HOLIDAY on a weekend day is accepted (a
// named rest day), a WORKDAY on a weekday is refused (it would change nothing and hides a
// typo), the same date twice.
absl::StatusOr<std::vector<CalendarDay>> ParseCalendarCsv(absl::string_view csv);

// Weekends and configured days. A make-up WORKDAY on a weekend is a business day; a HOLIDAY is
// not; otherwise Monday to Friday are. Only years the calendar covers are answered: a date in a
// year never imported is FAILED_PRECONDITION (the next year's notice must be imported by CSV),
// never guessed from weekdays.
class BusinessCalendar {
 public:
  BusinessCalendar(std::string name, const std::vector<CalendarDay>& days, std::set<int> years);

  const std::string& name() const { return name_; }
  absl::StatusOr<bool> IsBusinessDay(absl::CivilDay day) const;
  // The first business day after `day`.
  absl::StatusOr<absl::CivilDay> NextBusinessDay(absl::CivilDay day) const;
  // The first business day on or after `day`.
  absl::StatusOr<absl::CivilDay> BusinessDayOnOrAfter(absl::CivilDay day) const;

 private:
  std::string name_;
  std::map<absl::CivilDay, DayKind> days_;
  std::set<int> years_;
};

// When a payment made on `today` is paid out, by the merchant's settlement cycle: "T1", the
// next business day after today; "D0", today if it is a business day, else the next one.
// INVALID_ARGUMENT naming `cycle` for another cycle; FAILED_PRECONDITION for a year the calendar
// does not cover.
absl::StatusOr<absl::CivilDay> NextPayoutDate(const BusinessCalendar& calendar,
                                              absl::CivilDay today, absl::string_view cycle);

// "YYYY-MM-DD" strictly: INVALID_ARGUMENT naming `field`.
absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text, absl::string_view field);
std::string FormatDate(absl::CivilDay day);

}  // namespace aggpay::settlement
