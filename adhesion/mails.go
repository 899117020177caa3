package adhesion

import (
	"context"
	"strconv"
	"time"

	"kairos"
	"kairos/account"
	"kairos/mail"
	"kairos/store"
)

const signature = "\n-- \nKairos — France Travail\n"

func (s *Service) submittedMail(a *Adhesion) string {
	return "Bonjour " + a.RGCName + ",\n\n" +
		"Nous avons bien reçu la demande d'adhésion à Kairos de « " + a.RaisonSociale + " » (SIRET " + a.SIRET + ").\n\n" +
		"Sa référence : " + a.Reference + "\n\n" +
		"Un gestionnaire France Travail de la région " + a.RegionLabel() + " va l'instruire. Vous serez informé(e) par courriel de chaque décision. " +
		"Si elle est validée, vous recevrez un lien pour activer votre compte de responsable du compte de l'organisme : aucun identifiant ne vous sera envoyé par courrier.\n" +
		signature
}

func (s *Service) decisionMail(a *Adhesion, act Action, reason string) mail.Message {
	hello := "Bonjour " + a.RGCName + ",\n\n"
	ref := " (référence " + a.Reference + ")"
	var subject, body string
	switch act {
	case Instruire:
		subject = "Votre demande d'adhésion à Kairos est en instruction"
		body = "La demande d'adhésion de « " + a.RaisonSociale + " »" + ref + " est en cours d'instruction par France Travail. Vous serez informé(e) de la décision par courriel.\n"
	case Valider:
		subject = "Votre adhésion à Kairos est validée"
		body = "L'adhésion de « " + a.RaisonSociale + " »" + ref + " est validée.\n\n" +
			"Convention n° " + a.ConventionNumber + ", valable du " + FormatDate(*a.ValidFrom) + " au " + FormatDate(*a.ValidUntil) + ".\n\n" +
			"Le responsable du compte de l'organisme reçoit par un courriel séparé le lien pour activer son compte. Il pourra ensuite inviter ses collaborateurs et leur attribuer leurs habilitations, et créer des clés d'API :\n" +
			s.BaseURL + "/mon-organisme\n"
		if a.rgcDenied {
			body = "L'adhésion de « " + a.RaisonSociale + " »" + ref + " est validée.\n\n" +
				"Convention n° " + a.ConventionNumber + ", valable du " + FormatDate(*a.ValidFrom) + " au " + FormatDate(*a.ValidUntil) + ".\n\n" +
				"Cet organisme a déjà un compte sur Kairos, avec ses utilisateurs : votre adresse ne reçoit donc aucun accès. " +
				"Demandez au responsable du compte actuel de votre organisme de vous inviter depuis « Utilisateurs » ; il a été prévenu de votre demande.\n"
		}
	case Refuser:
		subject = "Votre demande d'adhésion à Kairos est refusée"
		body = "France Travail a refusé la demande d'adhésion de « " + a.RaisonSociale + " »" + ref + ".\n\nMotif : " + reason + "\n\n" +
			"Vous pouvez déposer une nouvelle demande une fois le motif levé :\n" + s.BaseURL + "/adherer\n"
	case Suspendre:
		subject = "Votre adhésion à Kairos est suspendue"
		body = "France Travail a suspendu l'adhésion de « " + a.RaisonSociale + " » (convention n° " + a.ConventionNumber + ").\n\nMotif : " + reason + "\n\n" +
			"Pendant la suspension, votre organisme ne peut plus établir de devis ni de factures sur Kairos.\n"
	case Reactiver:
		subject = "La suspension de votre adhésion à Kairos est levée"
		body = "France Travail a levé la suspension de l'adhésion de « " + a.RaisonSociale + " » (convention n° " + a.ConventionNumber + "). Elle est de nouveau valide jusqu'au " + FormatDate(*a.ValidUntil) + ".\n"
	case Resilier:
		subject = "Votre adhésion à Kairos est résiliée"
		body = "L'adhésion de « " + a.RaisonSociale + " » (convention n° " + a.ConventionNumber + ") est résiliée.\n\nMotif : " + reason + "\n"
	}
	return mail.Message{To: a.RGCEmail, Subject: subject, Body: hello + body + signature}
}

// notifyTakeover tells the account managers of organisation orgID that an
// adhesion naming someone else as account manager was validated for their
// SIRET, and that this person got no access.
func (s *Service) notifyTakeover(ctx context.Context, tx *store.Tx, orgID int64, a *Adhesion) error {
	rows, err := tx.Query(ctx, "SELECT email FROM users WHERE org_id = ? AND role = ? AND status <> ? ORDER BY email", orgID, kairos.RoleOFAdmin, account.StatusDisabled)
	if err != nil {
		return err
	}
	var to []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return err
		}
		to = append(to, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, m := range to {
		body := "Bonjour,\n\n" +
			"France Travail a validé une demande d'adhésion à Kairos (référence " + a.Reference + ") pour le SIRET " + a.SIRET + " de votre organisme « " + a.RaisonSociale + " ».\n\n" +
			"Cette demande désigne comme responsable du compte " + a.RGCName + " <" + a.RGCEmail + ">, qui n'est pas utilisateur de votre organisme sur Kairos. " +
			"Par sécurité, cette personne n'a reçu aucun accès.\n\n" +
			"Si vous la connaissez et souhaitez lui donner accès, invitez-la depuis « Utilisateurs » :\n" + s.BaseURL + "/organisme/utilisateurs/inviter\n\n" +
			"Si vous ne connaissez pas cette demande, signalez-la à France Travail : quelqu'un a peut-être tenté d'usurper votre organisme.\n" + signature
		if err := mail.Enqueue(ctx, tx, mail.Message{To: m, Subject: "Adhésion validée pour votre SIRET : aucun accès donné à " + a.RGCEmail, Body: body}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) reminderMail(a *Adhesion, to string, now time.Time) mail.Message {
	c := a.Qualiopi
	return mail.Message{To: to, Subject: "Votre certificat Qualiopi expire dans " + strconv.Itoa(c.DaysLeft(now)) + " jours",
		Body: "Bonjour,\n\n" +
			"Le certificat Qualiopi n° " + c.Number + " (" + c.Certifier + ") de « " + a.RaisonSociale + " » expire le " + FormatDate(c.ValidUntil) + ".\n\n" +
			"Sans certificat Qualiopi valide, votre organisme ne pourra plus établir de devis AIF ni de factures sur Kairos. " +
			"Dès que vous avez le nouveau certificat, enregistrez-le dans « Mon organisme » :\n" + s.BaseURL + "/mon-organisme/qualiopi\n" +
			signature}
}
