package invoices

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"kairos"
	"kairos/calendar"
	"kairos/mail"
	"kairos/store"
)

// ChorusPasswordJob reminds the platform administrators that the Chorus
// Pro technical account's password expires (KAIROS_CHORUS_PASSWORD_EXPIRES).
const ChorusPasswordJob = "chorus.password_reminder"

// PasswordReminder tracks the expiry of the technical account's password:
// the administrators are mailed once Days before it, and once on the day it
// expires; the admin page shows the notice (Notice).
type PasswordReminder struct {
	DB      *store.DB
	Expires time.Time // the day (zero: unknown, nothing to remind)
	Days    int       // default 15
	BaseURL string
	Clock   kairos.Clock
}

func (p *PasswordReminder) now() time.Time {
	if p.Clock != nil {
		return p.Clock().UTC()
	}
	return p.DB.Now()
}

func (p *PasswordReminder) days() int {
	if p.Days > 0 {
		return p.Days
	}
	return 15
}

// PasswordNotice is what the admin page says of the password's expiry.
type PasswordNotice struct {
	Expires  calendar.Date
	DaysLeft int
	Level    string // "info", "warning" (within the reminder delay), "error" (expired)
	Message  string
}

// Notice returns the notice of the admin page (nil: expiry unknown).
func (p *PasswordReminder) Notice() *PasswordNotice {
	if p == nil || p.Expires.IsZero() {
		return nil
	}
	exp := calendar.NewDate(p.Expires.Year(), p.Expires.Month(), p.Expires.Day())
	left := exp.Sub(calendar.DateOf(p.now()))
	n := &PasswordNotice{Expires: exp, DaysLeft: left, Level: "info"}
	switch {
	case left <= 0:
		n.Level = "error"
		n.Message = "Le mot de passe du compte technique Chorus Pro a expiré le " + exp.French() + " : plus aucune facture n'est déposée. Renouvelez-le sur Chorus Pro, puis mettez à jour KAIROS_CHORUS_PASSWORD et KAIROS_CHORUS_PASSWORD_EXPIRES."
	case left <= p.days():
		n.Level = "warning"
		n.Message = "Le mot de passe du compte technique Chorus Pro expire le " + exp.French() + " (dans " + plural(left, "jour") + ") : renouvelez-le sur Chorus Pro avant cette date, puis mettez à jour KAIROS_CHORUS_PASSWORD et KAIROS_CHORUS_PASSWORD_EXPIRES."
	default:
		n.Message = "Le mot de passe du compte technique Chorus Pro expire le " + exp.French() + " (dans " + plural(left, "jour") + ")."
	}
	return n
}

func plural(n int, word string) string {
	if n > 1 {
		return strconv.Itoa(n) + " " + word + "s"
	}
	return strconv.Itoa(n) + " " + word
}

// Handle mails the administrators when a reminder is due, once per stage
// (before, expired) and expiry date, whatever the number of instances.
func (p *PasswordReminder) Handle(ctx context.Context, _ json.RawMessage) error {
	n := p.Notice()
	if n == nil || n.Level == "info" {
		return nil
	}
	key := "chorus_password_reminded:" + n.Expires.String() + ":" + n.Level
	return p.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, p.now().Format(time.RFC3339))
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return nil // already sent
		}
		rows, err := tx.Query(ctx, "SELECT email, name FROM users WHERE role = ? AND status = 'active' ORDER BY id", string(kairos.RoleAdmin))
		if err != nil {
			return err
		}
		type admin struct{ email, name string }
		var admins []admin
		for rows.Next() {
			var a admin
			if err := rows.Scan(&a.email, &a.name); err != nil {
				rows.Close()
				return err
			}
			admins = append(admins, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		subject := "Kairos : le mot de passe du compte technique Chorus Pro expire le " + n.Expires.French()
		if n.Level == "error" {
			subject = "Kairos : le mot de passe du compte technique Chorus Pro a expiré"
		}
		for _, a := range admins {
			if err := mail.Enqueue(ctx, tx, mail.Message{To: a.email, Subject: subject,
				Body: "Bonjour " + a.name + ",\n\n" + n.Message + "\n\nÉtat des dépôts : " + p.BaseURL + "/admin\n\nL'équipe Kairos\n"}); err != nil {
				return err
			}
		}
		return tx.Record(ctx, store.Change{Action: "chorus.password_reminder", ObjectType: "chorus_account", ObjectID: n.Expires.String(),
			After: map[string]any{"expires": n.Expires.String(), "days_left": n.DaysLeft, "admins": len(admins)}})
	})
}
