// Package workflow is the one mechanism behind every workflow of Kairos
// (adhesion, appointments, training path, quotes…): a transition table
// whose rows say which action leads from which states to which state, who
// may do it (roles, and the habilitation OF users need) and under which
// guard, with the French reason when the guard refuses.
//
// The same table drives the server check (Check), the buttons a page shows
// (Allowed, Offered), the API's allowed_actions (Actions) and the
// table-driven tests (workflow/workflowtest).
package workflow

import (
	"slices"
	"strings"

	"kairos"
)

// Transition is one row of a transition table. A is the action type, S the
// state type and C what the guard looks at (the object, the clock, the form).
type Transition[A, S ~string, C any] struct {
	Action A
	Label  string // the button or option, in French
	From   []S
	To     S
	Roles  []kairos.Role
	// Habilitation is required of OF users (of_user; the account manager
	// holds every habilitation of his OF). Other roles are not concerned.
	Habilitation kairos.Habilitation
	// Guard returns nil when the transition may happen now, else a
	// *kairos.Error (EConflict, or EInvalid with the field) whose message is
	// the French reason shown beside the button and in the API.
	Guard func(C) error

	// Presentation, optional: the history entry, the confirmation message,
	// whether the form asks for a reason or a date, and whether the button
	// is destructive.
	Event          string
	Done           string
	ReasonRequired bool
	NeedsDate      bool
	Danger         bool
}

// MayDo reports whether the actor's role (and, for OF users, habilitation)
// allows the transition, whatever the state and the guard.
func (t *Transition[A, S, C]) MayDo(a *kairos.Actor) bool {
	if a == nil || !slices.Contains(t.Roles, a.Role) {
		return false
	}
	if t.Habilitation != "" && (a.Role == kairos.RoleOFAdmin || a.Role == kairos.RoleOFUser) {
		return a.Can(t.Habilitation)
	}
	return true
}

// Table is a transition table and how to name its states in messages.
type Table[A, S ~string, C any] struct {
	Rows []Transition[A, S, C]
	// StateLabel names a state in French (nil: the raw value).
	StateLabel func(S) string
	// Subject names the object in messages, e.g. "l'adhésion": « Action
	// « Valider » impossible : l'adhésion est « Refusée ». ». Empty reads
	// « impossible dans l'état « Refusée » ».
	Subject string
}

// Find returns the row of action, or nil.
func (t Table[A, S, C]) Find(action A) *Transition[A, S, C] {
	i := slices.IndexFunc(t.Rows, func(r Transition[A, S, C]) bool { return r.Action == action })
	if i < 0 {
		return nil
	}
	return &t.Rows[i]
}

func (t Table[A, S, C]) label(s S) string {
	if t.StateLabel != nil {
		return t.StateLabel(s)
	}
	return string(s)
}

// Check is the one check of a transition: the action exists (else
// EInvalid), the actor may do it (else EForbidden), it applies to state from
// (else EConflict) and its guard holds (else the guard's error). It returns
// the row to apply.
func (t Table[A, S, C]) Check(action A, from S, a *kairos.Actor, c C) (*Transition[A, S, C], error) {
	r := t.Find(action)
	if r == nil {
		return nil, &kairos.Error{Code: kairos.EInvalid, Message: "Action inconnue : " + string(action) + ".",
			Fields: map[string]string{"action": "Action inconnue."}}
	}
	if !r.MayDo(a) {
		return nil, kairos.Errorf(kairos.EForbidden, "Vous ne pouvez pas faire cette action (« %s »).", r.Label)
	}
	if !slices.Contains(r.From, from) {
		if t.Subject != "" {
			return nil, kairos.Errorf(kairos.EConflict, "Action « %s » impossible : %s est « %s ».", r.Label, t.Subject, t.label(from))
		}
		return nil, kairos.Errorf(kairos.EConflict, "Action « %s » impossible dans l'état « %s ».", r.Label, t.label(from))
	}
	if r.Guard != nil {
		if err := r.Guard(c); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Allowed lists the rows the actor may apply now from state from, guards
// included: the buttons a page shows when the guard needs nothing from a form.
func (t Table[A, S, C]) Allowed(from S, a *kairos.Actor, c C) []Transition[A, S, C] {
	var out []Transition[A, S, C]
	for _, r := range t.Rows {
		if _, err := t.Check(r.Action, from, a, c); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// Offered lists the rows the actor may apply from state from, guards not
// evaluated (they depend on what the form will say): the forms a page shows.
func (t Table[A, S, C]) Offered(from S, a *kairos.Actor) []Transition[A, S, C] {
	var out []Transition[A, S, C]
	for _, r := range t.Rows {
		if slices.Contains(r.From, from) && r.MayDo(a) {
			out = append(out, r)
		}
	}
	return out
}

// Action is an action the actor may take now, or one he may not and why:
// the API's allowed_actions and the pages' buttons with their reasons.
type Action struct {
	Action  string `json:"action"`
	Label   string `json:"label"`
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"` // why not, in French
	// ReasonRequired: the request must carry a reason (motif).
	ReasonRequired bool `json:"reason_required,omitempty"`
}

// Actions lists, for every row the actor's role may apply from state from,
// whether its guard holds now and, when not, the French reason. Rows of
// another state or role are left out: they are not the actor's to take.
func (t Table[A, S, C]) Actions(from S, a *kairos.Actor, c C) []Action {
	out := []Action{}
	for _, r := range t.Offered(from, a) {
		x := Action{Action: string(r.Action), Label: r.Label, Allowed: true, ReasonRequired: r.ReasonRequired}
		if r.Guard != nil {
			if err := r.Guard(c); err != nil {
				x.Allowed, x.Reason = false, Reason(err)
			}
		}
		out = append(out, x)
	}
	return out
}

// AllowedActions is the list of actions the actor may take now (the API's
// allowed_actions).
func (t Table[A, S, C]) AllowedActions(from S, a *kairos.Actor, c C) []string {
	out := []string{}
	for _, x := range t.Actions(from, a, c) {
		if x.Allowed {
			out = append(out, x.Action)
		}
	}
	return out
}

// Reason is the French reason of a guard's error: its field messages when it
// has some (sorted by field), else its message.
func Reason(err error) string {
	f := kairos.FieldErrors(err)
	if len(f) == 0 {
		return kairos.ErrorMessage(err)
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	msgs := make([]string, len(keys))
	for i, k := range keys {
		msgs[i] = f[k]
	}
	return strings.Join(msgs, " ")
}
