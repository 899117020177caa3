package invoices

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"kairos"
	"kairos/calendar"
	"kairos/chorus"
	"kairos/enrolment"
	"kairos/store"
	"kairos/worker"
)

// The deposit of issued documents on Chorus Pro (issue 17), a durable job.
// The issuing transaction records the intent (a chorus_deposits row in
// phase a_deposer) and enqueues ChorusJob. The job deposits the Factur-X
// PDF with deposer/flux, uploads the justificatifs (the monthly attendance
// attestations and the attestation de fin de formation) with
// ajouter/fichier, then follows the flux (consulterCRDetaille) and the
// invoice (rechercher/fournisseur, consulter/historique) until a final
// state, each step with backoff. Every state change is kept with its date
// in chorus_history and published (invoice.chorus_status_changed.v1).
//
// Never twice: the phase moves to envoi (committed) before deposer/flux is
// called, and the answer is recorded after it. A job that finds an intent
// in envoi without its flux number does not know whether Chorus Pro
// received the file (the process may have died in between): it looks the
// invoice up by number with rechercher/fournisseur first, and deposits
// again only when nothing is found ReconcileWindow after the call (a flux
// that was never received, or rejected: Chorus Pro then holds no invoice of
// that number).

// ChorusJob is the worker job kind of deposits and follow-ups.
const ChorusJob = "chorus.deposit"

// Deposit phases.
const (
	PhaseToDeposit = "a_deposer"
	PhaseSending   = "envoi"
	PhasePieces    = "pieces"
	PhaseFollow    = "suivi"
	PhaseDone      = "termine"
	PhaseFailed    = "echec"
)

// MaxDepositAttempts is how many refused deposits end the intent (echec).
const MaxDepositAttempts = 10

// Depositor deposits and follows the documents on Chorus Pro.
type Depositor struct {
	DB     *store.DB
	Issuer *Issuer
	// Client talks to Chorus Pro; nil: not configured (intents wait).
	Client *chorus.Client
	// Certificate returns the attestation de fin de formation of an
	// enrolment of an OF (assessments.Service.Certificate); nil: none sent.
	Certificate func(ctx context.Context, orgID, enrolmentID int64) (string, []byte, error)
	// ReconcileWindow: how long after an unanswered deposit nothing found
	// by rechercher/fournisseur means "not received" (default 24 h).
	ReconcileWindow time.Duration
	// AfterDeposit, when set, is called once Chorus Pro accepted a flux and
	// before its answer is recorded (the crash test's hook).
	AfterDeposit func(number, flux string)
	// AfterQuestion, when set, is called once Chorus Pro accepted a
	// question and before its answer is recorded (the crash test's hook).
	AfterQuestion func(questionID, idSollicitation int64)
	Clock         kairos.Clock // the facts: history, audit, updated_at
	// Timing times the attempts (next_attempt_at, the jobs' run_at, sent_at
	// and the reconciliation window): the worker's clock, which moves under
	// KAIROS_NOW (kairos.MovingClock) where Clock stands still, so that
	// retries and polls come due; nil: Clock.
	Timing kairos.Clock
	Log    *slog.Logger

	categories categoryCache // of the questions to the assistance
}

// due is the instant that attempts are timed by (Timing).
func (d *Depositor) due() time.Time {
	if d.Timing != nil {
		return d.Timing().UTC()
	}
	return d.now()
}

func (d *Depositor) now() time.Time {
	if d.Clock != nil {
		return d.Clock().UTC()
	}
	return d.DB.Now()
}

func (d *Depositor) window() time.Duration {
	if d.ReconcileWindow > 0 {
		return d.ReconcileWindow
	}
	return 24 * time.Hour
}

// recordIntent writes the deposit intent of a new document and its job,
// inside the issuing transaction.
// A credit note of an invoice Chorus Pro does not hold (rejected flux,
// refused deposit, or cancelled before its deposit, which is then
// dropped) is not deposited.
func recordIntent(ctx context.Context, tx *store.Tx, invoiceID, orgID, creditOf int64, number string, now time.Time) error {
	if creditOf != 0 {
		var phase, state string
		err := tx.QueryRow(ctx, "SELECT phase, chorus_state FROM chorus_deposits WHERE invoice_id = ?", creditOf).Scan(&phase, &state)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		reason := ""
		switch {
		case errors.Is(err, sql.ErrNoRows):
			reason = "Cet avoir n'est pas déposé sur Chorus Pro : la facture qu'il annule n'y a jamais été déposée par Kairos."
		case phase == PhaseToDeposit:
			res, err := tx.Exec(ctx, "UPDATE chorus_deposits SET phase = ?, reason = ?, updated_at = ? WHERE invoice_id = ? AND phase = ?", PhaseDone,
				"Facture annulée par avoir avant son dépôt : elle n'est pas déposée sur Chorus Pro.", now, creditOf, PhaseToDeposit)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				reason = "Cet avoir n'est pas déposé sur Chorus Pro : la facture qu'il annule a été annulée avant son dépôt."
			}
		case state == chorus.FluxRejete || phase == PhaseFailed:
			reason = "Cet avoir n'est pas déposé sur Chorus Pro : le dépôt de la facture qu'il annule a été rejeté, elle n'y existe donc pas."
		}
		if reason != "" {
			_, err := tx.Exec(ctx, `INSERT INTO chorus_deposits (invoice_id, org_id, number, phase, reason, next_attempt_at, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, invoiceID, orgID, number, PhaseDone, reason, now, now, now)
			return err
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO chorus_deposits (invoice_id, org_id, number, phase, next_attempt_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, invoiceID, orgID, number, PhaseToDeposit, now, now, now); err != nil {
		return err
	}
	_, err := worker.Enqueue(ctx, tx, ChorusJob, jobPayload{InvoiceID: invoiceID}, now)
	return err
}

type jobPayload struct {
	InvoiceID int64 `json:"invoice_id"`
}

// DepositRow is the stored state of one deposit.
type DepositRow struct {
	InvoiceID     int64
	OrgID         int64
	Number        string
	Phase         string
	ChorusState   string
	Attempts      int
	Deposits      int
	Polls         int
	NextAttemptAt time.Time
	SentAt        sql.NullTime
	FluxNumber    string
	CPPID         int64
	Attachments   string
	LastAnswer    string
	LastError     string
	Reason        string
	UpdatedAt     time.Time
}

const depositCols = `invoice_id, org_id, number, phase, chorus_state, attempts, deposits, polls, next_attempt_at, sent_at, flux_number, cpp_id, attachments, last_answer, last_error, reason, updated_at`

func scanDeposit(sc interface{ Scan(...any) error }) (*DepositRow, error) {
	var r DepositRow
	err := sc.Scan(&r.InvoiceID, &r.OrgID, &r.Number, &r.Phase, &r.ChorusState, &r.Attempts, &r.Deposits, &r.Polls, &r.NextAttemptAt, &r.SentAt,
		&r.FluxNumber, &r.CPPID, &r.Attachments, &r.LastAnswer, &r.LastError, &r.Reason, &r.UpdatedAt)
	if err != nil {
		return nil, err
	}
	r.NextAttemptAt = r.NextAttemptAt.UTC()
	if r.SentAt.Valid {
		r.SentAt.Time = r.SentAt.Time.UTC()
	}
	return &r, nil
}

func (d *Depositor) load(ctx context.Context, q store.Querier, id int64) (*DepositRow, error) {
	r, err := scanDeposit(q.QueryRow(ctx, "SELECT "+depositCols+" FROM chorus_deposits WHERE invoice_id = ?", id))
	if err != nil {
		return nil, store.NotFoundIf(err, "Dépôt Chorus Pro")
	}
	return r, nil
}

// Handle runs a ChorusJob: the work the deposit's phase calls for, if due.
func (d *Depositor) Handle(ctx context.Context, payload json.RawMessage) error {
	var p jobPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.InvoiceID == 0 {
		return fmt.Errorf("chorus job: bad payload %q", payload)
	}
	return d.Advance(kairos.WithActor(ctx, kairos.System), p.InvoiceID, false)
}

// Recover enqueues a job for every deposit that is not final, so that a
// process that died holding one (its job's lease) does not leave it
// waiting: at start-up. Two jobs on one deposit are harmless (every step is
// a conditional update).
func (d *Depositor) Recover(ctx context.Context) (int, error) {
	rows, err := d.DB.Query(ctx, "SELECT invoice_id FROM chorus_deposits WHERE phase IN (?, ?, ?, ?) ORDER BY invoice_id", PhaseToDeposit, PhaseSending, PhasePieces, PhaseFollow)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	now := d.due()
	for _, id := range ids {
		if _, err := d.DB.Exec(ctx, "UPDATE chorus_deposits SET next_attempt_at = ? WHERE invoice_id = ? AND next_attempt_at > ? AND phase = ?", now, id, now, PhaseSending); err != nil {
			return 0, err
		}
		if _, err := worker.Enqueue(ctx, d.DB, ChorusJob, jobPayload{InvoiceID: id}, now); err != nil {
			return 0, err
		}
	}
	if err := d.recoverQuestions(ctx); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// Advance does what the deposit of invoice id calls for now: deposit,
// reconcile, upload, poll; force runs it even before its next attempt (the
// « Actualiser » of the page). It then schedules the next attempt.
func (d *Depositor) Advance(ctx context.Context, id int64, force bool) error {
	for range 8 {
		r, err := d.load(ctx, d.DB, id)
		if err != nil {
			return err
		}
		now := d.now()
		if r.Phase == PhaseDone || r.Phase == PhaseFailed {
			return nil
		}
		if !force && r.NextAttemptAt.After(d.due()) {
			return nil // a job of an older schedule: the deposit has its own
		}
		again, err := d.step(ctx, r, now)
		if err != nil {
			return err
		}
		if !again {
			return nil
		}
		force = true
	}
	return nil
}

// Backoff of errors: 30 s, 1 min, 2 min… capped at 6 h.
func chorusBackoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 20 {
		return 6 * time.Hour
	}
	return min(30*time.Second<<(n-1), 6*time.Hour)
}

// Polling interval after n polls without change: 1 min, 2 min, 4 min…
// capped at 6 h.
func pollDelay(n int) time.Duration {
	if n > 20 {
		return 6 * time.Hour
	}
	return min(time.Minute<<n, 6*time.Hour)
}

// Reconciliation interval after n searches that found nothing: 10 s,
// 20 s, 40 s… capped at 1 h (a received flux is integrated in seconds to
// minutes; the window ends the search).
func reconcileDelay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 10 {
		return time.Hour
	}
	return min(10*time.Second<<(n-1), time.Hour)
}

// wait records an error or a poll without news and schedules the next job
// delay from now on the timing clock.
func (d *Depositor) wait(ctx context.Context, r *DepositRow, now time.Time, delay time.Duration, set string, args ...any) error {
	next := d.due().Add(delay)
	return d.DB.Tx(ctx, func(tx *store.Tx) error {
		q := "UPDATE chorus_deposits SET next_attempt_at = ?, updated_at = ?"
		if set != "" {
			q += ", " + set
		}
		q += " WHERE invoice_id = ?"
		if _, err := tx.Exec(ctx, q, append(append([]any{next, now}, args...), r.InvoiceID)...); err != nil {
			return err
		}
		_, err := worker.Enqueue(ctx, tx, ChorusJob, jobPayload{InvoiceID: r.InvoiceID}, next)
		return err
	})
}

func (d *Depositor) fail(ctx context.Context, r *DepositRow, now time.Time, err error, set string, args ...any) error {
	n := r.Attempts + 1
	if d.Log != nil {
		d.Log.Warn("chorus: attempt failed", "invoice", r.Number, "phase", r.Phase, "attempt", n, "err", err)
	}
	s := "attempts = ?, last_error = ?"
	if set != "" {
		s += ", " + set
	}
	return d.wait(ctx, r, now, chorusBackoff(n), s, append([]any{n, truncate(err.Error(), 2000)}, args...)...)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// unknownOutcome reports whether a failed deposer/flux may have reached
// Chorus Pro: anything but an answer refusing it (4xx, codeRetour) or a
// connection that was never made.
func unknownOutcome(err error) bool {
	var ce *chorus.Error
	if errors.As(err, &ce) {
		return ce.Status >= 500
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	return true
}

// step does one step of r; again asks for the next step at once.
func (d *Depositor) step(ctx context.Context, r *DepositRow, now time.Time) (again bool, err error) {
	if d.Client == nil {
		return false, d.fail(ctx, r, now, errors.New("Chorus Pro n'est pas configuré (KAIROS_CHORUS_API_URL) : le dépôt attend."), "")
	}
	switch r.Phase {
	case PhaseToDeposit:
		return d.deposit(ctx, r, now)
	case PhaseSending:
		return d.reconcile(ctx, r, now)
	case PhasePieces:
		return d.pieces(ctx, r, now)
	case PhaseFollow:
		return d.follow(ctx, r, now)
	}
	return false, nil
}

func (d *Depositor) issued(ctx context.Context, id int64) (*Issued, error) {
	return scanIssued(d.DB.QueryRow(ctx, "SELECT "+issuedCols+issuedFrom+" WHERE i.id = ?", id))
}

func (d *Depositor) deposit(ctx context.Context, r *DepositRow, now time.Time) (bool, error) {
	x, err := d.issued(ctx, r.InvoiceID)
	if err != nil {
		return false, err
	}
	pdf, err := d.Issuer.pdfOf(ctx, x)
	if err != nil {
		return false, err
	}
	// The intent of this call, committed before it; sent_at on the timing
	// clock, that the reconciliation window is measured by.
	sent := d.due()
	res, err := d.DB.Exec(ctx, "UPDATE chorus_deposits SET phase = ?, sent_at = ?, deposits = deposits + 1, updated_at = ? WHERE invoice_id = ? AND phase = ?",
		PhaseSending, sent, now, r.InvoiceID, PhaseToDeposit)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, nil // another worker took it
	}
	r.Phase, r.SentAt = PhaseSending, sql.NullTime{Time: sent, Valid: true}
	resp, err := d.Client.DeposerFlux(ctx, x.Number+".pdf", pdf)
	if err != nil {
		if unknownOutcome(err) {
			return false, d.fail(ctx, r, now, err, "")
		}
		if r.Attempts+1 >= MaxDepositAttempts {
			return false, d.DB.Tx(ctx, func(tx *store.Tx) error {
				_, err2 := tx.Exec(ctx, "UPDATE chorus_deposits SET phase = ?, attempts = attempts + 1, last_error = ?, reason = ?, updated_at = ? WHERE invoice_id = ?",
					PhaseFailed, truncate(err.Error(), 2000), "Chorus Pro refuse le dépôt : "+chorusMessage(err), now, r.InvoiceID)
				return err2
			})
		}
		return false, d.fail(ctx, r, now, err, "phase = ?", PhaseToDeposit)
	}
	if d.AfterDeposit != nil {
		d.AfterDeposit(x.Number, resp.NumeroFluxDepot)
	}
	answer, _ := json.Marshal(resp)
	err = d.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE chorus_deposits SET phase = ?, flux_number = ?, last_answer = ?, last_error = '', attempts = 0, polls = 0, next_attempt_at = ?, updated_at = ?
			WHERE invoice_id = ? AND phase = ? AND flux_number = ''`, PhasePieces, resp.NumeroFluxDepot, string(answer), now, now, r.InvoiceID, PhaseSending)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		return d.change(ctx, tx, r, chorus.FluxRecu, now, "Flux n° "+resp.NumeroFluxDepot+" déposé", now)
	})
	return err == nil, err
}

func chorusMessage(err error) string {
	var ce *chorus.Error
	if errors.As(err, &ce) {
		return ce.Libelle
	}
	return err.Error()
}

// change records a new Chorus Pro state of r (once per state and date) and
// publishes it.
func (d *Depositor) change(ctx context.Context, tx *store.Tx, r *DepositRow, code string, at time.Time, comment string, now time.Time) error {
	at = at.UTC().Truncate(time.Second)
	res, err := tx.Exec(ctx, "INSERT INTO chorus_history (invoice_id, code, at, comment, recorded_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (invoice_id, code, at) DO NOTHING",
		r.InvoiceID, code, at, truncate(comment, 2000), now)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil // known already (another job, or an earlier poll)
	}
	before := r.ChorusState
	if _, err := tx.Exec(ctx, "UPDATE chorus_deposits SET chorus_state = ?, polls = 0, updated_at = ? WHERE invoice_id = ?", code, now, r.InvoiceID); err != nil {
		return err
	}
	r.ChorusState = code
	return tx.Record(ctx, store.Change{Action: "invoice.chorus_status_changed", OrgID: r.OrgID, ObjectType: "invoice", ObjectID: r.InvoiceID,
		Before: map[string]any{"chorus_state": before},
		After: map[string]any{"number": r.Number, "chorus_state": code, "label": ChorusLabel(code), "at": at, "comment": comment,
			"numero_flux_depot": r.FluxNumber, "identifiant_facture_cpp": r.CPPID}, At: now})
}

// parseChorusTime reads Chorus Pro's dates (RFC 3339, or a day).
func parseChorusTime(s string, def time.Time) time.Time {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return def
}

// reconcile handles an intent whose deposit call has no recorded answer.
func (d *Depositor) reconcile(ctx context.Context, r *DepositRow, now time.Time) (bool, error) {
	list, err := d.Client.RechercherFournisseur(ctx, chorus.RechercherFournisseurRequest{NumeroFacture: r.Number})
	if err != nil {
		return false, d.fail(ctx, r, now, err, "")
	}
	for _, f := range list {
		if f.NumeroFacture != r.Number {
			continue
		}
		answer, _ := json.Marshal(f)
		err := d.DB.Tx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `UPDATE chorus_deposits SET phase = ?, flux_number = ?, cpp_id = ?, last_answer = ?, last_error = '', attempts = 0, next_attempt_at = ?, updated_at = ?
				WHERE invoice_id = ? AND phase = ?`, PhasePieces, f.NumeroFluxDepot, f.IdentifiantFactureCPP, string(answer), now, now, r.InvoiceID, PhaseSending)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nil
			}
			r.FluxNumber, r.CPPID = f.NumeroFluxDepot, f.IdentifiantFactureCPP
			if err := tx.Record(ctx, store.Change{Action: "invoice.chorus_reconcile", OrgID: r.OrgID, ObjectType: "invoice", ObjectID: r.InvoiceID,
				After: map[string]any{"number": r.Number, "numero_flux_depot": f.NumeroFluxDepot, "identifiant_facture_cpp": f.IdentifiantFactureCPP}, At: now}); err != nil {
				return err
			}
			return d.change(ctx, tx, r, f.Statut, parseChorusTime(f.DateHeureEtatCourant, now), "Dépôt retrouvé dans Chorus Pro (flux n° "+f.NumeroFluxDepot+") après une interruption", now)
		})
		return err == nil, err
	}
	if since := d.due().Sub(r.SentAt.Time); r.SentAt.Valid && since < d.window() {
		r.Polls++
		return false, d.wait(ctx, r, now, min(reconcileDelay(r.Polls), d.window()-since+time.Second), "polls = ?, last_error = ?", r.Polls,
			"Dépôt sans réponse enregistrée : Chorus Pro ne connaît pas encore la facture "+r.Number+" ; nouvelle recherche avant tout nouveau dépôt.")
	}
	// Nothing was received: deposit again (only the one that wins).
	res, err := d.DB.Exec(ctx, "UPDATE chorus_deposits SET phase = ?, updated_at = ? WHERE invoice_id = ? AND phase = ? AND sent_at = ?", PhaseToDeposit, now, r.InvoiceID, PhaseSending, r.SentAt.Time)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// justificatifs are the documents uploaded with an invoice: one PDF per
// attested month, and the attestation de fin de formation.
func (d *Depositor) justificatifs(ctx context.Context, x *Issued) ([]attachment, error) {
	rows, err := d.DB.Query(ctx, `SELECT a.month, a.planned, a.attended, a.justified, a.unjustified, a.version, a.attested_label, a.attested_at, e.session_title
		FROM attestations a JOIN enrolments e ON e.id = a.enrolment_id WHERE a.enrolment_id = ? AND a.current = 1 AND a.state = 'transmise' ORDER BY a.month`, x.EnrolmentID)
	if err != nil {
		return nil, err
	}
	type month struct {
		m                                      calendar.Month
		planned, attended, justified, unjustif int64
		version                                int
		by                                     string
		at                                     time.Time
		title                                  string
	}
	var months []month
	for rows.Next() {
		var m month
		if err := rows.Scan(&m.m, &m.planned, &m.attended, &m.justified, &m.unjustif, &m.version, &m.by, &m.at, &m.title); err != nil {
			rows.Close()
			return nil, err
		}
		months = append(months, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []attachment
	hours := func(min int64) string { return fmt.Sprintf("%d h %02d", min/60, min%60) }
	for _, m := range months {
		b, err := enrolment.RenderPDF("Attestation mensuelle de présence — "+m.m.French(),
			"L'organisme de formation atteste la présence du stagiaire ci-dessous pour le mois indiqué (justificatif de la facture "+x.Number+").",
			[][2]string{{"Organisme de formation", x.OrgName}, {"Stagiaire", x.DemandeurName}, {"Formation", m.title}, {"Mois", m.m.French()},
				{"Heures prévues", hours(m.planned)}, {"Heures réalisées", hours(m.attended)}, {"Absences justifiées", hours(m.justified)},
				{"Absences non justifiées", hours(m.unjustif)}, {"Attestation", "version " + strconv.Itoa(m.version) + " attestée le " + m.at.In(calendar.Paris()).Format("02/01/2006") + " par " + m.by}},
			x.CreatedAt)
		if err != nil {
			return nil, err
		}
		out = append(out, attachment{name: fmt.Sprintf("presence-%04d-%02d.pdf", m.m.Year(), int(m.m.Month())), data: b})
	}
	if d.Certificate != nil {
		name, b, err := d.Certificate(ctx, x.OrgID, x.EnrolmentID)
		if err != nil && kairos.ErrorCode(err) != kairos.EConflict && kairos.ErrorCode(err) != kairos.ENotFound {
			return nil, err
		}
		if err == nil {
			if len([]rune(name)) > 50 {
				name = "attestation-fin-formation.pdf"
			}
			out = append(out, attachment{name: name, data: b})
		}
	}
	return out, nil
}

type attachment struct {
	name string
	data []byte
}

// Attachment is a justificatif uploaded to Chorus Pro.
type Attachment struct {
	Name string `json:"name"`
	ID   int64  `json:"piece_jointe_id"`
}

func (d *Depositor) pieces(ctx context.Context, r *DepositRow, now time.Time) (bool, error) {
	if r.Attachments == "" {
		x, err := d.issued(ctx, r.InvoiceID)
		if err != nil {
			return false, err
		}
		var list []Attachment
		if x.TypeCode == "380" {
			files, err := d.justificatifs(ctx, x)
			if err != nil {
				return false, err
			}
			for _, f := range files {
				id, err := d.Client.AjouterFichier(ctx, f.name, "application/pdf", f.data)
				if err != nil {
					return false, d.fail(ctx, r, now, err, "")
				}
				list = append(list, Attachment{Name: f.name, ID: id})
			}
		}
		b, _ := json.Marshal(list)
		if list == nil {
			b = []byte("[]")
		}
		_, err = d.DB.Exec(ctx, "UPDATE chorus_deposits SET attachments = ?, phase = ?, attempts = 0, last_error = '', next_attempt_at = ?, updated_at = ? WHERE invoice_id = ? AND phase = ?",
			string(b), PhaseFollow, now, now, r.InvoiceID, PhasePieces)
		return err == nil, err
	}
	_, err := d.DB.Exec(ctx, "UPDATE chorus_deposits SET attachments = CASE WHEN attachments = '' THEN '[]' ELSE attachments END, phase = ?, updated_at = ? WHERE invoice_id = ? AND phase = ?",
		PhaseFollow, now, r.InvoiceID, PhasePieces)
	return err == nil, err
}

// follow polls the flux, then the invoice.
func (d *Depositor) follow(ctx context.Context, r *DepositRow, now time.Time) (bool, error) {
	before := r.ChorusState
	final := false
	var reason string
	if r.CPPID == 0 {
		cr, err := d.Client.ConsulterCRDetaille(ctx, r.FluxNumber)
		if err != nil {
			return false, d.fail(ctx, r, now, err, "")
		}
		answer, _ := json.Marshal(cr)
		var found *chorus.FactureTrouvee
		if cr.EtatCourantDepotFlux == chorus.FluxIntegre || cr.EtatCourantDepotFlux == chorus.FluxIntegrePartiel {
			list, err := d.Client.RechercherFournisseur(ctx, chorus.RechercherFournisseurRequest{NumeroFluxDepot: r.FluxNumber})
			if err != nil {
				return false, d.fail(ctx, r, now, err, "")
			}
			for i := range list {
				if list[i].NumeroFacture == r.Number {
					found = &list[i]
				}
			}
		}
		if cr.EtatCourantDepotFlux == chorus.FluxRejete || (cr.EtatCourantDepotFlux == chorus.FluxIntegrePartiel && found == nil) {
			final = true
			reason = RejectionText(cr)
		}
		err = d.DB.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "UPDATE chorus_deposits SET last_answer = ?, last_error = '', attempts = 0 WHERE invoice_id = ?", string(answer), r.InvoiceID); err != nil {
				return err
			}
			if cr.EtatCourantDepotFlux != "" && cr.EtatCourantDepotFlux != r.ChorusState {
				comment := ""
				if final {
					comment = reason
				}
				if err := d.change(ctx, tx, r, cr.EtatCourantDepotFlux, parseChorusTime(cr.DateHeureEtatCourantFlux, now), comment, now); err != nil {
					return err
				}
			}
			if found != nil {
				if _, err := tx.Exec(ctx, "UPDATE chorus_deposits SET cpp_id = ? WHERE invoice_id = ?", found.IdentifiantFactureCPP, r.InvoiceID); err != nil {
					return err
				}
				r.CPPID = found.IdentifiantFactureCPP
			}
			if final {
				_, err := tx.Exec(ctx, "UPDATE chorus_deposits SET phase = ?, reason = ? WHERE invoice_id = ?", PhaseDone, truncate(reason, 4000), r.InvoiceID)
				return err
			}
			return nil
		})
		if err != nil || final {
			return false, err
		}
		if found != nil {
			return true, nil // the invoice's history at once
		}
	} else {
		h, err := d.Client.ConsulterHistorique(ctx, r.CPPID)
		if err != nil {
			return false, d.fail(ctx, r, now, err, "")
		}
		answer, _ := json.Marshal(h)
		final = chorus.InvoiceFinal(h.StatutCourantCode)
		list := h.HistoriquesDesStatuts.HistoStatut
		err = d.DB.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "UPDATE chorus_deposits SET last_answer = ?, last_error = '', attempts = 0 WHERE invoice_id = ?", string(answer), r.InvoiceID); err != nil {
				return err
			}
			for i := len(list) - 1; i >= 0; i-- { // oldest first
				e := list[i]
				if err := d.change(ctx, tx, r, e.HistoStatutCode, parseChorusTime(e.HistoStatutDatePassage, now), e.HistoStatutCommentaire, now); err != nil {
					return err
				}
			}
			if h.StatutCourantCode != "" && r.ChorusState != h.StatutCourantCode {
				if _, err := tx.Exec(ctx, "UPDATE chorus_deposits SET chorus_state = ? WHERE invoice_id = ?", h.StatutCourantCode, r.InvoiceID); err != nil {
					return err
				}
				r.ChorusState = h.StatutCourantCode
			}
			reason = ""
			if len(list) > 0 && NeedsAction(h.StatutCourantCode) || h.StatutCourantCode == chorus.StRejetee {
				for _, e := range list { // latest first
					if e.HistoStatutCode == h.StatutCourantCode {
						reason = e.HistoStatutCommentaire
						break
					}
				}
			}
			phase := PhaseFollow
			if final {
				phase = PhaseDone
			}
			_, err := tx.Exec(ctx, "UPDATE chorus_deposits SET phase = ?, reason = ? WHERE invoice_id = ?", phase, truncate(reason, 4000), r.InvoiceID)
			return err
		})
		if err != nil || final {
			return false, err
		}
	}
	if r.ChorusState == before {
		r.Polls++
	} else {
		r.Polls = 0
	}
	return false, d.wait(ctx, r, now, pollDelay(r.Polls), "polls = ?", r.Polls)
}

// NeedsAction reports whether a state waits for the OF (recycler, completer).
func NeedsAction(code string) bool { return code == chorus.StARecycler || code == chorus.StSuspendue }

// RejectionText is the rejection of a flux in French: what to fix.
func RejectionText(cr *chorus.ConsulterCRDetailleResponse) string {
	var parts []string
	for _, e := range cr.ListeErreurTechnique {
		parts = append(parts, ExplainError(e.CodeErreur, e.LibelleErreur))
	}
	for _, e := range cr.ListeErreurDP {
		parts = append(parts, "Facture "+e.NumeroDP+" : "+e.LibelleErreurDP)
	}
	if len(parts) == 0 {
		return "Chorus Pro a rejeté le dépôt sans en donner la raison : consultez le compte rendu du flux " + cr.NomFichier + "."
	}
	return strings.Join(parts, " ")
}
