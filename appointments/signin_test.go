package appointments_test

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/appointments"
)

func TestConvocationNamesTheKindOnce(t *testing.T) {
	e := newEnv(t, 2)
	in := input(5)
	in.Title = "Information collective — CAP Cuisine"
	appt, err := e.svc.Create(e.ctx(), e.rdv, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Title = "CAP Cuisine"
	plain, err := e.svc.Create(e.ctx(), e.rdv, in)
	if err != nil {
		t.Fatal(err)
	}
	if appt.FullTitle() != "Information collective — CAP Cuisine" || plain.FullTitle() != "Information collective — CAP Cuisine" {
		t.Fatalf("full titles %q, %q", appt.FullTitle(), plain.FullTitle())
	}
	for i, x := range []*appointments.Appointment{appt, plain} {
		if _, err := e.svc.Register(e.ctx(), e.deActor(i), x.ID, e.de[i].ID); err != nil {
			t.Fatal(err)
		}
		m := e.mails(t, e.de[i].Email)
		if len(m) != 1 {
			t.Fatalf("mails %+v", m)
		}
		body := m[0].Body + string(m[0].Attachments[0].Data)
		if strings.Contains(body, "Information collective — Information collective") ||
			!strings.Contains(m[0].Body, "rendez-vous : Information collective — CAP Cuisine.") || !strings.Contains(body, "SUMMARY:Information collective — CAP Cuisine") {
			t.Errorf("convocation %d:\n%s", i, body)
		}
	}
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed: the text of the PDF is not checked")
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return string(out)
}

func TestSignInSheetOfAnAppointment(t *testing.T) {
	e := newEnv(t, 4)
	appt := e.mustCreate(t, 2)
	var last int64
	for i := range 4 {
		p, err := e.svc.Register(e.ctx(), e.deActor(i), appt.ID, e.de[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		last = p.ID
	}
	// de[3] then leaves the waiting list: 2 seated, 1 waiting, 1 unregistered.
	if _, err := e.svc.Unregister(e.ctx(), e.deActor(3), last); err != nil {
		t.Fatal(err)
	}
	name, b, err := e.svc.SignInSheet(e.ctx(), e.rdv, appt.ID)
	if err != nil {
		t.Fatal(err)
	}
	if name != "emargement-rendez-vous-"+strconv.FormatInt(appt.ID, 10)+"-2026-06-10.pdf" {
		t.Errorf("file name %q", name)
	}
	txt := pdfText(t, b)
	for _, want := range []string{"Feuille d'émargement", "Information collective Développeur web", "mercredi 10 juin 2026, 09:30 – 11:00",
		e.de[0].Name, e.de[1].Name, "FT000000", "FT000001", "Nombre de personnes attendues : 2", "Signature"} {
		if !strings.Contains(txt, want) {
			t.Errorf("sheet lacks %q:\n%s", want, txt)
		}
	}
	for _, not := range []string{e.de[2].Name, e.de[3].Name} { // waiting list, unregistered
		if strings.Contains(txt, not) {
			t.Errorf("sheet lists %q:\n%s", not, txt)
		}
	}
	// Another OF: not found; a job seeker: forbidden; cancelled: conflict.
	_, _, err = e.svc.SignInSheet(e.ctx(), e.OFBUser.Actor(), appt.ID)
	wantCode(t, err, kairos.ENotFound)
	_, _, err = e.svc.SignInSheet(e.ctx(), e.deActor(0), appt.ID)
	wantCode(t, err, kairos.EForbidden)
	if _, err := e.svc.Cancel(e.ctx(), e.rdv, appt.ID, "Formateur malade"); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.SignInSheet(e.ctx(), e.rdv, appt.ID)
	wantCode(t, err, kairos.EConflict)
}

func TestDuplicateInput(t *testing.T) {
	e := newEnv(t, 0)
	in := input(8)
	in.Deadline = "2026-06-09T18:00"
	in.SessionIDs = []int64{7}
	appt, err := e.svc.Create(e.ctx(), e.rdv, in)
	if err != nil {
		t.Fatal(err)
	}
	d := e.svc.DuplicateInput(appt)
	if d.Date != "2026-06-17" || d.Start != "09:30" || d.End != "11:00" || d.Title != in.Title || d.Capacity != 8 || d.Place != in.Place ||
		d.Comment != in.Comment || d.Deadline != "2026-06-16T18:00" || len(d.SessionIDs) != 1 || d.SessionIDs[0] != 7 {
		t.Fatalf("duplicate %+v", d)
	}
	copy, err := e.svc.Create(e.ctx(), e.rdv, d)
	if err != nil || copy.ID == appt.ID || copy.SeatsTaken != 0 {
		t.Fatalf("copy %+v %v", copy, err)
	}
	// Past appointment: the proposed date is the next one still ahead
	// (1 July 10:00 in Paris: that day's 09:30 is gone).
	e.clock.T = time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
	if d := e.svc.DuplicateInput(appt); d.Date != "2026-07-08" {
		t.Fatalf("proposed date after a past one: %s", d.Date)
	}
}
