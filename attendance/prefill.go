package attendance

import (
	"fmt"
	"time"

	"kairos/calendar"
)

// Schedule is a session's calendar: the hours of a normal week, adjusted by
// the OF day by day.
//
// The hours planned on a day are, in order: the OF's adjustment for that day
// if any (Days, which wins over everything, 0 being a day off); else 0 on a
// public holiday of Region unless WorkOnHolidays; else Week[weekday].
type Schedule struct {
	// Week are the hours of each day of a normal week, by time.Weekday
	// (Week[time.Monday] …). Spread builds it from hours per week.
	Week [7]Minutes
	// Days are the OF's adjustments: the hours of one date, overriding Week
	// and public holidays. 0 is a day off. An explicit schedule is a zero
	// Week with every day listed here.
	Days map[calendar.Date]Minutes
	// WorkOnHolidays keeps public holidays as training days.
	WorkOnHolidays bool
	// Region gives the public holidays (metropolitan France by default).
	Region calendar.Region
}

// Spread returns the Week of a session of perWeek hours spread evenly over
// days (duplicates ignored). The hours are dealt in quarter-hours, the
// remainder going to the earliest days of the week from Monday, and any odd
// minutes to the first day, so the week always adds up to perWeek:
// 32 h over Monday–Friday is 6,5 h on Monday to Wednesday and 6,25 h on
// Thursday and Friday.
func Spread(perWeek Minutes, days ...time.Weekday) [7]Minutes {
	var week [7]Minutes
	var on []time.Weekday
	for _, wd := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		for _, d := range days {
			if d == wd {
				on = append(on, wd)
				break
			}
		}
	}
	if len(on) == 0 || perWeek <= 0 {
		return week
	}
	quarters, odd := int(perWeek/Quarter), perWeek%Quarter
	each, extra := quarters/len(on), quarters%len(on)
	for i, wd := range on {
		week[wd] = Minutes(each) * Quarter
		if i < extra {
			week[wd] += Quarter
		}
	}
	week[on[0]] += odd
	return week
}

// On returns the hours the session plans on d, before anything about a
// trainee.
func (s Schedule) On(d calendar.Date) Minutes {
	if m, ok := s.Days[d]; ok {
		return m
	}
	if !s.WorkOnHolidays {
		if _, holiday := s.Region.HolidayName(d); holiday {
			return 0
		}
	}
	return s.Week[d.Weekday()]
}

// Interruption is a period during which no hours are expected from the
// trainee: from Start (included) to the day before Resumed, the day training
// resumes. A zero Resumed means not resumed yet.
type Interruption struct {
	Start, Resumed calendar.Date
}

// Absence is a declared absence.
//
// It covers the days From to To (included; a zero To is the single day
// From). With Minutes zero the trainee missed every planned hour of those
// days. With Minutes set, the absence is that many hours in total, taken from
// the planned hours of its days in date order (a 2 h absence on one day, or
// 20 h over a fortnight): across two months, the earlier days are used first.
// An absence never counts more than what was planned and not already taken
// by an earlier absence of the list on the same day.
type Absence struct {
	From, To  calendar.Date
	Minutes   Minutes
	Justified bool
}

// Presence is what one trainee of one enrolment did: the window from Entry
// to Exit (both included; a zero Exit means still in training), the
// interruptions and the absences, in the order they were declared. An
// interruption resumed the day it started is empty.
type Presence struct {
	Entry, Exit   calendar.Date
	Interruptions []Interruption
	Absences      []Absence
}

// ActiveIn reports whether the trainee was in training (entered, possibly
// interrupted) on at least one day of m: an attestation is due for m.
func (p Presence) ActiveIn(m calendar.Month) bool {
	if p.Entry.IsZero() {
		return false
	}
	return !p.window().Intersect(m.Days()).IsEmpty()
}

func (p Presence) window() calendar.Range {
	w := calendar.Range{From: p.Entry, To: p.Exit}
	if p.Exit.IsZero() {
		w.To = calendar.NewDate(9999, 12, 31)
	}
	return w
}

func (p Presence) interrupted(d calendar.Date) bool {
	for _, i := range p.Interruptions {
		if d >= i.Start && (i.Resumed.IsZero() || d < i.Resumed) {
			return true
		}
	}
	return false
}

// Figures are the four numbers of an attestation. Attended + Justified +
// Unjustified equals Planned when pre-filled; Validate checks edited ones.
type Figures struct {
	Planned     Minutes // hours the session planned for the trainee
	Attended    Minutes // hours attended
	Justified   Minutes // justified absences
	Unjustified Minutes // unjustified absences
}

// Prefill computes the figures of month m for a trainee of a session:
//
//   - Planned: for each day of m inside the presence window and not in an
//     interruption, the hours of the session's schedule (Schedule.On);
//   - Justified and Unjustified: the part inside m of the declared absences
//     (see Absence), each day capped at its planned hours;
//   - Attended: Planned minus both absences.
//
// A month outside the window gives zero figures. An error means inconsistent
// input (exit before entry, absence ending before it starts, negative hours).
func Prefill(m calendar.Month, s Schedule, p Presence) (Figures, error) {
	if err := check(m, s, p); err != nil {
		return Figures{}, err
	}
	var f Figures
	window := p.window()
	inMonth := m.Days().Intersect(window)
	if inMonth.IsEmpty() {
		return f, nil
	}
	planned := func(d calendar.Date) Minutes {
		if !window.Contains(d) || p.interrupted(d) {
			return 0
		}
		return s.On(d)
	}
	for d := range inMonth.Days() {
		f.Planned += planned(d)
	}
	// Absences: days after the month cannot change it (absences are taken
	// in date order), days before it can (an absence of 20 h starting in the
	// previous month has used part of its hours there).
	var used map[calendar.Date]Minutes
	for _, a := range p.Absences {
		days := calendar.Range{From: a.From, To: a.To}
		if a.To.IsZero() {
			days.To = a.From
		}
		days = days.Intersect(calendar.Range{From: p.Entry, To: inMonth.To})
		budget := a.Minutes
		for d := range days.Days() {
			if a.Minutes > 0 && budget == 0 {
				break
			}
			free := planned(d) - used[d]
			if free <= 0 {
				continue
			}
			take := free
			if a.Minutes > 0 {
				take = min(free, budget)
				budget -= take
			}
			if used == nil {
				used = make(map[calendar.Date]Minutes)
			}
			used[d] += take
			if d >= inMonth.From {
				if a.Justified {
					f.Justified += take
				} else {
					f.Unjustified += take
				}
			}
		}
	}
	f.Attended = f.Planned - f.Justified - f.Unjustified
	return f, nil
}

func check(m calendar.Month, s Schedule, p Presence) error {
	switch {
	case m.IsZero():
		return fmt.Errorf("attendance: no month")
	case p.Entry.IsZero():
		return fmt.Errorf("attendance: no entry date")
	case !p.Exit.IsZero() && p.Exit < p.Entry:
		return fmt.Errorf("attendance: exit %s before entry %s", p.Exit, p.Entry)
	}
	for wd, h := range s.Week {
		if h < 0 || h > 24*Hour {
			return fmt.Errorf("attendance: %v planned %d minutes", time.Weekday(wd), h)
		}
	}
	for d, h := range s.Days {
		if h < 0 || h > 24*Hour {
			return fmt.Errorf("attendance: %s planned %d minutes", d, h)
		}
	}
	for _, i := range p.Interruptions {
		if i.Start.IsZero() || (!i.Resumed.IsZero() && i.Resumed < i.Start) {
			return fmt.Errorf("attendance: interruption from %s resumed on %s", i.Start, i.Resumed)
		}
	}
	for _, a := range p.Absences {
		if a.From.IsZero() || (!a.To.IsZero() && a.To < a.From) || a.Minutes < 0 {
			return fmt.Errorf("attendance: absence from %s to %s of %d minutes", a.From, a.To, a.Minutes)
		}
	}
	return nil
}
