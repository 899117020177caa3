package assessments

import (
	"context"

	"kairos"
	"kairos/enrolment"
)

// Certificate returns the attestation de fin de formation of a transmitted
// assessment as a PDF (a text PDF: identities, session, dates, hours,
// result), to those who may read the assessment.
func (s *Service) Certificate(ctx context.Context, a *kairos.Actor, enrolmentID int64) (name string, pdf []byte, err error) {
	x, err := s.Get(ctx, a, enrolmentID)
	if err != nil {
		return "", nil, err
	}
	if x.State != Transmis || x.Current == nil {
		return "", nil, kairos.Errorf(kairos.EConflict, "L'attestation de fin de formation est disponible une fois le bilan transmis.")
	}
	v := x.Current
	org := x.OrgName
	if x.OrgSIRET != "" {
		org += " (SIRET " + x.OrgSIRET + ")"
	}
	rows := [][2]string{
		{"Organisme de formation", org},
		{"Stagiaire", x.DemandeurName},
		{"Identifiant France Travail", x.FTID},
		{"Formation", x.SessionTitle + " (session n° " + itoa(x.SessionID) + ")"},
		{"Dates de la session", "du " + x.SessionDebut.French() + " au " + x.SessionFin.French()},
		{"Entrée en formation", x.EntryOn.French()},
		{"Sortie de formation", x.ExitOn.French() + " — " + enrolment.ReasonLabel(x.ExitReason)},
		{"Heures prévues", v.Attendance.Planned.String()},
		{"Heures réalisées", v.Attendance.Attended.String() + " (assiduité " + v.Attendance.Rate() + ", " + itoa(int64(v.Attendance.Months)) + " mois attestés)"},
		{"Résultat", v.Content.Result.Label()},
	}
	if v.Content.Blocks != "" {
		rows = append(rows, [2]string{"Blocs de compétences validés", v.Content.Blocks})
	}
	rows = append(rows, [2]string{"Compétences acquises", v.Content.Skills})
	if v.Content.NextSteps != "" {
		rows = append(rows, [2]string{"Suites conseillées", v.Content.NextSteps})
	}
	rows = append(rows, [2]string{"Bilan", "version " + itoa(int64(v.Version)) + " transmise le " + v.At.In(paris()).Format("02/01/2006") + " par " + v.ActorLabel})
	b, err := enrolment.RenderPDF("Attestation de fin de formation",
		"L'organisme de formation atteste que la personne ci-dessous a suivi la formation suivante, dans les conditions et avec le résultat indiqués.", rows, s.now())
	if err != nil {
		return "", nil, err
	}
	return "attestation-fin-formation-" + itoa(x.EnrolmentID) + ".pdf", b, nil
}
