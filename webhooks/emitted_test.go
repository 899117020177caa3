package webhooks_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"kairos/adhesion"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/enrolment"
	"kairos/quotes"
	"kairos/webhooks"
)

// privateActions are the outbox actions that are never published, each
// with its reason: secrets, personal data of accounts, reminders and
// settings that are no object's state change for a partner.
var privateActions = map[string]string{
	"organisation.create":           "création d'un compte d'organisation par l'administration de la plateforme",
	"organisation.billing_details":  "coordonnées bancaires de l'organisme : lues par GET /api/v1/organisation/facturation, pas diffusées",
	"user.create":                   "compte d'une personne (données personnelles), géré dans Kairos",
	"user.habilitations":            "droits d'une personne dans Kairos",
	"user.enable":                   "compte d'une personne",
	"user.disable":                  "compte d'une personne",
	"user.activate":                 "activation d'un compte (mot de passe)",
	"user.password_reset":           "mot de passe d'une personne",
	"user.password_reset_requested": "demande de mot de passe",
	"user.password_change":          "mot de passe d'une personne",
	"user.invitation_resent":        "invitation d'une personne",
	"apikey.create":                 "secret d'accès à l'API",
	"apikey.revoke":                 "secret d'accès à l'API",
	"apikey.scopes":                 "portées d'un secret d'accès",
	"webhook.create":                "configuration des webhooks eux-mêmes",
	"webhook.update":                "configuration des webhooks eux-mêmes",
	"webhook.enable":                "configuration des webhooks eux-mêmes",
	"webhook.disable":               "configuration des webhooks eux-mêmes",
	"webhook.rotate":                "secret de signature",
	"webhook.delete":                "configuration des webhooks eux-mêmes",
	"webhook.replay":                "rejeu de livraisons (il renvoie des événements déjà publiés)",
	"webhook.auto_disable":          "désactivation d'un abonnement (le responsable est prévenu par courriel)",
	"attestation.remind":            "rappel par courriel à l'organisme",
	"attestation.relance":           "relance par courriel de l'organisme par France Travail (attestations manquantes)",
	"attestation.schedule":          "réglage du pré-remplissage (rythme d'une session), pas un objet échangé",
	"assessment.remind":             "rappel par courriel à l'organisme",
	"assessment.enregistrer":        "brouillon de bilan : il reste à l'organisme tant qu'il n'est pas transmis",
	"appointment.reminder":          "rappel par courriel au demandeur",
	"appointment.feed.regenerate":   "adresse secrète de l'agenda",
	"demandeur.set":                 "rattachement d'un demandeur à son agence et à son conseiller (référentiel France Travail)",
	"adhesion.qualiopi_reminder":    "rappel par courriel à l'organisme",
	"adhesion.rgc_not_granted":      "incident de création de compte, traité par l'administration",
	// Chorus Pro (issue 17): what changes for partners is published as invoice.chorus_status_changed.
	"invoice.chorus_reconcile": "rapprochement interne d'un dépôt interrompu ; l'état retrouvé est publié par invoice.chorus_status_changed",
	"invoice.chorus_recycler":  "action de l'organisme sur Chorus Pro ; son effet est publié par invoice.chorus_status_changed",
	"invoice.chorus_completer": "action de l'organisme sur Chorus Pro ; son effet est publié par invoice.chorus_status_changed",
	"chorus.password_reminder": "rappel par courriel à l'administration de la plateforme",
}

// expansions give the values of the actions built as "prefix." + a row of a
// transition table.
func expansions() map[string][]string {
	rows := func(n int, f func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	var quoteSteps []string
	for _, r := range quotes.Workflow.Rows {
		if r.Action != quotes.Modifier { // recorded as quote.update
			quoteSteps = append(quoteSteps, string(r.Action))
		}
	}
	var enrol []string
	for _, r := range enrolment.Workflow.Rows {
		if r.Action != enrolment.ActProposer { // recorded as enrolment.propose
			enrol = append(enrol, r.Action)
		}
	}
	return map[string][]string{
		"quote.":                   quoteSteps,
		"enrolment.":               append(enrol, enrolment.ActQuote),
		"adhesion.":                rows(len(adhesion.Workflow.Rows), func(i int) string { return string(adhesion.Workflow.Rows[i].Action) }),
		"assessment.":              rows(len(assessments.Table.Rows), func(i int) string { return string(assessments.Table.Rows[i].Action) }),
		"appointment.participant.": {appointments.StPresent, appointments.StExcuse, appointments.StAbsent, appointments.StAnnule, appointments.StDesinscrit},
		"appointment.result.":      slices.DeleteFunc(slices.Clone(appointments.Results), func(s string) bool { return s == "" }),
	}
}

var actionRE = regexp.MustCompile(`^[a-z]+(\.[a-z_]+)+$`)

// TestEveryEmittedActionIsPublishedOrPrivate reads every store.Change of
// the source (its Action: a literal, "prefix." + a table's row, or a
// variable whose values are the action literals of its file) and checks that
// each action is a public event type (webhooks.Types, documented in
// openapi.json by api.TestEventsDocumented) or is private with a reason; and
// that every public type is emitted somewhere.
func TestEveryEmittedActionIsPublishedOrPrivate(t *testing.T) {
	exp := expansions()
	emitted := map[string]string{} // action → where
	fset := token.NewFileSet()
	root := ".."
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "bench", "tools", "testdata", "static", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		// The action literals of the file, for Action: variable.
		var fileActions []string
		ast.Inspect(f, func(n ast.Node) bool {
			if bl, ok := n.(*ast.BasicLit); ok && bl.Kind == token.STRING {
				if v, err := strconv.Unquote(bl.Value); err == nil && actionRE.MatchString(v) && !sqlColumn(v) {
					fileActions = append(fileActions, v)
				}
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			sel, ok := cl.Type.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Change" {
				return true
			}
			for _, el := range cl.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok || kv.Key.(*ast.Ident).Name != "Action" {
					continue
				}
				where := fset.Position(kv.Pos()).String()
				switch v := kv.Value.(type) {
				case *ast.BasicLit:
					s, _ := strconv.Unquote(v.Value)
					emitted[s] = where
				case *ast.BinaryExpr:
					lit, ok := v.X.(*ast.BasicLit)
					if !ok {
						t.Errorf("%s: an action built without a literal prefix", where)
						continue
					}
					prefix, _ := strconv.Unquote(lit.Value)
					vals, ok := exp[prefix]
					if !ok {
						t.Errorf("%s: actions %q + … : add the prefix to expansions", where, prefix)
					}
					for _, x := range vals {
						emitted[prefix+x] = where
					}
				case *ast.Ident:
					// A variable: the file's action literals of its object.
					n := 0
					for _, a := range fileActions {
						emitted[a] = where
						n++
					}
					if n == 0 {
						t.Errorf("%s: Action: %s has no literal value in its file", where, v.Name)
					}
				default:
					t.Errorf("%s: an action of an unexpected form", where)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for a := range emitted {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		_, public := webhooks.TypeOfAction(a)
		reason, private := privateActions[a]
		switch {
		case public && private:
			t.Errorf("%s is both public and private", a)
		case !public && !private:
			t.Errorf("outbox action %s (%s) is neither a public event type (webhooks.Types) nor private with a reason", a, emitted[a])
		case private && len(reason) < 10:
			t.Errorf("%s: no real reason", a)
		}
	}
	for _, et := range webhooks.Types {
		if _, ok := emitted[et.Action]; !ok {
			t.Errorf("public type %s is never emitted", et.Name)
		}
	}
	if len(emitted) < 80 {
		t.Errorf("only %d actions found: %v", len(emitted), names)
	}
	t.Logf("%d outbox actions: %d public types, %d private: %v", len(emitted), len(webhooks.Types), len(privateActions), names)
}

// sqlColumn tells a qualified SQL column ("u.email": a one- or two-letter
// table alias) from an action literal.
func sqlColumn(v string) bool {
	prefix, _, _ := strings.Cut(v, ".")
	return len(prefix) <= 2
}
