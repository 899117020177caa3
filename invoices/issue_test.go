package invoices_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/attestations"
	"kairos/calendar"
	"kairos/einvoice"
	"kairos/einvoice/einvoicetest"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/invoices"
)

// TestInvoiceFromWhatKairosHolds: a trainee entered on 2 March 2026 and left
// on 10 April; his months attested, his AIF quote validated (12,50 € an hour,
// AIF 2 400 €), his assessment transmitted: the invoice is prepared with no
// amount typed (203 h × 12,50 € capped at 2 400 €), issued once under 20
// concurrent clicks, valid EN 16931 / Factur-X, the assessment locked; a
// credit note cancels it and the trainee can be invoiced again.
func TestInvoiceFromWhatKairosHolds(t *testing.T) {
	e := newEnv(t)
	e.mustAdhesion(t, e.OFA)
	if _, err := e.DB().Exec(e.ctx, `INSERT INTO qualiopi_certificates (adhesion_id, number, certifier, valid_from, valid_until, created_at, created_by)
		SELECT id, 'Q-1', 'AFNOR', ?, ?, ?, 'test' FROM adhesions WHERE org_id = ?`, now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0), now, e.OFA); err != nil {
		t.Fatal(err)
	}
	rgc := e.Users[kairos.RoleOFAdmin].Actor()
	ctx := kairos.WithActor(e.ctx, rgc)
	if _, err := e.svc.SetBilling(ctx, rgc, goodInput); err != nil {
		t.Fatal(err)
	}
	clock := &fixture.Clock{T: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	db := e.DB()
	enr := &enrolment.Service{DB: db, Clock: clock.Now, Sessions: appointments.StaticSessions{
		1: {ID: 1, Intitule: "Développeur web", OrgID: e.OFA, Debut: clock.T, Fin: time.Date(2026, 6, 30, 8, 0, 0, 0, time.UTC)}}}
	att := &attestations.Service{DB: db, Clock: clock.Now}
	bil := &assessments.Service{DB: db, Clock: clock.Now}
	iss := &invoices.Issuer{DB: db, Invoices: e.svc, CodeService: "FT-AIF-76", Clock: clock.Now}
	cons, de := e.Users[kairos.RoleConseiller], e.Users[kairos.RoleDemandeur]
	if err := (&appointments.Service{DB: db}).SetDemandeur(e.ctx, de.ID, "FT0001", e.Agence, cons.ID); err != nil {
		t.Fatal(err)
	}
	x, err := enr.Propose(e.ctx, cons.Actor(), enrolment.Proposal{DemandeurID: de.ID, SessionID: 1})
	if err == nil {
		_, err = enr.Do(e.ctx, rgc, x.ID, enrolment.Action{Action: enrolment.ActInscrire})
	}
	if err == nil {
		_, err = enr.Do(e.ctx, rgc, x.ID, enrolment.Action{Action: enrolment.ActEntrer, Date: calendar.NewDate(2026, 3, 2)})
	}
	if err != nil {
		t.Fatal(err)
	}
	clock.T = time.Date(2026, 4, 10, 15, 0, 0, 0, time.UTC)
	if _, err := enr.Do(e.ctx, rgc, x.ID, enrolment.Action{Action: enrolment.ActSortir, Date: calendar.NewDate(2026, 4, 10), Reason: "fin_normale"}); err != nil {
		t.Fatal(err)
	}
	clock.T = time.Date(2026, 4, 14, 8, 0, 0, 0, time.UTC)
	d, err := iss.Prepare(e.ctx, rgc, x.ID)
	if err != nil || d.Ready || strings.Join(d.Missing, " | ") != "Devis AIF validé | Attestation de présence de mars 2026 | Attestation de présence d'avril 2026 | Bilan de formation transmis" {
		t.Fatalf("before: %+v %v", d, err)
	}
	for _, m := range []calendar.Month{calendar.NewMonth(2026, 3), calendar.NewMonth(2026, 4)} {
		if res, err := att.Attest(e.ctx, rgc, m, []attestations.Item{{EnrolmentID: x.ID}}); err != nil || !res[0].OK {
			t.Fatalf("attest %s: %+v %v", m, res, err)
		}
	}
	if _, err := bil.Do(e.ctx, rgc, x.ID, assessments.Step{Action: assessments.ActTransmettre, Content: assessments.Content{Result: assessments.Obtenue, Skills: "Développer une application web."}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(e.ctx, `INSERT INTO quotes (number, org_id, region, session_id, carif_source, formation_numero, action_numero, session_numero, title, place, session_debut, session_fin,
		certifying, demandeur_id, agence_id, state, hours_centre, hours_company, hourly_cents, total_cents, cofunding_cents, aif_cents, comment, reason, review, enrolment_id, version, created_at, updated_at)
		VALUES ('AIF-2026-0000042-17', ?, '76', 1, 's', 'f', 'a', 's', 'Développeur web', 'Toulouse', 0, 0, 1, ?, ?, 'valide', 0, 0, 1250, 300000, 60000, 240000, '', '', 0, ?, 1, ?, ?)`,
		e.OFA, de.ID, e.Agence, x.ID, clock.T, clock.T); err != nil {
		t.Fatal(err)
	}
	d, err = iss.Prepare(e.ctx, rgc, x.ID)
	if err != nil || !d.Ready || d.TotalCents != 240000 || len(d.Invoice.Lines) != 2 || d.Invoice.Lines[0].QuarterHours != 154*4 || d.Invoice.Lines[1].QuarterHours != 49*4 ||
		d.Invoice.Totals.LineTotal != 253750 || d.Invoice.Totals.AllowanceTotal != 13750 || d.Invoice.OrderReference != "AIF-2026-0000042-17" || d.Invoice.BuyerReference != "FT-AIF-76" {
		t.Fatalf("prepared: %+v %+v %v", d, d.Invoice, err)
	}
	// Other OFs, roles without the habilitation: refused.
	if _, err := iss.Prepare(e.ctx, e.OFBAdmin.Actor(), x.ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("another OF: %v", err)
	}
	noHab := fixture.MustUser(t, e.Acc, e.OFA, kairos.RoleOFUser, "rdv@a.example", kairos.HabRDV).Actor()
	if _, err := iss.Issue(e.ctx, noHab, x.ID); kairos.ErrorCode(err) != kairos.EForbidden {
		t.Fatalf("without the habilitation: %v", err)
	}
	// 20 concurrent issues: one invoice.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var issued []*invoices.Issued
	codes := map[kairos.Code]int{}
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x, err := iss.Issue(e.ctx, rgc, x.ID)
			if err != nil && testing.Verbose() {
				t.Log(err)
			}
			mu.Lock()
			defer mu.Unlock()
			codes[kairos.ErrorCode(err)]++
			if err == nil {
				issued = append(issued, x)
			}
		}()
	}
	wg.Wait()
	if len(issued) != 1 || codes[kairos.EConflict] != 19 {
		t.Fatalf("concurrent issues: %d issued, codes %v", len(issued), codes)
	}
	inv := issued[0]
	if inv.Number != "FA-2026-00001" || inv.TotalCents != 240000 || inv.State != invoices.StEmise {
		t.Fatalf("issued %+v", inv)
	}
	_, xmlDoc, err := iss.Document(e.ctx, rgc, inv.ID, "xml")
	if err != nil {
		t.Fatal(err)
	}
	_, pdf, err := iss.Document(e.ctx, e.Users[kairos.RoleFTComptable].Actor(), inv.ID, "pdf")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := einvoice.ExtractFacturX(pdf); err != nil || !bytes.Equal(got, xmlDoc) {
		t.Fatalf("factur-x.xml of the PDF differs from the XML (%v)", err)
	}
	// The assessment can no longer be withdrawn.
	if _, err := bil.Do(e.ctx, rgc, x.ID, assessments.Step{Action: assessments.ActRetirer, Reason: "Erreur"}); kairos.ErrorCode(err) != kairos.EConflict || !strings.Contains(kairos.ErrorMessage(err), "FA-2026-00001") {
		t.Fatalf("assessment withdrawn after the invoice: %v", err)
	}
	if _, err := iss.Get(e.ctx, e.OFBAdmin.Actor(), inv.ID); kairos.ErrorCode(err) == "" {
		t.Fatal("another OF reads the invoice")
	}
	// A credit note cancels it; the trainee can be invoiced again.
	if _, err := iss.CreditNote(e.ctx, rgc, inv.ID, " "); kairos.FieldErrors(err)["reason"] == "" {
		t.Fatalf("credit note without reason: %v", err)
	}
	cn, err := iss.CreditNote(e.ctx, rgc, inv.ID, "Taux horaire erroné sur le devis")
	if err != nil || cn.Number != "AV-2026-00001" || cn.TypeCode != einvoice.TypeCreditNote || cn.CreditOf != inv.ID {
		t.Fatalf("credit note: %+v %v", cn, err)
	}
	if _, err := iss.CreditNote(e.ctx, rgc, inv.ID, "deux fois"); kairos.ErrorCode(err) != kairos.EConflict {
		t.Fatalf("credit note twice: %v", err)
	}
	_, cnXML, _ := iss.Document(e.ctx, rgc, cn.ID, "xml")
	again, err := iss.Issue(e.ctx, rgc, x.ID)
	if err != nil || again.Number != "FA-2026-00002" {
		t.Fatalf("invoiced again: %+v %v", again, err)
	}
	// The issue enqueued the PDF's job; it stores the PDF a download returns.
	var payload string
	if err := db.QueryRow(e.ctx, "SELECT payload FROM jobs WHERE kind = ? AND payload LIKE ?", invoices.PDFJob, "%:"+strconv.FormatInt(again.ID, 10)+"}").Scan(&payload); err != nil {
		t.Fatalf("no PDF job for %s: %v", again.Number, err)
	}
	if err := iss.HandlePDF(e.ctx, json.RawMessage(payload)); err != nil {
		t.Fatal(err)
	}
	var stored []byte
	if err := db.QueryRow(e.ctx, "SELECT pdf FROM invoices WHERE id = ?", again.ID).Scan(&stored); err != nil || len(stored) == 0 {
		t.Fatalf("the job stored no PDF (%v)", err)
	}
	_, againXML, _ := iss.Document(e.ctx, rgc, again.ID, "xml")
	if _, got, err := iss.Document(e.ctx, rgc, again.ID, "pdf"); err != nil || !bytes.Equal(got, stored) {
		t.Fatalf("the download differs from the PDF of the job (%v)", err)
	}
	if x, err := einvoice.ExtractFacturX(stored); err != nil || !bytes.Equal(x, againXML) {
		t.Fatalf("factur-x.xml of the job's PDF differs from the XML (%v)", err)
	}
	if err := iss.HandlePDF(e.ctx, json.RawMessage(payload)); err != nil {
		t.Fatalf("the job run twice: %v", err)
	}
	list, err := iss.List(e.ctx, e.Users[kairos.RoleFTComptable].Actor(), "")
	if err != nil || len(list) != 3 || list[2].State != invoices.StAnnulee || list[2].CreditNumber != "AV-2026-00001" {
		t.Fatalf("FT list: %+v %v", list, err)
	}
	// Pages and the CSV export.
	if p, err := iss.Page(e.ctx, e.Users[kairos.RoleFTComptable].Actor(), invoices.ListFilter{Kind: "factures", Limit: 1, Offset: 1}); err != nil || p.Total != 2 || len(p.Items) != 1 || p.Items[0].Number != "FA-2026-00001" {
		t.Fatalf("page 2 of the invoices: %+v %v", p, err)
	}
	if _, err := iss.Page(e.ctx, rgc, invoices.ListFilter{Kind: "brouillons"}); kairos.FieldErrors(err)["type"] == "" {
		t.Fatalf("unknown kind: %v", err)
	}
	var csvOut bytes.Buffer
	if err := iss.WriteCSV(e.ctx, rgc, "", &csvOut); err != nil {
		t.Fatal(err)
	}
	csvLines := strings.Split(strings.TrimSpace(csvOut.String()), "\n")
	if len(csvLines) != 4 || !strings.HasPrefix(csvLines[0], "Numéro;Type;État") || !strings.Contains(csvOut.String(), "FA-2026-00001;Facture;Annulée par avoir;") ||
		!strings.Contains(csvOut.String(), "AV-2026-00001;Avoir;Émis;") || !strings.Contains(csvOut.String(), ";2400,00;AV-2026-00001;") || !strings.Contains(csvOut.String(), "Taux horaire erroné sur le devis") {
		t.Fatalf("CSV:\n%s", csvOut.String())
	}
	var other bytes.Buffer
	if err := iss.WriteCSV(e.ctx, e.OFBAdmin.Actor(), "", &other); err != nil || strings.Count(other.String(), "\n") != 1 {
		t.Fatalf("another OF's export: %v\n%s", err, other.String())
	}
	einvoicetest.MustValid(t, map[string][]byte{"invoice.xml": xmlDoc, "credit-note.xml": cnXML})
	_ = account.StatusActive
}
