package account

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"kairos"
	"kairos/store"
)

// APIKeyPrefix starts every API key, so that leaked keys are recognisable.
const APIKeyPrefix = "kairos_"

// APIKey is an organisation's key for the JSON API. Only its hash is stored.
type APIKey struct {
	ID         int64      `json:"id"`
	OrgID      int64      `json:"org_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"` // first characters, to recognise the key
	CreatedBy  string     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// CreateAPIKey creates a key for organisation orgID and returns it with its
// secret token, shown once. The actor must be the OF's account manager (or
// the system, from the command line).
func (s *Service) CreateAPIKey(ctx context.Context, a *kairos.Actor, orgID int64, name string) (*APIKey, string, error) {
	if a != kairos.System {
		if a == nil || a.Role != kairos.RoleOFAdmin {
			return nil, "", kairos.Errorf(kairos.EForbidden, "Seul le responsable du compte de l'organisme peut créer une clé d'API.")
		}
		if err := kairos.OwnedBy(a, orgID, "Organisation"); err != nil {
			return nil, "", err
		}
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 80 {
		return nil, "", kairos.Invalid(map[string]string{"name": "Donnez à la clé un nom de 1 à 80 caractères (par exemple le logiciel qui l'utilise)."})
	}
	if _, err := s.Organisation(ctx, orgID); err != nil {
		return nil, "", err
	}
	token, hash := newToken(APIKeyPrefix)
	k := &APIKey{OrgID: orgID, Name: name, Prefix: token[:len(APIKeyPrefix)+6], CreatedAt: s.now()}
	var by any
	if a != nil && a.UserID != 0 {
		by = a.UserID
		k.CreatedBy = a.Name
	}
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		id, err := tx.Insert(ctx, "INSERT INTO api_keys (org_id, name, prefix, token_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			orgID, name, k.Prefix, hash, by, k.CreatedAt)
		if err != nil {
			return err
		}
		k.ID = id
		return tx.Record(ctx, store.Change{Action: "apikey.create", OrgID: orgID, ObjectType: "api_key", ObjectID: id, After: k, At: k.CreatedAt})
	})
	if err != nil {
		return nil, "", err
	}
	return k, token, nil
}

// APIKeys lists the keys of an organisation, newest first.
func (s *Service) APIKeys(ctx context.Context, orgID int64) ([]APIKey, error) {
	rows, err := s.DB.Query(ctx, `SELECT k.id, k.org_id, k.name, k.prefix, COALESCE(u.name, ''), k.created_at, k.last_used_at, k.revoked_at
		FROM api_keys k LEFT JOIN users u ON u.id = k.created_by WHERE k.org_id = ? ORDER BY k.id DESC`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		var k APIKey
		if err := rows.Scan(&k.ID, &k.OrgID, &k.Name, &k.Prefix, &k.CreatedBy, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey revokes a key of the actor's organisation. It is immediate in this
// process (its cached lookup is dropped) and, on another instance, once
// that instance's cached lookup expires (AuthCacheTTL).
func (s *Service) RevokeAPIKey(ctx context.Context, a *kairos.Actor, id int64) error {
	if a == nil || a.Role != kairos.RoleOFAdmin {
		return kairos.Errorf(kairos.EForbidden, "Seul le responsable du compte de l'organisme peut révoquer une clé d'API.")
	}
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var orgID int64
		var revoked sql.NullTime
		err := tx.QueryRow(ctx, "SELECT org_id, revoked_at FROM api_keys WHERE id = ?", id).Scan(&orgID, &revoked)
		if err != nil {
			return store.NotFoundIf(err, "Clé d'API")
		}
		if err := kairos.OwnedBy(a, orgID, "Clé d'API"); err != nil {
			return err
		}
		if revoked.Valid {
			return kairos.Errorf(kairos.EConflict, "Cette clé est déjà révoquée.")
		}
		now := s.now()
		if _, err := tx.Exec(ctx, "UPDATE api_keys SET revoked_at = ? WHERE id = ?", now, id); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "apikey.revoke", OrgID: orgID, ObjectType: "api_key", ObjectID: id, After: map[string]any{"revoked_at": now}, At: now})
	})
	s.cache().dropKey(id)
	return err
}

// APIKeyActor returns the actor of an API token, or an EUnauthorized error
// when the token is unknown or revoked. The key acts for its organisation
// with the role of its account manager. A lookup is reused for
// AuthCacheTTL (see authCache); a revocation drops it at once.
func (s *Service) APIKeyActor(ctx context.Context, token string) (*kairos.Actor, error) {
	unauth := kairos.Errorf(kairos.EUnauthorized, "Clé d'API absente, inconnue ou révoquée.")
	if !strings.HasPrefix(token, APIKeyPrefix) {
		return nil, unauth
	}
	hash := HashToken(token)
	c := s.cache()
	now := s.now()
	if e, ok := c.key(hash); ok {
		if e.lastUsed.IsZero() || now.Sub(e.lastUsed) > time.Minute {
			if _, err := s.DB.Exec(ctx, "UPDATE api_keys SET last_used_at = ? WHERE id = ?", now, e.actor.APIKeyID); err != nil {
				return nil, err
			}
			c.touchKey(e.actor.APIKeyID, now)
		}
		a := e.actor
		return &a, nil
	}
	epoch := c.start()
	var id, orgID int64
	var name, orgName, scopes string
	var kind kairos.OrgKind
	var revoked, lastUsed sql.NullTime
	err := s.DB.QueryRow(ctx, `SELECT k.id, k.org_id, k.name, o.name, o.kind, k.revoked_at, k.last_used_at, k.scopes
		FROM api_keys k JOIN organisations o ON o.id = k.org_id WHERE k.token_hash = ?`, hash).
		Scan(&id, &orgID, &name, &orgName, &kind, &revoked, &lastUsed, &scopes)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && revoked.Valid) {
		return nil, unauth
	}
	if err != nil {
		return nil, err
	}
	if !lastUsed.Valid || now.Sub(lastUsed.Time) > time.Minute {
		if _, err := s.DB.Exec(ctx, "UPDATE api_keys SET last_used_at = ? WHERE id = ?", now, id); err != nil {
			return nil, err
		}
		lastUsed = sql.NullTime{Time: now, Valid: true}
	}
	role := kairos.RoleOFAdmin
	switch kind {
	case kairos.OrgCarif:
		role = kairos.RoleCarif
	case kairos.OrgFTAgence:
		role = kairos.RoleConseiller
	case kairos.OrgFTService:
		// A France Travail service is a regional management (its users are
		// ft_gestionnaire) or an accounting service (ft_comptable): its key
		// acts with the role of its people. Only a service with a manager
		// gets the manager's role (adhesions); any other gets the accounting one.
		var managers int
		if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE org_id = ? AND role = ?", orgID, kairos.RoleFTGestionnaire).Scan(&managers); err != nil {
			return nil, err
		}
		role = kairos.RoleFTComptable
		if managers > 0 {
			role = kairos.RoleFTGestionnaire
		}
	}
	a := &kairos.Actor{APIKeyID: id, OrgID: orgID, OrgName: orgName, Role: role, Name: name}
	lookupRead()
	c.putKey(epoch, keyEntry{at: time.Now(), hash: hash, actor: *a, kind: kind, scopes: Scopes(strings.Fields(scopes)), lastUsed: lastUsed.Time})
	return a, nil
}

// APIKeyOrganisation returns the organisation a key acts for (its id, name
// and kind), from the key's cached lookup when there is one.
func (s *Service) APIKeyOrganisation(ctx context.Context, a *kairos.Actor) (*Organisation, error) {
	if ka, kind, ok := s.cache().keyOrg(a.APIKeyID); ok && ka.OrgID == a.OrgID {
		return &Organisation{ID: ka.OrgID, Name: ka.OrgName, Kind: kind}, nil
	}
	return s.Organisation(ctx, a.OrgID)
}
