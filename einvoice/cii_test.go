package einvoice

import (
	"testing"

	"kairos/einvoice/einvoicetest"
)

func TestSampleXMLIsValid(t *testing.T) {
	inv := sample()
	if vs := Check(inv); len(vs) != 0 {
		t.Fatalf("Check: %v", vs)
	}
	reps := einvoicetest.MustValid(t, map[string][]byte{"sample": XML(inv)})
	t.Log(reps["sample"])
}
