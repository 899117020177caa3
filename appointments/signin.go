package appointments

import (
	"context"
	"strconv"
	"strings"

	"kairos"
	"kairos/signin"
)

// FullTitle returns the title as convocations and calendars show it: the
// kind, then the title, unless the title already starts with the kind
// (« Information collective — CAP Cuisine » is not prefixed twice).
func (a *Appointment) FullTitle() string {
	kind := KindLabel(a.Kind)
	if len(a.Title) >= len(kind) && strings.EqualFold(a.Title[:len(kind)], kind) {
		return a.Title
	}
	return kind + " — " + a.Title
}

// SignInSheet returns the sign-in sheet (feuille d'émargement) of an
// appointment of the actor's OF: every registered participant (inscrit,
// present, excused or absent: those who had a seat), by name, with a box to
// sign. Not for a cancelled appointment.
func (s *Service) SignInSheet(ctx context.Context, a *kairos.Actor, id int64) (name string, pdf []byte, err error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return "", nil, err
	}
	x, err := s.Get(ctx, a, id)
	if err != nil {
		return "", nil, err
	}
	if x.Cancelled() {
		return "", nil, kairos.Errorf(kairos.EConflict, "Ce rendez-vous est annulé : il n'a pas de feuille d'émargement.")
	}
	ps, err := s.participants(ctx, s.DB, id)
	if err != nil {
		return "", nil, err
	}
	sh := signin.Sheet{Title: "Feuille d'émargement", Subject: x.FullTitle(), Signer: "L'animateur ou l'animatrice", Now: s.now(), Place: Paris,
		Details: [][2]string{{"Date", x.Day() + ", " + x.Hours()}, {"Organisme", x.OrgName}}}
	if x.Place != "" {
		sh.Details = append(sh.Details, [2]string{"Lieu", x.Place})
	}
	if x.VideoURL != "" {
		sh.Details = append(sh.Details, [2]string{"Visioconférence", x.VideoURL})
	}
	for _, p := range ps {
		switch p.Status {
		case StInscrit, StPresent, StExcuse, StAbsent:
			sh.People = append(sh.People, signin.Person{Name: p.Name, Detail: p.FTID})
		}
	}
	b, err := signin.PDF(sh)
	if err != nil {
		return "", nil, err
	}
	return "emargement-rendez-vous-" + strconv.FormatInt(x.ID, 10) + "-" + x.StartsAt.In(Paris).Format("2006-01-02") + ".pdf", b, nil
}

// DuplicateInput returns the input of a new appointment with the details of
// x (kind, title, hours, place, capacity, comment, sessions) on date day
// ("2006-01-02"; empty: a week later, or the next week after today). The
// registration deadline keeps its distance to the start.
func (s *Service) DuplicateInput(x *Appointment) Input {
	start := x.StartsAt.In(Paris)
	next := start.AddDate(0, 0, 7)
	now := s.now().In(Paris)
	for !next.After(now) {
		next = next.AddDate(0, 0, 7)
	}
	in := Input{Kind: x.Kind, Title: x.Title, Date: next.Format("2006-01-02"), Start: start.Format("15:04"), End: x.EndsAt.In(Paris).Format("15:04"),
		Place: x.Place, VideoURL: x.VideoURL, Capacity: x.Capacity, Comment: x.Comment}
	if x.Deadline != nil {
		in.Deadline = next.Add(x.Deadline.Sub(x.StartsAt)).Format("2006-01-02T15:04")
	}
	for _, r := range x.Sessions {
		in.SessionIDs = append(in.SessionIDs, r.ID)
	}
	return in
}
