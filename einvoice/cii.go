package einvoice

import (
	"bytes"
	"encoding/xml"
	"strings"

	"kairos/calendar"
)

// CII namespaces (UN/CEFACT Cross Industry Invoice D16B, the syntax of
// Factur-X).
const (
	nsRSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
	nsRAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
	nsQDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
	nsUDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
)

// XML returns the CII D16B XML of inv (Factur-X profile EN 16931). Elements
// follow the XSD sequences of both CII D16B and Factur-X 1.09 EN 16931; the
// output is deterministic (the same invoice gives the same bytes).
func XML(inv *Invoice) []byte {
	w := &xw{}
	w.b.Grow(8192)
	w.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.b.WriteString(`<rsm:CrossIndustryInvoice xmlns:rsm="` + nsRSM + `" xmlns:ram="` + nsRAM + `" xmlns:qdt="` + nsQDT + `" xmlns:udt="` + nsUDT + `">` + "\n")

	w.open("rsm:ExchangedDocumentContext")
	w.open("ram:BusinessProcessSpecifiedDocumentContextParameter")
	w.leaf("ram:ID", CadreA1)
	w.close("ram:BusinessProcessSpecifiedDocumentContextParameter")
	w.open("ram:GuidelineSpecifiedDocumentContextParameter")
	w.leaf("ram:ID", Guideline)
	w.close("ram:GuidelineSpecifiedDocumentContextParameter")
	w.close("rsm:ExchangedDocumentContext")

	w.open("rsm:ExchangedDocument")
	w.leaf("ram:ID", inv.Number)
	w.leaf("ram:TypeCode", inv.TypeCode)
	w.open("ram:IssueDateTime")
	w.date("udt", inv.IssueDate)
	w.close("ram:IssueDateTime")
	for _, n := range inv.Notes {
		w.open("ram:IncludedNote")
		w.leaf("ram:Content", n.Content)
		w.optLeaf("ram:SubjectCode", n.Subject)
		w.close("ram:IncludedNote")
	}
	w.close("rsm:ExchangedDocument")

	w.open("rsm:SupplyChainTradeTransaction")
	for _, l := range inv.Lines {
		w.line(&l)
	}

	w.open("ram:ApplicableHeaderTradeAgreement")
	w.optLeaf("ram:BuyerReference", inv.BuyerReference)
	w.party("ram:SellerTradeParty", &inv.Seller, true)
	w.party("ram:BuyerTradeParty", &inv.Buyer, false)
	if inv.OrderReference != "" {
		w.open("ram:BuyerOrderReferencedDocument")
		w.leaf("ram:IssuerAssignedID", inv.OrderReference)
		w.close("ram:BuyerOrderReferencedDocument")
	}
	if inv.ContractReference != "" {
		w.open("ram:ContractReferencedDocument")
		w.leaf("ram:IssuerAssignedID", inv.ContractReference)
		w.close("ram:ContractReferencedDocument")
	}
	w.close("ram:ApplicableHeaderTradeAgreement")

	w.empty("ram:ApplicableHeaderTradeDelivery")

	w.open("ram:ApplicableHeaderTradeSettlement")
	w.leaf("ram:InvoiceCurrencyCode", Currency)
	if inv.IBAN != "" {
		w.open("ram:SpecifiedTradeSettlementPaymentMeans")
		w.leaf("ram:TypeCode", PaymentCreditTransfer)
		w.leaf("ram:Information", "Virement")
		w.open("ram:PayeePartyCreditorFinancialAccount")
		w.leaf("ram:IBANID", NormalizeIBAN(inv.IBAN))
		w.optLeaf("ram:AccountName", inv.AccountName)
		w.close("ram:PayeePartyCreditorFinancialAccount")
		if inv.BIC != "" {
			w.open("ram:PayeeSpecifiedCreditorFinancialInstitution")
			w.leaf("ram:BICID", NormalizeBIC(inv.BIC))
			w.close("ram:PayeeSpecifiedCreditorFinancialInstitution")
		}
		w.close("ram:SpecifiedTradeSettlementPaymentMeans")
	}
	for _, b := range inv.VAT {
		w.open("ram:ApplicableTradeTax")
		w.leaf("ram:CalculatedAmount", FormatAmount(b.TaxCents))
		w.leaf("ram:TypeCode", "VAT")
		w.optLeaf("ram:ExemptionReason", b.Reason)
		w.leaf("ram:BasisAmount", FormatAmount(b.BasisCents))
		w.leaf("ram:CategoryCode", b.Category)
		w.optLeaf("ram:ExemptionReasonCode", b.ReasonCode)
		w.leaf("ram:RateApplicablePercent", FormatPercent(b.RatePercent))
		w.close("ram:ApplicableTradeTax")
	}
	for _, a := range inv.Allowances {
		w.open("ram:SpecifiedTradeAllowanceCharge")
		w.open("ram:ChargeIndicator")
		w.leaf("udt:Indicator", "false")
		w.close("ram:ChargeIndicator")
		w.leaf("ram:ActualAmount", FormatAmount(a.AmountCents))
		w.optLeaf("ram:ReasonCode", a.ReasonCode)
		w.optLeaf("ram:Reason", a.Reason)
		w.open("ram:CategoryTradeTax")
		w.leaf("ram:TypeCode", "VAT")
		w.leaf("ram:CategoryCode", a.Category)
		w.leaf("ram:RateApplicablePercent", FormatPercent(a.RatePercent))
		w.close("ram:CategoryTradeTax")
		w.close("ram:SpecifiedTradeAllowanceCharge")
	}
	if inv.PaymentTerms != "" || !inv.DueDate.IsZero() {
		w.open("ram:SpecifiedTradePaymentTerms")
		w.optLeaf("ram:Description", inv.PaymentTerms)
		if !inv.DueDate.IsZero() {
			w.open("ram:DueDateDateTime")
			w.date("udt", inv.DueDate)
			w.close("ram:DueDateDateTime")
		}
		w.close("ram:SpecifiedTradePaymentTerms")
	}
	t := inv.Totals
	w.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
	w.leaf("ram:LineTotalAmount", FormatAmount(t.LineTotal))
	if len(inv.Allowances) > 0 || t.ChargeTotal != 0 {
		w.leaf("ram:ChargeTotalAmount", FormatAmount(t.ChargeTotal))
	}
	if len(inv.Allowances) > 0 || t.AllowanceTotal != 0 {
		w.leaf("ram:AllowanceTotalAmount", FormatAmount(t.AllowanceTotal))
	}
	w.leaf("ram:TaxBasisTotalAmount", FormatAmount(t.TaxBasis))
	w.b.WriteString(`<ram:TaxTotalAmount currencyID="` + Currency + `">` + FormatAmount(t.TaxTotal) + "</ram:TaxTotalAmount>\n")
	if t.Rounding != 0 {
		w.leaf("ram:RoundingAmount", FormatAmount(t.Rounding))
	}
	w.leaf("ram:GrandTotalAmount", FormatAmount(t.GrandTotal))
	if t.Prepaid != 0 {
		w.leaf("ram:TotalPrepaidAmount", FormatAmount(t.Prepaid))
	}
	w.leaf("ram:DuePayableAmount", FormatAmount(t.DuePayable))
	w.close("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
	if inv.PrecedingNumber != "" {
		w.open("ram:InvoiceReferencedDocument")
		w.leaf("ram:IssuerAssignedID", inv.PrecedingNumber)
		if !inv.PrecedingDate.IsZero() {
			w.open("ram:FormattedIssueDateTime")
			w.date("qdt", inv.PrecedingDate)
			w.close("ram:FormattedIssueDateTime")
		}
		w.close("ram:InvoiceReferencedDocument")
	}
	w.close("ram:ApplicableHeaderTradeSettlement")
	w.close("rsm:SupplyChainTradeTransaction")
	w.b.WriteString("</rsm:CrossIndustryInvoice>\n")
	return w.b.Bytes()
}

func (w *xw) line(l *Line) {
	w.open("ram:IncludedSupplyChainTradeLineItem")
	w.open("ram:AssociatedDocumentLineDocument")
	w.leaf("ram:LineID", l.ID)
	w.close("ram:AssociatedDocumentLineDocument")
	w.open("ram:SpecifiedTradeProduct")
	w.leaf("ram:Name", l.Name)
	w.optLeaf("ram:Description", l.Description)
	w.close("ram:SpecifiedTradeProduct")
	w.open("ram:SpecifiedLineTradeAgreement")
	w.open("ram:NetPriceProductTradePrice")
	w.leaf("ram:ChargeAmount", FormatAmount(l.RateCents))
	w.close("ram:NetPriceProductTradePrice")
	w.close("ram:SpecifiedLineTradeAgreement")
	w.open("ram:SpecifiedLineTradeDelivery")
	w.b.WriteString(`<ram:BilledQuantity unitCode="` + UnitHour + `">` + FormatHours(l.QuarterHours) + "</ram:BilledQuantity>\n")
	w.close("ram:SpecifiedLineTradeDelivery")
	w.open("ram:SpecifiedLineTradeSettlement")
	w.open("ram:ApplicableTradeTax")
	w.leaf("ram:TypeCode", "VAT")
	w.leaf("ram:CategoryCode", l.Category)
	w.leaf("ram:RateApplicablePercent", FormatPercent(l.RatePercent))
	w.close("ram:ApplicableTradeTax")
	if !l.Period.IsEmpty() {
		w.open("ram:BillingSpecifiedPeriod")
		w.open("ram:StartDateTime")
		w.date("udt", l.Period.From)
		w.close("ram:StartDateTime")
		w.open("ram:EndDateTime")
		w.date("udt", l.Period.To)
		w.close("ram:EndDateTime")
		w.close("ram:BillingSpecifiedPeriod")
	}
	w.open("ram:SpecifiedTradeSettlementLineMonetarySummation")
	w.leaf("ram:LineTotalAmount", FormatAmount(l.NetCents))
	w.close("ram:SpecifiedTradeSettlementLineMonetarySummation")
	w.close("ram:SpecifiedLineTradeSettlement")
	w.close("ram:IncludedSupplyChainTradeLineItem")
}

func (w *xw) party(tag string, p *Party, seller bool) {
	w.open(tag)
	w.leaf("ram:Name", p.Name)
	if seller && p.NDA != "" {
		// BT-33, seller additional legal information: the OF's declaration of activity.
		w.leaf("ram:Description", "Déclaration d'activité enregistrée sous le numéro "+p.NDA+" (cet enregistrement ne vaut pas agrément de l'État)")
	}
	if p.SIRET != "" {
		w.open("ram:SpecifiedLegalOrganization")
		w.b.WriteString(`<ram:ID schemeID="` + SchemeSIRET + `">`)
		xml.EscapeText(&w.b, []byte(p.SIRET))
		w.b.WriteString("</ram:ID>\n")
		w.close("ram:SpecifiedLegalOrganization")
	}
	w.open("ram:PostalTradeAddress")
	a := p.Address
	w.optLeaf("ram:PostcodeCode", a.PostalCode)
	w.optLeaf("ram:LineOne", a.Line1)
	w.optLeaf("ram:LineTwo", a.Line2)
	w.optLeaf("ram:CityName", a.City)
	w.leaf("ram:CountryID", a.Country)
	w.close("ram:PostalTradeAddress")
	if p.Email != "" {
		w.open("ram:URIUniversalCommunication")
		w.b.WriteString(`<ram:URIID schemeID="EM">`)
		xml.EscapeText(&w.b, []byte(p.Email))
		w.b.WriteString("</ram:URIID>\n")
		w.close("ram:URIUniversalCommunication")
	}
	if p.VATID != "" {
		w.taxRegistration("VA", NormalizeVATID(p.VATID))
	}
	if p.TaxRegistrationID != "" {
		w.taxRegistration("FC", p.TaxRegistrationID)
	}
	w.close(tag)
}

func (w *xw) taxRegistration(scheme, id string) {
	w.open("ram:SpecifiedTaxRegistration")
	w.b.WriteString(`<ram:ID schemeID="` + scheme + `">`)
	xml.EscapeText(&w.b, []byte(id))
	w.b.WriteString("</ram:ID>\n")
	w.close("ram:SpecifiedTaxRegistration")
}

// xw writes indented-free XML, one element per line.
type xw struct{ b bytes.Buffer }

func (w *xw) open(tag string)  { w.b.WriteString("<" + tag + ">\n") }
func (w *xw) close(tag string) { w.b.WriteString("</" + tag + ">\n") }
func (w *xw) empty(tag string) { w.b.WriteString("<" + tag + "/>\n") }

func (w *xw) leaf(tag, text string) {
	w.b.WriteString("<" + tag + ">")
	xml.EscapeText(&w.b, []byte(cleanText(text)))
	w.b.WriteString("</" + tag + ">\n")
}

func (w *xw) optLeaf(tag, text string) {
	if text != "" {
		w.leaf(tag, text)
	}
}

// date writes a date in format 102 (YYYYMMDD) with the given prefix (udt or qdt).
func (w *xw) date(prefix string, d calendar.Date) {
	y, m, day := d.Date()
	s := itoa4(y) + twoDigits(int64(m)) + twoDigits(int64(day))
	w.b.WriteString("<" + prefix + `:DateTimeString format="102">` + s + "</" + prefix + ":DateTimeString>\n")
}

func itoa4(y int) string {
	s := itoa(y)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

// cleanText drops characters XML 1.0 cannot carry and folds line breaks
// and tabs into spaces: every CII text element is a single line.
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return -1
		}
		return r
	}, s)
}
