package demo

import (
	"context"
	"fmt"
	"time"

	"kairos"
	"kairos/account"
	"kairos/appointments"
)

// Demandeurs are the demo job seekers, all followed by the demo counsellor
// (Nadia Benali); the first is the demo account « Karim Haddad ».
var Demandeurs = []struct{ Email, Name, FTID string }{
	{"demandeur@exemple.example", "Karim Haddad", "3141592A"},
	{"amina.diallo@exemple.example", "Amina Diallo", "2718281B"},
	{"lucas.moreau@exemple.example", "Lucas Moreau", "1414213C"},
	{"chloe.bernard@exemple.example", "Chloé Bernard", "1732050D"},
	{"mehdi.benamar@exemple.example", "Mehdi Benamar", "2236067E"},
	{"sarah.lopez@exemple.example", "Sarah Lopez", "1618033F"},
	{"hugo.petit@exemple.example", "Hugo Petit", "2449489G"},
	{"ines.garcia@exemple.example", "Inès Garcia", "2645751H"},
	{"yanis.robert@exemple.example", "Yanis Robert", "2828427J"},
	{"manon.richard@exemple.example", "Manon Richard", "3162277K"},
	{"theo.durand@exemple.example", "Théo Durand", "3316624L"},
	{"camille.laurent@exemple.example", "Camille Laurent", "3464101M"},
}

// loadAppointments gives the demo job seekers their profile (agence and
// counsellor) and, if Formapro Occitanie has no appointment yet, plans a
// past information session whose 10 participants are still to be completed,
// two upcoming appointments and their registrations.
func loadAppointments(ctx context.Context, acc *account.Service, orgs map[string]int64) error {
	agence := orgs["Agence France Travail Toulouse Bonnefoy"]
	cons, err := acc.UserByEmail(ctx, "conseillere@francetravail.example")
	if err != nil {
		return err
	}
	svc := &appointments.Service{DB: acc.DB, BaseURL: acc.BaseURL}
	var des []*account.User
	for _, d := range Demandeurs {
		u, err := acc.UserByEmail(ctx, d.Email)
		if kairos.ErrorCode(err) == kairos.ENotFound {
			u, err = acc.CreateUser(ctx, account.NewUser{Role: kairos.RoleDemandeur, Email: d.Email, Name: d.Name, Password: Password})
		}
		if err != nil {
			return fmt.Errorf("demo: job seeker %s: %w", d.Email, err)
		}
		var n int
		if err := acc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM demandeurs WHERE user_id = ?", u.ID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if err := svc.SetDemandeur(ctx, u.ID, d.FTID, agence, cons.ID); err != nil {
				return fmt.Errorf("demo: job seeker %s: %w", d.Email, err)
			}
		}
		des = append(des, u)
	}
	of := orgs["Formapro Occitanie"]
	var n int
	if err := acc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM appointments WHERE org_id = ?", of).Scan(&n); err != nil || n > 0 {
		return err
	}
	staff, err := acc.UserByEmail(ctx, "formateur@formapro-occitanie.example")
	if err != nil {
		return err
	}
	paris := appointments.Paris
	today := acc.DB.Now().In(paris)
	day := func(d int) string {
		return time.Date(today.Year(), today.Month(), today.Day()+d, 12, 0, 0, 0, paris).Format("2006-01-02")
	}
	plan := []struct {
		ago int // the appointment is planned (and registrations made) this many days ago
		in  appointments.Input
		des []int
	}{
		{10, appointments.Input{Kind: appointments.KindCollectif, Title: "Information collective — Titre professionnel Développeur web et web mobile",
			Date: day(-3), Start: "09:30", End: "11:30", Place: "Formapro Occitanie, 12 allées Jean-Jaurès, 31000 Toulouse", Capacity: 12,
			Comment: "Présentation de la formation, test de logique et entretien de motivation. Apportez votre CV."}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{0, appointments.Input{Kind: appointments.KindCollectif, Title: "Information collective — CAP Accompagnant éducatif petite enfance",
			Date: day(7), Start: "14:00", End: "16:00", Place: "Formapro Occitanie, 12 allées Jean-Jaurès, 31000 Toulouse", Capacity: 15,
			Comment: "Présentation du métier et des stages en crèche."}, []int{0, 10, 11}},
		{0, appointments.Input{Kind: appointments.KindIndividuel, Title: "Entretien individuel — Titre professionnel Développeur web et web mobile",
			Date: day(8), Start: "10:00", End: "10:45", VideoURL: "https://visio.formapro-occitanie.example/entretien-dwwm", Capacity: 1}, []int{1}},
	}
	for _, p := range plan {
		at := acc.DB.Now().AddDate(0, 0, -p.ago)
		s := &appointments.Service{DB: acc.DB, BaseURL: acc.BaseURL, Clock: func() time.Time { return at }}
		a, err := s.Create(ctx, staff.Actor(), p.in)
		if err != nil {
			return fmt.Errorf("demo: appointment %s: %w", p.in.Title, err)
		}
		for _, i := range p.des {
			if _, err := s.Register(ctx, des[i].Actor(), a.ID, des[i].ID); err != nil {
				return fmt.Errorf("demo: registration: %w", err)
			}
		}
	}
	return nil
}
