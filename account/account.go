// Package account is the accounts capability: organisations, users and their
// roles and habilitations, passwords, sessions, login throttling, invitations
// and password resets by single-use e-mailed links, and API keys.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"kairos"
	"kairos/store"
)

// User statuses.
const (
	StatusActive   = "active"
	StatusInvited  = "invited"
	StatusDisabled = "disabled"
)

// StatusLabel returns the French label of a user status.
func StatusLabel(s string) string {
	switch s {
	case StatusActive:
		return "Actif"
	case StatusInvited:
		return "Invitation envoyée"
	case StatusDisabled:
		return "Désactivé"
	}
	return s
}

// Organisation is an OF, an FT agence or service, or a Carif-Oref.
type Organisation struct {
	ID        int64          `json:"id"`
	Kind      kairos.OrgKind `json:"kind"`
	Name      string         `json:"name"`
	SIRET     string         `json:"siret,omitempty"`
	Code      string         `json:"code,omitempty"`
	Region    string         `json:"region,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
}

// User is a person who logs in.
type User struct {
	ID            int64         `json:"id"`
	OrgID         int64         `json:"org_id,omitempty"`
	OrgName       string        `json:"org_name,omitempty"`
	Role          kairos.Role   `json:"role"`
	Email         string        `json:"email"`
	Name          string        `json:"name"`
	Habilitations kairos.HabSet `json:"habilitations"`
	Status        string        `json:"status"`
	CreatedAt     time.Time     `json:"created_at"`
	LastLoginAt   *time.Time    `json:"last_login_at,omitempty"`
}

// Actor returns the acting identity of u.
func (u *User) Actor() *kairos.Actor {
	return &kairos.Actor{UserID: u.ID, OrgID: u.OrgID, OrgName: u.OrgName, Role: u.Role, Habilitations: u.Habilitations, Name: u.Name, Email: u.Email}
}

// Service implements the accounts capability over the store.
type Service struct {
	DB      *store.DB
	Clock   kairos.Clock
	BaseURL string // absolute URL of the portal, for links in e-mails
	Log     *slog.Logger
	Hashing *HashPool // bounds concurrent password hashing; nil: DefaultHashPool
}

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock().UTC()
	}
	return s.DB.Now()
}

// NormalizeEmail trims and lower-cases an address.
func NormalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// ValidEmail reports whether e (normalized) is a usable e-mail address.
func ValidEmail(e string) bool { return validEmail(e) }

func validEmail(e string) bool {
	if e == "" || len(e) > 254 || strings.ContainsAny(e, " \r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && strings.Contains(e[strings.LastIndex(e, "@")+1:], ".")
}

// CreateOrganisation creates o and returns its id.
func (s *Service) CreateOrganisation(ctx context.Context, o Organisation) (int64, error) {
	o.Name = strings.TrimSpace(o.Name)
	fields := map[string]string{}
	if !o.Kind.Valid() {
		fields["kind"] = "Type d'organisation inconnu."
	}
	if o.Name == "" {
		fields["name"] = "Le nom est obligatoire."
	}
	if len(fields) > 0 {
		return 0, kairos.Invalid(fields)
	}
	o.CreatedAt = s.now()
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		id, err := tx.Insert(ctx, "INSERT INTO organisations (kind, name, siret, code, region, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			o.Kind, o.Name, o.SIRET, o.Code, o.Region, o.CreatedAt)
		if err != nil {
			return err
		}
		o.ID = id
		return tx.Record(ctx, store.Change{Action: "organisation.create", OrgID: id, ObjectType: "organisation", ObjectID: id, After: o, At: o.CreatedAt})
	})
	return o.ID, err
}

// CreateOrganisationTx creates o inside the caller's transaction and returns its id.
func (s *Service) CreateOrganisationTx(ctx context.Context, tx *store.Tx, o Organisation) (int64, error) {
	o.Name = strings.TrimSpace(o.Name)
	if !o.Kind.Valid() || o.Name == "" {
		return 0, kairos.Invalid(map[string]string{"name": "Le nom et le type de l'organisation sont obligatoires."})
	}
	o.CreatedAt = s.now()
	id, err := tx.Insert(ctx, "INSERT INTO organisations (kind, name, siret, code, region, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		o.Kind, o.Name, o.SIRET, o.Code, o.Region, o.CreatedAt)
	if err != nil {
		return 0, err
	}
	o.ID = id
	return id, tx.Record(ctx, store.Change{Action: "organisation.create", OrgID: id, ObjectType: "organisation", ObjectID: id, After: o, At: o.CreatedAt})
}

// Organisation returns one organisation.
func (s *Service) Organisation(ctx context.Context, id int64) (*Organisation, error) {
	var o Organisation
	err := s.DB.QueryRow(ctx, "SELECT id, kind, name, siret, code, region, created_at FROM organisations WHERE id = ?", id).
		Scan(&o.ID, &o.Kind, &o.Name, &o.SIRET, &o.Code, &o.Region, &o.CreatedAt)
	if err != nil {
		return nil, store.NotFoundIf(err, "Organisation")
	}
	return &o, nil
}

// OrganisationByName returns the organisation of kind k named name.
func (s *Service) OrganisationByName(ctx context.Context, k kairos.OrgKind, name string) (*Organisation, error) {
	var id int64
	err := s.DB.QueryRow(ctx, "SELECT id FROM organisations WHERE kind = ? AND name = ?", k, name).Scan(&id)
	if err != nil {
		return nil, store.NotFoundIf(err, "Organisation")
	}
	return s.Organisation(ctx, id)
}

// OrganisationBySIRET returns the organisation of kind k with this SIRET
// (the oldest, should several share it).
func (s *Service) OrganisationBySIRET(ctx context.Context, k kairos.OrgKind, siret string) (*Organisation, error) {
	var id int64
	err := s.DB.QueryRow(ctx, "SELECT id FROM organisations WHERE kind = ? AND siret = ? ORDER BY id LIMIT 1", k, siret).Scan(&id)
	if err != nil {
		return nil, store.NotFoundIf(err, "Organisation")
	}
	return s.Organisation(ctx, id)
}

// Organisations lists organisations, by kind then name.
func (s *Service) Organisations(ctx context.Context) ([]Organisation, error) {
	rows, err := s.DB.Query(ctx, "SELECT id, kind, name, siret, code, region, created_at FROM organisations ORDER BY kind, name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Organisation
	for rows.Next() {
		var o Organisation
		if err := rows.Scan(&o.ID, &o.Kind, &o.Name, &o.SIRET, &o.Code, &o.Region, &o.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// NewUser is the input of CreateUser.
type NewUser struct {
	OrgID         int64
	Role          kairos.Role
	Email         string
	Name          string
	Password      string // empty: the user is invited and sets it from the e-mailed link
	Habilitations kairos.HabSet
	InvitedBy     string // who the activation e-mail says opened the account
}

func (s *Service) validateNewUser(ctx context.Context, q store.Querier, n *NewUser) error {
	n.Email = NormalizeEmail(n.Email)
	n.Name = strings.TrimSpace(n.Name)
	fields := map[string]string{}
	if !validEmail(n.Email) {
		fields["email"] = "Saisissez une adresse e-mail valide, par exemple prenom.nom@organisme.fr."
	}
	if n.Name == "" {
		fields["name"] = "Le nom est obligatoire."
	} else if utf8.RuneCountInString(n.Name) > 120 {
		fields["name"] = "Le nom ne doit pas dépasser 120 caractères."
	}
	if !n.Role.Valid() {
		fields["role"] = "Rôle inconnu."
	}
	if n.Password != "" {
		if msg := ValidatePassword(n.Password); msg != "" {
			fields["password"] = msg
		}
	}
	if n.Role != kairos.RoleOFUser {
		n.Habilitations = nil
	}
	want := n.Role.OrgKind()
	switch {
	case want == "" && n.OrgID != 0:
		fields["org"] = "Ce rôle n'est rattaché à aucune organisation."
	case want != "" && n.OrgID == 0:
		fields["org"] = "Ce rôle demande une organisation de type « " + want.Label() + " »."
	case want != "":
		var kind kairos.OrgKind
		err := q.QueryRow(ctx, "SELECT kind FROM organisations WHERE id = ?", n.OrgID).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			fields["org"] = "Organisation introuvable."
		} else if err != nil {
			return err
		} else if kind != want {
			fields["org"] = "Ce rôle demande une organisation de type « " + want.Label() + " »."
		}
	}
	if len(fields) > 0 {
		return kairos.Invalid(fields)
	}
	return nil
}

// CreateUser creates a user (by the platform: CLI, demo data, adhesion).
func (s *Service) CreateUser(ctx context.Context, n NewUser) (*User, error) {
	var u *User
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		u, err = s.createUser(ctx, tx, n)
		return err
	})
	return u, err
}

// CreateUserTx is CreateUser inside the caller's transaction, for a
// capability whose change creates an account (adhesion validation): the
// user, its audit record and its activation e-mail commit with that change.
func (s *Service) CreateUserTx(ctx context.Context, tx *store.Tx, n NewUser) (*User, error) {
	return s.createUser(ctx, tx, n)
}

func (s *Service) createUser(ctx context.Context, tx *store.Tx, n NewUser) (*User, error) {
	if err := s.validateNewUser(ctx, tx, &n); err != nil {
		return nil, err
	}
	now := s.now()
	status, hash := StatusInvited, ""
	if n.Password != "" {
		status, hash = StatusActive, HashPassword(n.Password)
	}
	var org any
	if n.OrgID != 0 {
		org = n.OrgID
	}
	id, err := tx.Insert(ctx, `INSERT INTO users (org_id, role, email, name, habilitations, password_hash, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, org, n.Role, n.Email, n.Name, n.Habilitations.String(), hash, status, now, now)
	if store.IsUniqueViolation(err) {
		return nil, kairos.Invalid(map[string]string{"email": "Un compte existe déjà avec cette adresse e-mail."})
	}
	if err != nil {
		return nil, err
	}
	u, err := s.user(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := tx.Record(ctx, store.Change{Action: "user.create", OrgID: n.OrgID, ObjectType: "user", ObjectID: id, After: u, At: now}); err != nil {
		return nil, err
	}
	if status == StatusInvited {
		inviter := n.InvitedBy
		if inviter == "" {
			inviter = "L'équipe Kairos"
		}
		if err := s.sendActivation(ctx, tx, u, inviter); err != nil {
			return nil, err
		}
	}
	return u, nil
}

const userCols = `u.id, COALESCE(u.org_id, 0), COALESCE(o.name, ''), u.role, u.email, u.name, u.habilitations, u.status, u.created_at, u.last_login_at`

func scanUser(sc interface{ Scan(...any) error }) (*User, error) {
	var u User
	var habs string
	if err := sc.Scan(&u.ID, &u.OrgID, &u.OrgName, &u.Role, &u.Email, &u.Name, &habs, &u.Status, &u.CreatedAt, &u.LastLoginAt); err != nil {
		return nil, err
	}
	u.Habilitations = kairos.ParseHabSet(habs)
	return &u, nil
}

func (s *Service) user(ctx context.Context, q store.Querier, id int64) (*User, error) {
	u, err := scanUser(q.QueryRow(ctx, "SELECT "+userCols+" FROM users u LEFT JOIN organisations o ON o.id = u.org_id WHERE u.id = ?", id))
	if err != nil {
		return nil, store.NotFoundIf(err, "Utilisateur")
	}
	return u, nil
}

// User returns a user by id, without tenant check (platform use).
func (s *Service) User(ctx context.Context, id int64) (*User, error) { return s.user(ctx, s.DB, id) }

// UserByEmail returns a user by e-mail.
func (s *Service) UserByEmail(ctx context.Context, email string) (*User, error) {
	u, err := scanUser(s.DB.QueryRow(ctx, "SELECT "+userCols+" FROM users u LEFT JOIN organisations o ON o.id = u.org_id WHERE u.email = ?", NormalizeEmail(email)))
	if err != nil {
		return nil, store.NotFoundIf(err, "Utilisateur")
	}
	return u, nil
}

// OrgUser returns a user of the actor's organisation; any other user is not found.
func (s *Service) OrgUser(ctx context.Context, a *kairos.Actor, id int64) (*User, error) {
	return s.ownedUser(ctx, s.DB, a, id)
}

func (s *Service) ownedUser(ctx context.Context, q store.Querier, a *kairos.Actor, id int64) (*User, error) {
	u, err := s.user(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if err := kairos.OwnedBy(a, u.OrgID, "Utilisateur"); err != nil {
		return nil, err
	}
	return u, nil
}

// UserFilter selects users.
type UserFilter struct {
	OrgID  int64  // 0: every organisation (admin)
	Query  string // name or e-mail contains
	Offset int
	Limit  int // 1 to 201 (50 when out of range)
	// After continues a list after the user (AfterName, AfterID) in the
	// order by name then id (keyset pagination); AfterID 0: from the start.
	AfterName string
	AfterID   int64
}

// Users lists users matching f, by name, with the total count (of every
// match, whatever After).
func (s *Service) Users(ctx context.Context, f UserFilter) ([]User, int, error) {
	where := " WHERE 1=1"
	var args []any
	if f.OrgID != 0 {
		where += " AND u.org_id = ?"
		args = append(args, f.OrgID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		where += " AND (LOWER(u.name) LIKE ? OR u.email LIKE ?)"
		like := "%" + strings.ToLower(q) + "%"
		args = append(args, like, like)
	}
	var total int
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM users u"+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 201 {
		f.Limit = 50
	}
	if f.AfterID > 0 {
		where += " AND (u.name > ? OR (u.name = ? AND u.id > ?))"
		args = append(args, f.AfterName, f.AfterName, f.AfterID)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+userCols+" FROM users u LEFT JOIN organisations o ON o.id = u.org_id"+where+
		" ORDER BY u.name, u.id LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *u)
	}
	return out, total, rows.Err()
}

// Invite creates an invited user in the actor's OF (the actor must be its
// account manager) and e-mails an activation link.
func (s *Service) Invite(ctx context.Context, a *kairos.Actor, email, name string, habs kairos.HabSet) (*User, error) {
	if a == nil || a.Role != kairos.RoleOFAdmin {
		return nil, kairos.Errorf(kairos.EForbidden, "Seul le responsable du compte de l'organisme peut inviter des utilisateurs.")
	}
	var u *User
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		u, err = s.createUser(ctx, tx, NewUser{OrgID: a.OrgID, Role: kairos.RoleOFUser, Email: email, Name: name, Habilitations: habs, InvitedBy: a.Name})
		return err
	})
	return u, err
}

// SetHabilitations replaces the habilitations of a user of the actor's OF.
func (s *Service) SetHabilitations(ctx context.Context, a *kairos.Actor, userID int64, habs kairos.HabSet) (*User, error) {
	if a == nil || a.Role != kairos.RoleOFAdmin {
		return nil, kairos.Errorf(kairos.EForbidden, "Seul le responsable du compte de l'organisme peut modifier les habilitations.")
	}
	var after *User
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		before, err := s.ownedUser(ctx, tx, a, userID)
		if err != nil {
			return err
		}
		if before.Role != kairos.RoleOFUser {
			return kairos.Errorf(kairos.EInvalid, "Les habilitations ne concernent que les collaborateurs ; le responsable du compte les a toutes.")
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET habilitations = ?, updated_at = ? WHERE id = ?", habs.String(), s.now(), userID); err != nil {
			return err
		}
		after, err = s.user(ctx, tx, userID)
		if err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "user.habilitations", OrgID: before.OrgID, ObjectType: "user", ObjectID: userID, Before: before, After: after})
	})
	s.cache().dropUser(userID)
	return after, err
}

// SetStatus disables or re-enables a user of the actor's OF. Disabling ends
// the user's sessions.
func (s *Service) SetStatus(ctx context.Context, a *kairos.Actor, userID int64, disabled bool) (*User, error) {
	if a == nil || a.Role != kairos.RoleOFAdmin {
		return nil, kairos.Errorf(kairos.EForbidden, "Seul le responsable du compte de l'organisme peut désactiver un utilisateur.")
	}
	if userID == a.UserID {
		return nil, kairos.Errorf(kairos.EInvalid, "Vous ne pouvez pas désactiver votre propre compte.")
	}
	var after *User
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		before, err := s.ownedUser(ctx, tx, a, userID)
		if err != nil {
			return err
		}
		status := StatusActive
		switch {
		case disabled:
			status = StatusDisabled
		case before.Status == StatusInvited:
			return kairos.Errorf(kairos.EConflict, "Ce compte n'est pas désactivé.")
		}
		var hash string
		if err := tx.QueryRow(ctx, "SELECT password_hash FROM users WHERE id = ?", userID).Scan(&hash); err != nil {
			return err
		}
		if !disabled && hash == "" {
			status = StatusInvited
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET status = ?, updated_at = ? WHERE id = ?", status, s.now(), userID); err != nil {
			return err
		}
		if disabled {
			if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID); err != nil {
				return err
			}
		}
		after, err = s.user(ctx, tx, userID)
		if err != nil {
			return err
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
		}
		return tx.Record(ctx, store.Change{Action: action, OrgID: before.OrgID, ObjectType: "user", ObjectID: userID, Before: before, After: after})
	})
	s.cache().dropUser(userID)
	return after, err
}

// newToken returns a random URL-safe token and its SHA-256 hash (what is stored).
func newToken(prefix string) (token, hash string) {
	var b [32]byte
	rand.Read(b[:])
	token = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken returns the stored form of a high-entropy token.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
