package attestations

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"kairos"
	"kairos/calendar"
	"kairos/mail"
	"kairos/store"
)

// France Travail's follow-up of the missing monthly attestations (issue
// 11): which OF, which trainee, which month, how late, and « Relancer »:
// an e-mail to the OF's users (as the reminders), audited, at most once a
// day per OF and month (attestation_followups).

// FollowupEvery is how long after a « Relancer » the same OF and month can
// be reminded again.
const FollowupEvery = 24 * time.Hour

// MissingShown is how many trainees an OF's row shows (the CSV has all).
const MissingShown = 20

// MissingTrainee is one trainee whose attestation of the month is missing.
type MissingTrainee struct {
	EnrolmentID int64  `json:"enrolment_id"`
	Name        string `json:"name"`
	FTID        string `json:"ft_id"`
	SessionID   int64  `json:"session_id"`
	Session     string `json:"session"`
	Agence      string `json:"agence"`
}

// MissingOF is an OF with missing attestations for the month.
type MissingOF struct {
	OrgID      int64            `json:"org_id"`
	Name       string           `json:"name"`
	SIRET      string           `json:"siret"`
	Missing    int              `json:"missing"`
	Trainees   []MissingTrainee `json:"trainees"` // the first MissingShown
	LastSentAt *time.Time       `json:"last_reminded_at,omitempty"`
	LastSentBy string           `json:"last_reminded_by,omitempty"`
	NextAt     *time.Time       `json:"next_reminder_at,omitempty"` // when « Relancer » is possible again; nil: now
}

// MissingFilter selects and orders the OFs of the follow-up.
type MissingFilter struct {
	Month  calendar.Month
	Region string // national services only
	Query  string // OF's name or SIRET contains
	Sort   string // "organisme" or "manquantes" (default)
	Desc   bool
	Limit  int
	Offset int
}

// MissingList is a page of the follow-up.
type MissingList struct {
	Month    calendar.Month `json:"month"`
	Region   string         `json:"region,omitempty"`
	Scoped   bool           `json:"scoped"`
	Due      calendar.Date  `json:"due_on"`
	Overdue  bool           `json:"overdue"`
	DaysLate int            `json:"days_late"` // days past the due date (0 before it)
	OFs      []MissingOF    `json:"organisations"`
	Total    int            `json:"total"`    // OFs matching
	Trainees int            `json:"trainees"` // missing attestations of those OFs
}

// missingScope is the WHERE of the missing attestations of month m the
// actor's service may see (e: enrolments, o: the OF, ag: the agence).
func (s *Service) missingScope(ctx context.Context, a *kairos.Actor, f *MissingFilter) (string, []any, bool, error) {
	if err := kairos.Authorize(a, ftRule); err != nil {
		return "", nil, false, err
	}
	if f.Month.IsZero() {
		return "", nil, false, invalid("mois", "Indiquez le mois (AAAA-MM).")
	}
	own, err := s.ftRegion(ctx, a)
	if err != nil {
		return "", nil, false, err
	}
	if own != "" {
		f.Region = own
	}
	where := activeWhere + ` AND NOT EXISTS (SELECT 1 FROM attestations t WHERE t.enrolment_id = e.id AND t.month = ?)`
	args := []any{int64(f.Month.Last()), int64(f.Month.First()), int64(f.Month)}
	if f.Region != "" {
		where += " AND ag.region = ?"
		args = append(args, f.Region)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := store.Contains(q)
		where += ` AND (LOWER(o.name) LIKE ? ESCAPE '\' OR COALESCE(o.siret, '') LIKE ? ESCAPE '\')`
		args = append(args, like, like)
	}
	return where, args, own != "", nil
}

const missingFrom = ` FROM enrolments e JOIN organisations o ON o.id = e.org_id JOIN organisations ag ON ag.id = e.agence_id`

// Missing lists, per OF, the trainees whose attestation of the month is
// missing, with when each OF was last reminded.
func (s *Service) Missing(ctx context.Context, a *kairos.Actor, f MissingFilter) (*MissingList, error) {
	where, args, scoped, err := s.missingScope(ctx, a, &f)
	if err != nil {
		return nil, err
	}
	now := s.now()
	l := &MissingList{Month: f.Month, Region: f.Region, Scoped: scoped, Due: s.Due.Date(f.Month), Overdue: s.Due.IsOverdue(f.Month, now), OFs: []MissingOF{}}
	if l.Overdue {
		l.DaysLate = calendar.DateOf(now).Sub(l.Due)
	}
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(DISTINCT e.org_id), COUNT(*)"+missingFrom+" WHERE "+where, args...).Scan(&l.Total, &l.Trainees); err != nil {
		return nil, err
	}
	order := "COUNT(*) DESC, o.name, e.org_id"
	switch {
	case f.Sort == "organisme" && f.Desc:
		order = "o.name DESC, e.org_id DESC"
	case f.Sort == "organisme":
		order = "o.name, e.org_id"
	case f.Desc || f.Sort == "":
	default:
		order = "COUNT(*), o.name, e.org_id"
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 25
	}
	rows, err := s.DB.Query(ctx, `SELECT e.org_id, o.name, COALESCE(o.siret, ''), COUNT(*), f.last_sent_at, COALESCE(f.last_sent_by, '')`+missingFrom+`
		LEFT JOIN attestation_followups f ON f.org_id = e.org_id AND f.month = ?
		WHERE `+where+` GROUP BY e.org_id, o.name, o.siret, f.last_sent_at, f.last_sent_by ORDER BY `+order+` LIMIT ? OFFSET ?`,
		append(append([]any{int64(f.Month)}, args...), f.Limit, f.Offset)...)
	if err != nil {
		return nil, err
	}
	idx := map[int64]int{}
	for rows.Next() {
		var o MissingOF
		var last sql.NullTime
		if err := rows.Scan(&o.OrgID, &o.Name, &o.SIRET, &o.Missing, &last, &o.LastSentBy); err != nil {
			rows.Close()
			return nil, err
		}
		if last.Valid {
			t := last.Time
			o.LastSentAt = &t
			if next := t.Add(FollowupEvery); next.After(now) {
				o.NextAt = &next
			}
		}
		idx[o.OrgID] = len(l.OFs)
		l.OFs = append(l.OFs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range l.OFs {
		err := s.missingTrainees(ctx, where+" AND e.org_id = ?", append(append([]any{}, args...), l.OFs[i].OrgID), MissingShown, func(t MissingTrainee) {
			l.OFs[i].Trainees = append(l.OFs[i].Trainees, t)
		})
		if err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (s *Service) missingTrainees(ctx context.Context, where string, args []any, limit int, fn func(MissingTrainee)) error {
	q := `SELECT e.id, u.name, COALESCE(d.ft_id, ''), e.session_id, e.session_title, ag.name` + missingFrom + `
		JOIN users u ON u.id = e.demandeur_id LEFT JOIN demandeurs d ON d.user_id = e.demandeur_id
		WHERE ` + where + ` ORDER BY o.name, e.org_id, e.session_title, u.name, e.id`
	if limit > 0 {
		q += " LIMIT " + strconv.Itoa(limit)
	}
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t MissingTrainee
		if err := rows.Scan(&t.EnrolmentID, &t.Name, &t.FTID, &t.SessionID, &t.Session, &t.Agence); err != nil {
			return err
		}
		fn(t)
	}
	return rows.Err()
}

// MissingRow is one line of the follow-up's export.
type MissingRow struct {
	OrgName, SIRET string
	MissingTrainee
}

// EachMissing calls fn for every missing attestation that f selects (the
// CSV export: every OF, every trainee), ordered by OF and trainee.
func (s *Service) EachMissing(ctx context.Context, a *kairos.Actor, f MissingFilter, fn func(MissingRow)) error {
	where, args, _, err := s.missingScope(ctx, a, &f)
	if err != nil {
		return err
	}
	q := `SELECT o.name, COALESCE(o.siret, ''), e.id, u.name, COALESCE(d.ft_id, ''), e.session_id, e.session_title, ag.name` + missingFrom + `
		JOIN users u ON u.id = e.demandeur_id LEFT JOIN demandeurs d ON d.user_id = e.demandeur_id
		WHERE ` + where + ` ORDER BY o.name, e.org_id, e.session_title, u.name, e.id`
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r MissingRow
		if err := rows.Scan(&r.OrgName, &r.SIRET, &r.EnrolmentID, &r.Name, &r.FTID, &r.SessionID, &r.Session, &r.Agence); err != nil {
			return err
		}
		fn(r)
	}
	return rows.Err()
}

// Followup is a « Relancer » sent.
type Followup struct {
	OrgName    string
	Missing    int
	Recipients int
	SentAt     time.Time
}

// errNoRecipient stops the transaction of a « Relancer » that has no one to mail.
var errNoRecipient = errors.New("no recipient")

// RemindOF e-mails the users of OF orgID (its account managers and the users
// with the assiduite habilitation) about its missing attestations of month
// m, on behalf of the France Travail actor; audited; refused (conflict,
// with when it was sent) within FollowupEvery of the previous one for the
// same OF and month. An OF the actor's service cannot see, or without
// missing attestations that month, is not found.
func (s *Service) RemindOF(ctx context.Context, a *kairos.Actor, orgID int64, m calendar.Month) (*Followup, error) {
	f := MissingFilter{Month: m}
	where, args, _, err := s.missingScope(ctx, a, &f)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := &Followup{SentAt: now}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT o.name, COUNT(*)"+missingFrom+" WHERE "+where+" AND e.org_id = ? GROUP BY o.name",
			append(args, orgID)...).Scan(&out.OrgName, &out.Missing); errors.Is(err, sql.ErrNoRows) {
			return kairos.NotFound("Organisme")
		} else if err != nil {
			return err
		}
		// The upsert is the once-a-day guard (two clicks, two instances: one wins).
		res, err := tx.Exec(ctx, `INSERT INTO attestation_followups (org_id, month, last_sent_at, last_sent_by) VALUES (?, ?, ?, ?)
			ON CONFLICT (org_id, month) DO UPDATE SET last_sent_at = excluded.last_sent_at, last_sent_by = excluded.last_sent_by,
			sent_count = attestation_followups.sent_count + 1 WHERE attestation_followups.last_sent_at <= ?`,
			orgID, int64(m), now, a.Label(), now.Add(-FollowupEvery))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var last time.Time
			var by string
			if err := tx.QueryRow(ctx, "SELECT last_sent_at, last_sent_by FROM attestation_followups WHERE org_id = ? AND month = ?", orgID, int64(m)).Scan(&last, &by); err != nil {
				return err
			}
			paris := calendar.Paris()
			return conflict("« " + out.OrgName + " » a déjà été relancé pour " + m.French() + " le " + last.In(paris).Format("02/01/2006 à 15:04") +
				" par " + by + ". Une nouvelle relance sera possible à partir du " + last.Add(FollowupEvery).In(paris).Format("02/01/2006 à 15:04") + ".")
		}
		to, err := recipients(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if len(to) == 0 {
			return errNoRecipient
		}
		out.Recipients = len(to)
		due := s.Due.Date(m)
		subject := "France Travail vous relance : attestations de présence " + m.FrenchOf()
		body := "Bonjour,\n\nFrance Travail (" + a.Label() + ") vous relance : " + strconv.Itoa(out.Missing) +
			" attestation(s) mensuelle(s) de présence " + m.FrenchOf() + " de « " + out.OrgName + " » n'ont pas été transmises"
		if s.Due.IsOverdue(m, now) {
			body += " alors qu'elles étaient dues le " + due.French() + " (" + strconv.Itoa(calendar.DateOf(now).Sub(due)) + " jour(s) de retard)"
		} else {
			body += " ; elles sont dues le " + due.French()
		}
		body += ". La rémunération des stagiaires concernés en dépend.\n\nOuvrez « Attestations du mois » sur Kairos : les heures sont pré-remplies, il suffit de les vérifier et d'attester chaque session.\n\nL'équipe Kairos"
		for _, addr := range to {
			if err := mail.Enqueue(ctx, tx, mail.Message{To: addr, Subject: subject, Body: body}); err != nil {
				return err
			}
		}
		return tx.Record(ctx, store.Change{Action: "attestation.relance", OrgID: orgID, ObjectType: "organisation", ObjectID: orgID,
			After: map[string]any{"month": m, "missing": out.Missing, "recipients": len(to)}, At: now})
	})
	if errors.Is(err, errNoRecipient) {
		return nil, conflict("« " + out.OrgName + " » n'a aucun utilisateur actif habilité aux attestations : la relance ne peut pas être envoyée. Contactez l'organisme directement.")
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
