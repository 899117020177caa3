package catalogue

import "kairos"

// Who may do what with the catalogue; the web pages and the API use the same rules.
var (
	// ReadRule: search the catalogue, read a session (and its open
	// information sessions), export it. Job seekers search it too.
	ReadRule = kairos.Rule{Roles: []kairos.Role{kairos.RoleConseiller, kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleCarif, kairos.RoleFTGestionnaire, kairos.RoleFTComptable, kairos.RoleDemandeur}}
	// ImportRule: import LHÉO files and read the import reports (Carif-Oref).
	ImportRule = kairos.Rule{Roles: []kairos.Role{kairos.RoleCarif}}
	// OfferRule: an OF's own offer with its visibility (« Mon offre »).
	OfferRule = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}}
)
