package account_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/fixture"
)

// Issue 16, finding 3: concurrent wrong passwords on one account get no more
// guesses than the limit.
func TestThrottleIsAtomicUnderConcurrentGuesses(t *testing.T) {
	acc := fixture.MustAccounts(t)
	acc.Hashing = account.NewHashPool(4, 200, time.Minute)
	org := fixture.MustOrg(t, acc, kairos.OrgOF, "OF")
	fixture.MustUser(t, acc, org, kairos.RoleOFAdmin, "rgc@of.example")
	var mu sync.Mutex
	codes := map[kairos.Code]int{}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := acc.Authenticate(context.Background(), "rgc@of.example", "mauvais "+strconv.Itoa(i), "192.0.2.1")
			mu.Lock()
			codes[kairos.ErrorCode(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[kairos.EUnauthorized] > account.MaxFailuresPerKey || codes[kairos.EUnauthorized]+codes[kairos.ETooMany] != 100 {
		t.Fatalf("100 concurrent guesses: %v (at most %d may be checked)", codes, account.MaxFailuresPerKey)
	}
}

// Issue 16, finding 3: failures from one address (an agence behind one NAT)
// do not lock out the accounts that logged in from it before; they stop the
// address from trying other accounts.
func TestAddressThrottleDoesNotLockKnownAccounts(t *testing.T) {
	acc := fixture.MustAccounts(t)
	c := withClock(acc)
	ctx := context.Background()
	org := fixture.MustOrg(t, acc, kairos.OrgFTAgence, "Agence")
	fixture.MustUser(t, acc, org, kairos.RoleConseiller, "habitue@ft.example")
	fixture.MustUser(t, acc, org, kairos.RoleConseiller, "nouvelle@ft.example")
	const nat = "203.0.113.7"
	if _, err := acc.Authenticate(ctx, "habitue@ft.example", fixture.Password, nat); err != nil {
		t.Fatal(err)
	}
	for i := range account.MaxFailuresPerIP {
		c.Advance(time.Second)
		if _, err := acc.Authenticate(ctx, "cible"+strconv.Itoa(i)+"@ft.example", "devine", nat); kairos.ErrorCode(err) != kairos.EUnauthorized {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := acc.Authenticate(ctx, "habitue@ft.example", fixture.Password, nat); err != nil {
		t.Fatalf("a person who logged in from this address before is locked out: %v", err)
	}
	_, err := acc.Authenticate(ctx, "autre@ft.example", "devine", nat)
	if kairos.ErrorCode(err) != kairos.ETooMany || kairos.RetryAfter(err) < 1 {
		t.Fatalf("spraying goes on: %v", err)
	}
	// Another address is not concerned.
	if _, err := acc.Authenticate(ctx, "nouvelle@ft.example", fixture.Password, "198.51.100.1"); err != nil {
		t.Fatal(err)
	}
}

// Issue 16, finding 2: password checks beyond the pool and its queue are
// refused at once (EUnavailable with a delay), not queued without bound.
func TestHashPoolRefusesBeyondItsQueue(t *testing.T) {
	p := account.NewHashPool(1, 1, time.Minute)
	hold, held := make(chan struct{}), make(chan struct{})
	go p.Do(context.Background(), func() { close(held); <-hold })
	<-held
	queued := make(chan error)
	go func() { queued <- p.Do(context.Background(), func() {}) }()
	time.Sleep(50 * time.Millisecond)
	err := p.Do(context.Background(), func() { t.Error("ran beyond the pool") })
	if kairos.ErrorCode(err) != kairos.EUnavailable || kairos.RetryAfter(err) < 1 || kairos.HTTPStatus(kairos.ErrorCode(err)) != 503 {
		t.Fatalf("third computation: %v", err)
	}
	close(hold)
	if err := <-queued; err != nil {
		t.Fatalf("the queued one: %v", err)
	}
	short := account.NewHashPool(1, 5, 20*time.Millisecond)
	hold2 := make(chan struct{})
	go short.Do(context.Background(), func() { <-hold2 })
	time.Sleep(20 * time.Millisecond)
	if err := short.Do(context.Background(), func() {}); kairos.ErrorCode(err) != kairos.EUnavailable {
		t.Fatalf("after the wait: %v", err)
	}
	close(hold2)
}
