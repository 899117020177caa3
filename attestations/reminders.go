package attestations

import (
	"context"
	"encoding/json"
	"strconv"

	"kairos"
	"kairos/calendar"
	"kairos/mail"
	"kairos/store"
)

// ReminderJob is the worker schedule that reminds OFs of their attestations.
const ReminderJob = "attestations.reminders"

// RemindBefore is how many days before the due date the first reminder goes.
const RemindBefore = 2

// Reminder kinds, each sent at most once per OF and month.
const (
	ReminderBefore = "avant"
	ReminderAfter  = "apres"
)

// HandleReminders is the worker handler of ReminderJob.
func (s *Service) HandleReminders(ctx context.Context, _ json.RawMessage) error {
	_, err := s.Remind(ctx)
	return err
}

// Remind sends, for the previous month, a reminder to every OF that still
// has attestations to do: once from RemindBefore days before the due date
// ("avant"), once after it ("apres"). Each is sent once per OF and month
// (attestation_reminders), to the OF's active users with the assiduite
// habilitation and its administrators. It returns the number of OFs
// reminded.
func (s *Service) Remind(ctx context.Context) (int, error) {
	now := s.now()
	today := calendar.DateOf(now)
	m := s.DefaultMonth()
	due := s.Due.Date(m)
	kind := ""
	switch {
	case today > due:
		kind = ReminderAfter
	case today >= due.AddDays(-RemindBefore):
		kind = ReminderBefore
	default:
		return 0, nil
	}
	rows, err := s.DB.Query(ctx, `SELECT e.org_id, COUNT(*) FROM enrolments e WHERE `+activeWhere+`
		AND NOT EXISTS (SELECT 1 FROM attestations t WHERE t.enrolment_id = e.id AND t.month = ?)
		AND NOT EXISTS (SELECT 1 FROM attestation_reminders r WHERE r.org_id = e.org_id AND r.month = ? AND r.kind = ?)
		GROUP BY e.org_id ORDER BY e.org_id`, int64(m.Last()), int64(m.First()), int64(m), int64(m), kind)
	if err != nil {
		return 0, err
	}
	type todo struct {
		org int64
		n   int
	}
	var list []todo
	for rows.Next() {
		var t todo
		if err := rows.Scan(&t.org, &t.n); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	for _, t := range list {
		err := s.DB.Tx(ctx, func(tx *store.Tx) error {
			// The insert is the once-only guard (two instances: one wins).
			res, err := tx.Exec(ctx, `INSERT INTO attestation_reminders (org_id, month, kind, sent_at) SELECT ?, ?, ?, ?
				WHERE NOT EXISTS (SELECT 1 FROM attestation_reminders WHERE org_id = ? AND month = ? AND kind = ?)`,
				t.org, int64(m), kind, now, t.org, int64(m), kind)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nil
			}
			to, err := recipients(ctx, tx, t.org)
			if err != nil {
				return err
			}
			subject := "Attestations de présence " + m.FrenchOf() + " à transmettre avant le " + due.French()
			body := "Bonjour,\n\n" + strconv.Itoa(t.n) + " attestation(s) mensuelle(s) de présence " + m.FrenchOf() +
				" restent à attester sur Kairos. Elles sont dues le " + due.French() + " : France Travail rémunère les stagiaires sur cette base.\n\n"
			if kind == ReminderAfter {
				subject = "En retard : attestations de présence " + m.FrenchOf()
				body = "Bonjour,\n\n" + strconv.Itoa(t.n) + " attestation(s) mensuelle(s) de présence " + m.FrenchOf() +
					" n'ont pas été transmises alors qu'elles étaient dues le " + due.French() + ". La rémunération des stagiaires concernés en dépend ; France Travail voit ce retard.\n\n"
			}
			body += "Ouvrez « Attestations du mois » : les heures sont pré-remplies, il suffit de les vérifier et d'attester chaque session.\n\nL'équipe Kairos"
			for _, addr := range to {
				if err := mail.Enqueue(ctx, tx, mail.Message{To: addr, Subject: subject, Body: body}); err != nil {
					return err
				}
			}
			return tx.Record(ctx, store.Change{Action: "attestation.remind", OrgID: t.org, ObjectType: "organisation", ObjectID: t.org,
				After: map[string]any{"month": m, "kind": kind, "to_do": t.n, "recipients": len(to)}, At: now})
		})
		if err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

func recipients(ctx context.Context, q store.Querier, org int64) ([]string, error) {
	rows, err := q.Query(ctx, "SELECT email, role, habilitations FROM users WHERE org_id = ? AND status = 'active' ORDER BY id", org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var email, role, habs string
		if err := rows.Scan(&email, &role, &habs); err != nil {
			return nil, err
		}
		if kairos.Role(role) == kairos.RoleOFAdmin || kairos.ParseHabSet(habs).Has(kairos.HabAssiduite) {
			out = append(out, email)
		}
	}
	return out, rows.Err()
}
