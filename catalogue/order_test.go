package catalogue_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"

	"kairos/catalogue"
	"kairos/lheo/lheotest"
)

// The formations are decoded in parallel (one worker per core) but applied
// in document order: a heavy earlier occurrence of a numero, decoded while
// the light later one is, is still replaced by the later one, and report
// lines keep the lines of the document, in its order.
func TestParallelDecodeKeepsFileOrder(t *testing.T) {
	s, _ := newService(t)
	head, fs, tail := formationsOf(t, lheotest.MustGenerate(t, 300, 5))
	numero := regexp.MustCompile(`<formation numero="([^"]+)"`)
	action := regexp.MustCompile(`(?s)<action .*</action>\n`)
	const pairs = 12
	if len(fs) < 2*pairs {
		t.Fatalf("%d formations generated", len(fs))
	}
	parts := [][]byte{head}
	var repeated, rejected []string
	for i := range pairs {
		f := fs[i]
		acts := action.Find(f)
		if acts == nil {
			t.Fatal("no action in the generated formation")
		}
		// Earlier occurrence: 60 times the actions, slow to decode.
		heavy := action.ReplaceAllLiteral(f, bytes.Repeat(acts, 60))
		later := bytes.Replace(f, []byte("<intitule-formation>"), []byte("<intitule-formation>Dernière occurrence "), 1)
		bad := bytes.Replace(fs[len(fs)-1-i], []byte("<certifiante>"), []byte("<inconnu-de-lheo/><certifiante>"), 1)
		parts = append(parts, heavy, later, bad)
		repeated = append(repeated, string(numero.FindSubmatch(f)[1]))
		rejected = append(rejected, string(numero.FindSubmatch(bad)[1]))
	}
	doc := bytes.Join(append(parts, tail), nil)
	imp := mustImport(t, s, doc, catalogue.ImportOptions{Source: "ordre"})
	if imp.Status != catalogue.StatusDone || imp.Counts.Rejected != pairs || imp.Counts.Warnings != pairs {
		t.Fatalf("import: %+v", imp)
	}
	var want []string
	for i := range pairs {
		tag := []byte(`<formation numero="` + repeated[i] + `"`)
		want = append(want,
			fmt.Sprintf("%s %d %s ligne %d", catalogue.LineWarning, lineAt(doc, tag, 1), repeated[i], lineAt(doc, tag, 0)),
			fmt.Sprintf("%s %d %s", catalogue.LineRejected, lineAt(doc, []byte(`<formation numero="`+rejected[i]+`"`), 0), rejected[i]))
	}
	lines, err := s.ReportLines(ctx(), imp.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lines {
		g := fmt.Sprintf("%s %d %s", l.Kind, l.Line, l.Numero)
		if l.Kind == catalogue.LineWarning {
			m := regexp.MustCompile(`figure aussi ligne (\d+)`).FindStringSubmatch(l.Message)
			if m == nil {
				t.Fatalf("warning %q", l.Message)
			}
			g += " ligne " + m[1]
		}
		got = append(got, g)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("report lines:\n%s\nwant (document order):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, n := range repeated {
		var sessions, later int
		if err := s.DB.QueryRow(ctx(), `SELECT COUNT(*), COALESCE(SUM(CASE WHEN s.intitule LIKE 'Dernière occurrence%' THEN 1 ELSE 0 END), 0)
			FROM catalogue_sessions s JOIN catalogue_formations f ON f.id = s.formation_id WHERE f.fkey = ? AND s.withdrawn_at IS NULL`, n).Scan(&sessions, &later); err != nil {
			t.Fatal(err)
		}
		if want := bytes.Count(fs[0:pairs][indexOf(repeated, n)], []byte("<session ")); sessions != want || later != want {
			t.Fatalf("formation %s: %d sessions stored (%d of the later occurrence), want the %d of the later occurrence", n, sessions, later, want)
		}
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// A formation malformed in the middle of a large document, decoded by a
// worker while later ones are in flight: the document is rejected at that
// formation's line and column, as a sequential reading would, and nothing
// is kept. A read error in the middle fails the import cleanly.
func TestParallelDecodeDocumentErrors(t *testing.T) {
	s, _ := newService(t)
	gen := lheotest.MustGenerate(t, 400, 8)
	head, fs, tail := formationsOf(t, gen)
	mid := len(fs) / 2
	bad := bytes.Replace(fs[mid], []byte("</intitule-formation>"), []byte("</intitule>"), 1)
	doc := bytes.Join(append(append(append([][]byte{head}, fs[:mid]...), bad), append(fs[mid+1:], tail)...), nil)
	i := bytes.Index(doc, []byte("</intitule>"))
	line := bytes.Count(doc[:i], []byte("\n")) + 1
	col := len([]rune(string(doc[bytes.LastIndexByte(doc[:i], '\n')+1:i]))) + 1 // in characters
	imp := mustImport(t, s, doc, catalogue.ImportOptions{Source: "casse"})
	if imp.Status != catalogue.StatusRejected || imp.ErrorLine != line || imp.ErrorColumn != col || !strings.Contains(imp.ErrorMessage, "intitule") {
		t.Fatalf("import %+v, want rejected at %d:%d", imp, line, col)
	}
	if n := count(t, s, "catalogue_formations"); n != 0 {
		t.Fatalf("%d formations kept from a rejected document", n)
	}

	r := io.MultiReader(bytes.NewReader(gen[:len(gen)/2]), iotest.ErrReader(errors.New("disque illisible")))
	failed, err := s.Import(ctx(), r, catalogue.ImportOptions{Source: "casse"})
	if failed == nil || failed.Status == catalogue.StatusDone || count(t, s, "catalogue_formations") != 0 {
		t.Fatalf("import of a failing reader: %+v, %v", failed, err)
	}
}
