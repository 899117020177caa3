package adhesion_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/adhesion"
	"kairos/fixture"
	"kairos/mail"
	"kairos/siret"
)

// luhnComplete appends the digit that makes prefix Luhn-valid.
func luhnComplete(prefix string) string {
	for d := '0'; d <= '9'; d++ {
		if siret.Luhn(prefix + string(d)) {
			return prefix + string(d)
		}
	}
	panic("unreachable")
}

// genSIRET returns a distinct valid SIRET (valid SIREN, valid SIRET key) for n.
func genSIRET(n int) string {
	siren := luhnComplete(fmt.Sprintf("8%07d", n))
	return luhnComplete(siren + "0001")
}

var now = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

type env struct {
	*fixture.World
	svc   *adhesion.Service
	clock *fixture.Clock
	ctx   context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	acc := fixture.MustAccounts(t)
	clock := &fixture.Clock{T: now}
	acc.Clock = clock.Now
	w := fixture.MustWorld(t, acc)
	return &env{World: w, svc: adhesion.New(acc), clock: clock, ctx: fixture.Ctx()}
}

func application(n int) adhesion.Application {
	return adhesion.Application{
		RaisonSociale: fmt.Sprintf("Organisme n°%d", n), SIRET: genSIRET(n), NDA: "76310123456",
		Address: "12 rue des Lilas", PostalCode: "31000", City: "Toulouse", Region: "76",
		RGCName: "Alice Durand", RGCEmail: fmt.Sprintf("rgc%d@of%d.example", n, n), RGCPhone: "05 61 00 00 00",
		QualiopiNumber: "QUALIOPI-2025-001", QualiopiCertifier: "AFNOR Certification",
		QualiopiFrom: "2025-01-15", QualiopiUntil: "2028-01-14", AcceptConditions: true,
	}
}

func mails(t *testing.T, e *env, to string) []mail.Mail {
	t.Helper()
	all, err := mail.List(context.Background(), e.DB(), 500)
	if err != nil {
		t.Fatal(err)
	}
	var out []mail.Mail
	for _, m := range all {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

func actorOf(e *env, role kairos.Role) *kairos.Actor { return e.Users[role].Actor() }

// TestTransitionTableEveryCombination checks the pure table against every
// (state, action, role): allowed exactly when the table lists the role and
// the state; otherwise forbidden (role) or conflict (state).
func TestTransitionTableEveryCombination(t *testing.T) {
	okCert := &adhesion.Certificate{ValidFrom: now.AddDate(-1, 0, 0), ValidUntil: now.AddDate(1, 0, 0)}
	n := 0
	for _, st := range adhesion.States {
		for _, tr := range adhesion.Transitions {
			for _, role := range kairos.Roles {
				a := &adhesion.Adhesion{State: st, Qualiopi: okCert}
				_, err := adhesion.Check(a, tr.Action, role, now)
				want := kairos.Code("")
				switch {
				case !slices.Contains(tr.Roles, role):
					want = kairos.EForbidden
				case !slices.Contains(tr.From, st):
					want = kairos.EConflict
				}
				if got := kairos.ErrorCode(err); got != want {
					t.Errorf("(%s, %s, %s): %v, want %q", st, tr.Action, role, err, want)
				}
				n++
			}
		}
	}
	if n != len(adhesion.States)*len(adhesion.Transitions)*len(kairos.Roles) || n < 300 {
		t.Fatalf("%d combinations", n)
	}
	// Expiree is terminal for everyone; the guard blocks validation without a valid Qualiopi.
	for _, role := range kairos.Roles {
		if got := adhesion.Allowed(&adhesion.Adhesion{State: adhesion.Expiree, Qualiopi: okCert}, role, now); len(got) != 0 {
			t.Errorf("%s may act on an expired adhesion: %v", role, got)
		}
	}
	expired := &adhesion.Certificate{ValidFrom: now.AddDate(-3, 0, 0), ValidUntil: now.AddDate(0, 0, -1)}
	_, err := adhesion.Check(&adhesion.Adhesion{State: adhesion.EnInstruction, Qualiopi: expired}, adhesion.Valider, kairos.RoleFTGestionnaire, now)
	if kairos.ErrorCode(err) != kairos.EConflict || !strings.Contains(kairos.ErrorMessage(err), "Qualiopi") {
		t.Fatalf("guard: %v", err)
	}
	if _, err := adhesion.Check(&adhesion.Adhesion{State: adhesion.Demandee}, "inventer", kairos.RoleFTGestionnaire, now); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Fatalf("unknown action: %v", err)
	}
}

// TestDecideEveryCombination runs every (state, action, role) through the
// service on the database: allowed ones change the state, write the history
// and e-mail the OF; denied ones change nothing.
func TestDecideEveryCombination(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	n := 0
	for _, st := range adhesion.States {
		for _, tr := range adhesion.Transitions {
			for _, role := range kairos.Roles {
				n++
				id := e.insertInState(t, n, st)
				reason := ""
				if tr.ReasonRequired {
					reason = "Motif de test"
				}
				actor := actorOf(e, role)
				got, err := e.svc.Decide(kairos.WithActor(ctx, actor), actor, id, tr.Action, reason)
				allowed := slices.Contains(tr.Roles, role) && slices.Contains(tr.From, st)
				if allowed != (err == nil) {
					t.Errorf("(%s, %s, %s): allowed=%v, err=%v", st, tr.Action, role, allowed, err)
					continue
				}
				a, gerr := e.svc.Get(ctx, actorOf(e, kairos.RoleFTGestionnaire), id)
				if gerr != nil {
					t.Fatal(gerr)
				}
				if !allowed {
					if a.State != st {
						t.Errorf("(%s, %s, %s) denied but state is now %s", st, tr.Action, role, a.State)
					}
					continue
				}
				if got.State != tr.To {
					t.Errorf("(%s, %s, %s): state %s, want %s", st, tr.Action, role, got.State, tr.To)
				}
				h, _ := e.svc.History(ctx, id)
				if last := h[len(h)-1]; last.Action != string(tr.Action) || last.From != st || last.To != tr.To || last.Reason != reason {
					t.Errorf("(%s, %s, %s): history %+v", st, tr.Action, role, last)
				}
				if len(mails(t, e, a.RGCEmail)) == 0 {
					t.Errorf("(%s, %s, %s): OF not notified", st, tr.Action, role)
				}
			}
		}
	}
}

// insertInState creates an adhesion of OF A directly in state st (expiree:
// validated, validity ended).
func (e *env) insertInState(t *testing.T, n int, st adhesion.State) int64 {
	t.Helper()
	stored := st
	var from, until any
	conv := any(nil)
	if st == adhesion.Validee || st == adhesion.Suspendue || st == adhesion.Resiliee || st == adhesion.Expiree {
		from, until = now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0)
		conv = fmt.Sprintf("KAI-TEST-%06d", n)
	}
	if st == adhesion.Expiree {
		stored = adhesion.Validee
		from, until = now.AddDate(-3, 0, -1), now.AddDate(0, 0, -1)
	}
	id, err := e.DB().Insert(e.ctx, `INSERT INTO adhesions (state, raison_sociale, siret, siren, nda, address, postal_code, city, region,
		rgc_name, rgc_email, token_hash, conditions_at, org_id, convention_number, valid_from, valid_until, submitted_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 'adresse', '31000', 'Toulouse', '76', 'RGC', ?, 'x', ?, ?, ?, ?, ?, ?, ?)`,
		stored, "Organisme A", genSIRET(n), genSIRET(n)[:9], "76310123456", fmt.Sprintf("rgc%d@a.example", n), now, e.OFA, conv, from, until, now, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB().Exec(e.ctx, `INSERT INTO qualiopi_certificates (adhesion_id, number, certifier, valid_from, valid_until, created_at, created_by)
		VALUES (?, 'Q1', 'AFNOR', ?, ?, ?, 'test')`, id, adhesion.Day(now.AddDate(-1, 0, 0)), adhesion.Day(now.AddDate(1, 0, 0)), now); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSubmitValidatesEveryField(t *testing.T) {
	e := newEnv(t)
	_, _, err := e.svc.Submit(e.ctx, adhesion.Application{SIRET: "73282932000075", NDA: "123", PostalCode: "3100", RGCEmail: "x@", QualiopiFrom: "2025-02-01", QualiopiUntil: "2025-01-01"})
	fields := kairos.FieldErrors(err)
	for _, f := range []string{"raison_sociale", "siret", "nda", "adresse", "code_postal", "ville", "region", "rgc_nom", "rgc_email", "qualiopi_numero", "qualiopi_certificateur", "qualiopi_fin", "conditions"} {
		if fields[f] == "" {
			t.Errorf("no error for %s (%v)", f, fields)
		}
	}
	in := application(1)
	in.QualiopiUntil = "2026-11-25" // the day before today
	_, _, err = e.svc.Submit(e.ctx, in)
	if !strings.Contains(kairos.FieldErrors(err)["qualiopi_fin"], "expiré") {
		t.Fatalf("expired Qualiopi: %v", err)
	}
}

func TestSubmitValidateThenRGCAndCanTrade(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	in := application(7)
	in.SIRET = "732 829 320 00074"
	a, token, err := e.svc.Submit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != adhesion.Demandee || a.SIREN != "732829320" || a.Reference != adhesion.Reference(a.ID) || token == "" {
		t.Fatalf("submitted %+v", a)
	}
	if got, err := e.svc.ByToken(ctx, a.ID, token); err != nil || got.ID != a.ID {
		t.Fatalf("by token: %v", err)
	}
	if _, err := e.svc.ByToken(ctx, a.ID, "faux"); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("wrong token: %v", err)
	}
	// A second request for the same SIRET is refused, with the reason on the field.
	_, _, err = e.svc.Submit(ctx, in)
	if kairos.ErrorCode(err) != kairos.EConflict || !strings.Contains(kairos.FieldErrors(err)["siret"], "déjà en cours") {
		t.Fatalf("duplicate: %v", err)
	}
	ft := actorOf(e, kairos.RoleFTGestionnaire)
	fctx := kairos.WithActor(ctx, ft)
	if _, err := e.svc.Decide(fctx, ft, a.ID, adhesion.Instruire, ""); err != nil {
		t.Fatal(err)
	}
	v, err := e.svc.Decide(fctx, ft, a.ID, adhesion.Valider, "")
	if err != nil {
		t.Fatal(err)
	}
	if v.State != adhesion.Validee || v.OrgID == 0 || v.ConventionNumber != fmt.Sprintf("KAI-2026-76-%06d", a.ID) ||
		!v.ValidUntil.Equal(now.AddDate(3, 0, 0)) {
		t.Fatalf("validated %+v", v)
	}
	rgc, err := e.Acc.UserByEmail(ctx, in.RGCEmail)
	if err != nil || rgc.Role != kairos.RoleOFAdmin || rgc.OrgID != v.OrgID || rgc.Status != "invited" {
		t.Fatalf("rgc %+v %v", rgc, err)
	}
	org, _ := e.Acc.Organisation(ctx, v.OrgID)
	if org.Kind != kairos.OrgOF || org.SIRET != "73282932000074" || org.Region != "76" {
		t.Fatalf("org %+v", org)
	}
	var subjects []string
	for _, m := range mails(t, e, in.RGCEmail) {
		subjects = append(subjects, m.Subject)
	}
	for _, want := range []string{"Activez votre compte Kairos", "Votre adhésion à Kairos est validée", "est en instruction", "reçue"} {
		if !strings.Contains(strings.Join(subjects, "|"), want) {
			t.Errorf("no mail %q in %v", want, subjects)
		}
	}
	// Now active: a new request for the SIRET is refused with that reason.
	_, _, err = e.svc.Submit(ctx, in)
	if !strings.Contains(kairos.FieldErrors(err)["siret"], "adhésion active") {
		t.Fatalf("active: %v", err)
	}
	if ok, reason, err := e.svc.CanTrade(ctx, v.OrgID); !ok || reason != "" || err != nil {
		t.Fatalf("can trade: %v %q %v", ok, reason, err)
	}
	// Suspended: not allowed, with the reason.
	if _, err := e.svc.Decide(fctx, ft, a.ID, adhesion.Suspendre, ""); kairos.FieldErrors(err)["motif"] == "" {
		t.Fatalf("suspension without reason: %v", err)
	}
	if _, err := e.svc.Decide(fctx, ft, a.ID, adhesion.Suspendre, "Contrôle en cours"); err != nil {
		t.Fatal(err)
	}
	if ok, reason, _ := e.svc.CanTrade(ctx, v.OrgID); ok || !strings.Contains(reason, "suspendue") || !strings.Contains(reason, "Contrôle en cours") {
		t.Fatalf("suspended: %v %q", ok, reason)
	}
	if _, err := e.svc.Decide(fctx, ft, a.ID, adhesion.Reactiver, ""); err != nil {
		t.Fatal(err)
	}
	// Qualiopi expired: not allowed; renewal (history kept) makes it allowed again.
	e.clock.T = time.Date(2028, 1, 15, 9, 0, 0, 0, time.UTC)
	if ok, reason, _ := e.svc.CanTrade(ctx, v.OrgID); ok || !strings.Contains(reason, "Qualiopi") || !strings.Contains(reason, "14/01/2028") {
		t.Fatalf("qualiopi expired: %v %q", ok, reason)
	}
	rgcActor := rgc.Actor()
	if _, err := e.svc.RenewQualiopi(ctx, rgcActor, adhesion.QualiopiInput{Number: "Q-2028", Certifier: "Bureau Veritas", From: "2028-01-10", Until: "2031-01-09"}); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := e.svc.CanTrade(ctx, v.OrgID); !ok {
		t.Fatal("renewed certificate not taken into account")
	}
	certs, _ := e.svc.Certificates(ctx, a.ID)
	if len(certs) != 2 || certs[0].Number != "Q-2028" {
		t.Fatalf("certificates %+v", certs)
	}
	if _, err := e.svc.RenewQualiopi(ctx, actorOf(e, kairos.RoleOFUser), adhesion.QualiopiInput{}); kairos.ErrorCode(err) != kairos.EForbidden {
		t.Fatalf("of_user renewal: %v", err)
	}
	// Three years after validation: expiree, derived.
	e.clock.T = now.AddDate(3, 0, 1)
	got, _ := e.svc.Get(ctx, ft, a.ID)
	if got.State != adhesion.Expiree {
		t.Fatalf("state %s", got.State)
	}
	if ok, reason, _ := e.svc.CanTrade(ctx, v.OrgID); ok || !strings.Contains(reason, "expiré") {
		t.Fatalf("expired: %v %q", ok, reason)
	}
	// Expired: the SIRET may apply again.
	in.RGCEmail = "nouveau.rgc@of7.example"
	in.QualiopiFrom, in.QualiopiUntil = "2029-06-01", "2032-05-31"
	if _, _, err := e.svc.Submit(ctx, in); err != nil {
		t.Fatalf("new request after expiry: %v", err)
	}
}

func TestRefusalCarriesReasonAndIsolation(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	a, _, err := e.svc.Submit(ctx, application(3))
	if err != nil {
		t.Fatal(err)
	}
	ft := actorOf(e, kairos.RoleFTGestionnaire)
	r, err := e.svc.Decide(ctx, ft, a.ID, adhesion.Refuser, "NDA inconnu de la DREETS")
	if err != nil || r.State != adhesion.Refusee || r.Reason != "NDA inconnu de la DREETS" {
		t.Fatalf("refused %+v %v", r, err)
	}
	m := mails(t, e, a.RGCEmail)
	if !strings.Contains(m[0].Body, "Motif : NDA inconnu de la DREETS") {
		t.Fatalf("refusal mail %q", m[0].Body)
	}
	// A refused SIRET may apply again.
	if _, _, err := e.svc.Submit(ctx, application(3)); err != nil {
		t.Fatal(err)
	}
	// Another region's manager does not see it; neither does an OF.
	other := fixture.MustOrg(t, e.Acc, kairos.OrgFTService, "DR Bretagne")
	e.DB().Exec(ctx, "UPDATE organisations SET region = '53' WHERE id = ?", other)
	bzh := fixture.MustUser(t, e.Acc, other, kairos.RoleFTGestionnaire, "ft@bretagne.example").Actor()
	if _, err := e.svc.Get(ctx, bzh, a.ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("other region: %v", err)
	}
	if _, err := e.svc.Get(ctx, actorOf(e, kairos.RoleOFAdmin), a.ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("OF: %v", err)
	}
	list, total, err := e.svc.List(ctx, bzh, adhesion.Filter{})
	if err != nil || total != 0 || len(list) != 0 {
		t.Fatalf("other region's queue: %d %v", total, err)
	}
	list, total, _ = e.svc.List(ctx, ft, adhesion.Filter{State: adhesion.Demandee})
	if total != 1 || list[0].State != adhesion.Demandee {
		t.Fatalf("queue %d", total)
	}
	if _, _, err := e.svc.List(ctx, actorOf(e, kairos.RoleConseiller), adhesion.Filter{}); kairos.ErrorCode(err) != kairos.EForbidden {
		t.Fatalf("conseiller: %v", err)
	}
}

func TestQualiopiRemindersSentOnce(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	in := application(5)
	in.QualiopiUntil = "2027-01-20" // 55 days after now
	a, _, err := e.svc.Submit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	ft := actorOf(e, kairos.RoleFTGestionnaire)
	e.svc.Decide(ctx, ft, a.ID, adhesion.Instruire, "")
	if _, err := e.svc.Decide(ctx, ft, a.ID, adhesion.Valider, ""); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n := 0
		for _, m := range mails(t, e, in.RGCEmail) {
			if strings.Contains(m.Subject, "Qualiopi expire") {
				n++
			}
		}
		return n
	}
	for i := range 2 {
		if sent, err := e.svc.RemindQualiopi(ctx); err != nil || sent != 1-i {
			t.Fatalf("run %d at 55 days: %d %v", i, sent, err)
		}
	}
	if count() != 1 {
		t.Fatalf("%d reminders at 60 days", count())
	}
	e.clock.T = time.Date(2027, 1, 8, 9, 0, 0, 0, time.UTC) // 12 days left
	e.svc.RemindQualiopi(ctx)
	e.svc.RemindQualiopi(ctx)
	if count() != 2 {
		t.Fatalf("%d reminders after 15 days", count())
	}
}
