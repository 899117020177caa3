package attendance

import (
	"math/rand/v2"
	"testing"
	"time"

	"kairos/calendar"
)

// randomCase builds a random session schedule and trainee from seed: weekly
// hours in quarter-hours, OF adjustments, holidays kept or not, entry and
// exit anywhere from December 2025 to August 2026, overlapping
// interruptions, and absences that overlap each other, the window, the
// interruptions and month ends.
func randomCase(seed uint64) (Schedule, Presence) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := calendar.NewDate(2025, 12, 1)
	someDay := func(span int) calendar.Date { return base.AddDays(r.IntN(span)) }
	quarterHours := func(max int) Minutes { return Minutes(r.IntN(max*4+1)) * Quarter }

	var s Schedule
	if r.IntN(4) > 0 {
		var days []time.Weekday
		for wd := range 7 {
			if r.IntN(3) > 0 {
				days = append(days, time.Weekday(wd))
			}
		}
		s.Week = Spread(quarterHours(10*len(days)), days...) // at most 10 h a day
	}
	if r.IntN(2) == 0 {
		s.Days = map[calendar.Date]Minutes{}
		for range r.IntN(20) {
			s.Days[someDay(280)] = quarterHours(10)
		}
	}
	s.WorkOnHolidays = r.IntN(5) == 0
	s.Region = calendar.Region(r.IntN(2))

	var p Presence
	p.Entry = someDay(240)
	if r.IntN(3) > 0 {
		p.Exit = p.Entry.AddDays(r.IntN(200))
	}
	for range r.IntN(4) {
		i := Interruption{Start: p.Entry.AddDays(r.IntN(220) - 20)}
		if r.IntN(3) > 0 {
			i.Resumed = i.Start.AddDays(r.IntN(60))
		}
		p.Interruptions = append(p.Interruptions, i)
	}
	for range r.IntN(10) {
		a := Absence{From: p.Entry.AddDays(r.IntN(240) - 30), Justified: r.IntN(2) == 0}
		if r.IntN(2) == 0 {
			a.To = a.From.AddDays(r.IntN(45))
		}
		if r.IntN(2) == 0 {
			a.Minutes = quarterHours(80)
		}
		p.Absences = append(p.Absences, a)
	}
	return s, p
}

// reference is a direct, day-by-day computation of the planned hours of m.
func reference(m calendar.Month, s Schedule, p Presence) Minutes {
	var total Minutes
	for d := range m.Days().Days() {
		if d < p.Entry || (!p.Exit.IsZero() && d > p.Exit) {
			continue
		}
		off := false
		for _, i := range p.Interruptions {
			if d >= i.Start && (i.Resumed.IsZero() || d < i.Resumed) {
				off = true
			}
		}
		if off {
			continue
		}
		if v, ok := s.Days[d]; ok {
			total += v
			continue
		}
		if _, hol := s.Region.HolidayName(d); hol && !s.WorkOnHolidays {
			continue
		}
		total += s.Week[d.Weekday()]
	}
	return total
}

// checkInvariants pre-fills every month from November 2025 to October 2026.
func checkInvariants(t *testing.T, seed uint64) {
	s, p := randomCase(seed)
	var declared Minutes // hours of the absences with a total, or -1 if any is "full days"
	for _, a := range p.Absences {
		if a.Minutes == 0 {
			declared = -1
			break
		}
		declared += a.Minutes
	}
	var absent Minutes
	for m := calendar.NewMonth(2025, 11); m <= calendar.NewMonth(2026, 10); m++ {
		f, err := Prefill(m, s, p)
		if err != nil {
			t.Fatalf("seed %d, %s: %v", seed, m, err)
		}
		switch {
		case f.Planned < 0 || f.Attended < 0 || f.Justified < 0 || f.Unjustified < 0:
			t.Fatalf("seed %d, %s: negative figure %v", seed, m, fig(f))
		case f.Attended+f.Justified+f.Unjustified != f.Planned:
			t.Fatalf("seed %d, %s: attended + absences != planned: %v", seed, m, fig(f))
		case f.Planned != reference(m, s, p):
			t.Fatalf("seed %d, %s: planned %s, reference %s", seed, m, f.Planned, reference(m, s, p))
		case !p.ActiveIn(m) && f != Figures{}:
			t.Fatalf("seed %d, %s: figures outside the window: %v", seed, m, fig(f))
		}
		if err := f.Validate(); err != nil {
			t.Fatalf("seed %d, %s: %v %v", seed, m, fig(f), err)
		}
		absent += f.Justified + f.Unjustified
	}
	if declared >= 0 && absent > declared {
		t.Fatalf("seed %d: %s of absences counted for %s declared", seed, absent, declared)
	}
}

func TestPrefillProperties(t *testing.T) {
	n := uint64(3000)
	if testing.Short() {
		n = 300
	}
	for seed := range n {
		checkInvariants(t, seed)
	}
}

// FuzzPrefill explores more seeds with `go test -fuzz=FuzzPrefill`; a plain
// `go test` runs the corpus below.
func FuzzPrefill(f *testing.F) {
	for _, seed := range []uint64{0, 1, 42, 1 << 40, 0xdeadbeef} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { checkInvariants(t, seed) })
}

// BenchmarkPrefill is one month of a trainee with absences: the month-end
// peak pre-fills 300 000 of them.
func BenchmarkPrefill(b *testing.B) {
	s, p := randomCase(7)
	s.Week = Spread(35*Hour, monFri...)
	m := calendar.MonthOf(p.Entry.AddDays(40))
	for b.Loop() {
		if _, err := Prefill(m, s, p); err != nil {
			b.Fatal(err)
		}
	}
}
