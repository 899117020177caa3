package attendance

import (
	"testing"
	"time"

	"kairos/calendar"
)

func day(t testing.TB, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func h(hours float64) Minutes { return Minutes(hours * 60) }

var monFri = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}

// The calendars used below (2026):
//
//	     March 2026            April 2026             May 2026
//	Mo Tu We Th Fr Sa Su  Mo Tu We Th Fr Sa Su  Mo Tu We Th Fr Sa Su
//	                   1         1  2  3  4  5               1  2  3
//	 2  3  4  5  6  7  8   6  7  8  9 10 11 12   4  5  6  7  8  9 10
//	 9 10 11 12 13 14 15  13 14 15 16 17 18 19  11 12 13 14 15 16 17
//	16 17 18 19 20 21 22  20 21 22 23 24 25 26  18 19 20 21 22 23 24
//	23 24 25 26 27 28 29  27 28 29 30           25 26 27 28 29 30 31
//	30 31
//
// March: 22 weekdays, no holiday; clocks go forward on Sunday 29.
// April: 22 weekdays, Easter Monday 6 → 21 working days.
// May: 21 weekdays, holidays 1 (Fri), 8 (Fri), 14 (Ascension, Thu),
// 25 (Whit Monday) → 17 working days.
//
//	    October 2026
//	Mo Tu We Th Fr Sa Su
//	          1  2  3  4
//	 5  6  7  8  9 10 11
//	12 13 14 15 16 17 18
//	19 20 21 22 23 24 25
//	26 27 28 29 30 31
//
// October: 22 weekdays, no holiday; clocks go back on Sunday 25.
func TestPrefill(t *testing.T) {
	d := func(s string) calendar.Date { return day(t, s) }
	march, april, may, october := calendar.NewMonth(2026, 3), calendar.NewMonth(2026, 4), calendar.NewMonth(2026, 5), calendar.NewMonth(2026, 10)
	s35 := Schedule{Week: Spread(35*Hour, monFri...)} // 7 h Monday to Friday
	weekend := Schedule{Week: [7]Minutes{time.Saturday: 4 * Hour, time.Sunday: 4 * Hour}}
	before := d("2026-01-05") // an entry long before the months tested

	for _, c := range []struct {
		name  string
		month calendar.Month
		s     Schedule
		p     Presence
		want  Figures
	}{
		// Whole months.
		{"March, whole month: 22 days × 7 h", march, s35, Presence{Entry: before},
			Figures{Planned: h(154), Attended: h(154)}},
		{"April, Easter Monday off: 21 × 7 h", april, s35, Presence{Entry: before},
			Figures{Planned: h(147), Attended: h(147)}},
		{"May, 1, 8, 14 and 25 May off: 17 × 7 h", may, s35, Presence{Entry: before},
			Figures{Planned: h(119), Attended: h(119)}},
		{"May, session works on holidays: 21 × 7 h", may, Schedule{Week: s35.Week, WorkOnHolidays: true}, Presence{Entry: before},
			Figures{Planned: h(147), Attended: h(147)}},
		{"May, 32 h a week: Mon–Wed 6,5 h, Thu–Fri 6,25 h: 3+4+4 Mon–Wed days, 3+3 Thu–Fri days = 71,5 + 37,5", may,
			Schedule{Week: Spread(32*Hour, monFri...)}, Presence{Entry: before},
			Figures{Planned: h(109), Attended: h(109)}},
		{"May, OF bridge on Fri 15 and 3,5 h make-up on Sat 16: 16 × 7 + 3,5", may,
			Schedule{Week: s35.Week, Days: map[calendar.Date]Minutes{d("2026-05-15"): 0, d("2026-05-16"): h(3.5)}}, Presence{Entry: before},
			Figures{Planned: h(115.5), Attended: h(115.5)}},
		{"May, OF schedules 1 May: the adjustment wins over the holiday: 18 × 7", may,
			Schedule{Week: s35.Week, Days: map[calendar.Date]Minutes{d("2026-05-01"): 7 * Hour}}, Presence{Entry: before},
			Figures{Planned: h(126), Attended: h(126)}},
		{"March, explicit per-day schedule: 3,5 + 7 + 4", march,
			Schedule{Days: map[calendar.Date]Minutes{d("2026-03-02"): h(3.5), d("2026-03-04"): 7 * Hour, d("2026-03-14"): 4 * Hour, d("2026-04-01"): 7 * Hour}},
			Presence{Entry: before}, Figures{Planned: h(14.5), Attended: h(14.5)}},
		{"Alsace-Moselle: Good Friday 3 April off too: 20 × 7", april, Schedule{Week: s35.Week, Region: calendar.AlsaceMoselle},
			Presence{Entry: before}, Figures{Planned: h(140), Attended: h(140)}},

		// Partial months.
		{"entry Wed 18 March: 18–20, 23–27, 30–31 = 10 days", march, s35, Presence{Entry: d("2026-03-18")},
			Figures{Planned: h(70), Attended: h(70)}},
		{"exit Fri 22 May: 4–7, 11–13, 15, 18–22 = 13 days", may, s35, Presence{Entry: before, Exit: d("2026-05-22")},
			Figures{Planned: h(91), Attended: h(91)}},
		{"entry Tue 7 and exit Fri 17 April: 7–10, 13–17 = 9 days", april, s35, Presence{Entry: d("2026-04-07"), Exit: d("2026-04-17")},
			Figures{Planned: h(63), Attended: h(63)}},
		{"exit on Saturday 7 March: 2–6 = 5 days", march, s35, Presence{Entry: before, Exit: d("2026-03-07")},
			Figures{Planned: h(35), Attended: h(35)}},
		{"entry on the last day, Tue 31 March", march, s35, Presence{Entry: d("2026-03-31")},
			Figures{Planned: h(7), Attended: h(7)}},
		{"month before the entry", march, s35, Presence{Entry: d("2026-04-01")}, Figures{}},
		{"month after the exit", may, s35, Presence{Entry: before, Exit: d("2026-04-30")}, Figures{}},

		// Interruptions.
		{"interrupted 9 to 22 March (resumed Mon 23): 22 − 10 days", march, s35,
			Presence{Entry: before, Interruptions: []Interruption{{Start: d("2026-03-09"), Resumed: d("2026-03-23")}}},
			Figures{Planned: h(84), Attended: h(84)}},
		{"interrupted from Wed 25 March, not resumed: 2–6, 9–13, 16–20, 23–24 = 17 days", march, s35,
			Presence{Entry: before, Interruptions: []Interruption{{Start: d("2026-03-25")}}},
			Figures{Planned: h(119), Attended: h(119)}},
		{"interruption 30 March – 7 April (resumed Wed 8): April loses 1, 2, 3, 7 → 17 days", april, s35,
			Presence{Entry: before, Interruptions: []Interruption{{Start: d("2026-03-30"), Resumed: d("2026-04-08")}}},
			Figures{Planned: h(119), Attended: h(119)}},
		{"two interruptions and one resumed the day it started", march, s35,
			Presence{Entry: before, Interruptions: []Interruption{
				{Start: d("2026-03-02"), Resumed: d("2026-03-04")}, // 2, 3
				{Start: d("2026-03-10"), Resumed: d("2026-03-10")}, // empty
				{Start: d("2026-03-30")},                           // 30, 31
			}}, Figures{Planned: h(126), Attended: h(126)}},

		// Absences.
		{"unjustified day Tue 3 March, justified 2 h Thu 5", march, s35,
			Presence{Entry: before, Absences: []Absence{{From: d("2026-03-03")}, {From: d("2026-03-05"), Minutes: 2 * Hour, Justified: true}}},
			Figures{Planned: h(154), Attended: h(145), Justified: h(2), Unjustified: h(7)}},
		{"full days 30 April – 5 May, April part: Thu 30", april, s35,
			Presence{Entry: before, Absences: []Absence{{From: d("2026-04-30"), To: d("2026-05-05"), Justified: true}}},
			Figures{Planned: h(147), Attended: h(140), Justified: h(7)}},
		{"full days 30 April – 5 May, May part: 1 May is off, Mon 4 and Tue 5", may, s35,
			Presence{Entry: before, Absences: []Absence{{From: d("2026-04-30"), To: d("2026-05-05"), Justified: true}}},
			Figures{Planned: h(119), Attended: h(105), Justified: h(14)}},
		{"24 h from Mon 30 March to Fri 3 April, March part: 30, 31 → 14 h", march, s35,
			Presence{Entry: before, Absences: []Absence{{From: d("2026-03-30"), To: d("2026-04-03"), Minutes: 24 * Hour}}},
			Figures{Planned: h(154), Attended: h(140), Unjustified: h(14)}},
		{"24 h from Mon 30 March to Fri 3 April, April part: the other 10 h (1 April 7 h, 2 April 3 h)", april, s35,
			Presence{Entry: before, Absences: []Absence{{From: d("2026-03-30"), To: d("2026-04-03"), Minutes: 24 * Hour}}},
			Figures{Planned: h(147), Attended: h(137), Unjustified: h(10)}},
		{"24 h from 30 March with entry on Tue 31 March: April gets 24 − 7 = 17 h (1, 2, 3 April)", april, s35,
			Presence{Entry: d("2026-03-31"), Absences: []Absence{{From: d("2026-03-30"), To: d("2026-04-03"), Minutes: 24 * Hour}}},
			Figures{Planned: h(147), Attended: h(130), Unjustified: h(17)}},
		{"absences on a weekend, a holiday, an interruption, before entry and after exit count nothing", may, s35,
			Presence{Entry: d("2026-05-04"), Exit: d("2026-05-29"),
				Interruptions: []Interruption{{Start: d("2026-05-18"), Resumed: d("2026-05-20")}}, // 18, 19 off
				Absences: []Absence{
					{From: d("2026-05-09"), To: d("2026-05-10")}, // weekend
					{From: d("2026-05-14")},                      // Ascension
					{From: d("2026-05-18"), To: d("2026-05-19")}, // interruption
					{From: d("2026-05-01"), To: d("2026-05-03")}, // before entry
					{From: d("2026-05-30"), To: d("2026-06-30")}, // after exit
				}},
			// 4–7, 11–13, 15, 20–22, 26–29 = 15 days
			Figures{Planned: h(105), Attended: h(105)}},
		{"overlapping absences: a full unjustified day then 3 h justified the same day", march, s35,
			Presence{Entry: before, Absences: []Absence{{From: d("2026-03-03")}, {From: d("2026-03-03"), Minutes: 3 * Hour, Justified: true}}},
			Figures{Planned: h(154), Attended: h(147), Unjustified: h(7)}},
		{"overlapping absences: 3 h justified then the rest of the day unjustified", march, s35,
			Presence{Entry: before, Absences: []Absence{{From: d("2026-03-03"), Minutes: 3 * Hour, Justified: true}, {From: d("2026-03-03")}}},
			Figures{Planned: h(154), Attended: h(147), Justified: h(3), Unjustified: h(4)}},
		{"an absence larger than the day is capped at the day's 7 h", march, s35,
			Presence{Entry: before, Absences: []Absence{{From: d("2026-03-03"), Minutes: 10 * Hour}}},
			Figures{Planned: h(154), Attended: h(147), Unjustified: h(7)}},
		{"absent the whole month", march, s35,
			Presence{Entry: before, Absences: []Absence{{From: d("2026-02-15"), To: d("2026-04-15"), Justified: true}}},
			Figures{Planned: h(154), Justified: h(154)}},

		// Changes of time: 29 March (23 h) and 25 October (25 h) are days like the others.
		{"March, weekend course: Sat 7, 14, 21, 28 and Sun 1, 8, 15, 22, 29 × 4 h", march, weekend, Presence{Entry: before},
			Figures{Planned: h(36), Attended: h(36)}},
		{"October, weekend course: Sat 3, 10, 17, 24, 31 and Sun 4, 11, 18, 25 × 4 h", october, weekend, Presence{Entry: before},
			Figures{Planned: h(36), Attended: h(36)}},
		{"weekend course, exit on Sun 29 March and absent that day", march, weekend,
			Presence{Entry: before, Exit: d("2026-03-29"), Absences: []Absence{{From: d("2026-03-29")}}},
			Figures{Planned: h(36), Attended: h(32), Unjustified: h(4)}},
		{"weekend course, entry on Sun 25 October: 25 and 31", october, weekend, Presence{Entry: d("2026-10-25")},
			Figures{Planned: h(8), Attended: h(8)}},
		{"entry Mon 30 March, the day after clocks go forward: 30, 31", march, s35, Presence{Entry: d("2026-03-30")},
			Figures{Planned: h(14), Attended: h(14)}},
		{"entry Mon 26 October, the day after clocks go back: 26–30", october, s35, Presence{Entry: d("2026-10-26")},
			Figures{Planned: h(35), Attended: h(35)}},
		{"October, whole month", october, s35, Presence{Entry: before}, Figures{Planned: h(154), Attended: h(154)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Prefill(c.month, c.s, c.p)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got  %v\nwant %v", fig(got), fig(c.want))
			}
			if err := got.Validate(); err != nil {
				t.Errorf("pre-filled figures do not validate: %v", err)
			}
		})
	}
}

func fig(f Figures) string {
	return "planned " + f.Planned.String() + ", attended " + f.Attended.String() +
		", justified " + f.Justified.String() + ", unjustified " + f.Unjustified.String()
}

// TestPrefillFromInstants: dates recorded as instants are read in Paris. An
// exit recorded at 22:30 UTC on 31 March 2026 is 00:30 on 1 April in Paris
// (summer time since 29 March): April has one planned day (Wed 1, 7 h).
func TestPrefillFromInstants(t *testing.T) {
	exit := calendar.DateOf(time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC))
	entry := calendar.DateOf(time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC)) // 00:30 CET on Sun 29 March
	f, err := Prefill(calendar.NewMonth(2026, 4), Schedule{Week: Spread(35*Hour, monFri...)}, Presence{Entry: entry, Exit: exit})
	if err != nil {
		t.Fatal(err)
	}
	if f.Planned != 7*Hour || entry.String() != "2026-03-29" {
		t.Errorf("entry %s exit %s: %s", entry, exit, fig(f))
	}
}

func TestActiveIn(t *testing.T) {
	d := func(s string) calendar.Date { return day(t, s) }
	p := Presence{Entry: d("2026-03-31"), Exit: d("2026-05-01")}
	for m, want := range map[calendar.Month]bool{
		calendar.NewMonth(2026, 2): false, calendar.NewMonth(2026, 3): true, calendar.NewMonth(2026, 4): true,
		calendar.NewMonth(2026, 5): true, calendar.NewMonth(2026, 6): false,
	} {
		if p.ActiveIn(m) != want {
			t.Errorf("ActiveIn(%s) = %v", m, !want)
		}
	}
	// Still in training, or interrupted the whole month: an attestation is due.
	open := Presence{Entry: d("2026-03-31"), Interruptions: []Interruption{{Start: d("2026-04-01")}}}
	if !open.ActiveIn(calendar.NewMonth(2030, 1)) || (Presence{}).ActiveIn(calendar.NewMonth(2026, 3)) {
		t.Error("ActiveIn open window")
	}
}

func TestPrefillRejectsInconsistentInput(t *testing.T) {
	d := func(s string) calendar.Date { return day(t, s) }
	m := calendar.NewMonth(2026, 3)
	ok := Schedule{Week: Spread(35*Hour, monFri...)}
	for name, c := range map[string]struct {
		m calendar.Month
		s Schedule
		p Presence
	}{
		"no month":            {0, ok, Presence{Entry: d("2026-03-01")}},
		"no entry":            {m, ok, Presence{}},
		"exit before entry":   {m, ok, Presence{Entry: d("2026-03-10"), Exit: d("2026-03-09")}},
		"negative week":       {m, Schedule{Week: [7]Minutes{1: -Hour}}, Presence{Entry: d("2026-03-01")}},
		"day of 25 h":         {m, Schedule{Days: map[calendar.Date]Minutes{d("2026-03-02"): 25 * Hour}}, Presence{Entry: d("2026-03-01")}},
		"resumed before":      {m, ok, Presence{Entry: d("2026-03-01"), Interruptions: []Interruption{{Start: d("2026-03-10"), Resumed: d("2026-03-09")}}}},
		"interruption no day": {m, ok, Presence{Entry: d("2026-03-01"), Interruptions: []Interruption{{}}}},
		"absence reversed":    {m, ok, Presence{Entry: d("2026-03-01"), Absences: []Absence{{From: d("2026-03-10"), To: d("2026-03-09")}}}},
		"negative absence":    {m, ok, Presence{Entry: d("2026-03-01"), Absences: []Absence{{From: d("2026-03-10"), Minutes: -1}}}},
		"absence no day":      {m, ok, Presence{Entry: d("2026-03-01"), Absences: []Absence{{Minutes: Hour}}}},
	} {
		if _, err := Prefill(c.m, c.s, c.p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSpread(t *testing.T) {
	for _, c := range []struct {
		perWeek Minutes
		days    []time.Weekday
		want    [7]Minutes
	}{
		{35 * Hour, monFri, [7]Minutes{1: 7 * Hour, 2: 7 * Hour, 3: 7 * Hour, 4: 7 * Hour, 5: 7 * Hour}},
		// 128 quarters / 5 = 25 r 3: Mon–Wed 26 q (6,5 h), Thu–Fri 25 q (6,25 h).
		{32 * Hour, monFri, [7]Minutes{1: h(6.5), 2: h(6.5), 3: h(6.5), 4: h(6.25), 5: h(6.25)}},
		// 80 quarters / 3 = 26 r 2, in week order from Monday whatever the argument order.
		{20 * Hour, []time.Weekday{time.Thursday, time.Monday, time.Tuesday, time.Monday}, [7]Minutes{1: h(6.75), 2: h(6.75), 4: h(6.5)}},
		// 430 min = 28 quarters + 10 min: the odd minutes go to the first day.
		{430, []time.Weekday{time.Monday, time.Tuesday}, [7]Minutes{1: 14*Quarter + 10, 2: 14 * Quarter}},
		{8 * Hour, []time.Weekday{time.Sunday, time.Saturday}, [7]Minutes{0: 4 * Hour, 6: 4 * Hour}},
		{35 * Hour, nil, [7]Minutes{}},
		{-Hour, monFri, [7]Minutes{}},
	} {
		got := Spread(c.perWeek, c.days...)
		if got != c.want {
			t.Errorf("Spread(%s, %v) = %v, want %v", c.perWeek, c.days, got, c.want)
		}
		var sum Minutes
		for _, m := range got {
			sum += m
		}
		if len(c.days) > 0 && c.perWeek > 0 && sum != c.perWeek {
			t.Errorf("Spread(%s) adds up to %s", c.perWeek, sum)
		}
	}
}
