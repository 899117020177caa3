package lheo

import (
	"fmt"
	"time"
)

// Date is an LHÉO date, written AAAAMMJJ, stored as the number AAAAMMJJ.
//
// The standard allows partial and unknown dates:
//   - 00000000 (the zero Date) is an unknown date (UnknownDate, the rule for
//     an unknown "debut" or "date");
//   - 99999999 is an unknown end date (UnknownEnd, the rule for "fin");
//   - AAAAMM00 is a month, AAAA0000 a year.
//
// Because the numeric order is the calendar order, dates compare with <, and
// UnknownDate sorts before and UnknownEnd after every known date.
type Date uint32

const (
	// UnknownDate is 00000000, an unknown date.
	UnknownDate Date = 0
	// UnknownEnd is 99999999, an unknown end date.
	UnknownEnd Date = 99999999
)

// Precision of a Date.
type Precision uint8

const (
	PrecisionUnknown Precision = iota // 00000000 or 99999999
	PrecisionYear                     // AAAA0000
	PrecisionMonth                    // AAAAMM00
	PrecisionDay                      // AAAAMMJJ
)

// NewDate returns the date year/month/day; month and day may be 0 for a
// partial date. It does not validate: use ParseDate(d.String()) for that.
func NewDate(year, month, day int) Date {
	return Date(year*10000 + month*100 + day)
}

// DateOf returns the day of t as a Date.
func DateOf(t time.Time) Date {
	return NewDate(t.Year(), int(t.Month()), t.Day())
}

// ParseDate parses an LHÉO date AAAAMMJJ. Surrounding XML white space is
// ignored (the XSD type is xs:token). Errors are in French.
func ParseDate(s string) (Date, error) {
	s = trimSpace(s)
	if len(s) != 8 {
		return 0, fmt.Errorf("date « %s » invalide : format AAAAMMJJ attendu", s)
	}
	var n uint32
	for i := 0; i < 8; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("date « %s » invalide : format AAAAMMJJ attendu", s)
		}
		n = n*10 + uint32(c-'0')
	}
	d := Date(n)
	if d == UnknownDate || d == UnknownEnd {
		return d, nil
	}
	y, m, day := d.Year(), d.Month(), d.Day()
	switch {
	case y == 0:
		return 0, fmt.Errorf("date « %s » invalide : année 0000", s)
	case m > 12:
		return 0, fmt.Errorf("date « %s » invalide : mois %02d", s, m)
	case m == 0 && day != 0:
		return 0, fmt.Errorf("date « %s » invalide : jour sans mois", s)
	case day > daysIn(y, m):
		return 0, fmt.Errorf("date « %s » invalide : jour %02d", s, day)
	}
	return d, nil
}

func daysIn(year, month int) int {
	if month == 0 {
		return 0
	}
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// String returns the date as AAAAMMJJ.
func (d Date) String() string { return fmt.Sprintf("%08d", uint32(d)) }

// Year returns the year, 0 when unknown.
func (d Date) Year() int {
	if d == UnknownEnd {
		return 0
	}
	return int(d / 10000)
}

// Month returns the month (1–12), 0 when unknown.
func (d Date) Month() int {
	if d == UnknownEnd {
		return 0
	}
	return int(d / 100 % 100)
}

// Day returns the day of the month, 0 when unknown.
func (d Date) Day() int {
	if d == UnknownEnd {
		return 0
	}
	return int(d % 100)
}

// IsUnknown reports whether d is 00000000 or 99999999.
func (d Date) IsUnknown() bool { return d == UnknownDate || d == UnknownEnd }

// Precision returns how precise d is.
func (d Date) Precision() Precision {
	switch {
	case d.IsUnknown():
		return PrecisionUnknown
	case d.Month() == 0:
		return PrecisionYear
	case d.Day() == 0:
		return PrecisionMonth
	}
	return PrecisionDay
}

// First returns the first day covered by d (1 January for a year, the 1st
// for a month), in UTC. ok is false for an unknown date.
func (d Date) First() (t time.Time, ok bool) {
	if d.IsUnknown() {
		return time.Time{}, false
	}
	m, day := max(d.Month(), 1), max(d.Day(), 1)
	return time.Date(d.Year(), time.Month(m), day, 0, 0, 0, 0, time.UTC), true
}

// Last returns the last day covered by d (31 December for a year, the last
// day of the month for a month), in UTC. ok is false for an unknown date.
func (d Date) Last() (t time.Time, ok bool) {
	if d.IsUnknown() {
		return time.Time{}, false
	}
	m := d.Month()
	if m == 0 {
		m = 12
	}
	day := d.Day()
	if day == 0 {
		day = daysIn(d.Year(), m)
	}
	return time.Date(d.Year(), time.Month(m), day, 0, 0, 0, 0, time.UTC), true
}

// MarshalText implements encoding.TextMarshaler (AAAAMMJJ).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (AAAAMMJJ).
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// trimSpace removes XML white space (space, tab, CR, LF) around s, as the
// whiteSpace="collapse" facet of xs:token and xs:long does.
func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isXMLSpace(s[i]) {
		i++
	}
	for j > i && isXMLSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isBlank(s string) bool { return trimSpace(s) == "" }
