package appointments

import (
	"context"

	"kairos"
	"kairos/account"
	"kairos/catalogue"
	"kairos/lheo"
)

// CatalogueSessions is the Sessions of the platform: the training catalogue
// imported from LHÉO. A session belongs to the OF whose organisation has the
// SIRET of the session's organisme responsable.
type CatalogueSessions struct {
	Catalogue *catalogue.Service
	Accounts  *account.Service
	Clock     kairos.Clock
}

// Session returns the catalogue session id.
func (c CatalogueSessions) Session(ctx context.Context, id int64) (SessionRef, error) {
	x, err := c.Catalogue.SessionByID(ctx, id)
	if err != nil {
		return SessionRef{}, err
	}
	ref := ref(x)
	if o, err := c.Accounts.OrganisationBySIRET(ctx, kairos.OrgOF, x.SIRET); err == nil {
		ref.OrgID = o.ID
	} else if kairos.ErrorCode(err) != kairos.ENotFound {
		return SessionRef{}, err
	}
	return ref, nil
}

// ForOrg lists the current sessions of the OF orgID (not ended, not withdrawn).
func (c CatalogueSessions) ForOrg(ctx context.Context, orgID int64) ([]SessionRef, error) {
	o, err := c.Accounts.Organisation(ctx, orgID)
	if err != nil || o.SIRET == "" {
		return nil, err
	}
	now := c.Accounts.DB.Now() // the process's clock, unless the seam was given its own
	if c.Clock != nil {
		now = c.Clock.Now()
	}
	p := now.In(Paris)
	sessions, err := c.Catalogue.SessionsOfSIRET(ctx, o.SIRET, lheo.NewDate(p.Year(), int(p.Month()), p.Day()), 500)
	if err != nil {
		return nil, err
	}
	out := make([]SessionRef, len(sessions))
	for i := range sessions {
		out[i] = ref(&sessions[i])
		out[i].OrgID = orgID
	}
	return out, nil
}

func ref(x *catalogue.Session) SessionRef {
	r := SessionRef{ID: x.ID, Intitule: x.Intitule}
	if t, ok := x.Debut.First(); ok {
		r.Debut = t
	}
	if t, ok := x.Fin.Last(); ok {
		r.Fin = t
	}
	return r
}

var _ Sessions = CatalogueSessions{}
