package enrolment

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/go-pdf/fpdf"

	"kairos"
	"kairos/calendar"
)

// Document kinds.
const (
	DocAIS = "ais" // attestation d'inscription en stage
	DocAES = "aes" // attestation d'entrée en stage
)

// Document returns the AIS (once enrolled) or the AES (once entered) of an
// enrolment as a PDF, to those who may read it.
func (s *Service) Document(ctx context.Context, a *kairos.Actor, id int64, kind string) (name string, pdf []byte, err error) {
	e, err := s.Get(ctx, a, id)
	if err != nil {
		return "", nil, err
	}
	var title, intro string
	var rows [][2]string
	switch kind {
	case DocAIS:
		if e.State == StProposee || e.State == StRefusee || (e.State == StAnnulee && !e.hadAction(ActInscrire)) {
			return "", nil, conflict("L'attestation d'inscription est disponible une fois l'inscription confirmée.")
		}
		title = "Attestation d'inscription en stage (AIS)"
		intro = "L'organisme de formation atteste que la personne ci-dessous est inscrite à la session de formation suivante."
		rows = [][2]string{{"Date d'entrée prévue", e.PlannedEntry.French()}, {"Inscription confirmée le", e.dateOf(ActInscrire)}}
	case DocAES:
		if e.EntryOn.IsZero() {
			return "", nil, conflict("L'attestation d'entrée est disponible une fois l'entrée déclarée.")
		}
		title = "Attestation d'entrée en stage (AES)"
		intro = "L'organisme de formation atteste que la personne ci-dessous est entrée en formation."
		rows = [][2]string{{"Date d'entrée en formation", e.EntryOn.French()}, {"Entrée déclarée le", e.declaredOf(ActEntrer)}}
	default:
		return "", nil, kairos.NotFound("Document")
	}
	base := [][2]string{
		{"Organisme de formation", e.OrgName},
		{"Stagiaire", e.DemandeurName},
		{"Identifiant France Travail", e.FTID},
		{"Session", e.SessionTitle},
		{"Numéro de session", itoa(e.SessionID)},
		{"Dates de la session", "du " + e.SessionDebut.French() + " au " + e.SessionFin.French()},
		{"Inscription Kairos", "n° " + itoa(e.ID)},
	}
	b, err := renderPDF(title, intro, append(base, rows...), s.now())
	if err != nil {
		return "", nil, err
	}
	return kind + "-" + itoa(e.ID) + ".pdf", b, nil
}

func (e *Enrolment) hadAction(action string) bool {
	for _, m := range e.Movements {
		if m.Action == action {
			return true
		}
	}
	return false
}

func (e *Enrolment) dateOf(action string) string {
	for _, m := range e.Movements {
		if m.Action == action {
			return m.OccurredOn.French()
		}
	}
	return "—"
}

func (e *Enrolment) declaredOf(action string) string {
	for i := len(e.Movements) - 1; i >= 0; i-- {
		if m := e.Movements[i]; m.Action == action {
			return m.DeclaredAt.In(calendar.Paris()).Format("02/01/2006 à 15:04")
		}
	}
	return "—"
}

// renderPDF lays out a one-page attestation with the core Helvetica font
// (texts translated to cp1252, which covers French).
func renderPDF(title, intro string, rows [][2]string, now time.Time) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetTitle(title, true)
	p.SetCreator("Kairos", true)
	p.SetCreationDate(now)
	p.SetModificationDate(now)
	tr := p.UnicodeTranslatorFromDescriptor("")
	p.SetMargins(20, 20, 20)
	p.AddPage()
	p.SetFont("Helvetica", "B", 10)
	p.SetTextColor(0, 0, 145)
	p.CellFormat(0, 6, tr("Kairos — parcours de formation des demandeurs d'emploi"), "", 1, "L", false, 0, "")
	p.SetTextColor(0, 0, 0)
	p.Ln(8)
	p.SetFont("Helvetica", "B", 16)
	p.MultiCell(0, 8, tr(title), "", "L", false)
	p.Ln(4)
	p.SetFont("Helvetica", "", 11)
	p.MultiCell(0, 6, tr(intro), "", "L", false)
	p.Ln(4)
	for _, r := range rows {
		p.SetFont("Helvetica", "B", 10)
		p.CellFormat(62, 8, tr(r[0]), "B", 0, "L", false, 0, "")
		p.SetFont("Helvetica", "", 10)
		p.MultiCell(0, 8, tr(r[1]), "B", "L", false)
	}
	p.Ln(10)
	p.SetFont("Helvetica", "I", 9)
	p.MultiCell(0, 5, tr("Document établi par Kairos le "+now.In(calendar.Paris()).Format("02/01/2006 à 15:04")+
		" à partir des déclarations de l'organisme de formation. Il est transmis à France Travail et au stagiaire."), "", "L", false)
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// RenderPDF lays out a one-page attestation of Kairos (title, introduction,
// label/value rows): the other capabilities' documents look the same.
func RenderPDF(title, intro string, rows [][2]string, now time.Time) ([]byte, error) {
	return renderPDF(title, intro, rows, now)
}
