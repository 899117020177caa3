package demo

import (
	"context"
	"fmt"
	"time"

	"kairos"
	"kairos/account"
	"kairos/attendance"
	"kairos/calendar"
	"kairos/enrolment"
)

// LateTrainee is the demo trainee whose entry, 5 days ago, is not declared
// yet: the dashboard shows it late (the browser test declares it).
const LateTrainee = "Lucas Moreau"

// LoadEnrolments gives Formapro Occitanie trainees in various states, if it
// has none yet, all relative to now (the portal's clock): proposals of the
// demo counsellor confirmed by the OF, one entry 5 days ago not declared
// (late), one expected today, one in training since the first day of the
// previous month with absences (a previous month to attest), one who left
// on the 10th of the previous month, one interrupted, one proposal to
// confirm and one exit months ago (whose months are attested, one
// rectified: see LoadAttestations).
// Movements of the past are declared "at the time" with a clock in the past.
func LoadEnrolments(ctx context.Context, acc *account.Service, svc *enrolment.Service, now time.Time) error {
	of, err := acc.OrganisationByName(ctx, kairos.OrgOF, "Formapro Occitanie")
	if err != nil {
		return err
	}
	var n int
	if err := acc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM enrolments WHERE org_id = ?", of.ID).Scan(&n); err != nil || n > 0 {
		return err
	}
	cons, err := acc.UserByEmail(ctx, "conseillere@francetravail.example")
	if err != nil {
		return err
	}
	staff, err := acc.UserByEmail(ctx, "formateur@formapro-occitanie.example")
	if err != nil {
		return err
	}
	session := func(numero string) (int64, calendar.Date, calendar.Date, error) {
		var id, debut, fin int64
		err := acc.DB.QueryRow(ctx, "SELECT id, debut, fin FROM catalogue_sessions WHERE source = 'demo-formapro' AND numero = ?", numero).Scan(&id, &debut, &fin)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("demo: session %s: %w", numero, err)
		}
		// The catalogue keeps LHÉO dates (AAAAMMJJ).
		civil := func(n int64) calendar.Date { return calendar.NewDate(int(n/10000), time.Month(n/100%100), int(n%100)) }
		return id, civil(debut), civil(fin), nil
	}
	at := func(d calendar.Date) *enrolment.Service {
		c := *svc
		t := d.Midnight().Add(10 * time.Hour).UTC()
		if t.After(now) {
			t = now.UTC()
		}
		c.Clock = func() time.Time { return t }
		return &c
	}
	today := calendar.DateOf(now)
	de := func(email string) (int64, error) {
		u, err := acc.UserByEmail(ctx, email)
		if err != nil {
			return 0, err
		}
		return u.ID, nil
	}
	dwwm, dwwmDebut, _, err := session("DEMO_S_DWWM_1")
	if err != nil {
		return err
	}
	compta, comptaDebut, _, err := session("DEMO_S_COMPTA_2")
	if err != nil {
		return err
	}
	soud0, soud0Debut, soud0Fin, err := session("DEMO_S_SOUD_0")
	if err != nil {
		return err
	}
	soud1, _, _, err := session("DEMO_S_SOUD_1")
	if err != nil {
		return err
	}
	type step struct {
		on     calendar.Date // when it is declared
		action enrolment.Action
	}
	plan := []struct {
		email    string
		session  int64
		proposed calendar.Date
		planned  calendar.Date
		steps    []step
		absence  bool
	}{
		{"lucas.moreau@exemple.example", dwwm, dwwmDebut.AddDays(-20), dwwmDebut, nil, false},
		{"chloe.bernard@exemple.example", dwwm, dwwmDebut.AddDays(-20), today, nil, false},
		{"amina.diallo@exemple.example", dwwm, dwwmDebut.AddDays(-20), dwwmDebut, []step{
			{dwwmDebut, enrolment.Action{Action: enrolment.ActEntrer, Date: dwwmDebut}},
			{today.AddDays(-1), enrolment.Action{Action: enrolment.ActInterrompre, Date: today.AddDays(-2), Reason: "maladie", Comment: "Arrêt de travail de 10 jours"}},
		}, false},
		{"demandeur@exemple.example", compta, comptaDebut.AddDays(-20), comptaDebut, []step{
			{comptaDebut.AddDays(1), enrolment.Action{Action: enrolment.ActEntrer, Date: comptaDebut}},
		}, true},
		// Left during the previous month, on its 10th: that month is to
		// attest for the 1st to the 10th.
		{"manon.richard@exemple.example", compta, comptaDebut.AddDays(-20), comptaDebut, []step{
			{comptaDebut.AddDays(1), enrolment.Action{Action: enrolment.ActEntrer, Date: comptaDebut}},
			{comptaDebut.AddDays(10), enrolment.Action{Action: enrolment.ActSortir, Date: comptaDebut.AddDays(9), Reason: "reprise_emploi"}},
		}, false},
		{"sarah.lopez@exemple.example", soud0, soud0Debut.AddDays(-20), soud0Debut, []step{
			{soud0Debut.AddDays(1), enrolment.Action{Action: enrolment.ActEntrer, Date: soud0Debut}},
			{soud0Fin.AddDays(1), enrolment.Action{Action: enrolment.ActSortir, Date: soud0Fin, Reason: "fin_normale"}},
		}, false},
		{"mehdi.benamar@exemple.example", soud1, today.AddDays(-2), 0, nil, false},
	}
	for _, p := range plan {
		id, err := de(p.email)
		if err != nil {
			return err
		}
		x, err := at(p.proposed).Propose(ctx, cons.Actor(), enrolment.Proposal{DemandeurID: id, SessionID: p.session, PlannedEntry: p.planned, Comment: "Projet professionnel validé en entretien."})
		if err != nil {
			return fmt.Errorf("demo: proposal %s: %w %v", p.email, err, kairos.FieldErrors(err))
		}
		if p.planned == 0 {
			continue // stays a proposal to confirm
		}
		if _, err := at(p.proposed.AddDays(2)).Do(ctx, staff.Actor(), x.ID, enrolment.Action{Action: enrolment.ActInscrire}); err != nil {
			return fmt.Errorf("demo: inscription %s: %w", p.email, err)
		}
		for _, st := range p.steps {
			if _, err := at(st.on).Do(ctx, staff.Actor(), x.ID, st.action); err != nil {
				return fmt.Errorf("demo: %s %s: %w", st.action.Action, p.email, err)
			}
		}
		if p.absence {
			// Two absences on training days: one in the previous month (to
			// attest), one on the last training day before today.
			week := attendance.DefaultSchedule()
			training := func(d calendar.Date, step int) calendar.Date {
				for week.On(d) == 0 {
					d = d.AddDays(step)
				}
				return d
			}
			days := []struct {
				on      calendar.Date
				minutes int
				reason  string
				just    bool
			}{
				{training(comptaDebut.AddDays(7), 1), 210, "Rendez-vous médical", true},
				{training(today.AddDays(-1), -1), 120, "Retard (transports)", false},
			}
			for i, d := range days {
				if d.on < comptaDebut || d.on >= today || (i == 1 && d.on == days[0].on) {
					continue
				}
				if _, err := at(d.on.AddDays(1)).AddAbsence(ctx, staff.Actor(), x.ID, enrolment.AbsenceInput{From: d.on, Minutes: d.minutes, Justified: d.just, Reason: d.reason}); err != nil {
					return fmt.Errorf("demo: absence: %w %v", err, kairos.FieldErrors(err))
				}
			}
		}
	}
	return nil
}
