package kairos

import (
	"slices"
	"strconv"
	"strings"
)

// Role is what a user is on the platform (DOMAIN §2).
type Role string

const (
	RoleOFAdmin        Role = "of_admin"
	RoleOFUser         Role = "of_user"
	RoleConseiller     Role = "conseiller"
	RoleFTGestionnaire Role = "ft_gestionnaire"
	RoleFTComptable    Role = "ft_comptable"
	RoleCarif          Role = "carif"
	RoleDemandeur      Role = "demandeur"
	RoleAdmin          Role = "admin"
)

// Roles lists every role, in display order.
var Roles = []Role{RoleOFAdmin, RoleOFUser, RoleConseiller, RoleFTGestionnaire, RoleFTComptable, RoleCarif, RoleDemandeur, RoleAdmin}

var roleLabels = map[Role]string{
	RoleOFAdmin:        "Responsable du compte de l'organisme (RGC)",
	RoleOFUser:         "Collaborateur de l'organisme de formation",
	RoleConseiller:     "Conseiller France Travail",
	RoleFTGestionnaire: "Gestionnaire régional France Travail",
	RoleFTComptable:    "Service comptable France Travail",
	RoleCarif:          "Opérateur Carif-Oref",
	RoleDemandeur:      "Demandeur d'emploi",
	RoleAdmin:          "Administrateur de la plateforme",
}

// Label returns the French label of r.
func (r Role) Label() string {
	if l, ok := roleLabels[r]; ok {
		return l
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roleLabels[r]; return ok }

// OrgKind returns the kind of organisation a user of role r belongs to, or
// "" for roles without organisation (demandeur, admin).
func (r Role) OrgKind() OrgKind {
	switch r {
	case RoleOFAdmin, RoleOFUser:
		return OrgOF
	case RoleConseiller:
		return OrgFTAgence
	case RoleFTGestionnaire, RoleFTComptable:
		return OrgFTService
	case RoleCarif:
		return OrgCarif
	}
	return ""
}

// Habilitation is a right given by the OF's account manager to one of its users.
type Habilitation string

const (
	HabRDV          Habilitation = "rdv"
	HabCandidatures Habilitation = "candidatures"
	HabAssiduite    Habilitation = "assiduite"
	HabDevis        Habilitation = "devis"
	HabBilan        Habilitation = "bilan"
	HabFacturation  Habilitation = "facturation"
)

// Habilitations lists every habilitation, in display order.
var Habilitations = []Habilitation{HabRDV, HabCandidatures, HabAssiduite, HabDevis, HabBilan, HabFacturation}

var habLabels = map[Habilitation]string{
	HabRDV:          "Rendez-vous et informations collectives",
	HabCandidatures: "Candidatures et parcours (inscriptions, entrées, sorties)",
	HabAssiduite:    "Assiduité (attestations mensuelles de présence)",
	HabDevis:        "Devis AIF",
	HabBilan:        "Bilans de formation",
	HabFacturation:  "Facturation (Chorus Pro)",
}

// Label returns the French label of h.
func (h Habilitation) Label() string {
	if l, ok := habLabels[h]; ok {
		return l
	}
	return string(h)
}

// Valid reports whether h is a known habilitation.
func (h Habilitation) Valid() bool { _, ok := habLabels[h]; return ok }

// HabSet is a set of habilitations, stored as a comma-separated list.
type HabSet []Habilitation

// ParseHabSet parses a comma-separated list, dropping unknown and duplicate values.
func ParseHabSet(s string) HabSet {
	var out HabSet
	for _, p := range strings.Split(s, ",") {
		h := Habilitation(strings.TrimSpace(p))
		if h.Valid() && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b Habilitation) int {
		return slices.Index(Habilitations, a) - slices.Index(Habilitations, b)
	})
	return out
}

// String returns the stored form of the set.
func (s HabSet) String() string {
	parts := make([]string, len(s))
	for i, h := range s {
		parts[i] = string(h)
	}
	return strings.Join(parts, ",")
}

// Has reports whether h is in the set.
func (s HabSet) Has(h Habilitation) bool { return slices.Contains(s, h) }

// OrgKind is the kind of an organisation.
type OrgKind string

const (
	OrgOF        OrgKind = "of"
	OrgFTAgence  OrgKind = "ft_agence"
	OrgFTService OrgKind = "ft_service"
	OrgCarif     OrgKind = "carif"
)

var orgKindLabels = map[OrgKind]string{
	OrgOF:        "Organisme de formation",
	OrgFTAgence:  "Agence France Travail",
	OrgFTService: "Service France Travail",
	OrgCarif:     "Carif-Oref",
}

// Label returns the French label of k.
func (k OrgKind) Label() string {
	if l, ok := orgKindLabels[k]; ok {
		return l
	}
	return string(k)
}

// Valid reports whether k is a known kind.
func (k OrgKind) Valid() bool { _, ok := orgKindLabels[k]; return ok }

// Actor is the authenticated identity behind a request: a user logged in on
// the web, or an organisation's API key.
type Actor struct {
	UserID        int64 // 0 for an API key or the system
	APIKeyID      int64 // 0 for a user
	OrgID         int64 // 0 for demandeur, admin and the system
	OrgName       string
	Role          Role
	Habilitations HabSet
	Name          string
	Email         string
}

// System is the actor of command-line and background work.
var System = &Actor{Name: "système", Role: RoleAdmin}

// Label describes the actor for the audit trail.
func (a *Actor) Label() string {
	switch {
	case a == nil:
		return "anonyme"
	case a.APIKeyID != 0:
		return "clé d'API n°" + strconv.FormatInt(a.APIKeyID, 10) + " (" + a.OrgName + ")"
	case a.Email != "":
		return a.Name + " <" + a.Email + ">"
	}
	return a.Name
}

// Can reports whether the actor holds habilitation h. The OF's account
// manager holds every habilitation of his OF.
func (a *Actor) Can(h Habilitation) bool {
	if a == nil {
		return false
	}
	return a.Role == RoleOFAdmin || (a.Role == RoleOFUser && a.Habilitations.Has(h))
}

// Rule is what a route needs. One Rule is declared per route, next to the
// route, and checked by one function (Authorize).
type Rule struct {
	Public       bool         // anyone, logged in or not
	Roles        []Role       // any of these roles; empty means any logged-in user
	Habilitation Habilitation // required habilitation (OF users)
}

// Authorize checks a against r. It returns EUnauthorized when nobody is
// logged in and EForbidden when the actor lacks the role or habilitation.
// Whether an object belongs to the actor's organisation is checked where the
// object is loaded (see OwnedBy), and answers not found.
func Authorize(a *Actor, r Rule) error {
	if r.Public {
		return nil
	}
	if a == nil {
		return Errorf(EUnauthorized, "Veuillez vous connecter.")
	}
	if len(r.Roles) > 0 && !slices.Contains(r.Roles, a.Role) {
		return Errorf(EForbidden, "Votre rôle ne permet pas d'accéder à cette page.")
	}
	if r.Habilitation != "" && !a.Can(r.Habilitation) {
		return Errorf(EForbidden, "Cette action demande l'habilitation « %s ».", r.Habilitation.Label())
	}
	return nil
}

// OwnedBy returns a not-found error unless the object of organisation orgID
// belongs to the actor's organisation. Another tenant's object must be
// indistinguishable from a missing one.
func OwnedBy(a *Actor, orgID int64, what string) error {
	if a == nil || a.OrgID == 0 || a.OrgID != orgID {
		return NotFound(what)
	}
	return nil
}
