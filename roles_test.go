package kairos_test

import (
	"errors"
	"fmt"
	"testing"

	"kairos"
)

func TestAuthorize(t *testing.T) {
	ofAdmin := &kairos.Actor{UserID: 1, OrgID: 10, Role: kairos.RoleOFAdmin}
	ofUser := &kairos.Actor{UserID: 2, OrgID: 10, Role: kairos.RoleOFUser, Habilitations: kairos.HabSet{kairos.HabRDV}}
	de := &kairos.Actor{UserID: 3, Role: kairos.RoleDemandeur}
	onlyOF := kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}}
	rdv := kairos.Rule{Roles: onlyOF.Roles, Habilitation: kairos.HabRDV}
	devis := kairos.Rule{Roles: onlyOF.Roles, Habilitation: kairos.HabDevis}
	cases := []struct {
		actor *kairos.Actor
		rule  kairos.Rule
		want  kairos.Code
	}{
		{nil, kairos.Rule{Public: true}, ""},
		{nil, kairos.Rule{}, kairos.EUnauthorized},
		{de, kairos.Rule{}, ""},
		{de, onlyOF, kairos.EForbidden},
		{ofUser, onlyOF, ""},
		{ofUser, rdv, ""},
		{ofUser, devis, kairos.EForbidden},
		{ofAdmin, devis, ""}, // the account manager holds every habilitation
	}
	for i, c := range cases {
		if got := kairos.ErrorCode(kairos.Authorize(c.actor, c.rule)); got != c.want {
			t.Errorf("case %d: got %q, want %q", i, got, c.want)
		}
	}
}

func TestOwnedBy(t *testing.T) {
	a := &kairos.Actor{OrgID: 10}
	if err := kairos.OwnedBy(a, 10, "Objet"); err != nil {
		t.Fatal(err)
	}
	for _, actor := range []*kairos.Actor{a, {OrgID: 0}, nil} {
		if kairos.ErrorCode(kairos.OwnedBy(actor, 11, "Objet")) != kairos.ENotFound {
			t.Errorf("%+v sees org 11's object", actor)
		}
	}
	if kairos.OwnedBy(&kairos.Actor{}, 0, "Objet") == nil {
		t.Error("an actor without organisation owns organisation-less objects")
	}
}

func TestHabSet(t *testing.T) {
	s := kairos.ParseHabSet("devis, rdv,inconnue,rdv,")
	if s.String() != "rdv,devis" || !s.Has(kairos.HabDevis) || s.Has(kairos.HabBilan) {
		t.Fatalf("got %q", s)
	}
	if kairos.ParseHabSet("").String() != "" {
		t.Fatal("empty set")
	}
}

func TestErrors(t *testing.T) {
	wrapped := fmt.Errorf("context: %w", kairos.Invalid(map[string]string{"email": "invalide"}))
	if kairos.ErrorCode(wrapped) != kairos.EInvalid || kairos.FieldErrors(wrapped)["email"] != "invalide" {
		t.Fatal("wrapped error lost its code or fields")
	}
	internal := errors.New("pq: password authentication failed for user kairos")
	if kairos.ErrorCode(internal) != kairos.EInternal || kairos.ErrorMessage(internal) == internal.Error() {
		t.Fatal("internal error text leaks")
	}
	for code, status := range map[kairos.Code]int{kairos.ENotFound: 404, kairos.EInvalid: 422, kairos.EForbidden: 403,
		kairos.EConflict: 409, kairos.EUnauthorized: 401, kairos.ETooMany: 429, kairos.EInternal: 500} {
		if kairos.HTTPStatus(code) != status {
			t.Errorf("%s → %d", code, kairos.HTTPStatus(code))
		}
	}
}

func TestEveryRoleHasALabelAndKind(t *testing.T) {
	for _, r := range kairos.Roles {
		if r.Label() == string(r) {
			t.Errorf("%s has no French label", r)
		}
	}
	if kairos.RoleDemandeur.OrgKind() != "" || kairos.RoleAdmin.OrgKind() != "" || kairos.RoleConseiller.OrgKind() != kairos.OrgFTAgence {
		t.Error("OrgKind")
	}
}
