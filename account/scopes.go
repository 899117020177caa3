package account

import (
	"context"
	"sort"
	"strings"

	"kairos"
	"kairos/store"
)

// Scope capabilities: an API key may be limited to reading or writing some
// of them. Each API route belongs to one (see ScopeOf).
var ScopeCapabilities = []struct{ Name, Label string }{
	{"organisation", "Organisme, utilisateurs et adhésion"},
	{"catalogue", "Catalogue et imports LHÉO"},
	{"appointments", "Rendez-vous et participants"},
	{"enrolments", "Parcours, entrées, sorties, absences, tableau de bord"},
	{"attestations", "Attestations mensuelles de présence"},
	{"webhooks", "Webhooks et flux d'événements"},
}

// scopeAliases maps the first segment of an API path to its capability;
// any other segment is its own capability (later capabilities get theirs).
var scopeAliases = map[string]string{
	"users": "organisation", "organisation": "organisation", "adhesions": "organisation",
	"enrolment-movements": "enrolments", "justificatifs": "enrolments", "dashboard": "enrolments", "portfolio": "enrolments", "punctuality": "enrolments",
	"ft": "attestations", "events": "webhooks", "event-types": "webhooks",
}

// ScopeOf returns the scope a request needs ("enrolments:write"), or "" for
// the routes every key may use (/api/v1/me, /api/v1/openapi.json).
func ScopeOf(method, path string) string {
	rest := strings.TrimPrefix(path, "/api/v1/")
	seg, _, _ := strings.Cut(rest, "/")
	if seg == "me" || seg == "openapi.json" || seg == "" {
		return ""
	}
	seg = strings.TrimSuffix(seg, ".csv")
	capName := seg
	if c, ok := scopeAliases[seg]; ok {
		capName = c
	}
	mode := "write"
	if method == "GET" || method == "HEAD" {
		mode = "read"
	}
	return capName + ":" + mode
}

// Scopes is the set of scopes of a key: "*" (everything), "read", "write"
// (every capability), or "capability:read" / "capability:write". Writing
// implies reading.
type Scopes []string

// Allows reports whether the scopes allow need ("capability:mode").
func (sc Scopes) Allows(need string) bool {
	if need == "" {
		return true
	}
	capName, mode, _ := strings.Cut(need, ":")
	for _, s := range sc {
		switch s {
		case "*", mode, "write", capName + ":" + mode, capName + ":write":
			return true
		}
	}
	return false
}

// String is the space-separated form, for display.
func (sc Scopes) String() string { return strings.Join(sc, " ") }

// ParseScopes validates a list of scopes and returns it sorted; an empty
// list is refused (a key without scope could do nothing).
func ParseScopes(in []string) (Scopes, error) {
	known := map[string]bool{"*": true, "read": true, "write": true}
	for _, c := range ScopeCapabilities {
		known[c.Name+":read"], known[c.Name+":write"] = true, true
	}
	seen := map[string]bool{}
	var out Scopes
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		if !known[s] {
			if len(s) > 60 {
				s = s[:60] + "…"
			}
			return nil, kairos.Invalid(map[string]string{"scopes": "Portée inconnue : « " + s + " »."})
		}
		if s == "*" {
			return Scopes{"*"}, nil
		}
		seen[s] = true
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, kairos.Invalid(map[string]string{"scopes": "Choisissez au moins une portée (lecture ou écriture d'une capacité), ou l'accès complet."})
	}
	sort.Strings(out)
	return out, nil
}

// CreateScopedAPIKey creates a key limited to scopes (see CreateAPIKey).
func (s *Service) CreateScopedAPIKey(ctx context.Context, a *kairos.Actor, orgID int64, name string, scopes []string) (*APIKey, string, error) {
	sc, err := ParseScopes(scopes)
	if err != nil {
		return nil, "", err
	}
	k, token, err := s.CreateAPIKey(ctx, a, orgID, name)
	if err != nil {
		return nil, "", err
	}
	if sc.String() == "*" {
		return k, token, nil
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE api_keys SET scopes = ? WHERE id = ?", sc.String(), k.ID); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "apikey.scopes", OrgID: orgID, ObjectType: "api_key", ObjectID: k.ID, After: map[string]any{"scopes": sc}, At: s.now()})
	})
	s.cache().dropKey(k.ID)
	if err != nil {
		// Never leave a key with more access than asked for.
		s.DB.Exec(ctx, "UPDATE api_keys SET revoked_at = ? WHERE id = ?", s.now(), k.ID)
		s.cache().dropKey(k.ID)
		return nil, "", err
	}
	return k, token, nil
}

// APIKeyScopes returns the scopes of key id (from the key's cached lookup
// when there is one).
func (s *Service) APIKeyScopes(ctx context.Context, id int64) (Scopes, error) {
	if sc, ok := s.cache().keyScopes(id); ok {
		return sc, nil
	}
	var v string
	if err := s.DB.QueryRow(ctx, "SELECT scopes FROM api_keys WHERE id = ?", id).Scan(&v); err != nil {
		return nil, store.NotFoundIf(err, "Clé d'API")
	}
	return Scopes(strings.Fields(v)), nil
}

// OrgAPIKeyScopes returns the scopes of every key of an organisation, by key id.
func (s *Service) OrgAPIKeyScopes(ctx context.Context, orgID int64) (map[int64]Scopes, error) {
	rows, err := s.DB.Query(ctx, "SELECT id, scopes FROM api_keys WHERE org_id = ?", orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]Scopes{}
	for rows.Next() {
		var id int64
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		out[id] = Scopes(strings.Fields(v))
	}
	return out, rows.Err()
}
