package attendance

import (
	"fmt"
	"strconv"
	"strings"
)

// Minutes is a number of hours, counted in whole minutes. Attested figures
// are whole quarter-hours (IsQuarter).
type Minutes int

const (
	Quarter Minutes = 15
	Hour    Minutes = 60
)

// IsQuarter reports whether m is a whole number of quarter-hours.
func (m Minutes) IsQuarter() bool { return m%Quarter == 0 }

// Decimal returns m as French decimal hours without unit, as a form field
// shows it: "7,5", "7,25", "7", "0"; non-quarter values are rounded to the
// hundredth ("7,33").
func (m Minutes) Decimal() string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	h, rest := int(m/Hour), int(m%Hour)
	hundredths := (rest*100 + 30) / 60 // rest ≤ 59 gives at most 98
	if hundredths == 0 {
		return sign + strconv.Itoa(h)
	}
	frac := strings.TrimRight(fmt.Sprintf("%02d", hundredths), "0")
	return sign + strconv.Itoa(h) + "," + frac
}

// String returns m as "7,5 h".
func (m Minutes) String() string { return m.Decimal() + " h" }

// ParseHours reads hours typed by a user: "7", "7,5", "7.25", "7,5 h",
// "7h30", "7 h 30". The result must be a whole number of minutes; the
// quarter-hour and sign checks are Figures.Validate's. Errors are in French.
func ParseHours(s string) (Minutes, error) {
	in := s
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	s = strings.ReplaceAll(s, "\u00a0", "")
	bad := func() (Minutes, error) {
		return 0, fmt.Errorf("« %s » n'est pas un nombre d'heures valide (exemple : 7,5)", strings.TrimSpace(in))
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var total Minutes
	if h, mm, ok := strings.Cut(strings.ToLower(s), "h"); ok && mm != "" {
		// 7h30
		hh, err1 := strconv.Atoi(h)
		mn, err2 := strconv.Atoi(mm)
		if err1 != nil || err2 != nil || hh < 0 || mn < 0 || mn > 59 || len(mm) != 2 || h == "" || len(h) > 6 {
			return bad()
		}
		total = Minutes(hh)*Hour + Minutes(mn)
	} else {
		s = strings.TrimSuffix(strings.ToLower(s), "h")
		s = strings.Replace(s, ",", ".", 1)
		whole, frac, _ := strings.Cut(s, ".")
		if whole == "" || len(frac) > 2 || len(whole) > 6 {
			return bad()
		}
		hh, err := strconv.Atoi(whole)
		if err != nil || hh < 0 || strings.ContainsAny(whole, "+-") {
			return bad()
		}
		hundredths := 0
		if frac != "" {
			f, err := strconv.Atoi(frac)
			if err != nil || strings.ContainsAny(frac, "+-") {
				return bad()
			}
			if len(frac) == 1 {
				f *= 10
			}
			hundredths = f
		}
		if hundredths*60%100 != 0 {
			return 0, fmt.Errorf("« %s » ne tombe pas sur une minute entière : indiquez les heures au quart d'heure (exemple : 7,25 ou 7,5)", strings.TrimSpace(in))
		}
		total = Minutes(hh)*Hour + Minutes(hundredths*60/100)
	}
	if neg {
		total = -total
	}
	return total, nil
}
