package demo

import (
	"context"
	"fmt"
	"time"

	"kairos"
	"kairos/account"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/attestations"
	"kairos/calendar"
	"kairos/einvoice"
	"kairos/enrolment"
	"kairos/invoices"
	"kairos/quotes"
)

// Invoiced are the demo trainees of the invoicing demo (issue 14): each has
// an AIF quote validated before the session « Soudeur TIG » that ended
// three months ago, entered on its first day, left on its last, his months
// attested and his assessment transmitted. The first is invoiced; the
// second was invoiced, the invoice cancelled by a credit note and invoiced
// again; the third's invoice is prepared, left for the OF to issue.
var Invoiced = []struct{ Email, Name, FTID string }{
	{"nicolas.girard@exemple.example", "Nicolas Girard", "4123105N"},
	{"emilie.faure@exemple.example", "Émilie Faure", "4358898P"},
	{"rachid.mansouri@exemple.example", "Rachid Mansouri", "4582576Q"},
}

// BillingIBAN is the demo OF's bank account (a valid French IBAN).
const BillingIBAN = "FR7630006000011234567890189"

// CreditNoteReason is the reason of the demo credit note.
const CreditNoteReason = "Facture émise avant la correction du code service France Travail : annulée et émise à nouveau."

// LoadInvoices fills Formapro Occitanie's billing details (IBAN, BIC,
// account holder, VAT number; its NDA comes from its adhesion, the VAT
// exemption from the invoice itself) and plays, relative to now, the
// training paths of Invoiced up to their invoices, every step through the
// services with a clock in the past: the quotes (created, transmitted,
// accepted, validated: the validation enrols), entry, exit, attestations,
// assessments, then the invoices issued by invoices.Issuer ten days after
// the exit, and the credit note. It must run after LoadQuotes (which does
// nothing once the OF has quotes). It does nothing if the first of these
// trainees exists already.
func LoadInvoices(ctx context.Context, acc *account.Service, qs *quotes.Service, path *enrolment.Service, att *attestations.Service,
	bilans *assessments.Service, iss *invoices.Issuer, now time.Time) error {
	if _, err := acc.UserByEmail(ctx, Invoiced[0].Email); err == nil {
		return nil
	} else if kairos.ErrorCode(err) != kairos.ENotFound {
		return err
	}
	of, err := acc.OrganisationByName(ctx, kairos.OrgOF, "Formapro Occitanie")
	if err != nil {
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
	staff, err := actor("formateur@formapro-occitanie.example")
	if err != nil {
		return err
	}
	agence, err := acc.OrganisationByName(ctx, kairos.OrgFTAgence, "Agence France Travail Toulouse Bonnefoy")
	if err != nil {
		return err
	}
	var session, debut, fin int64
	if err := acc.DB.QueryRow(ctx, "SELECT id, debut, fin FROM catalogue_sessions WHERE source = 'demo-formapro' AND numero = 'DEMO_S_SOUD_0'").Scan(&session, &debut, &fin); err != nil {
		return fmt.Errorf("demo: session DEMO_S_SOUD_0: %w", err)
	}
	civil := func(n int64) calendar.Date { return calendar.NewDate(int(n/10000), time.Month(n/100%100), int(n%100)) }
	entry, exit := civil(debut), civil(fin)
	// at returns the instant of day d at hour h, never after now.
	at := func(d calendar.Date, h int) time.Time {
		t := d.Midnight().Add(time.Duration(h) * time.Hour).UTC()
		if t.After(now) {
			t = now.UTC()
		}
		return t
	}
	clock := func(t time.Time) kairos.Clock { return func() time.Time { return t } }
	pathAt := func(t time.Time) *enrolment.Service {
		c := *path
		c.Clock = clock(t)
		if c.Sessions != nil {
			c.Sessions = openThen{c.Sessions}
		}
		return &c
	}
	quoteAt := func(t time.Time) *quotes.Service {
		c := *qs
		c.Clock = clock(t)
		c.Path = pathAt(t)
		if c.Catalog != nil {
			c.Catalog = visibleThen{c.Catalog}
		}
		return &c
	}

	// The billing details, entered once on « Mon organisme » before the session.
	bill := *iss.Invoices
	bill.Clock = clock(at(entry.AddDays(-40), 9))
	if b, err := bill.Billing(ctx, of.ID); err != nil {
		return err
	} else if b == nil {
		if _, err := bill.SetBilling(ctx, rgc, invoices.BillingInput{IBAN: BillingIBAN, BIC: "AGRIFRPP", AccountName: "Formapro Occitanie SAS",
			VATID: einvoice.FrenchVATID("443061841")}); err != nil {
			return fmt.Errorf("demo: billing details: %w %v", err, kairos.FieldErrors(err))
		}
	}

	appts := &appointments.Service{DB: acc.DB, BaseURL: acc.BaseURL}
	var ids []int64
	for i, p := range Invoiced {
		u, err := acc.CreateUser(ctx, account.NewUser{Role: kairos.RoleDemandeur, Email: p.Email, Name: p.Name, Password: Password})
		if err != nil {
			return fmt.Errorf("demo: job seeker %s: %w", p.Email, err)
		}
		if err := appts.SetDemandeur(ctx, u.ID, p.FTID, agence.ID, cons.UserID); err != nil {
			return fmt.Errorf("demo: job seeker %s: %w", p.Email, err)
		}
		de, err := actor(p.Email)
		if err != nil {
			return err
		}
		// The quote: 280 h in the centre and 70 h in a company at the
		// catalogue's hourly cost, 800 € of CPF; validated 25 days before
		// the session.
		lines := []quotes.Line{{Funder: quotes.FunderCPF, Amount: 80000}}
		centre, company := quotes.Quarters(280*4), quotes.Quarters(70*4)
		t0 := entry.AddDays(-32 + i)
		q, err := quoteAt(at(t0, 9)).Create(ctx, rgc, quotes.NewQuote{SessionID: session, FTID: p.FTID, Nom: p.Name,
			Content: quotes.Content{Lines: &lines, HoursCentre: &centre, HoursCompany: &company}})
		if err != nil {
			return fmt.Errorf("demo: quote of %s: %w %v", p.Email, err, kairos.FieldErrors(err))
		}
		for _, st := range []struct {
			who  *kairos.Actor
			day  int
			step quotes.Action
		}{{rgc, 0, quotes.Transmettre}, {de, 2, quotes.Accepter}, {cons, 5, quotes.Valider}} {
			if _, err := quoteAt(at(t0.AddDays(st.day), 11)).Do(ctx, st.who, q.ID, quotes.Step{Action: st.step}); err != nil {
				return fmt.Errorf("demo: quote of %s, %s: %w", p.Email, st.step, err)
			}
		}
		var id int64
		if err := acc.DB.QueryRow(ctx, "SELECT enrolment_id FROM quotes WHERE id = ?", q.ID).Scan(&id); err != nil {
			return fmt.Errorf("demo: enrolment of %s: %w", p.Email, err)
		}
		if _, err := pathAt(at(entry, 10)).Do(ctx, staff, id, enrolment.Action{Action: enrolment.ActEntrer, Date: entry}); err != nil {
			return fmt.Errorf("demo: entry of %s: %w", p.Email, err)
		}
		if _, err := pathAt(at(exit.AddDays(1), 10)).Do(ctx, staff, id, enrolment.Action{Action: enrolment.ActSortir, Date: exit, Reason: "fin_normale"}); err != nil {
			return fmt.Errorf("demo: exit of %s: %w", p.Email, err)
		}
		for m := calendar.MonthOf(entry); m <= calendar.MonthOf(exit); m = m.AddMonths(1) {
			c := *att
			c.Clock = clock(at(att.Due.Date(m), 9))
			res, err := c.Attest(ctx, staff, m, []attestations.Item{{EnrolmentID: id}})
			if err != nil {
				return err
			}
			if !res[0].OK {
				return fmt.Errorf("demo: attestation %s of %s: %w", m, p.Email, res[0].Err())
			}
		}
		b := *bilans
		b.Clock = clock(at(exit.AddDays(4), 11))
		if _, err := b.Do(ctx, rgc, id, assessments.Step{Action: assessments.ActTransmettre, Content: assessments.Content{
			Result:    assessments.Obtenue,
			Skills:    "Souder au procédé TIG sur acier et inox en toutes positions ; préparer et contrôler les assemblages.",
			Comments:  "Parcours complet, assiduité régulière.",
			NextSteps: "Candidatures en chaudronnerie industrielle dans l'agglomération toulousaine.",
		}}); err != nil {
			return fmt.Errorf("demo: assessment of %s: %w %v", p.Email, err, kairos.FieldErrors(err))
		}
		ids = append(ids, id)
	}
	issuer := func(t time.Time) *invoices.Issuer {
		c := *iss
		c.Clock = clock(t)
		return &c
	}
	// The first two are invoiced ten days after the exit; the second's
	// invoice is cancelled by a credit note the next day and issued again.
	for _, id := range ids[:2] {
		if _, err := issuer(at(exit.AddDays(10), 10)).Issue(ctx, rgc, id); err != nil {
			return fmt.Errorf("demo: invoice: %w", err)
		}
	}
	var second int64
	if err := acc.DB.QueryRow(ctx, "SELECT id FROM invoices WHERE enrolment_id = ? AND type_code = '380'", ids[1]).Scan(&second); err != nil {
		return err
	}
	if _, err := issuer(at(exit.AddDays(11), 9)).CreditNote(ctx, rgc, second, CreditNoteReason); err != nil {
		return fmt.Errorf("demo: credit note: %w %v", err, kairos.FieldErrors(err))
	}
	if _, err := issuer(at(exit.AddDays(11), 10)).Issue(ctx, rgc, ids[1]); err != nil {
		return fmt.Errorf("demo: invoice issued again: %w", err)
	}
	return nil
}

// visibleThen replays quotes made when the session was still open for
// prescription: its recruitment state today does not apply to the past.
type visibleThen struct{ quotes.Catalog }

func (v visibleThen) Session(ctx context.Context, id int64) (quotes.SessionRef, error) {
	r, err := v.Catalog.Session(ctx, id)
	r.Visible, r.Hidden = true, ""
	return r, err
}
