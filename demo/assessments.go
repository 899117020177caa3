package demo

import (
	"context"
	"fmt"
	"time"

	"kairos"
	"kairos/account"
	"kairos/assessments"
	"kairos/calendar"
)

// LoadAssessments transmits, for Formapro Occitanie, the bilan of the demo
// trainee who completed her session months ago (Sarah Lopez), five days
// after her exit; the trainee who left during the previous month (Manon
// Richard) has hers to write. It does nothing if the OF has assessments.
func LoadAssessments(ctx context.Context, acc *account.Service, svc *assessments.Service) error {
	of, err := acc.OrganisationByName(ctx, kairos.OrgOF, "Formapro Occitanie")
	if err != nil {
		return err
	}
	var n int
	if err := acc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM assessments WHERE org_id = ?", of.ID).Scan(&n); err != nil || n > 0 {
		return err
	}
	rgc, err := acc.UserByEmail(ctx, "rgc@formapro-occitanie.example")
	if err != nil {
		return err
	}
	de, err := acc.UserByEmail(ctx, "sarah.lopez@exemple.example")
	if err != nil {
		return err
	}
	var id, exit int64
	if err := acc.DB.QueryRow(ctx, "SELECT id, exit_on FROM enrolments WHERE org_id = ? AND demandeur_id = ? AND state = 'sortie'", of.ID, de.ID).Scan(&id, &exit); err != nil {
		return fmt.Errorf("demo: assessment: %w", err)
	}
	c := *svc
	t := calendar.Date(exit).AddDays(5).Midnight().Add(11 * time.Hour).UTC()
	c.Clock = func() time.Time { return t }
	_, err = c.Do(ctx, rgc.Actor(), id, assessments.Step{Action: assessments.ActTransmettre, Content: assessments.Content{
		Result:    assessments.Obtenue,
		Skills:    "Souder en sécurité au procédé TIG sur acier et inox, en toutes positions ; souder à l'électrode enrobée ; lire un plan et préparer les assemblages.",
		Comments:  "Stagiaire assidue et rigoureuse ; très bonne progression en atelier.",
		NextSteps: "Candidater aux offres de soudeur TIG de la métropole toulousaine ; qualification 136 possible en entreprise.",
	}})
	if err != nil {
		return fmt.Errorf("demo: assessment: %w %v", err, kairos.FieldErrors(err))
	}
	return nil
}
