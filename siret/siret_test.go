package siret_test

import (
	"strings"
	"testing"

	"kairos/siret"
)

// Every valid number below was checked by computing its key (Luhn, or the
// La Poste digit sum); every invalid one differs from a valid one by one
// digit, a transposition, or its length.
func TestCheckSIRET(t *testing.T) {
	valid := []string{
		"73282932000074", // Luhn, SIREN 732829320 Luhn-valid
		"44306184100047", // Luhn, SIREN 443061841
		"41816609600069", // Luhn, SIREN 418166096
		"55208131766522", // Luhn, SIREN 552081317
		"35600000000048", // La Poste head office: follows the Luhn key
		"35600000049837", // La Poste establishment: digit sum 40, a multiple of 5 (fails Luhn)
	}
	for _, s := range valid {
		if msg := siret.CheckSIRET(s); msg != "" {
			t.Errorf("%s refused: %s", s, msg)
		}
	}
	invalid := map[string]string{
		"":                "obligatoire",
		"7328293200007":   "14 chiffres", // 13 digits
		"732829320000745": "14 chiffres",
		"7328293200007A":  "14 chiffres",
		"73282932000075":  "clé de contrôle", // last digit changed
		"73282932000047":  "clé de contrôle", // transposition
		"44306184100048":  "clé de contrôle",
		"35600000049838":  "multiple de 5", // La Poste, one digit off
		"73282932110006":  "SIREN",         // SIRET key right, SIREN 732829321 wrong
	}
	for s, want := range invalid {
		msg := siret.CheckSIRET(s)
		if msg == "" || !strings.Contains(msg, want) {
			t.Errorf("%q: %q, want a message about %q", s, msg, want)
		}
	}
}

func TestCheckSIRENAndDerivation(t *testing.T) {
	if got := siret.SIREN("73282932000074"); got != "732829320" {
		t.Fatalf("SIREN = %q", got)
	}
	for _, s := range []string{"732829320", "443061841", siret.LaPosteSIREN} {
		if msg := siret.CheckSIREN(s); msg != "" {
			t.Errorf("%s: %s", s, msg)
		}
	}
	for _, s := range []string{"732829321", "73282932", "7328293200", "abcdefghi"} {
		if siret.CheckSIREN(s) == "" {
			t.Errorf("%s accepted", s)
		}
	}
}

func TestCheckNDA(t *testing.T) {
	for _, s := range []string{"76310123456", "84691234567", "11755000011"} {
		if msg := siret.CheckNDA(s); msg != "" {
			t.Errorf("%s: %s", s, msg)
		}
	}
	for s, want := range map[string]string{
		"":             "obligatoire",
		"7631012345":   "11 chiffres",
		"763101234567": "11 chiffres",
		"7631O123456":  "11 chiffres", // letter O
		"00000000000":  "pas valide",
	} {
		if msg := siret.CheckNDA(s); !strings.Contains(msg, want) || msg == "" {
			t.Errorf("%q: %q", s, msg)
		}
	}
}

func TestNormalize(t *testing.T) {
	if got := siret.Normalize(" 732 829 320 00074 "); got != "73282932000074" {
		t.Fatalf("%q", got)
	}
	if got := siret.Normalize("76.31-01234\u00a056"); got != "76310123456" {
		t.Fatalf("%q", got)
	}
}
