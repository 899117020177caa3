package web

import (
	"sort"
	"strings"

	"kairos/appointments"
)

// auditLabels names every action code written to the audit trail, in
// French, as the journal shows it (TestEveryAuditActionHasALabel finds the
// codes in the source and checks each has one).
var auditLabels = map[string]string{
	"adhesion.submit":               "Demande d'adhésion déposée",
	"adhesion.instruire":            "Demande d'adhésion prise en instruction",
	"adhesion.valider":              "Adhésion validée",
	"adhesion.refuser":              "Demande d'adhésion refusée",
	"adhesion.suspendre":            "Adhésion suspendue",
	"adhesion.reactiver":            "Suspension de l'adhésion levée",
	"adhesion.resilier":             "Adhésion résiliée",
	"adhesion.qualiopi":             "Certificat Qualiopi renouvelé",
	"adhesion.qualiopi_reminder":    "Rappel d'échéance du certificat Qualiopi envoyé",
	"adhesion.rgc_not_granted":      "Compte du responsable non ouvert (adresse déjà utilisée)",
	"apikey.create":                 "Clé d'API créée",
	"apikey.revoke":                 "Clé d'API révoquée",
	"apikey.scopes":                 "Droits d'une clé d'API modifiés",
	"appointment.create":            "Rendez-vous créé",
	"appointment.update":            "Rendez-vous modifié",
	"appointment.cancel":            "Rendez-vous annulé",
	"appointment.feed.regenerate":   "Adresse de l'agenda renouvelée",
	"appointment.promote":           "Place libérée attribuée au premier de la liste d'attente",
	"appointment.reminder":          "Rappel de rendez-vous envoyé",
	"appointment.register":          "Inscription à un rendez-vous",
	"appointment.waitlist":          "Inscription sur la liste d'attente d'un rendez-vous",
	"assessment.enregistrer":        "Bilan de formation enregistré (brouillon)",
	"assessment.transmettre":        "Bilan de formation transmis",
	"assessment.corriger":           "Correction du bilan de formation transmise",
	"assessment.retirer":            "Bilan de formation retiré",
	"assessment.rouvrir":            "Bilan de formation rouvert",
	"assessment.remind":             "Rappel de bilan de formation envoyé",
	"attestation.attest":            "Attestation de présence attestée",
	"attestation.transmit":          "Attestation transmise à France Travail",
	"attestation.rectify":           "Attestation rectificative transmise",
	"attestation.remind":            "Rappel des attestations envoyé à l'organisme",
	"attestation.relance":           "Relance de France Travail envoyée à l'organisme",
	"attestation.schedule":          "Rythme de la session modifié",
	"catalogue.import":              "Import du catalogue (LHÉO)",
	"demandeur.set":                 "Dossier du demandeur d'emploi mis à jour",
	"enrolment.propose":             "Inscription proposée",
	"enrolment.proposer":            "Inscription proposée (depuis le parcours)",
	"enrolment.refuser":             "Proposition d'inscription refusée",
	"enrolment.inscrire":            "Inscription confirmée (AIS)",
	"enrolment.annuler":             "Inscription annulée",
	"enrolment.entrer":              "Entrée en formation déclarée (AES)",
	"enrolment.interrompre":         "Interruption de formation déclarée",
	"enrolment.reprendre":           "Reprise de formation déclarée",
	"enrolment.sortir":              "Sortie de formation déclarée",
	"enrolment.devis_valide":        "Inscription confirmée par la validation du devis AIF",
	"enrolment.obsolete":            "Proposition d'inscription devenue sans objet",
	"enrolment.absence":             "Absence déclarée",
	"enrolment.absence_correct":     "Absence corrigée",
	"enrolment.absence_withdraw":    "Absence retirée",
	"enrolment.correct":             "Date d'une déclaration corrigée",
	"invoice.issue":                 "Facture émise",
	"invoice.credit_note":           "Avoir émis",
	"invoice.chorus_status_changed": "Nouvel état de la facture sur Chorus Pro",
	"invoice.chorus_reconcile":      "Dépôt Chorus Pro interrompu retrouvé sur Chorus Pro",
	"invoice.chorus_recycler":       "Facture recyclée sur Chorus Pro",
	"invoice.chorus_completer":      "Facture complétée sur Chorus Pro",
	"chorus.password_reminder":      "Rappel d'expiration du mot de passe du compte technique Chorus Pro",
	"organisation.create":           "Organisation créée",
	"organisation.billing_details":  "Coordonnées de facturation modifiées",
	"quote.create":                  "Devis AIF créé",
	"quote.update":                  "Devis AIF modifié",
	"quote.modifier":                "Devis AIF repris pour modification",
	"quote.transmettre":             "Devis transmis au demandeur d'emploi",
	"quote.accepter":                "Devis accepté par le demandeur d'emploi",
	"quote.refuser_de":              "Devis refusé par le demandeur d'emploi",
	"quote.valider":                 "Devis validé par le conseiller",
	"quote.refuser":                 "Devis refusé par le conseiller",
	"quote.a_completer":             "Compléments demandés sur le devis",
	"quote.soumettre_region":        "Devis transmis pour décision régionale",
	"quote.valider_region":          "Devis validé (décision régionale)",
	"quote.refuser_region":          "Devis refusé (décision régionale)",
	"quote.a_completer_region":      "Compléments demandés sur le devis (décision régionale)",
	"quote.annuler":                 "Devis annulé par l'organisme",
	"quote.expirer":                 "Devis expiré",
	"quote.reviser":                 "Devis repris en brouillon",
	"user.create":                   "Compte utilisateur créé",
	"user.invite":                   "Utilisateur invité",
	"user.activate":                 "Compte activé",
	"user.habilitations":            "Habilitations modifiées",
	"user.enable":                   "Compte réactivé",
	"user.disable":                  "Compte désactivé",
	"user.invitation_resent":        "Lien d'activation renvoyé",
	"user.password_reset_requested": "Réinitialisation du mot de passe demandée",
	"user.password_reset":           "Mot de passe réinitialisé",
	"user.password_change":          "Mot de passe changé par la personne",
	"webhook.create":                "Abonnement webhook créé",
	"webhook.update":                "Abonnement webhook modifié",
	"webhook.rotate":                "Secret d'un abonnement webhook renouvelé",
	"webhook.delete":                "Abonnement webhook supprimé",
	"webhook.enable":                "Abonnement webhook réactivé",
	"webhook.disable":               "Abonnement webhook mis en pause",
	"webhook.replay":                "Rejeu d'événements demandé",
	"webhook.auto_disable":          "Abonnement webhook désactivé après des échecs répétés",

	// Questions to the Chorus Pro assistance (issue 17).
	"invoice.chorus_question_asked":          "Question posée à l'assistance Chorus Pro",
	"invoice.chorus_question_status_changed": "Suivi d'une question à l'assistance Chorus Pro (envoi, prise en charge, réponse)",
}

func init() {
	// Participation states and candidacy results of appointments
	// ("appointment.participant.present", "appointment.result.retenu").
	for _, st := range appointments.States {
		if st != "" {
			auditLabels["appointment.participant."+st] = "Participation à un rendez-vous : " + strings.ToLower(appointments.StateLabel(st))
		}
	}
	for _, r := range appointments.Results {
		if r != "" {
			auditLabels["appointment.result."+r] = "Résultat de candidature : " + strings.ToLower(appointments.ResultLabel(r))
		}
	}
}

// AuditActionLabel returns the French label of an action code.
func AuditActionLabel(code string) (string, bool) {
	l, ok := auditLabels[code]
	return l, ok
}

// auditLabel is AuditActionLabel, or the code itself for an unknown one.
func auditLabel(code string) string {
	if l, ok := auditLabels[code]; ok {
		return l
	}
	return code
}

// auditFamilies are the groups of the journal's « Action » filter.
var auditFamilies = []struct{ Prefix, Label string }{
	{"adhesion.", "Adhésions"}, {"apikey.", "Clés d'API"}, {"appointment.", "Rendez-vous"}, {"assessment.", "Bilans de formation"},
	{"attestation.", "Attestations de présence"}, {"catalogue.", "Catalogue"}, {"demandeur.", "Demandeurs d'emploi"},
	{"enrolment.", "Parcours de formation"}, {"invoice.", "Factures"}, {"organisation.", "Organisations"}, {"quote.", "Devis AIF"},
	{"user.", "Utilisateurs"}, {"webhook.", "Webhooks"},
}

// AuditOption is one option of the « Action » filter.
type AuditOption struct{ Value, Label string }

// AuditOptionGroup is an optgroup of the « Action » filter.
type AuditOptionGroup struct {
	Label, Prefix string
	Options       []AuditOption
}

func auditOptionGroups() []AuditOptionGroup {
	var out []AuditOptionGroup
	for _, f := range auditFamilies {
		g := AuditOptionGroup{Label: f.Label, Prefix: f.Prefix}
		for code, l := range auditLabels {
			if strings.HasPrefix(code, f.Prefix) {
				g.Options = append(g.Options, AuditOption{code, l})
			}
		}
		sort.Slice(g.Options, func(i, j int) bool { return g.Options[i].Label < g.Options[j].Label })
		out = append(out, g)
	}
	return out
}

// auditActionValues are the values the « Action » filter accepts.
func auditActionValues() []string {
	var out []string
	for code := range auditLabels {
		out = append(out, code)
	}
	for _, f := range auditFamilies {
		out = append(out, f.Prefix)
	}
	return out
}
