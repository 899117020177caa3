package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"kairos"
	"kairos/mail"
	"kairos/store"
)

// Session and throttling policy.
const (
	SessionIdle       = 8 * time.Hour      // a session expires after this long without use
	SessionMaxAge     = 7 * 24 * time.Hour // and in any case after this long
	ThrottleWindow    = 15 * time.Minute   // failures are counted over this window
	MaxFailuresPerKey = 5                  // failures for one e-mail before it is throttled
	MaxFailuresPerIP  = 30                 // failures from one address before it is throttled
	InvitationTTL     = 7 * 24 * time.Hour
	ResetTTL          = time.Hour
)

// Token purposes.
const (
	PurposeActivation = "activation"
	PurposeReset      = "reset"
)

var errBadCredentials = kairos.Errorf(kairos.EUnauthorized, "Adresse e-mail ou mot de passe incorrect.")

// Authenticate checks an e-mail and password.
//
// Throttling is atomic: each attempt first increments, in one statement,
// the counter of its e-mail and the counter of its address (login_counters),
// and only an attempt that got a number within the limit has its password
// checked, so concurrent guesses cannot overtake the limit. After
// MaxFailuresPerKey attempts on one e-mail within ThrottleWindow, that
// account is locked for the rest of the window (whatever the address).
// After MaxFailuresPerIP failures from one address, that address may no
// longer try accounts it has never logged into, but the people behind it
// (an agence behind one NAT) who logged in from it before still can.
// A success resets the e-mail's counter. Password checks run in the bounded
// hashing pool (EUnavailable when it is full). Attempts are also stored in
// login_attempts (history, known addresses).
func (s *Service) Authenticate(ctx context.Context, email, password, ip string) (*User, error) {
	email = NormalizeEmail(email)
	now := s.now()
	n, start, err := s.bump(ctx, "e:"+email, now)
	if err != nil {
		return nil, err
	}
	if n > MaxFailuresPerKey {
		return nil, tooMany(start, now)
	}
	byIP, ipStart, err := s.bump(ctx, "i:"+ip, now)
	if err != nil {
		return nil, err
	}
	if byIP > MaxFailuresPerIP {
		known, err := s.knownAddress(ctx, email, ip, now)
		if err != nil {
			return nil, err
		}
		if !known {
			s.unbump(ctx, "e:"+email)
			return nil, tooMany(ipStart, now)
		}
	}
	var id int64
	var hash, status string
	err = s.DB.QueryRow(ctx, "SELECT id, password_hash, status FROM users WHERE email = ?", email).Scan(&id, &hash, &status)
	if errors.Is(err, sql.ErrNoRows) {
		hash, err = dummyHash, nil
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.checkPassword(ctx, hash, password)
	if err != nil {
		// Not checked: the attempt does not count.
		s.unbump(ctx, "e:"+email)
		s.unbump(ctx, "i:"+ip)
		return nil, err
	}
	if id == 0 || !ok {
		return nil, s.failed(ctx, email, ip, now)
	}
	if status != StatusActive {
		s.failed(ctx, email, ip, now)
		return nil, kairos.Errorf(kairos.EForbidden, "Ce compte est désactivé. Contactez le responsable du compte de votre organisme.")
	}
	if _, err := s.DB.Exec(ctx, "DELETE FROM login_counters WHERE k = ?", "e:"+email); err != nil {
		return nil, err
	}
	s.unbump(ctx, "i:"+ip)
	if _, err := s.DB.Exec(ctx, "INSERT INTO login_attempts (email, ip, at, success) VALUES (?, ?, ?, ?)", email, ip, now, true); err != nil {
		return nil, err
	}
	if _, err := s.DB.Exec(ctx, "UPDATE users SET last_login_at = ? WHERE id = ?", now, id); err != nil {
		return nil, err
	}
	return s.User(ctx, id)
}

func tooMany(start, now time.Time) error {
	left := start.Add(ThrottleWindow).Sub(now)
	mins := int((left + time.Minute - 1) / time.Minute)
	return &kairos.Error{Code: kairos.ETooMany, RetryAfter: left,
		Message: fmt.Sprintf("Trop de tentatives de connexion infructueuses. Par sécurité, réessayez dans %d minute(s) ou réinitialisez votre mot de passe.", max(mins, 1))}
}

// bump increments the counter of key in one atomic statement (a new window
// starts when the previous one is over) and returns its value and the start
// of its window.
func (s *Service) bump(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	t, expired := now.Unix(), now.Add(-ThrottleWindow).Unix()
	var n, start int64
	err := s.DB.QueryRow(ctx, `INSERT INTO login_counters (k, window_start, n) VALUES (?, ?, 1)
		ON CONFLICT (k) DO UPDATE SET
		  n = CASE WHEN login_counters.window_start <= ? THEN 1 ELSE login_counters.n + 1 END,
		  window_start = CASE WHEN login_counters.window_start <= ? THEN excluded.window_start ELSE login_counters.window_start END
		RETURNING n, window_start`, key, t, expired, expired).Scan(&n, &start)
	return int(n), time.Unix(start, 0), err
}

// unbump gives back an attempt that was not a failure.
func (s *Service) unbump(ctx context.Context, key string) {
	if _, err := s.DB.Exec(ctx, "UPDATE login_counters SET n = n - 1 WHERE k = ? AND n > 0", key); err != nil && s.Log != nil {
		s.Log.Warn("account: login counter", "err", err)
	}
}

// knownAddress reports whether email logged in successfully from ip in the
// last 30 days.
func (s *Service) knownAddress(ctx context.Context, email, ip string, now time.Time) (bool, error) {
	var n int
	err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM login_attempts WHERE email = ? AND ip = ? AND success = ? AND at > ?", email, ip, true, now.Add(-30*24*time.Hour)).Scan(&n)
	return n > 0, err
}

func (s *Service) failed(ctx context.Context, email, ip string, now time.Time) error {
	if _, err := s.DB.Exec(ctx, "INSERT INTO login_attempts (email, ip, at, success) VALUES (?, ?, ?, ?)", email, ip, now, false); err != nil {
		return err
	}
	return errBadCredentials
}

// CreateSession opens a session for u and returns its secret token (the
// cookie value). Only the token's hash is stored. A new token is issued at
// every login, so a session id never survives authentication.
func (s *Service) CreateSession(ctx context.Context, userID int64, ip, userAgent string) (string, error) {
	token, hash := newToken("")
	now := s.now()
	userAgent = printable(userAgent, 300)
	_, err := s.DB.Exec(ctx, "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
		hash, userID, now, now, now.Add(SessionIdle), ip, userAgent)
	return token, err
}

// SessionActor returns the actor of a session token, extending the session's
// idle expiry, or nil when the token is unknown, expired or its user disabled.
// A lookup is reused for AuthCacheTTL (see authCache); logout, password
// changes, disabling and new habilitations drop it at once.
func (s *Service) SessionActor(ctx context.Context, token string) (*kairos.Actor, error) {
	if token == "" {
		return nil, nil
	}
	hash := HashToken(token)
	c := s.cache()
	now := s.now()
	if e, ok := c.session(hash); ok && now.Before(e.expires) && now.Sub(e.created) <= SessionMaxAge {
		if now.Sub(e.seen) > time.Minute { // avoid a write per request
			if _, err := s.DB.Exec(ctx, "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?", now, now.Add(SessionIdle), e.sid); err != nil {
				return nil, err
			}
			c.touchSession(hash, e.sid, now, now.Add(SessionIdle))
		}
		a := e.actor
		return &a, nil
	}
	epoch := c.start()
	var sid, uid int64
	var created, seen, expires time.Time
	err := s.DB.QueryRow(ctx, "SELECT id, user_id, created_at, last_seen_at, expires_at FROM sessions WHERE token_hash = ?", hash).Scan(&sid, &uid, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !now.Before(expires) || now.Sub(created) > SessionMaxAge {
		_, err := s.DB.Exec(ctx, "DELETE FROM sessions WHERE id = ?", sid)
		return nil, err
	}
	u, err := s.User(ctx, uid)
	if err != nil {
		return nil, err
	}
	if u.Status != StatusActive {
		return nil, nil
	}
	if now.Sub(seen) > time.Minute { // avoid a write per request
		if _, err := s.DB.Exec(ctx, "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?", now, now.Add(SessionIdle), sid); err != nil {
			return nil, err
		}
		seen, expires = now, now.Add(SessionIdle)
	}
	a := u.Actor()
	lookupRead()
	c.putSession(epoch, hash, sessionEntry{at: time.Now(), sid: sid, uid: uid, created: created, seen: seen, expires: expires, actor: *a})
	return a, nil
}

// DeleteSession ends the session of token (logout).
func (s *Service) DeleteSession(ctx context.Context, token string) error {
	hash := HashToken(token)
	_, err := s.DB.Exec(ctx, "DELETE FROM sessions WHERE token_hash = ?", hash)
	s.cache().dropSession(hash)
	return err
}

// issueToken stores a single-use token for user u.
func (s *Service) issueToken(ctx context.Context, tx *store.Tx, userID int64, purpose string, ttl time.Duration) (string, error) {
	token, hash := newToken("")
	now := s.now()
	// A new link replaces the earlier unused ones of the same purpose.
	if _, err := tx.Exec(ctx, "UPDATE user_tokens SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL", now, userID, purpose); err != nil {
		return "", err
	}
	_, err := tx.Exec(ctx, "INSERT INTO user_tokens (user_id, purpose, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		userID, purpose, hash, now, now.Add(ttl))
	return token, err
}

func (s *Service) sendActivation(ctx context.Context, tx *store.Tx, u *User, inviter string) error {
	token, err := s.issueToken(ctx, tx, u.ID, PurposeActivation, InvitationTTL)
	if err != nil {
		return err
	}
	body := "Bonjour " + u.Name + ",\n\n" +
		inviter + " vous a ouvert un compte sur Kairos, la plateforme d'échange entre les organismes de formation et France Travail" +
		orgSuffix(u) + ".\n\n" +
		"Pour activer votre compte, choisissez votre mot de passe en suivant ce lien (valable 7 jours, utilisable une seule fois) :\n" +
		s.BaseURL + "/mot-de-passe/nouveau?token=" + token + "\n\n" +
		"Votre identifiant est votre adresse e-mail : " + u.Email + "\n\n" +
		"Si vous n'attendiez pas ce message, ignorez-le.\n\n-- \nKairos\n"
	return mail.Enqueue(ctx, tx, mail.Message{To: u.Email, Subject: "Activez votre compte Kairos", Body: body})
}

func orgSuffix(u *User) string {
	if u.OrgName == "" {
		return ""
	}
	return ", pour « " + u.OrgName + " »"
}

// ResendActivation sends a new activation link to an invited user of the actor's OF.
func (s *Service) ResendActivation(ctx context.Context, a *kairos.Actor, userID int64) error {
	if a == nil || a.Role != kairos.RoleOFAdmin {
		return kairos.Errorf(kairos.EForbidden, "Seul le responsable du compte de l'organisme peut renvoyer une invitation.")
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		u, err := s.ownedUser(ctx, tx, a, userID)
		if err != nil {
			return err
		}
		if u.Status != StatusInvited {
			return kairos.Errorf(kairos.EConflict, "Ce compte est déjà activé.")
		}
		if err := s.sendActivation(ctx, tx, u, a.Name); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "user.invitation_resent", OrgID: u.OrgID, ObjectType: "user", ObjectID: u.ID, After: u})
	})
}

// RequestPasswordReset e-mails a reset link when email belongs to an active
// account. It answers the same way whether or not the account exists.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	email = NormalizeEmail(email)
	if !validEmail(email) {
		return kairos.Invalid(map[string]string{"email": "Saisissez une adresse e-mail valide, par exemple prenom.nom@organisme.fr."})
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		u, err := scanUser(tx.QueryRow(ctx, "SELECT "+userCols+" FROM users u LEFT JOIN organisations o ON o.id = u.org_id WHERE u.email = ?", email))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if u.Status == StatusDisabled {
			return nil
		}
		if u.Status == StatusInvited {
			return s.sendActivation(ctx, tx, u, "Le responsable du compte de votre organisme")
		}
		token, err := s.issueToken(ctx, tx, u.ID, PurposeReset, ResetTTL)
		if err != nil {
			return err
		}
		body := "Bonjour " + u.Name + ",\n\n" +
			"Une réinitialisation du mot de passe de votre compte Kairos a été demandée.\n\n" +
			"Pour choisir un nouveau mot de passe, suivez ce lien (valable 1 heure, utilisable une seule fois) :\n" +
			s.BaseURL + "/mot-de-passe/nouveau?token=" + token + "\n\n" +
			"Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.\n\n-- \nKairos\n"
		if err := mail.Enqueue(ctx, tx, mail.Message{To: u.Email, Subject: "Réinitialisation de votre mot de passe Kairos", Body: body}); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "user.password_reset_requested", OrgID: u.OrgID, ObjectType: "user", ObjectID: u.ID})
	})
}

var errBadToken = kairos.Errorf(kairos.EInvalid, "Ce lien n'est pas valable : il a expiré ou a déjà été utilisé. Demandez un nouveau lien.")

// TokenUser returns the user a valid (unused, unexpired) token belongs to,
// without consuming it (to show the form).
func (s *Service) TokenUser(ctx context.Context, token string) (*User, string, error) {
	var uid int64
	var purpose string
	var expires time.Time
	var used sql.NullTime
	err := s.DB.QueryRow(ctx, "SELECT user_id, purpose, expires_at, used_at FROM user_tokens WHERE token_hash = ?", HashToken(token)).Scan(&uid, &purpose, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (used.Valid || !s.now().Before(expires))) {
		return nil, "", errBadToken
	}
	if err != nil {
		return nil, "", err
	}
	u, err := s.User(ctx, uid)
	return u, purpose, err
}

// SetPasswordWithToken consumes a single-use token and sets the password:
// it activates an invited account, or resets a forgotten password (ending
// every open session of the user).
func (s *Service) SetPasswordWithToken(ctx context.Context, token, password string) (*User, error) {
	if msg := ValidatePassword(password); msg != "" {
		return nil, kairos.Invalid(map[string]string{"password": msg})
	}
	var u *User
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		now := s.now()
		var tid, uid int64
		var purpose string
		// The conditional update consumes the token exactly once, even under
		// concurrent submissions.
		err := tx.QueryRow(ctx, "UPDATE user_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING id, user_id, purpose",
			now, HashToken(token), now).Scan(&tid, &uid, &purpose)
		if errors.Is(err, sql.ErrNoRows) {
			return errBadToken
		}
		if err != nil {
			return err
		}
		before, err := s.user(ctx, tx, uid)
		if err != nil {
			return err
		}
		if before.Status == StatusDisabled {
			return kairos.Errorf(kairos.EForbidden, "Ce compte est désactivé. Contactez le responsable du compte de votre organisme.")
		}
		hash, err := s.hashPassword(ctx, password)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET password_hash = ?, status = ?, updated_at = ? WHERE id = ?", hash, StatusActive, now, uid); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", uid); err != nil {
			return err
		}
		u, err = s.user(ctx, tx, uid)
		if err != nil {
			return err
		}
		action := "user.password_reset"
		if purpose == PurposeActivation {
			action = "user.activate"
		}
		return tx.Record(ctx, store.Change{Action: action, OrgID: u.OrgID, ObjectType: "user", ObjectID: uid, Before: before, After: u, At: now})
	})
	if u != nil {
		s.cache().dropUser(u.ID)
	}
	return u, err
}

// Cleanup deletes expired sessions, old tokens and old login attempts
// (scheduled job).
func (s *Service) Cleanup(ctx context.Context) error {
	now := s.now()
	for _, q := range []struct {
		sql string
		arg time.Time
	}{
		{"DELETE FROM sessions WHERE expires_at < ?", now},
		{"DELETE FROM sessions WHERE created_at < ?", now.Add(-SessionMaxAge)},
		{"DELETE FROM user_tokens WHERE expires_at < ?", now.Add(-30 * 24 * time.Hour)},
		{"DELETE FROM login_attempts WHERE at < ?", now.Add(-30 * 24 * time.Hour)},
	} {
		if _, err := s.DB.Exec(ctx, q.sql, q.arg); err != nil {
			return err
		}
	}
	if _, err := s.DB.Exec(ctx, "DELETE FROM login_counters WHERE window_start < ?", now.Add(-ThrottleWindow).Unix()); err != nil {
		return err
	}
	return nil
}

// printable keeps the first max runes of s that are valid, non-control
// characters (a header such as User-Agent is not checked at the edge).
func printable(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(s, "") {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			continue
		}
		if n++; n > max {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
