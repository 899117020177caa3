package attendance

import (
	"fmt"
	"time"

	"kairos"
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
// interruption resumed the day it started is empty. Lived is the last day
// that has been lived (today): later days count for nothing, neither planned
// nor attended; zero means no limit.
type Presence struct {
	Entry, Exit   calendar.Date
	Interruptions []Interruption
	Absences      []Absence
	Lived         calendar.Date
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
	if !p.Lived.IsZero() && p.Lived < w.To {
		w.To = p.Lived
	}
	return w
}

func (p Presence) interruption(d calendar.Date) (Interruption, bool) {
	for _, i := range p.Interruptions {
		if d >= i.Start && (i.Resumed.IsZero() || d < i.Resumed) {
			return i, true
		}
	}
	return Interruption{}, false
}

func (p Presence) interrupted(d calendar.Date) bool {
	_, ok := p.interruption(d)
	return ok
}

// planned returns the hours planned for the trainee on d: the schedule's,
// inside the window and outside interruptions, else 0.
func (p Presence) planned(s Schedule, d calendar.Date) Minutes {
	if !p.window().Contains(d) || p.interrupted(d) {
		return 0
	}
	return s.On(d)
}

// allocation is the hours of absence taken on each day, justified and not.
type allocation struct{ justified, unjustified map[calendar.Date]Minutes }

func (al allocation) on(d calendar.Date) Minutes { return al.justified[d] + al.unjustified[d] }

// allocate spreads the declared absences over their days, in order: each
// takes, day after day from its first, what is left of the day's planned
// hours, up to its own hours (all of them when Minutes is 0). An absence
// can therefore never make a day exceed its planned hours, nor count on a
// day outside the presence.
func (p Presence) allocate(s Schedule, until calendar.Date) allocation {
	al := allocation{map[calendar.Date]Minutes{}, map[calendar.Date]Minutes{}}
	for _, a := range p.Absences {
		days := calendar.Range{From: a.From, To: a.To}
		if a.To.IsZero() {
			days.To = a.From
		}
		days = days.Intersect(calendar.Range{From: p.Entry, To: until})
		budget := a.Minutes
		for d := range days.Days() {
			if a.Minutes > 0 && budget == 0 {
				break
			}
			free := p.planned(s, d) - al.on(d)
			if free <= 0 {
				continue
			}
			take := free
			if a.Minutes > 0 {
				take = min(free, budget)
				budget -= take
			}
			if a.Justified {
				al.justified[d] += take
			} else {
				al.unjustified[d] += take
			}
		}
	}
	return al
}

// Day is the arithmetic of one day of a month, as shown on an attestation.
type Day struct {
	Date        calendar.Date
	Planned     Minutes
	Justified   Minutes
	Unjustified Minutes
	Attended    Minutes
	Note        string // why nothing is planned: "interrompue", "jour férié", "hors formation"…
}

// Days returns, day by day, how Prefill computes month m: every day of the
// month inside the trainee's presence with something planned or absent.
func Days(m calendar.Month, s Schedule, p Presence) ([]Day, error) {
	if err := check(m, s, p); err != nil {
		return nil, err
	}
	inMonth := m.Days().Intersect(p.window())
	if inMonth.IsEmpty() {
		return nil, nil
	}
	al := p.allocate(s, inMonth.To)
	var out []Day
	for d := range inMonth.Days() {
		x := Day{Date: d, Planned: p.planned(s, d), Justified: al.justified[d], Unjustified: al.unjustified[d]}
		x.Attended = x.Planned - x.Justified - x.Unjustified
		switch {
		case p.interrupted(d):
			x.Note = "formation interrompue"
		case x.Planned == 0:
			if name, ok := s.Region.HolidayName(d); ok && !s.WorkOnHolidays {
				if _, set := s.Days[d]; !set {
					x.Note = name
				}
			}
			if x.Note == "" {
				x.Note = "pas de formation ce jour"
			}
		}
		out = append(out, x)
	}
	return out, nil
}

// CheckAbsence checks absence a against the presence p (whose Absences are
// the ones already declared, a excluded) and the schedule: every day of it
// inside the presence (not before the entry, not after the exit, not during
// an interruption, not after Lived), and its hours within what the days
// planned less the absences already declared on them. The error is a
// kairos.Invalid naming the day.
func CheckAbsence(s Schedule, p Presence, a Absence) error {
	to := a.To
	if to.IsZero() {
		to = a.From
	}
	bad := func(field, msg string) error { return kairos.Invalid(map[string]string{field: msg}) }
	switch {
	case a.From.IsZero() || to < a.From:
		return bad("from", "Indiquez le premier et le dernier jour de l'absence, dans l'ordre.")
	case a.Minutes <= 0:
		return bad("hours", "Indiquez la durée de l'absence (en heures, par exemple 3,5).")
	case !a.Minutes.IsQuarter():
		return bad("hours", "Indiquez la durée au quart d'heure près (par exemple 3,25 ou 3,5).")
	case a.From < p.Entry:
		return bad("from", "Le "+a.From.LongFrench()+" est avant l'entrée en formation ("+p.Entry.French()+") : pas d'absence à déclarer ce jour-là.")
	case !p.Exit.IsZero() && to > p.Exit:
		return bad("to", "Le "+to.LongFrench()+" est après la sortie de formation ("+p.Exit.French()+") : pas d'absence à déclarer ce jour-là.")
	case !p.Lived.IsZero() && to > p.Lived:
		return bad("to", "Le "+to.LongFrench()+" n'est pas encore passé : une absence se déclare une fois constatée.")
	}
	var planned, taken Minutes
	al := p.allocate(s, to)
	for d := range (calendar.Range{From: a.From, To: to}).Days() {
		if i, ok := p.interruption(d); ok {
			return bad("from", "Le "+d.LongFrench()+", la formation est interrompue (depuis le "+i.Start.French()+") : pas d'absence à déclarer ce jour-là.")
		}
		planned += p.planned(s, d)
		taken += al.on(d)
	}
	free := planned - taken
	if a.Minutes <= free {
		return nil
	}
	one := a.From == to
	switch {
	case planned == 0 && one:
		return bad("from", "Le "+a.From.LongFrench()+" n'est pas un jour de formation (aucune heure prévue) : pas d'absence à déclarer.")
	case planned == 0:
		return bad("from", "Du "+a.From.French()+" au "+to.French()+", aucune heure de formation n'est prévue : pas d'absence à déclarer.")
	case one && taken == 0:
		return bad("hours", "Le "+a.From.LongFrench()+" ne compte que "+planned.String()+" de formation prévues : l'absence ne peut pas dépasser "+planned.String()+".")
	case one:
		return bad("hours", "Le "+a.From.LongFrench()+" compte "+planned.String()+" de formation prévues, dont "+taken.String()+" déjà déclarées en absence : au plus "+free.String()+" de plus.")
	}
	return bad("hours", "Du "+a.From.French()+" au "+to.French()+", "+planned.String()+" de formation sont prévues, dont "+taken.String()+" déjà déclarées en absence : au plus "+free.String()+" (et non "+a.Minutes.String()+").")
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
	days, err := Days(m, s, p)
	if err != nil {
		return Figures{}, err
	}
	var f Figures
	for _, d := range days {
		f.Planned += d.Planned
		f.Justified += d.Justified
		f.Unjustified += d.Unjustified
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

// DefaultWeek is a session's hours per week when the OF has not set them.
const DefaultWeek = 35 * Hour

// DefaultSchedule is the rhythm of a session whose OF set nothing:
// DefaultWeek over Monday–Friday, public holidays off.
func DefaultSchedule() Schedule {
	return Schedule{Week: Spread(DefaultWeek, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)}
}

// AddMovement adds a declared interruption (interrupt true) or resumption
// on day on to the list, in declaration order: a resumption closes the last
// open interruption (never before its start; the same day gives an empty
// interruption). It lets the capabilities build Presence.Interruptions from
// their movements in one way.
func AddMovement(list []Interruption, interrupt bool, on calendar.Date) []Interruption {
	switch {
	case interrupt:
		return append(list, Interruption{Start: on})
	case len(list) > 0 && list[len(list)-1].Resumed.IsZero():
		if on < list[len(list)-1].Start {
			on = list[len(list)-1].Start
		}
		list[len(list)-1].Resumed = on
	}
	return list
}

// Expected reports whether the trainee is expected in training on d (a
// sign-in sheet): inside the entry–exit window, whatever Lived, and not
// during an interruption.
func (p Presence) Expected(d calendar.Date) bool {
	q := p
	q.Lived = 0
	return !p.Entry.IsZero() && q.window().Contains(d) && !p.interrupted(d)
}
