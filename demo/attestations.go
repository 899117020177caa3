package demo

import (
	"context"
	"fmt"
	"time"

	"kairos"
	"kairos/account"
	"kairos/attendance"
	"kairos/attestations"
	"kairos/calendar"
)

// LoadAttestations attests, for Formapro Occitanie, the months of its demo
// trainee who completed a session (Sarah Lopez), each on its due date, and
// rectifies one of them, so that the OF's history and France Travail's
// follow-up and export are not empty; the trainees in training this month
// stay to attest on « Attestations du mois ». It does nothing if the OF has
// attestations already.
func LoadAttestations(ctx context.Context, acc *account.Service, svc *attestations.Service, now time.Time) error {
	of, err := acc.OrganisationByName(ctx, kairos.OrgOF, "Formapro Occitanie")
	if err != nil {
		return err
	}
	var n int
	if err := acc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM attestations WHERE org_id = ?", of.ID).Scan(&n); err != nil || n > 0 {
		return err
	}
	staff, err := acc.UserByEmail(ctx, "assiduite@formapro-occitanie.example")
	if err != nil {
		return err
	}
	de, err := acc.UserByEmail(ctx, "sarah.lopez@exemple.example")
	if err != nil {
		return err
	}
	var id, entry, exit int64
	err = acc.DB.QueryRow(ctx, "SELECT id, entry_on, exit_on FROM enrolments WHERE org_id = ? AND demandeur_id = ? AND state = 'sortie'", of.ID, de.ID).Scan(&id, &entry, &exit)
	if err != nil {
		return fmt.Errorf("demo: attestations: %w", err)
	}
	current := calendar.MonthOf(calendar.DateOf(now))
	first, last := calendar.MonthOf(calendar.Date(entry)), calendar.MonthOf(calendar.Date(exit))
	for m := first; m <= last && m < current; m = m.AddMonths(1) {
		c := *svc
		t := svc.Due.Date(m).Midnight().Add(9 * time.Hour).UTC()
		c.Clock = func() time.Time { return t }
		res, err := c.Attest(ctx, staff.Actor(), m, []attestations.Item{{EnrolmentID: id}})
		if err != nil {
			return err
		}
		if !res[0].OK {
			return fmt.Errorf("demo: attestation %s: %w", m, res[0].Err())
		}
		if m == first.AddMonths(1) {
			f := res[0].Attestation.Figures
			if f.Attended >= 7*attendance.Hour {
				f.Attended -= 7 * attendance.Hour
				f.Unjustified += 7 * attendance.Hour
				t = t.Add(72 * time.Hour)
				if _, err := c.Rectify(ctx, staff.Actor(), m, id, f, "Absence d'une journée non signalée à temps par le formateur."); err != nil {
					return fmt.Errorf("demo: rectificative: %w", err)
				}
			}
		}
	}
	return nil
}
