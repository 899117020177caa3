package demo_test

import (
	"bytes"
	"strings"
	"testing"

	"kairos"
	"kairos/adhesion"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/attestations"
	"kairos/catalogue"
	"kairos/demo"
	"kairos/einvoice"
	"kairos/einvoice/einvoicetest"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/invoices"
	"kairos/quotes"
)

// TestDemoInvoices loads the whole demo at fixture.Now (CI pins it on month
// ends, 1 January, 29 February, DST days…), as `kairos serve` does: whatever
// the day, Formapro Occitanie has its billing details, issued invoices whose
// quote is validated, a credit note, and an invoice ready to issue; every
// issued document's XML passes both schema sets and the EN 16931 rules with
// no fatal failure, and its PDF carries it byte for byte (pdfdetach and the
// Go reader) and passes qpdf --check. Loading twice changes nothing.
func TestDemoInvoices(t *testing.T) {
	now := fixture.Now(t)
	acc := fixture.MustAccounts(t)
	acc.DB.Clock = kairos.FixedClock(now)
	ctx := fixture.Ctx()
	if _, _, err := demo.Load(ctx, acc); err != nil {
		t.Fatal(err)
	}
	adh := adhesion.New(acc)
	cat := &catalogue.Service{DB: acc.DB, Trade: adh}
	if _, err := demo.LoadCatalogue(ctx, cat, now); err != nil {
		t.Fatal(err)
	}
	att := &attestations.Service{DB: acc.DB}
	path := &enrolment.Service{DB: acc.DB, Sessions: appointments.CatalogueSessions{Catalogue: cat, Accounts: acc}, Schedules: att}
	if err := demo.LoadEnrolments(ctx, acc, path, now); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadAttestations(ctx, acc, att, now); err != nil {
		t.Fatal(err)
	}
	bilans := &assessments.Service{DB: acc.DB}
	if err := demo.LoadAssessments(ctx, acc, bilans); err != nil {
		t.Fatal(err)
	}
	qs := &quotes.Service{DB: acc.DB, Catalog: quotes.CatalogueSource{Catalogue: cat, Accounts: acc}, Trade: adh, Path: path}
	if err := demo.LoadQuotes(ctx, acc, qs, now); err != nil {
		t.Fatal(err)
	}
	iss := &invoices.Issuer{DB: acc.DB, Invoices: &invoices.Service{DB: acc.DB, Adhesions: adh}, CodeService: "FT-AIF"}
	for i := 0; i < 2; i++ {
		if err := demo.LoadInvoices(ctx, acc, qs, path, att, bilans, iss, now); err != nil {
			t.Fatalf("invoices on %s (load %d): %v", now, i+1, err)
		}
	}
	rgc, err := acc.UserByEmail(ctx, demo.Accounts[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	of := rgc.Actor()
	if b, err := iss.Invoices.Billing(ctx, of.OrgID); err != nil || b == nil || b.IBAN != demo.BillingIBAN || b.VATID == "" {
		t.Fatalf("%s: billing details %+v %v", now, b, err)
	}
	list, err := iss.List(ctx, of, "")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	docs := map[string][]byte{}
	for _, x := range list {
		kinds[x.TypeCode+" "+x.State]++
		if x.TypeCode == einvoice.TypeInvoice {
			var state string
			if err := acc.DB.QueryRow(ctx, "SELECT state FROM quotes WHERE number = ? AND enrolment_id = ?", x.QuoteNumber, x.EnrolmentID).Scan(&state); err != nil || state != "valide" {
				t.Errorf("%s: invoice %s: quote %s is %q (%v)", now, x.Number, x.QuoteNumber, state, err)
			}
		}
		_, xml, err := iss.Document(ctx, of, x.ID, "xml")
		if err != nil {
			t.Fatal(err)
		}
		_, pdf, err := iss.Document(ctx, of, x.ID, "pdf")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := einvoice.ExtractFacturX(pdf); err != nil || !bytes.Equal(got, xml) {
			t.Errorf("%s: factur-x.xml of the PDF differs from the XML (%v)", x.Number, err)
		}
		einvoicetest.MustFacturXPDF(t, x.Number, pdf, xml)
		docs[x.Number] = xml
	}
	if kinds["380 emise"] != 2 || kinds["380 annulee"] != 1 || kinds["381 emise"] != 1 || len(list) != 4 {
		t.Errorf("%s: documents %v", now, kinds)
	}
	drafts, err := iss.ToPrepare(ctx, of)
	if err != nil {
		t.Fatal(err)
	}
	ready := 0
	for _, d := range drafts {
		if d.Ready {
			ready++
			if d.DemandeurName != demo.Invoiced[2].Name || d.TotalCents <= 0 || d.QuoteNumber == "" {
				t.Errorf("%s: ready draft %+v", now, d)
			}
			docs["brouillon-"+d.FTID] = einvoice.XML(d.Invoice)
		} else if strings.Contains(d.DemandeurName, demo.Invoiced[2].Name) {
			t.Errorf("%s: %s not ready: %v %v", now, d.DemandeurName, d.Missing, d.Violations)
		}
	}
	if ready != 1 {
		t.Errorf("%s: %d invoices ready to issue, want 1", now, ready)
	}
	einvoicetest.MustValid(t, docs)
}
