package einvoice

import (
	"strings"
	"testing"
)

func TestCheckIBAN(t *testing.T) {
	valid := []string{
		"FR76 3000 6000 0112 3456 7890 189",
		"fr7630006000011234567890189",
		"DE89 3704 0044 0532 0130 00",
		"BE68 5390 0754 7034",
		"MC58 1122 2000 0101 2345 6789 030",
		"GB29 NWBK 6016 1331 9268 19",
	}
	for _, s := range valid {
		if msg := CheckIBAN(s); msg != "" {
			t.Errorf("CheckIBAN(%q) = %q, want valid", s, msg)
		}
	}
	invalid := map[string]string{
		"":                                   "Saisissez",
		"FR76 3000 6000 0112 3456 7890 188":  "clé",
		"FR67 3000 6000 0112 3456 7890 189":  "clé",
		"FR76 3000 6000 0112 3456 7890 18":   "27 caractères",
		"FR76 3000 6000 0112 3456 7890 1890": "27 caractères",
		"ZZ76 3000 6000 0112 3456 7890 189":  "code d'un pays",
		"FRAB 3000 6000 0112 3456 7890 189":  "clé",
		"FR76-3000-6000-0112-3456-7890-189":  "lettres et des chiffres",
		"FR7":                                "trop court",
	}
	for s, want := range invalid {
		if msg := CheckIBAN(s); !strings.Contains(msg, want) {
			t.Errorf("CheckIBAN(%q) = %q, want a message with %q", s, msg, want)
		}
	}
	// One changed digit anywhere is caught by the mod-97 key.
	base := NormalizeIBAN(valid[0])
	for i := 4; i < len(base); i++ {
		b := []byte(base)
		b[i] = '0' + (b[i]-'0'+1)%10
		if CheckIBAN(string(b)) == "" {
			t.Errorf("IBAN with digit %d changed (%s) accepted", i, b)
		}
	}
}

func TestCheckBIC(t *testing.T) {
	for _, s := range []string{"AGRIFRPP", "BNPAFRPPXXX", "bnpa fr pp", "DEUTDEFF500", "CEPAFRPP751"} {
		if msg := CheckBIC(s); msg != "" {
			t.Errorf("CheckBIC(%q) = %q, want valid", s, msg)
		}
	}
	invalid := map[string]string{
		"":             "Saisissez",
		"AGRIFRP":      "8 ou 11",
		"AGRIFRPPXX":   "8 ou 11",
		"AGR1FRPP":     "6 premiers",
		"AGRIZZPP":     "code de pays",
		"AGRIFRP-":     "lettres et des chiffres",
		"AGRIFRPPXXXX": "8 ou 11",
	}
	for s, want := range invalid {
		if msg := CheckBIC(s); !strings.Contains(msg, want) {
			t.Errorf("CheckBIC(%q) = %q, want a message with %q", s, msg, want)
		}
	}
}

func TestFrenchVATID(t *testing.T) {
	if got := FrenchVATID("732829320"); got != "FR44732829320" {
		t.Errorf("FrenchVATID = %q", got)
	}
	if got := FrenchVATID("123456782"); got != "FR11123456782" { // as in examples/factur-x-en16931.xml
		t.Errorf("FrenchVATID = %q", got)
	}
	if msg := CheckFrenchVATID("FR 44 732829320", "73282932000074"); msg != "" {
		t.Errorf("valid VAT id refused: %s", msg)
	}
	if msg := CheckFrenchVATID("FR45732829320", "73282932000074"); !strings.Contains(msg, "clé") {
		t.Errorf("wrong key: %q", msg)
	}
	if msg := CheckFrenchVATID("FR32123456782", "73282932000074"); !strings.Contains(msg, "SIREN") {
		t.Errorf("other SIREN: %q", msg)
	}
}
