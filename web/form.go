package web

import (
	"net/http"
	"net/url"
	"strings"

	"kairos"
)

// Form carries submitted values and field errors back to a page, so that
// nothing typed is lost when a submission fails.
type Form struct {
	Values  url.Values
	Errors  map[string]string
	Message string // error shown above the form
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
