// Package workflowtest is the one table-driven test helper of the
// workflows: Matrix runs every (state, action, role, habilitation) through a
// table's Check and compares it with an expectation written by hand (never
// derived from the table, so that a wrong row fails); Guards runs each guard
// case and checks its code, field and French message.
package workflowtest

import (
	"slices"
	"strings"
	"testing"

	"kairos"
	"kairos/workflow"
)

// Actor is a named actor of the matrix.
type Actor struct {
	Name string
	*kairos.Actor
}

// Actors returns one actor per role; OF users come twice: "of_user+hab"
// holds habilitation h, "of_user" holds every other habilitation.
func Actors(h kairos.Habilitation) []Actor {
	var out []Actor
	for _, r := range kairos.Roles {
		a := &kairos.Actor{Role: r, OrgID: 1, UserID: 1, Name: string(r)}
		if r == kairos.RoleOFUser {
			withH := *a
			withH.Habilitations = kairos.HabSet{h}
			out = append(out, Actor{"of_user+" + string(h), &withH})
			for _, o := range kairos.Habilitations {
				if o != h {
					a.Habilitations = append(a.Habilitations, o)
				}
			}
		}
		out = append(out, Actor{string(r), a})
	}
	return out
}

// Rule is what the hand-written expectation says of one action: from which
// states and by which actors (names from Actors) it is allowed.
type Rule[S ~string] struct {
	From []S
	By   []string
}

// Spec is the expectation of a whole table, one Rule per action.
type Spec[A, S ~string] map[A]Rule[S]

// Matrix checks every (state, action, actor) of tbl against spec: allowed
// (nil) when the action's rule lists both the actor and the state, else
// EForbidden (actor) or EConflict (state). cond gives, for an action and a state,
// a condition that satisfies every guard. Offered and Allowed must agree with
// Check. It returns the number of combinations tried.
func Matrix[A, S ~string, C any](t testing.TB, tbl workflow.Table[A, S, C], states []S, actors []Actor, spec Spec[A, S], cond func(A, S) C) int {
	t.Helper()
	if len(spec) != len(tbl.Rows) {
		t.Fatalf("the table has %d actions, the expectation %d", len(tbl.Rows), len(spec))
	}
	n := 0
	for _, row := range tbl.Rows {
		rule, ok := spec[row.Action]
		if !ok {
			t.Fatalf("action %q has no expectation", row.Action)
		}
		for _, st := range states {
			for _, a := range actors {
				n++
				c := cond(row.Action, st)
				_, err := tbl.Check(row.Action, st, a.Actor, c)
				want := kairos.Code("")
				switch {
				case !slices.Contains(rule.By, a.Name):
					want = kairos.EForbidden
				case !slices.Contains(rule.From, st):
					want = kairos.EConflict
				}
				if got := kairos.ErrorCode(err); got != want {
					t.Errorf("(%q, %s, %s): %v, want %q", st, row.Action, a.Name, err, want)
				}
				if err != nil && kairos.ErrorMessage(err) == "" {
					t.Errorf("(%q, %s, %s): refused without a reason", st, row.Action, a.Name)
				}
				offered := slices.ContainsFunc(tbl.Offered(st, a.Actor), func(r workflow.Transition[A, S, C]) bool { return r.Action == row.Action })
				if offered != (want == "") {
					t.Errorf("(%q, %s, %s): offered %v, want %v", st, row.Action, a.Name, offered, want == "")
				}
				allowed := slices.ContainsFunc(tbl.Allowed(st, a.Actor, c), func(r workflow.Transition[A, S, C]) bool { return r.Action == row.Action })
				if allowed != (err == nil) {
					t.Errorf("(%q, %s, %s): allowed %v but check says %v", st, row.Action, a.Name, allowed, err)
				}
				if slices.Contains(tbl.AllowedActions(st, a.Actor, c), string(row.Action)) != (err == nil) {
					t.Errorf("(%q, %s, %s): allowed_actions disagrees with check (%v)", st, row.Action, a.Name, err)
				}
			}
		}
	}
	var bogus A = "action-inexistante"
	if _, err := tbl.Check(bogus, states[0], actors[0].Actor, cond(bogus, states[0])); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Errorf("unknown action: %v, want invalid", err)
	}
	return n
}

// Guard is one guard case: Action from state From by Actor under Cond is
// refused with Code (or allowed when Code is ""); the reason (the message,
// or the message of Field when set) contains Message.
type Guard[A, S ~string, C any] struct {
	Name    string
	Action  A
	From    S
	Actor   *kairos.Actor
	Cond    C
	Code    kairos.Code
	Field   string
	Message string
}

// Guards runs every case through tbl.Check, and checks that the reason
// Actions gives the actor is the same.
func Guards[A, S ~string, C any](t testing.TB, tbl workflow.Table[A, S, C], cases []Guard[A, S, C]) {
	t.Helper()
	for _, tc := range cases {
		_, err := tbl.Check(tc.Action, tc.From, tc.Actor, tc.Cond)
		if got := kairos.ErrorCode(err); got != tc.Code {
			t.Errorf("%s: %v, want %q", tc.Name, err, tc.Code)
			continue
		}
		if tc.Code == "" {
			continue
		}
		msg := kairos.ErrorMessage(err)
		if tc.Field != "" {
			msg = kairos.FieldErrors(err)[tc.Field]
		}
		if msg == "" || !strings.Contains(msg, tc.Message) {
			t.Errorf("%s: reason %q (field %q), want it to contain %q", tc.Name, msg, tc.Field, tc.Message)
		}
		for _, x := range tbl.Actions(tc.From, tc.Actor, tc.Cond) {
			if x.Action == string(tc.Action) && (x.Allowed || !strings.Contains(x.Reason, tc.Message)) {
				t.Errorf("%s: Actions says %+v, want refused with %q", tc.Name, x, tc.Message)
			}
		}
	}
}
