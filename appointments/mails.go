package appointments

import (
	"context"
	"fmt"
	"strings"

	"kairos"
	"kairos/mail"
	"kairos/store"
)

func (s *Service) link(path string) string { return strings.TrimRight(s.BaseURL, "/") + path }

func practical(a *Appointment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Date : %s, de %s à %s (heure de Paris)\n", a.Day(), a.StartsAt.In(Paris).Format("15:04"), a.EndsAt.In(Paris).Format("15:04"))
	if a.Place != "" {
		fmt.Fprintf(&b, "Lieu : %s\n", a.Place)
	}
	if a.VideoURL != "" {
		fmt.Fprintf(&b, "Visioconférence : %s\n", a.VideoURL)
	}
	fmt.Fprintf(&b, "Organisme : %s\n", a.OrgName)
	if a.Comment != "" {
		fmt.Fprintf(&b, "\n%s\n", a.Comment)
	}
	return b.String()
}

func invitation(method string, data []byte) []mail.Attachment {
	name := "invitation.ics"
	if method == MethodCancel {
		name = "annulation.ics"
	}
	return []mail.Attachment{{Name: name, ContentType: "text/calendar; charset=utf-8; method=" + method, Data: data}}
}

func (s *Service) seq(a *Appointment, p *Participant) int { return a.Sequence + p.Sequence }

func (s *Service) mailConvocation(ctx context.Context, tx *store.Tx, a *Appointment, p *Participant) error {
	body := fmt.Sprintf("Bonjour %s,\n\nVous êtes inscrit(e) à ce rendez-vous : %s.\n\n%s\nL'invitation jointe (fichier .ics) l'ajoute à votre agenda.\n"+
		"Si vous ne pouvez pas venir, désinscrivez-vous pour libérer la place : %s\n\nL'équipe Kairos\n",
		p.Name, a.FullTitle(), practical(a), s.link("/mes-rendez-vous"))
	return mail.Enqueue(ctx, tx, mail.Message{To: p.Email, Subject: "Convocation : " + a.Title + ", " + a.Day(), Body: body,
		Attachments: invitation(MethodRequest, ICS(MethodRequest, "", s.event(a, s.seq(a, p), p, false)))})
}

func (s *Service) mailWaiting(ctx context.Context, tx *store.Tx, a *Appointment, p *Participant) error {
	body := fmt.Sprintf("Bonjour %s,\n\nCe rendez-vous est complet : %s, %s.\nVous êtes sur la liste d'attente. Si une place se libère, "+
		"elle vous est attribuée dans l'ordre d'inscription et vous recevez aussitôt votre convocation.\n\nVos rendez-vous : %s\n\nL'équipe Kairos\n",
		p.Name, a.FullTitle(), a.Day(), s.link("/mes-rendez-vous"))
	return mail.Enqueue(ctx, tx, mail.Message{To: p.Email, Subject: "Liste d'attente : " + a.Title, Body: body})
}

func (s *Service) mailChange(ctx context.Context, tx *store.Tx, a *Appointment, p *Participant, before *Appointment) error {
	body := fmt.Sprintf("Bonjour %s,\n\nLe rendez-vous « %s » a été modifié par %s.\n\nAvant : %s, %s\n\nDésormais :\n%s\n"+
		"L'invitation jointe met à jour votre agenda.\n\nVos rendez-vous : %s\n\nL'équipe Kairos\n",
		p.Name, before.Title, a.OrgName, before.Day(), before.Hours(), practical(a), s.link("/mes-rendez-vous"))
	return mail.Enqueue(ctx, tx, mail.Message{To: p.Email, Subject: "Rendez-vous modifié : " + a.Title + ", " + a.Day(), Body: body,
		Attachments: invitation(MethodRequest, ICS(MethodRequest, "", s.event(a, s.seq(a, p), p, false)))})
}

func (s *Service) mailReminder(ctx context.Context, tx *store.Tx, a *Appointment, p *Participant) error {
	body := fmt.Sprintf("Bonjour %s,\n\nRappel : vous avez rendez-vous demain.\n\n%s\n%s\n"+
		"Si vous ne pouvez pas venir, désinscrivez-vous pour libérer la place : %s\n\nL'équipe Kairos\n",
		p.Name, a.FullTitle(), practical(a), s.link("/mes-rendez-vous"))
	return mail.Enqueue(ctx, tx, mail.Message{To: p.Email, Subject: "Rappel : " + a.Title + " demain à " + a.StartsAt.In(Paris).Format("15:04"), Body: body,
		Attachments: invitation(MethodRequest, ICS(MethodRequest, "", s.event(a, s.seq(a, p), p, false)))})
}

func (s *Service) mailCancel(ctx context.Context, tx *store.Tx, a *Appointment, p *Participant) error {
	body := fmt.Sprintf("Bonjour %s,\n\nLe rendez-vous « %s » du %s (%s) est annulé par %s.\n\nMotif : %s\n\nVos rendez-vous : %s\n\nL'équipe Kairos\n",
		p.Name, a.Title, a.Day(), a.Hours(), a.OrgName, a.CancelReason, s.link("/mes-rendez-vous"))
	m := mail.Message{To: p.Email, Subject: "Annulé : " + a.Title + ", " + a.Day(), Body: body}
	if p.Status == StInscrit {
		m.Attachments = invitation(MethodCancel, ICS(MethodCancel, "", s.event(a, s.seq(a, p), p, true)))
	}
	return mail.Enqueue(ctx, tx, m)
}

// mailUnregistered confirms to the job seeker he no longer takes part, with
// an ICS CANCEL if he had been sent an invitation.
func (s *Service) mailUnregistered(ctx context.Context, tx *store.Tx, a *Appointment, p *Participant, by *kairos.Actor) error {
	who := "votre demande"
	switch {
	case by != nil && by.Role == kairos.RoleConseiller:
		who = "votre conseiller France Travail"
	case by != nil && (by.Role == kairos.RoleOFAdmin || by.Role == kairos.RoleOFUser):
		who = a.OrgName
	}
	body := fmt.Sprintf("Bonjour %s,\n\nVotre inscription au rendez-vous « %s » du %s (%s) est annulée (par %s).\n\nVos rendez-vous : %s\n\nL'équipe Kairos\n",
		p.Name, a.Title, a.Day(), a.Hours(), who, s.link("/mes-rendez-vous"))
	return mail.Enqueue(ctx, tx, mail.Message{To: p.Email, Subject: "Désinscription : " + a.Title + ", " + a.Day(), Body: body,
		Attachments: invitation(MethodCancel, ICS(MethodCancel, "", s.event(a, s.seq(a, p), p, true)))})
}

// mailCounsellor informs the job seeker's counsellor of a registration or
// an unregistration he did not make himself.
func (s *Service) mailCounsellor(ctx context.Context, tx *store.Tx, a *Appointment, p *Participant, by *kairos.Actor, registered bool) error {
	if p.ConseillerMail == "" || (by != nil && by.Role == kairos.RoleConseiller && by.Email == p.ConseillerMail) {
		return nil
	}
	what := "s'est désinscrit(e) du"
	if registered {
		what = "s'est inscrit(e) au"
		if p.Status == StEnAttente {
			what = "est sur la liste d'attente du"
		}
	}
	if by != nil && by.Role == kairos.RoleConseiller {
		what = strings.Replace(strings.Replace(what, "s'est inscrit(e)", "a été inscrit(e) par "+by.Name, 1), "s'est désinscrit(e)", "a été désinscrit(e) par "+by.Name, 1)
	}
	body := fmt.Sprintf("Bonjour %s,\n\n%s (identifiant France Travail %s) %s rendez-vous « %s » (%s) de %s, le %s de %s.\n\n"+
		"Les rendez-vous de vos demandeurs d'emploi : %s\n\nL'équipe Kairos\n",
		p.ConseillerName, p.Name, p.FTID, what, a.Title, KindLabel(a.Kind), a.OrgName, a.Day(), a.Hours(), s.link("/conseiller/rendez-vous"))
	subject := "Inscription de " + p.Name + " : " + a.Title
	if !registered {
		subject = "Désinscription de " + p.Name + " : " + a.Title
	}
	return mail.Enqueue(ctx, tx, mail.Message{To: p.ConseillerMail, Subject: subject, Body: body})
}
