package web

import (
	"strings"

	"kairos"
)

// navItem is an entry of the main menu. Its visibility comes from the rule
// of the route it points to, so the menu never shows what the server would
// refuse.
type navItem struct {
	Label string
	Path  string
}

// navItems is the main menu, in order. Later capabilities add their entries here.
var navItems = []navItem{
	{"Accueil", "/accueil"},
	{"Utilisateurs", "/organisme/utilisateurs"},
	{"Clés d'API", "/organisme/cles-api"},
	{"Utilisateurs de la plateforme", "/admin/utilisateurs"},
	{"Journal d'audit", "/admin/journal"},
	{"Mon compte", "/compte"},
}

type navLink struct {
	Label, Path string
	Current     bool
}

// nav returns the menu entries the actor may use.
func (s *Server) nav(a *kairos.Actor, current string) []navLink {
	if a == nil {
		return nil
	}
	var out []navLink
	for _, it := range navItems {
		rule, ok := s.ruleFor("GET " + it.Path)
		if !ok || kairos.Authorize(a, rule) != nil {
			continue
		}
		cur := current == it.Path || (it.Path != "/accueil" && strings.HasPrefix(current, it.Path+"/"))
		out = append(out, navLink{Label: it.Label, Path: it.Path, Current: cur})
	}
	return out
}

func (s *Server) ruleFor(pattern string) (kairos.Rule, bool) {
	for _, r := range s.routes {
		if r.pattern == pattern {
			return r.rule, true
		}
	}
	return kairos.Rule{}, false
}
