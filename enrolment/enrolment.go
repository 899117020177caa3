// Package enrolment is the training path capability (DOMAIN §6): a job
// seeker (DE) is proposed on a catalogue session, enrolled (AIS), enters the
// training (AES), may be absent, interrupted and resume, and exits with a
// reason. Every movement records when it happened (a civil date) and when it
// was declared (an instant); movements declared after the 3-day rule
// (calendar.DeclarationRule) are flagged late and counted per OF.
//
// Every change runs in one transaction that first locks the job seeker's
// profile row (so that two enrolments of one person on overlapping sessions
// can never both be accepted, on either engine) and records the audit entry
// and the event (tx.Record).
package enrolment

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"kairos"
	"kairos/appointments"
	"kairos/attendance"
	"kairos/calendar"
	"kairos/store"
)

// MaxComment is the longest comment, in characters.
const MaxComment = 1000

// Enrolment is a job seeker's enrolment on a session.
type Enrolment struct {
	ID                 int64         `json:"id"`
	OrgID              int64         `json:"org_id"`
	OrgName            string        `json:"org_name"`
	SessionID          int64         `json:"session_id"`
	SessionTitle       string        `json:"session_title"`
	SessionDebut       calendar.Date `json:"session_debut"`
	SessionFin         calendar.Date `json:"session_fin"`
	DemandeurID        int64         `json:"demandeur_id"`
	DemandeurName      string        `json:"demandeur_name"`
	FTID               string        `json:"ft_id"`
	AgenceID           int64         `json:"agence_id"`
	State              string        `json:"state"`
	PlannedEntry       calendar.Date `json:"planned_entry"`
	EntryOn            calendar.Date `json:"entry_on,omitempty"`
	InterruptedOn      calendar.Date `json:"interrupted_on,omitempty"`
	InterruptionReason string        `json:"interruption_reason,omitempty"`
	ExitOn             calendar.Date `json:"exit_on,omitempty"`
	ExitReason         string        `json:"exit_reason,omitempty"`
	ClosedReason       string        `json:"closed_reason,omitempty"`
	ProposedRole       string        `json:"proposed_role"`
	LastMovementOn     calendar.Date `json:"last_movement_on,omitempty"`
	Version            int           `json:"version"`
	CreatedAt          time.Time     `json:"created_at"`
	UpdatedAt          time.Time     `json:"updated_at"`

	Movements   []Movement   `json:"movements,omitempty"`
	Absences    []Absence    `json:"absences,omitempty"`
	Corrections []Correction `json:"corrections,omitempty"`
}

// StateLabel returns the French label of the enrolment's state.
func (e *Enrolment) StateLabel() string { return StateLabel(e.State) }

// Movement is one declared event of the path.
type Movement struct {
	ID          int64         `json:"id"`
	Action      string        `json:"action"`
	From        string        `json:"from_state"`
	To          string        `json:"to_state"`
	OccurredOn  calendar.Date `json:"occurred_on"`
	DeclaredAt  time.Time     `json:"declared_at"`
	Late        bool          `json:"late"`
	Reason      string        `json:"reason,omitempty"`
	Comment     string        `json:"comment,omitempty"`
	ActorLabel  string        `json:"actor"`
	IsMovement  bool          `json:"dated_movement"`
	Deadline    calendar.Date `json:"deadline,omitempty"`
	Corrections int           `json:"corrections"`
}

var eventLabels = map[string]string{
	ActProposer:    "Inscription proposée",
	ActInscrire:    "Inscription confirmée (AIS)",
	ActRefuser:     "Proposition refusée",
	ActAnnuler:     "Inscription annulée",
	ActEntrer:      "Entrée en formation (AES)",
	ActInterrompre: "Interruption",
	ActReprendre:   "Reprise de la formation",
	ActSortir:      "Sortie de formation",
	"obsolete":     "Proposition devenue sans objet",
	ActQuote:       "Devis AIF validé",
}

// Label returns the French label of the movement, as an event of the timeline.
func (m Movement) Label() string {
	if l, ok := eventLabels[m.Action]; ok {
		return l
	}
	return m.Action
}

// ReasonLabel returns the label of the movement's reason.
func (m Movement) ReasonLabel() string { return ReasonLabel(m.Reason) }

// Correction is a change of a movement's date, kept for history.
type Correction struct {
	ID         int64     `json:"id"`
	MovementID int64     `json:"movement_id"`
	Field      string    `json:"field"`
	Before     string    `json:"before"`
	After      string    `json:"after"`
	Comment    string    `json:"comment"`
	ActorLabel string    `json:"actor"`
	At         time.Time `json:"at"`
}

// Service implements the training path over the store.
type Service struct {
	DB       *store.DB
	Sessions appointments.Sessions // the catalogue seam
	Clock    kairos.Clock
	// Rule is the declaration rule (zero: the legal 3 calendar days).
	Rule calendar.DeclarationRule
	// EntryTolerance is how many days an entry may precede the session's start.
	EntryTolerance int
	// MaxFileSize bounds a justificatif, in bytes (0: 5 MiB).
	MaxFileSize int64
	// Schedules gives a session's planned hours, against which absences are
	// checked (the attestations capability); nil: attendance.DefaultSchedule.
	Schedules Schedules
	Log       *slog.Logger
}

// Schedules gives the planned hours of a session.
type Schedules interface {
	Schedule(ctx context.Context, q store.Querier, sessionID int64) (attendance.Schedule, error)
}

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock().UTC()
	}
	return s.DB.Now()
}

// Today returns today's civil date in Paris.
func (s *Service) Today() calendar.Date { return calendar.DateOf(s.now()) }

func (s *Service) maxFile() int64 {
	if s.MaxFileSize > 0 {
		return s.MaxFileSize
	}
	return 5 << 20
}

var ofRule = kairos.Rule{Roles: ofRoles, Habilitation: kairos.HabCandidatures}

const cols = `e.id, e.org_id, o.name, e.session_id, e.session_title, e.session_debut, e.session_fin, e.demandeur_id, u.name, COALESCE(d.ft_id, ''),
	e.agence_id, e.state, e.planned_entry, e.entry_on, e.interrupted_on, e.interruption_reason, e.exit_on, e.exit_reason, e.closed_reason,
	e.proposed_role, e.version, e.created_at, e.updated_at`

const from = ` FROM enrolments e JOIN organisations o ON o.id = e.org_id JOIN users u ON u.id = e.demandeur_id LEFT JOIN demandeurs d ON d.user_id = e.demandeur_id`

func scan(sc interface{ Scan(...any) error }) (*Enrolment, error) {
	var e Enrolment
	if err := sc.Scan(&e.ID, &e.OrgID, &e.OrgName, &e.SessionID, &e.SessionTitle, &e.SessionDebut, &e.SessionFin, &e.DemandeurID, &e.DemandeurName, &e.FTID,
		&e.AgenceID, &e.State, &e.PlannedEntry, &e.EntryOn, &e.InterruptedOn, &e.InterruptionReason, &e.ExitOn, &e.ExitReason, &e.ClosedReason,
		&e.ProposedRole, &e.Version, &e.CreatedAt, &e.UpdatedAt); err != nil {
		return nil, err
	}
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return &e, nil
}

// mayRead checks the actor may see e: its OF (any user), the counsellors of
// the job seeker's agence, the job seeker himself. Others: not found.
func mayRead(a *kairos.Actor, e *Enrolment) error {
	switch {
	case a == nil:
	case (a.Role == kairos.RoleOFAdmin || a.Role == kairos.RoleOFUser) && a.OrgID == e.OrgID:
		return nil
	case a.Role == kairos.RoleConseiller && a.OrgID == e.AgenceID:
		return nil
	case a.Role == kairos.RoleDemandeur && a.UserID == e.DemandeurID:
		return nil
	}
	return kairos.NotFound("Inscription")
}

func (s *Service) load(ctx context.Context, q store.Querier, id int64) (*Enrolment, error) {
	e, err := scan(q.QueryRow(ctx, "SELECT "+cols+from+" WHERE e.id = ?", id))
	if err != nil {
		return nil, store.NotFoundIf(err, "Inscription")
	}
	var last sql.NullInt64
	if err := q.QueryRow(ctx, "SELECT MAX(occurred_on) FROM enrolment_movements WHERE enrolment_id = ? AND action IN ('entrer', 'interrompre', 'reprendre')", id).Scan(&last); err != nil {
		return nil, err
	}
	e.LastMovementOn = calendar.Date(last.Int64)
	return e, nil
}

// lockDemandeur takes the job seeker's row lock for the rest of the
// transaction (PostgreSQL; SQLite's immediate transactions are exclusive).
func lockDemandeur(ctx context.Context, tx *store.Tx, id int64) (agence int64, err error) {
	q := "SELECT agence_id FROM demandeurs WHERE user_id = ?"
	if tx.Engine() == store.Postgres {
		q += " FOR UPDATE"
	}
	err = tx.QueryRow(ctx, q, id).Scan(&agence)
	return agence, store.NotFoundIf(err, "Demandeur d'emploi")
}

// overlaps returns the ids of the job seeker's active enrolments, other
// than except, whose session overlaps [debut, fin].
func overlaps(ctx context.Context, q store.Querier, demandeur, except int64, debut, fin calendar.Date, states []string) ([]int, error) {
	rows, err := q.Query(ctx, `SELECT id FROM enrolments WHERE demandeur_id = ? AND id <> ? AND state IN (`+inList(states)+`)
		AND session_debut <= ? AND session_fin >= ?`, demandeur, except, int64(fin), int64(debut))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func inList(states []string) string {
	q := make([]string, len(states))
	for i, s := range states {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, ", ")
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func cleanComment(c string) (string, error) {
	c = strings.TrimSpace(strings.ReplaceAll(c, "\r\n", "\n"))
	if n := utf8.RuneCountInString(c); n > MaxComment {
		return "", invalid("comment", "Le commentaire ne doit pas dépasser "+strconv.Itoa(MaxComment)+" caractères (il en compte "+strconv.Itoa(n)+").")
	}
	return c, nil
}

// Proposal is what proposes a job seeker on a session.
type Proposal struct {
	DemandeurID  int64         `json:"demandeur_id"`
	SessionID    int64         `json:"session_id"`
	PlannedEntry calendar.Date `json:"planned_entry,omitempty"` // default: the session's start
	Comment      string        `json:"comment,omitempty"`
}

// Propose proposes a job seeker on a session: by the OF that runs it, for a
// job seeker it retained at one of its appointments, or by a counsellor of
// the job seeker's agence.
func (s *Service) Propose(ctx context.Context, a *kairos.Actor, in Proposal) (*Enrolment, error) {
	t := Find(ActProposer)
	if !t.MayDo(a) {
		return nil, kairos.Errorf(kairos.EForbidden, "Vous ne pouvez pas proposer d'inscription.")
	}
	comment, err := cleanComment(in.Comment)
	if err != nil {
		return nil, err
	}
	if s.Sessions == nil {
		return nil, invalid("session_id", "Le catalogue n'est pas disponible.")
	}
	ref, err := s.Sessions.Session(ctx, in.SessionID)
	if kairos.ErrorCode(err) == kairos.ENotFound || (err == nil && (ref.OrgID == 0 || (a.Role != kairos.RoleConseiller && ref.OrgID != a.OrgID))) {
		return nil, invalid("session_id", "Session introuvable dans le catalogue (ou son organisme n'est pas sur Kairos).")
	}
	if err != nil {
		return nil, err
	}
	// A counsellor prescribes only sessions visible for prescription; the OF
	// may still place a candidate it retained on one of its current sessions.
	if a.Role == kairos.RoleConseiller && ref.NotChoosable != "" {
		return nil, invalid("session_id", "Cette session ne peut pas être choisie : "+ref.NotChoosable)
	}
	debut, fin := calendar.DateOf(ref.Debut), calendar.DateOf(ref.Fin)
	if ref.Debut.IsZero() {
		debut = s.Today()
	}
	if ref.Fin.IsZero() {
		fin = debut.AddDays(365)
	}
	planned := in.PlannedEntry
	if planned.IsZero() {
		planned = debut
	}
	if planned < debut.AddDays(-s.EntryTolerance) || planned > fin {
		return nil, invalid("planned_entry", "La date d'entrée prévue doit être comprise entre le "+debut.French()+" et le "+fin.French()+".")
	}
	now := s.now()
	var out *Enrolment
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		agence, err := lockDemandeur(ctx, tx, in.DemandeurID)
		if err != nil {
			return err
		}
		switch a.Role {
		case kairos.RoleConseiller:
			if agence != a.OrgID {
				return kairos.NotFound("Demandeur d'emploi")
			}
		default:
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM participants p JOIN appointments ap ON ap.id = p.appointment_id
				WHERE p.demandeur_id = ? AND ap.org_id = ? AND p.result = 'retenu'`, in.DemandeurID, a.OrgID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return kairos.NotFound("Demandeur d'emploi")
			}
		}
		e := &Enrolment{OrgID: ref.OrgID, SessionID: ref.ID, SessionTitle: ref.Intitule, SessionDebut: debut, SessionFin: fin, DemandeurID: in.DemandeurID, AgenceID: agence, PlannedEntry: planned}
		if _, err := Check(ActProposer, StNone, a, Cond{Now: now, E: e, Comment: comment}); err != nil {
			return err
		}
		id, err := tx.Insert(ctx, `INSERT INTO enrolments (org_id, session_id, session_title, session_debut, session_fin, demandeur_id, agence_id, state,
			planned_entry, proposed_by, proposed_role, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
			e.OrgID, e.SessionID, e.SessionTitle, int64(debut), int64(fin), e.DemandeurID, agence, StProposee, int64(planned), nullID(a.UserID), string(a.Role), now, now)
		if store.IsUniqueViolation(err) {
			return conflict("Ce demandeur d'emploi a déjà une inscription en cours sur cette session.")
		}
		if err != nil {
			return err
		}
		if err := s.movement(ctx, tx, a, id, e.OrgID, ActProposer, StNone, StProposee, s.Today(), now, false, "", comment); err != nil {
			return err
		}
		out, err = s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "enrolment.propose", OrgID: e.OrgID, ObjectType: "enrolment", ObjectID: id, After: out, At: now})
	})
	return out, err
}

func (s *Service) movement(ctx context.Context, tx *store.Tx, a *kairos.Actor, id, org int64, action, fromState, to string, on calendar.Date, at time.Time, late bool, reason, comment string) error {
	_, err := tx.Exec(ctx, `INSERT INTO enrolment_movements (enrolment_id, org_id, action, from_state, to_state, occurred_on, declared_at, late, reason, comment, actor_id, actor_label)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, org, action, fromState, to, int64(on), at, boolInt(late), reason, comment, nullID(a.UserID), a.Label())
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Action is a transition requested on an enrolment.
type Action struct {
	Action  string        `json:"action"`
	Date    calendar.Date `json:"date,omitempty"` // when it happened (dated movements)
	Reason  string        `json:"reason,omitempty"`
	Comment string        `json:"comment,omitempty"`
	Version int           `json:"version,omitempty"` // if set, the enrolment must still be at this version
}

// Do performs a transition on enrolment id.
func (s *Service) Do(ctx context.Context, a *kairos.Actor, id int64, in Action) (*Enrolment, error) {
	comment, err := cleanComment(in.Comment)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *Enrolment
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		var demandeur int64
		if err := tx.QueryRow(ctx, "SELECT demandeur_id FROM enrolments WHERE id = ?", id).Scan(&demandeur); err != nil {
			return store.NotFoundIf(err, "Inscription")
		}
		if _, err := lockDemandeur(ctx, tx, demandeur); err != nil {
			return err
		}
		before, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := mayRead(a, before); err != nil {
			return err
		}
		if in.Version != 0 && in.Version != before.Version {
			return conflict("Cette inscription a été modifiée entre-temps : rechargez la page.")
		}
		c := Cond{Now: now, E: before, Date: in.Date, Reason: strings.TrimSpace(in.Reason), Comment: comment, Tolerance: s.EntryTolerance}
		if in.Action == ActInscrire || in.Action == ActEntrer {
			if c.Overlaps, err = overlaps(ctx, tx, demandeur, id, before.SessionDebut, before.SessionFin, Active); err != nil {
				return err
			}
		}
		t, err := Check(in.Action, before.State, a, c)
		if err != nil {
			return err
		}
		on, late := s.Today(), false
		if isMovement(t) {
			on, late = in.Date, s.Rule.IsLate(in.Date, now)
		} else {
			c.Reason = ""
		}
		set := "state = ?, version = version + 1, updated_at = ?"
		args := []any{t.To, now}
		switch t.Action {
		case ActEntrer:
			set += ", entry_on = ?"
			args = append(args, int64(on))
		case ActInterrompre:
			set += ", interrupted_on = ?, interruption_reason = ?"
			args = append(args, int64(on), c.Reason)
		case ActReprendre:
			set += ", interrupted_on = 0, interruption_reason = ''"
		case ActSortir:
			// An exit ends an interruption in progress: the enrolment is no
			// longer interrupted (its movements keep the history).
			set += ", exit_on = ?, exit_reason = ?, interrupted_on = 0, interruption_reason = ''"
			args = append(args, int64(on), c.Reason)
		case ActRefuser, ActAnnuler:
			set += ", closed_reason = ?"
			args = append(args, comment)
		}
		args = append(args, id, before.State)
		res, err := tx.Exec(ctx, "UPDATE enrolments SET "+set+" WHERE id = ? AND state = ?", args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return conflict("Cette inscription a été modifiée entre-temps : rechargez la page.")
		}
		if err := s.movement(ctx, tx, a, id, before.OrgID, t.Action, before.State, t.To, on, now, late, c.Reason, comment); err != nil {
			return err
		}
		if t.Action == ActInscrire {
			if err := s.obsolete(ctx, tx, a, before, now); err != nil {
				return err
			}
		}
		out, err = s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.details(ctx, tx, out); err != nil {
			return err
		}
		defer out.redactFor(a)
		return tx.Record(ctx, store.Change{Action: "enrolment." + t.Action, OrgID: before.OrgID, ObjectType: "enrolment", ObjectID: id, Before: before, After: out, At: now})
	})
	return out, err
}

// obsolete closes the job seeker's other pending proposals on sessions that
// overlap the one he is now enrolled on.
func (s *Service) obsolete(ctx context.Context, tx *store.Tx, a *kairos.Actor, e *Enrolment, now time.Time) error {
	ids, err := overlaps(ctx, tx, e.DemandeurID, e.ID, e.SessionDebut, e.SessionFin, []string{StProposee})
	if err != nil {
		return err
	}
	reason := "Proposition devenue sans objet : inscription confirmée sur « " + e.SessionTitle + " »."
	for _, oid := range ids {
		other, err := s.load(ctx, tx, int64(oid))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE enrolments SET state = ?, closed_reason = ?, version = version + 1, updated_at = ? WHERE id = ?", StAnnulee, reason, now, oid); err != nil {
			return err
		}
		if err := s.movement(ctx, tx, a, other.ID, other.OrgID, "obsolete", StProposee, StAnnulee, s.Today(), now, false, "", reason); err != nil {
			return err
		}
		after, err := s.load(ctx, tx, other.ID)
		if err != nil {
			return err
		}
		if err := tx.Record(ctx, store.Change{Action: "enrolment.obsolete", OrgID: other.OrgID, ObjectType: "enrolment", ObjectID: other.ID, Before: other, After: after, At: now}); err != nil {
			return err
		}
	}
	return nil
}

// Get returns an enrolment with its movements, absences and corrections.
func (s *Service) Get(ctx context.Context, a *kairos.Actor, id int64) (*Enrolment, error) {
	e, err := s.load(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	if err := mayRead(a, e); err != nil {
		return nil, err
	}
	if err := s.details(ctx, s.DB, e); err != nil {
		return nil, err
	}
	e.redactFor(a)
	return e, nil
}

// redactFor hides from a job seeker the e-mail addresses of the OF's and
// France Travail's staff in the history (actor labels "Name <e-mail>"):
// he sees their names only.
func (e *Enrolment) redactFor(a *kairos.Actor) {
	if a == nil || a.Role != kairos.RoleDemandeur {
		return
	}
	for i := range e.Movements {
		e.Movements[i].ActorLabel = nameOnly(e.Movements[i].ActorLabel, a)
	}
	for i := range e.Absences {
		e.Absences[i].ActorLabel = nameOnly(e.Absences[i].ActorLabel, a)
	}
	for i := range e.Corrections {
		e.Corrections[i].ActorLabel = nameOnly(e.Corrections[i].ActorLabel, a)
	}
}

func nameOnly(label string, viewer *kairos.Actor) string {
	if label == viewer.Label() {
		return label
	}
	if i := strings.LastIndex(label, " <"); i > 0 && strings.HasSuffix(label, ">") {
		return label[:i]
	}
	return label
}

func (s *Service) details(ctx context.Context, q store.Querier, e *Enrolment) error {
	rows, err := q.Query(ctx, `SELECT m.id, m.action, m.from_state, m.to_state, m.occurred_on, m.declared_at, m.late, m.reason, m.comment, m.actor_label,
		(SELECT COUNT(*) FROM enrolment_corrections c WHERE c.movement_id = m.id)
		FROM enrolment_movements m WHERE m.enrolment_id = ? ORDER BY m.id`, e.ID)
	if err != nil {
		return err
	}
	e.Movements = []Movement{}
	for rows.Next() {
		var m Movement
		var late int
		if err := rows.Scan(&m.ID, &m.Action, &m.From, &m.To, &m.OccurredOn, &m.DeclaredAt, &late, &m.Reason, &m.Comment, &m.ActorLabel, &m.Corrections); err != nil {
			rows.Close()
			return err
		}
		m.Late, m.DeclaredAt = late == 1, m.DeclaredAt.UTC()
		if t := Find(m.Action); t != nil && isMovement(t) {
			m.IsMovement, m.Deadline = true, s.Rule.Deadline(m.OccurredOn)
		}
		e.Movements = append(e.Movements, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.Query(ctx, `SELECT id, movement_id, field, before_value, after_value, comment, actor_label, at FROM enrolment_corrections WHERE enrolment_id = ? ORDER BY id`, e.ID)
	if err != nil {
		return err
	}
	e.Corrections = []Correction{}
	for rows.Next() {
		var c Correction
		if err := rows.Scan(&c.ID, &c.MovementID, &c.Field, &c.Before, &c.After, &c.Comment, &c.ActorLabel, &c.At); err != nil {
			rows.Close()
			return err
		}
		c.At = c.At.UTC()
		e.Corrections = append(e.Corrections, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	e.Absences, err = s.absences(ctx, q, e.ID)
	return err
}

// Correct changes the date of a dated movement (entry, interruption,
// resumption, exit) of the actor's OF, keeping the history (who, when,
// before, after, why). Dates stay ordered and the lateness is recomputed
// against the original declaration instant.
func (s *Service) Correct(ctx context.Context, a *kairos.Actor, movementID int64, date calendar.Date, comment string) (*Enrolment, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	comment, err := cleanComment(comment)
	if err != nil {
		return nil, err
	}
	if comment == "" {
		return nil, invalid("comment", "Indiquez la raison de la correction.")
	}
	now := s.now()
	var out *Enrolment
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		var id, demandeur int64
		if err := tx.QueryRow(ctx, "SELECT e.id, e.demandeur_id FROM enrolment_movements m JOIN enrolments e ON e.id = m.enrolment_id WHERE m.id = ?", movementID).Scan(&id, &demandeur); err != nil {
			return store.NotFoundIf(err, "Déclaration")
		}
		if _, err := lockDemandeur(ctx, tx, demandeur); err != nil {
			return err
		}
		before, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := kairos.OwnedBy(a, before.OrgID, "Déclaration"); err != nil {
			return err
		}
		if err := s.details(ctx, tx, before); err != nil {
			return err
		}
		i := slices.IndexFunc(before.Movements, func(m Movement) bool { return m.ID == movementID })
		m := before.Movements[i]
		if !m.IsMovement {
			return conflict("Seules les dates d'entrée, d'interruption, de reprise et de sortie se corrigent.")
		}
		// Neighbouring dated movements bound the new date.
		var lo, hi calendar.Date
		for j := i - 1; j >= 0; j-- {
			if before.Movements[j].IsMovement {
				lo = before.Movements[j].OccurredOn
				break
			}
		}
		for j := i + 1; j < len(before.Movements); j++ {
			if before.Movements[j].IsMovement {
				hi = before.Movements[j].OccurredOn
				break
			}
		}
		c := Cond{Now: now, E: before, Date: date}
		if err := guardDate(c, lo, "corrigée"); err != nil {
			return err
		}
		if !hi.IsZero() && date > hi {
			return invalid("date", "La date corrigée ne peut pas être après le "+hi.French()+" (déclaration suivante).")
		}
		if m.Action == ActEntrer && date < before.SessionDebut.AddDays(-s.EntryTolerance) {
			return invalid("date", "L'entrée ne peut pas précéder le début de la session ("+before.SessionDebut.French()+").")
		}
		if date == m.OccurredOn {
			return invalid("date", "La date est inchangée.")
		}
		late := s.Rule.IsLate(date, m.DeclaredAt)
		if _, err := tx.Exec(ctx, "UPDATE enrolment_movements SET occurred_on = ?, late = ? WHERE id = ?", int64(date), boolInt(late), movementID); err != nil {
			return err
		}
		col := map[string]string{ActEntrer: "entry_on", ActInterrompre: "interrupted_on", ActSortir: "exit_on"}[m.Action]
		if col != "" {
			if _, err := tx.Exec(ctx, "UPDATE enrolments SET "+col+" = ? WHERE id = ? AND "+col+" = ?", int64(date), id, int64(m.OccurredOn)); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE enrolments SET version = version + 1, updated_at = ? WHERE id = ?", now, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO enrolment_corrections (movement_id, enrolment_id, field, before_value, after_value, comment, actor_id, actor_label, at)
			VALUES (?, ?, 'occurred_on', ?, ?, ?, ?, ?, ?)`, movementID, id, m.OccurredOn.String(), date.String(), comment, nullID(a.UserID), a.Label(), now); err != nil {
			return err
		}
		out, err = s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "enrolment.correct", OrgID: before.OrgID, ObjectType: "enrolment_movement", ObjectID: movementID,
			Before: map[string]any{"occurred_on": m.OccurredOn, "late": m.Late}, After: map[string]any{"occurred_on": date, "late": late, "comment": comment}, At: now})
	})
	return out, err
}

// ProposableName returns the name of job seeker demandeurID when the actor
// may propose him a training: a counsellor of his agence, or an OF that has
// retained him at one of its appointments (the rule of Propose). Anyone else
// gets "" (the proposal form shows no name of a stranger).
func (s *Service) ProposableName(ctx context.Context, a *kairos.Actor, demandeurID int64) (string, error) {
	if a == nil || demandeurID <= 0 {
		return "", nil
	}
	var q string
	var args []any
	switch a.Role {
	case kairos.RoleConseiller:
		q, args = `SELECT u.name FROM users u JOIN demandeurs d ON d.user_id = u.id WHERE u.id = ? AND d.agence_id = ?`, []any{demandeurID, a.OrgID}
	case kairos.RoleOFAdmin, kairos.RoleOFUser:
		if !a.Can(kairos.HabCandidatures) {
			return "", nil
		}
		q, args = `SELECT u.name FROM users u WHERE u.id = ? AND u.role = 'demandeur' AND EXISTS (SELECT 1 FROM participants p
			JOIN appointments ap ON ap.id = p.appointment_id WHERE p.demandeur_id = u.id AND ap.org_id = ? AND p.result = 'retenu')`, []any{demandeurID, a.OrgID}
	default:
		return "", nil
	}
	var name string
	err := s.DB.QueryRow(ctx, q, args...).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return name, err
}
