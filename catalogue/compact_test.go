package catalogue

import (
	"encoding/json"
	"reflect"
	"testing"

	"kairos/lheo"
	"kairos/lheo/lheotest"
)

// The compact document decodes to the formation the full one decodes to,
// pointers to zero values included, and is smaller.
func TestCompactDocDecodesAlike(t *testing.T) {
	if plainKeys() == nil {
		t.Fatal("lheo.Formation holds a map or an interface: nothing is compacted")
	}
	zero, no := 0, false
	var total, compact int
	for seed := range uint64(40) {
		f := lheotest.Formation(seed, 1+int(seed%5))
		if seed%2 == 0 {
			// Optional values present and zero must stay present.
			f.Actions[0].DureeCycle = &zero
			f.Actions[0].Conventionnement = &no
			f.Actions[0].Sessions[0].Recrutements = append(f.Actions[0].Sessions[0].Recrutements, lheo.Recrutement{NbPlaces: &zero, ADistance: &no})
		}
		full, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		c := compactDoc(full)
		total, compact = total+len(full), compact+len(c)
		var a, b lheo.Formation
		if err := json.Unmarshal(full, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(c, &b); err != nil {
			t.Fatalf("seed %d: compact document: %v\n%s", seed, err, c)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: the compact document decodes otherwise\nfull:    %s\ncompact: %s", seed, full, c)
		}
	}
	if compact*10 > total*8 {
		t.Errorf("compact documents are %d bytes for %d: expected at least 20 %% less", compact, total)
	}
	for _, bad := range []string{`{"a":`, `{"a":"x}`, `[1,2`, `{"a" 1}`} {
		if got := string(compactDoc([]byte(bad))); got != bad {
			t.Errorf("compactDoc(%q) = %q, want it unchanged", bad, got)
		}
	}
}
