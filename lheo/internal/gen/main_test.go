package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedFilesUpToDate regenerates the tables and the schema from
// testdata/lheo-gml.xml and compares them with the committed files. Run
// "go generate ./lheo" after changing the generator or the definition.
func TestGeneratedFilesUpToDate(t *testing.T) {
	f, err := os.Open("../../testdata/lheo-gml.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	def, err := parseGML(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(def.Dicts) != 19 || len(def.Definitions) != 170 {
		t.Errorf("%d tables and %d elements, want 19 and 170", len(def.Dicts), len(def.Definitions))
	}
	for _, g := range []struct {
		file string
		gen  func(*gmlDefinitions) ([]byte, error)
	}{
		{"../../codes_gen.go", genCodes},
		{"../../schema_gen.go", genSchema},
	} {
		want, err := g.gen(def)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(g.file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date: run go generate ./lheo", g.file)
		}
	}
}

func TestTableIdent(t *testing.T) {
	for in, want := range map[string]string{
		"dict-boolean":               "TableBoolean",
		"dict-modalites-es":          "TableModalitesES",
		"dict-AIS":                   "TableAIS",
		"dict-type-validation-blocs": "TableTypeValidationBlocs",
	} {
		if got := tableIdent(in); got != want {
			t.Errorf("tableIdent(%q) = %q, want %q", in, got, want)
		}
	}
}
