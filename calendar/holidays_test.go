package calendar

import (
	"strings"
	"testing"
	"time"
)

func TestEaster(t *testing.T) {
	for year, want := range map[int]string{
		1818: "1818-03-22", // earliest possible date
		1943: "1943-04-25", // latest possible date
		2008: "2008-03-23",
		2011: "2011-04-24",
		2019: "2019-04-21",
		2024: "2024-03-31",
		2025: "2025-04-20",
		2026: "2026-04-05",
		2027: "2027-03-28",
		2038: "2038-04-25",
		2285: "2285-03-22",
	} {
		if got := Easter(year).String(); got != want {
			t.Errorf("Easter(%d) = %s, want %s", year, got, want)
		}
	}
	for y := 1583; y <= 4099; y++ {
		e := Easter(y)
		if e.Weekday() != time.Sunday || e < NewDate(y, 3, 22) || e > NewDate(y, 4, 25) {
			t.Fatalf("Easter(%d) = %s %v", y, e, e.Weekday())
		}
	}
}

func TestHolidays2026(t *testing.T) {
	want := []string{
		"2026-01-01 Jour de l'an",
		"2026-04-06 Lundi de Pâques",
		"2026-05-01 Fête du Travail",
		"2026-05-08 Victoire 1945",
		"2026-05-14 Ascension",
		"2026-05-25 Lundi de Pentecôte",
		"2026-07-14 Fête nationale",
		"2026-08-15 Assomption",
		"2026-11-01 Toussaint",
		"2026-11-11 Armistice 1918",
		"2026-12-25 Noël",
	}
	check := func(t *testing.T, got []Holiday, want []string) {
		t.Helper()
		var s []string
		for _, h := range got {
			s = append(s, h.Date.String()+" "+h.Name)
		}
		if strings.Join(s, "\n") != strings.Join(want, "\n") {
			t.Errorf("got\n%s\nwant\n%s", strings.Join(s, "\n"), strings.Join(want, "\n"))
		}
	}
	check(t, Holidays(2026), want)
	am := append([]string{}, want...)
	am = append(am[:1], append([]string{"2026-04-03 Vendredi saint"}, am[1:]...)...)
	am = append(am, "2026-12-26 Saint-Étienne")
	check(t, AlsaceMoselle.Holidays(2026), am)
	for _, h := range AlsaceMoselle.Holidays(2026) {
		if name, ok := AlsaceMoselle.HolidayName(h.Date); !ok || name != h.Name {
			t.Errorf("HolidayName(%s) = %q %v, want %q", h.Date, name, ok, h.Name)
		}
	}
	if _, ok := HolidayName(NewDate(2026, 4, 3)); ok {
		t.Error("Good Friday is not a holiday outside Alsace-Moselle")
	}
	if _, ok := HolidayName(NewDate(2026, 12, 26)); ok {
		t.Error("26 December is not a holiday outside Alsace-Moselle")
	}
	if _, ok := HolidayName(0); ok {
		t.Error("the zero Date is no holiday")
	}
}

func TestHolidaysOnTheSameDay(t *testing.T) {
	// In 2008 Easter was on 23 March: Ascension fell on 1 May.
	name, ok := HolidayName(NewDate(2008, 5, 1))
	if !ok || name != "Fête du Travail et Ascension" {
		t.Errorf("1 May 2008: %q %v", name, ok)
	}
	if n := len(Holidays(2008)); n != 11 {
		t.Errorf("2008 lists %d holidays, want 11", n)
	}
}

func TestWorkingDays(t *testing.T) {
	d := func(s string) Date { return mustDate(t, s) }
	// May 2026: 31 days from Friday 1; 10 weekend days; holidays on weekdays
	// 1 (Fri), 8 (Fri), 14 (Thu), 25 (Mon) → 31 − 10 − 4 = 17 working days.
	n := 0
	for day := range NewMonth(2026, 5).Days().Days() {
		if IsWorkingDay(day) {
			n++
		}
	}
	if n != 17 {
		t.Errorf("May 2026 has %d working days, want 17", n)
	}
	for _, c := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-04-30", 1, "2026-05-04"},  // Fri 1 May holiday, weekend
		{"2026-04-30", 0, "2026-04-30"},  // zero: the day itself
		{"2026-05-02", 0, "2026-05-02"},  // even a Saturday
		{"2026-05-02", 1, "2026-05-04"},  // from a Saturday
		{"2026-05-07", 3, "2026-05-13"},  // Fri 8 holiday: Mon 11, Tue 12, Wed 13
		{"2026-05-11", -1, "2026-05-07"}, // back over the weekend and 8 May
		{"2026-05-13", 2, "2026-05-18"},  // Thu 14 Ascension: Fri 15, Mon 18
		{"2026-12-24", 1, "2026-12-28"},  // Fri 25 Noël
		{"2026-12-31", 1, "2027-01-04"},  // Fri 1 Jan, weekend
	} {
		if got := AddWorkingDays(d(c.from), c.n); got != d(c.want) {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", c.from, c.n, got, c.want)
		}
	}
	// Alsace-Moselle: Friday 25 and Saturday 26 December 2025, Good Friday 18 April 2025.
	if got := AlsaceMoselle.AddWorkingDays(d("2025-04-17"), 1); got != d("2025-04-22") {
		t.Errorf("Alsace-Moselle after Thu 17 April 2025: %s, want Tue 22 (Good Friday, Easter Monday)", got)
	}
	if got := AddWorkingDays(d("2025-04-17"), 1); got != d("2025-04-18") {
		t.Errorf("metropole after Thu 17 April 2025: %s", got)
	}
	if AlsaceMoselle.IsWorkingDay(d("2026-12-26")) || !AlsaceMoselle.IsWorkingDay(d("2026-12-28")) {
		t.Error("Alsace-Moselle IsWorkingDay")
	}
}

func TestRegions(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Region
	}{{"", Metropole}, {"metropole", Metropole}, {" Alsace-Moselle ", AlsaceMoselle}} {
		if r, err := ParseRegion(c.in); err != nil || r != c.want {
			t.Errorf("ParseRegion(%q) = %v %v", c.in, r, err)
		}
	}
	if _, err := ParseRegion("guyane"); err == nil {
		t.Error("unknown region accepted")
	}
	if AlsaceMoselle.String() != "alsace-moselle" || Metropole.String() != "metropole" || Region(9).String() != "Region(9)" {
		t.Error("Region.String")
	}
	for dep, want := range map[string]Region{"57": AlsaceMoselle, "67": AlsaceMoselle, "68": AlsaceMoselle, "75": Metropole, "2A": Metropole, "974": Metropole} {
		if RegionOf(dep) != want {
			t.Errorf("RegionOf(%q) = %v", dep, RegionOf(dep))
		}
	}
}
