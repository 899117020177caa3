// Package appointments is the appointments capability (DOMAIN §5): an OF's
// information sessions (collective) and interviews (individual), the
// registrations of job seekers (by themselves or by their counsellor) within
// the capacity, with a waiting list, their attendance and candidacy results,
// the convocation, change, reminder and cancellation e-mails with their ICS
// invitation, and each OF's calendar feed.
//
// Every change runs in one transaction that locks the appointment's row
// first (so that registrations for the last seat are serialised on both
// engines) and records the audit entry and the event (tx.Record).
package appointments

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris everywhere
	"unicode/utf8"

	"kairos"
	"kairos/store"
)

// Paris is the time zone of appointments.
var Paris = mustParis()

func mustParis() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}

// Kinds of appointment.
const (
	KindCollectif  = "collectif"
	KindIndividuel = "individuel"
)

// KindLabel returns the French label of a kind.
func KindLabel(k string) string {
	switch k {
	case KindCollectif:
		return "Information collective"
	case KindIndividuel:
		return "Entretien individuel"
	}
	return k
}

// Appointment statuses.
const (
	ApptPlanned   = "planifie"
	ApptCancelled = "annule"
)

// MaxComment is the longest comment, in characters.
const MaxComment = 500

// Appointment is an information session or an interview of an OF.
type Appointment struct {
	ID           int64        `json:"id"`
	OrgID        int64        `json:"org_id"`
	OrgName      string       `json:"org_name"`
	UID          string       `json:"uid"`
	Kind         string       `json:"kind"`
	Title        string       `json:"title"`
	StartsAt     time.Time    `json:"starts_at"`
	EndsAt       time.Time    `json:"ends_at"`
	Place        string       `json:"place"`
	VideoURL     string       `json:"video_url"`
	Capacity     int          `json:"capacity"`
	SeatsTaken   int          `json:"seats_taken"`
	Waiting      int          `json:"waiting"`
	Comment      string       `json:"comment"`
	Deadline     *time.Time   `json:"registration_deadline,omitempty"`
	Status       string       `json:"status"`
	CancelReason string       `json:"cancel_reason,omitempty"`
	Sequence     int          `json:"sequence"`
	Sessions     []SessionRef `json:"sessions"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
	ToComplete   int          `json:"to_complete,omitempty"` // participants still "inscrit" after the end
}

// KindLabel returns the French label of the appointment's kind.
func (a *Appointment) KindLabel() string { return KindLabel(a.Kind) }

// Free returns the number of free seats.
func (a *Appointment) Free() int { return a.Capacity - a.SeatsTaken }

// Cancelled reports whether the appointment is cancelled.
func (a *Appointment) Cancelled() bool { return a.Status == ApptCancelled }

// Day returns the date of the appointment in Paris, e.g. "mardi 12 mai 2026".
func (a *Appointment) Day() string { return FrenchDate(a.StartsAt) }

// Hours returns "09:30 – 11:00" in Paris.
func (a *Appointment) Hours() string {
	return a.StartsAt.In(Paris).Format("15:04") + " – " + a.EndsAt.In(Paris).Format("15:04")
}

var frDays = []string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
var frMonths = []string{"", "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// FrenchDate formats t as "mardi 12 mai 2026" in Paris.
func FrenchDate(t time.Time) string {
	t = t.In(Paris)
	d := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		d = "1er"
	}
	return frDays[t.Weekday()] + " " + d + " " + frMonths[t.Month()] + " " + strconv.Itoa(t.Year())
}

// MonthName returns the French name of month m.
func MonthName(m time.Month) string { return frMonths[m] }

// Input is what an OF gives to create or edit an appointment. Dates and
// times are in Europe/Paris: Date "2006-01-02", Start and End "15:04",
// Deadline "2006-01-02T15:04" (empty: registrations close at the start).
type Input struct {
	Kind       string  `json:"kind"`
	Title      string  `json:"title"`
	Date       string  `json:"date"`
	Start      string  `json:"start"`
	End        string  `json:"end"`
	Place      string  `json:"place"`
	VideoURL   string  `json:"video_url"`
	Capacity   int     `json:"capacity"`
	Comment    string  `json:"comment"`
	Deadline   string  `json:"registration_deadline"`
	SessionIDs []int64 `json:"session_ids"`
}

// Service implements the appointments capability over the store.
type Service struct {
	DB        *store.DB
	Sessions  Sessions // the catalogue seam; NoSessions when nil
	Clock     kairos.Clock
	BaseURL   string // absolute URL of the portal, for links in e-mails
	Organizer string // e-mail address of the ICS ORGANIZER (the sender of mails)
	Log       *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock().UTC()
	}
	return s.DB.Now()
}

func (s *Service) sessions() Sessions {
	if s.Sessions == nil {
		return NoSessions{}
	}
	return s.Sessions
}

var ofRule = kairos.Rule{Roles: ofRoles, Habilitation: kairos.HabRDV}

func parseClock(date, hm string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02 15:04", date+" "+hm, Paris)
	return t, err == nil
}

// MaxYearsAhead bounds how far ahead an appointment may be set (a year-9999
// date is a typing error, and breaks calendars).
const MaxYearsAhead = 2

type validated struct {
	kind, title, place, video, comment string
	start, end                         time.Time
	deadline                           *time.Time
	capacity                           int
	sessions                           []SessionRef
}

func (s *Service) validate(ctx context.Context, a *kairos.Actor, in Input, creating bool) (*validated, error) {
	v := &validated{kind: strings.TrimSpace(in.Kind), title: strings.TrimSpace(in.Title), place: strings.TrimSpace(in.Place),
		video: strings.TrimSpace(in.VideoURL), comment: strings.TrimSpace(strings.ReplaceAll(in.Comment, "\r\n", "\n")), capacity: in.Capacity}
	f := map[string]string{}
	if v.kind != KindCollectif && v.kind != KindIndividuel {
		f["kind"] = "Choisissez le type de rendez-vous : information collective ou entretien individuel."
	}
	if v.title == "" {
		f["title"] = "L'intitulé est obligatoire."
	} else if utf8.RuneCountInString(v.title) > 200 {
		f["title"] = "L'intitulé ne doit pas dépasser 200 caractères."
	}
	day, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(in.Date), Paris)
	if err != nil {
		f["date"] = "Saisissez une date valide au format jj/mm/aaaa, par exemple 12/05/2026."
	} else {
		var ok1, ok2 bool
		v.start, ok1 = parseClock(day.Format("2006-01-02"), strings.TrimSpace(in.Start))
		v.end, ok2 = parseClock(day.Format("2006-01-02"), strings.TrimSpace(in.End))
		switch {
		case !ok1:
			f["start"] = "Saisissez une heure de début valide, par exemple 09:30."
		case !ok2:
			f["end"] = "Saisissez une heure de fin valide, par exemple 11:00."
		case !v.end.After(v.start):
			f["end"] = "L'heure de fin doit être après l'heure de début."
		case creating && !v.start.After(s.now()):
			f["date"] = "Le rendez-vous doit avoir lieu dans le futur."
		case v.start.After(s.now().AddDate(MaxYearsAhead, 0, 0)):
			f["date"] = fmt.Sprintf("Le rendez-vous ne peut pas être fixé plus de %d ans à l'avance.", MaxYearsAhead)
		}
	}
	if v.place == "" && v.video == "" {
		f["place"] = "Indiquez l'adresse du lieu ou un lien de visioconférence."
	} else if utf8.RuneCountInString(v.place) > 300 {
		f["place"] = "L'adresse ne doit pas dépasser 300 caractères."
	}
	if v.video != "" {
		u, err := url.Parse(v.video)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(v.video) > 500 {
			f["video_url"] = "Saisissez un lien de visioconférence complet commençant par https://."
		}
	}
	if v.kind == KindIndividuel && v.capacity == 0 {
		v.capacity = 1
	}
	if v.capacity < 1 || v.capacity > 500 {
		f["capacity"] = "La capacité doit être un nombre de places entre 1 et 500."
	} else if v.kind == KindIndividuel && v.capacity != 1 {
		f["capacity"] = "Un entretien individuel a une seule place."
	}
	if n := utf8.RuneCountInString(v.comment); n > MaxComment {
		f["comment"] = "Le commentaire ne doit pas dépasser " + strconv.Itoa(MaxComment) + " caractères (il en compte " + strconv.Itoa(n) + ")."
	}
	if d := strings.TrimSpace(in.Deadline); d != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", d, Paris)
		if err != nil {
			f["deadline"] = "Saisissez une date et une heure valides, par exemple le 11/05/2026 à 18:00."
		} else if !v.start.IsZero() && t.After(v.start) {
			f["deadline"] = "La date limite d'inscription doit précéder le début du rendez-vous."
		} else {
			t = t.UTC()
			v.deadline = &t
		}
	}
	seen := map[int64]bool{}
	for _, id := range in.SessionIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		ref, err := s.sessions().Session(ctx, id)
		if kairos.ErrorCode(err) == kairos.ENotFound || (err == nil && ref.OrgID != a.OrgID) {
			f["sessions"] = "Session n°" + strconv.FormatInt(id, 10) + " introuvable dans le catalogue de votre organisme."
			continue
		}
		if err != nil {
			return nil, err
		}
		v.sessions = append(v.sessions, ref)
	}
	if len(f) > 0 {
		return nil, kairos.Invalid(f)
	}
	v.start, v.end = v.start.UTC(), v.end.UTC()
	return v, nil
}

func newUID(host string) string {
	var b [12]byte
	rand.Read(b[:])
	return "rdv-" + hex.EncodeToString(b[:]) + "@" + host
}

func (s *Service) host() string {
	if u, err := url.Parse(s.BaseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "kairos.local"
}

// Create creates an appointment of the actor's OF.
func (s *Service) Create(ctx context.Context, a *kairos.Actor, in Input) (*Appointment, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	v, err := s.validate(ctx, a, in, true)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *Appointment
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		id, err := tx.Insert(ctx, `INSERT INTO appointments (org_id, uid, kind, title, starts_at, ends_at, place, video_url, capacity, seats_taken,
			comment, deadline, status, sequence, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 0, ?, ?, ?)`,
			a.OrgID, newUID(s.host()), v.kind, v.title, v.start, v.end, v.place, v.video, v.capacity, v.comment, v.deadline, ApptPlanned, nullID(a.UserID), now, now)
		if err != nil {
			return err
		}
		if err := s.setSessions(ctx, tx, id, v.sessions); err != nil {
			return err
		}
		out, err = s.load(ctx, tx, id, false)
		if err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "appointment.create", OrgID: a.OrgID, ObjectType: "appointment", ObjectID: id, After: out, At: now})
	})
	return out, err
}

func (s *Service) setSessions(ctx context.Context, tx *store.Tx, id int64, refs []SessionRef) error {
	if _, err := tx.Exec(ctx, "DELETE FROM appointment_sessions WHERE appointment_id = ?", id); err != nil {
		return err
	}
	for _, r := range refs {
		if _, err := tx.Exec(ctx, "INSERT INTO appointment_sessions (appointment_id, session_id) VALUES (?, ?)", id, r.ID); err != nil {
			return err
		}
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

const apptCols = `a.id, a.org_id, o.name, a.uid, a.kind, a.title, a.starts_at, a.ends_at, a.place, a.video_url, a.capacity, a.seats_taken,
	(SELECT COUNT(*) FROM participants w WHERE w.appointment_id = a.id AND w.status = 'en_attente'),
	a.comment, a.deadline, a.status, a.cancel_reason, a.sequence, a.created_at, a.updated_at`

func scanAppt(sc interface{ Scan(...any) error }) (*Appointment, error) {
	var x Appointment
	if err := sc.Scan(&x.ID, &x.OrgID, &x.OrgName, &x.UID, &x.Kind, &x.Title, &x.StartsAt, &x.EndsAt, &x.Place, &x.VideoURL, &x.Capacity, &x.SeatsTaken,
		&x.Waiting, &x.Comment, &x.Deadline, &x.Status, &x.CancelReason, &x.Sequence, &x.CreatedAt, &x.UpdatedAt); err != nil {
		return nil, err
	}
	x.StartsAt, x.EndsAt = x.StartsAt.UTC(), x.EndsAt.UTC()
	x.Sessions = []SessionRef{}
	return &x, nil
}

// load reads an appointment; lock takes its row lock for the rest of the
// transaction (PostgreSQL; SQLite's immediate transactions are exclusive).
func (s *Service) load(ctx context.Context, q store.Querier, id int64, lock bool) (*Appointment, error) {
	if lock && q.Engine() == store.Postgres {
		if _, err := q.Exec(ctx, "SELECT id FROM appointments WHERE id = ? FOR UPDATE", id); err != nil {
			return nil, err
		}
	}
	x, err := scanAppt(q.QueryRow(ctx, "SELECT "+apptCols+" FROM appointments a JOIN organisations o ON o.id = a.org_id WHERE a.id = ?", id))
	if err != nil {
		return nil, store.NotFoundIf(err, "Rendez-vous")
	}
	rows, err := q.Query(ctx, "SELECT session_id FROM appointment_sessions WHERE appointment_id = ? ORDER BY session_id", id)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var sid int64
		if err := rows.Scan(&sid); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, sid)
	}
	rows.Close()
	for _, sid := range ids {
		ref, err := s.sessions().Session(ctx, sid)
		if err != nil {
			ref = SessionRef{ID: sid, Intitule: "Session n°" + strconv.FormatInt(sid, 10)}
		}
		x.Sessions = append(x.Sessions, ref)
	}
	return x, nil
}

// Get returns an appointment of the actor's OF; any other is not found.
func (s *Service) Get(ctx context.Context, a *kairos.Actor, id int64) (*Appointment, error) {
	x, err := s.load(ctx, s.DB, id, false)
	if err != nil {
		return nil, err
	}
	if err := kairos.OwnedBy(a, x.OrgID, "Rendez-vous"); err != nil {
		return nil, err
	}
	return x, nil
}

// Public returns an appointment as a job seeker or a counsellor sees it:
// planned ones, and any the actor (or, for a counsellor, one of his agence's
// job seekers) takes part in.
func (s *Service) Public(ctx context.Context, a *kairos.Actor, id int64) (*Appointment, error) {
	x, err := s.load(ctx, s.DB, id, false)
	if err != nil {
		return nil, err
	}
	if x.Status == ApptPlanned {
		return x, nil
	}
	var n int
	err = s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM participants p LEFT JOIN demandeurs d ON d.user_id = p.demandeur_id
		WHERE p.appointment_id = ? AND (p.demandeur_id = ? OR d.agence_id = ?)`, id, a.UserID, a.OrgID).Scan(&n)
	if err != nil {
		return nil, err
	}
	if n == 0 || (a.Role != kairos.RoleDemandeur && a.Role != kairos.RoleConseiller) {
		return nil, kairos.NotFound("Rendez-vous")
	}
	return x, nil
}

// Filter selects appointments of an OF.
type Filter struct {
	From, To  time.Time // starts_at in [From, To); zero: unbounded
	Cancelled bool      // include cancelled appointments
	Limit     int
	// After continues the list after the appointment (AfterStart, AfterID)
	// in its order by start then id (keyset pagination); AfterID 0: from the start.
	AfterStart time.Time
	AfterID    int64
}

// List lists the appointments of the actor's OF, by start.
func (s *Service) List(ctx context.Context, a *kairos.Actor, f Filter) ([]Appointment, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	return s.list(ctx, "a.org_id = ?", []any{a.OrgID}, f)
}

// Open lists the planned appointments still open for registration, every OF
// together (what a job seeker or a counsellor may register to).
func (s *Service) Open(ctx context.Context, limit int) ([]Appointment, error) {
	now := s.now()
	return s.list(ctx, "a.status = 'planifie' AND (a.deadline IS NULL OR a.deadline > ?)", []any{now}, Filter{From: now, Limit: limit})
}

// OpenForSession lists the appointments still open for registration that
// select candidates for the catalogue session sessionID (shown on its page).
func (s *Service) OpenForSession(ctx context.Context, sessionID int64, limit int) ([]Appointment, error) {
	now := s.now()
	return s.list(ctx, "a.status = 'planifie' AND (a.deadline IS NULL OR a.deadline > ?) AND a.id IN (SELECT appointment_id FROM appointment_sessions WHERE session_id = ?)",
		[]any{now, sessionID}, Filter{From: now, Limit: limit})
}

func (s *Service) list(ctx context.Context, where string, args []any, f Filter) ([]Appointment, error) {
	q := "SELECT " + apptCols + " FROM appointments a JOIN organisations o ON o.id = a.org_id WHERE " + where
	if !f.From.IsZero() {
		q += " AND a.starts_at >= ?"
		args = append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		q += " AND a.starts_at < ?"
		args = append(args, f.To.UTC())
	}
	if !f.Cancelled {
		q += " AND a.status = 'planifie'"
	}
	if f.AfterID > 0 {
		q += " AND (a.starts_at > ? OR (a.starts_at = ? AND a.id > ?))"
		args = append(args, f.AfterStart.UTC(), f.AfterStart.UTC(), f.AfterID)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 200
	}
	q += " ORDER BY a.starts_at, a.id LIMIT " + strconv.Itoa(f.Limit)
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Appointment{}
	for rows.Next() {
		x, err := scanAppt(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *x)
	}
	return out, rows.Err()
}

// ToComplete lists the OF's past appointments that still have participants
// "inscrit" (attendance not recorded): the « à compléter » list.
func (s *Service) ToComplete(ctx context.Context, a *kairos.Actor) ([]Appointment, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, "SELECT "+apptCols+`, (SELECT COUNT(*) FROM participants p WHERE p.appointment_id = a.id AND p.status = 'inscrit')
		FROM appointments a JOIN organisations o ON o.id = a.org_id
		WHERE a.org_id = ? AND a.status = 'planifie' AND a.ends_at <= ?
		AND EXISTS (SELECT 1 FROM participants p WHERE p.appointment_id = a.id AND p.status = 'inscrit')
		ORDER BY a.starts_at DESC, a.id LIMIT 200`, a.OrgID, s.now())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Appointment{}
	for rows.Next() {
		var x Appointment
		if err := rows.Scan(&x.ID, &x.OrgID, &x.OrgName, &x.UID, &x.Kind, &x.Title, &x.StartsAt, &x.EndsAt, &x.Place, &x.VideoURL, &x.Capacity, &x.SeatsTaken,
			&x.Waiting, &x.Comment, &x.Deadline, &x.Status, &x.CancelReason, &x.Sequence, &x.CreatedAt, &x.UpdatedAt, &x.ToComplete); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Update edits an appointment of the actor's OF. A change of date, time or
// place is sent to every registered participant with an updated invitation
// (SEQUENCE + 1); more seats take people from the waiting list.
func (s *Service) Update(ctx context.Context, a *kairos.Actor, id int64, in Input) (*Appointment, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	var after *Appointment
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		before, err := s.load(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := kairos.OwnedBy(a, before.OrgID, "Rendez-vous"); err != nil {
			return err
		}
		if before.Cancelled() {
			return kairos.Errorf(kairos.EConflict, "Ce rendez-vous est annulé : il ne peut plus être modifié.")
		}
		now := s.now()
		if !before.EndsAt.After(now) {
			return kairos.Errorf(kairos.EConflict, "Ce rendez-vous est passé : il ne peut plus être modifié.")
		}
		v, err := s.validate(ctx, a, in, false)
		if err != nil {
			return err
		}
		if v.capacity < before.SeatsTaken {
			return kairos.Invalid(map[string]string{"capacity": "La capacité ne peut pas être inférieure au nombre d'inscrits (" + strconv.Itoa(before.SeatsTaken) + ")."})
		}
		moved := !v.start.Equal(before.StartsAt) || !v.end.Equal(before.EndsAt)
		changed := moved || v.place != before.Place || v.video != before.VideoURL || v.title != before.Title
		seq := before.Sequence
		if changed {
			seq++
		}
		if _, err := tx.Exec(ctx, `UPDATE appointments SET kind = ?, title = ?, starts_at = ?, ends_at = ?, place = ?, video_url = ?, capacity = ?,
			comment = ?, deadline = ?, sequence = ?, updated_at = ? WHERE id = ?`,
			v.kind, v.title, v.start, v.end, v.place, v.video, v.capacity, v.comment, v.deadline, seq, now, id); err != nil {
			return err
		}
		if moved {
			// The reminder is for the new date.
			if _, err := tx.Exec(ctx, "UPDATE participants SET reminder_sent_at = NULL WHERE appointment_id = ?", id); err != nil {
				return err
			}
		}
		if err := s.setSessions(ctx, tx, id, v.sessions); err != nil {
			return err
		}
		after, err = s.load(ctx, tx, id, false)
		if err != nil {
			return err
		}
		if err := tx.Record(ctx, store.Change{Action: "appointment.update", OrgID: after.OrgID, ObjectType: "appointment", ObjectID: id, Before: before, After: after, At: now}); err != nil {
			return err
		}
		if changed {
			ps, err := s.participants(ctx, tx, id)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if p.Status == StInscrit {
					if err := s.mailChange(ctx, tx, after, &p, before); err != nil {
						return err
					}
				}
			}
		}
		if err := s.promote(ctx, tx, after, now); err != nil {
			return err
		}
		after, err = s.load(ctx, tx, id, false)
		return err
	})
	return after, err
}

// Cancel cancels an appointment of the actor's OF: every registered person
// receives the reason and an ICS CANCEL, people on the waiting list are told.
func (s *Service) Cancel(ctx context.Context, a *kairos.Actor, id int64, reason string) (*Appointment, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, kairos.Invalid(map[string]string{"reason": "Indiquez le motif de l'annulation : il est envoyé aux inscrits."})
	}
	if utf8.RuneCountInString(reason) > MaxComment {
		return nil, kairos.Invalid(map[string]string{"reason": "Le motif ne doit pas dépasser " + strconv.Itoa(MaxComment) + " caractères."})
	}
	var after *Appointment
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		before, err := s.load(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := kairos.OwnedBy(a, before.OrgID, "Rendez-vous"); err != nil {
			return err
		}
		if before.Cancelled() {
			return kairos.Errorf(kairos.EConflict, "Ce rendez-vous est déjà annulé.")
		}
		now := s.now()
		if !before.StartsAt.After(now) {
			return kairos.Errorf(kairos.EConflict, "Ce rendez-vous a commencé : il ne peut plus être annulé.")
		}
		if _, err := tx.Exec(ctx, "UPDATE appointments SET status = ?, cancel_reason = ?, cancelled_at = ?, sequence = sequence + 1, updated_at = ? WHERE id = ?",
			ApptCancelled, reason, now, now, id); err != nil {
			return err
		}
		after, err = s.load(ctx, tx, id, false)
		if err != nil {
			return err
		}
		if err := tx.Record(ctx, store.Change{Action: "appointment.cancel", OrgID: after.OrgID, ObjectType: "appointment", ObjectID: id, Before: before, After: after, At: now}); err != nil {
			return err
		}
		ps, err := s.participants(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.Status == StInscrit || p.Status == StEnAttente {
				if err := s.mailCancel(ctx, tx, after, &p); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return after, err
}

// DeadlineText returns the registration deadline in Paris, or "".
func (a *Appointment) DeadlineText() string {
	if a.Deadline == nil {
		return ""
	}
	return FrenchDate(*a.Deadline) + " à " + a.Deadline.In(Paris).Format("15:04")
}

// DateShort returns "12/06/2026" in Paris.
func (a *Appointment) DateShort() string { return a.StartsAt.In(Paris).Format("02/01/2006") }

// StartHM returns the start time in Paris, "09:30".
func (a *Appointment) StartHM() string { return a.StartsAt.In(Paris).Format("15:04") }

// Full reports whether every seat is taken.
func (a *Appointment) Full() bool { return a.SeatsTaken >= a.Capacity }
