package enrolment_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"kairos"
	"kairos/calendar"
	"kairos/enrolment"
)

type roleCase struct {
	name  string
	actor *kairos.Actor
}

var roleCases = []roleCase{
	{"of_admin", &kairos.Actor{UserID: 1, OrgID: 1, Role: kairos.RoleOFAdmin}},
	{"of_user+candidatures", &kairos.Actor{UserID: 2, OrgID: 1, Role: kairos.RoleOFUser, Habilitations: kairos.HabSet{kairos.HabCandidatures}}},
	{"of_user+rdv,assiduite", &kairos.Actor{UserID: 3, OrgID: 1, Role: kairos.RoleOFUser, Habilitations: kairos.HabSet{kairos.HabRDV, kairos.HabAssiduite}}},
	{"conseiller", &kairos.Actor{UserID: 4, OrgID: 2, Role: kairos.RoleConseiller}},
	{"demandeur", &kairos.Actor{UserID: 5, Role: kairos.RoleDemandeur}},
	{"ft_gestionnaire", &kairos.Actor{UserID: 6, OrgID: 3, Role: kairos.RoleFTGestionnaire}},
	{"ft_comptable", &kairos.Actor{UserID: 7, OrgID: 3, Role: kairos.RoleFTComptable}},
	{"carif", &kairos.Actor{UserID: 8, OrgID: 4, Role: kairos.RoleCarif}},
	{"admin", &kairos.Actor{UserID: 9, Role: kairos.RoleAdmin}},
}

// expected is written out by hand (not derived from enrolment.Table): who
// may do what from which state.
var expected = map[string]struct {
	from  []string
	roles []string
}{
	"proposer":    {[]string{""}, []string{"of_admin", "of_user+candidatures", "conseiller"}},
	"inscrire":    {[]string{"proposee"}, []string{"of_admin", "of_user+candidatures"}},
	"refuser":     {[]string{"proposee"}, []string{"of_admin", "of_user+candidatures", "conseiller", "demandeur"}},
	"annuler":     {[]string{"proposee", "inscrite"}, []string{"of_admin", "of_user+candidatures", "conseiller"}},
	"entrer":      {[]string{"inscrite"}, []string{"of_admin", "of_user+candidatures"}},
	"interrompre": {[]string{"entree"}, []string{"of_admin", "of_user+candidatures"}},
	"reprendre":   {[]string{"interrompue"}, []string{"of_admin", "of_user+candidatures"}},
	"sortir":      {[]string{"entree", "interrompue"}, []string{"of_admin", "of_user+candidatures"}},
}

var tnow = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC) // Monday 10:00 in Paris

// okCond satisfies every guard.
func okCond() enrolment.Cond {
	today := calendar.DateOf(tnow)
	return enrolment.Cond{Now: tnow, Date: today.AddDays(-1), Reason: "", Comment: "Un commentaire",
		E: &enrolment.Enrolment{SessionDebut: today.AddDays(-10), SessionFin: today.AddDays(100), InterruptedOn: today.AddDays(-5), LastMovementOn: today.AddDays(-5)}}
}

func TestTransitionsEveryStateActionRole(t *testing.T) {
	if len(expected) != len(enrolment.Table) {
		t.Fatalf("table has %d actions, test expects %d", len(enrolment.Table), len(expected))
	}
	n := 0
	for _, st := range enrolment.States {
		for action, exp := range expected {
			for _, rc := range roleCases {
				c := okCond()
				switch action {
				case "interrompre":
					c.Reason = "maladie"
				case "sortir":
					c.Reason = "fin_normale"
				}
				_, err := enrolment.Check(action, st, rc.actor, c)
				want := kairos.Code("")
				switch {
				case !slices.Contains(exp.roles, rc.name):
					want = kairos.EForbidden
				case !slices.Contains(exp.from, st):
					want = kairos.EConflict
				}
				if got := kairos.ErrorCode(err); got != want {
					t.Errorf("%s from %q by %s: %v, want %q", action, st, rc.name, err, want)
				}
				// Offered (the buttons) agrees with the check, guards aside.
				offered := slices.ContainsFunc(enrolment.Offered(st, rc.actor), func(t enrolment.Transition) bool { return t.Action == action })
				if action != "proposer" && offered != (want == "") {
					t.Errorf("%s from %q by %s: offered %v, want %v", action, st, rc.name, offered, want == "")
				}
				n++
			}
		}
	}
	if n != len(enrolment.States)*len(expected)*len(roleCases) {
		t.Fatal("not every combination was tested")
	}
}

func TestGuards(t *testing.T) {
	of := roleCases[0].actor
	today := calendar.DateOf(tnow)
	cases := []struct {
		name, action, from string
		mod                func(*enrolment.Cond)
		field              string
		code               kairos.Code
	}{
		{"entry in the future", "entrer", "inscrite", func(c *enrolment.Cond) { c.Date = today.AddDays(1) }, "date", kairos.EInvalid},
		{"entry without date", "entrer", "inscrite", func(c *enrolment.Cond) { c.Date = 0 }, "date", kairos.EInvalid},
		{"entry before start", "entrer", "inscrite", func(c *enrolment.Cond) { c.Date = c.E.SessionDebut.AddDays(-1) }, "date", kairos.EInvalid},
		{"entry before start within tolerance", "entrer", "inscrite", func(c *enrolment.Cond) { c.Date = c.E.SessionDebut.AddDays(-2); c.Tolerance = 2 }, "", ""},
		{"entry after the session", "entrer", "inscrite", func(c *enrolment.Cond) { c.E.SessionFin = today.AddDays(-3); c.Date = today.AddDays(-1) }, "date", kairos.EInvalid},
		{"entry overlapping another training", "entrer", "inscrite", func(c *enrolment.Cond) { c.Overlaps = []int{9} }, "", kairos.EConflict},
		{"inscription overlapping", "inscrire", "proposee", func(c *enrolment.Cond) { c.Overlaps = []int{9} }, "", kairos.EConflict},
		{"inscription on an ended session", "inscrire", "proposee", func(c *enrolment.Cond) { c.E.SessionFin = today.AddDays(-1) }, "", kairos.EConflict},
		{"proposal on an ended session", "proposer", "", func(c *enrolment.Cond) { c.E.SessionFin = today.AddDays(-1) }, "", kairos.EConflict},
		{"refusal without comment", "refuser", "proposee", func(c *enrolment.Cond) { c.Comment = " " }, "comment", kairos.EInvalid},
		{"cancellation without comment", "annuler", "inscrite", func(c *enrolment.Cond) { c.Comment = "" }, "comment", kairos.EInvalid},
		{"interruption without reason", "interrompre", "entree", func(c *enrolment.Cond) { c.Reason = "" }, "reason", kairos.EInvalid},
		{"interruption unknown reason", "interrompre", "entree", func(c *enrolment.Cond) { c.Reason = "vacances" }, "reason", kairos.EInvalid},
		{"interruption « autre » without comment", "interrompre", "entree", func(c *enrolment.Cond) { c.Reason = "autre"; c.Comment = "" }, "comment", kairos.EInvalid},
		{"interruption before last movement", "interrompre", "entree", func(c *enrolment.Cond) { c.Reason = "maladie"; c.Date = c.E.LastMovementOn.AddDays(-1) }, "date", kairos.EInvalid},
		{"interruption on the day of entry", "interrompre", "entree", func(c *enrolment.Cond) { c.Reason = "maladie"; c.Date = c.E.LastMovementOn }, "", ""},
		{"resumption on the day of interruption", "reprendre", "interrompue", func(c *enrolment.Cond) { c.Date = c.E.InterruptedOn }, "", ""},
		{"resumption before the interruption", "reprendre", "interrompue", func(c *enrolment.Cond) { c.Date = c.E.InterruptedOn.AddDays(-1) }, "date", kairos.EInvalid},
		{"resumption the next day", "reprendre", "interrompue", func(c *enrolment.Cond) { c.Date = c.E.InterruptedOn.AddDays(1) }, "", ""},
		{"exit without reason", "sortir", "entree", func(c *enrolment.Cond) { c.Reason = "" }, "reason", kairos.EInvalid},
		{"exit unknown reason", "sortir", "entree", func(c *enrolment.Cond) { c.Reason = "lassitude" }, "reason", kairos.EInvalid},
		{"exit « exclusion » without comment", "sortir", "entree", func(c *enrolment.Cond) { c.Reason = "exclusion"; c.Comment = "" }, "comment", kairos.EInvalid},
		{"exit « abandon » without comment", "sortir", "entree", func(c *enrolment.Cond) { c.Reason = "abandon_stagiaire"; c.Comment = "" }, "", ""},
		{"exit before last movement", "sortir", "interrompue", func(c *enrolment.Cond) { c.Reason = "fin_normale"; c.Date = c.E.LastMovementOn.AddDays(-1) }, "date", kairos.EInvalid},
		{"unknown action", "teleporter", "entree", func(c *enrolment.Cond) {}, "", kairos.EInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := okCond()
			tc.mod(&c)
			_, err := enrolment.Check(tc.action, tc.from, of, c)
			if kairos.ErrorCode(err) != tc.code {
				t.Fatalf("%v, want %q", err, tc.code)
			}
			if tc.field != "" {
				if _, ok := kairos.FieldErrors(err)[tc.field]; !ok {
					t.Fatalf("%v: no message for field %s", err, tc.field)
				}
			}
		})
	}
}

func TestReasonsAreDOMAINs(t *testing.T) {
	var exits []string
	for _, r := range enrolment.ExitReasons {
		exits = append(exits, r.Code)
	}
	want := "[fin_normale abandon_stagiaire reprise_emploi force_majeure exclusion interruption_of_avec_report interruption_of_sans_report]"
	if fmt.Sprint(exits) != want {
		t.Fatalf("exit reasons %v", exits)
	}
	if len(enrolment.InterruptionReasons) != 6 {
		t.Fatal("DOMAIN §6 lists six interruption reasons")
	}
}
