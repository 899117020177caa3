package attendance

import "kairos"

// Field names of Figures in forms and in the field errors of Validate.
const (
	FieldPlanned     = "planned"
	FieldAttended    = "attended"
	FieldJustified   = "justified"
	FieldUnjustified = "unjustified"
)

// Validate checks figures edited by a user before they are attested: no
// negative number, whole quarter-hours, attended hours not above planned
// hours, and attended hours plus absences equal to the planned hours, to the
// quarter hour (the message says by how much they differ). It returns
// nil or a kairos EInvalid error whose Fields (keys FieldPlanned …) hold
// French messages to show next to each field.
func (f Figures) Validate() error {
	fields := map[string]string{}
	for _, v := range []struct {
		name string
		m    Minutes
	}{{FieldPlanned, f.Planned}, {FieldAttended, f.Attended}, {FieldJustified, f.Justified}, {FieldUnjustified, f.Unjustified}} {
		switch {
		case v.m < 0:
			fields[v.name] = "Le nombre d'heures ne peut pas être négatif."
		case !v.m.IsQuarter():
			fields[v.name] = "Indiquez les heures au quart d'heure près (par exemple 7,25 ou 7,5) ; « " + v.m.String() + " » n'en est pas un multiple."
		}
	}
	if len(fields) == 0 {
		switch {
		case f.Attended > f.Planned:
			fields[FieldAttended] = "Les heures réalisées (" + f.Attended.String() + ") ne peuvent pas dépasser les heures prévues (" + f.Planned.String() + ")."
		case f.Attended+f.Justified+f.Unjustified > f.Planned:
			sum := f.Attended + f.Justified + f.Unjustified
			fields[FieldAttended] = "Les heures réalisées et les absences (" + sum.String() +
				" au total) dépassent de " + (sum - f.Planned).String() + " les heures prévues (" + f.Planned.String() + ")."
		case f.Attended+f.Justified+f.Unjustified < f.Planned:
			sum := f.Attended + f.Justified + f.Unjustified
			fields[FieldAttended] = "Les heures réalisées et les absences (" + sum.String() +
				" au total) doivent faire les heures prévues (" + f.Planned.String() + ") : il manque " + (f.Planned - sum).String() + "."
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return kairos.Invalid(fields)
}
