package lheo_test

import (
	"testing"

	"kairos/lheo"
)

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Temps plein", "Temps plein"},
		{"UT2J\nCampus du Mirail\n  5 allées", "UT2J\nCampus du Mirail\n5 allées"},
		{"* être titulaire<br />- accéder<br/>- présenter", "* être titulaire\n- accéder\n- présenter"},
		{"<p>A &amp; B</p><p>C&nbsp;D &eacute;t&eacute;</p>", "A & B\n\nC D été"},
		{"<p><b>Les objectifs :</b><br /><p>Ce BTS\nforme</p></p>", "Les objectifs :\n\nCe BTS forme"},
		{"<ul><li>un</li><li>deux</li></ul>", "- un\n- deux"},
		{"a < b et c > d", "a < b et c > d"},
		{"l&#39;acier", "l'acier"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := lheo.PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsPlaceholder(t *testing.T) {
	for s, want := range map[string]bool{
		"-": true, " - ": true, "": true, "Non renseigné": true, "NC": true,
		"Temps plein": false, "0": false,
	} {
		if got := lheo.IsPlaceholder(s); got != want {
			t.Errorf("IsPlaceholder(%q) = %v", s, got)
		}
	}
}

func TestPrixCentimes(t *testing.T) {
	tests := []struct {
		in   lheo.Prix
		want int64
		ok   bool
	}{
		{"1250", 125000, true},
		{"1250,50", 125050, true},
		{"1250.5", 125050, true},
		{"1 250,50 €", 125050, true},
		{"12,5 EUR", 1250, true},
		{",50", 50, true},
		{"", 0, false},
		{"gratuit", 0, false},
		{"12,505", 0, false},
		{"-5", 0, false},
	}
	for _, tt := range tests {
		got, ok := tt.in.Centimes()
		if got != tt.want || ok != tt.ok {
			t.Errorf("Prix(%q).Centimes() = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestLatLon(t *testing.T) {
	lat, lon, ok := lheo.Geolocalisation{Latitude: "47.882108", Longitude: "-3,5526545"}.LatLon()
	if !ok || lat != 47.882108 || lon != -3.5526545 {
		t.Errorf("LatLon = %v %v %v", lat, lon, ok)
	}
	if _, _, ok := (lheo.Geolocalisation{Latitude: "95", Longitude: "0"}).LatLon(); ok {
		t.Error("latitude 95 accepted")
	}
}
