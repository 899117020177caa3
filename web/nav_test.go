package web

import "testing"

func TestNavBarGroups(t *testing.T) {
	links := []navLink{
		{Label: "Accueil", Path: "/accueil"},
		{Label: "Mon organisme", Path: "/mon-organisme", group: groupOrg},
		{Label: "Catalogue", Path: "/catalogue", group: groupOffer},
		{Label: "Utilisateurs", Path: "/organisme/utilisateurs", group: groupOrg, Current: true},
		{Label: "Mon compte", Path: "/compte", group: barless},
	}
	bar := navBar(links)
	if len(bar) != 3 {
		t.Fatalf("bar %+v", bar)
	}
	if bar[0].Path != "/accueil" || bar[0].Menu != nil {
		t.Errorf("first entry %+v", bar[0])
	}
	g := bar[1]
	if g.Label != groupOrg || g.Path != "" || g.ID == "" || !g.Current || len(g.Menu) != 2 || g.Menu[1].Path != "/organisme/utilisateurs" {
		t.Errorf("group of two: %+v", g)
	}
	if bar[2].Path != "/catalogue" || bar[2].Menu != nil { // a group of one is a plain link
		t.Errorf("group of one: %+v", bar[2])
	}
}
