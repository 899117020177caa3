package einvoice

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"kairos/calendar"
)

var issuedAt = time.Date(2026, 6, 2, 9, 30, 0, 0, time.UTC)

// MustPDF returns the Factur-X PDF of inv and its XML.
func MustPDF(tb testing.TB, inv *Invoice) (pdf, xmlDoc []byte) {
	tb.Helper()
	xmlDoc = XML(inv)
	pdf, err := PDF(inv, xmlDoc, issuedAt)
	if err != nil {
		tb.Fatal(err)
	}
	return pdf, xmlDoc
}

func need(tb testing.TB, tools ...string) {
	tb.Helper()
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			tb.Fatalf("%s is missing (apt-get install qpdf poppler-utils)", t)
		}
	}
}

// TestFacturXPDF checks the Factur-X PDF/A-3 of an invoice, a credit note
// and a 2-page invoice with the tools of poppler-utils and qpdf: the
// embedded factur-x.xml is the XML byte for byte (pdfdetach and the Go
// reader), qpdf finds no error, every font is embedded, and the catalog
// carries what PDF/A-3 and Factur-X require.
func TestFacturXPDF(t *testing.T) {
	need(t, "qpdf", "pdfdetach", "pdffonts", "pdftotext", "pdfinfo")
	cases := validCases()
	for _, name := range []string{"sample", "credit", "long", "special", "capped"} {
		t.Run(name, func(t *testing.T) {
			inv := cases[name]
			pdf, x := MustPDF(t, inv)
			dir := t.TempDir()
			path := filepath.Join(dir, "facture.pdf")
			if err := os.WriteFile(path, pdf, 0o644); err != nil {
				t.Fatal(err)
			}

			out, err := exec.Command("qpdf", "--check", path).CombinedOutput()
			if err != nil || bytes.Contains(out, []byte("WARNING")) || !bytes.Contains(out, []byte("No syntax or stream encoding errors")) {
				t.Fatalf("qpdf --check: %v\n%s", err, out)
			}

			list, err := exec.Command("pdfdetach", "-list", path).CombinedOutput()
			if err != nil || !strings.Contains(string(list), "1 embedded files") || !strings.Contains(string(list), "1: factur-x.xml") {
				t.Fatalf("pdfdetach -list: %v\n%s", err, list)
			}
			saved := filepath.Join(dir, "extrait.xml")
			if out, err := exec.Command("pdfdetach", "-save", "1", "-o", saved, path).CombinedOutput(); err != nil {
				t.Fatalf("pdfdetach -save: %v\n%s", err, out)
			}
			got, _ := os.ReadFile(saved)
			if !bytes.Equal(got, x) {
				t.Fatalf("factur-x.xml extracted by pdfdetach differs from the XML (%d vs %d bytes)", len(got), len(x))
			}
			if goX, err := ExtractFacturX(pdf); err != nil || !bytes.Equal(goX, x) {
				t.Fatalf("ExtractFacturX: %v (equal %v)", err, bytes.Equal(goX, x))
			}

			fonts, _ := exec.Command("pdffonts", path).CombinedOutput()
			rows := strings.Split(strings.TrimSpace(string(fonts)), "\n")[2:]
			if len(rows) == 0 {
				t.Fatalf("no font: %s", fonts)
			}
			for _, r := range rows {
				f := strings.Fields(r)
				// name type… encoding emb sub uni object ID: emb is the 5th field from the end.
				if f[len(f)-5] != "yes" {
					t.Errorf("font not embedded: %s", r)
				}
			}

			text, _ := exec.Command("pdftotext", "-layout", path, "-").CombinedOutput()
			want := []string{"N° " + inv.Number, "Exonération de TVA, article 261-4-4° a du CGI", "SIRET 732 829 320 00074", "Code service : FT-SERV-75-AIF", "Engagement (devis AIF) : DEV-2026-000042"}
			if inv.IsCreditNote() {
				want = append(want, "AVOIR", "Annule la facture FA-2026-00001", "Montant de l'avoir")
			} else {
				want = append(want, "FACTURE", "Net à payer", "IBAN FR76 3000 6000 0112 3456 7890 189", "BIC AGRIFRPP")
			}
			if name == "long" {
				want = append(want, "page 2/2")
			}
			flat := strings.Join(strings.Fields(string(text)), " ")
			for _, w := range want {
				if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
					t.Errorf("the page lacks %q", w)
				}
			}

			meta, _ := exec.Command("pdfinfo", "-meta", path).CombinedOutput()
			for _, w := range []string{"<pdfaid:part>3</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>",
				"<fx:DocumentType>INVOICE</fx:DocumentType>", "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>",
				"<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>", "<fx:Version>1.0</fx:Version>",
				"<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>",
				"<xmp:CreateDate>2026-06-02T09:30:00+00:00</xmp:CreateDate>"} {
				if !strings.Contains(string(meta), w) {
					t.Errorf("XMP lacks %s", w)
				}
			}

			checkStructure(t, path)
		})
	}
}

// checkStructure reads the catalog, the file specification and the output
// intent with qpdf.
func checkStructure(t *testing.T, path string) {
	t.Helper()
	show := func(obj string) string {
		out, err := exec.Command("qpdf", "--show-object="+obj, path).CombinedOutput()
		if err != nil {
			t.Fatalf("qpdf --show-object=%s: %v\n%s", obj, err, out)
		}
		return string(out)
	}
	refOf := func(dict, key string) string {
		m := regexp.MustCompile(key + ` \[? ?(\d+) 0 R`).FindStringSubmatch(dict)
		if m == nil {
			t.Fatalf("%s missing in %s", key, dict)
		}
		return m[1]
	}
	trailer := show("trailer")
	if !regexp.MustCompile(`/ID \[ <[0-9a-f]{32}> <[0-9a-f]{32}> \]`).MatchString(trailer) {
		t.Errorf("trailer without /ID: %s", trailer)
	}
	cat := show(refOf(trailer, "/Root"))
	spec := show(refOf(cat, "/AF"))
	for _, w := range []string{"/AFRelationship /Data", "/F (factur-x.xml)", "/UF (factur-x.xml)", "/Type /Filespec"} {
		if !strings.Contains(spec, w) {
			t.Errorf("file specification lacks %s: %s", w, spec)
		}
	}
	if !strings.Contains(cat, "/EmbeddedFiles << /Names [ (factur-x.xml) "+refOf(cat, "/AF")+" 0 R ]") {
		t.Errorf("catalog: %s", cat)
	}
	ef := show(refOf(spec, "/F"))
	if !strings.Contains(ef, "/Subtype /text#2fxml") && !strings.Contains(ef, "/Subtype /text#2Fxml") {
		t.Errorf("embedded file: %s", ef)
	}
	intent := show(refOf(cat, "/OutputIntents"))
	if !strings.Contains(intent, "/S /GTS_PDFA1") || !strings.Contains(intent, "sRGB IEC61966-2.1") {
		t.Errorf("output intent: %s", intent)
	}
	iccNum := refOf(intent, "/DestOutputProfile")
	if d := show(iccNum); !strings.Contains(d, "/N 3") {
		t.Errorf("ICC profile: %s", d)
	}
	icc, err := exec.Command("qpdf", "--show-object="+iccNum, "--filtered-stream-data", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if len(icc) < 128 || string(icc[36:40]) != "acsp" || string(icc[12:20]) != "mntrRGB " || int(binary.BigEndian.Uint32(icc)) != len(icc) {
		t.Errorf("ICC profile header invalid (%d bytes)", len(icc))
	}
	if m := show(refOf(cat, "/Metadata")); !strings.Contains(m, "/Subtype /XML") || strings.Contains(m, "/Filter") {
		t.Errorf("metadata stream: %s", m)
	}
}

// TestPDFIsStable: the same invoice gives the same embedded XML, byte for
// byte, and the same size (fpdf numbers its two fonts in map order, so the
// PDF bytes themselves may differ between runs).
func TestPDFIsStable(t *testing.T) {
	a, x := MustPDF(t, sample())
	b, _ := MustPDF(t, sample())
	xa, err := ExtractFacturX(a)
	if err != nil {
		t.Fatal(err)
	}
	xb, err := ExtractFacturX(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(xa, x) || !bytes.Equal(xb, x) || len(a) != len(b) {
		t.Error("the same invoice gives different Factur-X documents")
	}
	c, _ := MustPDF(t, CreditNote(sample(), "AV-2026-00001", calendar.NewDate(2026, time.June, 10)))
	if xc, _ := ExtractFacturX(c); bytes.Equal(xc, x) {
		t.Error("credit note carries the invoice's XML")
	}
}

func TestExtractFacturXRefusesOtherPDFs(t *testing.T) {
	if _, err := ExtractFacturX([]byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")); err != ErrNoFacturX {
		t.Errorf("err = %v", err)
	}
	if _, err := ExtractFacturX([]byte("pas un PDF")); err != ErrNoFacturX {
		t.Errorf("err = %v", err)
	}
}

// FuzzExtractFacturX: the reader of deposited PDFs never panics and never
// returns more than the 10 MB limit, whatever the bytes.
func FuzzExtractFacturX(f *testing.F) {
	pdf, _ := MustPDF(f, sample())
	f.Add(pdf)
	f.Add(pdf[:len(pdf)/2])
	f.Add([]byte("1 0 obj\n<< /Type /Filespec /F (factur-x.xml) /EF << /F 2 0 R >> >>\nendobj\n2 0 obj\n<< /Length 99999 /Filter /FlateDecode >>\nstream\nxx\nendstream\nendobj\n"))
	f.Add([]byte("1 0 obj\n<< /UF (factur-x.xml) /EF << /F 2 0 R >> >>\nendobj\n2 0 obj\n<< /Length 3 0 R >>\nstream\nabc\nendstream\nendobj\n3 0 obj\n-5\nendobj\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ExtractFacturX(b)
		if err == nil && len(x) > 10<<20 {
			t.Fatalf("%d bytes returned", len(x))
		}
	})
}
