package catalogue_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/account"
	"kairos/catalogue"
	"kairos/fixture"
	"kairos/lheo"
	"kairos/lheo/lheotest"
	"kairos/store"
)

func newService(t *testing.T) (*catalogue.Service, *account.Service) {
	t.Helper()
	acc := fixture.MustAccounts(t)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	return &catalogue.Service{DB: acc.DB, Clock: func() time.Time { return now }}, acc
}

func ctx() context.Context { return fixture.Ctx() }

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "lheo", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustImport(t *testing.T, s *catalogue.Service, doc []byte, opt catalogue.ImportOptions) *catalogue.Import {
	t.Helper()
	imp, err := s.Import(ctx(), bytes.NewReader(doc), opt)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return imp
}

func allSessions(t *testing.T, s *catalogue.Service, f catalogue.Filter) []catalogue.Session {
	t.Helper()
	f.Limit = 200
	res, err := s.Search(ctx(), f)
	if err != nil {
		t.Fatal(err)
	}
	return res.Items
}

func TestImportRealSamples(t *testing.T) {
	s, _ := newService(t)
	imp := mustImport(t, s, sample(t, "intercarif-occitanie-daeu.lheo22.xml"), catalogue.ImportOptions{Source: "occitanie", FileName: "daeu.xml"})
	if imp.Status != catalogue.StatusDone || imp.Version != "2.2" {
		t.Fatalf("import = %+v", imp)
	}
	if c := imp.Counts; c.Formations.Created != 1 || c.Actions.Created != 1 || c.Sessions.Created != 1 || c.Rejected != 0 {
		t.Fatalf("counts = %+v", c)
	}
	imp2 := mustImport(t, s, sample(t, "onisep-bts-nrc.ns23.xml"), catalogue.ImportOptions{Source: "onisep"})
	if imp2.Status != catalogue.StatusDone || imp2.Version != "2.3" || imp2.Counts.Sessions.Created < 1 {
		t.Fatalf("onisep import = %+v", imp2)
	}

	got := allSessions(t, s, catalogue.Filter{Q: "universitaires"})
	if len(got) != 1 {
		t.Fatalf("search DAEU: %d sessions", len(got))
	}
	x := got[0]
	if x.Intitule != "Diplôme d'accès aux études universitaires, option a, cours en présentiel" || x.SIRET != "19311383400389" ||
		x.Debut != 20181001 || x.Fin != 20190524 || x.Region != "73" || x.Departement != "31" || x.Ville != "Toulouse" ||
		!x.Certifiante || x.Numero != "927411" || strings.Join(x.Formacodes, ",") != "15093" || x.Modalite != "0" || x.Source != "occitanie" {
		t.Fatalf("DAEU session = %+v", x)
	}
	d, err := s.Session(ctx(), x.ID)
	if err != nil {
		t.Fatal(err)
	}
	f := d.Formation
	if f.Numero != "15_464888" || f.DateMaj != 20180911 || f.Certifications[0].CodeRNCP != "28217" || d.Action == nil || d.LHEO == nil ||
		*d.Action.NombreHeuresTotal != 250 || d.LHEO.AdresseInscription.CodePostal != "31500" || len(f.Extras) != 1 ||
		!strings.Contains(string(f.Extras[0]), "numero-CARIF") || f.OrganismeResponsable.NumeroActivite != "7331P001531" {
		t.Fatalf("DAEU detail = %+v", f)
	}

	// ONISEP: accents folded, ROME codes, the place of the action.
	got = allSessions(t, s, catalogue.Filter{Q: "negociation QUIMPERLE"})
	if len(got) == 0 {
		t.Fatal("search « negociation QUIMPERLE » found nothing")
	}
	x = got[0]
	if x.Intitule != "BTS négociation et relation client" || x.SIRET != "19290076900014" || x.Debut != 20150901 || x.Fin != 20170831 ||
		x.Departement != "29" || x.Ville != "QUIMPERLÉ" || strings.Join(x.ROME, ",") != "D1402,D1403,D1408" || x.Formacodes[0] != "34582" {
		t.Fatalf("ONISEP session = %+v", x)
	}
	if n := len(allSessions(t, s, catalogue.Filter{ROME: "D1403"})); n != len(got) {
		t.Fatalf("ROME filter: %d", n)
	}
	if n := len(allSessions(t, s, catalogue.Filter{Departement: "31"})); n != 1 {
		t.Fatalf("departement filter: %d", n)
	}
	if n := len(allSessions(t, s, catalogue.Filter{Formacode: "15093", Certifiante: "1", Modalite: "0"})); n != 1 {
		t.Fatalf("formacode filter: %d", n)
	}
	if n := len(allSessions(t, s, catalogue.Filter{Q: "études", Modalite: "2"})); n != 0 {
		t.Fatalf("distance filter: %d", n)
	}
}

const okDoc = `<?xml version="1.0" encoding="UTF-8"?>
<lheo xmlns="http://lheo.gouv.fr/2.3"><offres>%s</offres></lheo>`

// variant returns the DAEU sample with replacements applied.
func variant(t *testing.T, pairs ...string) []byte {
	t.Helper()
	s := string(sample(t, "intercarif-occitanie-daeu.ns23.xml"))
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("variant: %q not in sample", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return []byte(s)
}

func count(t *testing.T, s *catalogue.Service, table string) int {
	t.Helper()
	var n int
	if err := s.DB.QueryRow(ctx(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRejectedDocuments(t *testing.T) {
	s, _ := newService(t)
	ok := string(sample(t, "intercarif-occitanie-daeu.ns23.xml"))
	cases := map[string]string{
		"not well-formed":   strings.Replace(ok, "</intitule-formation>", "</intitule>", 1),
		"wrong root":        strings.Replace(strings.Replace(ok, "<lheo ", "<catalogue ", 1), "</lheo>", "</catalogue>", 1),
		"unknown namespace": strings.Replace(ok, "http://lheo.gouv.fr/2.3", "http://example.org/lheo", 1),
		"truncated":         ok[:len(ok)/2],
		"external entity":   strings.Replace(ok, "<lheo ", `<!DOCTYPE lheo [<!ENTITY x SYSTEM "file:///etc/passwd">]><lheo `, 1),
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			// A valid formation first, so that a half import would show.
			imp := mustImport(t, s, []byte(doc), catalogue.ImportOptions{FileName: name + ".xml"})
			if imp.Status != catalogue.StatusRejected || imp.ErrorLine == 0 || imp.ErrorMessage == "" {
				t.Fatalf("import = %+v", imp)
			}
			if n := count(t, s, "catalogue_sessions"); n != 0 {
				t.Fatalf("%d sessions stored from a rejected document", n)
			}
			got, err := s.ImportByID(ctx(), imp.ID)
			if err != nil || got.Status != catalogue.StatusRejected || got.ErrorLine != imp.ErrorLine {
				t.Fatalf("recorded import = %+v, %v", got, err)
			}
		})
	}
	// A document error after valid records: nothing of it is kept.
	two := strings.Replace(ok, "</offres>", strings.SplitN(strings.SplitN(ok, "<offres>", 2)[1], "</offres>", 2)[0]+"<formation><oops></offres>", 1)
	imp := mustImport(t, s, []byte(two), catalogue.ImportOptions{})
	if imp.Status != catalogue.StatusRejected || count(t, s, "catalogue_formations") != 0 {
		t.Fatalf("late document error: %+v", imp)
	}
	if !strings.Contains(imp.ErrorMessage, "") || imp.ErrorLine < 200 {
		t.Fatalf("late document error position: line %d", imp.ErrorLine)
	}
}

func TestRejectedRecords(t *testing.T) {
	s, _ := newService(t)
	good := lheotest.MustGenerate(t, 5, 1)
	body := func(b []byte) string {
		return strings.SplitN(strings.SplitN(string(b), "<offres>", 2)[1], "</offres>", 2)[0]
	}
	daeu := body(sample(t, "intercarif-occitanie-daeu.ns23.xml"))
	bad := map[string]string{
		"élément obligatoire": strings.Replace(daeu, "<intitule-formation>Diplôme d'accès aux études universitaires, option a, cours en présentiel</intitule-formation>", "", 1),
		"dict-modalites":      strings.Replace(daeu, "<modalites-enseignement>0</modalites-enseignement>", "<modalites-enseignement>7</modalites-enseignement>", 1),
		"date":                strings.Replace(daeu, "<debut>20181001</debut>", "<debut>20181341</debut>", 1),
	}
	doc := strings.Replace(string(good), "</offres>", bad["élément obligatoire"]+bad["dict-modalites"]+bad["date"]+"</offres>", 1)
	imp := mustImport(t, s, []byte(doc), catalogue.ImportOptions{})
	if imp.Status != catalogue.StatusDone || imp.Counts.Rejected != 3 || imp.Counts.Sessions.Created != 5 {
		t.Fatalf("import = %+v", imp)
	}
	lines, err := s.ReportLines(ctx(), imp.ID, 0)
	if err != nil || len(lines) != 3 {
		t.Fatalf("report = %+v, %v", lines, err)
	}
	for i, want := range []string{"intitule-formation", "modalites-enseignement", "debut"} {
		if lines[i].Kind != catalogue.LineRejected || lines[i].Line == 0 || lines[i].Numero != "15_464888" || !strings.Contains(lines[i].Message, want) {
			t.Errorf("line %d = %+v, want about %s", i, lines[i], want)
		}
	}
	var csv bytes.Buffer
	if err := s.WriteReportCSV(ctx(), imp.ID, &csv); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), "rejet;") || !strings.Contains(csv.String(), "créées 5") && !strings.Contains(csv.String(), "sessions;créées 5") {
		t.Fatalf("CSV = %s", csv.String())
	}
}

func TestIdempotenceAndUpdates(t *testing.T) {
	s, _ := newService(t)
	doc := lheotest.MustGenerate(t, 40, 7)
	first := mustImport(t, s, doc, catalogue.ImportOptions{})
	if first.Counts.Sessions.Created != 40 || first.Counts.Formations.Created == 0 {
		t.Fatalf("first = %+v", first.Counts)
	}
	before := count(t, s, "events")
	again := mustImport(t, s, doc, catalogue.ImportOptions{})
	c := again.Counts
	if c.Sessions.Created+c.Sessions.Updated+c.Sessions.Withdrawn != 0 || c.Sessions.Unchanged != 40 ||
		c.Formations.Unchanged != first.Counts.Formations.Created || c.Actions.Unchanged != first.Counts.Actions.Created {
		t.Fatalf("second import changed something: %+v", c)
	}
	if n := count(t, s, "events"); n != before+1 { // the import's own record only
		t.Fatalf("events: %d → %d", before, n)
	}

	// A newer datemaj with a new title updates; an older one is ignored.
	s2, _ := newService(t)
	mustImport(t, s2, variant(t), catalogue.ImportOptions{})
	upd := mustImport(t, s2, variant(t, `datemaj="20180911"`, `datemaj="20190101"`, "option a, cours en présentiel", "option A (nouvelle version)"), catalogue.ImportOptions{})
	if upd.Counts.Formations.Updated != 1 || upd.Counts.Sessions.Updated != 1 {
		t.Fatalf("update = %+v", upd.Counts)
	}
	if got := allSessions(t, s2, catalogue.Filter{Q: "nouvelle version"}); len(got) != 1 {
		t.Fatalf("updated title not found")
	}
	old := mustImport(t, s2, variant(t, "option a, cours en présentiel", "ancienne version"), catalogue.ImportOptions{})
	if old.Counts.Formations.Unchanged != 1 || old.Counts.Warnings != 1 || old.Counts.Sessions.Withdrawn != 0 {
		t.Fatalf("older datemaj = %+v", old.Counts)
	}
	if got := allSessions(t, s2, catalogue.Filter{Q: "ancienne"}); len(got) != 0 {
		t.Fatal("an older datemaj replaced the stored version")
	}
}

func TestWithdrawal(t *testing.T) {
	s, acc := newService(t)
	full := lheotest.MustGenerate(t, 30, 3)
	mustImport(t, s, full, catalogue.ImportOptions{Source: "carif"})
	// The same offer without its first formation.
	str := string(full)
	i := strings.Index(str, "<formation")
	j := strings.Index(str, "</formation>") + len("</formation>")
	dropped := mustImport(t, s, []byte(str[:i]+str[j:]), catalogue.ImportOptions{Source: "carif"})
	c := dropped.Counts
	if c.Formations.Withdrawn != 1 || c.Sessions.Withdrawn == 0 || c.Sessions.Withdrawn+c.Sessions.Unchanged != 30 {
		t.Fatalf("withdrawal = %+v", c)
	}
	if n := count(t, s, "catalogue_sessions"); n != 30 {
		t.Fatalf("sessions deleted: %d left", n)
	}
	if live := len(allSessions(t, s, catalogue.Filter{})); live != 30-c.Sessions.Withdrawn {
		t.Fatalf("search shows %d sessions", live)
	}
	withdrawn := allSessions(t, s, catalogue.Filter{Withdrawn: true})
	var w *catalogue.Session
	for i := range withdrawn {
		if withdrawn[i].WithdrawnAt != nil {
			w = &withdrawn[i]
		}
	}
	if w == nil {
		t.Fatal("no withdrawn session listed")
	}
	// The OF sees it, not visible, with the reason.
	of, _ := acc.CreateOrganisation(ctx(), account.Organisation{Kind: kairos.OrgOF, Name: "OF", SIRET: w.SIRET})
	offer, err := s.Offer(ctx(), &kairos.Actor{OrgID: of, Role: kairos.RoleOFAdmin}, 0, 50)
	if err != nil || len(offer.Sessions) == 0 {
		t.Fatalf("offer = %+v, %v", offer, err)
	}
	found := false
	for _, x := range offer.Sessions {
		if x.ID == w.ID {
			found = true
			if x.Visibility.Visible || x.Visibility.Reasons[0].Code != catalogue.ReasonWithdrawn {
				t.Fatalf("withdrawn visibility = %+v", x.Visibility)
			}
		}
	}
	if !found {
		t.Fatal("withdrawn session missing from the OF's offer")
	}
	// Another source and a partial import withdraw nothing.
	if p := mustImport(t, s, sample(t, "onisep-bts-nrc.ns23.xml"), catalogue.ImportOptions{Source: "carif", Partial: true}); p.Counts.Sessions.Withdrawn != 0 {
		t.Fatalf("partial import withdrew: %+v", p.Counts)
	}
	// Back in the file: the sessions come back.
	beforeBack := len(allSessions(t, s, catalogue.Filter{}))
	back := mustImport(t, s, full, catalogue.ImportOptions{Source: "carif", Partial: true})
	if back.Counts.Sessions.Updated != c.Sessions.Withdrawn || back.Counts.Formations.Updated != 1 {
		t.Fatalf("return = %+v", back.Counts)
	}
	if live := len(allSessions(t, s, catalogue.Filter{})); live != beforeBack+c.Sessions.Withdrawn {
		t.Fatalf("after their return, search shows %d sessions, want %d", live, beforeBack+c.Sessions.Withdrawn)
	}
}

func TestVisibilityReasons(t *testing.T) {
	s, acc := newService(t)
	doc := variant(t, "<debut>20181001</debut>\n<fin>20190524</fin>", "<debut>20260101</debut>\n<fin>20261231</fin>",
		"</adresse-inscription>", "</adresse-inscription>\n<etat-recrutement>3</etat-recrutement>")
	mustImport(t, s, doc, catalogue.ImportOptions{})
	mustImport(t, s, sample(t, "onisep-bts-nrc.ns23.xml"), catalogue.ImportOptions{Source: "onisep"})
	of, _ := acc.CreateOrganisation(ctx(), account.Organisation{Kind: kairos.OrgOF, Name: "Université", SIRET: "19311383400389"})
	offer, err := s.Offer(ctx(), &kairos.Actor{OrgID: of, Role: kairos.RoleOFUser}, 0, 50)
	if err != nil || len(offer.Sessions) != 1 {
		t.Fatalf("offer = %+v, %v", offer, err)
	}
	v := offer.Sessions[0].Visibility
	if v.Visible || len(v.Reasons) != 1 || v.Reasons[0].Code != catalogue.ReasonRecruitSuspended {
		t.Fatalf("visibility = %+v", v)
	}
	// ONISEP session: ended long ago, SIRET of no OF on Kairos.
	res := allSessions(t, s, catalogue.Filter{Q: "BTS"})
	vs, err := s.Visibilities(ctx(), res[:1])
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, r := range vs[0].Reasons {
		codes = append(codes, r.Code)
	}
	if strings.Join(codes, ",") != "terminee,siret_sans_adhesion" {
		t.Fatalf("reasons = %v", codes)
	}
	for _, r := range catalogue.Reasons {
		if r.Label == "" || r.Code == "" {
			t.Fatalf("reason without label: %+v", r)
		}
	}
}

func TestExportRoundTrip(t *testing.T) {
	s, _ := newService(t)
	mustImport(t, s, sample(t, "intercarif-occitanie-daeu.lheo22.xml"), catalogue.ImportOptions{Source: "a"})
	mustImport(t, s, sample(t, "onisep-bts-nrc.lheo22.xml"), catalogue.ImportOptions{Source: "b"})
	mustImport(t, s, lheotest.MustGenerate(t, 25, 11), catalogue.ImportOptions{Source: "c"})
	var out1 bytes.Buffer
	n, skipped, err := s.Export(ctx(), &out1)
	if err != nil || skipped != 0 || n < 3 {
		t.Fatalf("export: %d, %d, %v", n, skipped, err)
	}
	validateXSD(t, out1.Bytes())

	s2, _ := newService(t)
	imp := mustImport(t, s2, out1.Bytes(), catalogue.ImportOptions{})
	if imp.Status != catalogue.StatusDone || imp.Counts.Rejected != 0 || imp.Counts.Formations.Created != n {
		t.Fatalf("re-import = %+v", imp)
	}
	var out2 bytes.Buffer
	if _, _, err := s2.Export(ctx(), &out2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out1.Bytes(), out2.Bytes()) {
		t.Fatal("import → export → import → export is not stable")
	}
	// And the exported file applied to its own catalogue changes nothing.
	s3, _ := newService(t)
	mustImport(t, s3, out1.Bytes(), catalogue.ImportOptions{})
	again := mustImport(t, s3, out2.Bytes(), catalogue.ImportOptions{})
	if c := again.Counts; c.Sessions.Unchanged == 0 || c.Sessions.Created+c.Sessions.Updated+c.Sessions.Withdrawn != 0 {
		t.Fatalf("re-import of the export = %+v", c)
	}
}

func validateXSD(t *testing.T, doc []byte) {
	t.Helper()
	xsd := filepath.Join("..", "lheo", "testdata", "lheo.xsd")
	if _, err := os.Stat(xsd); err != nil {
		t.Skipf("XSD check skipped: the schema %s is absent", xsd)
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("XSD check skipped: xmllint is not installed (apt-get install libxml2-utils)")
	}
	f := filepath.Join(t.TempDir(), "export.xml")
	os.WriteFile(f, doc, 0o600)
	out, err := exec.Command("xmllint", "--noout", "--schema", xsd, f).CombinedOutput()
	if err != nil {
		t.Fatalf("export does not validate against lheo.xsd: %v\n%s", err, out)
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Électricien d'équipement": "electricien d equipement",
		"  CŒUR  de Métier ":       "coeur de metier",
		"QUIMPERLÉ":                "quimperle",
	} {
		if got := catalogue.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	_ = lheo.Date(0)
}

func TestReimportSkipsUnchangedBytes(t *testing.T) {
	s, _ := newService(t)
	doc := lheotest.MustGenerate(t, 400, 11)
	first := mustImport(t, s, doc, catalogue.ImportOptions{Source: "skip"})
	var n int
	if err := s.DB.QueryRow(ctx(), "SELECT COUNT(*) FROM catalogue_formations WHERE source = 'skip' AND raw_hash = ''").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d formations without raw digest (%v)", n, err)
	}
	// One formation changed: only it is decoded, the others are skipped and
	// counted unchanged; sessions and actions counts are those of a full
	// decoding.
	changed := bytes.Replace(doc, []byte("<intitule-formation>"), []byte("<intitule-formation>Nouveau "), 1)
	second := mustImport(t, s, changed, catalogue.ImportOptions{Source: "skip"})
	c := second.Counts
	if c.Formations.Updated != 1 || c.Formations.Unchanged != first.Counts.Formations.Created-1 || c.Sessions.Withdrawn != 0 ||
		c.Sessions.Unchanged+c.Sessions.Updated != first.Counts.Sessions.Created || c.Actions.Created != 0 {
		t.Fatalf("first %+v, second %+v", first.Counts, c)
	}
	third := mustImport(t, s, changed, catalogue.ImportOptions{Source: "skip"})
	if third.Counts.Formations.Unchanged != first.Counts.Formations.Created || third.Counts.Sessions.Unchanged != first.Counts.Sessions.Created {
		t.Fatalf("third %+v", third.Counts)
	}
	// A formation absent from a full import is still withdrawn.
	i := bytes.Index(changed, []byte("<formation "))
	j := bytes.Index(changed, []byte("</formation>")) + len("</formation>")
	fourth := mustImport(t, s, append(append([]byte{}, changed[:i]...), changed[j:]...), catalogue.ImportOptions{Source: "skip"})
	if fourth.Counts.Formations.Withdrawn != 1 || fourth.Counts.Sessions.Withdrawn == 0 || fourth.Counts.Formations.Unchanged != first.Counts.Formations.Created-1 {
		t.Fatalf("fourth %+v", fourth.Counts)
	}
}

// TestDroppedActionIsWithdrawn: an action missing from the new version of
// its formation is withdrawn with its sessions, by a full import and by a
// partial one alike.
func TestDroppedActionIsWithdrawn(t *testing.T) {
	full := string(lheotest.MustGenerate(t, 30, 3))
	// The first formation with two actions loses its first one.
	var dropped string
	var sessions int
	for off := 0; ; {
		i := strings.Index(full[off:], "<formation ")
		if i < 0 {
			t.Fatal("no formation with two actions")
		}
		i += off
		end := i + strings.Index(full[i:], "</formation>")
		body := full[i:end]
		if strings.Count(body, "<action ") >= 2 {
			a := i + strings.Index(body, "<action ")
			b := a + strings.Index(full[a:], "</action>") + len("</action>")
			sessions = strings.Count(full[a:b], "<session ")
			dropped = full[:a] + full[b:]
			break
		}
		off = end
	}
	if sessions == 0 {
		t.Fatal("the dropped action has no session")
	}
	for _, partial := range []bool{false, true} {
		s, _ := newService(t)
		mustImport(t, s, []byte(full), catalogue.ImportOptions{Source: "carif"})
		c := mustImport(t, s, []byte(dropped), catalogue.ImportOptions{Source: "carif", Partial: partial}).Counts
		if c.Formations.Updated != 1 || c.Actions.Withdrawn != 1 || c.Sessions.Withdrawn != sessions || c.Sessions.Unchanged != 30-sessions {
			t.Fatalf("partial %v: counts = %+v, want 1 action and %d sessions withdrawn", partial, c, sessions)
		}
		if live := len(allSessions(t, s, catalogue.Filter{})); live != 30-sessions {
			t.Fatalf("partial %v: search shows %d sessions", partial, live)
		}
		back := mustImport(t, s, []byte(full), catalogue.ImportOptions{Source: "carif", Partial: partial}).Counts
		if back.Actions.Updated != 1 || back.Sessions.Updated != sessions || back.Actions.Withdrawn != 0 {
			t.Fatalf("partial %v: return = %+v", partial, back)
		}
	}
}

// TestUpdatedSessionsStoreTheirColumns: a re-import rewrites the stored
// columns of the sessions it updates, whether an indexed column changes
// (a start date) or only the others (a title), and the filters read the
// new values.
func TestUpdatedSessionsStoreTheirColumns(t *testing.T) {
	s, _ := newService(t)
	doc := string(lheotest.MustGenerate(t, 3, 5))
	mustImport(t, s, []byte(doc), catalogue.ImportOptions{Source: "carif"})
	before := map[string]catalogue.Session{}
	for _, x := range allSessions(t, s, catalogue.Filter{}) {
		before[strconv.FormatInt(x.ID, 10)] = x
	}
	const title, oldStart = "Maçon du bâti ancien (session 0)", "<debut>20261008</debut>"
	for _, old := range []string{title, oldStart} {
		if !strings.Contains(doc, old) {
			t.Fatalf("%q not in the generated document", old)
		}
	}
	changed := strings.Replace(strings.Replace(doc, title, "Maçon du bâti ancien révisé", 1), oldStart, "<debut>20270104</debut>", 1)
	c := mustImport(t, s, []byte(changed), catalogue.ImportOptions{Source: "carif"}).Counts
	if c.Sessions.Updated == 0 {
		t.Fatalf("counts = %+v", c)
	}
	retitled, moved := 0, 0
	for _, x := range allSessions(t, s, catalogue.Filter{}) {
		b := before[strconv.FormatInt(x.ID, 10)]
		if x.Intitule != b.Intitule {
			if x.Intitule != "Maçon du bâti ancien révisé" {
				t.Fatalf("session %d: title %q", x.ID, x.Intitule)
			}
			retitled++
		}
		if x.Debut != b.Debut {
			if x.Debut != 20270104 || b.Debut != 20261008 {
				t.Fatalf("session %d: start %v → %v", x.ID, b.Debut, x.Debut)
			}
			moved++
		}
	}
	if retitled != c.Sessions.Updated || moved != 1 {
		t.Fatalf("%d sessions retitled, %d moved, counts %+v", retitled, moved, c)
	}
	if got := allSessions(t, s, catalogue.Filter{StartFrom: 20270101}); len(got) != 1 || got[0].Debut != 20270104 {
		t.Fatalf("start filter = %+v", got)
	}
}

// TestImportVacuums checks, on PostgreSQL, the maintenance after an
// import: a VACUUM of both tables after a first import and after one that
// rewrote a formation (so that the visibility map covers the rewritten
// pages), none after an import that changed nothing.
func TestImportVacuums(t *testing.T) {
	s, _ := newService(t)
	if s.DB.Engine() != store.Postgres {
		t.Skip("PostgreSQL maintenance")
	}
	vacuums := func() [2]int {
		var n [2]int
		for i, table := range []string{"catalogue_formations", "catalogue_sessions"} {
			if err := s.DB.QueryRow(ctx(), "SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = ?::regclass", table).Scan(&n[i]); err != nil {
				t.Fatal(err)
			}
		}
		return n
	}
	// The autovacuum daemon comes once 2 % of a table is dead (migration
	// 0028): it cleans the indexes that this VACUUM leaves.
	for _, table := range []string{"catalogue_formations", "catalogue_sessions"} {
		var opts string
		if err := s.DB.QueryRow(ctx(), "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = ?::regclass", table).Scan(&opts); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(opts, "autovacuum_vacuum_scale_factor=0.02") {
			t.Errorf("%s: options %q", table, opts)
		}
	}
	doc := lheotest.MustGenerate(t, 100, 11)
	mustImport(t, s, doc, catalogue.ImportOptions{Source: "vacuum"})
	if got := vacuums(); got != [2]int{1, 1} {
		t.Fatalf("after a first import: %v vacuums, want one of each table", got)
	}
	changed := bytes.Replace(doc, []byte("<intitule-formation>"), []byte("<intitule-formation>Nouveau "), 1)
	if imp := mustImport(t, s, changed, catalogue.ImportOptions{Source: "vacuum"}); imp.Counts.Formations.Updated != 1 {
		t.Fatalf("%+v", imp.Counts)
	}
	if got := vacuums(); got != [2]int{2, 2} {
		t.Fatalf("after a formation rewritten: %v vacuums, want two of each table", got)
	}
	mustImport(t, s, changed, catalogue.ImportOptions{Source: "vacuum"})
	if got := vacuums(); got != [2]int{2, 2} {
		t.Fatalf("after an unchanged import: %v vacuums, want still two of each table", got)
	}
}
