package calendar

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Region selects the public holidays that apply: the national list, plus the
// extras of some territories. The zero Region is Metropole.
type Region uint8

const (
	// Metropole is metropolitan France: the 11 national public holidays.
	Metropole Region = iota
	// AlsaceMoselle adds Good Friday and 26 December (local law of the
	// Bas-Rhin, Haut-Rhin and Moselle, Code du travail L3134-13).
	AlsaceMoselle
)

// Holiday is a public holiday.
type Holiday struct {
	Date Date
	Name string // French, e.g. "Lundi de Pâques"
}

// holidayRule is a holiday fixed in the calendar (month, day) or relative to
// Easter Sunday (easter days after it, when month is 0).
type holidayRule struct {
	month  time.Month
	day    int
	easter int
	name   string
}

// national is the list of French public holidays (Code du travail L3133-1).
var national = []holidayRule{
	{month: time.January, day: 1, name: "Jour de l'an"},
	{easter: 1, name: "Lundi de Pâques"},
	{month: time.May, day: 1, name: "Fête du Travail"},
	{month: time.May, day: 8, name: "Victoire 1945"},
	{easter: 39, name: "Ascension"},
	{easter: 50, name: "Lundi de Pentecôte"}, // often the worked "journée de solidarité": sessions adjust it per day
	{month: time.July, day: 14, name: "Fête nationale"},
	{month: time.August, day: 15, name: "Assomption"},
	{month: time.November, day: 1, name: "Toussaint"},
	{month: time.November, day: 11, name: "Armistice 1918"},
	{month: time.December, day: 25, name: "Noël"},
}

// regionExtras is the one place that says which holidays a region adds to
// the national list.
var regionExtras = map[Region][]holidayRule{
	AlsaceMoselle: {
		{easter: -2, name: "Vendredi saint"},
		{month: time.December, day: 26, name: "Saint-Étienne"},
	},
}

// regionNames are the configuration names of the regions.
var regionNames = map[Region]string{
	Metropole:     "metropole",
	AlsaceMoselle: "alsace-moselle",
}

// alsaceMoselleDepartements are the départements where AlsaceMoselle applies.
var alsaceMoselleDepartements = []string{"57", "67", "68"}

// String returns the configuration name of r ("metropole", "alsace-moselle").
func (r Region) String() string {
	if s, ok := regionNames[r]; ok {
		return s
	}
	return fmt.Sprintf("Region(%d)", uint8(r))
}

// ParseRegion reads a configuration name; "" is Metropole.
func ParseRegion(s string) (Region, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return Metropole, nil
	}
	for r, name := range regionNames {
		if name == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("région de jours fériés « %s » inconnue (attendu : metropole ou alsace-moselle)", s)
}

// RegionOf returns the Region of a département code ("67", "2A", "975"…):
// AlsaceMoselle for 57, 67 and 68, Metropole otherwise.
func RegionOf(departement string) Region {
	if slices.Contains(alsaceMoselleDepartements, strings.TrimSpace(departement)) {
		return AlsaceMoselle
	}
	return Metropole
}

// Easter returns Easter Sunday of year (Gregorian calendar, the anonymous
// algorithm of Meeus/Jones/Butcher).
func Easter(year int) Date {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return NewDate(year, time.Month(month), day)
}

func (r Region) rules() [][]holidayRule {
	return [][]holidayRule{national, regionExtras[r]}
}

func (h holidayRule) date(year int, easter Date) Date {
	if h.month == 0 {
		return easter.AddDays(h.easter)
	}
	return NewDate(year, h.month, h.day)
}

// Holidays returns the public holidays of year in r, by date. Two holidays
// may fall on the same day (1 May and Ascension in 2008): both are listed.
func (r Region) Holidays(year int) []Holiday {
	easter := Easter(year)
	var out []Holiday
	for _, rules := range r.rules() {
		for _, h := range rules {
			out = append(out, Holiday{Date: h.date(year, easter), Name: h.name})
		}
	}
	slices.SortStableFunc(out, func(a, b Holiday) int { return int(a.Date) - int(b.Date) })
	return out
}

// HolidayName returns the French name of the public holiday on d in r, and
// whether d is one. Two holidays on one day are named "Fête du Travail et
// Ascension".
func (r Region) HolidayName(d Date) (string, bool) {
	if d.IsZero() {
		return "", false
	}
	year, month, _ := d.Date()
	var easter Date
	if month >= time.March && month <= time.June { // Good Friday ≥ 20 March, Whit Monday ≤ 14 June
		easter = Easter(year)
	}
	var names []string
	for _, rules := range r.rules() {
		for _, h := range rules {
			if h.month == 0 && easter.IsZero() || h.month != 0 && h.month != month {
				continue
			}
			if h.date(year, easter) == d {
				names = append(names, h.name)
			}
		}
	}
	return strings.Join(names, " et "), len(names) > 0
}

// IsWorkingDay reports whether d is a working day in r: Monday to Friday and
// not a public holiday.
func (r Region) IsWorkingDay(d Date) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, holiday := r.HolidayName(d)
	return !holiday
}

// AddWorkingDays returns the n-th working day after d (before d when n is
// negative); d itself is not counted, and need not be a working day.
// AddWorkingDays(d, 0) is d.
func (r Region) AddWorkingDays(d Date, n int) Date {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 && !d.IsZero() {
		d = d.AddDays(step)
		if r.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// Holidays returns the public holidays of year in metropolitan France.
func Holidays(year int) []Holiday { return Metropole.Holidays(year) }

// HolidayName returns the name of the metropolitan public holiday on d, if
// d is one.
func HolidayName(d Date) (string, bool) { return Metropole.HolidayName(d) }

// IsWorkingDay reports whether d is a working day in metropolitan France.
func IsWorkingDay(d Date) bool { return Metropole.IsWorkingDay(d) }

// AddWorkingDays is Metropole.AddWorkingDays.
func AddWorkingDays(d Date, n int) Date { return Metropole.AddWorkingDays(d, n) }
