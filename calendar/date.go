package calendar

import (
	"fmt"
	"iter"
	"strconv"
	"time"
	_ "time/tzdata" // Europe/Paris even where the system has no time zone database
)

// Date is a civil date (year, month, day) with no time zone. It is stored as
// a day number, so dates compare with <, ==, > and d+1 is the next day; the
// zero Date means "no date" (IsZero). Valid dates run from 0001-01-01 to
// 9999-12-31.
//
// Do not build a Date from a number: use NewDate, DateOf or ParseDate.
type Date int32

const (
	// unixDay is the Date of 1970-01-01: day numbers start at 1 on 0001-01-01.
	unixDay = 719163
	minDay  = 1
	maxDay  = 3652059 // 9999-12-31
)

var paris = mustLoadParis()

func mustLoadParis() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic("calendar: Europe/Paris time zone: " + err.Error())
	}
	return loc
}

// Paris returns the Europe/Paris location, the one the platform's civil dates
// are read in.
func Paris() *time.Location { return paris }

// NewDate returns the date year-month-day. Like time.Date it normalises out of
// range values: NewDate(2026, 2, 30) is 2 March and NewDate(2026, 3, 0) is the
// last day of February. It returns the zero Date outside years 1 to 9999.
func NewDate(year int, month time.Month, day int) Date {
	m := int(month) - 1
	year += floorDiv(m, 12)
	m -= floorDiv(m, 12) * 12
	if year < 1 || year > 9999 {
		return 0
	}
	n := daysFromCivil(year, m+1, 1) + unixDay + day - 1
	if n < minDay || n > maxDay {
		return 0
	}
	return Date(n)
}

// DateOf returns the civil date, in Europe/Paris, of the instant t.
// 2026-03-28T23:30:00Z is already 29 March in Paris.
func DateOf(t time.Time) Date {
	y, m, d := t.In(paris).Date()
	return NewDate(y, m, d)
}

// ParseDate parses "2026-11-26" (ISO 8601, what an HTML date input sends) or
// "26/11/2026" (French). The date must exist. Errors are in French.
func ParseDate(s string) (Date, error) {
	var y, m, d string
	switch {
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		y, m, d = s[0:4], s[5:7], s[8:10]
	case len(s) == 10 && s[2] == '/' && s[5] == '/':
		d, m, y = s[0:2], s[3:5], s[6:10]
	default:
		return 0, dateError(s)
	}
	yy, e1 := atoi(y)
	mm, e2 := atoi(m)
	dd, e3 := atoi(d)
	if !e1 || !e2 || !e3 || mm < 1 || mm > 12 || dd < 1 || dd > daysIn(yy, time.Month(mm)) {
		return 0, dateError(s)
	}
	date := NewDate(yy, time.Month(mm), dd)
	if date.IsZero() {
		return 0, dateError(s)
	}
	return date, nil
}

func dateError(s string) error {
	return fmt.Errorf("« %s » n'est pas une date valide (format attendu : JJ/MM/AAAA)", s)
}

// atoi parses a run of ASCII digits only (no sign, no spaces).
func atoi(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, len(s) > 0
}

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d == 0 }

// Date returns the year, month and day of d.
func (d Date) Date() (year int, month time.Month, day int) {
	y, m, dd := civilFromDays(int(d) - unixDay)
	return y, time.Month(m), dd
}

// Year returns the year of d.
func (d Date) Year() int { y, _, _ := d.Date(); return y }

// Month returns the month of the year of d.
func (d Date) Month() time.Month { _, m, _ := d.Date(); return m }

// Day returns the day of the month of d.
func (d Date) Day() int { _, _, dd := d.Date(); return dd }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	// 1970-01-01 was a Thursday.
	return time.Weekday(((int(d)-unixDay)%7 + 7 + int(time.Thursday)) % 7)
}

// AddDays returns d plus n days (n may be negative). The zero Date stays zero.
func (d Date) AddDays(n int) Date {
	if d.IsZero() {
		return 0
	}
	r := int(d) + n
	if r < minDay || r > maxDay {
		return 0
	}
	return Date(r)
}

// Sub returns the number of days from e to d: d.Sub(e) == 1 when d is the day
// after e.
func (d Date) Sub(e Date) int { return int(d) - int(e) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d < e }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d > e }

// Midnight returns the instant d starts in Europe/Paris (always 00:00: the
// French changes of time happen at 02:00 and 03:00).
func (d Date) Midnight() time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, paris)
}

// String returns d as "2026-11-26" (ISO 8601), "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	y, m, dd := d.Date()
	return fmt.Sprintf("%04d-%02d-%02d", y, int(m), dd)
}

// French returns d as "26/11/2026", "" for the zero Date.
func (d Date) French() string {
	if d.IsZero() {
		return ""
	}
	y, m, dd := d.Date()
	return fmt.Sprintf("%02d/%02d/%04d", dd, int(m), y)
}

// MarshalText writes d as "2026-11-26" ("" for the zero Date), so JSON and
// forms carry ISO dates.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what ParseDate accepts; "" is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = 0
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Range is the inclusive run of days From..To. It is empty when To is before
// From or either end is zero.
type Range struct {
	From, To Date
}

// IsEmpty reports whether r holds no day.
func (r Range) IsEmpty() bool { return r.From.IsZero() || r.To.IsZero() || r.To < r.From }

// Len returns the number of days of r.
func (r Range) Len() int {
	if r.IsEmpty() {
		return 0
	}
	return r.To.Sub(r.From) + 1
}

// Contains reports whether d is one of the days of r.
func (r Range) Contains(d Date) bool { return !r.IsEmpty() && !d.IsZero() && r.From <= d && d <= r.To }

// Intersect returns the days common to r and o (possibly empty).
func (r Range) Intersect(o Range) Range {
	if r.IsEmpty() || o.IsEmpty() {
		return Range{}
	}
	out := Range{From: max(r.From, o.From), To: min(r.To, o.To)}
	if out.IsEmpty() {
		return Range{}
	}
	return out
}

// Days iterates over the days of r in order.
func (r Range) Days() iter.Seq[Date] {
	return func(yield func(Date) bool) {
		if r.IsEmpty() {
			return
		}
		for d := r.From; d <= r.To; d++ {
			if !yield(d) {
				return
			}
		}
	}
}

// Month is a calendar month, stored as year*12 + month-1 so months compare
// with < and m+1 is the next month. The zero Month means "no month".
type Month int32

// NewMonth returns the month year-month, normalising month like time.Date
// (NewMonth(2026, 13) is January 2027). It returns the zero Month outside
// years 1 to 9999.
func NewMonth(year int, month time.Month) Month {
	n := year*12 + int(month) - 1
	if n < 12 || n > 9999*12+11 {
		return 0
	}
	return Month(n)
}

// MonthOf returns the month of d.
func MonthOf(d Date) Month {
	y, m, _ := d.Date()
	return NewMonth(y, m)
}

// ParseMonth parses "2026-05". Errors are in French.
func ParseMonth(s string) (Month, error) {
	if len(s) == 7 && s[4] == '-' {
		y, ok1 := atoi(s[:4])
		m, ok2 := atoi(s[5:])
		if ok1 && ok2 && m >= 1 && m <= 12 && y >= 1 {
			return NewMonth(y, time.Month(m)), nil
		}
	}
	return 0, fmt.Errorf("« %s » n'est pas un mois valide (format attendu : AAAA-MM)", s)
}

// IsZero reports whether m is the zero Month.
func (m Month) IsZero() bool { return m == 0 }

// Year returns the year of m.
func (m Month) Year() int { return int(m) / 12 }

// Month returns the month of the year of m.
func (m Month) Month() time.Month { return time.Month(int(m)%12 + 1) }

// AddMonths returns m plus n months.
func (m Month) AddMonths(n int) Month {
	if m.IsZero() {
		return 0
	}
	return NewMonth(m.Year(), m.Month()+time.Month(n))
}

// First returns the first day of m.
func (m Month) First() Date {
	if m.IsZero() {
		return 0
	}
	return NewDate(m.Year(), m.Month(), 1)
}

// Last returns the last day of m.
func (m Month) Last() Date {
	if m.IsZero() {
		return 0
	}
	return NewDate(m.Year(), m.Month()+1, 0)
}

// Days returns the days of m as a Range.
func (m Month) Days() Range { return Range{From: m.First(), To: m.Last()} }

// String returns m as "2026-05", "" for the zero Month.
func (m Month) String() string {
	if m.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d", m.Year(), int(m.Month()))
}

var monthNames = [...]string{"janvier", "février", "mars", "avril", "mai", "juin",
	"juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// French returns m as "mai 2026", "" for the zero Month.
func (m Month) French() string {
	if m.IsZero() {
		return ""
	}
	return monthNames[m.Month()-1] + " " + strconv.Itoa(m.Year())
}

// FrenchOf returns m with its preposition, elided before a vowel: "de mai
// 2026", "d'avril 2026", "d'août 2026", "d'octobre 2026".
func (m Month) FrenchOf() string {
	f := m.French()
	if f == "" {
		return ""
	}
	switch f[0] {
	case 'a', 'o':
		return "d'" + f
	}
	return "de " + f
}

// MarshalText writes m as "2026-05".
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads "2026-05"; "" is the zero Month.
func (m *Month) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = 0
		return nil
	}
	v, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

func daysIn(year int, month time.Month) int {
	return NewDate(year, month+1, 0).Day()
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// daysFromCivil returns the number of days from 1970-01-01 to y-m-d
// (proleptic Gregorian calendar; H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int) (y, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

var frenchWeekdays = [7]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}

// LongFrench returns d as "mardi 10/11/2026", "" for the zero Date.
func (d Date) LongFrench() string {
	if d.IsZero() {
		return ""
	}
	return frenchWeekdays[d.Weekday()] + " " + d.French()
}
