package attestations

import (
	"context"
	"strconv"
	"strings"

	"kairos"
	"kairos/attendance"
	"kairos/calendar"
	"kairos/signin"
	"kairos/store"
)

// SignInSheet returns the sign-in sheet (feuille d'émargement) of one of the
// OF's sessions on day: the trainees expected that day (entered and not yet
// out, not interrupted, and those whose entry is planned on or before the
// day but not declared yet), by name, with a box for the morning and one for
// the afternoon. The day must be a training day of the session (its dates,
// its rhythm, its days off, public holidays).
func (s *Service) SignInSheet(ctx context.Context, a *kairos.Actor, sessionID int64, day calendar.Date) (name string, pdf []byte, err error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return "", nil, err
	}
	var title, org string
	var debut, fin calendar.Date
	err = s.DB.QueryRow(ctx, `SELECT e.session_title, e.session_debut, e.session_fin, o.name FROM enrolments e JOIN organisations o ON o.id = e.org_id
		WHERE e.session_id = ? AND e.org_id = ? ORDER BY e.id LIMIT 1`, sessionID, a.OrgID).Scan(&title, &debut, &fin, &org)
	if err != nil {
		return "", nil, store.NotFoundIf(err, "Session")
	}
	if day.IsZero() {
		return "", nil, invalid("jour", "Saisissez une date valide, par exemple 12/05/2026.")
	}
	if day < debut || day > fin {
		return "", nil, invalid("jour", "Le "+day.LongFrench()+" est hors des dates de la session (du "+debut.French()+" au "+fin.French()+").")
	}
	sc, err := schedule(ctx, s.DB, sessionID)
	if err != nil {
		return "", nil, err
	}
	if sc.On(day) == 0 {
		why := "jour sans formation de la session"
		if n, ok := sc.Region.HolidayName(day); ok {
			if _, set := sc.Days[day]; !set {
				why = "jour férié : " + strings.ToLower(n[:1]) + n[1:]
			}
		} else if _, set := sc.Days[day]; !set {
			why = "pas de formation ce jour de la semaine"
		}
		return "", nil, invalid("jour", "Le "+day.LongFrench()+" n'est pas un jour de formation ("+why+") : il n'y a pas d'émargement.")
	}
	rows, err := s.DB.Query(ctx, `SELECT e.id, e.state, e.planned_entry, e.entry_on, e.exit_on, u.name, COALESCE(d.ft_id, '')`+from+`
		WHERE e.org_id = ? AND e.session_id = ? AND (e.state IN ('entree', 'interrompue', 'sortie') OR (e.state = 'inscrite' AND e.planned_entry <= ?))
		ORDER BY u.name, e.id`, a.OrgID, sessionID, int64(day))
	if err != nil {
		return "", nil, err
	}
	type trainee struct {
		id                   int64
		state                string
		planned, entry, exit calendar.Date
		name, ftid           string
	}
	var list []trainee
	for rows.Next() {
		var t trainee
		if err := rows.Scan(&t.id, &t.state, &t.planned, &t.entry, &t.exit, &t.name, &t.ftid); err != nil {
			rows.Close()
			return "", nil, err
		}
		list = append(list, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	sh := signin.Sheet{Title: "Feuille d'émargement", Subject: title + " — " + day.LongFrench(), Halves: true, Signer: "Le formateur ou la formatrice",
		Now: s.now(), Place: calendar.Paris(), Details: [][2]string{{"Organisme", org}, {"Session", title + " (du " + debut.French() + " au " + fin.French() + ")"},
			{"Journée", day.LongFrench()}}}
	for _, t := range list {
		if t.state == "inscrite" {
			sh.People = append(sh.People, signin.Person{Name: t.name, Detail: t.ftid, Note: "entrée prévue le " + t.planned.French() + ", non déclarée"})
			continue
		}
		p := attendance.Presence{Entry: t.entry, Exit: t.exit}
		inter, err := s.interruptions(ctx, t.id)
		if err != nil {
			return "", nil, err
		}
		p.Interruptions = inter
		if p.Expected(day) {
			sh.People = append(sh.People, signin.Person{Name: t.name, Detail: t.ftid})
		}
	}
	b, err := signin.PDF(sh)
	if err != nil {
		return "", nil, err
	}
	return "emargement-session-" + strconv.FormatInt(sessionID, 10) + "-" + day.String() + ".pdf", b, nil
}

func (s *Service) interruptions(ctx context.Context, enrolmentID int64) ([]attendance.Interruption, error) {
	rows, err := s.DB.Query(ctx, `SELECT action, occurred_on FROM enrolment_movements WHERE enrolment_id = ? AND action IN ('interrompre', 'reprendre') ORDER BY id`, enrolmentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []attendance.Interruption
	for rows.Next() {
		var action string
		var on calendar.Date
		if err := rows.Scan(&action, &on); err != nil {
			return nil, err
		}
		out = attendance.AddMovement(out, action == "interrompre", on)
	}
	return out, rows.Err()
}
