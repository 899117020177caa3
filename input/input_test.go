package input_test

import (
	"net/url"
	"strings"
	"testing"

	"kairos"
	"kairos/input"
)

func TestProblem(t *testing.T) {
	for _, c := range []struct {
		v    string
		l    input.Limit
		want string // part of the message, "" when accepted
	}{
		{"Claire Martin", input.SingleLine, ""},
		{"Île-de-France — 2026 ✓", input.SingleLine, ""},
		{"a\x00b", input.SingleLine, "U+0000"},
		{"a\x1bb", input.MultiLine, "U+001B"},
		{"a\u0085b", input.SingleLine, "U+0085"},
		{"a\x7fb", input.SingleLine, "U+007F"},
		{"\xff\xfe", input.SingleLine, "UTF-8"},
		{"ligne 1\r\nligne 2\tfin", input.MultiLine, ""},
		{"ligne 1\nligne 2", input.SingleLine, "une ligne"},
		{strings.Repeat("é", 200), input.Limit{Max: 200}, ""},
		{strings.Repeat("é", 201), input.Limit{Max: 200}, "200 caractères"},
	} {
		got := input.Problem(c.v, c.l)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("Problem(%.30q) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestValuesJSONAndPaths(t *testing.T) {
	err := input.Form(url.Values{"comment": {"a\nb"}, "title": {"x\r\nSet-Cookie: a=b"}})
	if kairos.ErrorCode(err) != kairos.EInvalid || kairos.FieldErrors(err)["title"] == "" || !strings.Contains(kairos.ErrorMessage(err), "« title »") {
		t.Fatalf("form: %v", err)
	}
	if err := input.Form(url.Values{"cancel_reason": {"a\nb"}}); err != nil {
		t.Fatalf("a multi-line reason: %v", err)
	}
	if err := input.Query(url.Values{"q": {strings.Repeat("a", 201)}}); kairos.FieldErrors(err)["q"] == "" {
		t.Fatalf("q: %v", err)
	}
	if err := input.Query(url.Values{"x\x00": {"a"}}); err == nil {
		t.Fatal("a NUL in a parameter's name")
	}
	if err := input.JSON([]byte(`{"items":[{"reason":"a\nb","name":"ok"}],"n":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := input.JSON([]byte(`{"items":[{"name":"a\u0000b"}]}`)); kairos.FieldErrors(err)["name"] == "" {
		t.Fatalf("nested NUL: %v", err)
	}
	if err := input.JSON([]byte("{\"name\":\"\xff\"}")); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	if err := input.JSON([]byte(`{"a":`)); err != nil {
		t.Fatalf("a broken document is the handler's: %v", err)
	}
	if err := input.JSON([]byte(strings.Repeat("[", 40) + strings.Repeat("]", 40))); err == nil {
		t.Fatal("40 levels of nesting")
	}
	if err := input.Path("/agenda/a\x00b"); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("path: %v", err)
	}
	if !input.LooksJSON([]byte("  \n{")) || input.LooksJSON([]byte("<?xml")) {
		t.Fatal("LooksJSON")
	}
}
