package quotes_test

import (
	"testing"

	"kairos/quotes"
)

func TestParseCents(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want quotes.Cents
		ok   bool
	}{
		{"3200", 320000, true}, {"3 200,50", 320050, true}, {"3200.5", 320050, true}, {"3\u202f200,05 €", 320005, true}, {"0,01", 1, true},
		{"", 0, false}, {"-5", 0, false}, {"1,234", 0, false}, {"12a", 0, false}, {"1e3", 0, false}, {"99999999999", 0, false}, {",5", 0, false},
	} {
		got, ok := quotes.ParseCents(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseCents(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if s := quotes.Cents(320050).String(); s != "3\u202f200,50\u00a0€" {
		t.Errorf("String: %q", s)
	}
	if s := quotes.Cents(5).Plain(); s != "0,05" {
		t.Errorf("Plain: %q", s)
	}
	// Every amount survives formatting and parsing.
	for c := quotes.Cents(0); c < 100000; c += 37 {
		if back, ok := quotes.ParseCents(c.Plain()); !ok || back != c {
			t.Fatalf("round trip of %d: %d %v", c, back, ok)
		}
	}
}

func TestQuarters(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want quotes.Quarters
		ok   bool
	}{
		{"12", 48, true}, {"12,5", 50, true}, {"12.25", 49, true}, {"12,75", 51, true}, {"12h15", 49, true}, {"12 h 45", 51, true}, {"0", 0, true}, {"5000", 20000, true},
		{"12,1", 0, false}, {"12h10", 0, false}, {"12h60", 0, false}, {"5001", 0, false}, {"-1", 0, false}, {"", 0, false}, {"h15", 0, false},
	} {
		got, ok := quotes.ParseQuarters(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseQuarters(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for q := quotes.Quarters(0); q <= 400; q++ {
		if back, ok := quotes.ParseQuarters(q.Plain()); !ok || back != q {
			t.Fatalf("round trip of %d quarters: %d %v", q, back, ok)
		}
	}
	if s := quotes.Quarters(49).String(); s != "12\u00a0h\u00a015" {
		t.Errorf("String: %q", s)
	}
	if h := quotes.Quarters(1601).Hours(); h != 401 {
		t.Errorf("Hours rounds up: %d", h)
	}
}

// TestCostNeverLosesACent: the total is computed once on the quarter hours
// (never per hour then summed), rounded half up.
func TestCostNeverLosesACent(t *testing.T) {
	if got := quotes.Cost(1, 1234); got != 309 { // 12,34 € / 4 = 3,085 € → 3,09 €
		t.Errorf("a quarter hour at 12,34 €: %d", got)
	}
	if got := quotes.Cost(400*4, 1250); got != 500000 {
		t.Errorf("400 h at 12,50 €: %d", got)
	}
	for h := quotes.Quarters(0); h < 200; h++ {
		for _, rate := range []quotes.Cents{1, 99, 1234, 3333, 100000} {
			exact := int64(h) * int64(rate) // quarter-cents
			got := int64(quotes.Cost(h, rate)) * 4
			if d := got - exact; d < -1 || d > 2 {
				t.Fatalf("%d quarters at %d: %d cents, off by %d quarter-cents", h, rate, got/4, d)
			}
		}
	}
}

func TestNumber(t *testing.T) {
	n := quotes.Number(2026, 42)
	if n != "AIF-2026-0000042-"+n[len(n)-2:] || !quotes.ValidNumber(n) {
		t.Fatalf("number %q", n)
	}
	seen := map[string]bool{}
	for id := int64(1); id < 2000; id++ {
		x := quotes.Number(2026, id)
		if seen[x] || !quotes.ValidNumber(x) {
			t.Fatalf("%q duplicate or invalid", x)
		}
		seen[x] = true
	}
	// A mistyped digit or two swapped digits are caught by the key.
	for _, bad := range []string{"AIF-2026-0000043-" + n[len(n)-2:], "AIF-2026-0000024-" + n[len(n)-2:], "AIF-2026-42-00", "DEV-2026-0000042-" + n[len(n)-2:], "AIF-2026-00000x2-11"} {
		if quotes.ValidNumber(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	if quotes.Number(2026, 12345678) != "AIF-2026-12345678-"+quotes.Number(2026, 12345678)[18:] {
		t.Errorf("long id: %s", quotes.Number(2026, 12345678))
	}
}

func TestThresholds(t *testing.T) {
	th, err := quotes.ParseThresholds("*:3000:350, 84:2500.50:300")
	if err != nil {
		t.Fatal(err)
	}
	if th.For("11") != (quotes.Threshold{AIF: 300000, Hours: 350}) || th.For("84") != (quotes.Threshold{AIF: 250050, Hours: 300}) {
		t.Fatalf("%v", th)
	}
	if d, _ := quotes.ParseThresholds(""); d.For("76") != quotes.DefaultThreshold || quotes.DefaultThreshold.AIF != 320000 || quotes.DefaultThreshold.Hours != 400 {
		t.Fatalf("default %v", d)
	}
	for _, bad := range []string{"84:2500", "84:x:300", "84:2500:-1", "*:3200:9999"} {
		if _, err := quotes.ParseThresholds(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
