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
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
