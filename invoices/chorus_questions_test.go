package invoices_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"kairos"
	"kairos/chorus"
	"kairos/invoices"
)

// integrated issues the invoice and follows it until Chorus Pro integrated it.
func (c *chorusEnv) integrated(t *testing.T) int64 {
	t.Helper()
	c.w.Handlers[invoices.QuestionJob] = c.dep.HandleQuestion
	inv, err := c.iss.Issue(c.ctx, c.rgc, c.enrID)
	if err != nil {
		t.Fatal(err)
	}
	c.drain(t)
	c.clock.T = c.clock.T.Add(time.Hour)
	c.drain(t)
	if f := c.followup(t, inv.ID); f.CPPID == 0 {
		t.Fatalf("not integrated: %+v", f)
	}
	return inv.ID
}

func (c *chorusEnv) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := c.DB().QueryRow(c.ctx, q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestChorusQuestionAnswered: the OF asks the assistance a question about
// its invoice; Kairos sends it, follows it on the clock until the answer;
// France Travail's accounting reads the same; another OF sees nothing.
func TestChorusQuestionAnswered(t *testing.T) {
	c := newChorusEnv(t, chorus.ScenarioPaid)
	id := c.integrated(t)
	cats, err := c.dep.QuestionCategories(c.ctx)
	if err != nil || len(cats) == 0 {
		t.Fatalf("categories: %v %v", cats, err)
	}
	cat := cats[2].IDTechniqueCategorie // PAIEMENT
	good := invoices.QuestionForm{CategoryID: cat, Subject: "Date de mise en paiement", Message: "Bonjour,\nquand la facture sera-t-elle payée ?", Token: "jeton-1"}

	// Bad input: the field named, in French.
	for name, c2 := range map[string]struct {
		f     invoices.QuestionForm
		field string
	}{
		"no category":      {invoices.QuestionForm{Subject: "a", Message: "b"}, "category_id"},
		"unknown category": {invoices.QuestionForm{CategoryID: 4242, Subject: "a", Message: "b"}, "category_id"},
		"empty subject":    {invoices.QuestionForm{CategoryID: cat, Subject: "  ", Message: "b"}, "subject"},
		"long subject":     {invoices.QuestionForm{CategoryID: cat, Subject: strings.Repeat("é", invoices.MaxQuestionSubject+1), Message: "b"}, "subject"},
		"subject newline":  {invoices.QuestionForm{CategoryID: cat, Subject: "a\nb", Message: "b"}, "subject"},
		"control char":     {invoices.QuestionForm{CategoryID: cat, Subject: "a", Message: "b\x07"}, "message"},
		"bad utf-8":        {invoices.QuestionForm{CategoryID: cat, Subject: "a\xff", Message: "b"}, "subject"},
		"long message":     {invoices.QuestionForm{CategoryID: cat, Subject: "a", Message: strings.Repeat("x", invoices.MaxQuestionMessage+1)}, "message"},
	} {
		_, _, err := c.dep.Ask(c.ctx, c.rgc, id, c2.f)
		if msg := kairos.FieldErrors(err)[c2.field]; msg == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Who may ask: the OF's billing, not accounting, not another OF.
	ft := c.Users[kairos.RoleFTComptable].Actor()
	if _, _, err := c.dep.Ask(c.ctx, ft, id, good); kairos.ErrorCode(err) != kairos.EForbidden {
		t.Fatalf("accounting asks: %v", err)
	}
	if _, _, err := c.dep.Ask(c.ctx, c.OFBAdmin.Actor(), id, good); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("another OF asks: %v", err)
	}
	if n := c.count(t, "SELECT COUNT(*) FROM chorus_questions"); n != 0 {
		t.Fatalf("%d questions recorded by refused requests", n)
	}

	q, created, err := c.dep.Ask(c.ctx, c.rgc, id, good)
	if err != nil || !created || q.Phase != invoices.QPhaseToSend || q.StatusLabel != "En cours d'envoi à l'assistance" || q.CategoryCode != "PAIEMENT" || q.Author == "" {
		t.Fatalf("asked: %+v %v %v", q, created, err)
	}
	// Double submit: the same token gives the same question.
	again, created, err := c.dep.Ask(c.ctx, c.rgc, id, good)
	if err != nil || created || again.ID != q.ID || c.count(t, "SELECT COUNT(*) FROM chorus_questions") != 1 {
		t.Fatalf("double submit: %+v %v %v", again, created, err)
	}

	c.drain(t)
	list, err := c.iss.Questions(c.ctx, c.rgc, id, 0, 10)
	if err != nil || len(list) != 1 || list[0].Status != chorus.SolTransmise || list[0].ChorusNumber == "" || list[0].Phase != invoices.QPhaseFollow {
		t.Fatalf("sent: %+v %v", list, err)
	}
	var seen []string
	for i := 0; i < 12 && !list[0].Final; i++ {
		c.clock.T = c.clock.T.Add(30 * time.Minute)
		c.drain(t)
		list, _ = c.iss.Questions(c.ctx, c.rgc, id, 0, 10)
		if s := list[0].Status; len(seen) == 0 || seen[len(seen)-1] != s {
			seen = append(seen, s)
		}
	}
	got := list[0]
	if !got.Final || got.Status != chorus.SolRepondue || got.StatusLabel != "Répondue" || !strings.Contains(got.Answer, "paiement") || got.AnsweredAt == nil {
		t.Fatalf("answered: %v %+v", seen, got)
	}
	if seen[0] != chorus.SolEnCours && seen[0] != chorus.SolTransmise {
		t.Fatalf("statuses seen: %v", seen)
	}
	// Chorus Pro received it once, with the invoice's number and the Kairos reference.
	found, err := c.dep.Client.RechercherSollicitations(c.ctx, chorus.RechercherSollicitationRequest{NumeroFacture: numberOf(t, c, id)})
	if err != nil || len(found) != 1 || !strings.HasSuffix(found[0].Objet, "[Kairos Q"+itoa(q.ID)+"]") {
		t.Fatalf("on Chorus Pro: %+v %v", found, err)
	}
	// Audited and published: asked once, then each status.
	if n := c.count(t, "SELECT COUNT(*) FROM events WHERE type = 'invoice.chorus_question_asked' AND object_id = ?", itoa(id)); n != 1 {
		t.Fatalf("%d asked events", n)
	}
	if n := c.count(t, "SELECT COUNT(*) FROM events WHERE type = 'invoice.chorus_question_status_changed' AND object_id = ?", itoa(id)); n != 3 {
		t.Fatalf("%d status events, want 3 (transmise, en cours, répondue)", n)
	}
	if n := c.count(t, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'invoice.chorus_question_%'"); n != 4 {
		t.Fatalf("%d audit records", n)
	}
	// Final: no more polling.
	c.clock.T = c.clock.T.Add(48 * time.Hour)
	c.drain(t)
	if n := c.count(t, "SELECT COUNT(*) FROM jobs WHERE kind = ? AND done_at IS NULL AND failed_at IS NULL", invoices.QuestionJob); n != 0 {
		t.Fatalf("%d question jobs after the answer", n)
	}
	// Accounting reads the same; another OF reads nothing.
	fl, err := c.iss.Questions(c.ctx, ft, id, 0, 10)
	if err != nil || len(fl) != 1 || fl[0].Answer != got.Answer {
		t.Fatalf("accounting: %+v %v", fl, err)
	}
	if _, err := c.iss.Questions(c.ctx, c.OFBAdmin.Actor(), id, 0, 10); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("another OF reads: %v", err)
	}
	// Cursor: older than the first, nothing.
	if l, err := c.iss.Questions(c.ctx, c.rgc, id, q.ID, 10); err != nil || len(l) != 0 {
		t.Fatalf("after the cursor: %+v %v", l, err)
	}
}

func numberOf(t *testing.T, c *chorusEnv, id int64) string {
	t.Helper()
	x, err := c.iss.Get(c.ctx, c.rgc, id)
	if err != nil {
		t.Fatal(err)
	}
	return x.Number
}

// TestChorusQuestionNeverSentTwice: the process dies after Chorus Pro
// accepted the question and before its reference is recorded; the next
// attempt finds it with rechercher/sollicitation instead of sending again.
func TestChorusQuestionNeverSentTwice(t *testing.T) {
	c := newChorusEnv(t, chorus.ScenarioPaid)
	id := c.integrated(t)
	var crashed atomic.Bool
	c.dep.AfterQuestion = func(int64, int64) {
		if crashed.CompareAndSwap(false, true) {
			panic("crash between the sending and its record")
		}
	}
	cats, _ := c.dep.QuestionCategories(c.ctx)
	q, _, err := c.dep.Ask(c.ctx, c.rgc, id, invoices.QuestionForm{CategoryID: cats[0].IDTechniqueCategorie, Subject: "Suivi", Message: "Où en est la facture ? CHORUS-SANDBOX:cloturee"})
	if err != nil {
		t.Fatal(err)
	}
	c.drain(t)
	list, _ := c.iss.Questions(c.ctx, c.rgc, id, 0, 10)
	if !crashed.Load() || list[0].Phase != invoices.QPhaseSending || list[0].ChorusID != 0 {
		t.Fatalf("after the crash: %+v", list[0])
	}
	if _, err := c.dep.Recover(c.ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10 && !list[0].Final; i++ {
		c.clock.T = c.clock.T.Add(time.Hour)
		c.drain(t)
		list, _ = c.iss.Questions(c.ctx, c.rgc, id, 0, 10)
	}
	if list[0].ID != q.ID || list[0].ChorusID == 0 || list[0].Status != chorus.SolCloturee || !list[0].Final || list[0].Answer == "" {
		t.Fatalf("reconciled: %+v", list[0])
	}
	found, err := c.dep.Client.RechercherSollicitations(c.ctx, chorus.RechercherSollicitationRequest{NumeroFacture: numberOf(t, c, id)})
	if err != nil || len(found) != 1 {
		t.Fatalf("sent %d times: %+v %v", len(found), found, err)
	}
	var sendings int
	c.DB().QueryRow(c.ctx, "SELECT sendings FROM chorus_questions WHERE id = ?", q.ID).Scan(&sendings)
	if sendings != 1 {
		t.Fatalf("%d sendings", sendings)
	}
}

// TestChorusQuestionConcurrentDoubleSubmit: the same form posted twice at
// once records one question.
func TestChorusQuestionConcurrentDoubleSubmit(t *testing.T) {
	c := newChorusEnv(t, chorus.ScenarioPaid)
	id := c.integrated(t)
	cats, _ := c.dep.QuestionCategories(c.ctx)
	f := invoices.QuestionForm{CategoryID: cats[0].IDTechniqueCategorie, Subject: "Suivi", Message: "Où en est-elle ?", Token: "même-jeton"}
	ids := make(chan int64, 4)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			q, _, err := c.dep.Ask(c.ctx, c.rgc, id, f)
			if err != nil {
				errs <- err
				return
			}
			ids <- q.ID
		}()
	}
	var first int64
	for range 4 {
		select {
		case err := <-errs:
			t.Fatal(err)
		case got := <-ids:
			if first == 0 {
				first = got
			} else if got != first {
				t.Fatalf("two questions: %d and %d", first, got)
			}
		}
	}
	if n := c.count(t, "SELECT COUNT(*) FROM chorus_questions"); n != 1 {
		t.Fatalf("%d questions", n)
	}
	if n := c.count(t, "SELECT COUNT(*) FROM events WHERE type = 'invoice.chorus_question_asked'"); n != 1 {
		t.Fatalf("%d asked events", n)
	}
}
