package demo

import (
	"context"
	"fmt"
	"time"

	"kairos"
	"kairos/account"
	"kairos/quotes"
)

// LoadQuotes gives Formapro Occitanie an AIF quote in every state, if it has
// none yet, relative to now: a draft, one transmitted to the demo job seeker
// (Karim Haddad accepts it from his space), one accepted waiting for the
// counsellor, one above the regional threshold waiting for the regional
// manager, one validated (its enrolment confirmed), one refused by the
// counsellor, one to complete, one refused by the job seeker, one cancelled
// and one expired (its session started without a decision).
func LoadQuotes(ctx context.Context, acc *account.Service, svc *quotes.Service, now time.Time) error {
	of, err := acc.OrganisationByName(ctx, kairos.OrgOF, "Formapro Occitanie")
	if err != nil {
		return err
	}
	var n int
	if err := acc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM quotes WHERE org_id = ?", of.ID).Scan(&n); err != nil || n > 0 {
		return err
	}
	actor := func(email string) (*kairos.Actor, error) { return demoActor(ctx, acc, email) }
	rgc, err := actor("rgc@formapro-occitanie.example")
	if err != nil {
		return err
	}
	cons, err := actor("conseillere@francetravail.example")
	if err != nil {
		return err
	}
	session := func(numero string) (int64, error) {
		var id int64
		err := acc.DB.QueryRow(ctx, "SELECT id FROM catalogue_sessions WHERE source = 'demo-formapro' AND numero = ?", numero).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("demo: session %s: %w", numero, err)
		}
		return id, nil
	}
	soud, err := session("DEMO_S_SOUD_1")
	if err != nil {
		return err
	}
	compta, err := session("DEMO_S_COMPTA_1")
	if err != nil {
		return err
	}
	dwwm, err := session("DEMO_S_DWWM_1")
	if err != nil {
		return err
	}
	ftID := map[string]string{}
	for _, d := range Demandeurs {
		ftID[d.Email] = d.FTID
	}
	type step struct {
		who    *kairos.Actor // nil: the job seeker
		action quotes.Action
		reason string
	}
	plan := []struct {
		email, nom string
		session    int64
		hourly     quotes.Cents // 0: the catalogue's
		full       bool         // the catalogue's hours (above the 400 h threshold); else adjusted to the person
		steps      []step
	}{
		{"theo.durand@exemple.example", "Durand", compta, 0, false, nil},
		{"demandeur@exemple.example", "Haddad", soud, 0, false, []step{{rgc, quotes.Transmettre, ""}}},
		{"ines.garcia@exemple.example", "Garcia", compta, 0, false, []step{{rgc, quotes.Transmettre, ""}, {nil, quotes.Accepter, ""}}},
		{"manon.richard@exemple.example", "Richard", compta, 1400, true, []step{{rgc, quotes.Transmettre, ""}, {nil, quotes.Accepter, ""}, {cons, quotes.Soumettre, ""}}},
		{"camille.laurent@exemple.example", "Laurent", soud, 0, false, []step{{rgc, quotes.Transmettre, ""}, {nil, quotes.Accepter, ""}, {cons, quotes.Valider, ""}}},
		{"chloe.bernard@exemple.example", "Bernard", compta, 0, false, []step{{rgc, quotes.Transmettre, ""}, {nil, quotes.Accepter, ""},
			{cons, quotes.Refuser, "Le projet de reconversion n'est pas validé : un bilan de compétences est d'abord nécessaire."}}},
		{"lucas.moreau@exemple.example", "Moreau", soud, 0, false, []step{{rgc, quotes.Transmettre, ""}, {nil, quotes.Accepter, ""},
			{cons, quotes.Completer, "Précisez les heures de stage en entreprise et joignez le planning."}}},
		{"yanis.robert@exemple.example", "Robert", soud, 0, false, []step{{rgc, quotes.Transmettre, ""}, {nil, quotes.RefuserDE, "Je préfère une session plus proche de chez moi."}}},
		{"yanis.robert@exemple.example", "Robert", compta, 0, false, []step{{rgc, quotes.Annuler, "Devis établi par erreur sur la mauvaise session."}}},
	}
	for _, p := range plan {
		lines := []quotes.Line{{Funder: quotes.FunderCPF, Amount: 80000}, {Funder: "2", Amount: 100000}}
		c := quotes.Content{Lines: &lines}
		if !p.full { // 280 h in the centre and 70 h in a company, below the threshold
			centre, company := quotes.Quarters(280*4), quotes.Quarters(70*4)
			c.HoursCentre, c.HoursCompany = &centre, &company
		}
		if p.hourly != 0 {
			c.HourlyCost = &p.hourly
		}
		q, err := svc.Create(ctx, rgc, quotes.NewQuote{SessionID: p.session, FTID: ftID[p.email], Nom: p.nom, Content: c})
		if err != nil {
			return fmt.Errorf("demo: quote of %s: %w", p.email, err)
		}
		for _, st := range p.steps {
			who := st.who
			if who == nil {
				if who, err = actor(p.email); err != nil {
					return err
				}
			}
			if _, err := svc.Do(ctx, who, q.ID, quotes.Step{Action: st.action, Reason: st.reason}); err != nil {
				return fmt.Errorf("demo: quote of %s, %s: %w", p.email, st.action, err)
			}
		}
	}
	// A draft made 20 days ago for a session that has started since: expired.
	past := *svc
	at := now.AddDate(0, 0, -20)
	past.Clock = func() time.Time { return at }
	lines := []quotes.Line{{Funder: quotes.FunderCPF, Amount: 0}}
	if _, err := past.Create(ctx, rgc, quotes.NewQuote{SessionID: dwwm, FTID: ftID["sarah.lopez@exemple.example"], Nom: "Lopez", Content: quotes.Content{Lines: &lines}}); err != nil {
		return fmt.Errorf("demo: quote to expire: %w", err)
	}
	_, err = svc.Expire(ctx)
	return err
}

// demoActor is the actor of the demo account with that e-mail, with its
// organisation's name.
func demoActor(ctx context.Context, acc *account.Service, email string) (*kairos.Actor, error) {
	u, err := acc.UserByEmail(ctx, email)
	if err != nil {
		return nil, fmt.Errorf("demo: %s: %w", email, err)
	}
	a := u.Actor()
	if u.OrgID != 0 {
		org, err := acc.Organisation(ctx, u.OrgID)
		if err != nil {
			return nil, err
		}
		a.OrgName = org.Name
	}
	return a, nil
}
