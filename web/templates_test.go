package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestTemplatesHaveNoInlineScriptOrStyle guards the Content-Security-Policy
// (script-src 'self'; style-src 'self'): an inline script, a <style> element
// or a style attribute in any template would be silently blocked by browsers.
var btnGroup = regexp.MustCompile(`(?s)<ul class="(fr-btns-group[^"]*)">(.*?)</ul>`)

// It also checks the DSFR button groups of the pages.
func TestTemplatesHaveNoInlineScriptOrStyle(t *testing.T) {
	inlineScript := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	err := fs.WalkDir(templatesFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templatesFS, p)
		if err != nil {
			return err
		}
		src := string(b)
		switch {
		case inlineScript.MatchString(src):
			t.Errorf("%s: inline script", p)
		case strings.Contains(src, "<style"):
			t.Errorf("%s: <style> element", p)
		case regexp.MustCompile(`\sstyle=`).MatchString(src):
			t.Errorf("%s: style attribute", p)
		case regexp.MustCompile(`\son[a-z]+=`).MatchString(src):
			t.Errorf("%s: inline event handler", p)
		}
		// In a DSFR button group, buttons with an icon show only the icon
		// unless the group says where the icon goes (the header's tools
		// group of the layout is styled by the header itself).
		for _, g := range btnGroup.FindAllStringSubmatch(src, -1) {
			if strings.HasSuffix(p, "layout.html") {
				break
			}
			if !strings.Contains(g[1], "fr-btns-group--icon-") && strings.Contains(g[2], "fr-icon-") {
				t.Errorf("%s: a button group hides the text of its icon buttons (add fr-btns-group--icon-left)", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
