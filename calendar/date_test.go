package calendar

import (
	"encoding/json"
	"testing"
	"time"
)

func mustDate(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDateMatchesTime checks every day from 1600 to 2400 against the
// standard library's calendar (UTC, where a day is always 24 hours).
func TestDateMatchesTime(t *testing.T) {
	start := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)
	d := NewDate(1600, time.January, 1)
	for tm := start; tm.Year() < 2400; tm = tm.AddDate(0, 0, 1) {
		y, m, dd := d.Date()
		if y != tm.Year() || m != tm.Month() || dd != tm.Day() || d.Weekday() != tm.Weekday() {
			t.Fatalf("day %d: got %04d-%02d-%02d %v, want %s %v", d, y, m, dd, d.Weekday(), tm.Format("2006-01-02"), tm.Weekday())
		}
		if got := NewDate(tm.Year(), tm.Month(), tm.Day()); got != d {
			t.Fatalf("NewDate(%s) = %d, want %d", tm.Format("2006-01-02"), got, d)
		}
		d = d.AddDays(1)
	}
}

func TestDateLimits(t *testing.T) {
	if d := NewDate(1, time.January, 1); d != 1 || d.String() != "0001-01-01" {
		t.Errorf("first day = %d %q", d, d)
	}
	if d := NewDate(9999, time.December, 31); d != maxDay || d.String() != "9999-12-31" {
		t.Errorf("last day = %d %q", d, d)
	}
	for _, d := range []Date{NewDate(0, time.December, 31), NewDate(10000, time.January, 1), NewDate(9999, 12, 32)} {
		if !d.IsZero() {
			t.Errorf("out of range date %d is not zero", d)
		}
	}
	if NewDate(9999, 12, 31).AddDays(1) != 0 || Date(0).AddDays(5) != 0 {
		t.Error("AddDays out of range must give the zero Date")
	}
	var zero Date
	if zero.String() != "" || zero.French() != "" || !zero.IsZero() {
		t.Error("zero Date must print as empty")
	}
}

func TestNewDateNormalises(t *testing.T) {
	for _, c := range []struct {
		got  Date
		want string
	}{
		{NewDate(2026, 2, 29), "2026-03-01"},
		{NewDate(2024, 2, 29), "2024-02-29"},
		{NewDate(2026, 3, 0), "2026-02-28"},
		{NewDate(2026, 13, 1), "2027-01-01"},
		{NewDate(2026, 0, 1), "2025-12-01"},
		{NewDate(2026, 1, -1), "2025-12-30"},
		{NewDate(2026, 1, 365), "2026-12-31"},
	} {
		if c.got.String() != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

func TestParseAndFormat(t *testing.T) {
	d := mustDate(t, "2026-11-26")
	if d.French() != "26/11/2026" || d.String() != "2026-11-26" || d.Weekday() != time.Thursday {
		t.Errorf("2026-11-26: %s %s %v", d.French(), d, d.Weekday())
	}
	if d2 := mustDate(t, "26/11/2026"); d2 != d {
		t.Errorf("French form parsed as %s", d2)
	}
	if d := mustDate(t, "2024-02-29"); d.Month() != time.February || d.Day() != 29 || d.Year() != 2024 {
		t.Errorf("2024-02-29 parsed as %s", d)
	}
	for _, bad := range []string{"", "2026-02-29", "2026-04-31", "31/04/2026", "2026-1-01", "2026-13-01",
		"2026-00-10", "0000-01-01", "2026/11/26", "26-11-2026", " 2026-11-26", "2026-11-2a", "+026-11-26"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		} else if bad == "2026-02-29" && err.Error() != "« 2026-02-29 » n'est pas une date valide (format attendu : JJ/MM/AAAA)" {
			t.Errorf("message: %v", err)
		}
	}
}

func TestComparisonsAndArithmetic(t *testing.T) {
	a, b := mustDate(t, "2026-03-28"), mustDate(t, "2026-03-30")
	if !(a < b) || !a.Before(b) || !b.After(a) || a.After(b) || a.Before(a) {
		t.Error("order")
	}
	if b.Sub(a) != 2 || a.Sub(b) != -2 || a.AddDays(2) != b || b.AddDays(-2) != a || a+1 != mustDate(t, "2026-03-29") {
		t.Error("arithmetic across the March change of time")
	}
	// Across a year end and a leap day.
	if mustDate(t, "2024-12-31").AddDays(1) != mustDate(t, "2025-01-01") ||
		mustDate(t, "2024-02-28").AddDays(1) != mustDate(t, "2024-02-29") {
		t.Error("AddDays across year end or leap day")
	}
}

func TestJSON(t *testing.T) {
	type doc struct {
		D Date  `json:"d"`
		E Date  `json:"e"`
		M Month `json:"m"`
	}
	b, err := json.Marshal(doc{D: NewDate(2026, 5, 14), M: NewMonth(2026, 5)})
	if err != nil || string(b) != `{"d":"2026-05-14","e":"","m":"2026-05"}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil || back.D != NewDate(2026, 5, 14) || back.E != 0 || back.M != NewMonth(2026, 5) {
		t.Fatalf("unmarshal: %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"d":"2026-02-30"}`), &back); err == nil {
		t.Error("invalid date accepted")
	}
}

// TestDateOfParis checks the civil date of instants around midnight and around
// both changes of time of 2026 (29 March and 25 October).
func TestDateOfParis(t *testing.T) {
	for _, c := range []struct {
		utc  string
		want string
	}{
		{"2026-01-15T22:59:59Z", "2026-01-15"}, // 23:59:59 CET
		{"2026-01-15T23:00:00Z", "2026-01-16"}, // 00:00 CET
		{"2026-06-15T21:59:59Z", "2026-06-15"}, // 23:59:59 CEST
		{"2026-06-15T22:00:00Z", "2026-06-16"}, // 00:00 CEST
		{"2026-03-28T22:59:59Z", "2026-03-28"}, // 23:59:59 CET, the eve of the change
		{"2026-03-28T23:00:00Z", "2026-03-29"}, // 00:00 CET on the day of the change
		{"2026-03-29T00:59:59Z", "2026-03-29"}, // 01:59:59 CET, just before 02:00 becomes 03:00
		{"2026-03-29T01:00:00Z", "2026-03-29"}, // 03:00 CEST
		{"2026-03-29T21:59:59Z", "2026-03-29"}, // 23:59:59 CEST
		{"2026-03-29T22:00:00Z", "2026-03-30"}, // 00:00 CEST
		{"2026-10-24T21:59:59Z", "2026-10-24"}, // 23:59:59 CEST
		{"2026-10-24T22:00:00Z", "2026-10-25"}, // 00:00 CEST on the day of the change
		{"2026-10-25T00:30:00Z", "2026-10-25"}, // 02:30 CEST, the first 02:30
		{"2026-10-25T01:30:00Z", "2026-10-25"}, // 02:30 CET, the second 02:30
		{"2026-10-25T22:59:59Z", "2026-10-25"}, // 23:59:59 CET (a 25-hour day)
		{"2026-10-25T23:00:00Z", "2026-10-26"}, // 00:00 CET
	} {
		tm, err := time.Parse(time.RFC3339, c.utc)
		if err != nil {
			t.Fatal(err)
		}
		if got := DateOf(tm); got.String() != c.want {
			t.Errorf("DateOf(%s) = %s, want %s", c.utc, got, c.want)
		}
		// The location of the instant does not matter.
		if got := DateOf(tm.In(time.FixedZone("UTC-10", -10*3600))); got.String() != c.want {
			t.Errorf("DateOf(%s in UTC-10) = %s, want %s", c.utc, got, c.want)
		}
	}
}

func TestMidnight(t *testing.T) {
	for _, c := range []struct{ day, want string }{
		{"2026-03-29", "2026-03-28T23:00:00Z"},
		{"2026-03-30", "2026-03-29T22:00:00Z"},
		{"2026-10-25", "2026-10-24T22:00:00Z"},
		{"2026-10-26", "2026-10-25T23:00:00Z"},
	} {
		d := mustDate(t, c.day)
		if got := d.Midnight().UTC().Format(time.RFC3339); got != c.want {
			t.Errorf("%s.Midnight() = %s, want %s", c.day, got, c.want)
		}
		if DateOf(d.Midnight()) != d {
			t.Errorf("DateOf(%s.Midnight()) != %s", c.day, c.day)
		}
	}
	// 29 March 2026 lasts 23 hours, 25 October 25 hours; both are one day.
	if h := mustDate(t, "2026-03-30").Midnight().Sub(mustDate(t, "2026-03-29").Midnight()); h != 23*time.Hour {
		t.Errorf("29 March lasts %v", h)
	}
	if h := mustDate(t, "2026-10-26").Midnight().Sub(mustDate(t, "2026-10-25").Midnight()); h != 25*time.Hour {
		t.Errorf("25 October lasts %v", h)
	}
}

func TestRange(t *testing.T) {
	r := Range{From: mustDate(t, "2026-03-28"), To: mustDate(t, "2026-04-02")}
	var got []string
	for d := range r.Days() {
		got = append(got, d.French())
	}
	want := "28/03/2026 29/03/2026 30/03/2026 31/03/2026 01/04/2026 02/04/2026"
	if s := join(got); s != want || r.Len() != 6 {
		t.Errorf("days %s (len %d), want %s", s, r.Len(), want)
	}
	for d := range r.Days() { // stopping early
		if d == r.From {
			break
		}
	}
	if !r.Contains(mustDate(t, "2026-03-29")) || r.Contains(mustDate(t, "2026-04-03")) || r.Contains(0) {
		t.Error("Contains")
	}
	empty := Range{From: r.To, To: r.From}
	if !empty.IsEmpty() || empty.Len() != 0 || empty.Contains(r.From) || (Range{}).Len() != 0 {
		t.Error("empty range")
	}
	for range empty.Days() {
		t.Error("empty range yields a day")
	}
	april := NewMonth(2026, 4).Days()
	if i := r.Intersect(april); i.From != april.From || i.To != r.To {
		t.Errorf("intersection %v", i)
	}
	if i := r.Intersect(NewMonth(2026, 5).Days()); !i.IsEmpty() {
		t.Errorf("disjoint intersection %v", i)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

func TestMonth(t *testing.T) {
	m := NewMonth(2026, time.February)
	if m.String() != "2026-02" || m.French() != "février 2026" || m.First().String() != "2026-02-01" || m.Last().String() != "2026-02-28" {
		t.Errorf("February 2026: %s %s %s %s", m, m.French(), m.First(), m.Last())
	}
	if l := NewMonth(2024, 2).Last(); l.Day() != 29 {
		t.Errorf("February 2024 ends on %s", l)
	}
	if m.AddMonths(11).String() != "2027-01" || m.AddMonths(-2).String() != "2025-12" || m+1 != NewMonth(2026, 3) {
		t.Error("AddMonths")
	}
	if MonthOf(mustDate(t, "2026-10-25")) != NewMonth(2026, 10) || NewMonth(2026, 10).Days().Len() != 31 || NewMonth(2026, 3).Days().Len() != 31 {
		t.Error("MonthOf / Days")
	}
	if p, err := ParseMonth("2026-12"); err != nil || p != NewMonth(2026, 12) || p.Year() != 2026 || p.Month() != 12 {
		t.Errorf("ParseMonth: %v %v", p, err)
	}
	for _, bad := range []string{"2026-13", "2026-00", "2026-5", "202605", "0000-01", ""} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
	var zero Month
	if !zero.IsZero() || zero.String() != "" || zero.First() != 0 || zero.AddMonths(1) != 0 {
		t.Error("zero Month")
	}
}
