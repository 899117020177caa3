package quotes

import "kairos/lheo"

// FunderCPF is the code of the job seeker's compte personnel de formation.
// LHÉO's dict-financeurs has no code for it (the CPF is managed by the
// Caisse des dépôts): Kairos adds this one. [design]
const FunderCPF = "CPF"

// Funder is a co-funder a quote may name.
type Funder struct{ Code, Label string }

// Funders lists the co-funders of a quote: the CPF, then LHÉO
// dict-financeurs in the standard's order, without France Travail itself
// (« Pôle emploi », code 4: the AIF is its share) nor the obsolete code 1.
// It is the one place this list lives.
var Funders = func() []Funder {
	out := []Funder{{FunderCPF, "Compte personnel de formation (CPF)"}}
	for _, e := range lheo.Entries(lheo.TableFinanceurs) {
		if e.Code == "4" || e.Code == "1" {
			continue
		}
		out = append(out, Funder{e.Code, e.Label})
	}
	return out
}()

// KnownFunder reports whether code is in Funders.
func KnownFunder(code string) bool {
	for _, f := range Funders {
		if f.Code == code {
			return true
		}
	}
	return false
}

// FunderLabel returns the French label of a funder code.
func FunderLabel(code string) string {
	for _, f := range Funders {
		if f.Code == code {
			return f.Label
		}
	}
	return code
}
