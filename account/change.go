package account

import (
	"context"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"kairos"
	"kairos/calendar"
	"kairos/mail"
	"kairos/store"
)

// PasswordChange is what a signed-in user gives to change his password.
type PasswordChange struct {
	Current, New, Confirm string
	// KeepSession is the token of the session making the change: it stays
	// open, every other session of the user is closed.
	KeepSession string
}

// ChangePassword changes the actor's password after checking the current
// one. The new one follows the password policy (ValidatePassword), twice
// the same, different from the current one. Wrong current passwords are
// throttled like logins (MaxFailuresPerKey within ThrottleWindow, counted
// per user); hashing runs in the bounded pool. In one transaction: the new
// hash, every other session of the user closed, the audit entry and a
// confirmation e-mail.
func (s *Service) ChangePassword(ctx context.Context, a *kairos.Actor, in PasswordChange) error {
	if a == nil || a.UserID == 0 {
		return kairos.Errorf(kairos.EUnauthorized, "Connectez-vous pour changer votre mot de passe.")
	}
	f := map[string]string{}
	if in.Current == "" {
		f["current"] = "Saisissez votre mot de passe actuel."
	}
	if msg := ValidatePassword(in.New); msg != "" {
		f["new"] = msg
	} else if in.Confirm != in.New {
		f["confirm"] = "La confirmation ne correspond pas au nouveau mot de passe : saisissez-le deux fois à l'identique."
	} else if in.New == in.Current {
		f["new"] = "Le nouveau mot de passe doit être différent du mot de passe actuel."
	}
	if len(f) > 0 {
		return kairos.Invalid(f)
	}
	now := s.now()
	key := "p:" + strconv.FormatInt(a.UserID, 10)
	n, start, err := s.bump(ctx, key, now)
	if err != nil {
		return err
	}
	if n > MaxFailuresPerKey {
		left := start.Add(ThrottleWindow).Sub(now)
		mins := max(int((left+time.Minute-1)/time.Minute), 1)
		return &kairos.Error{Code: kairos.ETooMany, RetryAfter: left,
			Message: fmt.Sprintf("Trop de mots de passe actuels incorrects. Par sécurité, réessayez dans %d minute(s) ou utilisez « Mot de passe oublié ».", mins)}
	}
	u, err := s.User(ctx, a.UserID)
	if err != nil {
		return err
	}
	var hash string
	if err := s.DB.QueryRow(ctx, "SELECT password_hash FROM users WHERE id = ?", a.UserID).Scan(&hash); err != nil {
		return err
	}
	ok := false
	if utf8.RuneCountInString(in.Current) <= 200 { // longer: not a password of the policy
		if ok, err = s.checkPassword(ctx, hash, in.Current); err != nil {
			s.unbump(ctx, key)
			return err
		}
	}
	if !ok {
		return kairos.Invalid(map[string]string{"current": "Le mot de passe actuel est incorrect."})
	}
	newHash, err := s.hashPassword(ctx, in.New)
	if err != nil {
		s.unbump(ctx, key)
		return err
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		// The hash read above must still be the current one (two changes at
		// once: the second is refused).
		res, err := tx.Exec(ctx, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? AND password_hash = ?", newHash, now, a.UserID, hash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return kairos.Errorf(kairos.EConflict, "Votre mot de passe vient d'être changé par ailleurs. Rechargez la page et recommencez.")
		}
		res, err = tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?", a.UserID, HashToken(in.KeepSession))
		if err != nil {
			return err
		}
		closed, _ := res.RowsAffected()
		if _, err := tx.Exec(ctx, "DELETE FROM login_counters WHERE k = ?", key); err != nil {
			return err
		}
		when := now.In(calendar.Paris()).Format("02/01/2006 à 15:04")
		body := "Bonjour " + u.Name + ",\n\n" +
			"Le mot de passe de votre compte Kairos (" + u.Email + ") a été changé le " + when + " (heure de Paris).\n" +
			"Vos autres sessions ouvertes ont été fermées.\n\n" +
			"Si vous n'êtes pas à l'origine de ce changement, réinitialisez tout de suite votre mot de passe :\n" +
			s.BaseURL + "/mot-de-passe/oublie\n" +
			"puis prévenez le responsable du compte de votre organisme.\n\n-- \nKairos\n"
		if err := mail.Enqueue(ctx, tx, mail.Message{To: u.Email, Subject: "Votre mot de passe Kairos a été changé", Body: body}); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "user.password_change", OrgID: u.OrgID, ObjectType: "user", ObjectID: u.ID,
			After: map[string]any{"other_sessions_closed": closed}, At: now})
	})
}
