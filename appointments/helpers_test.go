package appointments_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/appointments"
	"kairos/fixture"
	"kairos/mail"
)

// env is a World with an appointments service on a settable clock, a
// counsellor's portfolio of job seekers, and a second agence.
type env struct {
	*fixture.World
	svc     *appointments.Service
	clock   *fixture.Clock
	rdv     *kairos.Actor // OF A user with habilitation rdv
	cons    *kairos.Actor // counsellor of agence A
	de      []*account.User
	agenceB int64
	consB   *kairos.Actor
	deB     *account.User
	mail0   int64 // mails up to this id were sent while building the env
}

// now is a Monday, 10:00 in Paris (summer time).
var now = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

func newEnv(t testing.TB, des int) *env {
	t.Helper()
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	e := &env{World: w, clock: &fixture.Clock{T: now}}
	e.svc = &appointments.Service{DB: acc.DB, Clock: e.clock.Now, BaseURL: "http://kairos.test", Organizer: "Kairos <ne-pas-repondre@kairos.test>",
		Sessions: appointments.StaticSessions{
			7: {ID: 7, Intitule: "Titre professionnel Développeur web", OrgID: w.OFA, Debut: now.AddDate(0, 2, 0), Fin: now.AddDate(0, 8, 0)},
			8: {ID: 8, Intitule: "Session de l'organisme B", OrgID: w.OFB},
		}}
	rdvUser := fixture.MustUser(t, acc, w.OFA, kairos.RoleOFUser, "rdv@a.example", kairos.HabRDV)
	e.rdv = rdvUser.Actor()
	e.cons = w.Users[kairos.RoleConseiller].Actor()
	ctx := fixture.Ctx()
	for i := 0; i < des; i++ {
		var u *account.User
		if i == 0 {
			u = w.Users[kairos.RoleDemandeur]
		} else {
			// Invited (no password): no password hashing, so that 50 job seekers are cheap.
			var err error
			u, err = acc.CreateUser(fixture.Ctx(), account.NewUser{Role: kairos.RoleDemandeur, Email: fmt.Sprintf("de%02d@a.example", i), Name: fmt.Sprintf("Demandeur %02d", i)})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := e.svc.SetDemandeur(ctx, u.ID, fmt.Sprintf("FT%06d", i), w.Agence, e.cons.UserID); err != nil {
			t.Fatal(err)
		}
		e.de = append(e.de, u)
	}
	e.agenceB = fixture.MustOrg(t, acc, kairos.OrgFTAgence, "Agence B")
	e.consB = fixture.MustUser(t, acc, e.agenceB, kairos.RoleConseiller, "conseiller@b.example").Actor()
	e.deB = fixture.MustUser(t, acc, 0, kairos.RoleDemandeur, "de@b.example")
	if err := e.svc.SetDemandeur(ctx, e.deB.ID, "FTB00001", e.agenceB, e.consB.UserID); err != nil {
		t.Fatal(err)
	}
	e.DB().QueryRow(context.Background(), "SELECT COALESCE(MAX(id), 0) FROM mails").Scan(&e.mail0)
	return e
}

func (e *env) ctx() context.Context { return fixture.Ctx() }

func (e *env) deActor(i int) *kairos.Actor { return e.de[i].Actor() }

// input is a valid collective appointment on 2026-06-10, 09:30–11:00.
func input(capacity int) appointments.Input {
	return appointments.Input{Kind: appointments.KindCollectif, Title: "Information collective Développeur web", Date: "2026-06-10",
		Start: "09:30", End: "11:00", Place: "12 rue des Lois, 31000 Toulouse", Capacity: capacity, Comment: "Apportez un CV."}
}

func (e *env) mustCreate(t testing.TB, capacity int) *appointments.Appointment {
	t.Helper()
	a, err := e.svc.Create(e.ctx(), e.rdv, input(capacity))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// mails returns the stored mails to addr, oldest first.
func (e *env) mails(t testing.TB, to string) []mail.Mail {
	t.Helper()
	all, err := mail.List(context.Background(), e.DB(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []mail.Mail
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].To == to && all[i].ID > e.mail0 {
			m, err := mail.Get(context.Background(), e.DB(), all[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, *m)
		}
	}
	return out
}

func wantCode(t testing.TB, err error, code kairos.Code) {
	t.Helper()
	if kairos.ErrorCode(err) != code {
		t.Fatalf("error %v, want code %q", err, code)
	}
}

func hasPrefix(s, p string) bool { return strings.HasPrefix(s, p) }
