package account_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"kairos"
	"kairos/account"
	"kairos/fixture"
	"kairos/mail"
)

func TestChangePassword(t *testing.T) {
	acc := fixture.MustAccounts(t)
	withClock(acc)
	ctx := context.Background()
	u := fixture.MustUser(t, acc, 0, kairos.RoleDemandeur, "de@exemple.example")
	other := fixture.MustUser(t, acc, 0, kairos.RoleDemandeur, "autre@exemple.example")
	mine, _ := acc.CreateSession(ctx, u.ID, "ip", "ua")
	elsewhere, _ := acc.CreateSession(ctx, u.ID, "ip2", "ua2")
	theirs, _ := acc.CreateSession(ctx, other.ID, "ip", "ua")
	a := u.Actor()
	const pw = "une nouvelle phrase de passe"
	for _, c := range []struct {
		in    account.PasswordChange
		field string
		want  string
	}{
		{account.PasswordChange{Current: "", New: pw, Confirm: pw}, "current", "Saisissez votre mot de passe actuel."},
		{account.PasswordChange{Current: fixture.Password, New: "court", Confirm: "court"}, "new", "au moins"},
		{account.PasswordChange{Current: fixture.Password, New: pw, Confirm: pw + "!"}, "confirm", "ne correspond pas"},
		{account.PasswordChange{Current: fixture.Password, New: fixture.Password, Confirm: fixture.Password}, "new", "différent"},
		{account.PasswordChange{Current: "pas le bon mot de passe", New: pw, Confirm: pw}, "current", "incorrect"},
		{account.PasswordChange{Current: strings.Repeat("x", 100000), New: pw, Confirm: pw}, "current", "incorrect"},
	} {
		err := acc.ChangePassword(ctx, a, c.in)
		if kairos.ErrorCode(err) != kairos.EInvalid || !strings.Contains(kairos.FieldErrors(err)[c.field], c.want) {
			t.Errorf("%+v: %v (%v), want %s: %q", c.in.Current[:min(len(c.in.Current), 20)], err, kairos.FieldErrors(err), c.field, c.want)
		}
	}
	if err := acc.ChangePassword(ctx, a, account.PasswordChange{Current: fixture.Password, New: pw, Confirm: pw, KeepSession: mine}); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.Authenticate(ctx, u.Email, fixture.Password, "ip"); err == nil {
		t.Fatal("the old password still works")
	}
	if _, err := acc.Authenticate(ctx, u.Email, pw, "ip"); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	for tok, want := range map[string]bool{mine: true, elsewhere: false, theirs: true} {
		if got, _ := acc.SessionActor(ctx, tok); (got != nil) != want {
			t.Errorf("session kept %v, want %v", got != nil, want)
		}
	}
	entries, err := acc.DB.Audit(ctx, storeFilter("user.password_change"))
	if err != nil || len(entries) != 1 || entries[0].ObjectID != strconv.FormatInt(u.ID, 10) {
		t.Fatalf("audit %+v %v", entries, err)
	}
	ms, _ := mail.List(ctx, acc.DB, 50)
	found := false
	for _, m := range ms {
		if m.To == u.Email && m.Subject == "Votre mot de passe Kairos a été changé" {
			full, _ := mail.Get(ctx, acc.DB, m.ID)
			found = strings.Contains(full.Body, "a été changé le 26/11/2026 à 10:00") && strings.Contains(full.Body, "/mot-de-passe/oublie")
		}
	}
	if !found {
		t.Error("no French confirmation e-mail")
	}
}

func TestChangePasswordThrottledAndConcurrent(t *testing.T) {
	acc := fixture.MustAccounts(t)
	withClock(acc)
	ctx := context.Background()
	u := fixture.MustUser(t, acc, 0, kairos.RoleDemandeur, "de@exemple.example")
	a := u.Actor()
	const pw = "une nouvelle phrase de passe"
	for range account.MaxFailuresPerKey {
		if err := acc.ChangePassword(ctx, a, account.PasswordChange{Current: "mauvais", New: pw, Confirm: pw}); kairos.ErrorCode(err) != kairos.EInvalid {
			t.Fatal(err)
		}
	}
	err := acc.ChangePassword(ctx, a, account.PasswordChange{Current: fixture.Password, New: pw, Confirm: pw})
	if kairos.ErrorCode(err) != kairos.ETooMany || !strings.Contains(kairos.ErrorMessage(err), "réessayez dans 15 minute(s)") {
		t.Fatalf("6th try: %v", err)
	}

	// Two changes at once from the same current password: one wins.
	v := fixture.MustUser(t, acc, 0, kairos.RoleDemandeur, "v@exemple.example")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := pw + string(rune('a'+i))
			errs[i] = acc.ChangePassword(ctx, v.Actor(), account.PasswordChange{Current: fixture.Password, New: p, Confirm: p})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if c := kairos.ErrorCode(err); c != kairos.EConflict && c != kairos.EInvalid {
			t.Errorf("concurrent change: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent changes succeeded: %v", ok, errs)
	}
}
