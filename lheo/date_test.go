package lheo_test

import (
	"strings"
	"testing"
	"time"

	"kairos/lheo"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in        string
		want      lheo.Date
		precision lheo.Precision
		err       string
	}{
		{"20181001", lheo.NewDate(2018, 10, 1), lheo.PrecisionDay, ""},
		{" 20181001\n", lheo.NewDate(2018, 10, 1), lheo.PrecisionDay, ""},
		{"20180900", lheo.NewDate(2018, 9, 0), lheo.PrecisionMonth, ""},
		{"20180000", lheo.NewDate(2018, 0, 0), lheo.PrecisionYear, ""},
		{"00000000", lheo.UnknownDate, lheo.PrecisionUnknown, ""},
		{"99999999", lheo.UnknownEnd, lheo.PrecisionUnknown, ""},
		{"20240229", lheo.NewDate(2024, 2, 29), lheo.PrecisionDay, ""},
		{"20230229", 0, 0, "date « 20230229 » invalide : jour 29"},
		{"20181301", 0, 0, "mois 13"},
		{"20189901", 0, 0, "mois 99"},
		{"20180032", 0, 0, "jour sans mois"},
		{"20180132", 0, 0, "jour 32"},
		{"00001001", 0, 0, "année 0000"},
		{"2018-10-01", 0, 0, "format AAAAMMJJ attendu"},
		{"2018100", 0, 0, "format AAAAMMJJ attendu"},
		{"", 0, 0, "format AAAAMMJJ attendu"},
		{"2018100a", 0, 0, "format AAAAMMJJ attendu"},
	}
	for _, tt := range tests {
		got, err := lheo.ParseDate(tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseDate(%q) error %v, want %q", tt.in, err, tt.err)
			}
		case err != nil:
			t.Errorf("ParseDate(%q): %v", tt.in, err)
		case got != tt.want || got.Precision() != tt.precision:
			t.Errorf("ParseDate(%q) = %v (%d), want %v (%d)", tt.in, got, got.Precision(), tt.want, tt.precision)
		case got.String() != strings.TrimSpace(tt.in):
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
}

func TestDateRange(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		d           lheo.Date
		first, last time.Time
		ok          bool
	}{
		{lheo.NewDate(2018, 10, 1), day(2018, 10, 1), day(2018, 10, 1), true},
		{lheo.NewDate(2024, 2, 0), day(2024, 2, 1), day(2024, 2, 29), true},
		{lheo.NewDate(2018, 0, 0), day(2018, 1, 1), day(2018, 12, 31), true},
		{lheo.UnknownDate, time.Time{}, time.Time{}, false},
		{lheo.UnknownEnd, time.Time{}, time.Time{}, false},
	}
	for _, tt := range tests {
		first, ok1 := tt.d.First()
		last, ok2 := tt.d.Last()
		if !first.Equal(tt.first) || !last.Equal(tt.last) || ok1 != tt.ok || ok2 != tt.ok {
			t.Errorf("%v: First %v %v, Last %v %v", tt.d, first, ok1, last, ok2)
		}
	}
	if !(lheo.UnknownDate < lheo.NewDate(2018, 1, 1) && lheo.NewDate(2018, 1, 1) < lheo.NewDate(2018, 1, 2) && lheo.NewDate(2999, 12, 31) < lheo.UnknownEnd) {
		t.Error("dates do not sort in calendar order")
	}
	if d := lheo.DateOf(time.Date(2025, 3, 9, 23, 0, 0, 0, time.UTC)); d != lheo.NewDate(2025, 3, 9) {
		t.Errorf("DateOf = %v", d)
	}
	if d := lheo.UnknownEnd; d.Year() != 0 || d.Month() != 0 || d.Day() != 0 {
		t.Errorf("UnknownEnd parts %d %d %d", d.Year(), d.Month(), d.Day())
	}
}

func TestDateText(t *testing.T) {
	var d lheo.Date
	if err := d.UnmarshalText([]byte("20180900")); err != nil || d != lheo.NewDate(2018, 9, 0) {
		t.Errorf("UnmarshalText: %v %v", d, err)
	}
	if err := d.UnmarshalText([]byte("2018-09-01")); err == nil {
		t.Error("UnmarshalText accepted an ISO date")
	}
	if b, _ := lheo.UnknownDate.MarshalText(); string(b) != "00000000" {
		t.Errorf("MarshalText = %s", b)
	}
}
