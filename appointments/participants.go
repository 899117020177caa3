package appointments

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"kairos"
	"kairos/store"
)

// Demandeur is a job seeker's profile: his France Travail identifier, his
// agence and his counsellor.
type Demandeur struct {
	UserID         int64  `json:"user_id"`
	Name           string `json:"name"`
	Email          string `json:"email"`
	FTID           string `json:"ft_id"`
	AgenceID       int64  `json:"agence_id"`
	ConseillerID   int64  `json:"conseiller_id,omitempty"`
	ConseillerName string `json:"conseiller_name,omitempty"`
	ConseillerMail string `json:"-"`
}

// SetDemandeur creates or replaces the profile of a job seeker (platform
// use: demo data, tests, and later the FT interconnection).
func (s *Service) SetDemandeur(ctx context.Context, userID int64, ftID string, agenceID, conseillerID int64) error {
	ftID = strings.TrimSpace(ftID)
	f := map[string]string{}
	var role kairos.Role
	if err := s.DB.QueryRow(ctx, "SELECT role FROM users WHERE id = ?", userID).Scan(&role); err != nil || role != kairos.RoleDemandeur {
		f["user"] = "Ce compte n'est pas celui d'un demandeur d'emploi."
	}
	if ftID == "" || utf8.RuneCountInString(ftID) > 20 {
		f["ft_id"] = "L'identifiant France Travail est obligatoire (20 caractères au plus)."
	}
	var kind kairos.OrgKind
	if err := s.DB.QueryRow(ctx, "SELECT kind FROM organisations WHERE id = ?", agenceID).Scan(&kind); err != nil || kind != kairos.OrgFTAgence {
		f["agence"] = "Agence France Travail introuvable."
	}
	if conseillerID != 0 {
		var r kairos.Role
		var org int64
		if err := s.DB.QueryRow(ctx, "SELECT role, COALESCE(org_id, 0) FROM users WHERE id = ?", conseillerID).Scan(&r, &org); err != nil || r != kairos.RoleConseiller || org != agenceID {
			f["conseiller"] = "Le conseiller doit être un conseiller de l'agence."
		}
	}
	if len(f) > 0 {
		return kairos.Invalid(f)
	}
	now := s.now()
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO demandeurs (user_id, ft_id, agence_id, conseiller_id, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET ft_id = excluded.ft_id, agence_id = excluded.agence_id, conseiller_id = excluded.conseiller_id`,
			userID, ftID, agenceID, nullID(conseillerID), now); err != nil {
			if store.IsUniqueViolation(err) {
				return kairos.Invalid(map[string]string{"ft_id": "Cet identifiant France Travail est déjà celui d'un autre demandeur."})
			}
			return err
		}
		after := map[string]any{"user_id": userID, "ft_id": ftID, "agence_id": agenceID, "conseiller_id": conseillerID}
		return tx.Record(ctx, store.Change{Action: "demandeur.set", OrgID: agenceID, ObjectType: "demandeur", ObjectID: userID, After: after, At: now})
	})
}

const deCols = `d.user_id, u.name, u.email, d.ft_id, d.agence_id, COALESCE(d.conseiller_id, 0), COALESCE(c.name, ''), COALESCE(c.email, '')`
const deFrom = ` FROM demandeurs d JOIN users u ON u.id = d.user_id LEFT JOIN users c ON c.id = d.conseiller_id`

func scanDE(sc interface{ Scan(...any) error }) (*Demandeur, error) {
	var d Demandeur
	err := sc.Scan(&d.UserID, &d.Name, &d.Email, &d.FTID, &d.AgenceID, &d.ConseillerID, &d.ConseillerName, &d.ConseillerMail)
	return &d, err
}

func (s *Service) demandeur(ctx context.Context, q store.Querier, userID int64) (*Demandeur, error) {
	d, err := scanDE(q.QueryRow(ctx, "SELECT "+deCols+deFrom+" WHERE d.user_id = ?", userID))
	if err != nil {
		return nil, store.NotFoundIf(err, "Demandeur d'emploi")
	}
	return d, nil
}

// Demandeurs lists the job seekers of a counsellor's portfolio, by name.
func (s *Service) Demandeurs(ctx context.Context, a *kairos.Actor) ([]Demandeur, error) {
	if a == nil || a.Role != kairos.RoleConseiller {
		return nil, kairos.Errorf(kairos.EForbidden, "Réservé aux conseillers France Travail.")
	}
	rows, err := s.DB.Query(ctx, "SELECT "+deCols+deFrom+" WHERE d.agence_id = ? AND d.conseiller_id = ? ORDER BY u.name, d.user_id", a.OrgID, a.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Demandeur{}
	for rows.Next() {
		d, err := scanDE(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

// DemandeurByFTID returns a job seeker of the actor's agence by his France
// Travail identifier (API).
func (s *Service) DemandeurByFTID(ctx context.Context, a *kairos.Actor, ftID string) (*Demandeur, error) {
	d, err := scanDE(s.DB.QueryRow(ctx, "SELECT "+deCols+deFrom+" WHERE d.ft_id = ?", strings.TrimSpace(ftID)))
	if err != nil {
		return nil, store.NotFoundIf(err, "Demandeur d'emploi")
	}
	if err := kairos.OwnedBy(a, d.AgenceID, "Demandeur d'emploi"); err != nil {
		return nil, err
	}
	return d, nil
}

// Participant is a job seeker on an appointment.
type Participant struct {
	ID             int64      `json:"id"`
	AppointmentID  int64      `json:"appointment_id"`
	DemandeurID    int64      `json:"demandeur_id"`
	Name           string     `json:"name"`
	Email          string     `json:"-"`
	FTID           string     `json:"ft_id"`
	ConseillerName string     `json:"conseiller_name,omitempty"`
	ConseillerMail string     `json:"-"`
	AgenceID       int64      `json:"-"`
	Status         string     `json:"status"`
	Result         string     `json:"result"`
	Motif          string     `json:"result_motif,omitempty"`
	Sequence       int        `json:"-"`
	QueuedAt       time.Time  `json:"queued_at"`
	ReminderSentAt *time.Time `json:"reminder_sent_at,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// StatusLabel returns the French label of the participant's state.
func (p *Participant) StatusLabel() string { return StateLabel(p.Status) }

// ResultLabel returns the French label of the participant's result.
func (p *Participant) ResultLabel() string { return ResultLabel(p.Result) }

// Seated reports whether the participant holds a seat.
func (p *Participant) Seated() bool {
	switch p.Status {
	case StInscrit, StPresent, StExcuse, StAbsent:
		return true
	}
	return false
}

const partCols = `p.id, p.appointment_id, p.demandeur_id, u.name, u.email, COALESCE(d.ft_id, ''), COALESCE(c.name, ''), COALESCE(c.email, ''),
	COALESCE(d.agence_id, 0), p.status, p.result, p.result_motif, p.sequence, p.queued_at, p.reminder_sent_at, p.updated_at`
const partFrom = ` FROM participants p JOIN users u ON u.id = p.demandeur_id LEFT JOIN demandeurs d ON d.user_id = p.demandeur_id LEFT JOIN users c ON c.id = d.conseiller_id`

func scanPart(sc interface{ Scan(...any) error }) (*Participant, error) {
	var p Participant
	err := sc.Scan(&p.ID, &p.AppointmentID, &p.DemandeurID, &p.Name, &p.Email, &p.FTID, &p.ConseillerName, &p.ConseillerMail,
		&p.AgenceID, &p.Status, &p.Result, &p.Motif, &p.Sequence, &p.QueuedAt, &p.ReminderSentAt, &p.UpdatedAt)
	return &p, err
}

func (s *Service) participants(ctx context.Context, q store.Querier, apptID int64) ([]Participant, error) {
	rows, err := q.Query(ctx, "SELECT "+partCols+partFrom+" WHERE p.appointment_id = ? ORDER BY u.name, p.id", apptID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Participant{}
	for rows.Next() {
		p, err := scanPart(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

func (s *Service) participant(ctx context.Context, q store.Querier, id int64) (*Participant, error) {
	p, err := scanPart(q.QueryRow(ctx, "SELECT "+partCols+partFrom+" WHERE p.id = ?", id))
	if err != nil {
		return nil, store.NotFoundIf(err, "Participant")
	}
	return p, nil
}

// Participants lists the participants of an appointment of the actor's OF,
// by name (waiting list and unregistered people included).
func (s *Service) Participants(ctx context.Context, a *kairos.Actor, apptID int64) ([]Participant, error) {
	if _, err := s.Get(ctx, a, apptID); err != nil {
		return nil, err
	}
	return s.participants(ctx, s.DB, apptID)
}

// mayActFor checks that the actor may act for job seeker d: himself, or a
// counsellor of his agence. Anyone else is told the person does not exist.
func mayActFor(a *kairos.Actor, d *Demandeur) error {
	switch {
	case a == nil:
		return kairos.NotFound("Demandeur d'emploi")
	case a.Role == kairos.RoleDemandeur && a.UserID == d.UserID:
		return nil
	case a.Role == kairos.RoleConseiller && a.OrgID == d.AgenceID:
		return nil
	}
	return kairos.NotFound("Demandeur d'emploi")
}

// Register registers job seeker demandeurID on an appointment, by himself or
// by a counsellor of his agence. Within the capacity he is "inscrit" and
// receives a convocation; beyond it he joins the waiting list. His
// counsellor is informed. The seat is taken by a conditional update of the
// appointment's counter, under the appointment's row lock, so that the
// capacity holds whatever the number of simultaneous registrations.
func (s *Service) Register(ctx context.Context, a *kairos.Actor, apptID, demandeurID int64) (*Participant, error) {
	var out *Participant
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		appt, err := s.load(ctx, tx, apptID, true)
		if err != nil {
			return err
		}
		d, err := s.demandeur(ctx, tx, demandeurID)
		if err != nil {
			return err
		}
		if err := mayActFor(a, d); err != nil {
			return err
		}
		now := s.now()
		var existing int64
		from := ""
		err = tx.QueryRow(ctx, "SELECT id, status FROM participants WHERE appointment_id = ? AND demandeur_id = ?", apptID, demandeurID).Scan(&existing, &from)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if from == StInscrit || from == StEnAttente {
			return kairos.Errorf(kairos.EConflict, "%s est déjà inscrit à ce rendez-vous (%s).", d.Name, strings.ToLower(StateLabel(from)))
		}
		if _, err := Check(Participation, "inscrire", from, a, Cond{Now: now, Appt: appt}); err != nil {
			return err
		}
		status := StEnAttente
		res, err := tx.Exec(ctx, "UPDATE appointments SET seats_taken = seats_taken + 1 WHERE id = ? AND status = ? AND seats_taken < capacity", apptID, ApptPlanned)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			status = StInscrit
		}
		var by any = nullID(a.UserID)
		if existing == 0 {
			existing, err = tx.Insert(ctx, `INSERT INTO participants (appointment_id, demandeur_id, status, registered_by, queued_at, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, apptID, demandeurID, status, by, now, now, now)
			if store.IsUniqueViolation(err) {
				return kairos.Errorf(kairos.EConflict, "%s est déjà inscrit à ce rendez-vous.", d.Name)
			}
		} else {
			_, err = tx.Exec(ctx, `UPDATE participants SET status = ?, result = '', result_motif = '', sequence = sequence + 1, registered_by = ?,
				queued_at = ?, reminder_sent_at = NULL, updated_at = ? WHERE id = ?`, status, by, now, now, existing)
		}
		if err != nil {
			return err
		}
		out, err = s.participant(ctx, tx, existing)
		if err != nil {
			return err
		}
		action := "appointment.register"
		if status == StEnAttente {
			action = "appointment.waitlist"
		}
		if err := tx.Record(ctx, store.Change{Action: action, OrgID: appt.OrgID, ObjectType: "participant", ObjectID: out.ID, After: out, At: now}); err != nil {
			return err
		}
		appt, err = s.load(ctx, tx, apptID, false)
		if err != nil {
			return err
		}
		if status == StInscrit {
			err = s.mailConvocation(ctx, tx, appt, out)
		} else {
			err = s.mailWaiting(ctx, tx, appt, out)
		}
		if err != nil {
			return err
		}
		return s.mailCounsellor(ctx, tx, appt, out, a, true)
	})
	return out, err
}

// Unregister takes a participant off an appointment: the job seeker himself
// or his counsellor ("desinscrit"), or the OF ("annule"). A freed seat goes
// to the first person of the waiting list.
func (s *Service) Unregister(ctx context.Context, a *kairos.Actor, participantID int64) (*Participant, error) {
	return s.UnregisterFrom(ctx, a, 0, participantID)
}

// UnregisterFrom is Unregister for a participant of appointment apptID (0: any).
func (s *Service) UnregisterFrom(ctx context.Context, a *kairos.Actor, apptID, participantID int64) (*Participant, error) {
	var out *Participant
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		p, err := s.participant(ctx, tx, participantID)
		if err != nil {
			return err
		}
		if apptID != 0 && p.AppointmentID != apptID {
			return kairos.NotFound("Participant")
		}
		appt, err := s.load(ctx, tx, p.AppointmentID, true)
		if err != nil {
			return err
		}
		if p, err = s.participant(ctx, tx, participantID); err != nil { // again, under the lock
			return err
		}
		action := "desinscrire"
		if a != nil && (a.Role == kairos.RoleOFAdmin || a.Role == kairos.RoleOFUser) {
			if err := kairos.OwnedBy(a, appt.OrgID, "Participant"); err != nil {
				return err
			}
			action = StAnnule
		} else if err := mayActFor(a, &Demandeur{UserID: p.DemandeurID, AgenceID: p.AgenceID}); err != nil {
			return kairos.NotFound("Participant")
		}
		now := s.now()
		t, err := Check(Participation, action, p.Status, a, Cond{Now: now, Appt: appt})
		if err != nil {
			return err
		}
		out, err = s.move(ctx, tx, appt, p, t.To, now)
		if err != nil {
			return err
		}
		if err := s.mailUnregistered(ctx, tx, appt, out, a); err != nil {
			return err
		}
		if action == "desinscrire" {
			if err := s.mailCounsellor(ctx, tx, appt, out, a, false); err != nil {
				return err
			}
		}
		return s.promote(ctx, tx, appt, now)
	})
	return out, err
}

// move changes a participant's state, frees his seat if he leaves it, and
// records the change.
func (s *Service) move(ctx context.Context, tx *store.Tx, appt *Appointment, p *Participant, to string, now time.Time) (*Participant, error) {
	result, motif := p.Result, p.Motif
	if to != StPresent {
		result, motif = "", ""
	}
	seq := p.Sequence
	if to == StDesinscrit || to == StAnnule {
		seq++ // the ICS CANCEL sent to him
	}
	if _, err := tx.Exec(ctx, "UPDATE participants SET status = ?, result = ?, result_motif = ?, sequence = ?, updated_at = ? WHERE id = ?",
		to, result, motif, seq, now, p.ID); err != nil {
		return nil, err
	}
	wasSeated := p.Seated()
	after, err := s.participant(ctx, tx, p.ID)
	if err != nil {
		return nil, err
	}
	if wasSeated && !after.Seated() {
		if _, err := tx.Exec(ctx, "UPDATE appointments SET seats_taken = seats_taken - 1 WHERE id = ?", appt.ID); err != nil {
			return nil, err
		}
	}
	if err := tx.Record(ctx, store.Change{Action: "appointment.participant." + to, OrgID: appt.OrgID, ObjectType: "participant", ObjectID: p.ID, Before: p, After: after, At: now}); err != nil {
		return nil, err
	}
	return after, nil
}

// promote gives the free seats of a future appointment to the waiting list,
// first come first served. The appointment's row must be locked.
func (s *Service) promote(ctx context.Context, tx *store.Tx, appt *Appointment, now time.Time) error {
	if appt.Cancelled() || !now.Before(appt.StartsAt) {
		return nil
	}
	for {
		var id int64
		err := tx.QueryRow(ctx, "SELECT id FROM participants WHERE appointment_id = ? AND status = ? ORDER BY queued_at, id LIMIT 1", appt.ID, StEnAttente).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE appointments SET seats_taken = seats_taken + 1 WHERE id = ? AND seats_taken < capacity", appt.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		before, err := s.participant(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE participants SET status = ?, updated_at = ? WHERE id = ?", StInscrit, now, id); err != nil {
			return err
		}
		after, err := s.participant(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := tx.Record(ctx, store.Change{Action: "appointment.promote", OrgID: appt.OrgID, ObjectType: "participant", ObjectID: id, Before: before, After: after, At: now}); err != nil {
			return err
		}
		fresh, err := s.load(ctx, tx, appt.ID, false)
		if err != nil {
			return err
		}
		if err := s.mailConvocation(ctx, tx, fresh, after); err != nil {
			return err
		}
	}
}

// Entry is one line of the attendance form: the participant's new state and,
// if present, his result (Status or Result empty: unchanged).
type Entry struct {
	ParticipantID int64  `json:"participant_id"`
	Status        string `json:"status"`
	Result        string `json:"result"`
	Motif         string `json:"result_motif"`
}

// Record records the attendance and results of a whole list at once, in one
// transaction: every line is checked against the transition tables, and
// nothing is written if one line is refused (the field errors are keyed
// "p<participant id>").
func (s *Service) Record(ctx context.Context, a *kairos.Actor, apptID int64, entries []Entry) (changed int, err error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return 0, err
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		appt, err := s.load(ctx, tx, apptID, true)
		if err != nil {
			return err
		}
		if err := kairos.OwnedBy(a, appt.OrgID, "Rendez-vous"); err != nil {
			return err
		}
		ps, err := s.participants(ctx, tx, apptID)
		if err != nil {
			return err
		}
		byID := map[int64]*Participant{}
		for i := range ps {
			byID[ps[i].ID] = &ps[i]
		}
		now := s.now()
		fields := map[string]string{}
		type step struct {
			p             *Participant
			status        string
			result, motif string
		}
		var steps []step
		for _, e := range entries {
			key := "p" + strconv.FormatInt(e.ParticipantID, 10)
			p := byID[e.ParticipantID]
			if p == nil {
				fields[key] = "Participant introuvable sur ce rendez-vous."
				continue
			}
			st := step{p: p, status: p.Status, result: p.Result, motif: p.Motif}
			if e.Status != "" && e.Status != p.Status {
				t, err := Check(Participation, e.Status, p.Status, a, Cond{Now: now, Appt: appt})
				if err != nil {
					fields[key] = p.Name + " : " + kairos.ErrorMessage(err)
					continue
				}
				st.status = t.To
			}
			motif := strings.TrimSpace(e.Motif)
			if e.Result != "" && st.status == StPresent && (e.Result != p.Result || (e.Result == ResNonRetenu && motif != p.Motif)) {
				if utf8.RuneCountInString(motif) > 300 {
					fields[key] = p.Name + " : le motif ne doit pas dépasser 300 caractères."
					continue
				}
				t, err := Check(Outcome, e.Result, p.Result, a, Cond{Now: now, Appt: appt, Status: st.status, Motif: motif})
				if err != nil {
					fields[key] = p.Name + " : " + kairos.ErrorMessage(err)
					continue
				}
				st.result, st.motif = t.To, ""
				if t.To == ResNonRetenu {
					st.motif = motif
				}
			} else if e.Result != "" && st.status != StPresent && e.Result != p.Result {
				fields[key] = p.Name + " : un résultat ne se note que pour un participant présent."
				continue
			}
			steps = append(steps, st)
		}
		if len(fields) > 0 {
			return &kairos.Error{Code: kairos.EInvalid, Message: "Rien n'a été enregistré : corrigez les lignes signalées.", Fields: fields}
		}
		for _, st := range steps {
			p := st.p
			did := false
			if st.status != p.Status {
				np, err := s.move(ctx, tx, appt, p, st.status, now)
				if err != nil {
					return err
				}
				if st.status == StAnnule {
					if err := s.mailUnregistered(ctx, tx, appt, np, a); err != nil {
						return err
					}
				}
				p = np
				did = true
			}
			if st.status == StPresent && (st.result != p.Result || st.motif != p.Motif) {
				if _, err := tx.Exec(ctx, "UPDATE participants SET result = ?, result_motif = ?, updated_at = ? WHERE id = ?", st.result, st.motif, now, p.ID); err != nil {
					return err
				}
				after, err := s.participant(ctx, tx, p.ID)
				if err != nil {
					return err
				}
				if err := tx.Record(ctx, store.Change{Action: "appointment.result." + st.result, OrgID: appt.OrgID, ObjectType: "participant", ObjectID: p.ID, Before: p, After: after, At: now}); err != nil {
					return err
				}
				did = true
			}
			if did {
				changed++
			}
		}
		return s.promote(ctx, tx, appt, now)
	})
	return changed, err
}

// Item is one appointment of a job seeker, as he or his counsellor sees it.
type Item struct {
	Participant
	Appt Appointment
}

// ForDemandeur lists the job seeker's appointments, most recent first.
func (s *Service) ForDemandeur(ctx context.Context, a *kairos.Actor) ([]Item, error) {
	if a == nil || a.Role != kairos.RoleDemandeur {
		return nil, kairos.Errorf(kairos.EForbidden, "Réservé aux demandeurs d'emploi.")
	}
	return s.items(ctx, "p.demandeur_id = ?", a.UserID)
}

// ForConseiller lists the appointments of the counsellor's job seekers.
func (s *Service) ForConseiller(ctx context.Context, a *kairos.Actor) ([]Item, error) {
	if a == nil || a.Role != kairos.RoleConseiller {
		return nil, kairos.Errorf(kairos.EForbidden, "Réservé aux conseillers France Travail.")
	}
	return s.items(ctx, "d.agence_id = ? AND d.conseiller_id = ?", a.OrgID, a.UserID)
}

func (s *Service) items(ctx context.Context, where string, args ...any) ([]Item, error) {
	rows, err := s.DB.Query(ctx, "SELECT "+partCols+", "+apptCols+partFrom+` JOIN appointments a ON a.id = p.appointment_id JOIN organisations o ON o.id = a.org_id
		WHERE `+where+" ORDER BY a.starts_at DESC, p.id LIMIT 300", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		var it Item
		p := &it.Participant
		x := &it.Appt
		if err := rows.Scan(&p.ID, &p.AppointmentID, &p.DemandeurID, &p.Name, &p.Email, &p.FTID, &p.ConseillerName, &p.ConseillerMail,
			&p.AgenceID, &p.Status, &p.Result, &p.Motif, &p.Sequence, &p.QueuedAt, &p.ReminderSentAt, &p.UpdatedAt,
			&x.ID, &x.OrgID, &x.OrgName, &x.UID, &x.Kind, &x.Title, &x.StartsAt, &x.EndsAt, &x.Place, &x.VideoURL, &x.Capacity, &x.SeatsTaken,
			&x.Waiting, &x.Comment, &x.Deadline, &x.Status, &x.CancelReason, &x.Sequence, &x.CreatedAt, &x.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// Mine returns the actor's participation in an appointment (job seeker), or nil.
func (s *Service) Mine(ctx context.Context, a *kairos.Actor, apptID int64) (*Participant, error) {
	var id int64
	err := s.DB.QueryRow(ctx, "SELECT id FROM participants WHERE appointment_id = ? AND demandeur_id = ?", apptID, a.UserID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.participant(ctx, s.DB, id)
}

// OfAgence lists the participants of an appointment who are job seekers of
// the counsellor's agence (what a counsellor may see of an appointment).
func (s *Service) OfAgence(ctx context.Context, a *kairos.Actor, apptID int64) ([]Participant, error) {
	rows, err := s.DB.Query(ctx, "SELECT "+partCols+partFrom+" WHERE p.appointment_id = ? AND d.agence_id = ? ORDER BY u.name, p.id", apptID, a.OrgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Participant{}
	for rows.Next() {
		p, err := scanPart(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}
