package e2e

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"kairos/demo"
	"kairos/einvoice"
	"kairos/store"
	"kairos/store/storetest"
)

// TestInvoiceJourney: the demo trainee whose months are attested and whose
// assessment is transmitted (Sarah Lopez) gets a validated AIF quote (the
// demo OF has its bank details); the invoice is then prepared with no amount
// typed, issued, its PDF carries the XML byte for byte, France Travail
// reads it; a credit note cancels it.
func TestInvoiceJourney(t *testing.T) {
	dbURL := storetest.URL(t)
	in := MustStart(t, dbURL)
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id, org, de, agence int64
	if err := db.QueryRow(ctx, "SELECT e.id, e.org_id, e.demandeur_id, e.agence_id FROM enrolments e JOIN users u ON u.id = e.demandeur_id WHERE u.name = 'Sarah Lopez'").Scan(&id, &org, &de, &agence); err != nil {
		t.Fatal(err)
	}
	of, ft := NewBrowser(t), NewBrowser(t)
	if st := of.Login(in, demo.Accounts[0].Email, demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	if st := ft.Login(in, demo.Accounts[4].Email, demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login FT: %d", st)
	}
	eid := strconv.FormatInt(id, 10)
	_, page := of.Get(in.URL + "/factures")
	wantIn(t, page, "before the quote", "Sarah Lopez", "Manque : Devis AIF validé")
	if _, err := db.Exec(ctx, `INSERT INTO quotes (number, org_id, region, session_id, carif_source, formation_numero, action_numero, session_numero, title, place, session_debut, session_fin,
		certifying, demandeur_id, agence_id, state, hours_centre, hours_company, hourly_cents, total_cents, cofunding_cents, aif_cents, comment, reason, review, enrolment_id, version, created_at, updated_at)
		VALUES ('AIF-2026-0000007-42', ?, '76', 1, 's', 'f', 'a', 's', 'Soudeur TIG', 'Toulouse', 0, 0, 1, ?, ?, 'valide', 0, 0, 1100, 900000, 0, 900000, '', '', 0, ?, 1, ?, ?)`,
		org, de, agence, id, testNow, testNow); err != nil {
		t.Fatal(err)
	}
	// The demo filled the OF's billing details and issued invoices.
	_, page = of.Get(in.URL + "/factures")
	wantIn(t, page, "demo invoice to issue", demo.Invoiced[2].Name)
	_, page = of.Get(in.URL + "/factures?vue=emises")
	wantIn(t, page, "demo invoices", demo.Invoiced[0].Name, demo.Invoiced[1].Name, "Annulée par avoir")
	_, page = of.Get(in.URL + "/factures?vue=avoirs")
	wantIn(t, page, "demo credit note", demo.Invoiced[1].Name, "AV-")
	draft := in.URL + "/factures/inscriptions/" + eid
	_, page = of.Get(draft)
	if strings.Contains(page, `id="controles"`) {
		i := strings.Index(page, `id="controles"`)
		t.Fatalf("the prepared invoice fails its checks:\n%s", page[i:min(len(page), i+1500)])
	}
	wantIn(t, page, "prepared invoice", "AIF-2026-0000007-42", "Émettre la facture", "Net à payer")
	st, body := of.Submit(draft, draft, url.Values{})
	if st != http.StatusSeeOther || !strings.Contains(body, "/factures/documents/") {
		t.Fatalf("issue: %d %s", st, body)
	}
	doc := in.URL + strings.TrimSpace(strings.SplitN(body, "\n", 2)[0])
	_, page = of.Get(doc)
	wantIn(t, page, "issued invoice", "Facture FA-", "Émise", "AIF-2026-0000007-42")
	st, _, pdf := ft.getRaw(doc + "/facture.pdf")
	_, _, xml := ft.getRaw(doc + "/facture.xml")
	if st != 200 || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("PDF: %d", st)
	}
	if got, err := einvoice.ExtractFacturX(pdf); err != nil || !bytes.Equal(got, xml) {
		t.Fatalf("factur-x.xml differs from the XML (%v)", err)
	}
	_, page = ft.Get(in.URL + "/france-travail/factures")
	wantIn(t, page, "France Travail", "Formapro Occitanie", "Sarah Lopez", "AIF-2026-0000007-42")
	// A credit note cancels it.
	st, body = of.Submit(doc, doc+"/avoir", url.Values{"reason": {"Taux horaire erroné"}})
	if st != http.StatusSeeOther {
		t.Fatalf("credit note: %d %s", st, body)
	}
	_, page = of.Get(doc)
	wantIn(t, page, "cancelled invoice", "Annulée par avoir", "AV-")
	// Another OF reads nothing.
	other := NewBrowser(t)
	if st := other.Login(in, "rgc@competences-plus.example", demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	if st, _ := other.Get(doc); st != http.StatusNotFound {
		t.Fatalf("another OF reads the invoice: %d", st)
	}
}
