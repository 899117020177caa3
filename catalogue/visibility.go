package catalogue

import (
	"context"
	"strconv"
	"time"

	"kairos"
	"kairos/lheo"
)

// Reason codes: why a session is not visible for prescription.
const (
	ReasonWithdrawn        = "retiree"
	ReasonEnded            = "terminee"
	ReasonNoSIRET          = "siret_absent"
	ReasonNoAdhesion       = "siret_sans_adhesion"
	ReasonRecruitClosed    = "recrutement_ferme"
	ReasonRecruitSuspended = "recrutement_suspendu"
)

// Reason is one reason why a session is not visible for prescription.
type Reason struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	// Detail completes the label for this session (e.g. the adhesion check's answer).
	Detail string `json:"detail,omitempty"`
}

// Reasons lists every reason, in the order they are shown, with its French
// label. It is the one place where the visibility rules are described.
var Reasons = []Reason{
	{Code: ReasonWithdrawn, Label: "Session retirée : elle ne figure plus dans le dernier import complet de sa source."},
	{Code: ReasonEnded, Label: "Session terminée depuis plus de 30 jours."},
	{Code: ReasonNoSIRET, Label: "SIRET de l'organisme responsable absent ou invalide (14 chiffres attendus)."},
	{Code: ReasonNoAdhesion, Label: "SIRET de l'organisme responsable inconnu de Kairos ou sans adhésion valide."},
	{Code: ReasonRecruitClosed, Label: "Recrutement fermé."},
	{Code: ReasonRecruitSuspended, Label: "Recrutement suspendu."},
}

// EndedAfter is how long after its end a session stays visible.
const EndedAfter = 30 * 24 * time.Hour

func reason(code, detail string) Reason {
	for _, r := range Reasons {
		if r.Code == code {
			r.Detail = detail
			return r
		}
	}
	return Reason{Code: code, Label: code, Detail: detail}
}

// Visibility tells whether a session is visible for prescription, and why not.
type Visibility struct {
	Visible bool     `json:"visible"`
	Reasons []Reason `json:"reasons"`
}

func validSIRET(s string) bool {
	if len(s) != 14 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Visibilities computes the visibility of sessions (one adhesion check per SIRET).
func (s *Service) Visibilities(ctx context.Context, sessions []Session) ([]Visibility, error) {
	today := s.now()
	checked := map[string]Reason{}
	out := make([]Visibility, len(sessions))
	for i, x := range sessions {
		v := Visibility{Reasons: []Reason{}}
		if x.WithdrawnAt != nil {
			v.Reasons = append(v.Reasons, reason(ReasonWithdrawn, "Retirée le "+x.WithdrawnAt.Format("02/01/2006")+"."))
		}
		if x.Fin != lheo.UnknownEnd && x.Fin != lheo.UnknownDate {
			if last, ok := x.Fin.Last(); ok && today.Sub(last) > EndedAfter+24*time.Hour {
				v.Reasons = append(v.Reasons, reason(ReasonEnded, "Fin le "+last.Format("02/01/2006")+"."))
			}
		}
		if !validSIRET(x.SIRET) {
			v.Reasons = append(v.Reasons, reason(ReasonNoSIRET, ""))
		} else {
			r, ok := checked[x.SIRET]
			if !ok {
				can, why, err := s.trade().CanTradeSIRET(ctx, x.SIRET)
				if err != nil {
					return nil, err
				}
				if !can {
					r = reason(ReasonNoAdhesion, why)
				}
				checked[x.SIRET] = r
			}
			if r.Code != "" {
				v.Reasons = append(v.Reasons, r)
			}
		}
		switch x.Etat {
		case lheo.EtatRecrutementFerme:
			v.Reasons = append(v.Reasons, reason(ReasonRecruitClosed, ""))
		case lheo.EtatRecrutementSuspendu:
			v.Reasons = append(v.Reasons, reason(ReasonRecruitSuspended, ""))
		}
		v.Visible = len(v.Reasons) == 0
		out[i] = v
	}
	return out, nil
}

// OfferSession is a session of the OF's offer with its visibility.
type OfferSession struct {
	Session
	Visibility Visibility `json:"visibility"`
}

// Offer is the OF's own offer as received.
type Offer struct {
	SIRET    string         `json:"siret"`
	Sessions []OfferSession `json:"sessions"`
	Total    int            `json:"total"`
	Visible  int            `json:"visible"` // among Sessions
}

// Offer lists the sessions whose organisme responsable has the SIRET of
// the actor's organisation, withdrawn ones included, newest start first.
func (s *Service) Offer(ctx context.Context, a *kairos.Actor, offset, limit int) (*Offer, error) {
	return s.OfferAfter(ctx, a, nil, offset, limit)
}

// OfferKey is the place of a session in the offer's order (current sessions
// first, then the newest start, then the id), for keyset pagination.
type OfferKey struct {
	Withdrawn bool
	Debut     lheo.Date
	ID        int64
}

// KeyOf returns the place of a session of the offer.
func KeyOf(x Session) OfferKey { return OfferKey{x.WithdrawnAt != nil, x.Debut, x.ID} }

// OfferAfter is Offer continued after the session at key after (nil: from
// the start); limit 1 to 201 (50 when out of range).
func (s *Service) OfferAfter(ctx context.Context, a *kairos.Actor, after *OfferKey, offset, limit int) (*Offer, error) {
	if a == nil || a.OrgID == 0 {
		return nil, kairos.NotFound("Organisme")
	}
	var siret string
	if err := s.DB.QueryRow(ctx, "SELECT siret FROM organisations WHERE id = ?", a.OrgID).Scan(&siret); err != nil {
		return nil, err
	}
	o := &Offer{SIRET: siret, Sessions: []OfferSession{}}
	if siret == "" {
		return o, nil
	}
	if limit <= 0 || limit > 201 {
		limit = 50
	}
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM catalogue_sessions s WHERE s.siret = ?"+s.publishedSessions(), siret).Scan(&o.Total); err != nil {
		return nil, err
	}
	where, args := s.publishedSessions(), []any{siret}
	if after != nil {
		w := 0
		if after.Withdrawn {
			w = 1
		}
		const flag = "(CASE WHEN s.withdrawn_at IS NULL THEN 0 ELSE 1 END)"
		where += " AND (" + flag + " > ? OR (" + flag + " = ? AND (s.debut < ? OR (s.debut = ? AND s.id > ?))))"
		args = append(args, w, w, int64(after.Debut), int64(after.Debut), after.ID)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+sessionSelect+" FROM catalogue_sessions s WHERE s.siret = ?"+where+" ORDER BY s.withdrawn_at IS NOT NULL, s.debut DESC, s.id LIMIT "+
		strconv.Itoa(limit)+" OFFSET "+strconv.Itoa(max(offset, 0)), args...)
	if err != nil {
		return nil, err
	}
	var list []Session
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	vs, err := s.Visibilities(ctx, list)
	if err != nil {
		return nil, err
	}
	for i, x := range list {
		o.Sessions = append(o.Sessions, OfferSession{Session: x, Visibility: vs[i]})
		if vs[i].Visible {
			o.Visible++
		}
	}
	return o, nil
}
