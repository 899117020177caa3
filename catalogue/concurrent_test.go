package catalogue_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/appointments"
	"kairos/attestations"
	"kairos/calendar"
	"kairos/catalogue"
	"kairos/enrolment"
	"kairos/fixture"
	"kairos/lheo/lheotest"
)

// While an import decodes and stages a file (here: stopped in the middle of
// it, from the goroutine that reads the file), other writers are not
// refused: a login (attempt, session) and an attestation succeed. Under the
// previous design (the whole import in one transaction holding SQLite's
// write lock) each of them waited for the lock and failed with
// SQLITE_BUSY once the busy timeout had passed.
// writersWorld is an OF with 12 trainees entered on 2 March 2026 (to attest
// in March), the catalogue, accounts and attestations services on one
// database.
type writersWorld struct {
	acc   *account.Service
	cat   *catalogue.Service
	att   *attestations.Service
	of    *kairos.Actor
	ids   []int64
	email string
}

func mustWritersWorld(t *testing.T) writersWorld {
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	now := time.Date(2026, 4, 3, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	acc.Clock = clock
	cat := &catalogue.Service{DB: acc.DB, Clock: clock}
	enr := &enrolment.Service{DB: acc.DB, Clock: clock, Sessions: appointments.StaticSessions{
		1: {ID: 1, Intitule: "Développeur web", OrgID: w.OFA, Debut: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), Fin: time.Date(2026, 6, 30, 8, 0, 0, 0, time.UTC)},
	}}
	att := &attestations.Service{DB: acc.DB, Clock: clock}
	cons, admin, of := w.Users[kairos.RoleConseiller].Actor(), w.Users[kairos.RoleOFAdmin].Actor(), w.Users[kairos.RoleOFUser].Actor()
	appts := &appointments.Service{DB: acc.DB}
	var ids []int64
	for i := 0; i < 12; i++ {
		u, err := acc.CreateUser(ctx(), account.NewUser{Role: kairos.RoleDemandeur, Email: fmt.Sprintf("de%02d@a.example", i), Name: fmt.Sprintf("Demandeur %02d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := appts.SetDemandeur(ctx(), u.ID, fmt.Sprintf("FT%06d", i), w.Agence, cons.UserID); err != nil {
			t.Fatal(err)
		}
		x, err := enr.Propose(ctx(), cons, enrolment.Proposal{DemandeurID: u.ID, SessionID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := enr.Do(ctx(), admin, x.ID, enrolment.Action{Action: enrolment.ActInscrire}); err != nil {
			t.Fatal(err)
		}
		if _, err := enr.Do(ctx(), admin, x.ID, enrolment.Action{Action: enrolment.ActEntrer, Date: calendar.NewDate(2026, 3, 2)}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, x.ID)
	}

	return writersWorld{acc: acc, cat: cat, att: att, of: of, ids: ids, email: w.Users[kairos.RoleOFUser].Email}
}

func TestImportDoesNotBlockOtherWriters(t *testing.T) {
	ww := mustWritersWorld(t)
	acc, cat, att, of, ids := ww.acc, ww.cat, ww.att, ww.of, ww.ids
	// About 5 MB: the import reports its progress every megabyte.
	doc := lheotest.MustGenerate(t, 3000, 5)
	tick, resume := make(chan int64), make(chan struct{})
	type outcome struct {
		imp *catalogue.Import
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		imp, err := cat.Import(ctx(), bytes.NewReader(doc), catalogue.ImportOptions{Source: "concurrent", Size: int64(len(doc)), Progress: func(n int64) {
			tick <- n
			<-resume
		}})
		close(tick)
		done <- outcome{imp, err}
	}()
	email := ww.email
	writes := 0
	for n := range tick {
		if n >= int64(len(doc)) {
			resume <- struct{}{}
			continue
		}
		u, err := acc.Authenticate(ctx(), email, fixture.Password, "192.0.2.7")
		if err != nil {
			t.Errorf("login during the import (%d bytes read): %v", n, err)
		} else if _, err := acc.CreateSession(ctx(), u.ID, "192.0.2.7", "test"); err != nil {
			t.Errorf("session during the import (%d bytes read): %v", n, err)
		}
		if writes < len(ids) {
			res, err := att.Attest(ctx(), of, calendar.NewMonth(2026, time.March), []attestations.Item{{EnrolmentID: ids[writes]}})
			if err != nil || len(res) != 1 || !res[0].OK {
				t.Errorf("attestation during the import (%d bytes read): %+v %v", n, res, err)
			}
		}
		writes++
		resume <- struct{}{}
	}
	out := <-done
	if out.err != nil || out.imp.Status != catalogue.StatusDone || out.imp.Counts.Sessions.Created != 3000 {
		t.Fatalf("import: %+v %v", out.imp, out.err)
	}
	if writes < 3 {
		t.Fatalf("only %d writes during the import", writes)
	}
	var n int
	if err := acc.DB.QueryRow(ctx(), "SELECT COUNT(*) FROM attestations").Scan(&n); err != nil || n != min(writes, len(ids)) {
		t.Fatalf("%d attestations stored (%v), want %d", n, err, min(writes, len(ids)))
	}
}

// On SQLite an import that finds another import published while it was
// staging (another process) changes nothing and says to run it again.
func TestImportPublishedMeanwhileIsRefused(t *testing.T) {
	s, _ := newService(t)
	if s.DB.Engine() != "sqlite" {
		t.Skip("PostgreSQL serialises imports with an advisory lock")
	}
	doc := lheotest.MustGenerate(t, 1200, 4) // about 2 MB: progress is reported
	once := false
	imp, err := s.Import(ctx(), bytes.NewReader(doc), catalogue.ImportOptions{Source: "meanwhile", Progress: func(int64) {
		if once {
			return
		}
		once = true
		// What another process's import leaves behind.
		if _, err := s.DB.Exec(ctx(), "INSERT INTO catalogue_imports (source, status, started_at) VALUES ('autre', ?, ?)", catalogue.StatusDone, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)); err != nil {
			t.Error(err)
		}
	}})
	if err != nil || imp.Status != catalogue.StatusFailed || !strings.Contains(imp.ErrorMessage, "relancez l'import") {
		t.Fatalf("%+v %v", imp, err)
	}
	if n := count(t, s, "catalogue_sessions"); n != 0 {
		t.Fatalf("%d sessions published", n)
	}
	// Run again, it goes through (the connection's staging was cleaned).
	if imp := mustImport(t, s, doc, catalogue.ImportOptions{Source: "meanwhile"}); imp.Status != catalogue.StatusDone || imp.Counts.Sessions.Created != 1200 {
		t.Fatalf("%+v", imp)
	}
}

// Issue 18: an import running on its own in another goroutine, from its
// first bytes to its publication, makes no concurrent login or attestation
// fail (the test above stops the import in the middle of its file; this one
// lets it run, so the publication is crossed too).
func TestImportRunningAlongsideLoginsAndAttestations(t *testing.T) {
	ww := mustWritersWorld(t)
	doc := lheotest.MustGenerate(t, 3000, 5)
	started := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		imp, err := ww.cat.Import(ctx(), bytes.NewReader(doc), catalogue.ImportOptions{Source: "alongside", Size: int64(len(doc)), Progress: func(int64) {
			once.Do(func() { close(started) })
		}})
		once.Do(func() { close(started) })
		if err == nil && (imp.Status != catalogue.StatusDone || imp.Counts.Sessions.Created != 3000) {
			err = fmt.Errorf("import: %+v", imp)
		}
		done <- err
	}()
	<-started
	overlapped, attested := 0, 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
			continue
		default:
		}
		u, err := ww.acc.Authenticate(ctx(), ww.email, fixture.Password, "192.0.2.8")
		if err != nil {
			t.Fatalf("login during the import: %v", err)
		}
		if _, err := ww.acc.CreateSession(ctx(), u.ID, "192.0.2.8", "test"); err != nil {
			t.Fatalf("session during the import: %v", err)
		}
		if attested < len(ww.ids) {
			res, err := ww.att.Attest(ctx(), ww.of, calendar.NewMonth(2026, time.March), []attestations.Item{{EnrolmentID: ww.ids[attested]}})
			if err != nil || len(res) != 1 || !res[0].OK {
				t.Fatalf("attestation during the import: %+v %v", res, err)
			}
			attested++
		}
		overlapped++
	}
	if overlapped == 0 {
		t.Fatal("no write overlapped the import")
	}
	var n int
	if err := ww.acc.DB.QueryRow(ctx(), "SELECT COUNT(*) FROM attestations").Scan(&n); err != nil || n != attested {
		t.Fatalf("%d attestations stored (%v), want %d", n, err, attested)
	}
	t.Logf("%d logins and %d attestations during the import", overlapped, attested)
}
