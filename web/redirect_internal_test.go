package web

import "testing"

// Issue 16, finding 6: the one check of redirect targets.
func TestLocalPath(t *testing.T) {
	for _, bad := range []string{"", "evil.example", "//evil.example", "/\\evil.example/", "/\t/evil.example/", "/\n/evil", "/\r/evil",
		"https://evil.example/", "/ /evil", "/\u00a0/evil", "/a\\b", "/\x00", "/\x7f", "javascript:alert(1)", "\\/evil"} {
		if got := localPath(bad); got != "" {
			t.Errorf("localPath(%q) = %q", bad, got)
		}
	}
	for _, ok := range []string{"/", "/accueil", "/mes-rendez-vous?x=1", "/admin/journal?q=a%20b#x"} {
		if got := localPath(ok); got != ok {
			t.Errorf("localPath(%q) = %q", ok, got)
		}
	}
}
