package quotes

import (
	"strconv"
	"strings"
)

// Cents is an amount of money in euro cents. Amounts are never floats.
type Cents int64

// MaxCents bounds every amount (10 million euros): sums of a few lines can
// never overflow.
const MaxCents Cents = 1_000_000_000

// String formats c the French way: « 3 200,00 € » (narrow no-break space).
func (c Cents) String() string {
	neg := c < 0
	if neg {
		c = -c
	}
	euros := strconv.FormatInt(int64(c)/100, 10)
	var b strings.Builder
	if neg {
		b.WriteString("-")
	}
	for i, r := range euros {
		if i > 0 && (len(euros)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(r)
	}
	cts := int64(c) % 100
	b.WriteString(",")
	if cts < 10 {
		b.WriteString("0")
	}
	b.WriteString(strconv.FormatInt(cts, 10))
	b.WriteString("\u00a0€")
	return b.String()
}

// Plain formats c for a form field or a CSV cell: « 3200,00 ».
func (c Cents) Plain() string {
	s := c.String()
	s = strings.TrimSuffix(s, "\u00a0€")
	return strings.ReplaceAll(s, "\u202f", "")
}

// ParseCents reads an amount in euros as a person types it: « 3200 »,
// « 3 200,50 », « 3200.5 », « 3 200,50 € ». At most two decimals; no sign.
func ParseCents(s string) (Cents, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "€"))
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "").Replace(s)
	if s == "" || len(s) > 16 {
		return 0, false
	}
	s = strings.Replace(s, ",", ".", 1)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || !digits(whole) || (frac != "" && !digits(frac)) {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	e, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || e > int64(MaxCents)/100 {
		return 0, false
	}
	c := Cents(e*100 + f)
	return c, c <= MaxCents
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Quarters is a duration in quarter hours, like attendance: 4 = one hour.
type Quarters int64

// MaxQuarters bounds the hours of a quote (5 000 h).
const MaxQuarters Quarters = 5000 * 4

// String formats q as « 12 h 15 » (« 12 h » on the hour).
func (q Quarters) String() string {
	h, m := int64(q)/4, (int64(q)%4)*15
	if m == 0 {
		return strconv.FormatInt(h, 10) + "\u00a0h"
	}
	return strconv.FormatInt(h, 10) + "\u00a0h\u00a0" + strconv.FormatInt(m, 10)
}

// Plain formats q for a form field: « 12,25 ».
func (q Quarters) Plain() string {
	h, r := int64(q)/4, int64(q)%4
	switch r {
	case 0:
		return strconv.FormatInt(h, 10)
	case 1:
		return strconv.FormatInt(h, 10) + ",25"
	case 2:
		return strconv.FormatInt(h, 10) + ",5"
	}
	return strconv.FormatInt(h, 10) + ",75"
}

// Hours returns q in whole hours, rounded up (for thresholds in hours).
func (q Quarters) Hours() int64 { return (int64(q) + 3) / 4 }

// ParseQuarters reads hours as typed: « 12 », « 12,5 », « 12.25 », « 12h15 »,
// « 12 h 45 ». Only whole quarter hours are accepted.
func ParseQuarters(s string) (Quarters, bool) {
	s = strings.ToLower(strings.NewReplacer(" ", "", "\u00a0", "").Replace(strings.TrimSpace(s)))
	if s == "" || len(s) > 10 {
		return 0, false
	}
	var h, min int64
	if hs, ms, ok := strings.Cut(s, "h"); ok {
		if !digits(hs) || hs == "" || !digits(ms) || len(ms) > 2 {
			return 0, false
		}
		h, _ = strconv.ParseInt(hs, 10, 64)
		if ms != "" {
			min, _ = strconv.ParseInt(ms, 10, 64)
		}
	} else {
		s = strings.Replace(s, ",", ".", 1)
		hs, fs, _ := strings.Cut(s, ".")
		if hs == "" || !digits(hs) || !digits(fs) || len(fs) > 2 {
			return 0, false
		}
		h, _ = strconv.ParseInt(hs, 10, 64)
		switch strings.TrimRight(fs, "0") {
		case "":
		case "25":
			min = 15
		case "5":
			min = 30
		case "75":
			min = 45
		default:
			return 0, false
		}
	}
	if min%15 != 0 || min >= 60 || h > int64(MaxQuarters)/4 {
		return 0, false
	}
	q := Quarters(h*4 + min/15)
	return q, q <= MaxQuarters
}

// Cost is hours × hourly cost, in cents, exactly: a quarter hour at
// 12,34 € costs 3,085 €, so the total is computed on the whole hours (no
// rounding per quarter) and rounded once, half up, to the cent.
func Cost(hours Quarters, hourly Cents) Cents {
	n := int64(hours) * int64(hourly) // in quarter-cents
	return Cents((n + 2) / 4)
}
