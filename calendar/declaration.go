package calendar

import "time"

// DeclarationDays is the legal delay, in days, to declare the entry,
// interruption or exit of a job seeker in training: décret 2017-1019 says
// "dans un délai de trois jours", without "ouvrés" or "francs". It is the one
// place that number lives.
const DeclarationDays = 3

// DeclarationRule is the delay an OF has to declare a movement (entry,
// interruption, exit) of a trainee. The zero value is the legal rule.
//
// Definition. A movement that happened on day D (a civil date in Paris) must
// be declared at the latest on Deadline(D) = D + Days, counted in calendar
// days unless WorkingDays is set; the day D itself is not counted. A
// declaration is late when the Paris civil date of the instant it was
// recorded is after the deadline: for an entry on Monday 2 March 2026 the
// deadline is Thursday 5 March, a declaration at 23:59 on 5 March (Paris) is
// on time and one at 00:00 on 6 March is late — whatever the UTC offset of
// the day. Weekends and public holidays count as ordinary days and do not
// extend the deadline (an entry on a Thursday is due on the Sunday).
type DeclarationRule struct {
	// Days of the delay; 0 or less means DeclarationDays.
	Days int
	// WorkingDays counts the delay in working days of Region instead of
	// calendar days.
	WorkingDays bool
	// Region gives the public holidays when WorkingDays is set.
	Region Region
}

// Deadline returns the last day on which a movement that happened on
// happened can be declared on time. The zero Date gives the zero Date.
func (r DeclarationRule) Deadline(happened Date) Date {
	if happened.IsZero() {
		return 0
	}
	days := r.Days
	if days <= 0 {
		days = DeclarationDays
	}
	if r.WorkingDays {
		return r.Region.AddWorkingDays(happened, days)
	}
	return happened.AddDays(days)
}

// IsLate reports whether a movement that happened on happened and was (or,
// with declaredAt = now, is still not) declared at the instant declaredAt is
// late. A declaration made before the movement happened is not late.
func (r DeclarationRule) IsLate(happened Date, declaredAt time.Time) bool {
	if happened.IsZero() {
		return false
	}
	return DateOf(declaredAt) > r.Deadline(happened)
}

// Deadline is DeclarationRule{}.Deadline: happened + 3 calendar days.
func Deadline(happened Date) Date { return DeclarationRule{}.Deadline(happened) }

// IsLate is DeclarationRule{}.IsLate.
func IsLate(happened Date, declaredAt time.Time) bool {
	return DeclarationRule{}.IsLate(happened, declaredAt)
}
