package api

import (
	"net/http"
	"strconv"
	"sync"

	"kairos"
	"kairos/account"
)

// DefaultRateLimit is how many requests an API key may make per minute on
// one instance, unless API.RateLimit says otherwise.
const DefaultRateLimit = 6000

// limiter counts each API key's requests in the current minute (a fixed
// window, per instance).
type limiter struct {
	mu     sync.Mutex
	window int64
	counts map[int64]int
}

// rateLimit counts the request against its API key and sets the RateLimit
// headers (draft-ietf-httpapi-ratelimit-headers); over the limit it answers
// 429 with Retry-After and reports false.
func (a *API) rateLimit(w http.ResponseWriter, r *http.Request) bool {
	actor := kairos.ActorFrom(r.Context())
	if actor == nil || actor.APIKeyID == 0 {
		return true
	}
	limit := a.RateLimit
	if limit <= 0 {
		limit = DefaultRateLimit
	}
	now := a.now().Unix()
	win, reset := now/60, 60-now%60
	a.limiter.mu.Lock()
	if a.limiter.window != win || a.limiter.counts == nil {
		a.limiter.window, a.limiter.counts = win, map[int64]int{}
	}
	a.limiter.counts[actor.APIKeyID]++
	n := a.limiter.counts[actor.APIKeyID]
	a.limiter.mu.Unlock()
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(max(limit-n, 0)))
	h.Set("RateLimit-Reset", strconv.FormatInt(reset, 10))
	h.Set("RateLimit-Policy", strconv.Itoa(limit)+";w=60")
	if n > limit {
		h.Set("Retry-After", strconv.FormatInt(reset, 10))
		a.problem(w, r, kairos.Errorf(kairos.ETooMany, "Trop de requêtes pour cette clé d'API : %d par minute au plus. Réessayez dans %d s.", limit, reset))
		return false
	}
	return true
}

// checkScope refuses a request its API key's scopes do not allow.
func (a *API) checkScope(r *http.Request) error {
	actor := kairos.ActorFrom(r.Context())
	if actor == nil || actor.APIKeyID == 0 {
		return nil
	}
	need := account.ScopeOf(r.Method, r.URL.Path)
	if need == "" {
		return nil
	}
	scopes, err := a.Accounts.APIKeyScopes(r.Context(), actor.APIKeyID)
	if err != nil {
		return err
	}
	if !scopes.Allows(need) {
		return kairos.Errorf(kairos.EForbidden, "Cette clé d'API n'a pas la portée « %s » (ses portées : %s). Créez une clé avec cette portée dans « Clés d'API ».", need, scopes.String())
	}
	return nil
}
