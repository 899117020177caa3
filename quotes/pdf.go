package quotes

import (
	"bytes"
	"time"

	"github.com/go-pdf/fpdf"

	"kairos/calendar"
)

// PDF renders the quote as a one-page PDF (core Helvetica font, texts
// translated to cp1252, which covers French).
func PDF(q *Quote, now time.Time) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	title := "Devis AIF n° " + q.Number
	p.SetTitle(title, true)
	p.SetCreator("Kairos", true)
	p.SetCreationDate(now)
	p.SetModificationDate(now)
	tr := p.UnicodeTranslatorFromDescriptor("")
	money := func(c Cents) string { return c.Plain() + " EUR" }
	hours := func(h Quarters) string { return h.Plain() + " h" }
	p.SetMargins(20, 18, 20)
	p.AddPage()
	p.SetFont("Helvetica", "B", 10)
	p.SetTextColor(0, 0, 145)
	p.CellFormat(0, 6, tr("Kairos — Aide individuelle à la formation (AIF)"), "", 1, "L", false, 0, "")
	p.SetTextColor(0, 0, 0)
	p.Ln(4)
	p.SetFont("Helvetica", "B", 15)
	p.MultiCell(0, 8, tr(title), "", "L", false)
	p.SetFont("Helvetica", "", 10)
	p.MultiCell(0, 6, tr("État : "+q.State.Label()+(map[bool]string{true: " — numéro d'engagement : " + q.Number}[q.State == Valide])), "", "L", false)
	p.Ln(3)
	row := func(k, v string) {
		p.SetFont("Helvetica", "B", 9)
		p.CellFormat(60, 7, tr(k), "B", 0, "L", false, 0, "")
		p.SetFont("Helvetica", "", 9)
		p.MultiCell(0, 7, tr(v), "B", "L", false)
	}
	row("Organisme de formation", q.OrgName)
	row("Demandeur d'emploi", q.DemandeurName+" (identifiant "+q.FTID+")")
	row("Formation", q.Title)
	row("Références Carif-Oref", "formation "+orDash(q.FormationNumero)+", action "+orDash(q.ActionNumero)+", session "+orDash(q.SessionNumero)+" ("+orDash(q.CarifSource)+")")
	row("Dates", "du "+q.SessionDebut.French()+" au "+q.SessionFin.French())
	row("Lieu", orDash(q.Place))
	row("Certifiante", map[bool]string{true: "oui", false: "non"}[q.Certifying])
	row("Heures en centre", hours(q.HoursCentre))
	row("Heures en entreprise", hours(q.HoursCompany))
	row("Coût horaire", money(q.HourlyCost))
	row("Coût pédagogique total", money(q.Total))
	for _, l := range q.Lines {
		row("Cofinancement : "+l.Label, money(l.Amount))
	}
	row("Total des cofinancements", money(q.Cofunding))
	p.SetFont("Helvetica", "B", 11)
	p.CellFormat(60, 9, tr("Montant de l'AIF"), "B", 0, "L", false, 0, "")
	p.MultiCell(0, 9, tr(money(q.AIF)), "B", "L", false)
	if q.Comment != "" {
		row("Commentaire", q.Comment)
	}
	if q.Reason != "" {
		row("Motif", q.Reason)
	}
	p.Ln(8)
	p.SetFont("Helvetica", "I", 8)
	p.MultiCell(0, 4.5, tr("L'AIF couvre les seuls frais pédagogiques ; elle est versée à l'organisme à l'issue de la formation, sur justificatifs. "+
		"Document établi par Kairos le "+now.In(calendar.Paris()).Format("02/01/2006 à 15:04")+"."), "", "L", false)
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
