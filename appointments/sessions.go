package appointments

import (
	"context"
	"sort"
	"time"

	"kairos"
)

// SessionRef is what appointments need to know of a catalogue session.
type SessionRef struct {
	ID       int64     `json:"id"`
	Intitule string    `json:"intitule"`
	OrgID    int64     `json:"org_id"` // the OF that runs it
	Debut    time.Time `json:"debut"`
	Fin      time.Time `json:"fin"`
	// NotChoosable says, in French, why the session cannot be chosen for a
	// new enrolment (withdrawn, ended, recruitment closed, OF without a
	// valid adhesion); "" when it can.
	NotChoosable string `json:"not_choosable,omitempty"`
}

// Sessions is the seam to the training catalogue (issue 4, table
// catalogue_sessions). Appointments store the ids of their linked sessions
// in appointment_sessions, without a foreign key, and read them only through
// this interface: Session validates a link (not found: a kairos.NotFound
// error) and gives what the pages show; ForOrg lists what the OF may link.
//
// On this branch the binary uses NoSessions (appointments are created without
// linked sessions); wiring the catalogue means giving Service.Sessions an
// implementation over catalogue_sessions.
type Sessions interface {
	Session(ctx context.Context, id int64) (SessionRef, error)
	ForOrg(ctx context.Context, orgID int64) ([]SessionRef, error)
}

// NoSessions is the Sessions of a platform without catalogue: no session
// can be linked.
type NoSessions struct{}

// Session always answers not found.
func (NoSessions) Session(context.Context, int64) (SessionRef, error) {
	return SessionRef{}, kairos.NotFound("Session")
}

// ForOrg lists nothing.
func (NoSessions) ForOrg(context.Context, int64) ([]SessionRef, error) { return nil, nil }

// StaticSessions is an in-memory catalogue, for tests and demonstrations.
type StaticSessions map[int64]SessionRef

// Session returns the session of id.
func (m StaticSessions) Session(_ context.Context, id int64) (SessionRef, error) {
	s, ok := m[id]
	if !ok {
		return SessionRef{}, kairos.NotFound("Session")
	}
	return s, nil
}

// ForOrg lists the sessions of an OF, by start date.
func (m StaticSessions) ForOrg(_ context.Context, orgID int64) ([]SessionRef, error) {
	var out []SessionRef
	for _, s := range m {
		if s.OrgID == orgID {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Debut.Before(out[j].Debut) || (out[i].Debut.Equal(out[j].Debut) && out[i].ID < out[j].ID)
	})
	return out, nil
}

// LinkableSessions lists the catalogue sessions the actor's OF may link to
// an appointment.
func (s *Service) LinkableSessions(ctx context.Context, a *kairos.Actor) ([]SessionRef, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	return s.sessions().ForOrg(ctx, a.OrgID)
}
