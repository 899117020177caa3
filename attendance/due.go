package attendance

import (
	"time"

	"kairos/calendar"
)

// DueDay is the day of the following month by which a month's attestation is
// due: with the default 5, the attestation of May is due on 5 June and
// overdue from 6 June (Paris time). A DueDay of 0 or less means
// DefaultDueDay; one beyond the end of the following month means its last
// day.
type DueDay int

// DefaultDueDay is the 5th calendar day of the following month.
const DefaultDueDay DueDay = 5

// Date returns the due date of the attestation of month m.
func (d DueDay) Date(m calendar.Month) calendar.Date {
	if m.IsZero() {
		return 0
	}
	if d <= 0 {
		d = DefaultDueDay
	}
	next := m.AddMonths(1)
	return min(next.First().AddDays(int(d)-1), next.Last())
}

// IsOverdue reports whether, at the instant now, the attestation of month m
// is past its due date (the Paris date of now is after it). Whether it has
// been attested is the caller's business.
func (d DueDay) IsOverdue(m calendar.Month, now time.Time) bool {
	if m.IsZero() {
		return false
	}
	return calendar.DateOf(now) > d.Date(m)
}

// DueDate is DefaultDueDay.Date.
func DueDate(m calendar.Month) calendar.Date { return DefaultDueDay.Date(m) }

// IsOverdue is DefaultDueDay.IsOverdue.
func IsOverdue(m calendar.Month, now time.Time) bool { return DefaultDueDay.IsOverdue(m, now) }
