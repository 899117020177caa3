package lheo

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// A record (one <formation>) is held as a small tree of nodes, both when
// decoding (XML → tree → validation → Formation) and when encoding
// (Formation → tree → validation → XML), so that one validator, driven by
// the schema generated from the standard, guards both directions.

const none = -1

type node struct {
	name  string
	text  string     // text content (simple elements)
	raw   RawXML     // canonical XML of an <extras> element
	attrs []xml.Attr // unqualified attributes
	line  int32
	mixed bool // non-blank text next to child elements

	first, last, next int32 // children and sibling links, none when absent
}

type tree struct {
	nodes []node
}

func (t *tree) reset() {
	clear(t.nodes) // drop references to the previous record's strings
	t.nodes = t.nodes[:0]
}

// add appends a node named name as the last child of parent (none for the
// root) and returns its index.
func (t *tree) add(parent int32, name string, line int) int32 {
	i := int32(len(t.nodes))
	t.nodes = append(t.nodes, node{name: name, line: int32(line), first: none, last: none, next: none})
	if parent != none {
		p := &t.nodes[parent]
		if p.last != none {
			t.nodes[p.last].next = i
		} else {
			p.first = i
		}
		p.last = i
	}
	return i
}

func (t *tree) attr(i int32, name string) string {
	for _, a := range t.nodes[i].attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// validator checks a tree against the schema. In strict mode (encoding) the
// element order is checked too; in lenient mode (decoding) the order is not
// checked and an optional element left empty (e.g. <restauration/> or
// <code-niveau-sortie></code-niveau-sortie>), which the XSD rejects, is
// dropped as if absent: real data does this.
type validator struct {
	t       *tree
	strict  bool
	reasons []Reason
}

func (v *validator) addf(line int32, format string, args ...any) {
	switch {
	case len(v.reasons) < maxReasons:
		v.reasons = append(v.reasons, Reason{Line: int(line), Msg: fmt.Sprintf(format, args...)})
	case len(v.reasons) == maxReasons:
		v.reasons = append(v.reasons, Reason{Line: int(line), Msg: "trop d'erreurs, les suivantes ne sont pas détaillées"})
	}
}

// validate checks node i and its subtree.
func (v *validator) validate(i int32) {
	n := &v.t.nodes[i]
	def := schema[n.name]
	for _, a := range n.attrs {
		if a.Name.Local == "datecrea" || a.Name.Local == "datemaj" {
			if _, err := parseDateAttr(a.Value); err != nil {
				v.addf(n.line, "<%s> : attribut %s : %v", n.name, a.Name.Local, err)
			}
		}
	}
	switch def.kind {
	case kindSequence, kindChoice:
		v.children(i, def)
		return
	case kindAny:
		return
	}
	// Simple content.
	if n.first != none {
		v.addf(v.t.nodes[n.first].line, "élément <%s> inattendu dans <%s> (%s), qui ne contient que du texte",
			v.t.nodes[n.first].name, n.name, def.label)
		return
	}
	switch def.kind {
	case kindText:
		l := utf8.RuneCountInString(n.text)
		switch {
		case v.strict && !validXML(n.text):
			v.addf(n.line, "<%s> (%s) : caractère interdit en XML", n.name, def.label)
		case l < def.minLen && l == 0:
			v.addf(n.line, "<%s> (%s) est vide", n.name, def.label)
		case l < def.minLen || l > def.maxLen:
			v.addf(n.line, "<%s> (%s) : %s", n.name, def.label, lengthMsg(l, def.minLen, def.maxLen))
		}
	case kindCode:
		if c := trimSpace(n.text); c == "" {
			v.addf(n.line, "<%s> (%s) est vide", n.name, def.label)
		} else if !Valid(def.table, c) {
			v.addf(n.line, "<%s> (%s) : code « %s » absent de la table %s (%s)",
				n.name, def.label, c, def.table, def.table.Name())
		}
	case kindInt:
		if _, err := parseInt(n.text); err != nil {
			v.addf(n.line, "<%s> (%s) : « %s » n'est pas un nombre entier", n.name, def.label, trimSpace(n.text))
		}
	case kindDate:
		if _, err := ParseDate(n.text); err != nil {
			v.addf(n.line, "<%s> (%s) : %v", n.name, def.label, err)
		}
	}
}

func lengthMsg(l, lo, hi int) string {
	switch {
	case lo == hi:
		return fmt.Sprintf("%d caractères au lieu de %d exactement", l, lo)
	case l > hi:
		return fmt.Sprintf("%d caractères, %d au plus", l, hi)
	}
	return fmt.Sprintf("%d caractères, %d au moins", l, lo)
}

// children checks the children of a sequence or choice element.
func (v *validator) children(i int32, def *elemDef) {
	n := &v.t.nodes[i]
	if n.mixed {
		v.addf(n.line, "texte inattendu dans <%s> (%s)", n.name, def.label)
	}
	var countBuf [64]int
	counts := countBuf[:len(def.children)]
	last := -1
	prev := int32(none)
	for c := n.first; c != none; {
		cn := &v.t.nodes[c]
		next := cn.next
		k, ok := def.index[cn.name]
		switch {
		case !ok:
			v.addf(cn.line, "élément <%s> inattendu dans <%s> (%s)", cn.name, n.name, def.label)
		case !v.strict && def.children[k].min == 0 && v.emptyAndInvalid(c):
			// Dropped as absent: unlink it.
			if prev == none {
				n.first = next
			} else {
				v.t.nodes[prev].next = next
			}
			if n.last == c {
				n.last = prev
			}
			c = next
			continue
		default:
			if v.strict && k < last {
				v.addf(cn.line, "<%s> hors de l'ordre imposé par le schéma dans <%s>", cn.name, n.name)
			}
			last = max(last, k)
			counts[k]++
			if cn.name != "extras" { // extras are checked when captured
				v.validate(c)
			}
		}
		prev, c = c, next
	}
	for k, cd := range def.children {
		switch {
		case def.kind == kindChoice:
		case counts[k] < cd.min:
			v.addf(n.line, "élément obligatoire <%s> (%s) absent de <%s>", cd.name, label(cd.name), n.name)
		case cd.max != unbounded && counts[k] > cd.max:
			v.addf(n.line, "<%s> (%s) présent %d fois dans <%s>, %d au plus", cd.name, label(cd.name), counts[k], n.name, cd.max)
		}
	}
	if n.name == "periode" {
		v.periode(i)
	}
}

// emptyAndInvalid reports whether node c has no content and would be
// invalid because of that.
func (v *validator) emptyAndInvalid(c int32) bool {
	n := &v.t.nodes[c]
	if n.first != none || n.mixed {
		return false
	}
	def := schema[n.name]
	switch def.kind {
	case kindText:
		return n.text == "" && def.minLen > 0
	case kindCode, kindInt, kindDate:
		return isBlank(n.text)
	case kindSequence:
		if !isBlank(n.text) {
			return false
		}
		for _, cd := range def.children {
			if cd.min > 0 {
				return true
			}
		}
	}
	return false
}

// periode checks that debut is not after fin.
func (v *validator) periode(i int32) {
	var debut, fin Date
	var okD, okF bool
	for c := v.t.nodes[i].first; c != none; c = v.t.nodes[c].next {
		d, err := ParseDate(v.t.nodes[c].text)
		switch v.t.nodes[c].name {
		case "debut":
			debut, okD = d, err == nil
		case "fin":
			fin, okF = d, err == nil
		}
	}
	if !okD || !okF {
		return
	}
	first, ok1 := debut.First()
	last, ok2 := fin.Last()
	if ok1 && ok2 && first.After(last) {
		v.addf(v.t.nodes[i].line, "<periode> : début %s postérieur à la fin %s", debut, fin)
	}
}

func parseInt(s string) (int, error) {
	return strconv.Atoi(trimSpace(s))
}

// parseDateAttr parses a datecrea or datemaj attribute; empty means absent.
func parseDateAttr(s string) (Date, error) {
	if isBlank(s) {
		return UnknownDate, nil
	}
	return ParseDate(s)
}
