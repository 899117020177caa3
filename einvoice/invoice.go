// Package einvoice is the EN 16931 invoice of an OF to France Travail: the
// model (money in integer cents, hours in quarter hours), the lines prepared
// from attested hours and capped by the AIF amount, the business-rule checks
// (BR-CO-10…16, BR-E-*) with French messages, the CII D16B XML and the
// Factur-X PDF/A-3 that carries it. It is pure: no database, no clock.
package einvoice

import (
	"strconv"
	"strings"

	"kairos/calendar"
)

// Document type codes (UNTDID 1001, BT-3). Chorus Pro refuses 261 and 751.
const (
	TypeInvoice    = "380"
	TypeCreditNote = "381"
)

// Constants of an invoice from an OF to France Travail (DOMAIN §10).
const (
	// Specification identifier (BT-24): the EN 16931 profile of Factur-X.
	Guideline = "urn:cen.eu:en16931:2017"
	// Chorus Pro « cadre de facturation » A1 (dépôt par un fournisseur), in BT-23.
	CadreA1 = "A1"
	// VAT category « exempt » (BT-118, BT-151) and the French exemption of
	// vocational training (CGI art. 261-4-4° a): text BT-120, code BT-121.
	CategoryExempt      = "E"
	ExemptionReason     = "Exonération de TVA, article 261-4-4° a du CGI"
	ExemptionReasonCode = "VATEX-FR-CGI261-4"
	// Payment means « credit transfer » (BT-81): the only one Chorus Pro accepts for a transfer.
	PaymentCreditTransfer = "30"
	Currency              = "EUR"
	// Unit of the billed quantity (UN/ECE rec. 20): hour.
	UnitHour = "HUR"
	// Identification schemes (ISO 6523): SIRET.
	SchemeSIRET = "0009"
)

// Address is a postal address (BG-5, BG-8).
type Address struct {
	Line1, Line2 string
	PostalCode   string
	City         string
	Country      string // ISO 3166-1 alpha-2, e.g. "FR"
}

// Party is the seller (the OF) or the buyer (France Travail).
type Party struct {
	Name  string // BT-27 / BT-44
	SIRET string // BT-30 / BT-47 (scheme 0009)
	// Seller only.
	NDA   string // numéro de déclaration d'activité, printed and in BT-33
	VATID string // BT-31, e.g. FR32123456782 (intra-community VAT number)
	// TaxRegistrationID (BT-32) stands in for a VAT id when the OF has none:
	// BR-E-02 requires one of them on an exempt invoice.
	TaxRegistrationID string
	Address           Address
	Email             string // BT-34 / BT-49 (electronic address, optional)
}

// Line is one invoice line (BG-25): attested hours of a period × the hourly rate.
type Line struct {
	ID           string         // BT-126
	Name         string         // BT-153
	Description  string         // BT-154 (optional)
	Period       calendar.Range // BT-134, BT-135 (optional)
	QuarterHours int64          // BT-129 in quarter hours (unit HUR)
	RateCents    int64          // BT-146, net price of one hour
	NetCents     int64          // BT-131
	Category     string         // BT-151, "E"
	RatePercent  int64          // BT-152 in hundredths of a percent (0 for E)
}

// Allowance is a document-level allowance (BG-20).
type Allowance struct {
	AmountCents int64  // BT-92
	Reason      string // BT-97
	ReasonCode  string // BT-98 (UNTDID 5189, optional)
	Category    string // BT-95
	RatePercent int64  // BT-96 in hundredths of a percent
}

// VATBreakdown is one VAT breakdown (BG-23).
type VATBreakdown struct {
	Category    string // BT-118
	RatePercent int64  // BT-119 in hundredths of a percent
	BasisCents  int64  // BT-116
	TaxCents    int64  // BT-117
	Reason      string // BT-120
	ReasonCode  string // BT-121
}

// Totals are the document totals (BG-22), in cents.
type Totals struct {
	LineTotal      int64 // BT-106
	AllowanceTotal int64 // BT-107
	ChargeTotal    int64 // BT-108
	TaxBasis       int64 // BT-109
	TaxTotal       int64 // BT-110
	GrandTotal     int64 // BT-112
	Prepaid        int64 // BT-113
	Rounding       int64 // BT-114
	DuePayable     int64 // BT-115
}

// Note is an invoice note (BT-22) with its subject code (BT-21, UNTDID 4451).
type Note struct {
	Subject string
	Content string
}

// Invoice is an EN 16931 invoice or credit note.
type Invoice struct {
	Number    string        // BT-1, ≤ 20 characters for Chorus Pro
	TypeCode  string        // BT-3: TypeInvoice or TypeCreditNote
	IssueDate calendar.Date // BT-2
	DueDate   calendar.Date // BT-9 (invoices)
	// PaymentTerms (BT-20): required by BR-CO-25 when there is no due date.
	PaymentTerms string
	Notes        []Note

	Seller Party
	Buyer  Party

	BuyerReference    string // BT-10: France Travail's « code service exécutant »
	OrderReference    string // BT-13: the AIF quote number (engagement)
	ContractReference string // BT-12 (optional)
	// For a credit note: the invoice it cancels (BT-25, BT-26).
	PrecedingNumber string
	PrecedingDate   calendar.Date

	// Payment instructions (BG-16); empty IBAN on a credit note.
	IBAN        string // BT-84
	BIC         string // BT-86
	AccountName string // BT-85

	Lines      []Line
	Allowances []Allowance
	VAT        []VATBreakdown
	Totals     Totals
}

// IsCreditNote reports whether inv is a credit note (381).
func (inv *Invoice) IsCreditNote() bool { return inv.TypeCode == TypeCreditNote }

// HoursItem is what the OF attested for one period (one month, usually):
// the input of a line.
type HoursItem struct {
	Label        string
	Period       calendar.Range
	QuarterHours int64
}

// CapReason is the reason text of the allowance that brings the invoice down
// to the AIF amount of the quote.
const CapReason = "Plafonnement au montant de l'AIF accordée"

// LineAmount is the net amount of quarterHours at rateCents an hour, rounded
// half up to the cent: (qh × rate + 2) div 4.
func LineAmount(quarterHours, rateCents int64) int64 {
	return (quarterHours*rateCents + 2) / 4
}

// PrepareLines builds the lines of an invoice from attested hours, and the
// allowance that caps them by the AIF amount.
//
// The rule: one line per period, its amount = attested hours × hourly rate
// of the quote, rounded half up to the cent (LineAmount). When the sum of
// the lines exceeds the AIF amount of the quote (capCents > 0), the invoice
// carries one document-level allowance (BG-20, category E) of the
// difference, with the reason CapReason and the quote number, so that the
// total excluding tax is exactly the AIF amount: the lines keep stating what
// was attested, and France Travail never pays more than it granted.
// capCents ≤ 0 means no cap.
func PrepareLines(items []HoursItem, rateCents, capCents int64, quote string) ([]Line, []Allowance) {
	lines := make([]Line, 0, len(items))
	var sum int64
	for i, it := range items {
		l := Line{
			ID:           strconv.Itoa(i + 1),
			Name:         it.Label,
			Period:       it.Period,
			QuarterHours: it.QuarterHours,
			RateCents:    rateCents,
			NetCents:     LineAmount(it.QuarterHours, rateCents),
			Category:     CategoryExempt,
		}
		sum += l.NetCents
		lines = append(lines, l)
	}
	var allowances []Allowance
	if capCents > 0 && sum > capCents {
		reason := CapReason
		if quote != "" {
			reason += " (devis " + quote + ")"
		}
		allowances = append(allowances, Allowance{AmountCents: sum - capCents, Reason: reason, Category: CategoryExempt})
	}
	return lines, allowances
}

// Compute fills the VAT breakdown and the totals from the lines and the
// allowances, for the exempt category E (the only one an OF uses with France
// Travail): one breakdown, rate 0, tax 0, with the exemption reason.
func (inv *Invoice) Compute() {
	var t Totals
	for _, l := range inv.Lines {
		t.LineTotal += l.NetCents
	}
	for _, a := range inv.Allowances {
		t.AllowanceTotal += a.AmountCents
	}
	t.TaxBasis = t.LineTotal - t.AllowanceTotal + t.ChargeTotal
	inv.VAT = []VATBreakdown{{
		Category: CategoryExempt, BasisCents: t.TaxBasis, TaxCents: 0,
		Reason: ExemptionReason, ReasonCode: ExemptionReasonCode,
	}}
	t.TaxTotal = 0
	t.GrandTotal = t.TaxBasis + t.TaxTotal
	t.Prepaid = inv.Totals.Prepaid
	t.Rounding = inv.Totals.Rounding
	t.DuePayable = t.GrandTotal - t.Prepaid + t.Rounding
	inv.Totals = t
}

// CreditNote returns the credit note (381) that cancels inv entirely: same
// parties, lines and amounts, referring to inv (BT-25, BT-26), without
// payment instructions (nothing is to be paid by France Travail).
func CreditNote(inv *Invoice, number string, issued calendar.Date) *Invoice {
	cn := *inv
	cn.Number = number
	cn.TypeCode = TypeCreditNote
	cn.IssueDate = issued
	cn.DueDate = 0
	cn.PaymentTerms = "Avoir annulant la facture " + inv.Number + " du " + inv.IssueDate.French() + " : aucun paiement n'est dû."
	cn.PrecedingNumber = inv.Number
	cn.PrecedingDate = inv.IssueDate
	cn.IBAN, cn.BIC, cn.AccountName = "", "", ""
	cn.Lines = append([]Line(nil), inv.Lines...)
	cn.Allowances = append([]Allowance(nil), inv.Allowances...)
	cn.Notes = append([]Note(nil), inv.Notes...)
	cn.Totals = Totals{}
	cn.Compute()
	return &cn
}

// FormatAmount writes cents as a decimal with a point and 2 decimals
// ("1234.56", "-0.05"), as CII wants them.
func FormatAmount(cents int64) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	s := strconv.FormatInt(cents/100, 10) + "." + twoDigits(cents%100)
	if neg {
		return "-" + s
	}
	return s
}

// FormatEuros writes cents the French way: "1 234,56 €".
func FormatEuros(cents int64) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	units := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, c := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(c)
	}
	s := b.String() + "," + twoDigits(cents%100) + "\u00a0€"
	if neg {
		return "−" + s
	}
	return s
}

// FormatHours writes quarter hours as hours with 2 decimals ("12.25").
func FormatHours(qh int64) string { return FormatAmount(qh * 25) }

// FormatHoursFrench writes quarter hours as French hours ("12,25 h").
func FormatHoursFrench(qh int64) string {
	return strings.Replace(FormatHours(qh), ".", ",", 1) + "\u00a0h"
}

// FormatPercent writes hundredths of a percent with 2 decimals ("0.00", "20.00").
func FormatPercent(p int64) string { return FormatAmount(p) }

func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}
