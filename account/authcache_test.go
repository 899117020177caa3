package account_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/fixture"
)

// Issue 18: session and API-key lookups are cached, and every change that
// ends or narrows an access is refused or seen at once, even through another
// Service on the same database.
func TestAuthCacheInvalidatedAtOnce(t *testing.T) {
	acc := fixture.MustAccounts(t)
	account.SetAuthCacheTTL(acc.DB, time.Hour)
	other := &account.Service{DB: acc.DB, BaseURL: acc.BaseURL} // another part of the process
	w := fixture.MustWorld(t, acc)
	ctx := context.Background()
	admin := w.Users[kairos.RoleOFAdmin].Actor()
	user := w.Users[kairos.RoleOFUser]

	session := func(tb testing.TB) string {
		tb.Helper()
		tok, err := acc.CreateSession(ctx, user.ID, "ip", "ua")
		if err != nil {
			tb.Fatal(err)
		}
		if a, err := acc.SessionActor(ctx, tok); err != nil || a == nil {
			tb.Fatalf("new session: %+v %v", a, err)
		}
		return tok
	}

	// The lookup is cached: a row deleted behind the service's back (as
	// another instance would) is not seen before the entry expires.
	tok := session(t)
	if _, err := acc.DB.Exec(ctx, "DELETE FROM sessions WHERE token_hash = ?", account.HashToken(tok)); err != nil {
		t.Fatal(err)
	}
	if a, _ := acc.SessionActor(ctx, tok); a == nil {
		t.Fatal("the session lookup is not cached")
	}
	account.SetAuthCacheTTL(acc.DB, 0)
	if a, _ := acc.SessionActor(ctx, tok); a != nil {
		t.Fatal("an expired cache entry was used")
	}
	account.SetAuthCacheTTL(acc.DB, time.Hour)

	t.Run("logout", func(t *testing.T) {
		tok := session(t)
		if err := other.DeleteSession(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if a, _ := acc.SessionActor(ctx, tok); a != nil {
			t.Fatal("session accepted after logout")
		}
	})
	t.Run("habilitations", func(t *testing.T) {
		tok := session(t)
		if _, err := other.SetHabilitations(ctx, admin, user.ID, kairos.HabSet{}); err != nil {
			t.Fatal(err)
		}
		if a, _ := acc.SessionActor(ctx, tok); a == nil || len(a.Habilitations) != 0 {
			t.Fatalf("habilitations after the change: %+v", a)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		tok := session(t)
		if _, err := other.SetStatus(ctx, admin, user.ID, true); err != nil {
			t.Fatal(err)
		}
		if a, _ := acc.SessionActor(ctx, tok); a != nil {
			t.Fatal("session of a disabled user accepted")
		}
		if _, err := other.SetStatus(ctx, admin, user.ID, false); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("password reset", func(t *testing.T) {
		tok := session(t)
		if err := other.RequestPasswordReset(ctx, user.Email); err != nil {
			t.Fatal(err)
		}
		if _, err := other.SetPasswordWithToken(ctx, MustLastLink(t, acc, user.Email), "un-nouveau-mot-de-passe-42"); err != nil {
			t.Fatal(err)
		}
		if a, _ := acc.SessionActor(ctx, tok); a != nil {
			t.Fatal("session accepted after a password reset")
		}
	})
	t.Run("api key revoked", func(t *testing.T) {
		k, key, err := acc.CreateAPIKey(ctx, admin, w.OFA, "Logiciel")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := acc.APIKeyActor(ctx, key); err != nil {
			t.Fatal(err)
		}
		if sc, err := acc.APIKeyScopes(ctx, k.ID); err != nil || sc.String() != "*" {
			t.Fatalf("scopes %v %v", sc, err)
		}
		if err := other.RevokeAPIKey(ctx, admin, k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := acc.APIKeyActor(ctx, key); kairos.ErrorCode(err) != kairos.EUnauthorized {
			t.Fatalf("revoked key: %v", err)
		}
	})
}

// Issue 18: lookups racing a logout or a revocation never bring the ended
// access back: once DeleteSession or RevokeAPIKey has returned, every lookup
// that starts is refused, whatever the lookups in flight stored.
func TestAuthCacheRaceWithLogoutAndRevoke(t *testing.T) {
	acc := fixture.MustAccounts(t)
	account.SetAuthCacheTTL(acc.DB, time.Hour)
	w := fixture.MustWorld(t, acc)
	ctx := context.Background()
	admin := w.Users[kairos.RoleOFAdmin].Actor()
	for round := range 5 {
		tok, err := acc.CreateSession(ctx, w.Users[kairos.RoleOFUser].ID, "ip", "ua")
		if err != nil {
			t.Fatal(err)
		}
		k, key, err := acc.CreateAPIKey(ctx, admin, w.OFA, "Logiciel")
		if err != nil {
			t.Fatal(err)
		}
		var ended atomic.Bool
		var bad atomic.Int64
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					after := ended.Load()
					a, err := acc.SessionActor(ctx, tok)
					ka, kerr := acc.APIKeyActor(ctx, key)
					if after && ((err == nil && a != nil) || (kerr == nil && ka != nil)) {
						bad.Add(1)
					}
				}
			}()
		}
		time.Sleep(20 * time.Millisecond)
		if err := acc.DeleteSession(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := acc.RevokeAPIKey(ctx, admin, k.ID); err != nil {
			t.Fatal(err)
		}
		ended.Store(true)
		time.Sleep(50 * time.Millisecond)
		close(stop)
		wg.Wait()
		if n := bad.Load(); n > 0 {
			t.Fatalf("round %d: %d lookups accepted an ended session or a revoked key", round, n)
		}
	}
}

// Issue 18: a lookup that read the session just before a logout committed
// does not store it afterwards (the logout landing between the read and the
// store, deterministically).
func TestAuthCacheLookupOverlappingLogout(t *testing.T) {
	acc := fixture.MustAccounts(t)
	account.SetAuthCacheTTL(acc.DB, time.Hour)
	w := fixture.MustWorld(t, acc)
	ctx := context.Background()
	admin := w.Users[kairos.RoleOFAdmin].Actor()
	tok, err := acc.CreateSession(ctx, w.Users[kairos.RoleOFUser].ID, "ip", "ua")
	if err != nil {
		t.Fatal(err)
	}
	account.BetweenLookupReadAndStore(func() {
		if err := acc.DeleteSession(ctx, tok); err != nil {
			t.Error(err)
		}
	})
	if a, err := acc.SessionActor(ctx, tok); err != nil || a == nil {
		t.Fatalf("lookup before the logout: %+v %v", a, err)
	}
	if a, _ := acc.SessionActor(ctx, tok); a != nil {
		t.Fatal("a lookup overlapping the logout put the session back in the cache")
	}
	k, key, err := acc.CreateAPIKey(ctx, admin, w.OFA, "Logiciel")
	if err != nil {
		t.Fatal(err)
	}
	account.BetweenLookupReadAndStore(func() {
		if err := acc.RevokeAPIKey(ctx, admin, k.ID); err != nil {
			t.Error(err)
		}
	})
	if _, err := acc.APIKeyActor(ctx, key); err != nil {
		t.Fatalf("lookup before the revocation: %v", err)
	}
	if _, err := acc.APIKeyActor(ctx, key); kairos.ErrorCode(err) != kairos.EUnauthorized {
		t.Fatalf("a lookup overlapping the revocation put the key back in the cache: %v", err)
	}
}
