package enrolment

import (
	"context"
	"database/sql"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"kairos"
	"kairos/attendance"
	"kairos/calendar"
	"kairos/store"
)

// Absence is a declared absence of a trainee: a day or a range of days, a
// number of minutes missed, justified or not.
type Absence struct {
	ID         int64         `json:"id"`
	From       calendar.Date `json:"from"`
	To         calendar.Date `json:"to"`
	Minutes    int           `json:"minutes"`
	Justified  bool          `json:"justified"`
	Reason     string        `json:"reason,omitempty"`
	DeclaredAt time.Time     `json:"declared_at"`
	ActorLabel string        `json:"actor"`
	Files      []File        `json:"files"`
	// WithdrawnAt is set once the absence is withdrawn (it then counts for
	// nothing; it stays in the history).
	WithdrawnAt *time.Time      `json:"withdrawn_at,omitempty"`
	Changes     []AbsenceChange `json:"changes,omitempty"`
}

// AbsenceChange is one entry of an absence's history: declared, corrected
// (before → after) or withdrawn, by whom, when, why.
type AbsenceChange struct {
	Action     string    `json:"action"` // declarer, corriger, retirer
	Before     string    `json:"before,omitempty"`
	After      string    `json:"after,omitempty"`
	Comment    string    `json:"comment,omitempty"`
	ActorLabel string    `json:"actor"`
	At         time.Time `json:"at"`
}

// Label is the French label of the change.
func (c AbsenceChange) Label() string {
	switch c.Action {
	case "declarer":
		return "Déclarée"
	case "corriger":
		return "Corrigée"
	case "retirer":
		return "Retirée"
	}
	return c.Action
}

// Summary describes the absence in one line: "mardi 10/11/2026, 3 h 30, justifiée".
func (x Absence) Summary() string {
	days := x.From.LongFrench()
	if x.To != x.From && !x.To.IsZero() {
		days = "du " + x.From.French() + " au " + x.To.French()
	}
	j := "non justifiée"
	if x.Justified {
		j = "justifiée"
	}
	return days + ", " + x.Hours() + ", " + j
}

// Hours formats the minutes as "3 h 30".
func (x Absence) Hours() string {
	h, m := x.Minutes/60, x.Minutes%60
	if m == 0 {
		return strconv.Itoa(h) + " h"
	}
	return strconv.Itoa(h) + " h " + strconv.Itoa(m)
}

// File is a justificatif (its content is read by Justificatif).
type File struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
}

// Upload is a file sent with an absence.
type Upload struct {
	Name string `json:"name"`
	Data []byte `json:"content"` // base64 in JSON
}

// AbsenceInput declares an absence.
type AbsenceInput struct {
	From      calendar.Date `json:"from"`
	To        calendar.Date `json:"to,omitempty"` // default: From
	Minutes   int           `json:"minutes"`
	Justified bool          `json:"justified"`
	Reason    string        `json:"reason,omitempty"`
	File      *Upload       `json:"justificatif,omitempty"`
}

// AllowedTypes are the content types of justificatifs, as sniffed.
var AllowedTypes = []string{"application/pdf", "image/jpeg", "image/png"}

var absenceRule = kairos.Rule{Roles: ofRoles}

// AddAbsence declares an absence of a trainee of the actor's OF (users with
// the candidatures or assiduite habilitation), with an optional
// justificatif whose type is checked on its content.
func (s *Service) AddAbsence(ctx context.Context, a *kairos.Actor, id int64, in AbsenceInput) (*Absence, error) {
	if err := kairos.Authorize(a, absenceRule); err != nil {
		return nil, err
	}
	if !a.Can(kairos.HabCandidatures) && !a.Can(kairos.HabAssiduite) {
		return nil, kairos.Errorf(kairos.EForbidden, "Déclarer une absence demande l'habilitation « %s » ou « %s ».", kairos.HabCandidatures.Label(), kairos.HabAssiduite.Label())
	}
	now := s.now()
	f := checkAbsenceInput(&in, calendar.DateOf(now))
	var ctype string
	if in.File != nil && len(in.File.Data) > 0 {
		ctype = http.DetectContentType(in.File.Data)
		if i := strings.IndexByte(ctype, ';'); i >= 0 {
			ctype = ctype[:i]
		}
		switch {
		case int64(len(in.File.Data)) > s.maxFile():
			f["justificatif"] = "Le justificatif ne doit pas dépasser " + strconv.FormatInt(s.maxFile()>>20, 10) + " Mo."
		case !contains(AllowedTypes, ctype):
			f["justificatif"] = "Le justificatif doit être un PDF, une image JPEG ou PNG."
		}
		in.File.Name = cleanName(in.File.Name, ctype)
	}
	if len(f) > 0 {
		return nil, kairos.Invalid(f)
	}
	var out *Absence
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		e, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := kairos.OwnedBy(a, e.OrgID, "Inscription"); err != nil {
			return err
		}
		// Two absences declared at once on the same day must not both fit.
		if _, err := lockDemandeur(ctx, tx, e.DemandeurID); err != nil {
			return err
		}
		if err := s.checkAbsence(ctx, tx, e, in, 0); err != nil {
			return err
		}
		aid, err := tx.Insert(ctx, `INSERT INTO enrolment_absences (enrolment_id, org_id, from_on, to_on, minutes, justified, reason, declared_at, actor_id, actor_label)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, e.OrgID, int64(in.From), int64(in.To), in.Minutes, boolInt(in.Justified), in.Reason, now, nullID(a.UserID), a.Label())
		if err != nil {
			return err
		}
		out = &Absence{ID: aid, From: in.From, To: in.To, Minutes: in.Minutes, Justified: in.Justified, Reason: in.Reason, DeclaredAt: now, ActorLabel: a.Label(), Files: []File{}}
		if ctype != "" {
			fid, err := tx.Insert(ctx, "INSERT INTO enrolment_files (absence_id, enrolment_id, name, content_type, size, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
				aid, id, in.File.Name, ctype, len(in.File.Data), in.File.Data, now)
			if err != nil {
				return err
			}
			out.Files = append(out.Files, File{ID: fid, Name: in.File.Name, ContentType: ctype, Size: len(in.File.Data)})
		}
		if err := absenceChange(ctx, tx, a, out.ID, id, "declarer", nil, out, "", now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE enrolments SET version = version + 1, updated_at = ? WHERE id = ?", now, id); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "enrolment.absence", OrgID: e.OrgID, ObjectType: "enrolment", ObjectID: id, After: out, At: now})
	})
	return out, err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func cleanName(name, ctype string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 32 || r == '"' || r == '/' {
			return '_'
		}
		return r
	}, name)
	if name == "." || name == "" || utf8.RuneCountInString(name) > 120 {
		name = "justificatif"
	}
	ext := map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[ctype]
	if !strings.HasSuffix(strings.ToLower(name), ext) && !(ext == ".jpg" && strings.HasSuffix(strings.ToLower(name), ".jpeg")) {
		name += ext
	}
	return name
}

func (s *Service) absences(ctx context.Context, q store.Querier, id int64) ([]Absence, error) {
	rows, err := q.Query(ctx, `SELECT a.id, a.from_on, a.to_on, a.minutes, a.justified, a.reason, a.declared_at, a.actor_label, COALESCE(f.id, 0), COALESCE(f.name, ''), COALESCE(f.content_type, ''), COALESCE(f.size, 0)
			, a.withdrawn_at FROM enrolment_absences a LEFT JOIN enrolment_files f ON f.absence_id = a.id WHERE a.enrolment_id = ? ORDER BY a.from_on, a.id, f.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Absence{}
	for rows.Next() {
		var x Absence
		var j int
		var fl File
		var w sql.NullTime
		if err := rows.Scan(&x.ID, &x.From, &x.To, &x.Minutes, &j, &x.Reason, &x.DeclaredAt, &x.ActorLabel, &fl.ID, &fl.Name, &fl.ContentType, &fl.Size, &w); err != nil {
			return nil, err
		}
		if w.Valid {
			t := w.Time.UTC()
			x.WithdrawnAt = &t
		}
		if n := len(out); n > 0 && out[n-1].ID == x.ID {
			out[n-1].Files = append(out[n-1].Files, fl)
			continue
		}
		x.Justified, x.DeclaredAt, x.Files = j == 1, x.DeclaredAt.UTC(), []File{}
		if fl.ID != 0 {
			x.Files = append(x.Files, fl)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	ch, err := q.Query(ctx, `SELECT absence_id, action, before_value, after_value, comment, actor_label, at FROM enrolment_absence_changes WHERE enrolment_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer ch.Close()
	byID := map[int64]*Absence{}
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	for ch.Next() {
		var aid int64
		var c AbsenceChange
		if err := ch.Scan(&aid, &c.Action, &c.Before, &c.After, &c.Comment, &c.ActorLabel, &c.At); err != nil {
			return nil, err
		}
		c.At = c.At.UTC()
		if x := byID[aid]; x != nil {
			x.Changes = append(x.Changes, c)
		}
	}
	return out, ch.Err()
}

// checkAbsenceInput normalises in and checks what needs no database: the
// dates, the hours, the reason, the justificatif's size and type (left to
// the caller). It returns the field errors.
func checkAbsenceInput(in *AbsenceInput, today calendar.Date) map[string]string {
	if in.To.IsZero() {
		in.To = in.From
	}
	in.Reason = strings.TrimSpace(in.Reason)
	f := map[string]string{}
	switch {
	case in.From.IsZero():
		f["from"] = "Indiquez le jour (ou le premier jour) de l'absence."
	case in.To < in.From:
		f["to"] = "Le dernier jour doit suivre le premier."
	case in.To > today:
		f["to"] = "Une absence se déclare une fois constatée : pas de date dans le futur."
	case in.To.Sub(in.From) > 366:
		f["to"] = "Une absence couvre au plus un an : déclarez une interruption pour une longue absence."
	}
	switch {
	case in.Minutes <= 0:
		f["hours"] = "Indiquez la durée de l'absence (en heures, par exemple 3,5)."
	case in.Minutes%15 != 0:
		f["hours"] = "Indiquez la durée au quart d'heure près (par exemple 3,25 ou 3,5)."
	}
	if utf8.RuneCountInString(in.Reason) > 300 {
		f["reason"] = "Le motif ne doit pas dépasser 300 caractères."
	}
	return f
}

// presence returns the trainee's presence as the pre-fill sees it (entry,
// exit, interruptions, absences not withdrawn except the one being edited,
// days lived up to today) and the session's schedule.
func (s *Service) presence(ctx context.Context, q store.Querier, e *Enrolment, except int64) (attendance.Schedule, attendance.Presence, error) {
	sc := attendance.DefaultSchedule()
	if s.Schedules != nil {
		var err error
		if sc, err = s.Schedules.Schedule(ctx, q, e.SessionID); err != nil {
			return sc, attendance.Presence{}, err
		}
	}
	p := attendance.Presence{Entry: e.EntryOn, Exit: e.ExitOn, Lived: s.Today()}
	rows, err := q.Query(ctx, "SELECT action, occurred_on FROM enrolment_movements WHERE enrolment_id = ? AND action IN ('interrompre', 'reprendre') ORDER BY id", e.ID)
	if err != nil {
		return sc, p, err
	}
	for rows.Next() {
		var action string
		var on calendar.Date
		if err := rows.Scan(&action, &on); err != nil {
			rows.Close()
			return sc, p, err
		}
		p.Interruptions = attendance.AddMovement(p.Interruptions, action == ActInterrompre, on)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sc, p, err
	}
	rows, err = q.Query(ctx, "SELECT from_on, to_on, minutes, justified FROM enrolment_absences WHERE enrolment_id = ? AND withdrawn_at IS NULL AND id <> ? ORDER BY from_on, id", e.ID, except)
	if err != nil {
		return sc, p, err
	}
	defer rows.Close()
	for rows.Next() {
		var a attendance.Absence
		var j int
		if err := rows.Scan(&a.From, &a.To, &a.Minutes, &j); err != nil {
			return sc, p, err
		}
		a.Justified = j == 1
		p.Absences = append(p.Absences, a)
	}
	return sc, p, rows.Err()
}

// checkAbsence checks an absence of e against its presence and schedule
// (attendance.CheckAbsence); except is the absence being corrected.
func (s *Service) checkAbsence(ctx context.Context, q store.Querier, e *Enrolment, in AbsenceInput, except int64) error {
	if e.State != StEntree && e.State != StInterrompue && e.State != StSortie {
		return conflict("Une absence se déclare pour un stagiaire entré en formation.")
	}
	sc, p, err := s.presence(ctx, q, e, except)
	if err != nil {
		return err
	}
	return attendance.CheckAbsence(sc, p, attendance.Absence{From: in.From, To: in.To, Minutes: attendance.Minutes(in.Minutes), Justified: in.Justified})
}

// absenceChange writes one entry of an absence's history.
func absenceChange(ctx context.Context, tx *store.Tx, a *kairos.Actor, absenceID, enrolmentID int64, action string, before, after *Absence, comment string, now time.Time) error {
	lo, hi := calendar.Date(0), calendar.Date(0)
	for _, x := range []*Absence{before, after} {
		if x == nil {
			continue
		}
		if lo.IsZero() || x.From < lo {
			lo = x.From
		}
		if x.To > hi {
			hi = x.To
		}
	}
	desc := func(x *Absence) string {
		if x == nil {
			return ""
		}
		s := x.Summary()
		if x.Reason != "" {
			s += " (" + x.Reason + ")"
		}
		return s
	}
	_, err := tx.Exec(ctx, `INSERT INTO enrolment_absence_changes (absence_id, enrolment_id, action, lo_on, hi_on, before_value, after_value, comment, actor_id, actor_label, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, absenceID, enrolmentID, action, int64(lo), int64(hi), desc(before), desc(after), comment, nullID(a.UserID), a.Label(), now)
	return err
}

// absenceForChange loads absence id of the actor's OF, not withdrawn, with
// its enrolment, inside tx.
func (s *Service) absenceForChange(ctx context.Context, tx *store.Tx, a *kairos.Actor, absenceID int64) (*Enrolment, *Absence, error) {
	if err := kairos.Authorize(a, absenceRule); err != nil {
		return nil, nil, err
	}
	if !a.Can(kairos.HabCandidatures) && !a.Can(kairos.HabAssiduite) {
		return nil, nil, kairos.Errorf(kairos.EForbidden, "Corriger une absence demande l'habilitation « %s » ou « %s ».", kairos.HabCandidatures.Label(), kairos.HabAssiduite.Label())
	}
	var eid int64
	if err := tx.QueryRow(ctx, "SELECT enrolment_id FROM enrolment_absences WHERE id = ?", absenceID).Scan(&eid); err != nil {
		return nil, nil, store.NotFoundIf(err, "Absence")
	}
	e, err := s.load(ctx, tx, eid)
	if err != nil {
		return nil, nil, err
	}
	if err := kairos.OwnedBy(a, e.OrgID, "Absence"); err != nil {
		return nil, nil, err
	}
	if _, err := lockDemandeur(ctx, tx, e.DemandeurID); err != nil {
		return nil, nil, err
	}
	list, err := s.absences(ctx, tx, eid)
	if err != nil {
		return nil, nil, err
	}
	for i := range list {
		if list[i].ID == absenceID {
			if list[i].WithdrawnAt != nil {
				return nil, nil, conflict("Cette absence a été retirée le %s : elle ne se corrige plus.", list[i].WithdrawnAt.In(calendar.Paris()).Format("02/01/2006"))
			}
			return e, &list[i], nil
		}
	}
	return nil, nil, kairos.NotFound("Absence")
}

// CorrectAbsence changes an absence's days, hours, justification or reason,
// with the reason of the correction; the history keeps the earlier values.
// A change after the month was attested makes its attestation « à
// rectifier » (see the attestations).
func (s *Service) CorrectAbsence(ctx context.Context, a *kairos.Actor, absenceID int64, in AbsenceInput, comment string) (*Absence, error) {
	now := s.now()
	f := checkAbsenceInput(&in, calendar.DateOf(now))
	comment, err := cleanComment(comment)
	if err != nil {
		return nil, err
	}
	if comment == "" {
		f["comment"] = "Indiquez la raison de la correction."
	}
	if len(f) > 0 {
		return nil, kairos.Invalid(f)
	}
	var out *Absence
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		e, before, err := s.absenceForChange(ctx, tx, a, absenceID)
		if err != nil {
			return err
		}
		if before.From == in.From && before.To == in.To && before.Minutes == in.Minutes && before.Justified == in.Justified && before.Reason == in.Reason {
			return invalid("hours", "Rien n'a changé : modifiez au moins un élément de l'absence.")
		}
		if err := s.checkAbsence(ctx, tx, e, in, absenceID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE enrolment_absences SET from_on = ?, to_on = ?, minutes = ?, justified = ?, reason = ? WHERE id = ? AND withdrawn_at IS NULL",
			int64(in.From), int64(in.To), in.Minutes, boolInt(in.Justified), in.Reason, absenceID); err != nil {
			return err
		}
		after := *before
		after.From, after.To, after.Minutes, after.Justified, after.Reason, after.Changes = in.From, in.To, in.Minutes, in.Justified, in.Reason, nil
		if err := absenceChange(ctx, tx, a, absenceID, e.ID, "corriger", before, &after, comment, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE enrolments SET version = version + 1, updated_at = ? WHERE id = ?", now, e.ID); err != nil {
			return err
		}
		b := *before
		b.Changes = nil
		out = &after
		return tx.Record(ctx, store.Change{Action: "enrolment.absence_correct", OrgID: e.OrgID, ObjectType: "enrolment_absence", ObjectID: absenceID, Before: b, After: map[string]any{"absence": after, "comment": comment}, At: now})
	})
	return out, err
}

// WithdrawAbsence withdraws an absence declared by mistake, with the reason;
// it stays in the history and counts for nothing.
func (s *Service) WithdrawAbsence(ctx context.Context, a *kairos.Actor, absenceID int64, comment string) error {
	comment, err := cleanComment(comment)
	if err != nil {
		return err
	}
	if comment == "" {
		return invalid("comment", "Indiquez pourquoi l'absence est retirée.")
	}
	now := s.now()
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		e, before, err := s.absenceForChange(ctx, tx, a, absenceID)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE enrolment_absences SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL", now, absenceID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return conflict("Cette absence a déjà été retirée.")
		}
		if err := absenceChange(ctx, tx, a, absenceID, e.ID, "retirer", before, nil, comment, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE enrolments SET version = version + 1, updated_at = ? WHERE id = ?", now, e.ID); err != nil {
			return err
		}
		b := *before
		b.Changes = nil
		return tx.Record(ctx, store.Change{Action: "enrolment.absence_withdraw", OrgID: e.OrgID, ObjectType: "enrolment_absence", ObjectID: absenceID, Before: b, After: map[string]any{"withdrawn_at": now, "comment": comment}, At: now})
	})
}

// Justificatif returns a justificatif to those who may read its enrolment
// (the OF, the job seeker's counsellors, the job seeker).
func (s *Service) Justificatif(ctx context.Context, a *kairos.Actor, fileID int64) (*File, []byte, error) {
	var f File
	var eid int64
	var data []byte
	err := s.DB.QueryRow(ctx, "SELECT id, enrolment_id, name, content_type, size, data FROM enrolment_files WHERE id = ?", fileID).Scan(&f.ID, &eid, &f.Name, &f.ContentType, &f.Size, &data)
	if err != nil {
		return nil, nil, store.NotFoundIf(err, "Justificatif")
	}
	e, err := s.load(ctx, s.DB, eid)
	if err != nil {
		return nil, nil, err
	}
	if mayRead(a, e) != nil {
		return nil, nil, kairos.NotFound("Justificatif")
	}
	return &f, data, nil
}
