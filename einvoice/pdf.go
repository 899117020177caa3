package einvoice

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// DejaVu Sans (Bitstream Vera licence, fonts/LICENSE): PDF/A wants every
// font embedded, so the invoice uses no PDF core font.
var (
	//go:embed fonts/DejaVuSans-Latin.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold-Latin.ttf
	fontBold []byte
)

// FacturXName is the name the embedded XML must have.
const FacturXName = "factur-x.xml"

// PDF returns the Factur-X PDF/A-3 of inv: a readable French invoice with
// the CII XML embedded as factur-x.xml. xmlDoc must be XML(inv); created is
// the moment of issue, written in the metadata (the same inputs give the
// same bytes).
func PDF(inv *Invoice, xmlDoc []byte, created time.Time) ([]byte, error) {
	page, err := renderPage(inv, created)
	if err != nil {
		return nil, err
	}
	title := "Facture " + inv.Number
	if inv.IsCreditNote() {
		title = "Avoir " + inv.Number
	}
	return assemblePDFA(page, pdfaInfo{
		Title:   title,
		Author:  inv.Seller.Name,
		Subject: title + " à " + inv.Buyer.Name + " — Factur-X EN 16931",
		Created: created.UTC(),
		XML:     xmlDoc,
	})
}

// Colours of the page (RGB, under the sRGB output intent).
var (
	blueFrance = [3]int{0, 0, 145}
	greyText   = [3]int{90, 90, 90}
	greyRule   = [3]int{200, 200, 200}
	greyFill   = [3]int{238, 238, 238}
)

func renderPage(inv *Invoice, created time.Time) ([]byte, error) {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetCompression(true)
	f.AddUTF8FontFromBytes("dejavu", "", fontRegular)
	f.AddUTF8FontFromBytes("dejavu", "B", fontBold)
	f.SetMargins(18, 16, 18)
	f.SetAutoPageBreak(true, 22)
	doc := "FACTURE"
	if inv.IsCreditNote() {
		doc = "AVOIR"
	}
	f.SetFooterFunc(func() {
		f.SetY(-16)
		f.SetFont("dejavu", "", 7)
		f.SetTextColor(greyText[0], greyText[1], greyText[2])
		f.CellFormat(0, 4, "Facture électronique Factur-X (profil EN 16931) : le fichier factur-x.xml joint à ce PDF en est la version structurée.", "", 1, "C", false, 0, "")
		f.CellFormat(0, 4, fmt.Sprintf("%s n° %s — page %d/{nb}", doc, inv.Number, f.PageNo()), "", 0, "C", false, 0, "")
	})
	f.AliasNbPages("{nb}")
	f.AddPage()
	w, _ := f.GetPageSize()
	left, _, right, _ := f.GetMargins()
	width := w - left - right
	text := func(style string, size float64, c [3]int) {
		f.SetFont("dejavu", style, size)
		f.SetTextColor(c[0], c[1], c[2])
	}
	black := [3]int{20, 20, 20}

	// Seller.
	s := inv.Seller
	text("B", 14, blueFrance)
	f.MultiCell(width*0.55, 6, pdfClean(s.Name), "", "L", false)
	text("", 8.5, black)
	for _, l := range addressLines(s.Address) {
		f.MultiCell(width*0.55, 4.2, pdfClean(l), "", "L", false)
	}
	f.MultiCell(width*0.55, 4.2, "SIRET "+spaced(s.SIRET, 3, 3, 3, 5), "", "L", false)
	if s.NDA != "" {
		f.MultiCell(width*0.55, 4.2, "Déclaration d'activité n° "+s.NDA+" (ne vaut pas agrément de l'État)", "", "L", false)
	}
	if s.VATID != "" {
		f.MultiCell(width*0.55, 4.2, "N° TVA intracommunautaire "+NormalizeVATID(s.VATID), "", "L", false)
	} else if s.TaxRegistrationID != "" {
		f.MultiCell(width*0.55, 4.2, "Identifiant fiscal "+s.TaxRegistrationID, "", "L", false)
	}
	if s.Email != "" {
		f.MultiCell(width*0.55, 4.2, s.Email, "", "L", false)
	}
	yAfterSeller := f.GetY()

	// Document title and dates, on the right.
	x := left + width*0.58
	f.SetXY(x, 16)
	text("B", 16, black)
	f.CellFormat(width*0.42, 8, doc, "", 2, "R", false, 0, "")
	f.SetX(x)
	text("", 9, black)
	f.CellFormat(width*0.42, 5, "N° "+inv.Number, "", 2, "R", false, 0, "")
	f.SetX(x)
	f.CellFormat(width*0.42, 5, "Émise le "+inv.IssueDate.French(), "", 2, "R", false, 0, "")
	if !inv.DueDate.IsZero() {
		f.SetX(x)
		f.CellFormat(width*0.42, 5, "Échéance le "+inv.DueDate.French(), "", 2, "R", false, 0, "")
	}
	if inv.PrecedingNumber != "" {
		f.SetX(x)
		f.MultiCell(width*0.42, 5, "Annule la facture "+inv.PrecedingNumber+" du "+inv.PrecedingDate.French(), "", "R", false)
	}

	// Buyer box.
	y := max(yAfterSeller, f.GetY()) + 6
	b := inv.Buyer
	boxX := left + width*0.50
	f.SetXY(boxX+3, y+3)
	text("", 7.5, greyText)
	f.CellFormat(width*0.5-6, 4, "FACTURÉ À", "", 2, "L", false, 0, "")
	f.SetX(boxX + 3)
	text("B", 10, black)
	f.MultiCell(width*0.5-6, 5, pdfClean(b.Name), "", "L", false)
	text("", 8.5, black)
	buyerLines := append(addressLines(b.Address), "SIRET "+spaced(b.SIRET, 3, 3, 3, 5))
	if inv.BuyerReference != "" {
		buyerLines = append(buyerLines, "Code service : "+inv.BuyerReference)
	}
	if inv.OrderReference != "" {
		buyerLines = append(buyerLines, "Engagement (devis AIF) : "+inv.OrderReference)
	}
	if inv.ContractReference != "" {
		buyerLines = append(buyerLines, "Marché : "+inv.ContractReference)
	}
	for _, l := range buyerLines {
		f.SetX(boxX + 3)
		f.MultiCell(width*0.5-6, 4.2, pdfClean(l), "", "L", false)
	}
	boxBottom := f.GetY() + 3
	f.SetDrawColor(greyRule[0], greyRule[1], greyRule[2])
	f.Rect(boxX, y, width*0.5, boxBottom-y, "D")
	f.SetXY(left, boxBottom+8)

	// Lines.
	cols := []float64{width * 0.43, width * 0.17, width * 0.11, width * 0.14, width * 0.15}
	head := []string{"Désignation", "Période", "Heures", "Taux horaire", "Montant HT"}
	align := []string{"L", "L", "R", "R", "R"}
	text("B", 8, black)
	f.SetFillColor(greyFill[0], greyFill[1], greyFill[2])
	for i, h := range head {
		f.CellFormat(cols[i], 7, h, "B", 0, align[i], true, 0, "")
	}
	f.Ln(-1)
	text("", 8, black)
	for _, l := range inv.Lines {
		name := l.Name
		if l.Description != "" {
			name += "\n" + l.Description
		}
		period := ""
		if !l.Period.IsEmpty() {
			period = "du " + l.Period.From.French() + "\nau " + l.Period.To.French()
		}
		cells := []string{name, period, FormatHoursFrench(l.QuarterHours), FormatEuros(l.RateCents), FormatEuros(l.NetCents)}
		row(f, cols, cells, align)
	}
	for _, a := range inv.Allowances {
		row(f, cols, []string{a.Reason, "", "", "", "−" + FormatEuros(a.AmountCents)}, align)
	}
	f.Ln(4)

	// Totals.
	t := inv.Totals
	totals := [][2]string{{"Total des lignes HT", FormatEuros(t.LineTotal)}}
	if t.AllowanceTotal != 0 {
		totals = append(totals, [2]string{"Remises", "−" + FormatEuros(t.AllowanceTotal)})
	}
	totals = append(totals, [2]string{"Total HT", FormatEuros(t.TaxBasis)}, [2]string{"TVA (exonérée)", FormatEuros(t.TaxTotal)}, [2]string{"Total TTC", FormatEuros(t.GrandTotal)})
	if t.Prepaid != 0 {
		totals = append(totals, [2]string{"Acomptes versés", "−" + FormatEuros(t.Prepaid)})
	}
	due := "Net à payer"
	if inv.IsCreditNote() {
		due = "Montant de l'avoir"
	}
	totals = append(totals, [2]string{due, FormatEuros(t.DuePayable)})
	for i, tl := range totals {
		last := i == len(totals)-1
		f.SetX(left + width*0.55)
		if last {
			text("B", 10, black)
			f.CellFormat(width*0.27, 7, tl[0], "T", 0, "L", true, 0, "")
			f.CellFormat(width*0.18, 7, tl[1], "T", 1, "R", true, 0, "")
		} else {
			text("", 8.5, black)
			f.CellFormat(width*0.27, 5, tl[0], "", 0, "L", false, 0, "")
			f.CellFormat(width*0.18, 5, tl[1], "", 1, "R", false, 0, "")
		}
	}
	f.Ln(6)

	// Mentions: VAT exemption, payment, notes.
	text("B", 8.5, black)
	f.MultiCell(width, 4.5, "TVA", "", "L", false)
	text("", 8.5, black)
	for _, v := range inv.VAT {
		if v.Reason != "" {
			f.MultiCell(width, 4.5, v.Reason+" (code "+v.ReasonCode+").", "", "L", false)
		}
	}
	f.Ln(2)
	text("B", 8.5, black)
	f.MultiCell(width, 4.5, "Règlement", "", "L", false)
	text("", 8.5, black)
	if inv.IBAN != "" {
		pay := "Par virement sur le compte IBAN " + spacedIBAN(inv.IBAN)
		if inv.BIC != "" {
			pay += " — BIC " + NormalizeBIC(inv.BIC)
		}
		if inv.AccountName != "" {
			pay += " — titulaire : " + inv.AccountName
		}
		if !inv.DueDate.IsZero() {
			pay += ", au plus tard le " + inv.DueDate.French()
		}
		f.MultiCell(width, 4.5, pay+".", "", "L", false)
	}
	if inv.PaymentTerms != "" {
		f.MultiCell(width, 4.5, inv.PaymentTerms, "", "L", false)
	}
	for _, n := range inv.Notes {
		f.MultiCell(width, 4.5, n.Content, "", "L", false)
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("einvoice: pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// row writes one table row whose cells may wrap; the row is as tall as its
// tallest cell.
func row(f *fpdf.Fpdf, cols []float64, cells, align []string) {
	const lh = 4.2
	h := 0.0
	for i := range cells {
		cells[i] = pdfClean(cells[i])
	}
	for i, c := range cells {
		n := len(f.SplitText(c, cols[i]-2))
		h = max(h, float64(max(n, 1))*lh+2)
	}
	_, pageH := f.GetPageSize()
	_, _, _, bottom := f.GetMargins()
	if f.GetY()+h > pageH-bottom {
		f.AddPage()
	}
	x, y := f.GetXY()
	for i, c := range cells {
		f.SetXY(x, y+1)
		f.MultiCell(cols[i], lh, c, "", align[i], false)
		x += cols[i]
	}
	left, _, _, _ := f.GetMargins()
	f.SetDrawColor(greyRule[0], greyRule[1], greyRule[2])
	w, _ := f.GetPageSize()
	f.Line(left, y+h, w-left, y+h)
	f.SetXY(left, y+h)
}

// pdfClean drops the control characters (but line breaks) and the
// noncharacters a text may carry, which would print as blanks.
func pdfClean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == 0xfffe, r == 0xffff:
			return -1
		}
		return r
	}, s)
}

func addressLines(a Address) []string {
	var out []string
	for _, l := range []string{a.Line1, a.Line2} {
		if l != "" {
			out = append(out, l)
		}
	}
	city := a.PostalCode
	if a.City != "" {
		if city != "" {
			city += " "
		}
		city += a.City
	}
	if city != "" {
		out = append(out, city)
	}
	if a.Country != "" && a.Country != "FR" {
		out = append(out, a.Country)
	}
	return out
}

// spaced groups the characters of s by the given sizes ("732 829 320 00074").
func spaced(s string, sizes ...int) string {
	var b []byte
	i := 0
	for _, n := range sizes {
		if i >= len(s) {
			break
		}
		if i > 0 {
			b = append(b, ' ')
		}
		end := min(i+n, len(s))
		b = append(b, s[i:end]...)
		i = end
	}
	if i < len(s) {
		b = append(b, ' ')
		b = append(b, s[i:]...)
	}
	return string(b)
}

// spacedIBAN writes an IBAN by groups of 4.
func spacedIBAN(iban string) string {
	s := NormalizeIBAN(iban)
	var sizes []int
	for range (len(s) + 3) / 4 {
		sizes = append(sizes, 4)
	}
	return spaced(s, sizes...)
}

// Fonts returns the embedded DejaVu Sans regular and bold (Latin subsets),
// for the other documents of Kairos that embed their fonts (sign-in sheets).
func Fonts() (regular, bold []byte) { return fontRegular, fontBold }
