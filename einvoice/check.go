package einvoice

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"kairos"
)

// Violation is one broken rule: its identifier in EN 16931 (BR-CO-15…) or
// in the Chorus Pro rules (CPRO-…), and what to fix, in French.
type Violation struct {
	Rule    string
	Message string
}

func (v Violation) String() string { return v.Rule + " : " + v.Message }

// Check applies, before an invoice is issued, the EN 16931 rules that an
// XSD cannot see — the presence rules an OF's invoice depends on, the
// calculation rules BR-CO-10…BR-CO-16, the exempt-category rules BR-E-01…
// BR-E-10 — and the Chorus Pro constraints on references. It returns every
// violation found, in a stable order; none means the invoice may be issued.
func Check(inv *Invoice) []Violation {
	var vs []Violation
	add := func(rule, msg string) { vs = append(vs, Violation{rule, msg}) }
	eur := FormatEuros

	// Presence rules (BR-01…BR-16, BR-49/50/61) and Chorus Pro's.
	if inv.Number == "" {
		add("BR-02", "le numéro de la facture (BT-1) est obligatoire.")
	} else if !validNumber(inv.Number) {
		add("CPRO-NUMERO", "le numéro de la facture (BT-1) compte au plus 20 caractères, lettres, chiffres et - _ / + (Chorus Pro).")
	}
	if inv.IssueDate.IsZero() {
		add("BR-03", "la date d'émission (BT-2) est obligatoire.")
	}
	if inv.TypeCode != TypeInvoice && inv.TypeCode != TypeCreditNote {
		add("BR-04", "le type de document (BT-3) est 380 (facture) ou 381 (avoir).")
	}
	if inv.Seller.Name == "" {
		add("BR-06", "la raison sociale du vendeur (BT-27) est obligatoire.")
	}
	if inv.Buyer.Name == "" {
		add("BR-07", "le nom de l'acheteur (BT-44) est obligatoire.")
	}
	if inv.Seller.Address.Country == "" {
		add("BR-09", "le pays de l'adresse du vendeur (BT-40) est obligatoire.")
	}
	if inv.Buyer.Address.Country == "" {
		add("BR-11", "le pays de l'adresse de l'acheteur (BT-55) est obligatoire.")
	}
	if inv.Seller.SIRET == "" {
		add("CPRO-SIRET-VENDEUR", "le SIRET de l'organisme (BT-30) est obligatoire pour Chorus Pro.")
	}
	if inv.Buyer.SIRET == "" {
		add("CPRO-SIRET-ACHETEUR", "le SIRET de France Travail (BT-47) est obligatoire : c'est la clé d'acheminement de Chorus Pro.")
	}
	if inv.BuyerReference == "" {
		add("CPRO-SERVICE", "le code service exécutant de France Travail (BT-10) est obligatoire.")
	} else if utf8.RuneCountInString(inv.BuyerReference) > 100 {
		add("CPRO-SERVICE", "le code service exécutant (BT-10) compte au plus 100 caractères.")
	}
	if inv.OrderReference == "" {
		add("CPRO-ENGAGEMENT", "le numéro du devis AIF (BT-13, engagement) est obligatoire.")
	} else if utf8.RuneCountInString(inv.OrderReference) > 50 {
		add("CPRO-ENGAGEMENT", "le numéro d'engagement (BT-13) compte au plus 50 caractères.")
	}
	if len(inv.Lines) == 0 {
		add("BR-16", "la facture doit comporter au moins une ligne.")
	}
	if inv.IsCreditNote() {
		if inv.PrecedingNumber == "" {
			add("CPRO-AVOIR", "un avoir indique la facture qu'il annule (BT-25).")
		}
	} else {
		if inv.IBAN == "" {
			add("BR-61", "l'IBAN du compte à créditer (BT-84) est obligatoire pour un virement : saisissez-le dans « Mon organisme ».")
		} else if msg := CheckIBAN(inv.IBAN); msg != "" {
			add("BR-61", "IBAN (BT-84) : "+msg)
		}
		if inv.BIC != "" {
			if msg := CheckBIC(inv.BIC); msg != "" {
				add("BT-86", "BIC : "+msg)
			}
		}
	}
	if inv.Totals.DuePayable > 0 && inv.DueDate.IsZero() && inv.PaymentTerms == "" {
		add("BR-CO-25", "un montant à payer positif exige une date d'échéance (BT-9) ou des conditions de paiement (BT-20).")
	}
	if !inv.DueDate.IsZero() && !inv.IssueDate.IsZero() && inv.DueDate.Before(inv.IssueDate) {
		add("ECHEANCE", "la date d'échéance (BT-9) ne peut pas précéder la date d'émission.")
	}

	// Lines: BR-21…BR-26 and their category.
	var sumLines, sumE int64
	hasE := false
	for i, l := range inv.Lines {
		where := "ligne " + itoa(i+1)
		if l.ID == "" {
			add("BR-21", where+" : l'identifiant de ligne (BT-126) est obligatoire.")
		}
		if l.Name == "" {
			add("BR-25", where+" : le libellé (BT-153) est obligatoire.")
		}
		if l.QuarterHours <= 0 && !inv.IsCreditNote() {
			add("BR-22", where+" : la quantité d'heures (BT-129) doit être positive.")
		}
		if l.RateCents < 0 {
			add("BR-27", where+" : le prix net (BT-146) ne peut pas être négatif.")
		}
		if l.Category == "" {
			add("BR-CO-04", where+" : la catégorie de TVA (BT-151) est obligatoire.")
		}
		if want := LineAmount(l.QuarterHours, l.RateCents); l.NetCents != want {
			add("LIGNE-MONTANT", where+" : le montant net ("+eur(l.NetCents)+") doit être égal aux heures × taux horaire, arrondi au centime ("+eur(want)+").")
		}
		sumLines += l.NetCents
		if l.Category == CategoryExempt {
			hasE = true
			sumE += l.NetCents
			if l.RatePercent != 0 {
				add("BR-E-05", where+" : une ligne exonérée (catégorie E) a un taux de TVA de 0 %.")
			}
		}
	}

	// Document-level allowances: BR-31…BR-33 and BR-E-06.
	var sumAllow, sumAllowE int64
	for i, a := range inv.Allowances {
		where := "remise " + itoa(i+1)
		if a.AmountCents <= 0 {
			add("BR-31", where+" : le montant de la remise (BT-92) doit être positif.")
		}
		if a.Category == "" {
			add("BR-32", where+" : la catégorie de TVA de la remise (BT-95) est obligatoire.")
		}
		if a.Reason == "" && a.ReasonCode == "" {
			add("BR-33", where+" : le motif de la remise (BT-97 ou BT-98) est obligatoire.")
		}
		sumAllow += a.AmountCents
		if a.Category == CategoryExempt {
			hasE = true
			sumAllowE += a.AmountCents
			if a.RatePercent != 0 {
				add("BR-E-06", where+" : une remise exonérée (catégorie E) a un taux de TVA de 0 %.")
			}
		}
	}

	t := inv.Totals
	if sumLines != t.LineTotal {
		add("BR-CO-10", "le total des lignes (BT-106 : "+eur(t.LineTotal)+") doit être la somme des montants nets des lignes ("+eur(sumLines)+").")
	}
	if sumAllow != t.AllowanceTotal {
		add("BR-CO-11", "le total des remises (BT-107 : "+eur(t.AllowanceTotal)+") doit être la somme des remises ("+eur(sumAllow)+").")
	}
	if t.ChargeTotal != 0 {
		add("BR-CO-12", "le total des frais (BT-108 : "+eur(t.ChargeTotal)+") doit être la somme des frais du document (aucun : 0,00 €).")
	}
	if want := t.LineTotal - t.AllowanceTotal + t.ChargeTotal; t.TaxBasis != want {
		add("BR-CO-13", "le total hors taxes (BT-109 : "+eur(t.TaxBasis)+") doit être le total des lignes moins les remises plus les frais ("+eur(want)+").")
	}
	var sumTax int64
	for _, b := range inv.VAT {
		sumTax += b.TaxCents
	}
	if t.TaxTotal != sumTax {
		add("BR-CO-14", "le total de la TVA (BT-110 : "+eur(t.TaxTotal)+") doit être la somme des montants de TVA par catégorie ("+eur(sumTax)+").")
	}
	if want := t.TaxBasis + t.TaxTotal; t.GrandTotal != want {
		add("BR-CO-15", "le total TTC (BT-112 : "+eur(t.GrandTotal)+") doit être le total hors taxes plus la TVA ("+eur(want)+").")
	}
	if want := t.GrandTotal - t.Prepaid + t.Rounding; t.DuePayable != want {
		add("BR-CO-16", "le montant à payer (BT-115 : "+eur(t.DuePayable)+") doit être le total TTC moins les acomptes plus l'arrondi ("+eur(want)+").")
	}

	// VAT breakdown: BR-CO-17/18 and BR-E-*.
	if len(inv.VAT) == 0 {
		add("BR-CO-18", "la facture doit comporter au moins une ventilation de TVA (BG-23).")
	}
	nE := 0
	for i, b := range inv.VAT {
		where := "ventilation de TVA " + itoa(i+1)
		if b.Category != CategoryExempt {
			add("TVA-CATEGORIE", where+" : la formation professionnelle continue est exonérée (catégorie E) ; la catégorie "+b.Category+" n'est pas admise.")
			continue
		}
		nE++
		if want := sumE - sumAllowE; b.BasisCents != want {
			add("BR-E-08", where+" : la base exonérée (BT-116 : "+eur(b.BasisCents)+") doit être la somme des lignes exonérées moins les remises exonérées ("+eur(want)+").")
		}
		if b.TaxCents != 0 {
			add("BR-E-09", where+" : le montant de TVA d'une catégorie exonérée (BT-117) est 0,00 €.")
		}
		if b.RatePercent != 0 {
			add("BR-E-05", where+" : le taux de TVA d'une catégorie exonérée (BT-119) est 0 %.")
		}
		if b.Reason == "" && b.ReasonCode == "" {
			add("BR-E-10", where+" : le motif d'exonération (BT-120 ou BT-121) est obligatoire : « "+ExemptionReason+" », "+ExemptionReasonCode+".")
		}
	}
	if hasE && nE != 1 {
		add("BR-E-01", "une facture exonérée comporte exactement une ventilation de TVA de catégorie E ("+itoa(nE)+" trouvée(s)).")
	}
	if hasE && inv.Seller.VATID == "" && inv.Seller.TaxRegistrationID == "" {
		add("BR-E-02", "une facture exonérée indique le numéro de TVA intracommunautaire du vendeur (BT-31) ou son identifiant fiscal (BT-32) : saisissez-le dans « Mon organisme ».")
	}
	if inv.Seller.VATID != "" && strings.HasPrefix(NormalizeVATID(inv.Seller.VATID), "FR") {
		if msg := CheckFrenchVATID(inv.Seller.VATID, inv.Seller.SIRET); msg != "" {
			add("BT-31", "numéro de TVA du vendeur : "+msg)
		}
	}
	return vs
}

// CheckError returns nil when inv passes Check, otherwise an EInvalid
// *kairos.Error listing every violation.
func CheckError(inv *Invoice) error {
	vs := Check(inv)
	if len(vs) == 0 {
		return nil
	}
	msgs := make([]string, len(vs))
	fields := make(map[string]string, len(vs))
	for i, v := range vs {
		msgs[i] = v.String()
		if _, ok := fields[v.Rule]; !ok {
			fields[v.Rule] = v.Message
		}
	}
	return &kairos.Error{Code: kairos.EInvalid, Message: "La facture ne respecte pas la norme EN 16931 : " + strings.Join(msgs, " ; "), Fields: fields}
}

// validNumber is Chorus Pro's rule for an invoice number: 1 to 20 of
// A–Z a–z 0–9 - _ / +.
func validNumber(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-_/+", c)) {
			return false
		}
	}
	return true
}

func itoa(i int) string { return strconv.Itoa(i) }
