package appointments

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"kairos"
	"kairos/store"
)

// ReminderJob is the worker job (run by a schedule) that sends the reminders.
const ReminderJob = "appointments.reminders"

// ReminderHour is the hour (Paris) from which the day-before reminders go out.
const ReminderHour = 8

func itoa(n int) string     { return strconv.Itoa(n) }
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// HandleReminders is the worker handler of ReminderJob.
func (s *Service) HandleReminders(ctx context.Context, _ json.RawMessage) error {
	_, err := s.SendReminders(kairos.WithActor(ctx, kairos.System))
	return err
}

// SendReminders sends, the day before (from ReminderHour, Paris time), a
// reminder with the invitation to every participant still "inscrit" on a
// planned appointment. Each is sent once (reminder_sent_at, set by a
// conditional update in the transaction that stores the mail), never for a
// cancelled appointment or registration. It returns how many were sent.
func (s *Service) SendReminders(ctx context.Context) (int, error) {
	now := s.now()
	local := now.In(Paris)
	if local.Hour() < ReminderHour {
		return 0, nil
	}
	tomorrow := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, Paris)
	after := time.Date(local.Year(), local.Month(), local.Day()+2, 0, 0, 0, 0, Paris)
	rows, err := s.DB.Query(ctx, `SELECT p.id, p.appointment_id FROM participants p JOIN appointments a ON a.id = p.appointment_id
		WHERE p.status = ? AND p.reminder_sent_at IS NULL AND a.status = ? AND a.starts_at >= ? AND a.starts_at < ? AND a.starts_at > ?
		ORDER BY p.id`, StInscrit, ApptPlanned, tomorrow.UTC(), after.UTC(), now)
	if err != nil {
		return 0, err
	}
	type due struct{ p, a int64 }
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.p, &d.a); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	for _, d := range list {
		err := s.DB.Tx(ctx, func(tx *store.Tx) error {
			appt, err := s.load(ctx, tx, d.a, true)
			if err != nil || appt.Cancelled() {
				return err
			}
			res, err := tx.Exec(ctx, "UPDATE participants SET reminder_sent_at = ? WHERE id = ? AND status = ? AND reminder_sent_at IS NULL", now, d.p, StInscrit)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nil // unregistered or reminded meanwhile
			}
			p, err := s.participant(ctx, tx, d.p)
			if err != nil {
				return err
			}
			if err := s.mailReminder(ctx, tx, appt, p); err != nil {
				return err
			}
			return tx.Record(ctx, store.Change{Action: "appointment.reminder", OrgID: appt.OrgID, ObjectType: "participant", ObjectID: p.ID, After: p, At: now})
		})
		if err == nil {
			sent++
		}
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}
