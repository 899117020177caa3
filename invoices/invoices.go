// Package invoices is the invoicing capability of an OF towards France
// Travail (DOMAIN §10). This first part holds what needs no AIF quote: the
// OF's billing details (IBAN, BIC, account holder, VAT number), entered once
// on « Mon organisme » and checked (ISO 13616 key, ISO 9362, VAT key of the
// SIREN); the seller party of its invoices (einvoice.Party, from the
// adhesion and the billing details); and the invoice number sequences, one
// per OF, series and year, allocated inside the transaction that issues.
package invoices

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"kairos"
	"kairos/adhesion"
	"kairos/einvoice"
	"kairos/store"
)

// Service implements the capability over the store.
type Service struct {
	DB        *store.DB
	Adhesions *adhesion.Service // the seller's identity (raison sociale, SIRET, NDA, address)
	Clock     kairos.Clock      // nil: the database's clock (the process's one clock)
}

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock().UTC()
	}
	return s.DB.Now()
}

// BillingDetails are the OF's payment and tax details, printed on and
// carried by every invoice (BT-84, BT-85, BT-86, BT-31).
type BillingDetails struct {
	OrgID       int64     `json:"-"`
	IBAN        string    `json:"iban"`
	BIC         string    `json:"bic"`
	AccountName string    `json:"titulaire"`
	VATID       string    `json:"tva_intracommunautaire,omitempty"`
	UpdatedAt   time.Time `json:"updated_at"`
	UpdatedBy   string    `json:"updated_by"`
}

// IBANGroups returns the IBAN by groups of four, as printed.
func (b *BillingDetails) IBANGroups() string {
	s := b.IBAN
	var out []string
	for len(s) > 4 {
		out = append(out, s[:4])
		s = s[4:]
	}
	return strings.Join(append(out, s), " ")
}

// MaskedIBAN hides all but the country, key and last 4 characters (for the
// audit trail).
func MaskedIBAN(iban string) string {
	if len(iban) < 8 {
		return strings.Repeat("•", len(iban))
	}
	return iban[:4] + strings.Repeat("•", len(iban)-8) + iban[len(iban)-4:]
}

// BillingInput is what the OF's account manager submits.
type BillingInput struct {
	IBAN        string `json:"iban"`
	BIC         string `json:"bic"`
	AccountName string `json:"titulaire"`
	VATID       string `json:"tva_intracommunautaire"`
}

// Billing returns the billing details of org, or nil when none were entered.
func (s *Service) Billing(ctx context.Context, orgID int64) (*BillingDetails, error) {
	var b BillingDetails
	err := s.DB.QueryRow(ctx, "SELECT org_id, iban, bic, account_name, vat_id, updated_at, updated_by FROM billing_details WHERE org_id = ?", orgID).
		Scan(&b.OrgID, &b.IBAN, &b.BIC, &b.AccountName, &b.VATID, &b.UpdatedAt, &b.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b.UpdatedAt = b.UpdatedAt.UTC()
	return &b, nil
}

// SetBilling records the billing details of the actor's OF (its account
// manager only), after checking them; it replaces the previous ones, in one
// transaction with its audit record (IBAN masked).
func (s *Service) SetBilling(ctx context.Context, actor *kairos.Actor, in BillingInput) (*BillingDetails, error) {
	if actor == nil || actor.Role != kairos.RoleOFAdmin || actor.OrgID == 0 {
		return nil, kairos.Errorf(kairos.EForbidden, "Seul le responsable du compte de l'organisme peut saisir ses coordonnées de facturation.")
	}
	siret, err := s.orgSIRET(ctx, actor.OrgID)
	if err != nil {
		return nil, err
	}
	b, fields := checkBilling(in, siret)
	if len(fields) > 0 {
		return nil, kairos.Invalid(fields)
	}
	b.OrgID, b.UpdatedAt, b.UpdatedBy = actor.OrgID, s.now(), actor.Label()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		var before any
		var old BillingDetails
		err := tx.QueryRow(ctx, "SELECT iban, bic, account_name, vat_id FROM billing_details WHERE org_id = ?", b.OrgID).Scan(&old.IBAN, &old.BIC, &old.AccountName, &old.VATID)
		switch {
		case err == nil:
			before = auditView(&old)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO billing_details (org_id, iban, bic, account_name, vat_id, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET iban = excluded.iban, bic = excluded.bic, account_name = excluded.account_name,
			vat_id = excluded.vat_id, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			b.OrgID, b.IBAN, b.BIC, b.AccountName, b.VATID, b.UpdatedAt, b.UpdatedBy); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "organisation.billing_details", OrgID: b.OrgID, ObjectType: "organisation", ObjectID: b.OrgID,
			Before: before, After: auditView(b), At: b.UpdatedAt})
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

func auditView(b *BillingDetails) map[string]string {
	return map[string]string{"iban": MaskedIBAN(b.IBAN), "bic": b.BIC, "titulaire": b.AccountName, "tva_intracommunautaire": b.VATID}
}

// orgSIRET is the SIRET of the OF: its adhesion's, else the organisation's.
func (s *Service) orgSIRET(ctx context.Context, orgID int64) (string, error) {
	if s.Adhesions != nil {
		a, err := s.Adhesions.Current(ctx, orgID)
		if err != nil {
			return "", err
		}
		if a != nil {
			return a.SIRET, nil
		}
	}
	var siret string
	err := s.DB.QueryRow(ctx, "SELECT siret FROM organisations WHERE id = ? AND kind = ?", orgID, kairos.OrgOF).Scan(&siret)
	return siret, store.NotFoundIf(err, "Organisme")
}

// checkBilling validates and normalises the input; field names are those of
// the form (iban, bic, titulaire, tva).
func checkBilling(in BillingInput, siret string) (*BillingDetails, map[string]string) {
	fields := map[string]string{}
	b := &BillingDetails{
		IBAN:        einvoice.NormalizeIBAN(in.IBAN),
		BIC:         einvoice.NormalizeBIC(in.BIC),
		AccountName: strings.Join(strings.Fields(in.AccountName), " "),
		VATID:       einvoice.NormalizeVATID(in.VATID),
	}
	if len(in.IBAN) > 64 {
		fields["iban"] = "Un IBAN compte au plus 34 caractères."
	} else if msg := einvoice.CheckIBAN(b.IBAN); msg != "" {
		fields["iban"] = msg
	}
	if len(in.BIC) > 32 {
		fields["bic"] = "Un BIC compte 8 ou 11 caractères."
	} else if msg := einvoice.CheckBIC(b.BIC); msg != "" {
		fields["bic"] = msg
	}
	switch {
	case !validText(in.AccountName):
		fields["titulaire"] = "Le nom du titulaire contient des caractères non admis."
	case b.AccountName == "":
		fields["titulaire"] = "Saisissez le nom du titulaire du compte, tel qu'il figure sur le RIB."
	case utf8.RuneCountInString(b.AccountName) > 70:
		fields["titulaire"] = "Le nom du titulaire compte au plus 70 caractères."
	}
	if b.VATID != "" {
		if len(in.VATID) > 32 {
			fields["tva"] = "Un numéro de TVA français compte 13 caractères."
		} else if msg := einvoice.CheckFrenchVATID(b.VATID, siret); msg != "" {
			fields["tva"] = msg
		}
	}
	return b, fields
}

// validText refuses invalid UTF-8 and control characters.
func validText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' {
			return false
		}
	}
	return true
}

// Seller returns the seller party of org's invoices and its payment
// details: raison sociale, SIRET, NDA and address from its adhesion, VAT
// number and bank account from its billing details. The VAT number, when
// the OF has none, is left empty: einvoice.Check then asks for it (BR-E-02).
func (s *Service) Seller(ctx context.Context, orgID int64) (einvoice.Party, *BillingDetails, error) {
	if s.Adhesions == nil {
		return einvoice.Party{}, nil, errors.New("invoices: no adhesion service")
	}
	a, err := s.Adhesions.Current(ctx, orgID)
	if err != nil {
		return einvoice.Party{}, nil, err
	}
	return s.sellerOf(ctx, orgID, a)
}

// sellerOf is Seller with the OF's current adhesion a already read.
func (s *Service) sellerOf(ctx context.Context, orgID int64, a *adhesion.Adhesion) (einvoice.Party, *BillingDetails, error) {
	if a == nil {
		return einvoice.Party{}, nil, kairos.Errorf(kairos.EConflict, "Votre organisme n'a pas d'adhésion : il ne peut pas facturer France Travail.")
	}
	b, err := s.Billing(ctx, orgID)
	if err != nil {
		return einvoice.Party{}, nil, err
	}
	if b == nil {
		return einvoice.Party{}, nil, kairos.Errorf(kairos.EConflict, "Saisissez d'abord les coordonnées bancaires de votre organisme dans « Mon organisme » : elles figurent sur chaque facture.")
	}
	p := einvoice.Party{
		Name: a.RaisonSociale, SIRET: a.SIRET, NDA: a.NDA, VATID: b.VATID,
		Address: einvoice.Address{Line1: a.Address, PostalCode: a.PostalCode, City: a.City, Country: "FR"},
	}
	return p, b, nil
}

// Series of invoice numbers: invoices and credit notes are numbered apart,
// each series continuous per OF and year.
type Series string

const (
	SeriesInvoice    Series = "FA"
	SeriesCreditNote Series = "AV"
)

// FormatNumber is the invoice number of the n-th document of a series in
// a year: "FA-2026-00042" (13 characters; Chorus Pro allows 20).
func FormatNumber(series Series, year int, n int64) string {
	return fmt.Sprintf("%s-%04d-%05d", series, year, n)
}

// AllocateNumber takes the next number of org's series for year, inside tx
// (the transaction that issues the document): the sequence row is created
// or incremented by one upsert, which locks it until tx ends, so concurrent
// issues of one OF are serialised and get consecutive numbers; if tx rolls
// back, so does the increment, and the number is given to the next issue —
// no gap, no duplicate.
func AllocateNumber(ctx context.Context, tx *store.Tx, orgID int64, series Series, year int) (string, error) {
	if series != SeriesInvoice && series != SeriesCreditNote {
		return "", fmt.Errorf("invoices: unknown series %q", series)
	}
	if year < 2000 || year > 9999 {
		return "", fmt.Errorf("invoices: year %d out of range", year)
	}
	var n int64
	err := tx.QueryRow(ctx, `INSERT INTO invoice_sequences (org_id, series, year, last_number) VALUES (?, ?, ?, 1)
		ON CONFLICT (org_id, series, year) DO UPDATE SET last_number = invoice_sequences.last_number + 1
		RETURNING last_number`, orgID, string(series), year).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("invoices: allocate number: %w", err)
	}
	return FormatNumber(series, year, n), nil
}
