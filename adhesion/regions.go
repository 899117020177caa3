package adhesion

// Region is a French region, by its INSEE code.
type Region struct {
	Code  string
	Label string
}

// Regions lists the regions an OF can be attached to, by name.
var Regions = []Region{
	{"84", "Auvergne-Rhône-Alpes"},
	{"27", "Bourgogne-Franche-Comté"},
	{"53", "Bretagne"},
	{"24", "Centre-Val de Loire"},
	{"94", "Corse"},
	{"44", "Grand Est"},
	{"01", "Guadeloupe"},
	{"03", "Guyane"},
	{"32", "Hauts-de-France"},
	{"11", "Île-de-France"},
	{"04", "La Réunion"},
	{"02", "Martinique"},
	{"06", "Mayotte"},
	{"28", "Normandie"},
	{"75", "Nouvelle-Aquitaine"},
	{"76", "Occitanie"},
	{"52", "Pays de la Loire"},
	{"93", "Provence-Alpes-Côte d'Azur"},
}

// RegionLabel returns the name of the region of code c (c itself if unknown).
func RegionLabel(c string) string {
	for _, r := range Regions {
		if r.Code == c {
			return r.Label
		}
	}
	return c
}

func validRegion(c string) bool {
	for _, r := range Regions {
		if r.Code == c {
			return true
		}
	}
	return false
}
