// Package demo loads the demonstration data: a few organisations and one
// account per role, all with the same published password. Loading is
// idempotent: what exists already is left as it is.
package demo

import (
	"context"
	"fmt"

	"kairos"
	"kairos/account"
)

// Password is the password of every demo account (shown on the login page in demo mode only).
const Password = "kairos-demo-2026"

// Org is a demo organisation.
type Org struct {
	Kind   kairos.OrgKind
	Name   string
	SIRET  string
	Code   string
	Region string
}

// Account is a demo user.
type Account struct {
	Role  kairos.Role
	Email string
	Name  string
	Org   string // organisation name, "" for demandeur and admin
	Habs  kairos.HabSet
}

// Orgs are the demo organisations.
var Orgs = []Org{
	{kairos.OrgOF, "Formapro Occitanie", "44306184100047", "", "76"},
	{kairos.OrgOF, "Compétences Plus Lyon", "73282932000074", "", "84"},
	{kairos.OrgFTAgence, "Agence France Travail Toulouse Bonnefoy", "", "31008", "76"},
	{kairos.OrgFTService, "Direction régionale France Travail Occitanie", "", "DR76", "76"},
	{kairos.OrgFTService, "Service comptable France Travail Occitanie", "", "CPT76", "76"},
	{kairos.OrgCarif, "Carif-Oref Occitanie", "", "CARIF76", "76"},
}

// Accounts lists one demo account per role (in the order of kairos.Roles),
// as shown on the login page.
var Accounts = []Account{
	{kairos.RoleOFAdmin, "rgc@formapro-occitanie.example", "Claire Martin", "Formapro Occitanie", nil},
	{kairos.RoleOFUser, "formateur@formapro-occitanie.example", "Julien Roux", "Formapro Occitanie", kairos.HabSet{kairos.HabRDV, kairos.HabCandidatures, kairos.HabAssiduite}},
	{kairos.RoleConseiller, "conseillere@francetravail.example", "Nadia Benali", "Agence France Travail Toulouse Bonnefoy", nil},
	{kairos.RoleFTGestionnaire, "gestionnaire@francetravail.example", "Pierre Lefèvre", "Direction régionale France Travail Occitanie", nil},
	{kairos.RoleFTComptable, "comptable@francetravail.example", "Sophie Garnier", "Service comptable France Travail Occitanie", nil},
	{kairos.RoleCarif, "operateur@carif-occitanie.example", "Thomas Vidal", "Carif-Oref Occitanie", nil},
	{kairos.RoleDemandeur, "demandeur@exemple.example", "Karim Haddad", "", nil},
	{kairos.RoleAdmin, "admin@kairos.example", "Équipe d'exploitation Kairos", "", nil},
}

// more are demo accounts not listed on the login page (a second OF, for
// tenant-isolation demonstrations).
var more = []Account{
	{kairos.RoleOFAdmin, "rgc@competences-plus.example", "Marc Dubois", "Compétences Plus Lyon", nil},
	{kairos.RoleOFUser, "assiduite@formapro-occitanie.example", "Léa Fabre", "Formapro Occitanie", kairos.HabSet{kairos.HabAssiduite}},
}

// Load creates the missing demo organisations and accounts. It returns how
// many of each it created.
func Load(ctx context.Context, acc *account.Service) (orgs, users int, err error) {
	ids := map[string]int64{}
	for _, o := range Orgs {
		existing, err := acc.OrganisationByName(ctx, o.Kind, o.Name)
		if err == nil {
			ids[o.Name] = existing.ID
			continue
		}
		if kairos.ErrorCode(err) != kairos.ENotFound {
			return orgs, users, err
		}
		id, err := acc.CreateOrganisation(ctx, account.Organisation{Kind: o.Kind, Name: o.Name, SIRET: o.SIRET, Code: o.Code, Region: o.Region})
		if err != nil {
			return orgs, users, fmt.Errorf("demo: organisation %s: %w", o.Name, err)
		}
		ids[o.Name] = id
		orgs++
	}
	for _, a := range append(append([]Account{}, Accounts...), more...) {
		if _, err := acc.UserByEmail(ctx, a.Email); err == nil {
			continue
		} else if kairos.ErrorCode(err) != kairos.ENotFound {
			return orgs, users, err
		}
		_, err := acc.CreateUser(ctx, account.NewUser{OrgID: ids[a.Org], Role: a.Role, Email: a.Email, Name: a.Name, Password: Password, Habilitations: a.Habs})
		if err != nil {
			return orgs, users, fmt.Errorf("demo: user %s: %w", a.Email, err)
		}
		users++
	}
	o, u, err := loadAdhesions(ctx, acc)
	orgs, users = orgs+o, users+u
	if err != nil {
		return orgs, users, err
	}
	// The appointments demo: job seekers' profiles and appointments (its job
	// seekers are not counted above).
	if err := loadAppointments(ctx, acc, ids); err != nil {
		return orgs, users, err
	}
	return orgs, users, nil
}
