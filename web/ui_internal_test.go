package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Every DSFR icon a template uses is in icons.txt, which tools/dsfrassets
// copies: an icon missing from it renders as a blank square.
func TestIconsUsedAreCopied(t *testing.T) {
	list, err := fs.ReadFile(staticFS, "static/icons.txt")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(list), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	icon := regexp.MustCompile(`fr-icon-[a-z0-9-]+[a-z0-9]`)
	fs.WalkDir(templatesFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(templatesFS, p)
		for _, name := range icon.FindAllString(string(b), -1) {
			if !have[name] {
				t.Errorf("%s uses %s, missing from web/static/icons.txt", p, name)
			}
		}
		return nil
	})
}

func TestFrenchWords(t *testing.T) {
	for in, want := range map[string]string{"Inès Garcia": "d'Inès Garcia", "Julien Roux": "de Julien Roux", "Élodie": "d'Élodie", "avril 2026": "d'avril 2026"} {
		if got := deName(in); got != want {
			t.Errorf("deName(%q) = %q, want %q", in, got, want)
		}
	}
	for d, want := range map[time.Duration]string{1641 * time.Microsecond: "1,6 ms", 2400 * time.Millisecond: "2,4 s", 185 * time.Second: "3 min 05 s"} {
		if got := durationFrench(d); got != want {
			t.Errorf("durationFrench(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestMarkdownEscapes(t *testing.T) {
	got := string(markdown("# Titre\n\nUn <b>texte</b> **gras** et [lien](/accessibilite).\n\n- un\n- deux\n"))
	for _, want := range []string{"<h1>Titre</h1>", "&lt;b&gt;texte&lt;/b&gt;", "<strong>gras</strong>", `<a href="/accessibilite">lien</a>`, "<li>un</li>"} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown: no %q in %s", want, got)
		}
	}
	if strings.Contains(string(markdown("[x](javascript:alert(1))")), "href") {
		t.Error("a javascript: link was rendered")
	}
}

// "form-errors" takes a *Form or, from older templates, a message alone.
func TestFormErrorsTakesFormOrMessage(t *testing.T) {
	s := &Server{}
	s.paris = time.UTC
	if err := s.parseTemplates(); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []any{"Adresse ou mot de passe incorrect.", &Form{Message: "Adresse ou mot de passe incorrect.", Errors: map[string]string{}}} {
		var b strings.Builder
		if err := s.pages["login"].ExecuteTemplate(&b, "form-errors", arg); err != nil {
			t.Fatalf("%T: %v", arg, err)
		}
		if !strings.Contains(b.String(), `id="erreurs"`) || !strings.Contains(b.String(), "mot de passe incorrect") {
			t.Errorf("%T: %s", arg, b.String())
		}
	}
}
