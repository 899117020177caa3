package enrolment

import (
	"slices"
	"strings"
	"time"

	"kairos"
	"kairos/calendar"
	"kairos/workflow"
)

// States of an enrolment (DOMAIN §6). "" is "no enrolment yet" (the state a
// proposal starts from).
const (
	StNone        = ""
	StProposee    = "proposee"
	StInscrite    = "inscrite"
	StEntree      = "entree"
	StInterrompue = "interrompue"
	StSortie      = "sortie"
	StRefusee     = "refusee"
	StAnnulee     = "annulee"
)

// States lists every state, "" included.
var States = []string{StNone, StProposee, StInscrite, StEntree, StInterrompue, StSortie, StRefusee, StAnnulee}

// Open states hold a place in the job seeker's path: an open enrolment per
// session at most; Active ones (inscrite and after) may not overlap in time.
var (
	Open   = []string{StProposee, StInscrite, StEntree, StInterrompue}
	Active = []string{StInscrite, StEntree, StInterrompue}
)

var stateLabels = map[string]string{
	StNone:        "Aucune inscription",
	StProposee:    "Inscription proposée",
	StInscrite:    "Inscrit(e)",
	StEntree:      "En formation",
	StInterrompue: "Formation interrompue",
	StSortie:      "Sorti(e) de formation",
	StRefusee:     "Proposition refusée",
	StAnnulee:     "Inscription annulée",
}

// StateLabel returns the French label of a state.
func StateLabel(s string) string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return s
}

// Actions.
const (
	ActProposer    = "proposer"
	ActInscrire    = "inscrire"
	ActRefuser     = "refuser"
	ActAnnuler     = "annuler"
	ActEntrer      = "entrer"
	ActInterrompre = "interrompre"
	ActReprendre   = "reprendre"
	ActSortir      = "sortir"
)

// Reason is a coded reason and its French label.
type Reason struct{ Code, Label string }

// ExitReasons are the reasons of an exit (DOMAIN §6, after Mon Compte Formation).
var ExitReasons = []Reason{
	{"fin_normale", "Fin normale de la formation"},
	{"abandon_stagiaire", "Abandon du stagiaire"},
	{"reprise_emploi", "Reprise d'emploi"},
	{"force_majeure", "Force majeure"},
	{"exclusion", "Exclusion"},
	{"interruption_of_avec_report", "Interruption par l'organisme avec report"},
	{"interruption_of_sans_report", "Interruption par l'organisme sans report"},
}

// InterruptionReasons are the reasons of an interruption (DOMAIN §6).
var InterruptionReasons = []Reason{
	{"maladie", "Maladie"},
	{"maternite", "Maternité"},
	{"accident", "Accident"},
	{"raison_personnelle", "Raison personnelle"},
	{"fermeture_of", "Fermeture de l'organisme"},
	{"autre", "Autre"},
}

// exitNeedsComment lists the exit reasons that need an explanation.
var exitNeedsComment = []string{"force_majeure", "exclusion", "interruption_of_avec_report", "interruption_of_sans_report"}

// ReasonLabel returns the label of an exit or interruption reason.
func ReasonLabel(code string) string {
	for _, r := range append(slices.Clone(ExitReasons), InterruptionReasons...) {
		if r.Code == code {
			return r.Label
		}
	}
	return code
}

func knownReason(list []Reason, code string) bool {
	return slices.ContainsFunc(list, func(r Reason) bool { return r.Code == code })
}

// Cond is what guards look at. The service fills it from the database (the
// enrolment, the job seeker's overlapping active enrolments) and the request.
type Cond struct {
	Now       time.Time
	E         *Enrolment // the enrolment (for proposer: the proposed one, not yet stored)
	Date      calendar.Date
	Reason    string
	Comment   string
	Tolerance int   // days an entry may precede the session's start
	Overlaps  []int // ids of the job seeker's active enrolments overlapping the session
}

func (c Cond) today() calendar.Date { return calendar.DateOf(c.Now) }

// Transition is one row of the transition table: an action, the states it
// applies to, who may do it (Habilitation applies to OF users only) and an
// optional guard. The table is the only place these rules live: buttons,
// server checks, the API and the tests all read it through Check and Allowed.
//
// Movements (entry, interruption, resumption, exit: dated, under the 3-day
// rule) are the rows with NeedsDate.
type Transition = workflow.Transition[string, string, Cond]

var (
	ofRoles     = []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}
	ofOrCounsel = []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleConseiller}
	anyParty    = []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleConseiller, kairos.RoleDemandeur}
)

func conflict(format string, args ...any) error {
	return kairos.Errorf(kairos.EConflict, format, args...)
}

func invalid(field, msg string) error { return kairos.Invalid(map[string]string{field: msg}) }

func guardSessionNotEnded(c Cond) error {
	if c.E.SessionFin != 0 && c.E.SessionFin < c.today() {
		return conflict("La session est terminée depuis le %s.", c.E.SessionFin.French())
	}
	return nil
}

func guardComment(c Cond) error {
	if strings.TrimSpace(c.Comment) == "" {
		return invalid("comment", "Indiquez un commentaire : il est transmis aux autres intervenants.")
	}
	return nil
}

func guardInscrire(c Cond) error {
	if err := guardSessionNotEnded(c); err != nil {
		return err
	}
	if len(c.Overlaps) > 0 {
		return conflict("Ce demandeur d'emploi est déjà inscrit sur une session dont les dates se chevauchent avec celle-ci.")
	}
	return nil
}

// guardDate checks the date of a movement: given, not in the future, within
// the session, and not before the previous movement (dates stay ordered).
func guardDate(c Cond, notBefore calendar.Date, what string) error {
	switch {
	case c.Date.IsZero():
		return invalid("date", "Indiquez la date "+what+".")
	case c.Date > c.today():
		return invalid("date", "La date "+what+" ne peut pas être dans le futur.")
	case c.E.SessionFin != 0 && c.Date > c.E.SessionFin:
		return invalid("date", "La date "+what+" est après la fin de la session ("+c.E.SessionFin.French()+").")
	case !notBefore.IsZero() && c.Date < notBefore:
		return invalid("date", "La date "+what+" ne peut pas précéder le "+notBefore.French()+".")
	}
	return nil
}

func guardEntrer(c Cond) error {
	earliest := c.E.SessionDebut.AddDays(-c.Tolerance)
	if err := guardDate(c, 0, "d'entrée"); err != nil {
		return err
	}
	if c.Date < earliest {
		return invalid("date", "L'entrée ne peut pas précéder le début de la session ("+c.E.SessionDebut.French()+").")
	}
	if len(c.Overlaps) > 0 {
		return conflict("Ce demandeur d'emploi est déjà en formation sur une session qui chevauche celle-ci.")
	}
	return nil
}

func guardInterrompre(c Cond) error {
	if err := guardDate(c, c.E.LastMovementOn, "d'interruption"); err != nil {
		return err
	}
	if !knownReason(InterruptionReasons, c.Reason) {
		return invalid("reason", "Choisissez le motif de l'interruption.")
	}
	if c.Reason == "autre" {
		return guardComment(c)
	}
	return nil
}

func guardReprendre(c Cond) error {
	// The resumption may be the day of the interruption: the trainee came
	// back that same day (the hours missed are an absence).
	if err := guardDate(c, c.E.InterruptedOn, "de reprise (premier jour de retour)"); err != nil {
		return err
	}
	return nil
}

func guardSortir(c Cond) error {
	if err := guardDate(c, c.E.LastMovementOn, "de sortie"); err != nil {
		return err
	}
	if !knownReason(ExitReasons, c.Reason) {
		return invalid("reason", "Choisissez le motif de sortie.")
	}
	if slices.Contains(exitNeedsComment, c.Reason) {
		return guardComment(c)
	}
	return nil
}

// Table is the transition table of an enrolment.
var Table = []Transition{
	{Action: ActProposer, Label: "Proposer l'inscription", From: []string{StNone}, Roles: ofOrCounsel, Habilitation: kairos.HabCandidatures, Guard: guardSessionNotEnded, To: StProposee},
	{Action: ActInscrire, Label: "Confirmer l'inscription (AIS)", From: []string{StProposee}, Roles: ofRoles, Habilitation: kairos.HabCandidatures, Guard: guardInscrire, To: StInscrite},
	{Action: ActRefuser, Label: "Refuser la proposition", From: []string{StProposee}, Roles: anyParty, Habilitation: kairos.HabCandidatures, Guard: guardComment, To: StRefusee},
	{Action: ActAnnuler, Label: "Annuler l'inscription", From: []string{StProposee, StInscrite}, Roles: ofOrCounsel, Habilitation: kairos.HabCandidatures, Guard: guardComment, To: StAnnulee},
	{Action: ActEntrer, Label: "Déclarer l'entrée (AES)", From: []string{StInscrite}, Roles: ofRoles, Habilitation: kairos.HabCandidatures, Guard: guardEntrer, To: StEntree, NeedsDate: true},
	{Action: ActInterrompre, Label: "Déclarer une interruption", From: []string{StEntree}, Roles: ofRoles, Habilitation: kairos.HabCandidatures, Guard: guardInterrompre, To: StInterrompue, NeedsDate: true},
	{Action: ActReprendre, Label: "Déclarer la reprise", From: []string{StInterrompue}, Roles: ofRoles, Habilitation: kairos.HabCandidatures, Guard: guardReprendre, To: StEntree, NeedsDate: true},
	{Action: ActSortir, Label: "Déclarer la sortie", From: []string{StEntree, StInterrompue}, Roles: ofRoles, Habilitation: kairos.HabCandidatures, Guard: guardSortir, To: StSortie, NeedsDate: true},
}

// Workflow is the transition table of an enrolment on the shared mechanism.
var Workflow = workflow.Table[string, string, Cond]{Rows: Table, StateLabel: StateLabel}

// Find returns the transition of action, or nil.
func Find(action string) *Transition { return Workflow.Find(action) }

// isMovement reports whether t is a dated movement under the 3-day rule.
func isMovement(t *Transition) bool { return t.NeedsDate }

// Check is the one check of a transition: the action exists, the actor may
// do it, it applies to state from, and its guard holds.
func Check(action, from string, a *kairos.Actor, c Cond) (*Transition, error) {
	return Workflow.Check(action, from, a, c)
}

// Offered lists the transitions the actor may perform from state from,
// guards not evaluated (they depend on what the form will say): the buttons
// and forms a page shows.
func Offered(from string, a *kairos.Actor) []Transition {
	var out []Transition
	for _, t := range Workflow.Offered(from, a) {
		if t.Action != ActProposer {
			out = append(out, t)
		}
	}
	return out
}
