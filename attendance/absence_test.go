package attendance

import (
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/calendar"
)

// A 35 h week, Monday to Friday: 7 h a day. November 2026: Monday 2 to
// Monday 30; 11 November (Wednesday) is a public holiday.
func week35() Schedule {
	return Schedule{Week: Spread(35*Hour, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)}
}

func TestDeclaredAbsenceLowersThePrefillByExactlyItsHours(t *testing.T) {
	nov := calendar.NewMonth(2026, 11)
	p := Presence{Entry: day(t, "2026-11-02")}
	base, err := Prefill(nov, week35(), p)
	if err != nil || base.Planned != h(20*7) || base.Attended != base.Planned {
		t.Fatalf("base %s %v", fig(base), err)
	}
	for _, a := range []Absence{
		{From: day(t, "2026-11-10"), Minutes: h(3.5), Justified: true},
		{From: day(t, "2026-11-12"), Minutes: h(2)},
		{From: day(t, "2026-11-16"), To: day(t, "2026-11-17"), Minutes: h(10.25)},
	} {
		p.Absences = append(p.Absences, a)
	}
	f, err := Prefill(nov, week35(), p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Planned != base.Planned || f.Justified != h(3.5) || f.Unjustified != h(12.25) || f.Attended != base.Planned-h(15.75) {
		t.Fatalf("with absences %s", fig(f))
	}
	if err := f.Validate(); err != nil {
		t.Fatalf("pre-filled figures must add up: %v", err)
	}
	days, _ := Days(nov, week35(), p)
	var sum Figures
	for _, d := range days {
		sum.Planned += d.Planned
		sum.Attended += d.Attended
		sum.Justified += d.Justified
		sum.Unjustified += d.Unjustified
		if d.Date == day(t, "2026-11-11") && d.Note != "Armistice 1918" {
			t.Errorf("11 November: %+v", d)
		}
		if d.Date == day(t, "2026-11-17") && d.Unjustified != h(3.25) {
			t.Errorf("17 November: %+v", d)
		}
	}
	if sum != f {
		t.Fatalf("days add up to %s, prefill %s", fig(sum), fig(f))
	}
}

func TestLivedDaysOnly(t *testing.T) {
	dec := calendar.NewMonth(2026, 12)
	p := Presence{Entry: day(t, "2026-11-02"), Lived: day(t, "2026-12-01")}
	f, err := Prefill(dec, week35(), p)
	if err != nil || f.Planned != 7*Hour || f.Attended != 7*Hour {
		t.Fatalf("1 December: %s %v", fig(f), err)
	}
	p.Lived = day(t, "2026-11-30")
	if f, _ := Prefill(dec, week35(), p); f != (Figures{}) {
		t.Fatalf("a month not begun: %s", fig(f))
	}
}

func TestCheckAbsence(t *testing.T) {
	p := Presence{
		Entry: day(t, "2026-11-02"), Exit: day(t, "2026-11-20"), Lived: day(t, "2026-11-30"),
		Interruptions: []Interruption{{Start: day(t, "2026-11-05"), Resumed: day(t, "2026-11-09")}},
		Absences:      []Absence{{From: day(t, "2026-11-10"), Minutes: h(3.5)}},
	}
	for _, c := range []struct {
		name  string
		a     Absence
		field string
		msg   string
	}{
		{"fits the day", Absence{From: day(t, "2026-11-12"), Minutes: h(7)}, "", ""},
		{"what is left of a day", Absence{From: day(t, "2026-11-10"), Minutes: h(3.5)}, "", ""},
		{"a range", Absence{From: day(t, "2026-11-16"), To: day(t, "2026-11-17"), Minutes: h(14)}, "", ""},
		{"20 h on a 7 h day", Absence{From: day(t, "2026-11-12"), Minutes: h(20)}, "hours",
			"Le jeudi 12/11/2026 ne compte que 7 h de formation prévues : l'absence ne peut pas dépasser 7 h."},
		{"more than what is left", Absence{From: day(t, "2026-11-10"), Minutes: h(4)}, "hours",
			"Le mardi 10/11/2026 compte 7 h de formation prévues, dont 3,5 h déjà déclarées en absence : au plus 3,5 h de plus."},
		{"a range too long", Absence{From: day(t, "2026-11-16"), To: day(t, "2026-11-17"), Minutes: h(14.25)}, "hours",
			"Du 16/11/2026 au 17/11/2026, 14 h de formation sont prévues, dont 0 h déjà déclarées en absence : au plus 14 h (et non 14,25 h)."},
		{"a Sunday", Absence{From: day(t, "2026-11-15"), Minutes: h(2)}, "from",
			"Le dimanche 15/11/2026 n'est pas un jour de formation (aucune heure prévue) : pas d'absence à déclarer."},
		{"a public holiday", Absence{From: day(t, "2026-11-11"), Minutes: h(2)}, "from", "mercredi 11/11/2026 n'est pas un jour de formation"},
		{"before the entry", Absence{From: day(t, "2026-10-30"), Minutes: h(2)}, "from", "avant l'entrée en formation (02/11/2026)"},
		{"after the exit", Absence{From: day(t, "2026-11-20"), To: day(t, "2026-11-23"), Minutes: h(2)}, "to", "lundi 23/11/2026 est après la sortie de formation (20/11/2026)"},
		{"during an interruption", Absence{From: day(t, "2026-11-06"), Minutes: h(2)}, "from", "Le vendredi 06/11/2026, la formation est interrompue (depuis le 05/11/2026)"},
		{"the day of the resumption", Absence{From: day(t, "2026-11-09"), Minutes: h(2)}, "", ""},
		{"not a quarter", Absence{From: day(t, "2026-11-12"), Minutes: 20}, "hours", "quart d'heure"},
		{"nothing", Absence{From: day(t, "2026-11-12")}, "hours", "Indiquez la durée"},
	} {
		err := CheckAbsence(week35(), p, c.a)
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		got := kairos.FieldErrors(err)[c.field]
		if kairos.ErrorCode(err) != kairos.EInvalid || !strings.Contains(got, c.msg) {
			t.Errorf("%s: %v (%s = %q), want %q", c.name, err, c.field, got, c.msg)
		}
	}
	// In the future.
	p.Exit, p.Lived = 0, day(t, "2026-11-24")
	if err := CheckAbsence(week35(), p, Absence{From: day(t, "2026-11-25"), Minutes: h(1)}); !strings.Contains(kairos.FieldErrors(err)["to"], "n'est pas encore passé") {
		t.Errorf("future: %v", err)
	}
}
