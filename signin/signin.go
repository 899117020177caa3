// Package signin renders sign-in sheets (feuilles d'émargement): the list of
// the people expected at an information session, or at a training session on
// a given day, with a box to sign (one, or one for the morning and one for the
// afternoon). The PDF embeds its fonts (DejaVu Sans, as the invoices do), so
// that every name prints as written.
package signin

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"kairos/einvoice"
)

// Person is one line of the sheet.
type Person struct {
	Name   string // "Inès Garcia"
	Detail string // identifiant France Travail
	Note   string // a second, smaller line under the name
}

// Sheet is what a sign-in sheet shows.
type Sheet struct {
	Title   string      // "Feuille d'émargement"
	Subject string      // what and when: the appointment's title, the session's
	Details [][2]string // label, value: date, hours, place, organisation…
	People  []Person
	// Halves gives each person a morning and an afternoon box (a training
	// day); otherwise one box (an information session).
	Halves bool
	Signer string // who signs at the bottom: « Le formateur », « L'animateur »
	Now    time.Time
	Place  *time.Location
}

const rowH = 11.0

// PDF renders the sheet: A4 portrait, a header repeated on every page, page
// numbers.
func PDF(s Sheet) ([]byte, error) {
	regular, bold := einvoice.Fonts()
	p := fpdf.New("P", "mm", "A4", "")
	p.SetTitle(s.Title+" — "+s.Subject, true)
	p.SetCreator("Kairos", true)
	p.SetCreationDate(s.Now)
	p.SetModificationDate(s.Now)
	p.SetCompression(true)
	p.AddUTF8FontFromBytes("dejavu", "", regular)
	p.AddUTF8FontFromBytes("dejavu", "B", bold)
	p.SetMargins(15, 15, 15)
	p.SetAutoPageBreak(false, 15)
	p.AliasNbPages("{nb}")
	loc := s.Place
	if loc == nil {
		loc = time.UTC
	}
	_, pageH := p.GetPageSize()
	var width float64
	footer := func() {
		p.SetY(pageH - 12)
		p.SetFont("dejavu", "", 7.5)
		p.SetTextColor(90, 90, 90)
		tail := fmt.Sprintf(" — éditée par Kairos le %s — page %d/{nb}", s.Now.In(loc).Format("02/01/2006 à 15:04"), p.PageNo())
		head := fit(p, clean(s.Title+" — "+s.Subject), width-p.GetStringWidth(tail)-4)
		p.CellFormat(0, 4, head+tail, "", 0, "C", false, 0, "")
		p.SetTextColor(0, 0, 0)
	}
	left, _, right, _ := p.GetMargins()
	pageW, _ := p.GetPageSize()
	width = pageW - left - right
	p.SetFooterFunc(footer)
	cols := []struct {
		label string
		w     float64
	}{{"N°", 10}, {"Nom et prénom", 62}, {"Identifiant France Travail", 38}}
	rest := width - 110
	if s.Halves {
		cols = append(cols, struct {
			label string
			w     float64
		}{"Signature du matin", rest / 2}, struct {
			label string
			w     float64
		}{"Signature de l'après-midi", rest / 2})
	} else {
		cols = append(cols, struct {
			label string
			w     float64
		}{"Signature", rest})
	}
	header := func() { // two lines a cell: the labels are long
		p.SetFont("dejavu", "B", 8)
		p.SetFillColor(232, 237, 255)
		x, y := p.GetXY()
		for _, c := range cols {
			p.Rect(x, y, c.w, 10, "FD")
			lines := p.SplitText(clean(c.label), c.w-2)
			top := y + 5 - float64(len(lines))*3.6/2
			for i, l := range lines {
				p.SetXY(x, top+float64(i)*3.6)
				p.CellFormat(c.w, 3.6, l, "", 0, "C", false, 0, "")
			}
			x += c.w
		}
		p.SetXY(left, y+10)
	}
	p.AddPage()
	p.SetFont("dejavu", "B", 9)
	p.SetTextColor(0, 0, 145)
	p.CellFormat(0, 5, "Kairos — parcours de formation des demandeurs d'emploi", "", 1, "L", false, 0, "")
	p.SetTextColor(0, 0, 0)
	p.Ln(3)
	p.SetFont("dejavu", "B", 16)
	p.MultiCell(0, 8, clean(s.Title), "", "L", false)
	p.SetFont("dejavu", "B", 12)
	p.MultiCell(0, 6, clean(s.Subject), "", "L", false)
	p.Ln(2)
	for _, d := range s.Details {
		p.SetFont("dejavu", "B", 9.5)
		p.CellFormat(45, 6, clean(d[0]), "", 0, "L", false, 0, "")
		p.SetFont("dejavu", "", 9.5)
		p.MultiCell(0, 6, clean(d[1]), "", "L", false)
	}
	p.Ln(4)
	header()
	p.SetFont("dejavu", "", 9)
	for i, pe := range s.People {
		if p.GetY()+rowH > pageH-40 {
			p.AddPage()
			header()
			p.SetFont("dejavu", "", 9)
		}
		p.CellFormat(cols[0].w, rowH, strconv.Itoa(i+1), "1", 0, "C", false, 0, "")
		if pe.Note == "" {
			p.CellFormat(cols[1].w, rowH, fit(p, clean(pe.Name), cols[1].w-2), "1", 0, "L", false, 0, "")
		} else {
			x, y := p.GetXY()
			p.Rect(x, y, cols[1].w, rowH, "D")
			p.SetXY(x, y+1)
			p.CellFormat(cols[1].w, 5, fit(p, clean(pe.Name), cols[1].w-2), "", 0, "L", false, 0, "")
			p.SetFont("dejavu", "", 7)
			p.SetXY(x, y+5.5)
			p.CellFormat(cols[1].w, 4, fit(p, clean(pe.Note), cols[1].w-2), "", 0, "L", false, 0, "")
			p.SetFont("dejavu", "", 9)
			p.SetXY(x+cols[1].w, y)
		}
		p.CellFormat(cols[2].w, rowH, fit(p, clean(pe.Detail), cols[2].w-2), "1", 0, "L", false, 0, "")
		for _, c := range cols[3:] {
			p.CellFormat(c.w, rowH, "", "1", 0, "L", false, 0, "")
		}
		p.Ln(-1)
	}
	if len(s.People) == 0 {
		p.SetFont("dejavu", "", 9)
		p.CellFormat(width, rowH, "Personne n'est attendu.", "1", 1, "C", false, 0, "")
	}
	if p.GetY()+32 > pageH-15 {
		p.AddPage()
	}
	p.Ln(6)
	p.SetFont("dejavu", "", 9.5)
	p.MultiCell(0, 5, clean(fmt.Sprintf("Nombre de personnes attendues : %d. Nombre de présents : ______", len(s.People))), "", "L", false)
	p.Ln(3)
	signer := s.Signer
	if signer == "" {
		signer = "Le responsable"
	}
	p.SetFont("dejavu", "B", 9.5)
	p.CellFormat(width/2, 6, clean(signer+" (nom et signature) :"), "", 1, "L", false, 0, "")
	p.Rect(left, p.GetY(), width/2, 20, "D")
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fit shortens s with an ellipsis to fit w millimetres in the current font.
func fit(p *fpdf.Fpdf, s string, w float64) string {
	if p.GetStringWidth(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && p.GetStringWidth(string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// clean drops control characters (a name is one line).
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n', r == '\t':
			return ' '
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == 0xfffe, r == 0xffff:
			return -1
		}
		return r
	}, s)
}
