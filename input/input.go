// Package input is the one place that checks text at the edge (issue 16):
// every form value, query-string value, path, uploaded file name and JSON
// string must be valid UTF-8, hold no NUL or other control character (new
// lines and tabs only in the fields that allow several lines) and stay
// within a maximum length per field, so that neither storage engine ever
// sees such bytes. The web and API edges call it before any handler runs;
// the capabilities then check their own, finer rules.
package input

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"kairos"
)

// Limit is what one field accepts.
type Limit struct {
	Max       int  // characters (runes)
	Multiline bool // new lines (\n, \r) and tabs allowed
}

// Default limits.
var (
	SingleLine = Limit{Max: 1000}
	MultiLine  = Limit{Max: 10000, Multiline: true}
	QueryValue = Limit{Max: 500}
)

// fields are the limits of named fields (forms, JSON, query strings);
// other fields get SingleLine (QueryValue in a query string).
var fields = map[string]Limit{
	// Free text over several lines (textareas, reasons, comments).
	"comment": MultiLine, "commentaire": MultiLine, "motif": MultiLine, "reason": MultiLine,
	"description": MultiLine, "message": MultiLine, "note": MultiLine, "notes": MultiLine, "body": MultiLine,
	// Bounded single-line values.
	"email": {Max: 254}, "rgc_email": {Max: 254},
	"q":      {Max: 200}, // search: also bounds the LIKE patterns built from it
	"retour": {Max: 2000},
	"token":  {Max: 200}, "csrf_token": {Max: 200},
	"password": {Max: 1000},
}

// For returns the limit of field name.
func For(name string) Limit {
	if l, ok := fields[name]; ok {
		return l
	}
	for _, suffix := range []string{"_reason", "_motif", "_comment", "_commentaire"} {
		if strings.HasSuffix(name, suffix) {
			return MultiLine // cancel_reason, result_motif…
		}
	}
	return SingleLine
}

// Problem describes why a value is refused, in French ("" when it is accepted).
func Problem(v string, l Limit) string {
	if !utf8.ValidString(v) {
		return "contient des octets qui ne sont pas du texte UTF-8 valide"
	}
	n := 0
	for _, r := range v {
		n++
		if r == '\n' || r == '\r' || r == '\t' {
			if !l.Multiline {
				return "ne doit tenir que sur une ligne (retour à la ligne ou tabulation refusé)"
			}
			continue
		}
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return fmt.Sprintf("contient un caractère de contrôle non autorisé (U+%04X)", r)
		}
	}
	if l.Max > 0 && n > l.Max {
		return fmt.Sprintf("ne doit pas dépasser %d caractères (%d reçus)", l.Max, n)
	}
	return ""
}

// refused is the error for field name: EInvalid, with the field and why.
func refused(where, name, why string) *kairos.Error {
	label := name
	if label == "" {
		label = "(sans nom)"
	}
	return &kairos.Error{Code: kairos.EInvalid,
		Message: fmt.Sprintf("Donnée refusée : %s « %s » %s. Corrigez la saisie et recommencez.", where, label, why),
		Fields:  map[string]string{name: "Ce champ " + why + "."}}
}

// Text checks one value of field name.
func Text(name, v string) error {
	if why := Problem(v, For(name)); why != "" {
		return refused("le champ", name, why)
	}
	return nil
}

// Form checks submitted form values (their names too).
func Form(vals url.Values) error {
	return values(vals, "le champ", func(name string) Limit { return For(name) })
}

// Query checks query-string values (their names too).
func Query(vals url.Values) error {
	return values(vals, "le paramètre", func(name string) Limit {
		if l, ok := fields[name]; ok {
			return l
		}
		return QueryValue
	})
}

func values(vals url.Values, where string, limit func(string) Limit) error {
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if why := Problem(k, Limit{Max: 100}); why != "" {
			return refused(where, strings.ToValidUTF8(k, "?"), "a un nom qui "+why)
		}
		for _, v := range vals[k] {
			if why := Problem(v, limit(k)); why != "" {
				return refused(where, k, why)
			}
		}
	}
	return nil
}

// Path checks a request path (after percent-decoding): path values such as
// tokens reach the database.
func Path(p string) error {
	if why := Problem(p, Limit{Max: 2000}); why != "" {
		return &kairos.Error{Code: kairos.ENotFound, Message: "Adresse invalide : elle " + why + "."}
	}
	return nil
}

// FileName checks the name of an uploaded file.
func FileName(name string) error {
	if why := Problem(name, Limit{Max: 255}); why != "" {
		return refused("le nom du fichier", strings.ToValidUTF8(name, "?"), why)
	}
	return nil
}

// LooksJSON reports whether a body is meant as JSON (its first non-space
// byte opens an object or an array).
func LooksJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// JSON checks a JSON document: valid UTF-8 as sent (the decoder would
// silently replace bad bytes), then every key and every string, with the
// limit of the nearest key (\u0000 and other escaped controls included).
// A document that does not parse is left to the handler's decoder.
func JSON(b []byte) error {
	if !utf8.Valid(b) {
		return &kairos.Error{Code: kairos.EInvalid, Message: "Corps de requête refusé : il contient des octets qui ne sont pas du texte UTF-8 valide."}
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return walk("", v, 0)
}

func walk(name string, v any, depth int) error {
	if depth > 32 {
		return &kairos.Error{Code: kairos.EInvalid, Message: "Corps de requête refusé : plus de 32 niveaux d'imbrication."}
	}
	switch x := v.(type) {
	case string:
		if why := Problem(x, For(name)); why != "" {
			return refused("le champ", name, why)
		}
	case []any:
		for _, e := range x {
			if err := walk(name, e, depth+1); err != nil {
				return err
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if why := Problem(k, Limit{Max: 100}); why != "" {
				return refused("le champ", k, "a un nom qui "+why)
			}
			if err := walk(k, x[k], depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}
