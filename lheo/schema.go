package lheo

// Element schema of LHÉO 2.3, generated from lheo-gml.xml (schema_gen.go).
// It drives the validation of records, both when decoding and before
// encoding.

type elemKind uint8

const (
	kindSequence elemKind = iota // xs:sequence of children
	kindChoice                   // xs:choice of children, repeated (extras)
	kindText                     // xs:string with length bounds
	kindCode                     // xs:token from a code table
	kindInt                      // xs:long
	kindDate                     // AAAAMMJJ
	kindAny                      // xs:anyType (extra)
)

// unbounded is the maximum number of occurrences of an unbounded child.
const unbounded = -1

type childDef struct {
	name     string
	min, max int
}

type elemDef struct {
	label          string
	kind           elemKind
	minLen, maxLen int   // kindText: length in characters
	table          Table // kindCode
	children       []childDef
	index          map[string]int // child name -> position in children
}

func init() {
	for _, d := range schema {
		if len(d.children) == 0 {
			continue
		}
		d.index = make(map[string]int, len(d.children))
		for i, c := range d.children {
			d.index[c.name] = i
		}
	}
}

// label returns the French name of an element, for error messages.
func label(name string) string {
	if d := schema[name]; d != nil {
		return d.label
	}
	return ""
}
