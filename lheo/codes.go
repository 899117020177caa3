package lheo

// Table names one of the closed code tables ("dictionnaires") of LHÉO, by
// its official name, e.g. "dict-financeurs". The constants (TableFinanceurs,
// TableNiveaux, …) and their content are generated from the official
// definition lheo-gml.xml, see codes_gen.go.
type Table string

// Entry is one code of a table with its official French label.
type Entry struct {
	Code  string
	Label string
}

type tableDef struct {
	table   Table
	name    string
	entries []Entry
}

// Values of TableEtatRecrutement (session/etat-recrutement).
const (
	EtatRecrutementOuvert   = "1"
	EtatRecrutementFerme    = "2"
	EtatRecrutementSuspendu = "3"
)

func lookupTable(t Table) *tableDef {
	for i := range tableDefs {
		if tableDefs[i].table == t {
			return &tableDefs[i]
		}
	}
	return nil
}

// Tables returns every code table, in the order of the standard.
func Tables() []Table {
	out := make([]Table, len(tableDefs))
	for i, d := range tableDefs {
		out[i] = d.table
	}
	return out
}

// Name returns the French title of the table ("Financeurs"), or "" for an
// unknown table.
func (t Table) Name() string {
	if d := lookupTable(t); d != nil {
		return d.name
	}
	return ""
}

// Entries returns the codes of table t with their labels, in the order of the
// standard (which is not always numeric). It returns nil for an unknown table.
// The returned slice must not be modified.
func Entries(t Table) []Entry {
	if d := lookupTable(t); d != nil {
		return d.entries
	}
	return nil
}

// Label returns the French label of code in table t, or "" when the code is
// not in the table.
func Label(t Table, code string) string {
	if d := lookupTable(t); d != nil {
		for _, e := range d.entries {
			if e.Code == code {
				return e.Label
			}
		}
	}
	return ""
}

// Valid reports whether code belongs to table t.
func Valid(t Table, code string) bool {
	if d := lookupTable(t); d != nil {
		for _, e := range d.entries {
			if e.Code == code {
				return true
			}
		}
	}
	return false
}
