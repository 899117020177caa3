package adhesion

import (
	"time"

	"kairos"
	"kairos/workflow"
)

// State is the state of an adhesion (DOMAIN §3).
type State string

const (
	Demandee      State = "demandee"
	EnInstruction State = "en_instruction"
	Validee       State = "validee"
	Refusee       State = "refusee"
	Suspendue     State = "suspendue"
	Resiliee      State = "resiliee"
	// Expiree is derived, never stored: a validated (or suspended) adhesion
	// whose validity (3 years from validation) has ended.
	Expiree State = "expiree"
)

// States lists every state, in the order of the workflow.
var States = []State{Demandee, EnInstruction, Validee, Refusee, Suspendue, Resiliee, Expiree}

var stateLabels = map[State]string{
	Demandee:      "Demandée",
	EnInstruction: "En instruction",
	Validee:       "Validée",
	Refusee:       "Refusée",
	Suspendue:     "Suspendue",
	Resiliee:      "Résiliée",
	Expiree:       "Expirée",
}

// Label returns the French label of s.
func (s State) Label() string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return string(s)
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { _, ok := stateLabels[s]; return ok }

// Badge returns the DSFR badge variant of s.
func (s State) Badge() string {
	switch s {
	case Demandee:
		return "new"
	case EnInstruction:
		return "info"
	case Validee:
		return "success"
	case Refusee, Resiliee:
		return "error"
	}
	return "warning"
}

// Action is a decision on an adhesion.
type Action string

const (
	Instruire Action = "instruire"
	Valider   Action = "valider"
	Refuser   Action = "refuser"
	Suspendre Action = "suspendre"
	Reactiver Action = "reactiver"
	Resilier  Action = "resilier"
)

// Cond is what the guards of an adhesion look at.
type Cond struct {
	A   *Adhesion
	Now time.Time
}

// Transition is one row of the transition table: who may do what, from
// which states, under which guard (workflow.Transition).
type Transition = workflow.Transition[Action, State, Cond]

var ftOnly = []kairos.Role{kairos.RoleFTGestionnaire}

// Transitions is the transition table of an adhesion. The same table drives
// the server check (Check), the buttons of the France Travail detail page and
// the table-driven tests.
var Transitions = []Transition{
	{Action: Instruire, Label: "Prendre en instruction", Event: "Demande prise en instruction", Done: "La demande est en instruction.",
		From: []State{Demandee}, To: EnInstruction, Roles: ftOnly},
	{Action: Valider, Label: "Valider l'adhésion", Event: "Adhésion validée", Done: "Adhésion validée : la convention est créée et le responsable du compte a reçu son lien d'activation.",
		From: []State{EnInstruction}, To: Validee, Roles: ftOnly, Guard: qualiopiGuard},
	{Action: Refuser, Label: "Refuser la demande", Event: "Demande refusée", Done: "Demande refusée : l'organisme a été informé du motif.",
		From: []State{Demandee, EnInstruction}, To: Refusee, Roles: ftOnly, ReasonRequired: true, Danger: true},
	{Action: Suspendre, Label: "Suspendre l'adhésion", Event: "Adhésion suspendue", Done: "Adhésion suspendue : l'organisme a été informé du motif.",
		From: []State{Validee}, To: Suspendue, Roles: ftOnly, ReasonRequired: true, Danger: true},
	{Action: Reactiver, Label: "Lever la suspension", Event: "Suspension levée", Done: "Suspension levée : l'adhésion est de nouveau valide.",
		From: []State{Suspendue}, To: Validee, Roles: ftOnly, Guard: qualiopiGuard},
	{Action: Resilier, Label: "Résilier l'adhésion", Event: "Adhésion résiliée", Done: "Adhésion résiliée.",
		From: []State{Validee, Suspendue}, To: Resiliee, Roles: []kairos.Role{kairos.RoleFTGestionnaire, kairos.RoleOFAdmin}, ReasonRequired: true, Danger: true},
}

// Workflow is the transition table of an adhesion on the shared mechanism.
var Workflow = workflow.Table[Action, State, Cond]{Rows: Transitions, StateLabel: State.Label, Subject: "l'adhésion"}

// TransitionFor returns the row of action act, or nil.
func TransitionFor(act Action) *Transition { return Workflow.Find(act) }

// Check is the one function that decides whether role may apply act to a,
// whose effective state is a.State, at now. It returns the transition, or an
// EInvalid (unknown action), EForbidden (role) or EConflict (state, guard)
// error with the French reason.
func Check(a *Adhesion, act Action, role kairos.Role, now time.Time) (*Transition, error) {
	return Workflow.Check(act, a.State, &kairos.Actor{Role: role}, Cond{A: a, Now: now})
}

// Allowed returns the transitions role may apply to a now (the buttons to show).
func Allowed(a *Adhesion, role kairos.Role, now time.Time) []Transition {
	return Workflow.Allowed(a.State, &kairos.Actor{Role: role}, Cond{A: a, Now: now})
}

func qualiopiGuard(x Cond) error {
	c := x.A.Qualiopi
	switch {
	case c == nil:
		return kairos.Errorf(kairos.EConflict, "Aucun certificat Qualiopi n'est enregistré pour cet organisme.")
	case !c.ValidOn(x.Now):
		return kairos.Errorf(kairos.EConflict, "Le certificat Qualiopi de l'organisme n'est pas valide aujourd'hui (validité du %s au %s).", FormatDate(c.ValidFrom), FormatDate(c.ValidUntil))
	}
	return nil
}
