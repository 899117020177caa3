package account_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/fixture"
	"kairos/mail"
)

func TestPasswordHash(t *testing.T) {
	h := account.HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash %q", h)
	}
	if !account.CheckPassword(h, "correct horse battery") || account.CheckPassword(h, "correct horse batterY") {
		t.Fatal("check is wrong")
	}
	if account.HashPassword("x") == account.HashPassword("x") {
		t.Fatal("hash is not salted")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=1,t=1,p=1$$", "plaintext"} {
		if account.CheckPassword(bad, "") {
			t.Errorf("accepted malformed hash %q", bad)
		}
	}
}

func withClock(acc *account.Service) *fixture.Clock {
	c := &fixture.Clock{T: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	acc.Clock = c.Now
	return c
}

func TestLoginThrottledAfterFiveFailures(t *testing.T) {
	acc := fixture.MustAccounts(t)
	c := withClock(acc)
	ctx := context.Background()
	org := fixture.MustOrg(t, acc, kairos.OrgOF, "OF")
	fixture.MustUser(t, acc, org, kairos.RoleOFAdmin, "rgc@of.example")
	for i := range account.MaxFailuresPerKey {
		_, err := acc.Authenticate(ctx, "RGC@of.example", "mauvais mot de passe", "192.0.2.1")
		if kairos.ErrorCode(err) != kairos.EUnauthorized {
			t.Fatalf("failure %d: %v", i+1, err)
		}
		c.Advance(time.Second)
	}
	// Even the right password is refused now, from any address.
	_, err := acc.Authenticate(ctx, "rgc@of.example", fixture.Password, "198.51.100.9")
	if kairos.ErrorCode(err) != kairos.ETooMany {
		t.Fatalf("sixth attempt: %v", err)
	}
	c.Advance(account.ThrottleWindow)
	if _, err := acc.Authenticate(ctx, "rgc@of.example", fixture.Password, "192.0.2.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// A success resets the count.
	for range account.MaxFailuresPerKey - 1 {
		acc.Authenticate(ctx, "rgc@of.example", "faux", "192.0.2.1")
	}
	if _, err := acc.Authenticate(ctx, "rgc@of.example", fixture.Password, "192.0.2.1"); err != nil {
		t.Fatalf("four failures must not throttle: %v", err)
	}
}

func TestUnknownEmailAndDisabledUser(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	ctx := context.Background()
	if _, err := acc.Authenticate(ctx, "personne@nulle.part", "x", "ip"); kairos.ErrorCode(err) != kairos.EUnauthorized {
		t.Fatalf("unknown: %v", err)
	}
	admin := w.Users[kairos.RoleOFAdmin].Actor()
	if _, err := acc.SetStatus(ctx, admin, w.Users[kairos.RoleOFUser].ID, true); err != nil {
		t.Fatal(err)
	}
	_, err := acc.Authenticate(ctx, w.Users[kairos.RoleOFUser].Email, fixture.Password, "ip")
	if kairos.ErrorCode(err) != kairos.EForbidden {
		t.Fatalf("disabled user: %v", err)
	}
}

func TestSessions(t *testing.T) {
	acc := fixture.MustAccounts(t)
	c := withClock(acc)
	ctx := context.Background()
	u := fixture.MustUser(t, acc, 0, kairos.RoleDemandeur, "de@exemple.example")
	tok, err := acc.CreateSession(ctx, u.ID, "ip", "ua")
	if err != nil {
		t.Fatal(err)
	}
	a, err := acc.SessionActor(ctx, tok)
	if err != nil || a == nil || a.UserID != u.ID || a.Role != kairos.RoleDemandeur {
		t.Fatalf("actor %+v %v", a, err)
	}
	tok2, _ := acc.CreateSession(ctx, u.ID, "ip", "ua")
	if tok2 == tok {
		t.Fatal("session tokens repeat")
	}
	// Idle expiry, extended by use.
	c.Advance(account.SessionIdle - time.Minute)
	if a, _ := acc.SessionActor(ctx, tok); a == nil {
		t.Fatal("expired too early")
	}
	c.Advance(account.SessionIdle - time.Minute)
	if a, _ := acc.SessionActor(ctx, tok); a == nil {
		t.Fatal("use did not extend the session")
	}
	if a, _ := acc.SessionActor(ctx, tok2); a != nil {
		t.Fatal("unused session did not expire")
	}
	if err := acc.DeleteSession(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if a, _ := acc.SessionActor(ctx, tok); a != nil {
		t.Fatal("session survived logout")
	}
	if a, _ := acc.SessionActor(ctx, "forged"); a != nil {
		t.Fatal("forged token accepted")
	}
}

var linkRE = regexp.MustCompile(`/mot-de-passe/nouveau\?token=([A-Za-z0-9_-]+)`)

// MustLastLink returns the token of the last link mailed to addr.
func MustLastLink(tb testing.TB, acc *account.Service, addr string) string {
	tb.Helper()
	mails, err := mail.List(context.Background(), acc.DB, 50)
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range mails {
		if m.To == addr {
			if sm := linkRE.FindStringSubmatch(m.Body); sm != nil {
				return sm[1]
			}
		}
	}
	tb.Fatalf("no link mailed to %s", addr)
	return ""
}

func TestInvitationFlow(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	ctx := context.Background()
	admin := w.Users[kairos.RoleOFAdmin].Actor()
	u, err := acc.Invite(ctx, admin, " Nouvelle.Recrue@A.example ", "Nouvelle Recrue", kairos.HabSet{kairos.HabAssiduite})
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != account.StatusInvited || u.Email != "nouvelle.recrue@a.example" || u.OrgID != w.OFA || !u.Habilitations.Has(kairos.HabAssiduite) {
		t.Fatalf("invited user %+v", u)
	}
	if _, err := acc.Authenticate(ctx, u.Email, "", "ip"); err == nil {
		t.Fatal("invited user logged in without password")
	}
	tok := MustLastLink(t, acc, u.Email)
	if _, err := acc.SetPasswordWithToken(ctx, tok, "court"); kairos.ErrorCode(err) != kairos.EInvalid || kairos.FieldErrors(err)["password"] == "" {
		t.Fatalf("short password: %v", err)
	}
	if _, err := acc.SetPasswordWithToken(ctx, tok, "une phrase de passe solide"); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.SetPasswordWithToken(ctx, tok, "une autre phrase de passe"); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Fatalf("token reused: %v", err)
	}
	got, err := acc.Authenticate(ctx, u.Email, "une phrase de passe solide", "ip")
	if err != nil || got.Status != account.StatusActive {
		t.Fatalf("login after activation: %v %+v", err, got)
	}
	// Same e-mail twice: field error.
	_, err = acc.Invite(ctx, admin, u.Email, "Doublon", nil)
	if kairos.FieldErrors(err)["email"] == "" {
		t.Fatalf("duplicate: %v", err)
	}
	// Only the account manager invites.
	if _, err := acc.Invite(ctx, w.Users[kairos.RoleOFUser].Actor(), "x@a.example", "X", nil); kairos.ErrorCode(err) != kairos.EForbidden {
		t.Fatalf("of_user invited: %v", err)
	}
}

func TestPasswordResetEndsSessionsAndExpires(t *testing.T) {
	acc := fixture.MustAccounts(t)
	c := withClock(acc)
	ctx := context.Background()
	u := fixture.MustUser(t, acc, 0, kairos.RoleDemandeur, "de@exemple.example")
	sess, _ := acc.CreateSession(ctx, u.ID, "ip", "ua")
	if err := acc.RequestPasswordReset(ctx, "inconnu@exemple.example"); err != nil {
		t.Fatalf("unknown address must look the same: %v", err)
	}
	if err := acc.RequestPasswordReset(ctx, u.Email); err != nil {
		t.Fatal(err)
	}
	tok := MustLastLink(t, acc, u.Email)
	c.Advance(account.ResetTTL + time.Second)
	if _, err := acc.SetPasswordWithToken(ctx, tok, "nouvelle phrase de passe"); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Fatalf("expired token accepted: %v", err)
	}
	acc.RequestPasswordReset(ctx, u.Email)
	tok = MustLastLink(t, acc, u.Email)
	if _, err := acc.SetPasswordWithToken(ctx, tok, "nouvelle phrase de passe"); err != nil {
		t.Fatal(err)
	}
	if a, _ := acc.SessionActor(ctx, sess); a != nil {
		t.Fatal("session survived a password reset")
	}
	if _, err := acc.Authenticate(ctx, u.Email, "nouvelle phrase de passe", "ip"); err != nil {
		t.Fatal(err)
	}
}

func TestTenantIsolation(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	ctx := context.Background()
	a := w.Users[kairos.RoleOFAdmin].Actor()
	if _, err := acc.OrgUser(ctx, a, w.OFBUser.ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Errorf("read other OF's user: %v", err)
	}
	if _, err := acc.SetHabilitations(ctx, a, w.OFBUser.ID, kairos.HabSet{kairos.HabDevis}); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Errorf("set other OF's habilitations: %v", err)
	}
	if _, err := acc.SetStatus(ctx, a, w.OFBUser.ID, true); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Errorf("disable other OF's user: %v", err)
	}
	if err := acc.ResendActivation(ctx, a, w.OFBUser.ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Errorf("resend to other OF's user: %v", err)
	}
	keyB, _, err := acc.CreateAPIKey(ctx, w.OFBAdmin.Actor(), w.OFB, "Logiciel B")
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.RevokeAPIKey(ctx, a, keyB.ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Errorf("revoke other OF's key: %v", err)
	}
	if _, _, err := acc.CreateAPIKey(ctx, a, w.OFB, "Intrus"); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Errorf("create key for other OF: %v", err)
	}
	users, total, err := acc.Users(ctx, account.UserFilter{OrgID: w.OFA})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.OrgID != w.OFA {
			t.Errorf("listed user of org %d", u.OrgID)
		}
	}
	if total != 2 {
		t.Errorf("OF A has %d users, want 2", total)
	}
}

func TestHabilitations(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	ctx := context.Background()
	a := w.Users[kairos.RoleOFAdmin].Actor()
	u, err := acc.SetHabilitations(ctx, a, w.Users[kairos.RoleOFUser].ID, kairos.HabSet{kairos.HabDevis, kairos.HabRDV})
	if err != nil {
		t.Fatal(err)
	}
	if u.Habilitations.String() != "rdv,devis" {
		t.Fatalf("habilitations %q", u.Habilitations)
	}
	if !u.Actor().Can(kairos.HabDevis) || u.Actor().Can(kairos.HabAssiduite) || !a.Can(kairos.HabFacturation) {
		t.Fatal("Can is wrong")
	}
	if _, err := acc.SetHabilitations(ctx, a, a.UserID, nil); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Fatalf("habilitations of the account manager: %v", err)
	}
	entries, err := acc.DB.Audit(ctx, storeFilter("user.habilitations"))
	if err != nil || len(entries) != 1 || !strings.Contains(entries[0].Before, "assiduite") || !strings.Contains(entries[0].After, "devis") {
		t.Fatalf("audit %+v %v", entries, err)
	}
}

func TestAPIKeys(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	ctx := context.Background()
	a := w.Users[kairos.RoleOFAdmin].Actor()
	k, tok, err := acc.CreateAPIKey(ctx, a, w.OFA, "Logiciel de gestion")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, account.APIKeyPrefix) || !strings.HasPrefix(tok, k.Prefix) {
		t.Fatalf("token %q prefix %q", tok, k.Prefix)
	}
	var stored int
	acc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM api_keys WHERE token_hash = ?", tok).Scan(&stored)
	if stored != 0 {
		t.Fatal("token stored in clear")
	}
	actor, err := acc.APIKeyActor(ctx, tok)
	if err != nil || actor.OrgID != w.OFA || actor.APIKeyID != k.ID {
		t.Fatalf("actor %+v %v", actor, err)
	}
	if _, err := acc.APIKeyActor(ctx, tok+"x"); kairos.ErrorCode(err) != kairos.EUnauthorized {
		t.Fatalf("forged key: %v", err)
	}
	if err := acc.RevokeAPIKey(ctx, a, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.APIKeyActor(ctx, tok); kairos.ErrorCode(err) != kairos.EUnauthorized {
		t.Fatalf("revoked key: %v", err)
	}
	if err := acc.RevokeAPIKey(ctx, a, k.ID); kairos.ErrorCode(err) != kairos.EConflict {
		t.Fatalf("revoke twice: %v", err)
	}
	if _, _, err := acc.CreateAPIKey(ctx, w.Users[kairos.RoleOFUser].Actor(), w.OFA, "x"); kairos.ErrorCode(err) != kairos.EForbidden {
		t.Fatalf("of_user created a key: %v", err)
	}
}

func TestCreateUserValidation(t *testing.T) {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	cases := []struct {
		name  string
		n     account.NewUser
		field string
	}{
		{"bad email", account.NewUser{Role: kairos.RoleDemandeur, Email: "pas-une-adresse", Name: "X"}, "email"},
		{"no name", account.NewUser{Role: kairos.RoleDemandeur, Email: "x@y.example"}, "name"},
		{"unknown role", account.NewUser{Role: "chef", Email: "x@y.example", Name: "X"}, "role"},
		{"OF role without org", account.NewUser{Role: kairos.RoleOFUser, Email: "x@y.example", Name: "X"}, "org"},
		{"role in wrong kind of org", account.NewUser{Role: kairos.RoleConseiller, OrgID: w.OFA, Email: "x@y.example", Name: "X"}, "org"},
		{"demandeur with org", account.NewUser{Role: kairos.RoleDemandeur, OrgID: w.OFA, Email: "x@y.example", Name: "X"}, "org"},
		{"short password", account.NewUser{Role: kairos.RoleDemandeur, Email: "x@y.example", Name: "X", Password: "court"}, "password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := acc.CreateUser(fixture.Ctx(), c.n)
			if kairos.FieldErrors(err)[c.field] == "" {
				t.Fatalf("want error on %s, got %v", c.field, err)
			}
		})
	}
}
