// Package calendar is the civil calendar of the platform, without storage and
// without time zones in its values: a Date is a day as written on a French
// form (26/11/2026), a Month is a calendar month, a Range is an inclusive run
// of days.
//
// An instant (time.Time) becomes a Date only through DateOf, which reads the
// wall clock of Europe/Paris (the time zone data is embedded, so this works
// on machines without a zone database). Dates never move with daylight-saving
// changes: the last Sundays of March and October are ordinary days here.
//
// The package also knows the French public holidays (Region, Holidays),
// working days (IsWorkingDay, AddWorkingDays) and the legal 3-day rule for
// declaring the entry, interruption or exit of a trainee (DeclarationRule,
// Deadline, IsLate).
package calendar
