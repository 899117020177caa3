package catalogue_test

import (
	"slices"
	"testing"

	"kairos/catalogue"
	"kairos/lheo/lheotest"
)

func ids(items []catalogue.Session) []int64 {
	out := make([]int64, len(items))
	for i, x := range items {
		out[i] = x.ID
	}
	return out
}

// TestSearchPlansAgree runs the same searches with the ranked plan (few
// matches) and, on SQLite, the broad plan (rank cap of 1): listed by start date, they
// must give the same pages; ranked by relevance, the same counts, only
// matching sessions, and the broad flag.
func TestSearchPlansAgree(t *testing.T) {
	ranked, _ := newService(t)
	mustImport(t, ranked, lheotest.MustGenerate(t, 400, 11), catalogue.ImportOptions{Source: "synthese"})
	broad := &catalogue.Service{DB: ranked.DB, RankCap: 1}
	filters := []catalogue.Filter{
		{Q: "module theorique"},
		{Q: "soudage"},
		{Q: "developpeur web", Departement: "31"},
		{Q: "comptabilite", Certifiante: "1"},
		{Q: "anglais", Offset: 5, Limit: 7},
		{Q: "soudage", Offset: 390, Limit: 20}, // past the last page
		{Q: "introuvable"},
	}
	for _, f := range filters {
		for _, sort := range []string{catalogue.SortStart, catalogue.SortRelevance} {
			f := f
			f.Sort = sort
			a, err := ranked.Search(ctx(), f)
			if err != nil {
				t.Fatal(err)
			}
			b, err := broad.Search(ctx(), f)
			if err != nil {
				t.Fatal(err)
			}
			name := f.Q + "/" + f.Departement + "/" + sort
			if a.Total != b.Total || a.More != b.More || a.Broad {
				t.Errorf("%s: ranked plan %d (more %v, broad %v), broad plan %d (more %v)", name, a.Total, a.More, a.Broad, b.Total, b.More)
			}
			if sort == catalogue.SortStart && !slices.Equal(ids(a.Items), ids(b.Items)) {
				t.Errorf("%s: pages differ: %v and %v", name, ids(a.Items), ids(b.Items))
			}
			if sort == catalogue.SortRelevance && b.Total > 0 && !b.Broad {
				t.Errorf("%s: the broad plan does not say it is not ranked", name)
			}
			// Every listed session matches: it is among all the matches by date.
			all := f
			all.Sort, all.Offset, all.Limit = catalogue.SortStart, 0, 200
			every, err := ranked.Search(ctx(), all)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range a.Items {
				if len(every.Items) == every.Total && !slices.Contains(ids(every.Items), x.ID) {
					t.Errorf("%s: session %d listed but does not match", name, x.ID)
				}
				if f.Departement != "" && x.Departement != f.Departement || f.Certifiante == "1" && !x.Certifiante {
					t.Errorf("%s: session %d ignores a filter", name, x.ID)
				}
			}
			want := min(f.Limit, a.Total-f.Offset)
			if f.Limit == 0 {
				want = min(20, a.Total)
			}
			if a.Total > 0 && len(a.Items) != max(want, 0) {
				t.Errorf("%s: page of %d items, want %d", name, len(a.Items), want)
			}
		}
	}
}

// Words of one or two letters are matched whole, never as prefixes, and
// French stop words are left out of a query that holds other words.
func TestSearchShortAndStopWords(t *testing.T) {
	s, _ := newService(t)
	mustImport(t, s, sample(t, "intercarif-occitanie-daeu.lheo22.xml"), catalogue.ImportOptions{Source: "occitanie"})
	for q, want := range map[string]int{
		"opt":                     1, // « option »: a prefix of 3 letters or more
		"op":                      0, // not a prefix of « option »
		"option a":                1, // « a » is a stop word
		"diplôme d'accès aux":     1,
		"études de universitaire": 1,
		"de la":                   1, // only stop words: matched whole
		"xq":                      0,
	} {
		res, err := s.Search(ctx(), catalogue.Filter{Q: q})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != want {
			t.Errorf("%q: %d sessions, want %d", q, res.Total, want)
		}
	}
}
