package invoices

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"kairos"
	"kairos/chorus"
	"kairos/input"
	"kairos/store"
	"kairos/worker"
)

// Questions to the Chorus Pro assistance about an invoice (issue 17,
// « sollicitations »). The OF asks from the invoice's page or the API; the
// request records the question (the intent, phase a_envoyer) and enqueues
// QuestionJob. The job sends it with creer/sollicitation — the phase moves
// to envoi (committed) before the call, so that a process dying in between
// does not send it twice: a question found in envoi without its Chorus Pro
// reference is first looked up with rechercher/sollicitation (by invoice
// number, recognised by the reference « [Kairos Q<id>] » its subject
// carries), and sent again only when nothing is found ReconcileWindow after
// the call. It then polls consulter/sollicitation with backoff until a
// final status (REPONDUE, CLOTUREE). Every change is audited and published
// (invoice.chorus_question_asked, invoice.chorus_question_status_changed);
// the OF and France Travail's accounting read the same list.

// QuestionJob is the worker job kind of the questions' sending and follow-up.
const QuestionJob = "chorus.question"

// Question phases (PhaseDone and PhaseFailed are the deposits' ones).
const (
	QPhaseToSend  = "a_envoyer"
	QPhaseSending = "envoi"
	QPhaseFollow  = "suivi"
)

// Bounds of a question (the subject leaves room for the Kairos reference
// within Chorus Pro's objet).
const (
	MaxQuestionSubject = 80
	MaxQuestionMessage = 4000
	// QuestionsShown is how many questions the invoice page lists.
	QuestionsShown = 50
)

// Question is one question to the assistance and its follow-up.
type Question struct {
	ID            int64      `json:"id"`
	InvoiceID     int64      `json:"invoice_id"`
	CategoryID    int64      `json:"category_id"`
	CategoryCode  string     `json:"category_code"`
	CategoryLabel string     `json:"category_label"`
	Subject       string     `json:"subject"`
	Message       string     `json:"message"`
	Author        string     `json:"author"`
	Phase         string     `json:"phase"`
	Status        string     `json:"status"` // Chorus Pro's statutSollicitation ("" before the sending)
	StatusLabel   string     `json:"status_label"`
	ChorusID      int64      `json:"chorus_id,omitempty"`
	ChorusNumber  string     `json:"chorus_number,omitempty"`
	Answer        string     `json:"answer,omitempty"`
	AnsweredAt    *time.Time `json:"answered_at,omitempty"`
	Final         bool       `json:"final"`
	Reason        string     `json:"reason,omitempty"`     // why the sending failed for good
	LastError     string     `json:"last_error,omitempty"` // of the last attempt, while not final
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// QuestionForm is what the OF asks.
type QuestionForm struct {
	CategoryID int64  `json:"category_id"`
	Subject    string `json:"subject"`
	Message    string `json:"message"`
	// Token identifies one submission: the same token on the same invoice
	// returns the question already recorded (double submit). Optional.
	Token string `json:"token,omitempty"`
}

// QuestionStatusLabel names a question's state in French.
func QuestionStatusLabel(phase, status string) string {
	switch {
	case phase == PhaseFailed:
		return "Envoi refusé par Chorus Pro"
	case status == chorus.SolTransmise:
		return "Transmise à l'assistance"
	case status == chorus.SolEnCours:
		return "Prise en charge par l'assistance"
	case status == chorus.SolRepondue:
		return "Répondue"
	case status == chorus.SolCloturee:
		return "Clôturée par l'assistance"
	case status != "":
		return "État Chorus Pro « " + status + " »"
	}
	return "En cours d'envoi à l'assistance"
}

// questionRef is the reference the subject carries on Chorus Pro.
func questionRef(id int64) string { return "[Kairos Q" + strconv.FormatInt(id, 10) + "]" }

var ofBilling = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabFacturation}

// categoryCache keeps Chorus Pro's categories of question for an hour.
type categoryCache struct {
	mu   sync.Mutex
	list []chorus.CategorieSollicitation
	at   time.Time
}

// QuestionCategories lists the categories of question (from Chorus Pro,
// kept an hour).
func (d *Depositor) QuestionCategories(ctx context.Context) ([]chorus.CategorieSollicitation, error) {
	if d.Client == nil {
		return nil, kairos.Errorf(kairos.EConflict, "Chorus Pro n'est pas configuré sur ce portail : l'assistance n'est pas joignable.")
	}
	categories := &d.categories
	categories.mu.Lock()
	defer categories.mu.Unlock()
	now := d.due() // a cache: timed like the attempts
	if categories.list != nil && now.Sub(categories.at) < time.Hour && now.After(categories.at.Add(-time.Minute)) {
		return categories.list, nil
	}
	list, err := d.Client.CategoriesSollicitation(ctx)
	if err != nil {
		if categories.list != nil {
			return categories.list, nil // the last list known rather than nothing
		}
		return nil, kairos.Errorf(kairos.EConflict, "La liste des catégories de l'assistance Chorus Pro est indisponible pour le moment : réessayez dans quelques minutes.")
	}
	categories.list, categories.at = list, now
	return list, nil
}

func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Ask records a question of the OF about invoice id and enqueues its
// sending; created is false when the submission's token was already used
// (the question recorded then is returned).
func (d *Depositor) Ask(ctx context.Context, a *kairos.Actor, id int64, f QuestionForm) (q *Question, created bool, err error) {
	x, c, err := d.Issuer.ChorusFollowup(ctx, a, id)
	if err != nil {
		return nil, false, err
	}
	if err := kairos.Authorize(a, ofBilling); err != nil {
		return nil, false, err
	}
	if err := kairos.OwnedBy(a, x.OrgID, "Facture"); err != nil {
		return nil, false, err
	}
	if c == nil {
		return nil, false, kairos.Errorf(kairos.EConflict, "Ce document n'est pas suivi sur Chorus Pro : posez votre question depuis l'espace assistance de Chorus Pro.")
	}
	fields := map[string]string{}
	f.Subject = strings.TrimSpace(f.Subject)
	f.Message = strings.TrimSpace(strings.ReplaceAll(f.Message, "\r\n", "\n"))
	f.Token = strings.TrimSpace(f.Token)
	check := func(key, label, v string, l input.Limit) {
		switch why := input.Problem(v, l); {
		case v == "":
			fields[key] = "Indiquez " + label + "."
		case why != "":
			fields[key] = "Ce champ " + why + "."
		}
	}
	check("subject", "l'objet de la question", f.Subject, input.Limit{Max: MaxQuestionSubject})
	check("message", "votre question", f.Message, input.Limit{Max: MaxQuestionMessage, Multiline: true})
	if f.Token != "" {
		if why := input.Problem(f.Token, input.Limit{Max: 100}); why != "" {
			fields["token"] = "Ce champ " + why + "."
		}
	}
	var cat *chorus.CategorieSollicitation
	if f.CategoryID == 0 {
		fields["category_id"] = "Choisissez la catégorie de la question."
	} else {
		cats, err := d.QuestionCategories(ctx)
		if err != nil {
			return nil, false, err
		}
		for i := range cats {
			if cats[i].IDTechniqueCategorie == f.CategoryID {
				cat = &cats[i]
			}
		}
		if cat == nil {
			fields["category_id"] = "Catégorie inconnue de Chorus Pro : choisissez-en une de la liste."
		}
	}
	if len(fields) > 0 {
		return nil, false, kairos.Invalid(fields)
	}
	if f.Token == "" {
		f.Token = newToken()
	}
	now, due := d.now(), d.due()
	var qid int64
	err = d.DB.Tx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, "SELECT id FROM chorus_questions WHERE invoice_id = ? AND token = ?", id, f.Token).Scan(&qid)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		qid, err = tx.Insert(ctx, `INSERT INTO chorus_questions (invoice_id, org_id, token, category_id, category_code, category_label, subject, message, author_label, phase,
			next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, x.OrgID, f.Token, cat.IDTechniqueCategorie, cat.CodeCategorie, cat.LibelleCategorie, f.Subject, f.Message, a.Label(), QPhaseToSend, due, now, now)
		if err != nil {
			return err
		}
		created = true
		if err := tx.Record(ctx, store.Change{Action: "invoice.chorus_question_asked", OrgID: x.OrgID, ObjectType: "invoice", ObjectID: id,
			After: map[string]any{"number": x.Number, "question_id": qid, "category_code": cat.CodeCategorie, "category_label": cat.LibelleCategorie,
				"subject": f.Subject, "message": f.Message}, At: now}); err != nil {
			return err
		}
		_, err = worker.Enqueue(ctx, tx, QuestionJob, questionPayload{QuestionID: qid}, due)
		return err
	})
	if err != nil {
		if store.IsUniqueViolation(err) { // the same token at the same instant: the other one won
			err = d.DB.QueryRow(ctx, "SELECT id FROM chorus_questions WHERE invoice_id = ? AND token = ?", id, f.Token).Scan(&qid)
		}
		if err != nil {
			return nil, false, err
		}
	}
	q, err = d.question(ctx, d.DB, qid)
	return q, created, err
}

type questionPayload struct {
	QuestionID int64 `json:"question_id"`
}

type questionRow struct {
	Question
	OrgID         int64
	Number        string
	Token         string
	Attempts      int
	Polls         int
	NextAttemptAt time.Time
	SentAt        sql.NullTime
}

const questionCols = `q.id, q.invoice_id, q.org_id, i.number, q.token, q.category_id, q.category_code, q.category_label, q.subject, q.message, q.author_label, q.phase, q.status,
	q.chorus_id, q.chorus_number, q.answer, q.answered_at, q.attempts, q.polls, q.next_attempt_at, q.sent_at, q.last_error, q.reason, q.created_at, q.updated_at`

const questionFrom = ` FROM chorus_questions q JOIN invoices i ON i.id = q.invoice_id`

func scanQuestion(sc interface{ Scan(...any) error }) (*questionRow, error) {
	var r questionRow
	var answered sql.NullTime
	err := sc.Scan(&r.ID, &r.InvoiceID, &r.OrgID, &r.Number, &r.Token, &r.CategoryID, &r.CategoryCode, &r.CategoryLabel, &r.Subject, &r.Message, &r.Author, &r.Phase, &r.Status,
		&r.ChorusID, &r.ChorusNumber, &r.Answer, &answered, &r.Attempts, &r.Polls, &r.NextAttemptAt, &r.SentAt, &r.LastError, &r.Reason, &r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if answered.Valid {
		t := answered.Time.UTC()
		r.AnsweredAt = &t
	}
	r.NextAttemptAt, r.CreatedAt, r.UpdatedAt = r.NextAttemptAt.UTC(), r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if r.SentAt.Valid {
		r.SentAt.Time = r.SentAt.Time.UTC()
	}
	r.StatusLabel = QuestionStatusLabel(r.Phase, r.Status)
	r.Final = r.Phase == PhaseDone || r.Phase == PhaseFailed
	if r.Final {
		r.LastError = ""
	}
	return &r, nil
}

func (d *Depositor) loadQuestion(ctx context.Context, q store.Querier, id int64) (*questionRow, error) {
	r, err := scanQuestion(q.QueryRow(ctx, "SELECT "+questionCols+questionFrom+" WHERE q.id = ?", id))
	if err != nil {
		return nil, store.NotFoundIf(err, "Question")
	}
	return r, nil
}

func (d *Depositor) question(ctx context.Context, q store.Querier, id int64) (*Question, error) {
	r, err := d.loadQuestion(ctx, q, id)
	if err != nil {
		return nil, err
	}
	return &r.Question, nil
}

// Questions lists the questions about invoice id the actor reads (the OF
// and France Travail's accounting), the most recent first: at most limit,
// those older than question before when before > 0.
func (s *Issuer) Questions(ctx context.Context, a *kairos.Actor, id, before int64, limit int) ([]Question, error) {
	if _, err := s.Get(ctx, a, id); err != nil {
		return nil, err
	}
	q := "SELECT " + questionCols + questionFrom + " WHERE q.invoice_id = ?"
	args := []any{id}
	if before > 0 {
		q += " AND q.id < ?"
		args = append(args, before)
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY q.id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Question{}
	for rows.Next() {
		r, err := scanQuestion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r.Question)
	}
	return out, rows.Err()
}

// HandleQuestion runs a QuestionJob.
func (d *Depositor) HandleQuestion(ctx context.Context, payload json.RawMessage) error {
	var p questionPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.QuestionID == 0 {
		return fmt.Errorf("chorus question job: bad payload %q", payload)
	}
	return d.AdvanceQuestion(kairos.WithActor(ctx, kairos.System), p.QuestionID, false)
}

// recoverQuestions enqueues a job for every question not final (start-up).
func (d *Depositor) recoverQuestions(ctx context.Context) error {
	rows, err := d.DB.Query(ctx, "SELECT id FROM chorus_questions WHERE phase IN (?, ?, ?) ORDER BY id", QPhaseToSend, QPhaseSending, QPhaseFollow)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := d.due()
	for _, id := range ids {
		// A sending without its answer is reconciled at once.
		if _, err := d.DB.Exec(ctx, "UPDATE chorus_questions SET next_attempt_at = ? WHERE id = ? AND next_attempt_at > ? AND phase = ?", now, id, now, QPhaseSending); err != nil {
			return err
		}
		if _, err := worker.Enqueue(ctx, d.DB, QuestionJob, questionPayload{QuestionID: id}, now); err != nil {
			return err
		}
	}
	return nil
}

// AdvanceQuestion does what question id calls for now (send, reconcile,
// poll); force runs it before its next attempt (« Actualiser »).
func (d *Depositor) AdvanceQuestion(ctx context.Context, id int64, force bool) error {
	for range 4 {
		r, err := d.loadQuestion(ctx, d.DB, id)
		if err != nil {
			return err
		}
		now := d.now()
		if r.Final || (!force && r.NextAttemptAt.After(d.due())) {
			return nil
		}
		if d.Client == nil {
			return d.qfail(ctx, r, now, errors.New("Chorus Pro n'est pas configuré (KAIROS_CHORUS_API_URL) : la question attend."), "")
		}
		var again bool
		switch r.Phase {
		case QPhaseToSend:
			again, err = d.send(ctx, r, now)
		case QPhaseSending:
			again, err = d.reconcileQuestion(ctx, r, now)
		case QPhaseFollow:
			err = d.poll(ctx, r, now)
		}
		if err != nil || !again {
			return err
		}
		force = true
	}
	return nil
}

// advanceQuestionsOf polls every open question of an invoice (« Actualiser »).
func (d *Depositor) advanceQuestionsOf(ctx context.Context, invoiceID int64) error {
	rows, err := d.DB.Query(ctx, "SELECT id FROM chorus_questions WHERE invoice_id = ? AND phase IN (?, ?, ?)", invoiceID, QPhaseToSend, QPhaseSending, QPhaseFollow)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := d.AdvanceQuestion(ctx, id, true); err != nil {
			return err
		}
	}
	return rows.Err()
}

// qwait records what the next attempt of question r is, delay from now on
// the timing clock (Timing).
func (d *Depositor) qwait(ctx context.Context, r *questionRow, now time.Time, delay time.Duration, set string, args ...any) error {
	next := d.due().Add(delay)
	return d.DB.Tx(ctx, func(tx *store.Tx) error {
		q := "UPDATE chorus_questions SET next_attempt_at = ?, updated_at = ?"
		if set != "" {
			q += ", " + set
		}
		if _, err := tx.Exec(ctx, q+" WHERE id = ?", append(append([]any{next, now}, args...), r.ID)...); err != nil {
			return err
		}
		_, err := worker.Enqueue(ctx, tx, QuestionJob, questionPayload{QuestionID: r.ID}, next)
		return err
	})
}

func (d *Depositor) qfail(ctx context.Context, r *questionRow, now time.Time, err error, set string, args ...any) error {
	n := r.Attempts + 1
	if d.Log != nil {
		d.Log.Warn("chorus: question attempt failed", "question", r.ID, "phase", r.Phase, "attempt", n, "err", err)
	}
	s := "attempts = ?, last_error = ?"
	if set != "" {
		s += ", " + set
	}
	// What the page shows: Chorus Pro's own words, or that it did not answer.
	msg := "Chorus Pro ne répond pas pour le moment ; Kairos réessaie de lui-même."
	var ce *chorus.Error
	if asChorus(err, &ce) && ce.Status < 500 {
		msg = "Chorus Pro a refusé la demande : « " + ce.Libelle + " » ; Kairos réessaie de lui-même."
	} else if !asChorus(err, &ce) && !errors.Is(err, context.DeadlineExceeded) && strings.Contains(err.Error(), "KAIROS_CHORUS_API_URL") {
		msg = err.Error()
	}
	return d.qwait(ctx, r, now, chorusBackoff(n), s, append([]any{n, truncate(msg, 2000)}, args...)...)
}

// change records a new status (and answer) of question r and publishes it.
func (d *Depositor) qchange(ctx context.Context, tx *store.Tx, r *questionRow, phase, status, answer string, answeredAt *time.Time, reason string, now time.Time, extra map[string]any) error {
	before := map[string]any{"phase": r.Phase, "status": r.Status}
	if _, err := tx.Exec(ctx, "UPDATE chorus_questions SET phase = ?, status = ?, answer = ?, answered_at = ?, reason = ?, attempts = 0, polls = 0, last_error = '', updated_at = ? WHERE id = ?",
		phase, status, truncate(answer, 20000), answeredAt, truncate(reason, 4000), now, r.ID); err != nil {
		return err
	}
	after := map[string]any{"number": r.Number, "question_id": r.ID, "phase": phase, "status": status, "label": QuestionStatusLabel(phase, status),
		"chorus_number": r.ChorusNumber, "subject": r.Subject}
	if answer != "" {
		after["answer"] = answer
	}
	if reason != "" {
		after["reason"] = reason
	}
	for k, v := range extra {
		after[k] = v
	}
	r.Phase, r.Status, r.Answer = phase, status, answer
	return tx.Record(ctx, store.Change{Action: "invoice.chorus_question_status_changed", OrgID: r.OrgID, ObjectType: "invoice", ObjectID: r.InvoiceID,
		Before: before, After: after, At: now})
}

func (d *Depositor) send(ctx context.Context, r *questionRow, now time.Time) (bool, error) {
	var cppID int64
	if err := d.DB.QueryRow(ctx, "SELECT cpp_id FROM chorus_deposits WHERE invoice_id = ?", r.InvoiceID).Scan(&cppID); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	// The intent of this call, committed before it; sent_at on the timing
	// clock, which the reconciliation window is measured on.
	sent := d.due()
	res, err := d.DB.Exec(ctx, "UPDATE chorus_questions SET phase = ?, sent_at = ?, sendings = sendings + 1, updated_at = ? WHERE id = ? AND phase = ?",
		QPhaseSending, sent, now, r.ID, QPhaseToSend)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, nil // another worker took it
	}
	r.Phase, r.SentAt = QPhaseSending, sql.NullTime{Time: sent, Valid: true}
	resp, err := d.Client.CreerSollicitation(ctx, chorus.CreerSollicitationRequest{IDTechniqueCategorie: r.CategoryID, CodeCategorie: r.CategoryCode,
		Objet: r.Subject + " " + questionRef(r.ID), Description: r.Message, IDFacture: cppID, NumeroFacture: r.Number})
	if err != nil {
		if unknownOutcome(err) {
			return false, d.qfail(ctx, r, now, err, "")
		}
		if r.Attempts+1 >= MaxDepositAttempts {
			return false, d.DB.Tx(ctx, func(tx *store.Tx) error {
				return d.qchange(ctx, tx, r, PhaseFailed, "", "", nil, "Chorus Pro refuse la question : "+chorusMessage(err), now, nil)
			})
		}
		return false, d.qfail(ctx, r, now, err, "phase = ?", QPhaseToSend)
	}
	if d.AfterQuestion != nil {
		d.AfterQuestion(r.ID, resp.IDSollicitation)
	}
	status := resp.StatutSollicitation
	if status == "" {
		status = chorus.SolTransmise
	}
	err = d.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE chorus_questions SET chorus_id = ?, chorus_number = ? WHERE id = ? AND phase = ? AND chorus_id = 0", resp.IDSollicitation, resp.NumeroSollicitation, r.ID, QPhaseSending)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		r.ChorusID, r.ChorusNumber = resp.IDSollicitation, resp.NumeroSollicitation
		if err := d.qchange(ctx, tx, r, QPhaseFollow, status, "", nil, "", now, nil); err != nil {
			return err
		}
		next := d.due().Add(pollDelay(0))
		_, err = tx.Exec(ctx, "UPDATE chorus_questions SET next_attempt_at = ? WHERE id = ?", next, r.ID)
		if err == nil {
			_, err = worker.Enqueue(ctx, tx, QuestionJob, questionPayload{QuestionID: r.ID}, next)
		}
		return err
	})
	return false, err
}

// reconcileQuestion handles a question whose sending has no recorded answer.
func (d *Depositor) reconcileQuestion(ctx context.Context, r *questionRow, now time.Time) (bool, error) {
	list, err := d.Client.RechercherSollicitations(ctx, chorus.RechercherSollicitationRequest{NumeroFacture: r.Number})
	if err != nil {
		return false, d.qfail(ctx, r, now, err, "")
	}
	ref := questionRef(r.ID)
	for _, s := range list {
		if !strings.HasSuffix(s.Objet, ref) {
			continue
		}
		err := d.DB.Tx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, "UPDATE chorus_questions SET chorus_id = ?, chorus_number = ? WHERE id = ? AND phase = ? AND chorus_id = 0", s.IDSollicitation, s.NumeroSollicitation, r.ID, QPhaseSending)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nil
			}
			r.ChorusID, r.ChorusNumber = s.IDSollicitation, s.NumeroSollicitation
			return d.qchange(ctx, tx, r, QPhaseFollow, s.StatutSollicitation, "", nil, "", now, map[string]any{"reconciled": true})
		})
		return err == nil, err
	}
	if since := d.due().Sub(r.SentAt.Time); r.SentAt.Valid && since < d.window() {
		r.Polls++
		return false, d.qwait(ctx, r, now, min(pollDelay(r.Polls), d.window()-since+time.Second), "polls = ?, last_error = ?", r.Polls,
			"Envoi sans réponse enregistrée : Chorus Pro ne connaît pas encore cette question ; nouvelle recherche avant tout nouvel envoi.")
	}
	res, err := d.DB.Exec(ctx, "UPDATE chorus_questions SET phase = ?, updated_at = ? WHERE id = ? AND phase = ? AND sent_at = ?", QPhaseToSend, now, r.ID, QPhaseSending, r.SentAt.Time)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// poll reads the question on Chorus Pro and records a new status or answer.
func (d *Depositor) poll(ctx context.Context, r *questionRow, now time.Time) error {
	c, err := d.Client.ConsulterSollicitation(ctx, r.ChorusID)
	if err != nil {
		return d.qfail(ctx, r, now, err, "")
	}
	answer, at := c.Answer()
	status := c.StatutSollicitation
	if status == "" {
		status = r.Status
	}
	final := chorus.SollicitationFinal(status)
	if status == r.Status && answer == r.Answer && !final {
		r.Polls++
		return d.qwait(ctx, r, now, pollDelay(r.Polls), "polls = ?, attempts = 0, last_error = ''", r.Polls)
	}
	return d.DB.Tx(ctx, func(tx *store.Tx) error {
		var answeredAt *time.Time
		if answer != "" {
			t := parseChorusTime(at, now)
			answeredAt = &t
		}
		phase := QPhaseFollow
		if final {
			phase = PhaseDone
		}
		if err := d.qchange(ctx, tx, r, phase, status, answer, answeredAt, "", now, nil); err != nil {
			return err
		}
		if final {
			return nil
		}
		next := d.due().Add(pollDelay(0))
		if _, err := tx.Exec(ctx, "UPDATE chorus_questions SET next_attempt_at = ? WHERE id = ?", next, r.ID); err != nil {
			return err
		}
		_, err := worker.Enqueue(ctx, tx, QuestionJob, questionPayload{QuestionID: r.ID}, next)
		return err
	})
}
