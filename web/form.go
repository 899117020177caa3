package web

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"kairos"
)

// Form carries submitted values and field errors back to a page, so that
// nothing typed is lost when a submission fails.
type Form struct {
	Values  url.Values
	Errors  map[string]string
	Message string // error shown above the form
	// IDSuffix is appended to a field's name to make its element id, when
	// one page holds several forms with the same field names.
	IDSuffix string
}

// FieldError is one line of a form's error summary: the message and the
// id of the field it points to.
type FieldError struct{ ID, Message string }

// Failed reports whether the form shows an error (nil-safe for templates).
func (f *Form) Failed() bool { return f != nil && (f.Message != "" || len(f.Errors) > 0) }

// Lead is the message of the error summary under its title, unless it only
// says that the form has errors (the title says it already).
func (f *Form) Lead() string {
	if f == nil || strings.HasPrefix(f.Message, "Le formulaire contient") {
		return ""
	}
	return f.Message
}

// Summary lists the field errors, in the order of the fields in the form
// when order gives it (the names of the fields), then by name.
func (f *Form) Summary() []FieldError {
	if f == nil {
		return nil
	}
	names := make([]string, 0, len(f.Errors))
	for k := range f.Errors {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]FieldError, 0, len(names))
	for _, k := range names {
		out = append(out, FieldError{ID: k + f.IDSuffix, Message: f.Errors[k]})
	}
	return out
}

// NewForm returns an empty form, or one holding r's submitted values.
func NewForm(r *http.Request) *Form {
	f := &Form{Values: url.Values{}, Errors: map[string]string{}}
	if r != nil && r.Method == http.MethodPost {
		f.Values = r.PostForm
	}
	return f
}

// Get returns the trimmed value of field name.
func (f *Form) Get(name string) string { return strings.TrimSpace(f.Values.Get(name)) }

// Has reports whether a checkbox-like field holds value v.
func (f *Form) Has(name, v string) bool {
	for _, x := range f.Values[name] {
		if x == v {
			return true
		}
	}
	return false
}

// Fail records err on the form: field errors next to their fields, the
// message above the form. It reports whether err was a user error (to show
// the form again) rather than an internal one.
func (f *Form) Fail(err error) bool {
	switch kairos.ErrorCode(err) {
	case kairos.EInvalid, kairos.EConflict, kairos.EUnauthorized, kairos.ETooMany, kairos.EUnavailable, kairos.EForbidden:
		for k, v := range kairos.FieldErrors(err) {
			f.Errors[k] = v
		}
		f.Message = kairos.ErrorMessage(err)
		return true
	}
	return false
}

// Field is what the "field" template renders.
type Field struct {
	Name, Label, Type, Value, Error, Hint, Autocomplete string
	Required                                            bool
}

// formOf lets the "form-errors" template take a *Form or, from older
// templates, only its message.
func formOf(v any) *Form {
	switch x := v.(type) {
	case *Form:
		return x
	case string:
		return &Form{Message: x}
	}
	return nil
}
