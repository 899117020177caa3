package einvoice

import (
	"time"

	"kairos/calendar"
)

// sample is an invoice of an OF to France Travail for 3 attested months.
func sample() *Invoice {
	items := []HoursItem{
		{Label: "Formation Développeur web — Jean Dupont — mars 2026", Period: calendar.NewMonth(2026, time.March).Days(), QuarterHours: 4 * 105},
		{Label: "Formation Développeur web — Jean Dupont — avril 2026", Period: calendar.NewMonth(2026, time.April).Days(), QuarterHours: 4*98 + 3},
		{Label: "Formation Développeur web — Jean Dupont — mai 2026", Period: calendar.Range{From: calendar.NewDate(2026, time.May, 1), To: calendar.NewDate(2026, time.May, 22)}, QuarterHours: 4*84 + 1},
	}
	lines, allowances := PrepareLines(items, 1250, 0, "DEV-2026-000042")
	inv := &Invoice{
		Number:    "FA-2026-00001",
		TypeCode:  TypeInvoice,
		IssueDate: calendar.NewDate(2026, time.June, 2),
		DueDate:   calendar.NewDate(2026, time.July, 2),
		Notes: []Note{
			{Subject: "PMD", Content: "Tout retard de paiement donne lieu à des intérêts moratoires au taux légal en vigueur."},
			{Subject: "PMT", Content: "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €."},
		},
		Seller: Party{
			Name: "Formations & Avenir <SAS>", SIRET: "73282932000074", NDA: "11755012375", VATID: "FR44732829320",
			Address: Address{Line1: "12 rue de l'Échiquier", PostalCode: "75010", City: "Paris", Country: "FR"},
			Email:   "facturation@formations-avenir.fr",
		},
		Buyer: Party{
			Name: "France Travail", SIRET: "13000548100010",
			Address: Address{Line1: "1 avenue du Docteur Gley", PostalCode: "75020", City: "Paris", Country: "FR"},
		},
		BuyerReference: "FT-SERV-75-AIF",
		OrderReference: "DEV-2026-000042",
		IBAN:           "FR76 3000 6000 0112 3456 7890 189",
		BIC:            "AGRIFRPP",
		AccountName:    "Formations et Avenir",
		Lines:          lines,
		Allowances:     allowances,
	}
	inv.Compute()
	return inv
}
