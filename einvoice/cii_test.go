package einvoice

import (
	"bytes"
	"encoding/xml"
	"slices"
	"strings"
	"testing"
	"time"

	"kairos"
	"kairos/calendar"
	"kairos/einvoice/einvoicetest"
)

// validCases are invoices that must pass Check, both schemas and the
// EN 16931 rules with no fatal failure.
func validCases() map[string]*Invoice {
	capped := sample()
	capped.Lines, capped.Allowances = PrepareLines([]HoursItem{
		{Label: "Formation — mars 2026", QuarterHours: 4 * 150},
		{Label: "Formation — avril 2026", QuarterHours: 4 * 140},
	}, 1500, 320000, "DEV-2026-000042")
	capped.Compute()

	exempt := sample() // no VAT number: the tax registration id stands in (BR-E-02)
	exempt.Seller.VATID = ""
	exempt.Seller.TaxRegistrationID = "1234567890123"
	exempt.Compute()

	thirds := roundingThirds()

	special := sample()
	special.Seller.Name = `L'Atelier "Compétences" & Cie <SCOP>`
	special.Lines[0].Name = "Module 1 : bases — été/hiver ; « guillemets » & <balises>\nsur deux lignes\x01\x1b ]]> \uFFFE fin"
	special.Buyer.Address.Line2 = "Direction régionale Île-de-France, Bâtiment A"

	long := sample()
	var items []HoursItem
	for i := range 40 {
		items = append(items, HoursItem{Label: "Formation longue — stagiaire " + itoa(i+1), QuarterHours: int64(4*20 + i%4)})
	}
	long.Lines, long.Allowances = PrepareLines(items, 1875, 0, long.OrderReference)
	long.Compute()

	prepaid := sample()
	prepaid.Totals.Prepaid = 50000
	prepaid.Compute()

	return map[string]*Invoice{
		"sample":  sample(),
		"credit":  CreditNote(sample(), "AV-2026-00001", calendar.NewDate(2026, time.June, 10)),
		"capped":  capped,
		"exempt":  exempt,
		"thirds":  thirds,
		"special": special,
		"long":    long,
		"prepaid": prepaid,
	}
}

// roundingThirds has 3 lines of 1/4 h at 33,33 €/h (a third of 100 € an
// hour): each line is 8,3325 € rounded to 8,33 €, and the totals are the sum
// of the rounded lines (24,99 €), never the rounded sum of exact amounts.
func roundingThirds() *Invoice {
	inv := sample()
	inv.Lines, inv.Allowances = PrepareLines([]HoursItem{
		{Label: "Tiers 1", QuarterHours: 1}, {Label: "Tiers 2", QuarterHours: 1}, {Label: "Tiers 3", QuarterHours: 1},
	}, 3333, 0, inv.OrderReference)
	inv.Compute()
	return inv
}

// brokenCases are invoices with one wrong total or VAT field: Check must
// name the rule, and so must the official EN 16931 rules (as fatal).
func brokenCases() map[string]struct {
	inv  *Invoice
	rule string
} {
	mut := func(base *Invoice, f func(*Invoice)) *Invoice { f(base); return base }
	capped := func() *Invoice { return validCases()["capped"] }
	return map[string]struct {
		inv  *Invoice
		rule string
	}{
		"br-co-10": {mut(sample(), func(i *Invoice) { i.Totals.LineTotal++ }), "BR-CO-10"},
		"br-co-11": {mut(capped(), func(i *Invoice) { i.Totals.AllowanceTotal++ }), "BR-CO-11"},
		"br-co-12": {mut(capped(), func(i *Invoice) { i.Totals.ChargeTotal = 500 }), "BR-CO-12"},
		"br-co-13": {mut(sample(), func(i *Invoice) { i.Totals.TaxBasis -= 100 }), "BR-CO-13"},
		"br-co-14": {mut(sample(), func(i *Invoice) { i.Totals.TaxTotal = 720 }), "BR-CO-14"},
		"br-co-15": {mut(sample(), func(i *Invoice) { i.Totals.GrandTotal += 1 }), "BR-CO-15"},
		"br-co-16": {mut(sample(), func(i *Invoice) { i.Totals.DuePayable -= 1 }), "BR-CO-16"},
		"br-e-01": {mut(sample(), func(i *Invoice) {
			i.VAT = append(i.VAT, VATBreakdown{Category: CategoryExempt, Reason: ExemptionReason, ReasonCode: ExemptionReasonCode})
		}), "BR-E-01"},
		"br-e-02": {mut(sample(), func(i *Invoice) { i.Seller.VATID = "" }), "BR-E-02"},
		"br-e-05": {mut(sample(), func(i *Invoice) { i.Lines[1].RatePercent = 2000 }), "BR-E-05"},
		"br-e-06": {mut(capped(), func(i *Invoice) { i.Allowances[0].RatePercent = 550 }), "BR-E-06"},
		"br-e-08": {mut(sample(), func(i *Invoice) { i.VAT[0].BasisCents += 100 }), "BR-E-08"},
		"br-e-09": {mut(sample(), func(i *Invoice) { i.VAT[0].TaxCents = 100; i.Totals.TaxTotal = 100 }), "BR-E-09"},
		"br-e-10": {mut(sample(), func(i *Invoice) { i.VAT[0].Reason, i.VAT[0].ReasonCode = "", "" }), "BR-E-10"},
	}
}

func rules(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Rule)
	}
	return out
}

// TestInvoicesAgainstOfficialRules runs every generated XML (valid ones and
// broken ones) through xmllint with both schema sets and the EN 16931 XSLT
// (one Saxon run), and compares with the Go checks.
func TestInvoicesAgainstOfficialRules(t *testing.T) {
	docs := map[string][]byte{}
	valid := validCases()
	for name, inv := range valid {
		if vs := Check(inv); len(vs) != 0 {
			t.Errorf("%s: Check: %v", name, vs)
		}
		docs[name] = XML(inv)
	}
	broken := brokenCases()
	for name, c := range broken {
		if got := rules(Check(c.inv)); !slices.Contains(got, c.rule) {
			t.Errorf("%s: Check = %v, want %s", name, got, c.rule)
		}
		docs[name] = XML(c.inv)
	}
	reports := einvoicetest.Validate(t, docs)
	for name := range valid {
		r := reports[name]
		if !r.OK() {
			t.Errorf("%s: not valid:\n%s", name, r)
		}
		if len(r.Warnings) > 0 {
			t.Logf("%s: warnings:\n%s", name, r)
		}
	}
	for name, c := range broken {
		r := reports[name]
		if len(r.SchemaErrors) > 0 {
			t.Errorf("%s: schema errors: %v", name, r.SchemaErrors)
		}
		var ids []string
		for _, f := range r.Fatal {
			ids = append(ids, f.ID)
		}
		if !slices.Contains(ids, c.rule) {
			t.Errorf("%s: EN 16931 rules found %v, want %s fatal", name, ids, c.rule)
		}
	}
}

func TestCheckMessagesAreFrench(t *testing.T) {
	c := brokenCases()["br-co-15"]
	err := CheckError(c.inv)
	if kairos.ErrorCode(err) != kairos.EInvalid {
		t.Fatalf("CheckError = %v", err)
	}
	msg := kairos.ErrorMessage(err)
	for _, want := range []string{"BR-CO-15", "le total TTC (BT-112 : 3\u202f600,02\u00a0€)", "3\u202f600,01\u00a0€"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if CheckError(sample()) != nil {
		t.Error("valid invoice refused")
	}
	inv := sample()
	inv.IBAN = "FR76 3000 6000 0112 3456 7890 188"
	inv.Number = "FA 2026/0001 avec espaces trop long"
	got := rules(Check(inv))
	for _, want := range []string{"BR-61", "CPRO-NUMERO"} {
		if !slices.Contains(got, want) {
			t.Errorf("Check = %v, want %s", got, want)
		}
	}
	inv = sample()
	inv.Lines[0].NetCents++
	inv.Compute()
	if got := rules(Check(inv)); !slices.Equal(got, []string{"LIGNE-MONTANT"}) {
		t.Errorf("line amount ≠ hours × rate: Check = %v", got)
	}
}

func TestLineAmountAndCap(t *testing.T) {
	for _, c := range []struct{ qh, rate, want int64 }{
		{4, 1250, 1250}, {1, 1250, 313}, {3, 1250, 938}, {1, 3333, 833}, {2, 3333, 1667}, {4*98 + 3, 1250, 123438}, {0, 1250, 0},
	} {
		if got := LineAmount(c.qh, c.rate); got != c.want {
			t.Errorf("LineAmount(%d, %d) = %d, want %d", c.qh, c.rate, got, c.want)
		}
	}
	items := []HoursItem{{Label: "a", QuarterHours: 4 * 100}, {Label: "b", QuarterHours: 4 * 100}}
	lines, allow := PrepareLines(items, 1500, 0, "Q")
	if len(lines) != 2 || lines[0].NetCents != 150000 || len(allow) != 0 {
		t.Fatalf("no cap: %+v %+v", lines, allow)
	}
	if _, allow = PrepareLines(items, 1500, 300000, "Q"); len(allow) != 0 {
		t.Errorf("sum equal to the cap: allowance %+v", allow)
	}
	lines, allow = PrepareLines(items, 1500, 250000, "DEV-1")
	if len(allow) != 1 || allow[0].AmountCents != 50000 || allow[0].Category != CategoryExempt || !strings.Contains(allow[0].Reason, "DEV-1") {
		t.Fatalf("cap: %+v", allow)
	}
	inv := sample()
	inv.Lines, inv.Allowances = lines, allow
	inv.Compute()
	if inv.Totals.TaxBasis != 250000 || inv.Totals.DuePayable != 250000 || inv.VAT[0].BasisCents != 250000 {
		t.Errorf("capped totals: %+v %+v", inv.Totals, inv.VAT)
	}
}

func TestRoundingThreeLinesAtAThird(t *testing.T) {
	inv := roundingThirds()
	for _, l := range inv.Lines {
		if l.NetCents != 833 {
			t.Errorf("line %s = %d cents, want 833", l.ID, l.NetCents)
		}
	}
	if inv.Totals.LineTotal != 2499 || inv.Totals.DuePayable != 2499 {
		t.Errorf("totals %+v, want 24,99 € (sum of rounded lines)", inv.Totals)
	}
	if vs := Check(inv); len(vs) != 0 {
		t.Errorf("Check: %v", vs)
	}
	// Totals computed from the exact amounts (25,00 €) are caught.
	inv.Totals.LineTotal, inv.Totals.TaxBasis, inv.Totals.GrandTotal, inv.Totals.DuePayable = 2500, 2500, 2500, 2500
	if got := rules(Check(inv)); !slices.Contains(got, "BR-CO-10") {
		t.Errorf("Check = %v, want BR-CO-10", got)
	}
	// A third of the AIF amount per line: 3 × 33,34 € capped at 100,00 €.
	inv = sample()
	inv.Lines, inv.Allowances = PrepareLines([]HoursItem{{Label: "1", QuarterHours: 4}, {Label: "2", QuarterHours: 4}, {Label: "3", QuarterHours: 4}}, 3334, 10000, "Q")
	inv.Compute()
	if inv.Totals.LineTotal != 10002 || inv.Totals.AllowanceTotal != 2 || inv.Totals.DuePayable != 10000 {
		t.Errorf("capped thirds: %+v", inv.Totals)
	}
	if vs := Check(inv); len(vs) != 0 {
		t.Errorf("Check: %v", vs)
	}
}

func TestCreditNote(t *testing.T) {
	inv := sample()
	cn := CreditNote(inv, "AV-2026-00001", calendar.NewDate(2026, time.June, 10))
	if cn.TypeCode != TypeCreditNote || cn.PrecedingNumber != inv.Number || cn.IBAN != "" || cn.Totals != inv.Totals {
		t.Fatalf("credit note: %+v", cn)
	}
	if inv.TypeCode != TypeInvoice || inv.IBAN == "" {
		t.Fatal("CreditNote changed the invoice")
	}
	if vs := Check(cn); len(vs) != 0 {
		t.Fatalf("Check: %v", vs)
	}
	var doc struct {
		TypeCode string `xml:"ExchangedDocument>TypeCode"`
		Ref      string `xml:"SupplyChainTradeTransaction>ApplicableHeaderTradeSettlement>InvoiceReferencedDocument>IssuerAssignedID"`
		Means    []struct {
			TypeCode string `xml:"TypeCode"`
		} `xml:"SupplyChainTradeTransaction>ApplicableHeaderTradeSettlement>SpecifiedTradeSettlementPaymentMeans"`
		Terms string `xml:"SupplyChainTradeTransaction>ApplicableHeaderTradeSettlement>SpecifiedTradePaymentTerms>Description"`
	}
	if err := xml.Unmarshal(XML(cn), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.TypeCode != "381" || doc.Ref != inv.Number || len(doc.Means) != 0 || !strings.Contains(doc.Terms, "aucun paiement") {
		t.Errorf("credit note XML: %+v", doc)
	}
	cn.PrecedingNumber = ""
	if got := rules(Check(cn)); !slices.Contains(got, "CPRO-AVOIR") {
		t.Errorf("credit note without its invoice: %v", got)
	}
}

// TestXMLContent reads the generated XML back and checks the fields France
// Travail and Chorus Pro route and pay on.
func TestXMLContent(t *testing.T) {
	x := XML(sample())
	var doc struct {
		Process   string `xml:"ExchangedDocumentContext>BusinessProcessSpecifiedDocumentContextParameter>ID"`
		Guideline string `xml:"ExchangedDocumentContext>GuidelineSpecifiedDocumentContextParameter>ID"`
		Agreement struct {
			BuyerReference string `xml:"BuyerReference"`
			Seller         struct {
				Description string `xml:"Description"`
				Legal       struct {
					ID     string `xml:",chardata"`
					Scheme string `xml:"schemeID,attr"`
				} `xml:"SpecifiedLegalOrganization>ID"`
				VAT string `xml:"SpecifiedTaxRegistration>ID"`
			} `xml:"SellerTradeParty"`
			BuyerSIRET string `xml:"BuyerTradeParty>SpecifiedLegalOrganization>ID"`
			Order      string `xml:"BuyerOrderReferencedDocument>IssuerAssignedID"`
		} `xml:"SupplyChainTradeTransaction>ApplicableHeaderTradeAgreement"`
		Settlement struct {
			Means struct {
				TypeCode string `xml:"TypeCode"`
				IBAN     string `xml:"PayeePartyCreditorFinancialAccount>IBANID"`
				BIC      string `xml:"PayeeSpecifiedCreditorFinancialInstitution>BICID"`
			} `xml:"SpecifiedTradeSettlementPaymentMeans"`
			Tax struct {
				Reason   string `xml:"ExemptionReason"`
				Code     string `xml:"ExemptionReasonCode"`
				Category string `xml:"CategoryCode"`
			} `xml:"ApplicableTradeTax"`
			Due string `xml:"SpecifiedTradeSettlementHeaderMonetarySummation>DuePayableAmount"`
		} `xml:"SupplyChainTradeTransaction>ApplicableHeaderTradeSettlement"`
		Quantities []string `xml:"SupplyChainTradeTransaction>IncludedSupplyChainTradeLineItem>SpecifiedLineTradeDelivery>BilledQuantity"`
	}
	if err := xml.Unmarshal(x, &doc); err != nil {
		t.Fatal(err)
	}
	a, s := doc.Agreement, doc.Settlement
	checks := map[string][2]string{
		"BT-23":  {doc.Process, "A1"},
		"BT-24":  {doc.Guideline, "urn:cen.eu:en16931:2017"},
		"BT-10":  {a.BuyerReference, "FT-SERV-75-AIF"},
		"BT-13":  {a.Order, "DEV-2026-000042"},
		"BT-30":  {a.Seller.Legal.ID + "/" + a.Seller.Legal.Scheme, "73282932000074/0009"},
		"BT-31":  {a.Seller.VAT, "FR44732829320"},
		"BT-47":  {a.BuyerSIRET, "13000548100010"},
		"BT-81":  {s.Means.TypeCode, "30"},
		"BT-84":  {s.Means.IBAN, "FR7630006000011234567890189"},
		"BT-86":  {s.Means.BIC, "AGRIFRPP"},
		"BT-118": {s.Tax.Category, "E"},
		"BT-120": {s.Tax.Reason, "Exonération de TVA, article 261-4-4° a du CGI"},
		"BT-121": {s.Tax.Code, "VATEX-FR-CGI261-4"},
		"BT-115": {s.Due, "3600.01"},
		"BT-129": {strings.Join(doc.Quantities, " "), "105.00 98.75 84.25"},
	}
	for bt, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", bt, c[0], c[1])
		}
	}
	if !strings.Contains(a.Seller.Description, "11755012375") {
		t.Errorf("BT-33 lacks the NDA: %q", a.Seller.Description)
	}
	if !bytes.Equal(x, XML(sample())) {
		t.Error("XML is not deterministic")
	}
}

func TestFormat(t *testing.T) {
	for c, want := range map[int64]string{0: "0.00", 5: "0.05", 123456: "1234.56", -5: "-0.05", 100: "1.00"} {
		if got := FormatAmount(c); got != want {
			t.Errorf("FormatAmount(%d) = %q", c, got)
		}
	}
	if got := FormatEuros(123456789); got != "1\u202f234\u202f567,89\u00a0€" {
		t.Errorf("FormatEuros = %q", got)
	}
	if got := FormatHours(4*98 + 3); got != "98.75" {
		t.Errorf("FormatHours = %q", got)
	}
}
