package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"kairos/demo"
	"kairos/store"
	"kairos/store/storetest"
)

var questionTokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// TestChorusAssistanceQuestion (issue 17): on the real binary and the real
// sandbox, the OF asks the Chorus Pro assistance a question about its
// invoice from the invoice's page; a form without its subject is refused
// next to the field; the question is sent once even if the form is posted
// twice; the sandbox answers; the OF and France Travail's accounting read
// the answer on the same page; another OF can neither read nor ask.
func TestChorusAssistanceQuestion(t *testing.T) {
	dbURL := storetest.URL(t)
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pre := MustStart(t, dbURL)
	pre.Stop()
	id, siret := readyToInvoice(t, db, registeredIBAN)
	base := startSandbox(t, "--iban", siret+":"+registeredIBAN)
	in := MustStart(t, dbURL, chorusEnv(base)...)
	of, ft := NewBrowser(t), NewBrowser(t)
	if st := of.Login(in, demo.Accounts[0].Email, demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login: %d", st)
	}
	if st := ft.Login(in, demo.Accounts[4].Email, demo.Password); st != http.StatusSeeOther {
		t.Fatalf("login FT: %d", st)
	}
	doc := issue(t, in, of, id)
	page := followUntil(t, of, doc, "Intégrée dans Chorus Pro")
	wantIn(t, page, "empty", "Assistance Chorus Pro", "Aucune question n'a été posée", "Poser une question à l'assistance", "Paiement d'une facture")
	m := questionTokenRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no submission token in the question form")
	}
	form := url.Values{"token": {m[1]}, "category_id": {"13"}, "subject": {""}, "message": {"Quand la facture sera-t-elle payée ?"}}

	// Without its subject: refused next to the field, what was typed kept.
	st, body := of.Submit(doc, doc+"/chorus/questions", form)
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("no subject: %d", st)
	}
	wantIn(t, body, "no subject", "Indiquez l'objet de la question.", `aria-describedby="subject-q-erreur"`, "Quand la facture sera-t-elle payée ?", m[1])

	// Sent, then posted again (double submit): one question.
	form.Set("subject", "Date de mise en paiement")
	for i := range 2 {
		st, body = of.Submit(doc, doc+"/chorus/questions", form)
		if st != http.StatusSeeOther || !strings.Contains(body, "#assistance") {
			t.Fatalf("ask %d: %d %s", i, st, body)
		}
	}
	_, page = of.Get(doc)
	wantIn(t, page, "flash", "n'est posée qu'une fois")
	var n int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM chorus_questions WHERE invoice_id = (SELECT MAX(id) FROM invoices)").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d questions recorded (%v)", n, err)
	}

	// The worker sends it, without any refresh.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, page = of.Get(doc)
		if strings.Contains(page, "sollicitation n° SOL") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the question is not sent by the worker")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The sandbox answers; the OF reads it.
	page = followUntil(t, of, doc, "Réponse de l'assistance")
	wantIn(t, page, "answered", "Date de mise en paiement", "Répondue", "sollicitation n° SOL", "le paiement relève du comptable de France Travail", "Claire Martin")
	// France Travail's accounting reads the same, without the form.
	_, page = ft.Get(doc)
	wantIn(t, page, "FT", "Assistance Chorus Pro", "Date de mise en paiement", "Répondue", "le paiement relève du comptable de France Travail")
	if strings.Contains(page, "Poser une question à l'assistance") {
		t.Error("accounting is offered the question form")
	}
	if st, _ := ft.Submit(doc, doc+"/chorus/questions", form); st != http.StatusForbidden && st != http.StatusNotFound {
		t.Errorf("accounting asks: %d", st)
	}
	// Another OF reads nothing, asks nothing.
	other := NewBrowser(t)
	other.Login(in, "rgc@competences-plus.example", demo.Password)
	if st, _ := other.Get(doc); st != http.StatusNotFound {
		t.Errorf("another OF reads: %d", st)
	}
	form.Set("token", "autre")
	if st, _ := other.Submit(in.URL+"/factures", doc+"/chorus/questions", form); st != http.StatusNotFound {
		t.Errorf("another OF asks: %d", st)
	}
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM chorus_questions").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d questions after the refused requests", n)
	}
}
