package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"kairos/lheo/lheotest"
	"kairos/store/storetest"
)

// TestLHEOCommandLine runs `kairos lheo import` and `kairos lheo export`
// (issue 4): exit status 0 for an imported file, with its report and
// rejected records; non-zero for a rejected file, with the line and column,
// and nothing imported; an export that validates against the official XSD.
func TestLHEOCommandLine(t *testing.T) {
	dbURL := storetest.URL(t)
	if out, err := runCLI(t, dbURL, "", "migrate"); err != nil {
		t.Fatalf("migrate: %v %s", err, out)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	doc := lheotest.MustGenerate(t, 40, 3)

	// A rejected file: not well-formed, half-way through.
	cut := strings.LastIndex(string(doc), "</formation>")
	bad := write("bad.xml", append(append([]byte{}, doc[:cut]...), "<oups></formation></offres></lheo>\n"...))
	out, err := runCLI(t, dbURL, "", "lheo", "import", bad)
	if err == nil {
		t.Fatalf("a rejected file exits with status 0:\n%s", out)
	}
	if !regexp.MustCompile(`ligne \d+, colonne \d+ : `).MatchString(out) || !strings.Contains(out, "rien n'a été importé") {
		t.Fatalf("rejected file: no line and column, or no verdict:\n%s", out)
	}
	if out, _ := runCLI(t, dbURL, "", "lheo", "export", "-o", filepath.Join(dir, "empty.xml")); !strings.Contains(out, "catalogue est vide") {
		t.Fatalf("a rejected file imported something: %v %s", err, out)
	}

	// An imported file with one rejected record: status 0, the report lists it.
	withBad := strings.Replace(string(doc), "<certifiante>0</certifiante>", "<certifiante>7</certifiante>", 1)
	withBad = strings.Replace(withBad, "<certifiante>1</certifiante>", "<certifiante>7</certifiante>", 1)
	good := write("good.xml", []byte(withBad))
	out, err = runCLI(t, dbURL, "", "lheo", "import", good)
	if err != nil {
		t.Fatalf("imported file exits non-zero: %v\n%s", err, out)
	}
	for _, want := range []string{"Importé", "Sessions", "Rejets : 2 formation(s)", "rejet, ligne "} {
		if !strings.Contains(out, want) {
			t.Fatalf("import report without %q:\n%s", want, out)
		}
	}
	// Again: nothing changes.
	out, err = runCLI(t, dbURL, "", "lheo", "import", good)
	if err != nil || !regexp.MustCompile(`Sessions\s+créées 0, mises à jour 0, inchangées \d+, retirées 0`).MatchString(out) {
		t.Fatalf("second import: %v\n%s", err, out)
	}

	// Export to a file that validates against the XSD.
	exp := filepath.Join(dir, "export.xml")
	out, err = runCLI(t, dbURL, "", "lheo", "export", "-o", exp)
	if err != nil || !strings.Contains(out, "formation(s) écrite(s)") {
		t.Fatalf("export: %v %s", err, out)
	}
	b, err := os.ReadFile(exp)
	if err != nil || !strings.Contains(string(b), "<formation") {
		t.Fatalf("export file: %v %.200s", err, b)
	}
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint absent (Debian: apt-get install libxml2-utils): the export is not validated against lheo/testdata/lheo.xsd")
	}
	if out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("..", "lheo", "testdata", "lheo.xsd"), exp).CombinedOutput(); err != nil {
		t.Fatalf("export does not validate against lheo.xsd: %v\n%s", err, out)
	}
}
