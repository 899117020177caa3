// Package einvoicetest checks generated invoices with the official tools:
// xmllint against the CII D16B and the Factur-X 1.09 EN 16931 schemas, and
// Saxon HE with the EN 16931 business rules for CII (an XSLT 2.0 program),
// from the standards folder shared/einvoice. Tests of any package that
// produces invoices use it.
package einvoicetest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Dir returns the standards folder: $KAIROS_EINVOICE_DIR, or ../shared/einvoice
// next to the module root. It returns "" when it is absent.
func Dir() string {
	if d := os.Getenv("KAIROS_EINVOICE_DIR"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			s := filepath.Join(filepath.Dir(d), "shared", "einvoice")
			if _, err := os.Stat(filepath.Join(s, "en16931-cii-validation")); err == nil {
				return s
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Schemas are the entry points of both schema sets, relative to Dir.
var Schemas = []string{
	"cii-d16b-uncoupled/CrossIndustryInvoice_100pD16B.xsd",
	"facturx-1.09/en16931/Factur-X_EN16931.xsd",
}

// Saxon is the Debian jar of Saxon HE.
const Saxon = "/usr/share/java/Saxon-HE.jar"

// Failure is one failed assertion of the business rules.
type Failure struct {
	ID, Flag, Location, Text string
}

// Report is what the tools said of one document.
type Report struct {
	SchemaErrors []string // one per schema set that refused it
	Fatal        []Failure
	Warnings     []Failure
}

// OK reports whether the document passes both schemas with no fatal rule.
func (r Report) OK() bool { return len(r.SchemaErrors) == 0 && len(r.Fatal) == 0 }

// Need skips tb with a message when the standards folder is absent, and
// fails it when a tool the check needs is not installed.
func Need(tb testing.TB) string {
	tb.Helper()
	dir := Dir()
	if dir == "" {
		tb.Skip("einvoice: ../shared/einvoice (schemas and EN 16931 rules) is absent: XML checks skipped")
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		tb.Fatal("einvoice: xmllint is missing (apt-get install libxml2-utils)")
	}
	if _, err := exec.LookPath("java"); err != nil {
		tb.Fatal("einvoice: java is missing (apt-get install default-jre-headless)")
	}
	if _, err := os.Stat(Saxon); err != nil {
		tb.Fatal("einvoice: Saxon HE is missing (apt-get install libsaxonhe-java)")
	}
	return dir
}

// Validate checks every document (name → XML) with both schemas and the
// EN 16931 rules; Saxon runs once for all of them.
func Validate(tb testing.TB, docs map[string][]byte) map[string]Report {
	tb.Helper()
	dir := Need(tb)
	in := tb.TempDir()
	out := tb.TempDir()
	names := make([]string, 0, len(docs))
	for name, b := range docs {
		if strings.ContainsAny(name, `/\`) {
			tb.Fatalf("einvoice: document name %q must be a plain file name", name)
		}
		if err := os.WriteFile(filepath.Join(in, name+".xml"), b, 0o644); err != nil {
			tb.Fatal(err)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	reports := make(map[string]Report, len(docs))
	for _, xsd := range Schemas {
		for _, name := range names {
			cmd := exec.Command("xmllint", "--noout", "--nonet", "--schema", filepath.Join(dir, xsd), filepath.Join(in, name+".xml"))
			if b, err := cmd.CombinedOutput(); err != nil {
				r := reports[name]
				r.SchemaErrors = append(r.SchemaErrors, xsd+": "+strings.TrimSpace(string(b)))
				reports[name] = r
			}
		}
	}
	xslt := filepath.Join(dir, "en16931-cii-validation", "EN16931-CII-validation.xslt")
	cmd := exec.Command("java", "-jar", Saxon, "-s:"+in, "-xsl:"+xslt, "-o:"+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("einvoice: Saxon failed: %v\n%s", err, b)
	}
	for _, name := range names {
		svrl, err := os.ReadFile(filepath.Join(out, name+".xml"))
		if err != nil {
			tb.Fatalf("einvoice: no SVRL report for %s: %v", name, err)
		}
		fails, err := ParseSVRL(svrl)
		if err != nil {
			tb.Fatalf("einvoice: SVRL of %s: %v", name, err)
		}
		r := reports[name]
		for _, f := range fails {
			if f.Flag == "fatal" {
				r.Fatal = append(r.Fatal, f)
			} else {
				r.Warnings = append(r.Warnings, f)
			}
		}
		reports[name] = r
	}
	return reports
}

// MustValid fails tb unless every document passes both schemas and the
// EN 16931 rules with no fatal failure.
func MustValid(tb testing.TB, docs map[string][]byte) map[string]Report {
	tb.Helper()
	reports := Validate(tb, docs)
	for name, r := range reports {
		for _, e := range r.SchemaErrors {
			tb.Errorf("%s: schema: %s", name, e)
		}
		for _, f := range r.Fatal {
			tb.Errorf("%s: %s (fatal) at %s: %s", name, f.ID, f.Location, f.Text)
		}
	}
	return reports
}

// ParseSVRL returns the failed assertions of an SVRL report.
func ParseSVRL(b []byte) ([]Failure, error) {
	var doc struct {
		Failed []struct {
			ID       string `xml:"id,attr"`
			Flag     string `xml:"flag,attr"`
			Location string `xml:"location,attr"`
			Text     string `xml:"text"`
		} `xml:"failed-assert"`
	}
	if err := xml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		return nil, err
	}
	out := make([]Failure, 0, len(doc.Failed))
	for _, f := range doc.Failed {
		out = append(out, Failure{ID: f.ID, Flag: f.Flag, Location: f.Location, Text: strings.Join(strings.Fields(f.Text), " ")})
	}
	return out, nil
}

// String summarises a report.
func (r Report) String() string {
	var b strings.Builder
	for _, e := range r.SchemaErrors {
		fmt.Fprintf(&b, "schema: %s\n", e)
	}
	for _, f := range append(r.Fatal, r.Warnings...) {
		fmt.Fprintf(&b, "%s [%s]: %s\n", f.ID, f.Flag, f.Text)
	}
	return b.String()
}

// MustFacturXPDF fails tb unless the Factur-X PDF named name passes
// `qpdf --check` with no error nor warning and carries, as its one embedded
// file factur-x.xml, the XML byte for byte as `pdfdetach` extracts it. It
// fails (not skips) when qpdf or pdfdetach is missing: they need no
// standards folder.
func MustFacturXPDF(tb testing.TB, name string, pdf, xmlDoc []byte) {
	tb.Helper()
	for _, tool := range []string{"qpdf", "pdfdetach"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("einvoice: %s is missing (apt-get install qpdf poppler-utils)", tool)
		}
	}
	dir := tb.TempDir()
	path := filepath.Join(dir, "facture.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command("qpdf", "--check", path).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("WARNING")) || !bytes.Contains(out, []byte("No syntax or stream encoding errors")) {
		tb.Errorf("%s: qpdf --check: %v\n%s", name, err, out)
	}
	list, err := exec.Command("pdfdetach", "-list", path).CombinedOutput()
	if err != nil || !strings.Contains(string(list), "1 embedded files") || !strings.Contains(string(list), "1: factur-x.xml") {
		tb.Errorf("%s: pdfdetach -list: %v\n%s", name, err, list)
		return
	}
	saved := filepath.Join(dir, "factur-x.xml")
	if out, err := exec.Command("pdfdetach", "-save", "1", "-o", saved, path).CombinedOutput(); err != nil {
		tb.Errorf("%s: pdfdetach -save: %v\n%s", name, err, out)
		return
	}
	if got, err := os.ReadFile(saved); err != nil || !bytes.Equal(got, xmlDoc) {
		tb.Errorf("%s: factur-x.xml extracted by pdfdetach differs from the XML (%d vs %d bytes, %v)", name, len(got), len(xmlDoc), err)
	}
}
