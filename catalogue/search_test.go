package catalogue_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"kairos/catalogue"
	"kairos/lheo/lheotest"
	"kairos/store"
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
			if sort == catalogue.SortRelevance && b.Broad {
				// Not ranked: listed by start date, as the ranked plan lists them.
				byDate := f
				byDate.Sort = catalogue.SortStart
				d, err := ranked.Search(ctx(), byDate)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(b.Items), ids(d.Items)) {
					t.Errorf("%s: broad page %v, by start date %v", name, ids(b.Items), ids(d.Items))
				}
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

// TestSearchRankedAsEveryMatch pins the ranked plan (on PostgreSQL one
// statement: matched formations counted, ranked, their sessions counted and
// the page joined from the best ones only): a search by relevance, with or
// without a place, gives the same total as counting every match, and the
// page ranking every matching session in plain SQL gives: the same sessions
// in the same order when every matched formation is a candidate (fewer
// than 256 match the words), the same scores in the same order otherwise
// (the candidates are the 256 best formations: among formations of equal
// score at that boundary, other sessions may then be listed). French stop words and short words are not part of
// the match (the reference expressions leave them out).
func TestSearchRankedAsEveryMatch(t *testing.T) {
	s, _ := newService(t)
	mustImport(t, s, lheotest.MustGenerate(t, 1600, 11), catalogue.ImportOptions{Source: "synthese"})
	pg := s.DB.Engine() == store.Postgres
	cases := []struct {
		f      catalogue.Filter
		words  []string // the words matched as prefixes
		checks string   // which filter the reference applies
	}{
		{catalogue.Filter{Q: "titre professionnel", Region: "84"}, []string{"titre", "professionnel"}, "region"},
		{catalogue.Filter{Q: "titre professionnel"}, []string{"titre", "professionnel"}, ""},
		{catalogue.Filter{Q: "les règles de sécurité", Departement: "13"}, []string{"regles", "securite"}, "departement"},
		{catalogue.Filter{Q: "module theorique"}, []string{"module", "theorique"}, ""}, // every formation: more than 256 candidates
		{catalogue.Filter{Q: "attestation de fin de formation", Offset: 20, Limit: 10}, []string{"attestation", "fin", "formation"}, ""},
		{catalogue.Filter{Q: "électricien d'équipement", Region: "76"}, []string{"electricien", "equipement"}, "region"},
		{catalogue.Filter{Q: "soudage", Offset: 990, Limit: 20}, []string{"soudage"}, ""}, // past the last page
	}
	for _, c := range cases {
		f := c.f
		f.Sort = catalogue.SortRelevance
		got, err := s.Search(ctx(), f)
		if err != nil {
			t.Fatal(err)
		}
		// The reference: every matching session ranked, no candidate set.
		var q, count string
		var args []any
		if pg {
			match := strings.Join(c.words, ":* & ") + ":*"
			count = "SELECT COUNT(*) FROM catalogue_formations WHERE search @@ to_tsquery('simple', ?)"
			q = "SELECT s.id, m.fid, m.score FROM (SELECT id AS fid, ts_rank(search, to_tsquery('simple', ?))::float8 AS score FROM catalogue_formations WHERE search @@ to_tsquery('simple', ?)) m" +
				" JOIN catalogue_sessions s ON s.formation_id = m.fid WHERE s.withdrawn_at IS NULL"
			args = []any{match, match}
		} else {
			count = "SELECT COUNT(*) FROM catalogue_search WHERE catalogue_search MATCH ?"
			q = "SELECT s.id, m.fid, m.score FROM (SELECT rowid AS fid, -rank AS score FROM catalogue_search WHERE catalogue_search MATCH ?) m" +
				" CROSS JOIN catalogue_sessions s ON s.formation_id = m.fid WHERE s.withdrawn_at IS NULL"
			args = []any{`"` + strings.Join(c.words, `"* "`) + `"*`}
		}
		switch c.checks {
		case "region":
			q += " AND s.region = ?"
			args = append(args, f.Region)
		case "departement":
			q += " AND s.departement = ?"
			args = append(args, f.Departement)
		}
		rows, err := s.DB.Query(ctx(), q+" ORDER BY m.score DESC, CASE WHEN s.debut = 0 THEN 1 ELSE 0 END, s.debut, s.id", args...)
		if err != nil {
			t.Fatal(err)
		}
		var matched int // formations matching the words, whatever the filters
		if err := s.DB.QueryRow(ctx(), count, args[0]).Scan(&matched); err != nil {
			t.Fatal(err)
		}
		var every []int64
		score := map[int64]float64{}
		formations := map[int64]bool{}
		for rows.Next() {
			var id, fid int64
			var sc float64
			if err := rows.Scan(&id, &fid, &sc); err != nil {
				t.Fatal(err)
			}
			every, score[id], formations[fid] = append(every, id), sc, true
		}
		rows.Close()
		limit := f.Limit
		if limit == 0 {
			limit = 20
		}
		want := every[min(f.Offset, len(every)):min(f.Offset+limit, len(every))]
		if len(every) < 5 {
			t.Fatalf("%+v: only %d matching sessions, the case proves nothing", c.f, len(every))
		}
		name := fmt.Sprintf("%q region %q departement %q offset %d (%d formations match, %d sessions of %d formations pass the filters)", f.Q, f.Region, f.Departement, f.Offset, matched, len(every), len(formations))
		if got.Total != min(len(every), catalogue.MaxCount) || got.More != (len(every) > catalogue.MaxCount) || got.Broad {
			t.Errorf("%s: total %d (more %v, broad %v), want %d", name, got.Total, got.More, got.Broad, len(every))
		}
		scores := func(ids []int64) []float64 {
			out := make([]float64, len(ids))
			for i, id := range ids {
				sc, ok := score[id]
				if !ok {
					sc = -1 // does not match
				}
				out[i] = sc
			}
			return out
		}
		if matched < 256 && !slices.Equal(ids(got.Items), want) {
			t.Errorf("%s: page %v, want %v", name, ids(got.Items), want)
		}
		if !slices.Equal(scores(ids(got.Items)), scores(want)) {
			t.Errorf("%s: page scores %v, want %v", name, scores(ids(got.Items)), scores(want))
		}
	}
	// A stop word does not narrow a query (no formation says « votre »), a
	// word of two letters is matched whole (« ti » is not « TIG »).
	total := func(q string) int {
		r, err := s.Search(ctx(), catalogue.Filter{Q: q, Region: "84"})
		if err != nil {
			t.Fatal(err)
		}
		return r.Total
	}
	if n := total("soudage"); n == 0 || total("soudage votre") != n || total("soudage tig") != n || total("soudage ti") != 0 {
		t.Errorf("soudage: %d sessions, with « votre » %d, with « tig » %d, with « ti » %d", n, total("soudage votre"), total("soudage tig"), total("soudage ti"))
	}
}

// TestSearchRankCapCountsPrefixes pins the count that chooses the plan: on
// SQLite it first reads the words matched whole, a subset of the matches;
// « professionnel » is a whole word of some formations and the prefix of
// « professionnels », in every one. With a rank cap between the two counts
// the search is broad, as it is with a cap below both, and ranked with a
// cap above both.
func TestSearchRankCapCountsPrefixes(t *testing.T) {
	s, _ := newService(t)
	mustImport(t, s, lheotest.MustGenerate(t, 400, 11), catalogue.ImportOptions{Source: "synthese"})
	count := func(prefix bool) int {
		q, arg := "SELECT COUNT(*) FROM catalogue_search WHERE catalogue_search MATCH ?", `"professionnel"`
		if s.DB.Engine() == store.Postgres {
			q, arg = "SELECT COUNT(*) FROM catalogue_formations WHERE search @@ to_tsquery('simple', ?)", "professionnel"
		}
		if prefix {
			arg += map[bool]string{true: ":*", false: "*"}[s.DB.Engine() == store.Postgres]
		}
		var n int
		if err := s.DB.QueryRow(ctx(), q, arg).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	all, whole := count(true), count(false)
	if whole == 0 || whole >= all {
		t.Fatalf("%d formations say « professionnel », %d have a word beginning with it: the case proves nothing", whole, all)
	}
	for _, c := range []struct {
		cap   int
		broad bool
	}{{whole / 2, true}, {(whole + all) / 2, true}, {all + 1, false}} {
		svc := &catalogue.Service{DB: s.DB, RankCap: c.cap}
		r, err := svc.Search(ctx(), catalogue.Filter{Q: "professionnel"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Broad != c.broad || r.Total == 0 {
			t.Errorf("rank cap %d (%d formations say « professionnel », %d have a word beginning with it): broad %v, want %v (total %d)", c.cap, whole, all, r.Broad, c.broad, r.Total)
		}
	}
}

// TestSearchDenseWalkAgrees compares, on SQLite, the broad plan that walks
// a few thousand sessions and probes their formations (words matching many
// formations) with the broad plan that builds the whole matched set:
// counts and pages are the same whether the walk is long enough (« module
// théorique » is in every formation: 1 001 sessions kept out of 1 300
// walked), too short to tell (the plan falls back), or longer than the
// catalogue.
func TestSearchDenseWalkAgrees(t *testing.T) {
	ranked, _ := newService(t)
	if ranked.DB.Engine() == store.Postgres {
		t.Skip("SQLite plan")
	}
	mustImport(t, ranked, lheotest.MustGenerate(t, 1600, 11), catalogue.ImportOptions{Source: "synthese"})
	s := &catalogue.Service{DB: ranked.DB, RankCap: 5}
	filters := []catalogue.Filter{
		{Q: "module theorique"},
		{Q: "module theorique", Offset: 990, Limit: 20},
		{Q: "titre professionnel", Region: "84"},
		{Q: "les règles de sécurité", Departement: "13", Offset: 20},
		{Q: "soudage", Certifiante: "1"},
		{Q: "maîtriser les gestes", Departement: "13", Offset: 1000},
	}
	search := func(f catalogue.Filter, longest, length int) *catalogue.Result {
		defer catalogue.SetDenseWalk(longest, length)()
		r, err := s.Search(ctx(), f)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, f := range filters {
		for _, sort := range []string{catalogue.SortStart, catalogue.SortRelevance} {
			f := f
			f.Sort = sort
			want := search(f, 0, 0)
			for _, length := range []int{30, 1300, 5000} {
				got := search(f, 8000, length)
				if got.Total != want.Total || got.More != want.More || got.Broad != want.Broad || !slices.Equal(ids(got.Items), ids(want.Items)) {
					t.Errorf("%+v, walk of %d: total %d (more %v, broad %v) %v, want %d (more %v, broad %v) %v", f, length,
						got.Total, got.More, got.Broad, ids(got.Items), want.Total, want.More, want.Broad, ids(want.Items))
				}
			}
			if want.Total == 0 {
				t.Errorf("%+v: no match, the case proves nothing", f)
			}
		}
	}
}

// TestSearchOnePassAgrees compares, on PostgreSQL, the two plans of a
// search by relevance: matched formations counted and ranked in one pass,
// or counted first and ranked only when few enough match. Whichever the
// words' statistics choose, counts, pages and the broad flag are the same,
// with a rank cap above and below the number of matched formations.
func TestSearchOnePassAgrees(t *testing.T) {
	s := generatedOnPostgres(t, "PostgreSQL plan")
	filters := []catalogue.Filter{
		{Q: "soudage"},
		{Q: "titre professionnel", Region: "84"},
		{Q: "module theorique"},
		{Q: "developpeur web", Departement: "31"},
		{Q: "les règles de sécurité", Departement: "13", Offset: 20},
		{Q: "anglais", Offset: 5, Limit: 7},
		{Q: "soudage", Offset: 390, Limit: 20}, // past the last page
		{Q: "introuvable"},
	}
	search := func(svc *catalogue.Service, f catalogue.Filter, mode int) *catalogue.Result {
		defer catalogue.SetOnePass(mode)()
		r, err := svc.Search(ctx(), f)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, rankCap := range []int{5, 0} {
		svc := &catalogue.Service{DB: s.DB, RankCap: rankCap}
		for _, f := range filters {
			f.Sort = catalogue.SortRelevance
			want := search(svc, f, -1)
			got := search(svc, f, 1)
			if got.Total != want.Total || got.More != want.More || got.Broad != want.Broad || !slices.Equal(ids(got.Items), ids(want.Items)) {
				t.Errorf("%+v, rank cap %d: one pass %d (more %v, broad %v) %v, counted first %d (more %v, broad %v) %v", f, rankCap,
					got.Total, got.More, got.Broad, ids(got.Items), want.Total, want.More, want.Broad, ids(want.Items))
			}
			if f.Q != "introuvable" && want.Total == 0 {
				t.Errorf("%+v: no match, the case proves nothing", f)
			}
			if rankCap == 5 && f.Q == "soudage" && !want.Broad {
				t.Errorf("%+v, rank cap 5: not broad, the case proves nothing", f)
			}
		}
	}
}

// TestSearchOnePassFromStatistics checks the plan PostgreSQL's statistics
// of the words choose: after ANALYZE, the guessed number of formations
// holding « soudage » is near the real one, a search ranks in one pass
// under a rank cap above it and counts first under a cap below it.
func TestSearchOnePassFromStatistics(t *testing.T) {
	s := generatedOnPostgres(t, "PostgreSQL statistics")
	if _, err := s.DB.Exec(ctx(), "ANALYZE catalogue_formations"); err != nil {
		t.Fatal(err)
	}
	var real int
	if err := s.DB.QueryRow(ctx(), "SELECT COUNT(*) FROM catalogue_formations WHERE search @@ to_tsquery('simple', 'soudage:*')").Scan(&real); err != nil {
		t.Fatal(err)
	}
	_, n, ok, err := s.RankInOnePass(ctx(), "soudage")
	if err != nil || !ok {
		t.Fatalf("no statistics after ANALYZE (%v)", err)
	}
	if real < 10 || n < real*8/10 || n > real*12/10 {
		t.Fatalf("%d formations guessed for « soudage », %d match", n, real)
	}
	for _, c := range []struct {
		cap     int
		onePass bool
	}{{real / 2, false}, {real * 2, true}} {
		svc := &catalogue.Service{DB: s.DB, RankCap: c.cap}
		onePass, _, _, err := svc.RankInOnePass(ctx(), "soudage")
		if err != nil {
			t.Fatal(err)
		}
		if onePass != c.onePass {
			t.Errorf("rank cap %d, %d formations guessed: one pass %v, want %v", c.cap, n, onePass, c.onePass)
		}
	}
}

// The guess of matched formations from the words' shares: a listed word
// gives its share, a word not listed the least listed share, a prefix the
// sum of the listed words it begins, several words the smallest.
func TestWordsEstimate(t *testing.T) {
	share := map[string]float64{"soudage": 0.1, "titre": 0.3, "titres": 0.05, "professionnel": 0.5, "professionnelle": 0.2}
	for _, c := range []struct {
		words []string
		want  int
	}{
		{[]string{"soudage"}, 100},
		{[]string{"soudage*"}, 100},
		{[]string{"soud*"}, 100},
		{[]string{"rare"}, 20},
		{[]string{"rare*"}, 20},
		{[]string{"titre*"}, 350},
		{[]string{"titre"}, 300},
		{[]string{"titre*", "professionnel*"}, 350},
		{[]string{"professionnel*"}, 700},
		{[]string{"professionnel*", "rare"}, 20},
	} {
		if got := catalogue.WordsEstimate(c.words, share, 0.02, 1000); got != c.want {
			t.Errorf("%v: %d, want %d", c.words, got, c.want)
		}
	}
}

// generatedOnPostgres is a service with a generated catalogue of 800
// formations on PostgreSQL; the test is skipped (why) on SQLite.
func generatedOnPostgres(t *testing.T, why string) *catalogue.Service {
	t.Helper()
	s, _ := newService(t)
	if s.DB.Engine() != store.Postgres {
		t.Skip(why)
	}
	mustImport(t, s, lheotest.MustGenerate(t, 800, 11), catalogue.ImportOptions{Source: "synthese"})
	return s
}
