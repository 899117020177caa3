package enrolment_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/appointments"
	"kairos/calendar"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/store"
)

type env struct {
	*fixture.World
	svc   *enrolment.Service
	clock *fixture.Clock
	of    *kairos.Actor // OF A user with candidatures
	cons  *kairos.Actor
	de    []*account.User
}

func day(d int) time.Time { return tnow.AddDate(0, 0, d) }

// Sessions of OF A: 1 [-10, +60], 2 [+30, +90] overlaps 1, 3 [+100, +200]; 4 is OF B's.
func newEnv(t testing.TB, des int) *env {
	t.Helper()
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	e := &env{World: w, clock: &fixture.Clock{T: tnow}}
	e.svc = &enrolment.Service{DB: acc.DB, Clock: e.clock.Now, Sessions: appointments.StaticSessions{
		1: {ID: 1, Intitule: "Développeur web", OrgID: w.OFA, Debut: day(-10), Fin: day(60)},
		2: {ID: 2, Intitule: "Comptable", OrgID: w.OFA, Debut: day(30), Fin: day(90)},
		3: {ID: 3, Intitule: "Soudeur", OrgID: w.OFA, Debut: day(100), Fin: day(200)},
		4: {ID: 4, Intitule: "Session de B", OrgID: w.OFB, Debut: day(0), Fin: day(50)},
	}}
	e.of = fixture.MustUser(t, acc, w.OFA, kairos.RoleOFUser, "cand@a.example", kairos.HabCandidatures).Actor()
	e.cons = w.Users[kairos.RoleConseiller].Actor()
	appts := &appointments.Service{DB: acc.DB}
	for i := 0; i < des; i++ {
		var u *account.User
		if i == 0 {
			u = w.Users[kairos.RoleDemandeur]
		} else {
			var err error
			u, err = acc.CreateUser(fixture.Ctx(), account.NewUser{Role: kairos.RoleDemandeur, Email: fmt.Sprintf("de%02d@a.example", i), Name: fmt.Sprintf("Demandeur %02d", i)})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := appts.SetDemandeur(fixture.Ctx(), u.ID, fmt.Sprintf("FT%06d", i), w.Agence, e.cons.UserID); err != nil {
			t.Fatal(err)
		}
		e.de = append(e.de, u)
	}
	return e
}

func ctx() context.Context { return fixture.Ctx() }

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantCode(t testing.TB, err error, code kairos.Code) {
	t.Helper()
	if kairos.ErrorCode(err) != code {
		t.Fatalf("error %v, want code %q", err, code)
	}
}

func today(e *env) calendar.Date { return calendar.DateOf(e.clock.T) }

func TestPathFlowAndVisibility(t *testing.T) {
	e := newEnv(t, 2)
	m := must[*enrolment.Enrolment](t)
	de := e.de[0]
	// The OF may propose only a job seeker it retained: here, the counsellor proposes.
	_, err := e.svc.Propose(ctx(), e.of, enrolment.Proposal{DemandeurID: de.ID, SessionID: 1})
	wantCode(t, err, kairos.ENotFound)
	x := m(e.svc.Propose(ctx(), e.cons, enrolment.Proposal{DemandeurID: de.ID, SessionID: 1, Comment: "Projet validé"}))
	if x.State != enrolment.StProposee || x.PlannedEntry != calendar.DateOf(day(-10)) {
		t.Fatalf("%+v", x)
	}
	_, err = e.svc.Propose(ctx(), e.cons, enrolment.Proposal{DemandeurID: de.ID, SessionID: 1})
	wantCode(t, err, kairos.EConflict) // one open enrolment per session
	// Another OF and another agence do not see it.
	_, err = e.svc.Get(ctx(), e.OFBAdmin.Actor(), x.ID)
	wantCode(t, err, kairos.ENotFound)
	_, err = e.svc.Do(ctx(), e.OFBAdmin.Actor(), x.ID, enrolment.Action{Action: "inscrire"})
	wantCode(t, err, kairos.ENotFound)
	_, err = e.svc.Get(ctx(), e.de[1].Actor(), x.ID)
	wantCode(t, err, kairos.ENotFound)
	// The assiduite-only user may not confirm.
	_, err = e.svc.Do(ctx(), e.Users[kairos.RoleOFUser].Actor(), x.ID, enrolment.Action{Action: "inscrire"})
	wantCode(t, err, kairos.EForbidden)
	x = m(e.svc.Do(ctx(), e.of, x.ID, enrolment.Action{Action: "inscrire"}))
	_, _, err = e.svc.Document(ctx(), de.Actor(), x.ID, enrolment.DocAES)
	wantCode(t, err, kairos.EConflict)
	_, ais, err := e.svc.Document(ctx(), de.Actor(), x.ID, enrolment.DocAIS)
	if err != nil || string(ais[:5]) != "%PDF-" {
		t.Fatalf("AIS: %v", err)
	}
	x = m(e.svc.Do(ctx(), e.of, x.ID, enrolment.Action{Action: "entrer", Date: today(e).AddDays(-1)}))
	if x.State != enrolment.StEntree || x.EntryOn != today(e).AddDays(-1) {
		t.Fatalf("%+v", x)
	}
	if _, _, err := e.svc.Document(ctx(), e.cons, x.ID, enrolment.DocAES); err != nil {
		t.Fatal(err)
	}
	// Absence with a PNG justificatif; a text file is refused.
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	_, err = e.svc.AddAbsence(ctx(), e.of, x.ID, enrolment.AbsenceInput{From: today(e), Minutes: 180, File: &enrolment.Upload{Name: "x.txt", Data: []byte("hello")}})
	wantCode(t, err, kairos.EInvalid)
	ab, err := e.svc.AddAbsence(ctx(), e.Users[kairos.RoleOFUser].Actor(), x.ID, enrolment.AbsenceInput{From: today(e), Minutes: 210, Justified: true, Reason: "Rendez-vous médical", File: &enrolment.Upload{Name: "certificat", Data: png}})
	if err != nil || len(ab.Files) != 1 || ab.Files[0].ContentType != "image/png" || ab.Files[0].Name != "certificat.png" {
		t.Fatalf("%+v %v", ab, err)
	}
	if _, data, err := e.svc.Justificatif(ctx(), e.cons, ab.Files[0].ID); err != nil || len(data) != len(png) {
		t.Fatalf("counsellor reads the justificatif: %v", err)
	}
	if _, _, err := e.svc.Justificatif(ctx(), e.OFBAdmin.Actor(), ab.Files[0].ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("OF B reads the justificatif: %v", err)
	}
	x = m(e.svc.Do(ctx(), e.of, x.ID, enrolment.Action{Action: "interrompre", Date: today(e), Reason: "maladie"}))
	p := must[*enrolment.Path](t)(e.svc.PathOf(ctx(), e.cons, de.ID))
	if p.Status.Code != enrolment.PathInterrupted {
		t.Fatalf("status %+v", p.Status)
	}
	e.clock.Advance(72 * time.Hour)
	_, err = e.svc.Do(ctx(), e.of, x.ID, enrolment.Action{Action: "reprendre", Date: x.InterruptedOn.AddDays(-1)})
	wantCode(t, err, kairos.EInvalid)
	x = m(e.svc.Do(ctx(), e.of, x.ID, enrolment.Action{Action: "reprendre", Date: x.InterruptedOn.AddDays(2)}))
	x = m(e.svc.Do(ctx(), e.of, x.ID, enrolment.Action{Action: "sortir", Date: today(e), Reason: "reprise_emploi"}))
	p = must[*enrolment.Path](t)(e.svc.Mine(ctx(), de.Actor()))
	if p.Status.Code != enrolment.PathExited || len(p.Enrolments) != 1 || len(p.Enrolments[0].Movements) != 6 || len(p.Enrolments[0].Absences) != 1 {
		t.Fatalf("path %+v", p)
	}
	// Correction of the entry date keeps the history.
	entry := p.Enrolments[0].Movements[2]
	_, err = e.svc.Correct(ctx(), e.of, entry.ID, entry.OccurredOn.AddDays(-1), "")
	wantCode(t, err, kairos.EInvalid)
	_, err = e.svc.Correct(ctx(), e.of, entry.ID, today(e), "Erreur de saisie")
	wantCode(t, err, kairos.EInvalid) // after the next movement
	x = m(e.svc.Correct(ctx(), e.of, entry.ID, entry.OccurredOn.AddDays(-1), "Erreur de saisie"))
	got := must[*enrolment.Enrolment](t)(e.svc.Get(ctx(), e.cons, x.ID))
	if got.EntryOn != entry.OccurredOn.AddDays(-1) || len(got.Corrections) != 1 || got.Corrections[0].Before != entry.OccurredOn.String() {
		t.Fatalf("corrected %+v", got.Corrections)
	}
	var n int
	e.DB().QueryRow(ctx(), "SELECT COUNT(*) FROM audit_log WHERE object_type IN ('enrolment', 'enrolment_movement')").Scan(&n)
	if n != 8 { // propose, inscrire, entrer, absence, interrompre, reprendre, sortir, correct
		t.Fatalf("%d audit records", n)
	}
}

func TestAcceptingMakesOverlappingProposalsObsolete(t *testing.T) {
	e := newEnv(t, 1)
	m := must[*enrolment.Enrolment](t)
	de := e.de[0]
	a := m(e.svc.Propose(ctx(), e.cons, enrolment.Proposal{DemandeurID: de.ID, SessionID: 1}))
	b := m(e.svc.Propose(ctx(), e.cons, enrolment.Proposal{DemandeurID: de.ID, SessionID: 2}))
	c := m(e.svc.Propose(ctx(), e.cons, enrolment.Proposal{DemandeurID: de.ID, SessionID: 3}))
	m(e.svc.Do(ctx(), e.of, b.ID, enrolment.Action{Action: "inscrire"}))
	if x := m(e.svc.Get(ctx(), e.cons, a.ID)); x.State != enrolment.StAnnulee || x.ClosedReason == "" {
		t.Fatalf("overlapping proposal %+v", x)
	}
	if x := m(e.svc.Get(ctx(), e.cons, c.ID)); x.State != enrolment.StProposee {
		t.Fatalf("non-overlapping proposal %+v", x)
	}
	// The counsellor refuses needs a comment; the job seeker can refuse.
	_, err := e.svc.Do(ctx(), de.Actor(), c.ID, enrolment.Action{Action: "refuser"})
	wantCode(t, err, kairos.EInvalid)
	m(e.svc.Do(ctx(), de.Actor(), c.ID, enrolment.Action{Action: "refuser", Comment: "Je préfère attendre"}))
}

// Simultaneous confirmations of overlapping enrolments of one job seeker:
// exactly one wins, on either engine.
func TestOverlapUnderConcurrency(t *testing.T) {
	e := newEnv(t, 1)
	de := e.de[0]
	var ids []int64
	for range 6 {
		// Six sessions overlapping each other.
		id := int64(10 + len(ids))
		e.svc.Sessions.(appointments.StaticSessions)[id] = appointments.SessionRef{ID: id, Intitule: "S", OrgID: e.OFA, Debut: day(5), Fin: day(40)}
		x, err := e.svc.Propose(ctx(), e.cons, enrolment.Proposal{DemandeurID: de.ID, SessionID: id})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, x.ID)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.svc.Do(ctx(), e.of, id, enrolment.Action{Action: "inscrire"})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if c := kairos.ErrorCode(err); c != kairos.EConflict {
			t.Fatalf("unexpected %v", err)
		}
	}
	var active int
	e.DB().QueryRow(ctx(), "SELECT COUNT(*) FROM enrolments WHERE demandeur_id = ? AND state = 'inscrite'", de.ID).Scan(&active)
	if ok != 1 || active != 1 {
		t.Fatalf("%d confirmations succeeded, %d active", ok, active)
	}
}

// The 3-day rule with an injected clock: an entry on Thursday is due on
// Sunday (weekends count); declaring on Monday is late.
func TestThreeDayRuleWithClock(t *testing.T) {
	e := newEnv(t, 3)
	m := must[*enrolment.Enrolment](t)
	thursday := time.Date(2026, 6, 4, 8, 0, 0, 0, time.UTC)
	if calendar.DateOf(thursday).Weekday() != time.Thursday {
		t.Fatal("not a Thursday")
	}
	e.svc.Sessions.(appointments.StaticSessions)[5] = appointments.SessionRef{ID: 5, Intitule: "Jeudi", OrgID: e.OFA, Debut: thursday, Fin: thursday.AddDate(0, 3, 0)}
	var xs []*enrolment.Enrolment
	for i := range 3 {
		x := m(e.svc.Propose(ctx(), e.cons, enrolment.Proposal{DemandeurID: e.de[i].ID, SessionID: 5}))
		xs = append(xs, m(e.svc.Do(ctx(), e.of, x.ID, enrolment.Action{Action: "inscrire"})))
	}
	dash := func() *enrolment.Dashboard { return must[*enrolment.Dashboard](t)(e.svc.Dashboard(ctx(), e.of, 5)) }
	e.clock.T = thursday
	if d := dash(); d.EntriesToday != 3 || d.DueCount != 3 || d.LateCount != 0 {
		t.Fatalf("Thursday: %+v", d)
	}
	// Sunday 23:59 in Paris: still on time.
	e.clock.T = time.Date(2026, 6, 7, 21, 59, 0, 0, time.UTC)
	if d := dash(); d.LateCount != 0 || d.DueCount != 3 {
		t.Fatalf("Sunday: %+v", d)
	}
	x0 := m(e.svc.Do(ctx(), e.of, xs[0].ID, enrolment.Action{Action: "entrer", Date: calendar.DateOf(thursday)}))
	// Monday 00:00 in Paris: late.
	e.clock.T = time.Date(2026, 6, 7, 22, 0, 0, 0, time.UTC)
	if d := dash(); d.LateCount != 2 || d.DueCount != 0 || !d.DueList[0].Late {
		t.Fatalf("Monday: %+v", d)
	}
	x1 := m(e.svc.Do(ctx(), e.of, xs[1].ID, enrolment.Action{Action: "entrer", Date: calendar.DateOf(thursday)}))
	x0 = m(e.svc.Get(ctx(), e.of, x0.ID))
	x1 = m(e.svc.Get(ctx(), e.of, x1.ID))
	if x0.Movements[2].Late || !x1.Movements[2].Late || x1.Movements[2].Deadline != calendar.NewDate(2026, 6, 7) {
		t.Fatalf("late flags %+v %+v", x0.Movements[2], x1.Movements[2])
	}
	if d := dash(); d.Declared != 2 || d.DeclaredLate != 1 || d.LateCount != 1 {
		t.Fatalf("punctuality %+v", d)
	}
	pun := must[[]enrolment.Punctuality](t)(e.svc.PunctualityByOF(ctx(), e.Users[kairos.RoleFTGestionnaire].Actor()))
	if len(pun) != 1 || pun[0].Late != 1 || pun[0].Declared != 2 {
		t.Fatalf("%+v", pun)
	}
	// Bulk entry of the last one, a day later (late too), and of a stranger.
	n, failed, err := e.svc.EnterAll(ctx(), e.of, 5, []int64{xs[2].ID, xs[0].ID}, calendar.DateOf(thursday).AddDays(1))
	if err != nil || n != 1 || len(failed) != 1 {
		t.Fatalf("bulk %d %v %v", n, failed, err)
	}
}

// Property: any sequence of random allowed actions keeps the invariants:
// at most one active enrolment per job seeker and period, and each
// enrolment's dated movements are ordered.
func TestPropertyRandomActions(t *testing.T) {
	e := newEnv(t, 4)
	ss := e.svc.Sessions.(appointments.StaticSessions)
	for i := int64(20); i < 28; i++ {
		start := int(i-20) * 12
		ss[i] = appointments.SessionRef{ID: i, Intitule: fmt.Sprint("S", i), OrgID: e.OFA, Debut: day(start), Fin: day(start + 20 + int(i%3)*15)}
	}
	r := rand.New(rand.NewPCG(1, 2))
	steps := 400
	if testing.Short() {
		steps = 150
	}
	var ids []int64
	applied := 0
	for step := 0; step < steps; step++ {
		if r.IntN(4) == 0 {
			e.clock.Advance(time.Duration(r.IntN(3)) * 24 * time.Hour)
		}
		if len(ids) == 0 || r.IntN(5) == 0 {
			x, err := e.svc.Propose(ctx(), e.cons, enrolment.Proposal{DemandeurID: e.de[r.IntN(len(e.de))].ID, SessionID: 20 + int64(r.IntN(8))})
			if err == nil {
				ids = append(ids, x.ID)
				applied++
			}
			continue
		}
		id := ids[r.IntN(len(ids))]
		x, err := e.svc.Get(ctx(), e.of, id)
		if err != nil {
			t.Fatal(err)
		}
		offered := enrolment.Offered(x.State, e.of)
		if len(offered) == 0 {
			continue
		}
		tr := offered[r.IntN(len(offered))]
		in := enrolment.Action{Action: tr.Action, Comment: "c", Date: today(e).AddDays(-r.IntN(6))}
		switch tr.Action {
		case "interrompre":
			in.Reason = enrolment.InterruptionReasons[r.IntN(6)].Code
		case "sortir":
			in.Reason = enrolment.ExitReasons[r.IntN(7)].Code
		}
		if _, err := e.svc.Do(ctx(), e.of, id, in); err == nil {
			applied++
		} else if c := kairos.ErrorCode(err); c != kairos.EInvalid && c != kairos.EConflict {
			t.Fatalf("step %d: %v", step, err)
		}
		if step%25 == 0 {
			checkInvariants(t, e.DB())
		}
	}
	checkInvariants(t, e.DB())
	if applied < steps/6 {
		t.Fatalf("only %d actions applied", applied)
	}
}

func checkInvariants(t *testing.T, db *store.DB) {
	t.Helper()
	var n int
	if err := db.QueryRow(ctx(), `SELECT COUNT(*) FROM enrolments a JOIN enrolments b ON a.demandeur_id = b.demandeur_id AND a.id < b.id
		WHERE a.state IN ('inscrite', 'entree', 'interrompue') AND b.state IN ('inscrite', 'entree', 'interrompue')
		AND a.session_debut <= b.session_fin AND b.session_debut <= a.session_fin`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d pairs of overlapping active enrolments", n)
	}
	rows, err := db.Query(ctx(), `SELECT enrolment_id, action, occurred_on FROM enrolment_movements WHERE action IN ('entrer', 'interrompre', 'reprendre', 'sortir') ORDER BY enrolment_id, id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var prevID, prev int64
	for rows.Next() {
		var id, on int64
		var action string
		rows.Scan(&id, &action, &on)
		if id == prevID && (on < prev || (action == "reprendre" && on <= prev)) {
			t.Fatalf("enrolment %d: %s on %d before %d", id, action, on, prev)
		}
		prevID, prev = id, on
	}
	if err := db.QueryRow(ctx(), `SELECT COUNT(*) FROM enrolments WHERE (entry_on <> 0 AND entry_on < session_debut) OR (exit_on <> 0 AND exit_on < entry_on)
		OR (state = 'sortie' AND exit_on = 0) OR (state IN ('entree', 'interrompue', 'sortie') AND entry_on = 0)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d enrolments with disordered dates (%v)", n, err)
	}
}
