package lheo_test

import (
	"bytes"
	"testing"

	"kairos/lheo"
	"kairos/lheo/lheotest"
)

var samples = []struct {
	file    string
	version lheo.Version
}{
	{"intercarif-occitanie-daeu.lheo22.xml", lheo.Version22},
	{"intercarif-occitanie-daeu.ns23.xml", lheo.Version23},
	{"onisep-bts-nrc.lheo22.xml", lheo.Version22},
	{"onisep-bts-nrc.ns23.xml", lheo.Version23},
}

// TestRoundTripSamples: import → export → import gives equal structures, the
// export validates against the XSD, and exporting again gives the same bytes.
func TestRoundTripSamples(t *testing.T) {
	for _, s := range samples {
		t.Run(s.file, func(t *testing.T) {
			data := MustReadFile(t, s.file)
			d := lheo.NewDecoder(bytes.NewReader(data), nil)
			if _, err := d.Next(); err != nil {
				t.Fatal(err)
			}
			if d.Version() != s.version {
				t.Errorf("Version() = %q, want %q", d.Version(), s.version)
			}

			first := MustDecode(t, data)
			out := MustEncode(t, first...)
			checkXSD(t, out)
			second := MustDecode(t, out)
			MustEqualFormations(t, second, first)
			if again := MustEncode(t, second...); !bytes.Equal(again, out) {
				t.Errorf("second export differs from the first")
			}
		})
	}
}

// TestSameRecordIn22And23: the 2.2 samples and their 2.3 copies (namespace
// rewritten only) decode to the same formations, extras included.
func TestSameRecordIn22And23(t *testing.T) {
	for _, base := range []string{"intercarif-occitanie-daeu", "onisep-bts-nrc"} {
		t.Run(base, func(t *testing.T) {
			v22 := MustDecode(t, MustReadFile(t, base+".lheo22.xml"))
			v23 := MustDecode(t, MustReadFile(t, base+".ns23.xml"))
			MustEqualFormations(t, v22, v23)
		})
	}
}

func TestRoundTripFullFormation(t *testing.T) {
	want := fullFormation()
	out := MustEncode(t, want, want)
	checkXSD(t, out)
	got := MustDecode(t, out)
	MustEqualFormations(t, got, []*lheo.Formation{want, want})
	if got[0].Line != 4 || got[1].Line <= got[0].Line {
		t.Errorf("lines = %d, %d; want 4 and more", got[0].Line, got[1].Line)
	}
}

func TestRoundTripGenerated(t *testing.T) {
	data := lheotest.MustGenerate(t, 500, 7)
	checkXSD(t, data)
	fs := MustDecode(t, data)
	n := 0
	for _, f := range fs {
		for _, a := range f.Actions {
			n += len(a.Sessions)
		}
	}
	if n != 500 {
		t.Errorf("decoded %d sessions, want 500", n)
	}
	if out := MustEncode(t, fs...); !bytes.Equal(out, data) {
		t.Errorf("re-export of a generated document differs from it")
	}
}
