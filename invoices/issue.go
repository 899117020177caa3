package invoices

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"kairos"
	"kairos/assessments"
	"kairos/calendar"
	"kairos/einvoice"
	"kairos/store"
	"kairos/worker"
)

// The invoice of a trainee's training (issue 14): once he has left, his
// AIF quote validated, every month from his entry to his exit attested and
// his assessment transmitted, Kairos prepares the invoice from what it
// holds — the quote (its number is the engagement, BT-13; its hourly cost
// and its AIF amount, the cap), the attested hours of each month, the OF
// (seller) and France Travail (buyer, its code service in BT-10) — and the
// OF issues it: a number of its continuous series, the CII XML and the
// Factur-X PDF, stored as issued. Nobody types an amount. A credit note
// (381) cancels an issued invoice; the trainee can then be invoiced again.

// Invoice states.
const (
	StEmise   = "emise"
	StAnnulee = "annulee"
)

// DefaultBuyer is France Travail as the buyer of the OF's invoices (its
// SIRET, the one of the Chorus Pro structure, and its head office).
var DefaultBuyer = einvoice.Party{Name: "France Travail", SIRET: "13000548100010",
	Address: einvoice.Address{Line1: "1 avenue du Docteur Gley", PostalCode: "75020", City: "Paris", Country: "FR"}}

// PaymentDays is the payment term of an invoice.
const PaymentDays = 30

// Issuer prepares and issues the invoices.
type Issuer struct {
	DB       *store.DB
	Invoices *Service       // the seller party, the billing details, the number sequences
	Buyer    einvoice.Party // zero: DefaultBuyer
	// CodeService is France Travail's « code service exécutant » (BT-10).
	CodeService string
	Clock       kairos.Clock
}

func (s *Issuer) now() time.Time {
	if s.Clock != nil {
		return s.Clock().UTC()
	}
	return s.DB.Now()
}

func (s *Issuer) buyer() einvoice.Party {
	if s.Buyer.Name == "" {
		return DefaultBuyer
	}
	return s.Buyer
}

var (
	ofFacturation = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabFacturation}
	ftReaders     = kairos.Rule{Roles: []kairos.Role{kairos.RoleFTComptable, kairos.RoleFTGestionnaire}}
)

// Draft is the invoice Kairos prepares for one exited trainee: what it lacks
// (Missing), or the invoice itself with the checks it fails.
type Draft struct {
	EnrolmentID   int64             `json:"enrolment_id"`
	OrgID         int64             `json:"org_id"`
	DemandeurName string            `json:"demandeur_name"`
	FTID          string            `json:"ft_id"`
	SessionTitle  string            `json:"session_title"`
	EntryOn       calendar.Date     `json:"entry_on"`
	ExitOn        calendar.Date     `json:"exit_on"`
	QuoteNumber   string            `json:"quote_number,omitempty"`
	AIFCents      int64             `json:"aif_cents"`
	Missing       []string          `json:"missing"`
	Invoice       *einvoice.Invoice `json:"-"`
	Violations    []string          `json:"violations,omitempty"`
	TotalCents    int64             `json:"total_cents"`
	Ready         bool              `json:"ready"`
}

// Total is the prepared invoice's total, in French.
func (d *Draft) Total() string { return einvoice.FormatEuros(d.TotalCents) }

type enrolmentRow struct {
	id, org, agence   int64
	name, ftid, title string
	state             string
	entry, exit       calendar.Date
}

func loadEnrolment(ctx context.Context, q store.Querier, id int64, lock bool) (*enrolmentRow, error) {
	query := `SELECT e.id, e.org_id, e.agence_id, u.name, COALESCE(d.ft_id, ''), e.session_title, e.state, e.entry_on, e.exit_on
		FROM enrolments e JOIN users u ON u.id = e.demandeur_id LEFT JOIN demandeurs d ON d.user_id = e.demandeur_id WHERE e.id = ?`
	if lock && q.Engine() == store.Postgres {
		query += " FOR UPDATE OF e"
	}
	var r enrolmentRow
	err := q.QueryRow(ctx, query, id).Scan(&r.id, &r.org, &r.agence, &r.name, &r.ftid, &r.title, &r.state, &r.entry, &r.exit)
	if err != nil {
		return nil, store.NotFoundIf(err, "Inscription")
	}
	return &r, nil
}

// prepare builds the draft of enrolment e, inside q.
// seller is the seller party and bank details of an OF, read before the
// issuing transaction (which must not wait for a second connection).
type seller struct {
	party einvoice.Party
	bank  *BillingDetails
	err   error
}

func (s *Issuer) sellerOf(ctx context.Context, org int64) (*seller, error) {
	p, b, err := s.Invoices.Seller(ctx, org)
	if err != nil && kairos.ErrorCode(err) != kairos.EConflict {
		return nil, err
	}
	return &seller{p, b, err}, nil
}

func (s *Issuer) prepare(ctx context.Context, q store.Querier, e *enrolmentRow, today calendar.Date, sel *seller) (*Draft, error) {
	d := &Draft{EnrolmentID: e.id, OrgID: e.org, DemandeurName: e.name, FTID: e.ftid, SessionTitle: e.title, EntryOn: e.entry, ExitOn: e.exit, Missing: []string{}}
	if e.state != "sortie" {
		d.Missing = append(d.Missing, "Sortie de formation déclarée")
		return d, nil
	}
	var existing string
	switch err := q.QueryRow(ctx, "SELECT number FROM invoices WHERE enrolment_id = ? AND type_code = '380' AND state = 'emise'", e.id).Scan(&existing); {
	case err == nil:
		d.Missing = append(d.Missing, "Aucune facture en vigueur (la facture "+existing+" est déjà émise : un avoir l'annule)")
		return d, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	var rate int64
	switch err := q.QueryRow(ctx, "SELECT number, hourly_cents, aif_cents FROM quotes WHERE enrolment_id = ? AND state = 'valide' ORDER BY id DESC LIMIT 1", e.id).Scan(&d.QuoteNumber, &rate, &d.AIFCents); {
	case errors.Is(err, sql.ErrNoRows):
		d.Missing = append(d.Missing, "Devis AIF validé")
	case err != nil:
		return nil, err
	}
	// The attested months, current versions.
	attended := map[calendar.Month]int64{}
	rows, err := q.Query(ctx, "SELECT month, attended FROM attestations WHERE enrolment_id = ? AND current = 1 AND state = 'transmise' ORDER BY month", e.id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var m calendar.Month
		var minutes int64
		if err := rows.Scan(&m, &minutes); err != nil {
			rows.Close()
			return nil, err
		}
		attended[m] = minutes
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var items []einvoice.HoursItem
	for m := calendar.MonthOf(e.entry); m <= calendar.MonthOf(e.exit); m = m.AddMonths(1) {
		minutes, ok := attended[m]
		if !ok {
			d.Missing = append(d.Missing, "Attestation de présence "+m.FrenchOf())
			continue
		}
		if minutes < 15 {
			continue // a month attested with no hour attended bills nothing: no line
		}
		period := m.Days().Intersect(calendar.Range{From: e.entry, To: e.exit})
		items = append(items, einvoice.HoursItem{Label: "Heures de formation réalisées en " + m.French(), Period: period, QuarterHours: minutes / 15})
	}
	if len(items) == 0 && len(d.Missing) == 0 {
		d.Missing = append(d.Missing, "Heures de formation attestées (aucune heure réalisée n'est attestée)")
	}
	var st string
	switch err := q.QueryRow(ctx, "SELECT state FROM assessments WHERE enrolment_id = ?", e.id).Scan(&st); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	}
	if st != string(assessments.Transmis) {
		d.Missing = append(d.Missing, "Bilan de formation transmis")
	}
	if len(d.Missing) > 0 {
		return d, nil
	}
	if sel == nil {
		var err error
		if sel, err = s.sellerOf(ctx, e.org); err != nil {
			return nil, err
		}
	}
	if sel.err != nil {
		d.Missing = append(d.Missing, kairos.ErrorMessage(sel.err))
		return d, nil
	}
	seller, bank := sel.party, sel.bank
	lines, allowances := einvoice.PrepareLines(items, rate, d.AIFCents, d.QuoteNumber)
	// The number is taken when the invoice is issued.
	inv := &einvoice.Invoice{
		Number: "FA-BROUILLON", TypeCode: einvoice.TypeInvoice, IssueDate: today, DueDate: today.AddDays(PaymentDays),
		PaymentTerms: "Virement à " + strconv.Itoa(PaymentDays) + " jours, au plus tard le " + today.AddDays(PaymentDays).French() + ".",
		Notes: []einvoice.Note{{Content: "Formation « " + e.title + " » de " + e.name + " (identifiant France Travail " + e.ftid + "), du " + e.entry.French() + " au " + e.exit.French() +
			" ; aide individuelle à la formation, devis " + d.QuoteNumber + "."}},
		Seller: seller, Buyer: s.buyer(), BuyerReference: s.CodeService, OrderReference: d.QuoteNumber,
		IBAN: bank.IBAN, BIC: bank.BIC, AccountName: bank.AccountName, Lines: lines, Allowances: allowances,
	}
	inv.Compute()
	d.Invoice, d.TotalCents = inv, inv.Totals.DuePayable
	for _, v := range einvoice.Check(inv) {
		d.Violations = append(d.Violations, v.String())
	}
	d.Ready = len(d.Violations) == 0
	return d, nil
}

// Prepare returns the invoice Kairos prepares for enrolment id of the
// actor's OF (habilitation facturation).
func (s *Issuer) Prepare(ctx context.Context, a *kairos.Actor, id int64) (*Draft, error) {
	if err := kairos.Authorize(a, ofFacturation); err != nil {
		return nil, err
	}
	e, err := loadEnrolment(ctx, s.DB, id, false)
	if err != nil {
		return nil, err
	}
	if err := kairos.OwnedBy(a, e.org, "Inscription"); err != nil {
		return nil, err
	}
	return s.prepare(ctx, s.DB, e, calendar.DateOf(s.now()), nil)
}

// ToPrepare lists the OF's exited trainees not invoiced yet, each with its
// draft (ready, or what it lacks), the most recent exits first.
func (s *Issuer) ToPrepare(ctx context.Context, a *kairos.Actor) ([]Draft, error) {
	return s.ToPreparePage(ctx, a, 0, 0, 500)
}

// ToPreparePage is ToPrepare by pages: limit (1 to 501) trainees after the
// enrolment (afterExit, afterID) in its order (keyset pagination; afterID 0:
// from the start).
func (s *Issuer) ToPreparePage(ctx context.Context, a *kairos.Actor, afterExit calendar.Date, afterID int64, limit int) ([]Draft, error) {
	if err := kairos.Authorize(a, ofFacturation); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 501 {
		limit = 500
	}
	after, args := "", []any{a.OrgID}
	if afterID > 0 {
		after = " AND (e.exit_on < ? OR (e.exit_on = ? AND e.id < ?))"
		args = append(args, int64(afterExit), int64(afterExit), afterID)
	}
	rows, err := s.DB.Query(ctx, `SELECT e.id FROM enrolments e WHERE e.org_id = ? AND e.state = 'sortie'
		AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.enrolment_id = e.id AND i.type_code = '380' AND i.state = 'emise')`+after+` ORDER BY e.exit_on DESC, e.id DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	today := calendar.DateOf(s.now())
	out := []Draft{}
	var sel *seller // read once for the whole list
	if len(ids) > 0 {
		if sel, err = s.sellerOf(ctx, a.OrgID); err != nil {
			return nil, err
		}
	}
	for _, id := range ids {
		e, err := loadEnrolment(ctx, s.DB, id, false)
		if err != nil {
			return nil, err
		}
		d, err := s.prepare(ctx, s.DB, e, today, sel)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, nil
}

// Issued is an issued invoice or credit note, as stored.
type Issued struct {
	ID            int64             `json:"id"`
	OrgID         int64             `json:"org_id"`
	OrgName       string            `json:"org_name"`
	EnrolmentID   int64             `json:"enrolment_id"`
	DemandeurName string            `json:"demandeur_name"`
	Number        string            `json:"number"`
	TypeCode      string            `json:"type_code"`
	State         string            `json:"state"`
	CreditOf      int64             `json:"credit_of,omitempty"`
	CreditNumber  string            `json:"credit_note_number,omitempty"` // the credit note that cancelled it
	QuoteNumber   string            `json:"quote_number"`
	IssueDate     calendar.Date     `json:"issue_date"`
	TotalCents    int64             `json:"total_cents"`
	Reason        string            `json:"reason,omitempty"`
	ActorLabel    string            `json:"issued_by"`
	CreatedAt     time.Time         `json:"created_at"`
	Model         *einvoice.Invoice `json:"-"`
}

// Kind is the French name of the document.
func (x *Issued) Kind() string {
	if x.TypeCode == einvoice.TypeCreditNote {
		return "Avoir"
	}
	return "Facture"
}

// StateLabel is the French label of the state.
func (x *Issued) StateLabel() string {
	switch {
	case x.TypeCode == einvoice.TypeCreditNote:
		return "Émis"
	case x.State == StAnnulee:
		return "Annulée par avoir"
	}
	return "Émise"
}

// Total is the total in French.
func (x *Issued) Total() string { return einvoice.FormatEuros(x.TotalCents) }

const issuedCols = `i.id, i.org_id, o.name, i.enrolment_id, u.name, i.number, i.type_code, i.state, COALESCE(i.credit_of, 0),
	COALESCE((SELECT c.number FROM invoices c WHERE c.credit_of = i.id), ''), i.quote_number, i.issue_date, i.total_cents, i.reason, i.actor_label, i.created_at, i.model`

const issuedFrom = ` FROM invoices i JOIN organisations o ON o.id = i.org_id JOIN enrolments e ON e.id = i.enrolment_id JOIN users u ON u.id = e.demandeur_id`

func scanIssued(sc interface{ Scan(...any) error }) (*Issued, error) {
	var x Issued
	var model string
	if err := sc.Scan(&x.ID, &x.OrgID, &x.OrgName, &x.EnrolmentID, &x.DemandeurName, &x.Number, &x.TypeCode, &x.State, &x.CreditOf, &x.CreditNumber,
		&x.QuoteNumber, &x.IssueDate, &x.TotalCents, &x.Reason, &x.ActorLabel, &x.CreatedAt, &model); err != nil {
		return nil, err
	}
	x.CreatedAt = x.CreatedAt.UTC()
	x.Model = &einvoice.Invoice{}
	if err := json.Unmarshal([]byte(model), x.Model); err != nil {
		return nil, err
	}
	return &x, nil
}

// scope returns the condition (on i and e) of the invoices the actor reads:
// his OF's (OF users), those of his region's agences (France Travail;
// national services: all).
func (s *Issuer) scope(ctx context.Context, a *kairos.Actor) (string, []any, error) {
	switch {
	case kairos.Authorize(a, ofFacturation) == nil:
		return "i.org_id = ?", []any{a.OrgID}, nil
	case kairos.Authorize(a, ftReaders) == nil:
		var region string
		err := s.DB.QueryRow(ctx, "SELECT region FROM organisations WHERE id = ?", a.OrgID).Scan(&region)
		if err != nil {
			return "", nil, store.NotFoundIf(err, "Organisation")
		}
		if region == "" {
			return "1 = 1", nil, nil
		}
		return "e.agence_id IN (SELECT id FROM organisations WHERE region = ?)", []any{region}, nil
	}
	return "", nil, kairos.Errorf(kairos.EForbidden, "Les factures sont réservées aux utilisateurs habilités « facturation » et aux services de France Travail.")
}

// List lists the invoices and credit notes the actor reads, the most recent
// first; kind "factures" or "avoirs" filters.
func (s *Issuer) List(ctx context.Context, a *kairos.Actor, kind string) ([]Issued, error) {
	return s.ListPage(ctx, a, kind, 0, 500)
}

// ListPage is List by pages: limit (1 to 501) documents older (smaller id)
// than before (keyset pagination; 0: from the newest).
func (s *Issuer) ListPage(ctx context.Context, a *kairos.Actor, kind string, before int64, limit int) ([]Issued, error) {
	if limit <= 0 || limit > 501 {
		limit = 500
	}
	where, args, err := s.scope(ctx, a)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "":
	case "factures":
		where += " AND i.type_code = '380'"
	case "avoirs":
		where += " AND i.type_code = '381'"
	default:
		return nil, kairos.Invalid(map[string]string{"type": "Choisissez factures ou avoirs."})
	}
	if before > 0 {
		where += " AND i.id < ?"
		args = append(args, before)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+issuedCols+issuedFrom+" WHERE "+where+" ORDER BY i.id DESC LIMIT "+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Issued{}
	for rows.Next() {
		x, err := scanIssued(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *x)
	}
	return out, rows.Err()
}

// ListFilter selects a page of issued documents (the pages of the portal:
// numbered pages with their total).
type ListFilter struct {
	Kind   string // "", "factures" or "avoirs"
	Offset int
	Limit  int // 1–500, default 50
}

// IssuedPage is a page of issued documents and how many match in all.
type IssuedPage struct {
	Items []Issued `json:"items"`
	Total int      `json:"total"`
}

// Page returns a page of the invoices and credit notes the actor reads,
// the most recent first, with how many there are in all.
func (s *Issuer) Page(ctx context.Context, a *kairos.Actor, f ListFilter) (*IssuedPage, error) {
	where, args, err := s.scope(ctx, a)
	if err != nil {
		return nil, err
	}
	switch f.Kind {
	case "":
	case "factures":
		where += " AND i.type_code = '380'"
	case "avoirs":
		where += " AND i.type_code = '381'"
	default:
		return nil, kairos.Invalid(map[string]string{"type": "Choisissez factures ou avoirs."})
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	f.Offset = max(f.Offset, 0)
	out := &IssuedPage{Items: []Issued{}}
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM invoices i JOIN enrolments e ON e.id = i.enrolment_id WHERE "+where, args...).Scan(&out.Total); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, "SELECT "+issuedCols+issuedFrom+" WHERE "+where+" ORDER BY i.id DESC LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		x, err := scanIssued(rows)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, *x)
	}
	return out, rows.Err()
}

// WriteCSV writes every invoice and credit note of kind the actor reads as
// CSV (semicolons, French headers and decimal commas, as spreadsheets in
// France expect).
func (s *Issuer) WriteCSV(ctx context.Context, a *kairos.Actor, kind string, w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.Write([]string{"Numéro", "Type", "État", "Organisme", "Stagiaire", "Devis AIF (engagement)", "Date d'émission", "Montant (€)", "Avoir / facture annulée", "Motif de l'avoir"})
	f := ListFilter{Kind: kind, Limit: 500}
	for {
		p, err := s.Page(ctx, a, f)
		if err != nil {
			return err
		}
		for _, x := range p.Items {
			link := x.CreditNumber
			if x.CreditOf != 0 {
				link = x.Model.PrecedingNumber
			}
			cw.Write([]string{x.Number, x.Kind(), x.StateLabel(), csvSafe(x.OrgName), csvSafe(x.DemandeurName), x.QuoteNumber, x.IssueDate.French(),
				strings.ReplaceAll(fmt.Sprintf("%d.%02d", x.TotalCents/100, x.TotalCents%100), ".", ","), link, csvSafe(x.Reason)})
		}
		if f.Offset+len(p.Items) >= p.Total || len(p.Items) == 0 {
			break
		}
		f.Offset += len(p.Items)
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe neutralises cells a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Get returns one issued document the actor reads.
func (s *Issuer) Get(ctx context.Context, a *kairos.Actor, id int64) (*Issued, error) {
	where, args, err := s.scope(ctx, a)
	if err != nil {
		return nil, kairos.NotFound("Facture")
	}
	x, err := scanIssued(s.DB.QueryRow(ctx, "SELECT "+issuedCols+issuedFrom+" WHERE i.id = ? AND "+where, append([]any{id}, args...)...))
	if err != nil {
		return nil, store.NotFoundIf(err, "Facture")
	}
	return x, nil
}

// Document returns the Factur-X PDF ("pdf") or the CII XML ("xml") of an
// issued document, byte for byte as issued.
func (s *Issuer) Document(ctx context.Context, a *kairos.Actor, id int64, kind string) (name string, b []byte, err error) {
	x, err := s.Get(ctx, a, id)
	if err != nil {
		return "", nil, err
	}
	switch kind {
	case "xml":
		err = s.DB.QueryRow(ctx, "SELECT xml FROM invoices WHERE id = ?", id).Scan(&b)
	case "pdf":
		b, err = s.pdfOf(ctx, x)
	default:
		return "", nil, kairos.NotFound("Document")
	}
	if err != nil {
		return "", nil, err
	}
	return x.Number + "." + kind, b, nil
}

// pdfOf returns the Factur-X PDF of x, building and storing it when it is
// not yet (the job PDFJob, enqueued by the issue, has not run yet): from
// the stored model and XML, dated at the issue, so it is the same.
func (s *Issuer) pdfOf(ctx context.Context, x *Issued) ([]byte, error) {
	var pdf, xml []byte
	if err := s.DB.QueryRow(ctx, "SELECT pdf, xml FROM invoices WHERE id = ?", x.ID).Scan(&pdf, &xml); err != nil {
		return nil, err
	}
	if len(pdf) > 0 {
		return pdf, nil
	}
	pdf, err := einvoice.PDF(x.Model, xml, x.CreatedAt)
	if err != nil {
		return nil, err
	}
	if _, err := s.DB.Exec(ctx, "UPDATE invoices SET pdf = ? WHERE id = ? AND length(pdf) = 0", pdf, x.ID); err != nil {
		return nil, err
	}
	return pdf, nil
}

// PDFJob builds and stores the Factur-X PDF of an issued document. The
// issuing transaction enqueues it: the PDF (≈ 10 ms of CPU, most of the
// cost of an invoice) is built neither inside the transaction nor in the
// request that issues, so that a month-end of thousands of invoices is not
// bound by it; a download before the job has run builds it at once (the
// same bytes: it is made from the stored model and XML, dated at the issue).
const PDFJob = "invoices.pdf"

type pdfJob struct {
	InvoiceID int64 `json:"invoice_id"`
}

// HandlePDF runs PDFJob.
func (s *Issuer) HandlePDF(ctx context.Context, payload json.RawMessage) error {
	var p pdfJob
	if err := json.Unmarshal(payload, &p); err != nil {
		return err
	}
	var n int64
	err := s.DB.QueryRow(ctx, "SELECT length(pdf) FROM invoices WHERE id = ?", p.InvoiceID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && n > 0) {
		return nil // gone, or built by a download meanwhile
	}
	if err != nil {
		return err
	}
	x, err := scanIssued(s.DB.QueryRow(ctx, "SELECT "+issuedCols+issuedFrom+" WHERE i.id = ?", p.InvoiceID))
	if err != nil {
		return err
	}
	_, err = s.pdfOf(ctx, x)
	return err
}

// Issue issues the prepared invoice of enrolment id: its number is taken
// from the OF's series inside the transaction (no gap, no duplicate), the
// EN 16931 checks must pass, the XML and the PDF are stored, the assessment
// is locked (it can no longer be withdrawn).
func (s *Issuer) Issue(ctx context.Context, a *kairos.Actor, id int64) (*Issued, error) {
	if err := kairos.Authorize(a, ofFacturation); err != nil {
		return nil, err
	}
	// The adhesion is read once, for the right to trade and the seller.
	var sel *seller
	if adh := s.Invoices.Adhesions; adh != nil {
		cur, err := adh.Current(ctx, a.OrgID)
		if err != nil {
			return nil, err
		}
		ok, reason, err := adh.CanTradeWith(ctx, cur)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, kairos.Errorf(kairos.EConflict, "%s", reason)
		}
		p, b, err := s.Invoices.sellerOf(ctx, a.OrgID, cur)
		if err != nil && kairos.ErrorCode(err) != kairos.EConflict {
			return nil, err
		}
		sel = &seller{p, b, err}
	} else {
		var err error
		if sel, err = s.sellerOf(ctx, a.OrgID); err != nil {
			return nil, err
		}
	}
	now := s.now()
	today := calendar.DateOf(now)
	var newID int64
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		e, err := loadEnrolment(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := kairos.OwnedBy(a, e.org, "Inscription"); err != nil {
			return err
		}
		d, err := s.prepare(ctx, tx, e, today, sel)
		if err != nil {
			return err
		}
		if len(d.Missing) > 0 {
			return kairos.Errorf(kairos.EConflict, "La facture ne peut pas être émise : il manque %s.", strings.Join(d.Missing, ", "))
		}
		inv := d.Invoice
		if inv.Number, err = AllocateNumber(ctx, tx, e.org, SeriesInvoice, today.Year()); err != nil {
			return err
		}
		if err := einvoice.CheckError(inv); err != nil {
			return err
		}
		newID, err = s.store(ctx, tx, a, inv, e.id, e.org, 0, "", now)
		if err != nil {
			return err
		}
		if err := assessments.Lock(ctx, tx, e.id, inv.Number); err != nil {
			return err
		}
		if _, err := worker.Enqueue(ctx, tx, PDFJob, pdfJob{InvoiceID: newID}, time.Time{}); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "invoice.issue", OrgID: e.org, ObjectType: "invoice", ObjectID: newID,
			After: map[string]any{"number": inv.Number, "enrolment_id": e.id, "quote_number": inv.OrderReference, "total_cents": inv.Totals.DuePayable}, At: now})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, newID)
}

// store writes an issued document: its model and its XML, in the issuing
// transaction; the PDF (which embeds the XML byte for byte) is built after
// the commit (PDFJob, or the first download), so that the OF's series stays
// locked only briefly.
func (s *Issuer) store(ctx context.Context, tx *store.Tx, a *kairos.Actor, inv *einvoice.Invoice, enrolmentID, orgID, creditOf int64, reason string, now time.Time) (int64, error) {
	xml := einvoice.XML(inv)
	pdf := []byte{}
	model, err := json.Marshal(inv)
	if err != nil {
		return 0, err
	}
	var credit any
	if creditOf != 0 {
		credit = creditOf
	}
	id, err := tx.Insert(ctx, `INSERT INTO invoices (org_id, enrolment_id, number, type_code, state, credit_of, quote_number, issue_date, total_cents, reason, model, xml, pdf, actor_label, created_at)
		VALUES (?, ?, ?, ?, 'emise', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, orgID, enrolmentID, inv.Number, inv.TypeCode, credit, inv.OrderReference, int64(inv.IssueDate),
		inv.Totals.DuePayable, reason, string(model), xml, pdf, a.Label(), now)
	if store.IsUniqueViolation(err) {
		return 0, kairos.Errorf(kairos.EConflict, "Cette formation vient d'être facturée : rechargez la page.")
	}
	return id, err
}

// CreditNote cancels an issued invoice of the actor's OF by a credit note
// (381) with its reason; the trainee can then be invoiced again.
func (s *Issuer) CreditNote(ctx context.Context, a *kairos.Actor, invoiceID int64, reason string) (*Issued, error) {
	if err := kairos.Authorize(a, ofFacturation); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return nil, kairos.Invalid(map[string]string{"reason": "Indiquez la raison de l'avoir : elle est transmise à France Travail."})
	case n > 500:
		return nil, kairos.Invalid(map[string]string{"reason": "La raison ne doit pas dépasser 500 caractères."})
	}
	now := s.now()
	today := calendar.DateOf(now)
	var newID int64
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		q := "SELECT " + issuedCols + issuedFrom + " WHERE i.id = ? AND i.org_id = ?"
		x, err := scanIssued(tx.QueryRow(ctx, q, invoiceID, a.OrgID))
		if err != nil {
			return store.NotFoundIf(err, "Facture")
		}
		if x.TypeCode != einvoice.TypeInvoice || x.State != StEmise {
			return kairos.Errorf(kairos.EConflict, "Seule une facture émise et non annulée peut être annulée par un avoir.")
		}
		number, err := AllocateNumber(ctx, tx, x.OrgID, SeriesCreditNote, today.Year())
		if err != nil {
			return err
		}
		cn := einvoice.CreditNote(x.Model, number, today)
		cn.Notes = append(cn.Notes, einvoice.Note{Content: "Motif de l'avoir : " + reason})
		if err := einvoice.CheckError(cn); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE invoices SET state = ? WHERE id = ? AND state = ?", StAnnulee, x.ID, StEmise)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return kairos.Errorf(kairos.EConflict, "Cette facture vient d'être annulée : rechargez la page.")
		}
		if newID, err = s.store(ctx, tx, a, cn, x.EnrolmentID, x.OrgID, x.ID, reason, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE assessments SET invoice_ref = '' WHERE enrolment_id = ? AND invoice_ref = ?", x.EnrolmentID, x.Number); err != nil {
			return err
		}
		if _, err := worker.Enqueue(ctx, tx, PDFJob, pdfJob{InvoiceID: newID}, time.Time{}); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "invoice.credit_note", OrgID: x.OrgID, ObjectType: "invoice", ObjectID: newID,
			Before: map[string]any{"invoice": x.Number}, After: map[string]any{"number": number, "reason": reason, "total_cents": cn.Totals.DuePayable}, At: now})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, newID)
}
