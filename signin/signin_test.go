package signin_test

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"kairos/signin"
)

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

func TestSheetTrainingDayHasBothBoxesOnEveryPage(t *testing.T) {
	s := signin.Sheet{Title: "Feuille d'émargement", Subject: "CAP Cuisine — mardi 12 mai 2026", Halves: true, Signer: "Le formateur",
		Details: [][2]string{{"Organisme", "Organisme A"}}, Now: time.Date(2026, 5, 11, 8, 0, 0, 0, time.UTC)}
	for i := range 40 {
		s.People = append(s.People, signin.Person{Name: "Stagiaire " + strconv.Itoa(i+1) + " Łukasz Ștefan", Detail: "FT" + strconv.Itoa(1000+i)})
	}
	b, err := signin.PDF(s)
	if err != nil {
		t.Fatal(err)
	}
	txt := pdfText(t, b)
	for _, want := range []string{"Feuille d'émargement", "CAP Cuisine — mardi 12 mai 2026", "Signature du matin", "Signature de", "l'après-midi",
		"Stagiaire 1 Łukasz Ștefan", "Stagiaire 40 Łukasz Ștefan", "FT1039", "page 1/", "page 2/", "Nombre de personnes attendues : 40", "Le formateur"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the sheet lacks %q:\n%s", want, txt)
		}
	}
	pages := strings.Split(strings.TrimRight(txt, "\f\n"), "\f")
	if len(pages) < 2 {
		t.Fatalf("40 people fit on %d page", len(pages))
	}
	for i, pg := range pages {
		if strings.Contains(pg, "Stagiaire") && !strings.Contains(pg, "Signature du matin") {
			t.Errorf("page %d lists people without the column headers", i+1)
		}
	}
	if _, err := exec.LookPath("pdffonts"); err == nil {
		cmd := exec.Command("pdffonts", "-")
		cmd.Stdin = bytes.NewReader(b)
		out, _ := cmd.CombinedOutput()
		if strings.Contains(string(out), "Helvetica") || !strings.Contains(string(out), "dejavu") || strings.Contains(string(out), " no  no ") {
			t.Errorf("fonts not embedded:\n%s", out)
		}
	}
}

func TestSheetInformationSessionOneBox(t *testing.T) {
	b, err := signin.PDF(signin.Sheet{Title: "Feuille d'émargement", Subject: "Information collective", Now: time.Date(2026, 5, 11, 8, 0, 0, 0, time.UTC),
		People: []signin.Person{{Name: "Inès\nGarcia", Detail: "X1"}}})
	if err != nil {
		t.Fatal(err)
	}
	txt := pdfText(t, b)
	if strings.Contains(txt, "matin") || !strings.Contains(txt, "Signature") || !strings.Contains(txt, "Inès Garcia") || !strings.Contains(txt, "page 1/1") {
		t.Fatalf("sheet:\n%s", txt)
	}
}
