package calendar

import (
	"testing"
	"time"
)

// fixedClock is the clock a service would be given; tests inject one.
func fixedClock(t *testing.T, paris string) func() time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04:05", paris, Paris())
	if err != nil {
		t.Fatal(err)
	}
	tm = tm.UTC() // what the store keeps
	return func() time.Time { return tm }
}

func TestDeclarationDeadline(t *testing.T) {
	d := func(s string) Date { return mustDate(t, s) }
	for _, c := range []struct {
		rule     DeclarationRule
		happened string
		want     string
	}{
		{DeclarationRule{}, "2026-03-02", "2026-03-05"},                                         // Monday → Thursday
		{DeclarationRule{}, "2026-03-05", "2026-03-08"},                                         // Thursday → Sunday: weekends count
		{DeclarationRule{}, "2026-03-06", "2026-03-09"},                                         // Friday → Monday
		{DeclarationRule{}, "2026-04-30", "2026-05-03"},                                         // over 1 May
		{DeclarationRule{}, "2026-12-30", "2027-01-02"},                                         // over the year end
		{DeclarationRule{}, "2028-02-27", "2028-03-01"},                                         // over a leap day
		{DeclarationRule{Days: 5}, "2026-03-02", "2026-03-07"},                                  // configured delay
		{DeclarationRule{WorkingDays: true}, "2026-05-07", "2026-05-13"},                        // Fri 8 May, weekend
		{DeclarationRule{WorkingDays: true}, "2026-03-06", "2026-03-11"},                        // Friday → Wednesday
		{DeclarationRule{WorkingDays: true}, "2026-12-23", "2026-12-29"},                        // Thu 24, Mon 28, Tue 29
		{DeclarationRule{WorkingDays: true}, "2025-12-23", "2025-12-29"},                        // Wed 24, Fri 26, Mon 29
		{DeclarationRule{WorkingDays: true, Region: AlsaceMoselle}, "2025-12-23", "2025-12-30"}, // Wed 24, Mon 29, Tue 30
	} {
		if got := c.rule.Deadline(d(c.happened)); got != d(c.want) {
			t.Errorf("%+v.Deadline(%s) = %s, want %s", c.rule, c.happened, got, c.want)
		}
	}
	if Deadline(d("2026-03-02")) != d("2026-03-05") || Deadline(0) != 0 {
		t.Error("package Deadline")
	}
}

func TestDeclarationIsLate(t *testing.T) {
	for _, c := range []struct {
		name       string
		happened   string
		declaredAt string // Paris wall clock
		late       bool
	}{
		{"same day", "2026-03-02", "2026-03-02 09:00:00", false},
		{"last minute of the deadline", "2026-03-02", "2026-03-05 23:59:59", false},
		{"first second after", "2026-03-02", "2026-03-06 00:00:00", true},
		{"declared before it happened", "2026-03-02", "2026-02-27 10:00:00", false},
		{"Thursday entry, declared Sunday", "2026-03-05", "2026-03-08 20:00:00", false},
		{"Thursday entry, declared Monday", "2026-03-05", "2026-03-09 08:00:00", true},
		{"Friday entry, declared Monday", "2026-03-06", "2026-03-09 17:00:00", false},
		{"Saturday exit, declared Tuesday", "2026-03-07", "2026-03-10 12:00:00", false},
		{"Saturday exit, declared Wednesday", "2026-03-07", "2026-03-11 00:00:01", true},
		// Deadline on Sunday 29 March 2026, the day clocks go forward.
		{"deadline on the spring change, 23:59 CEST", "2026-03-26", "2026-03-29 23:59:59", false},
		{"deadline on the spring change, next midnight", "2026-03-26", "2026-03-30 00:00:00", true},
		// Deadline on Sunday 25 October 2026, the day clocks go back.
		{"deadline on the autumn change, 23:59 CET", "2026-10-22", "2026-10-25 23:59:59", false},
		{"deadline on the autumn change, next midnight", "2026-10-22", "2026-10-26 00:00:00", true},
		{"movement on the spring change", "2026-03-29", "2026-04-01 23:00:00", false},
		{"movement on the autumn change", "2026-10-25", "2026-10-29 00:30:00", true},
	} {
		now := fixedClock(t, c.declaredAt)
		if got := IsLate(mustDate(t, c.happened), now()); got != c.late {
			t.Errorf("%s: IsLate(%s, %s Paris = %s) = %v, want %v", c.name, c.happened, c.declaredAt,
				now().Format(time.RFC3339), got, c.late)
		}
	}
}

// TestIsLateUsesParisDate: 22:30 UTC on 4 June is 00:30 on 5 June in Paris,
// one day after the deadline of a movement on 1 June, even though the UTC
// date is still the deadline.
func TestIsLateUsesParisDate(t *testing.T) {
	happened := NewDate(2026, 6, 1)
	if !IsLate(happened, time.Date(2026, 6, 4, 22, 30, 0, 0, time.UTC)) {
		t.Error("00:30 Paris on 5 June must be late")
	}
	if IsLate(happened, time.Date(2026, 6, 4, 21, 59, 0, 0, time.UTC)) {
		t.Error("23:59 Paris on 4 June must be on time")
	}
	if IsLate(0, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)) {
		t.Error("no date is never late")
	}
	rule := DeclarationRule{WorkingDays: true}
	// Thursday 7 May: working-day deadline Wednesday 13 May.
	if rule.IsLate(NewDate(2026, 5, 7), fixedClock(t, "2026-05-13 18:00:00")()) ||
		!rule.IsLate(NewDate(2026, 5, 7), fixedClock(t, "2026-05-14 08:00:00")()) {
		t.Error("working-day rule")
	}
}
