package appointments

import (
	"slices"
	"time"

	"kairos"
	"kairos/workflow"
)

// Participation states of a job seeker (DE) on an appointment (DOMAIN §5).
// en_attente (waiting list) and desinscrit (unregistered by the DE or his
// counsellor) complete the domain's inscrit → present | excuse | absent | annule.
const (
	StEnAttente  = "en_attente"
	StInscrit    = "inscrit"
	StPresent    = "present"
	StExcuse     = "excuse"
	StAbsent     = "absent"
	StAnnule     = "annule"
	StDesinscrit = "desinscrit"
)

// States lists every participation state, "" being "not registered".
var States = []string{"", StEnAttente, StInscrit, StPresent, StExcuse, StAbsent, StAnnule, StDesinscrit}

var stateLabels = map[string]string{
	"":           "Non inscrit",
	StEnAttente:  "Liste d'attente",
	StInscrit:    "Inscrit",
	StPresent:    "Présent",
	StExcuse:     "Excusé",
	StAbsent:     "Absent",
	StAnnule:     "Inscription annulée",
	StDesinscrit: "Désinscrit",
}

// StateLabel returns the French label of a participation state.
func StateLabel(s string) string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return s
}

// Candidacy results, for participants who came.
const (
	ResNone         = ""
	ResRetenu       = "retenu"
	ResNonRetenu    = "non_retenu"
	ResListeAttente = "liste_attente"
	ResDesistement  = "desistement"
	ResReoriente    = "reoriente"
)

// Results lists every result, "" being "no result yet".
var Results = []string{ResNone, ResRetenu, ResNonRetenu, ResListeAttente, ResDesistement, ResReoriente}

var resultLabels = map[string]string{
	ResNone:         "Non renseigné",
	ResRetenu:       "Retenu",
	ResNonRetenu:    "Non retenu",
	ResListeAttente: "Sur liste d'attente",
	ResDesistement:  "Désistement",
	ResReoriente:    "Réorienté",
}

// ResultLabel returns the French label of a candidacy result.
func ResultLabel(r string) string {
	if l, ok := resultLabels[r]; ok {
		return l
	}
	return r
}

// Cond is what guards look at.
type Cond struct {
	Now    time.Time
	Appt   *Appointment
	Status string // participation state the result applies to (results table)
	Motif  string // reason of a non_retenu result
}

// Transition is one row of a transition table: an action, the states it
// applies to, who may perform it and an optional guard. The tables below are
// the only place these rules live: the web buttons, the server checks, the
// API and the tests all read them through Check and Allowed.
type Transition = workflow.Transition[string, string, Cond]

var (
	ofRoles  = []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}
	deRoles  = []kairos.Role{kairos.RoleDemandeur, kairos.RoleConseiller}
	recorded = []string{StInscrit, StPresent, StExcuse, StAbsent}
)

func guardOpen(c Cond) error {
	switch {
	case c.Appt.Status == ApptCancelled:
		return kairos.Errorf(kairos.EConflict, "Ce rendez-vous est annulé.")
	case !c.Now.Before(c.Appt.StartsAt):
		return kairos.Errorf(kairos.EConflict, "Ce rendez-vous a déjà commencé : les inscriptions sont closes.")
	case c.Appt.Deadline != nil && c.Now.After(*c.Appt.Deadline):
		return kairos.Errorf(kairos.EConflict, "La date limite d'inscription est dépassée.")
	}
	return nil
}

func guardNotStarted(c Cond) error {
	if c.Appt.Status == ApptCancelled {
		return kairos.Errorf(kairos.EConflict, "Ce rendez-vous est annulé.")
	}
	if !c.Now.Before(c.Appt.StartsAt) {
		return kairos.Errorf(kairos.EConflict, "Ce rendez-vous a déjà commencé : la désinscription n'est plus possible.")
	}
	return nil
}

func guardStarted(c Cond) error {
	if c.Appt.Status == ApptCancelled {
		return kairos.Errorf(kairos.EConflict, "Ce rendez-vous est annulé.")
	}
	if c.Now.Before(c.Appt.StartsAt) {
		return kairos.Errorf(kairos.EConflict, "La présence ne peut être notée qu'à partir du début du rendez-vous.")
	}
	return nil
}

func guardNotCancelled(c Cond) error {
	if c.Appt.Status == ApptCancelled {
		return kairos.Errorf(kairos.EConflict, "Ce rendez-vous est annulé.")
	}
	return nil
}

// Participation is the transition table of a participant's state.
var Participation = []Transition{
	{Action: "inscrire", Label: "S'inscrire", From: []string{"", StDesinscrit}, Roles: deRoles, Guard: guardOpen, To: StInscrit},
	{Action: "desinscrire", Label: "Se désinscrire", From: []string{StInscrit, StEnAttente}, Roles: deRoles, Guard: guardNotStarted, To: StDesinscrit},
	{Action: StPresent, Label: "Présent", From: recorded, Roles: ofRoles, Habilitation: kairos.HabRDV, Guard: guardStarted, To: StPresent},
	{Action: StExcuse, Label: "Excusé", From: recorded, Roles: ofRoles, Habilitation: kairos.HabRDV, Guard: guardNotCancelled, To: StExcuse},
	{Action: StAbsent, Label: "Absent", From: recorded, Roles: ofRoles, Habilitation: kairos.HabRDV, Guard: guardStarted, To: StAbsent},
	{Action: StAnnule, Label: "Annuler l'inscription", From: []string{StInscrit, StEnAttente}, Roles: ofRoles, Habilitation: kairos.HabRDV, Guard: guardNotCancelled, To: StAnnule},
}

func guardPresent(c Cond) error {
	if c.Status != StPresent {
		return kairos.Errorf(kairos.EConflict, "Un résultat ne se note que pour un participant présent.")
	}
	return nil
}

func guardMotif(c Cond) error {
	if err := guardPresent(c); err != nil {
		return err
	}
	if c.Motif == "" {
		return kairos.Errorf(kairos.EInvalid, "Indiquez le motif de la décision « non retenu ».")
	}
	return nil
}

// Outcome is the transition table of a participant's candidacy result.
// A result can be corrected (every result is a from-state) as long as the
// participant is present.
var Outcome = []Transition{
	{Action: ResRetenu, Label: "Retenu", From: Results, Roles: ofRoles, Habilitation: kairos.HabRDV, Guard: guardPresent, To: ResRetenu},
	{Action: ResNonRetenu, Label: "Non retenu", From: Results, Roles: ofRoles, Habilitation: kairos.HabRDV, Guard: guardMotif, To: ResNonRetenu},
	{Action: ResListeAttente, Label: "Sur liste d'attente", From: Results, Roles: ofRoles, Habilitation: kairos.HabRDV, Guard: guardPresent, To: ResListeAttente},
	{Action: ResDesistement, Label: "Désistement", From: Results, Roles: ofRoles, Habilitation: kairos.HabRDV, Guard: guardPresent, To: ResDesistement},
	{Action: ResReoriente, Label: "Réorienté", From: Results, Roles: ofRoles, Habilitation: kairos.HabRDV, Guard: guardPresent, To: ResReoriente},
}

// ParticipationWorkflow and OutcomeWorkflow are the two tables on the
// shared mechanism.
var (
	ParticipationWorkflow = tableOf(Participation)
	OutcomeWorkflow       = tableOf(Outcome)
)

func tableOf(table []Transition) workflow.Table[string, string, Cond] {
	label := StateLabel
	if len(table) > 0 && slices.Equal(table[0].From, Results) {
		label = ResultLabel
	}
	return workflow.Table[string, string, Cond]{Rows: table, StateLabel: label}
}

// Check is the one check of a transition: the action exists, applies to
// state from, the actor's role and habilitation allow it, and its guard
// holds. It returns the transition to apply.
func Check(table []Transition, action, from string, a *kairos.Actor, c Cond) (*Transition, error) {
	return tableOf(table).Check(action, from, a, c)
}

// Allowed lists the transitions of table the actor may perform from state
// from (guards included): what the pages offer as buttons or options.
func Allowed(table []Transition, from string, a *kairos.Actor, c Cond) []Transition {
	return tableOf(table).Allowed(from, a, c)
}
