#include "services/settlement/domain/calendar.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/common/status/field_errors.h"

namespace aggpay::settlement {
namespace {

bool IsWeekend(absl::CivilDay day) {
  const absl::Weekday w = absl::GetWeekday(day);
  return w == absl::Weekday::saturday || w == absl::Weekday::sunday;
}

}  // namespace

absl::string_view DayKindName(DayKind kind) {
  return kind == DayKind::kHoliday ? "HOLIDAY" : "WORKDAY";
}

absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text, absl::string_view field) {
  absl::CivilDay day;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !absl::ParseCivilTime(text, &day) ||
      FormatDate(day) != text) {
    return common::InvalidField(field, "must be a date YYYY-MM-DD");
  }
  return day;
}

std::string FormatDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

absl::StatusOr<std::vector<CalendarDay>> ParseCalendarCsv(absl::string_view csv) {
  std::vector<CalendarDay> out;
  std::set<absl::CivilDay> seen;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(csv, '\n')) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#' || line == "date,kind,name") continue;
    const std::string where = absl::StrCat("csv line ", line_no);
    std::vector<absl::string_view> f = absl::StrSplit(line, absl::MaxSplits(',', 2));
    if (f.size() < 2)
      return common::InvalidField("csv", absl::StrCat(where, ": want date,kind,name"));
    auto day = ParseDate(absl::StripAsciiWhitespace(f[0]), "csv");
    if (!day.ok()) return common::InvalidField("csv", absl::StrCat(where, ": bad date"));
    CalendarDay d{*day, DayKind::kHoliday, f.size() > 2 ? std::string(f[2]) : ""};
    absl::string_view kind = absl::StripAsciiWhitespace(f[1]);
    if (kind == "HOLIDAY") {
      d.kind = DayKind::kHoliday;
    } else if (kind == "WORKDAY") {
      d.kind = DayKind::kWorkday;
      if (!IsWeekend(*day)) {
        return common::InvalidField(
            "csv", absl::StrCat(where, ": a WORKDAY must be a Saturday or Sunday (make-up day)"));
      }
    } else {
      return common::InvalidField("csv", absl::StrCat(where, ": kind must be HOLIDAY or WORKDAY"));
    }
    if (d.name.size() > 64)
      return common::InvalidField("csv", absl::StrCat(where, ": name too long"));
    if (!seen.insert(*day).second) {
      return common::InvalidField("csv", absl::StrCat(where, ": ", FormatDate(*day), " twice"));
    }
    out.push_back(std::move(d));
  }
  if (out.empty()) return common::InvalidField("csv", "no days");
  return out;
}

BusinessCalendar::BusinessCalendar(std::string name, const std::vector<CalendarDay>& days,
                                   std::set<int> years)
    : name_(std::move(name)), years_(std::move(years)) {
  for (const CalendarDay& d : days) days_[d.day] = d.kind;
}

absl::StatusOr<bool> BusinessCalendar::IsBusinessDay(absl::CivilDay day) const {
  if (!years_.contains(static_cast<int>(day.year()))) {
    return common::FailedPreconditionField(
        "date", absl::StrCat("calendar ", name_, " has no data for ", day.year(),
                             ": import that year's holidays by CSV first"));
  }
  auto it = days_.find(day);
  if (it != days_.end()) return it->second == DayKind::kWorkday;
  return !IsWeekend(day);
}

absl::StatusOr<absl::CivilDay> BusinessCalendar::BusinessDayOnOrAfter(absl::CivilDay day) const {
  // Chinese holidays never run past 9 days; a month without a business day is a broken import.
  for (int i = 0; i < 31; ++i, ++day) {
    auto business = IsBusinessDay(day);
    if (!business.ok()) return business.status();
    if (*business) return day;
  }
  return common::FailedPreconditionField(
      "date", absl::StrCat("calendar ", name_, " has no business day in 31 days"));
}

absl::StatusOr<absl::CivilDay> BusinessCalendar::NextBusinessDay(absl::CivilDay day) const {
  return BusinessDayOnOrAfter(day + 1);
}

absl::StatusOr<absl::CivilDay> NextPayoutDate(const BusinessCalendar& calendar,
                                              absl::CivilDay today, absl::string_view cycle) {
  if (cycle == "T1") return calendar.NextBusinessDay(today);
  if (cycle == "D0") return calendar.BusinessDayOnOrAfter(today);
  return common::InvalidField("cycle", "must be T1 or D0");
}

}  // namespace aggpay::settlement
