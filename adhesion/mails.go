package adhesion

import (
	"strconv"
	"time"

	"kairos/mail"
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

func (s *Service) reminderMail(a *Adhesion, to string, now time.Time) mail.Message {
	c := a.Qualiopi
	return mail.Message{To: to, Subject: "Votre certificat Qualiopi expire dans " + strconv.Itoa(c.DaysLeft(now)) + " jours",
		Body: "Bonjour,\n\n" +
			"Le certificat Qualiopi n° " + c.Number + " (" + c.Certifier + ") de « " + a.RaisonSociale + " » expire le " + FormatDate(c.ValidUntil) + ".\n\n" +
			"Sans certificat Qualiopi valide, votre organisme ne pourra plus établir de devis AIF ni de factures sur Kairos. " +
			"Dès que vous avez le nouveau certificat, enregistrez-le dans « Mon organisme » :\n" + s.BaseURL + "/mon-organisme/qualiopi\n" +
			signature}
}
