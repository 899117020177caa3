package catalogue

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"kairos/lheo"
	"kairos/lheo/lheotest"
)

// The formation's document put together by marshalDocs is byte for byte
// json.Marshal(f), and the action and session documents are those the
// hashes were computed from: stored documents and hashes do not change.
func TestMarshalDocsIsMarshal(t *testing.T) {
	var forms []*lheo.Formation
	for seed := range uint64(20) {
		forms = append(forms, lheotest.Formation(seed, int(seed%13)+1))
	}
	for _, name := range []string{"intercarif-occitanie-daeu.ns23.xml", "onisep-bts-nrc.lheo22.xml"} {
		data, err := os.ReadFile("../lheo/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		d := lheo.NewDecoder(bytes.NewReader(data), nil)
		for {
			f, err := d.Next()
			if err != nil {
				break
			}
			forms = append(forms, f)
		}
	}
	noSessions := lheotest.Formation(99, 3)
	noSessions.Actions = append(noSessions.Actions, noSessions.Actions[0], noSessions.Actions[0])
	noSessions.Actions[0].Sessions = nil
	noSessions.Actions[1].Sessions = []lheo.Session{}
	noActions := lheotest.Formation(98, 1)
	noActions.Actions = nil
	emptyActions := lheotest.Formation(97, 1)
	emptyActions.Actions = []lheo.Action{}
	tricky := lheotest.Formation(96, 2)
	tricky.Intitule = `"Actions":null "Sessions":null`
	forms = append(forms, noSessions, noActions, emptyActions, tricky)
	for i, f := range forms {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := marshalDocs(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d.formation, want) {
			t.Fatalf("formation %d: marshalDocs\n%s\njson.Marshal\n%s", i, d.formation, want)
		}
		for ai := range f.Actions {
			a := f.Actions[ai]
			a.Sessions = nil
			if w, _ := json.Marshal(&a); !bytes.Equal(d.actions[ai], w) {
				t.Fatalf("formation %d action %d: %s, want %s", i, ai, d.actions[ai], w)
			}
			for si := range f.Actions[ai].Sessions {
				if w, _ := json.Marshal(&f.Actions[ai].Sessions[si]); !bytes.Equal(d.sessions[ai][si], w) {
					t.Fatalf("formation %d action %d session %d differs", i, ai, si)
				}
			}
		}
	}
}

func TestReshapes(t *testing.T) {
	for _, c := range []struct {
		c    Count
		want bool
	}{
		{Count{Created: 300000}, true},
		{Count{Unchanged: 300000}, false},
		{Count{Updated: 30000, Unchanged: 270000}, false},
		{Count{Created: 100, Updated: 30000, Unchanged: 270000}, false},
		{Count{Created: 30000, Withdrawn: 30000, Unchanged: 240000}, true},
		{Count{Withdrawn: 10, Unchanged: 20}, true},
		{Count{}, false},
	} {
		if got := reshapes(c.c); got != c.want {
			t.Errorf("reshapes(%+v) = %v, want %v", c.c, got, c.want)
		}
	}
}
