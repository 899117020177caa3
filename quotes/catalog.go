package quotes

import (
	"context"
	"strconv"
	"strings"

	"kairos"
	"kairos/account"
	"kairos/calendar"
	"kairos/catalogue"
	"kairos/lheo"
)

// SessionRef is what a quote takes from a catalogue session: its Carif
// numbers, title, dates, place, hours and price, and its visibility.
type SessionRef struct {
	ID              int64
	OrgID           int64 // the OF that runs it (by its SIRET), 0 if not on Kairos
	Source          string
	FormationNumero string
	ActionNumero    string
	SessionNumero   string
	Title           string
	Place           string
	Debut, Fin      calendar.Date
	Certifying      bool
	HoursCentre     Quarters
	HoursCompany    Quarters
	HourlyCost      Cents
	Visible         bool
	Hidden          string // why not visible, in French
}

// Catalog is the seam to the training catalogue.
type Catalog interface {
	Session(ctx context.Context, id int64) (SessionRef, error)
}

// CatalogueSource is the Catalog of the platform: the LHÉO catalogue.
type CatalogueSource struct {
	Catalogue *catalogue.Service
	Accounts  *account.Service
}

// Session reads catalogue session id and what the Carif-Oref says of it.
func (c CatalogueSource) Session(ctx context.Context, id int64) (SessionRef, error) {
	d, err := c.Catalogue.Session(ctx, id)
	if err != nil {
		return SessionRef{}, err
	}
	x := d.Session
	r := SessionRef{ID: x.ID, Source: x.Source, SessionNumero: x.Numero, Title: x.Intitule, Place: x.Ville, Certifying: x.Certifiante, Visible: d.Visibility.Visible}
	if d.Formation != nil {
		r.FormationNumero = d.Formation.Numero
	}
	if t, ok := x.Debut.First(); ok {
		r.Debut = calendar.DateOf(t)
	}
	if t, ok := x.Fin.Last(); ok {
		r.Fin = calendar.DateOf(t)
	}
	if r.Fin.IsZero() {
		r.Fin = r.Debut.AddDays(365)
	}
	if a := d.Action; a != nil {
		r.ActionNumero = a.Numero
		if a.NombreHeuresCentre != nil && *a.NombreHeuresCentre > 0 {
			r.HoursCentre = Quarters(*a.NombreHeuresCentre * 4)
		} else if a.NombreHeuresTotal != nil && *a.NombreHeuresTotal > 0 {
			r.HoursCentre = Quarters(*a.NombreHeuresTotal * 4)
		}
		if a.NombreHeuresEntreprise != nil && *a.NombreHeuresEntreprise > 0 {
			r.HoursCompany = Quarters(*a.NombreHeuresEntreprise * 4)
		}
		if h, ok := a.PrixHoraireTTC.Centimes(); ok && h > 0 {
			r.HourlyCost = Cents(h)
		} else if t, ok := a.PrixTotalTTC.Centimes(); ok && t > 0 && r.HoursCentre > 0 {
			// Hourly cost from the total price, rounded half up to the cent.
			r.HourlyCost = Cents((t*4 + int64(r.HoursCentre)/2) / int64(r.HoursCentre))
		}
		r.Place = place(a, x.Ville)
	}
	if r.HoursCentre > MaxQuarters {
		r.HoursCentre = 0
	}
	if r.HourlyCost > MaxHourly {
		r.HourlyCost = 0
	}
	var why []string
	for _, x := range d.Visibility.Reasons {
		s := x.Label
		if x.Detail != "" {
			s += " " + x.Detail
		}
		why = append(why, s)
	}
	r.Hidden = strings.Join(why, " ")
	if o, err := c.Accounts.OrganisationBySIRET(ctx, kairos.OrgOF, x.SIRET); err == nil {
		r.OrgID = o.ID
	} else if kairos.ErrorCode(err) != kairos.ENotFound {
		return SessionRef{}, err
	}
	return r, nil
}

// place is the main training place of the action: « ligne, code postal ville ».
func place(a *lheo.Action, fallback string) string {
	for i, l := range a.LieuxDeFormation {
		if ad := l.Coordonnees.Adresse; ad != nil && (l.Tag == "principal" || i == len(a.LieuxDeFormation)-1) {
			parts := append([]string{}, ad.Lignes...)
			if ad.Denomination != "" {
				parts = append([]string{ad.Denomination}, parts...)
			}
			parts = append(parts, strings.TrimSpace(ad.CodePostal+" "+ad.Ville))
			return strings.Join(nonEmpty(parts), ", ")
		}
	}
	return fallback
}

func nonEmpty(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// StaticCatalog is an in-memory catalogue, for tests.
type StaticCatalog map[int64]SessionRef

// Session returns the session of id.
func (m StaticCatalog) Session(_ context.Context, id int64) (SessionRef, error) {
	s, ok := m[id]
	if !ok {
		return SessionRef{}, kairos.NotFound("Session")
	}
	return s, nil
}

// Thresholds are the regional review thresholds: "" is the default, other
// keys are region codes (INSEE, as the organisations' region).
type Thresholds map[string]Threshold

// For returns the threshold of region.
func (t Thresholds) For(region string) Threshold {
	if x, ok := t[region]; ok {
		return x
	}
	if x, ok := t[""]; ok {
		return x
	}
	return DefaultThreshold
}

// ParseThresholds reads KAIROS_DEVIS_SEUILS: comma-separated
// « région:euros:heures » items, « * » being every other region, e.g.
// « *:3200:400,84:2500:300 ». Empty: the default (3 200 €, 400 h).
func ParseThresholds(s string) (Thresholds, error) {
	out := Thresholds{"": DefaultThreshold}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, item := range strings.Split(s, ",") {
		p := strings.Split(strings.TrimSpace(item), ":")
		if len(p) != 3 {
			return nil, kairos.Errorf(kairos.EInvalid, "KAIROS_DEVIS_SEUILS : « %s » n'est pas de la forme région:euros:heures (exemple : *:3200:400,84:2500:300).", item)
		}
		aif, ok := ParseCents(p[1])
		h, err := strconv.ParseInt(strings.TrimSpace(p[2]), 10, 64)
		if !ok || err != nil || h < 0 || h > 5000 {
			return nil, kairos.Errorf(kairos.EInvalid, "KAIROS_DEVIS_SEUILS : montant ou heures invalides dans « %s ».", item)
		}
		region := strings.TrimSpace(p[0])
		if region == "*" {
			region = ""
		}
		out[region] = Threshold{AIF: aif, Hours: h}
	}
	return out, nil
}
