package lheo

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// DocumentError reports a document that cannot be read as LHÉO: not
// well-formed XML, wrong root element, unknown namespace, or a security
// limit exceeded. Nothing of such a document should be imported, including
// the records returned before the error. The message is in French.
type DocumentError struct {
	Line   int // 1-based
	Column int // 1-based, in characters
	Msg    string
	Err    error // underlying error, if any
}

func (e *DocumentError) Error() string {
	return fmt.Sprintf("ligne %d, colonne %d : %s", e.Line, e.Column, e.Msg)
}

func (e *DocumentError) Unwrap() error { return e.Err }

// Reason is one reason why a record was rejected.
type Reason struct {
	Line int    // line of the offending element
	Msg  string // in French
}

func (r Reason) String() string {
	if r.Line == 0 { // from the Encoder
		return r.Msg
	}
	return fmt.Sprintf("ligne %d : %s", r.Line, r.Msg)
}

// RecordError reports a <formation> that breaks the standard. The record is
// rejected alone; the Decoder goes on with the next one. The Encoder returns
// it too for a Formation it refuses to write.
type RecordError struct {
	Line    int    // line of the <formation> start tag (0 if unknown)
	Numero  string // @numero of the formation, "" if absent
	Reasons []Reason
}

func (e *RecordError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "ligne %d : ", e.Line)
	}
	b.WriteString("formation")
	if e.Numero != "" {
		fmt.Fprintf(&b, " « %s »", e.Numero)
	}
	b.WriteString(" rejetée")
	for i, r := range e.Reasons {
		if i == 0 {
			b.WriteString(" : ")
		} else {
			b.WriteString(" ; ")
		}
		b.WriteString(r.String())
	}
	return b.String()
}

// maxReasons bounds the reasons kept per record.
const maxReasons = 20

// frenchSyntax translates the messages of encoding/xml into French.
func frenchSyntax(err error) string {
	var se *xml.SyntaxError
	if !errors.As(err, &se) {
		msg := err.Error()
		if strings.HasPrefix(msg, "xml: unsupported version") {
			return "version XML non prise en charge (1.0 attendue)"
		}
		return "XML mal formé : " + strings.TrimPrefix(msg, "xml: ")
	}
	msg := se.Msg
	var a, b string
	switch {
	case msg == "unexpected EOF":
		return "fin de document inattendue"
	case msg == "unexpected EOF in CDATA section":
		return "fin de document inattendue dans une section CDATA"
	case scan(msg, "element <", "> closed by </", ">", &a, &b):
		return fmt.Sprintf("balise fermante inattendue </%s> (élément <%s> ouvert)", b, a)
	case strings.HasPrefix(msg, "element <") && strings.Contains(msg, " closed by </"):
		_, rest, _ := strings.Cut(msg, " closed by </")
		name, _, _ := strings.Cut(rest, ">")
		return fmt.Sprintf("balise fermante inattendue </%s>", name)
	case strings.HasPrefix(msg, "unexpected end element </"):
		return "balise fermante inattendue " + strings.TrimPrefix(msg, "unexpected end element ")
	case strings.HasPrefix(msg, "invalid character entity "):
		return "entité inconnue " + strings.TrimPrefix(msg, "invalid character entity ") +
			" (seules &lt; &gt; &amp; &quot; &apos; et les références numériques sont définies en XML)"
	case strings.HasPrefix(msg, "invalid XML name: "):
		return "nom XML invalide : " + strings.TrimPrefix(msg, "invalid XML name: ")
	case strings.HasPrefix(msg, "illegal character code "):
		return "caractère interdit en XML " + strings.TrimPrefix(msg, "illegal character code ")
	case strings.HasPrefix(msg, "invalid characters between </"):
		return "caractères invalides dans une balise fermante"
	}
	if fr, ok := syntaxFR[msg]; ok {
		return fr
	}
	return "XML mal formé : " + msg
}

var syntaxFR = map[string]string{
	"expected element name after <":                  "nom d'élément attendu après <",
	"expected element name after </":                 "nom d'élément attendu après </",
	"expected /> in element":                         "/> attendu dans la balise",
	"expected attribute name in element":             "nom d'attribut attendu dans la balise",
	"attribute name without = in element":            "attribut sans signe =",
	"unquoted or missing attribute value in element": "valeur d'attribut manquante ou sans guillemets",
	"unescaped < inside quoted string":               "caractère < non échappé dans une valeur d'attribut",
	"unescaped ]]> not in CDATA section":             "séquence ]]> interdite hors d'une section CDATA",
	"invalid UTF-8":                                  "séquence UTF-8 invalide",
	`invalid sequence "--" not allowed in comments`:  "séquence -- interdite dans un commentaire",
	"invalid sequence <!- not part of <!--":          "séquence <!- invalide",
	"invalid <![ sequence":                           "séquence <![ invalide",
	"expected target name after <?":                  "nom d'instruction attendu après <?",
}

// scan matches msg against prefix + a + mid + b + suffix.
func scan(msg, prefix, mid, suffix string, a, b *string) bool {
	rest, ok := strings.CutPrefix(msg, prefix)
	if !ok {
		return false
	}
	x, y, ok := strings.Cut(rest, mid)
	if !ok || !strings.HasSuffix(y, suffix) || strings.Contains(x, " ") {
		return false
	}
	*a, *b = x, strings.TrimSuffix(y, suffix)
	return !strings.Contains(*b, " ")
}
