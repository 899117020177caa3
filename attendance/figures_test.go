package attendance

import (
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/calendar"
)

func TestMinutesFrench(t *testing.T) {
	for m, want := range map[Minutes]string{
		0: "0 h", 15: "0,25 h", 30: "0,5 h", 45: "0,75 h", 420: "7 h", 450: "7,5 h", 465: "7,75 h",
		6540: "109 h", 440: "7,33 h", 1: "0,02 h", 59: "0,98 h", -150: "-2,5 h",
	} {
		if got := m.String(); got != want {
			t.Errorf("Minutes(%d) = %q, want %q", int(m), got, want)
		}
	}
	if Minutes(450).Decimal() != "7,5" {
		t.Error("Decimal")
	}
}

func TestParseHours(t *testing.T) {
	for in, want := range map[string]Minutes{
		"7": 420, "7,5": 450, "7.25": 435, "7,5 h": 450, "7,5h": 450, "7h30": 450, "7 h 30": 450, "7H": 420,
		"07,50": 450, " 3,75 ": 225, "0,1": 6, "0": 0, "-2": -120, "-1h15": -75, "7,": 420, "1 234": 1234 * 60,
		"7\u00a0h": 420,
	} {
		got, err := ParseHours(in)
		if err != nil || got != want {
			t.Errorf("ParseHours(%q) = %d, %v; want %d", in, got, err, want)
		}
		// What is shown parses back to the same value.
		if back, err := ParseHours(got.String()); err != nil || back != got {
			t.Errorf("ParseHours(%q) = %d, %v", got.String(), back, err)
		}
	}
	for _, in := range []string{"", "abc", "7,5,5", "h30", "7h75", "7h3", "+3", "1e3", "-", ",5", "7,123", "7h-5", "7..5", "3,+5"} {
		if _, err := ParseHours(in); err == nil {
			t.Errorf("ParseHours(%q) accepted", in)
		} else if !strings.Contains(err.Error(), "heures") {
			t.Errorf("ParseHours(%q): message %q", in, err)
		}
	}
	if _, err := ParseHours("7,33"); err == nil || !strings.Contains(err.Error(), "quart d'heure") {
		t.Errorf("7,33: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		f    Figures
		want map[string]string
	}{
		{"pre-filled", Figures{Planned: h(154), Attended: h(145), Justified: h(2), Unjustified: h(7)}, nil},
		{"nothing planned", Figures{}, nil},
		{"figures that do not add up", Figures{Planned: h(10), Attended: h(5), Unjustified: h(1)}, map[string]string{
			FieldAttended: "Les heures réalisées et les absences (6 h au total) doivent faire les heures prévues (10 h) : il manque 4 h.",
		}},
		{"13 h attended + 0 h absent out of 14 h planned", Figures{Planned: h(14), Attended: h(13)}, map[string]string{
			FieldAttended: "Les heures réalisées et les absences (13 h au total) doivent faire les heures prévues (14 h) : il manque 1 h.",
		}},
		{"a quarter of an hour short", Figures{Planned: h(154), Attended: h(146.75), Justified: h(7)}, map[string]string{
			FieldAttended: "Les heures réalisées et les absences (153,75 h au total) doivent faire les heures prévues (154 h) : il manque 0,25 h.",
		}},
		{"negative", Figures{Planned: h(7), Attended: h(8), Justified: -Hour}, map[string]string{
			FieldJustified: "Le nombre d'heures ne peut pas être négatif.",
		}},
		{"not a quarter", Figures{Planned: h(7), Attended: 440}, map[string]string{
			FieldAttended: "Indiquez les heures au quart d'heure près (par exemple 7,25 ou 7,5) ; « 7,33 h » n'en est pas un multiple.",
		}},
		{"several fields", Figures{Planned: -15, Attended: 10, Justified: 7, Unjustified: -1}, map[string]string{
			FieldPlanned:     "Le nombre d'heures ne peut pas être négatif.",
			FieldAttended:    "Indiquez les heures au quart d'heure près (par exemple 7,25 ou 7,5) ; « 0,17 h » n'en est pas un multiple.",
			FieldJustified:   "Indiquez les heures au quart d'heure près (par exemple 7,25 ou 7,5) ; « 0,12 h » n'en est pas un multiple.",
			FieldUnjustified: "Le nombre d'heures ne peut pas être négatif.",
		}},
		{"attended above planned", Figures{Planned: h(7), Attended: h(7.25)}, map[string]string{
			FieldAttended: "Les heures réalisées (7,25 h) ne peuvent pas dépasser les heures prévues (7 h).",
		}},
		{"attended and absences above planned", Figures{Planned: h(154), Attended: h(150), Unjustified: h(7)}, map[string]string{
			FieldAttended: "Les heures réalisées et les absences (157 h au total) dépassent de 3 h les heures prévues (154 h).",
		}},
	} {
		err := c.f.Validate()
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if kairos.ErrorCode(err) != kairos.EInvalid {
			t.Errorf("%s: error %v", c.name, err)
			continue
		}
		got := kairos.FieldErrors(err)
		if len(got) != len(c.want) {
			t.Errorf("%s: fields %v, want %v", c.name, got, c.want)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", c.name, k, got[k], v)
			}
		}
	}
}

func TestDue(t *testing.T) {
	paris := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, calendar.Paris())
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	may, dec, jan := calendar.NewMonth(2026, 5), calendar.NewMonth(2026, 12), calendar.NewMonth(2026, 1)
	for _, c := range []struct {
		day  DueDay
		m    calendar.Month
		want string
	}{
		{DefaultDueDay, may, "2026-06-05"},
		{DefaultDueDay, dec, "2027-01-05"},
		{0, may, "2026-06-05"},  // zero means the default
		{10, may, "2026-06-10"}, // configured
		{31, jan, "2026-02-28"}, // beyond the end of February: its last day
		{1, calendar.NewMonth(2026, 2), "2026-03-01"},
	} {
		if got := c.day.Date(c.m).String(); got != c.want {
			t.Errorf("DueDay(%d).Date(%s) = %s, want %s", c.day, c.m, got, c.want)
		}
	}
	if DueDate(may).String() != "2026-06-05" || DueDate(0) != 0 || IsOverdue(0, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("package DueDate")
	}
	for _, c := range []struct {
		m       calendar.Month
		now     time.Time
		overdue bool
	}{
		{may, paris("2026-05-31 12:00:00"), false},
		{may, paris("2026-06-05 23:59:59"), false},
		{may, paris("2026-06-06 00:00:00"), true}, // 22:00 UTC on 5 June
		{may, time.Date(2026, 6, 5, 21, 59, 59, 0, time.UTC), false},
		{may, time.Date(2026, 6, 5, 22, 0, 0, 0, time.UTC), true},
		{dec, time.Date(2027, 1, 5, 22, 59, 59, 0, time.UTC), false}, // 23:59:59 CET
		{dec, time.Date(2027, 1, 5, 23, 0, 0, 0, time.UTC), true},
		// February's attestation is due on 5 March; March's on 5 April, after the change of time.
		{calendar.NewMonth(2026, 3), paris("2026-04-05 23:30:00"), false},
		{calendar.NewMonth(2026, 3), paris("2026-04-06 00:30:00"), true},
	} {
		if got := IsOverdue(c.m, c.now); got != c.overdue {
			t.Errorf("IsOverdue(%s, %s) = %v", c.m, c.now.Format(time.RFC3339), got)
		}
	}
	if DueDay(10).IsOverdue(may, paris("2026-06-08 10:00:00")) {
		t.Error("configured due day")
	}
}
