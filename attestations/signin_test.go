package attestations_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"kairos"
	"kairos/calendar"
	"kairos/enrolment"
)

func TestSignInSheetOfASessionDay(t *testing.T) {
	e := newEnv(t, 4)
	admin := e.Users[kairos.RoleOFAdmin].Actor()
	// de00 is interrupted from Wednesday 11 to Friday 13 March.
	for _, a := range []enrolment.Action{
		{Action: enrolment.ActInterrompre, Date: calendar.NewDate(2026, 3, 11), Reason: "maladie"},
		{Action: enrolment.ActReprendre, Date: calendar.NewDate(2026, 3, 16)},
	} {
		if _, err := e.enr.Do(ctx(), admin, e.ids[0], a); err != nil {
			t.Fatalf("%s: %v", a.Action, err)
		}
	}
	text := func(day calendar.Date) string {
		t.Helper()
		name, b, err := e.svc.SignInSheet(ctx(), e.of, 1, day)
		if err != nil {
			t.Fatal(err)
		}
		if name != "emargement-session-1-"+day.String()+".pdf" {
			t.Errorf("name %q", name)
		}
		if _, err := exec.LookPath("pdftotext"); err != nil {
			t.Skip("pdftotext (poppler-utils) is not installed")
		}
		cmd := exec.Command("pdftotext", "-layout", "-", "-")
		cmd.Stdin = bytes.NewReader(b)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	// Tuesday 10 March: de00 (entered), de02 and de03 (entry planned, not
	// declared); de01 enters on the 16th.
	txt := text(calendar.NewDate(2026, 3, 10))
	for _, want := range []string{"Feuille d'émargement", "Développeur web — mardi 10/03/2026", "Signature du matin", "l'après-midi",
		"Demandeur 00", "Demandeur 02", "Demandeur 03", "entrée prévue le 02/03/2026, non déclarée", "Nombre de personnes attendues : 3"} {
		if !strings.Contains(txt, want) {
			t.Errorf("10 March lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "Demandeur 01") {
		t.Errorf("10 March lists de01, who enters on the 16th")
	}
	// Thursday 12 March: de00 is interrupted.
	if txt := text(calendar.NewDate(2026, 3, 12)); strings.Contains(txt, "Demandeur 00") {
		t.Errorf("12 March lists the interrupted trainee:\n%s", txt)
	}
	// Tuesday 17 March: both entered trainees.
	if txt := text(calendar.NewDate(2026, 3, 17)); !strings.Contains(txt, "Demandeur 00") || !strings.Contains(txt, "Demandeur 01") {
		t.Errorf("17 March:\n%s", txt)
	}
	for day, want := range map[calendar.Date]string{
		calendar.NewDate(2026, 3, 8): "pas de formation ce jour de la semaine",
		calendar.NewDate(2026, 4, 6): "jour férié : lundi de Pâques",
		calendar.NewDate(2026, 7, 1): "hors des dates de la session (du 02/03/2026 au 30/06/2026)",
		0:                            "Saisissez une date valide, par exemple 12/05/2026.",
	} {
		_, _, err := e.svc.SignInSheet(ctx(), e.of, 1, day)
		if kairos.ErrorCode(err) != kairos.EInvalid || !strings.Contains(kairos.FieldErrors(err)["jour"], want) {
			t.Errorf("%s: %v, want %q", day, err, want)
		}
	}
	_, _, err := e.svc.SignInSheet(ctx(), e.OFBAdmin.Actor(), 1, calendar.NewDate(2026, 3, 10))
	wantCode(t, err, kairos.ENotFound)
	_, _, err = e.svc.SignInSheet(ctx(), e.OFBUser.Actor(), 1, calendar.NewDate(2026, 3, 10))
	wantCode(t, err, kairos.EForbidden)
}

func wantCode(t testing.TB, err error, code kairos.Code) {
	t.Helper()
	if kairos.ErrorCode(err) != code {
		t.Fatalf("error %v, want code %q", err, code)
	}
}
