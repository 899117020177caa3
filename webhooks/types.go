// Package webhooks is the real-time exchange of Kairos (DOMAIN §11): every
// state change recorded in the outbox (store.Tx.Record) whose action is a
// public event type is dispatched, in order, to the organisations that may
// see its object (its audience); each organisation reads them as a change
// feed and receives them on its webhook subscriptions, signed after the
// Standard Webhooks specification, at least once, in order per object.
package webhooks

import (
	"sort"
	"strings"
)

// EventType is a public, versioned event type. Its name is the outbox
// action followed by the version of its payload ("enrolment.entrer.v1"); a
// change of a payload's shape gets a new version, the old one is kept.
type EventType struct {
	Name       string `json:"name"`
	Action     string `json:"-"`           // outbox action (store.Change.Action)
	ObjectType string `json:"object_type"` // the object the event names
	Family     string `json:"family"`      // French group label
	Label      string `json:"label"`       // French description
	Schema     string `json:"schema"`      // OpenAPI component of data ("" : free object)
	Audience   string `json:"audience"`    // who receives it, in French
}

// Version is the payload version of the current event types.
const Version = "v1"

const (
	audOF         = "l'organisme de formation"
	audOFAgence   = "l'organisme de formation et l'agence France Travail du demandeur"
	audOFFT       = "l'organisme de formation et les services France Travail de la région (et nationaux)"
	audCarif      = "le Carif-Oref qui a déposé l'import"
	audOFAgenceFT = "l'organisme de formation, l'agence France Travail du demandeur et les services France Travail de la région (et nationaux)"
	audQuote      = "l'organisme de formation, l'agence France Travail du demandeur et la direction régionale France Travail (et les services nationaux) qui instruisent les devis"
)

// Types is the catalogue of public event types. An outbox action that is not
// listed here (API keys, passwords, reminders…) is never published.
var Types = buildTypes()

var byAction map[string]*EventType
var byName map[string]*EventType

func buildTypes() []EventType {
	var out []EventType
	add := func(action, object, family, label, schema, audience string) {
		out = append(out, EventType{Name: action + "." + Version, Action: action, ObjectType: object, Family: family, Label: label, Schema: schema, Audience: audience})
	}
	const rdv, part, path, att, adh, cat = "Rendez-vous", "Participants aux rendez-vous", "Parcours de formation", "Attestations de présence", "Adhésion", "Catalogue"
	add("appointment.create", "appointment", rdv, "Rendez-vous créé", "Appointment", audOF)
	add("appointment.update", "appointment", rdv, "Rendez-vous modifié", "Appointment", audOF)
	add("appointment.cancel", "appointment", rdv, "Rendez-vous annulé", "Appointment", audOF)
	add("appointment.register", "participant", part, "Demandeur inscrit à un rendez-vous", "Participant", audOFAgence)
	add("appointment.waitlist", "participant", part, "Demandeur placé en liste d'attente", "Participant", audOFAgence)
	add("appointment.promote", "participant", part, "Demandeur passé de la liste d'attente aux inscrits", "Participant", audOFAgence)
	for _, st := range []struct{ s, l string }{{"present", "présent"}, {"excuse", "excusé"}, {"absent", "absent"}, {"annule", "annulé"}, {"desinscrit", "désinscrit"}} {
		add("appointment.participant."+st.s, "participant", part, "Participant déclaré "+st.l, "Participant", audOFAgence)
	}
	for _, r := range []struct{ s, l string }{{"retenu", "retenu"}, {"non_retenu", "non retenu"}, {"liste_attente", "en liste d'attente"}, {"desistement", "désisté"}, {"reoriente", "réorienté"}} {
		add("appointment.result."+r.s, "participant", part, "Résultat : candidat "+r.l, "Participant", audOFAgence)
	}
	for _, a := range []struct{ s, l string }{
		{"propose", "Inscription proposée"}, {"inscrire", "Inscription confirmée (AIS)"}, {"refuser", "Proposition refusée"},
		{"annuler", "Inscription annulée"}, {"entrer", "Entrée en formation déclarée (AES)"}, {"interrompre", "Interruption déclarée"},
		{"reprendre", "Reprise déclarée"}, {"sortir", "Sortie de formation déclarée"}, {"obsolete", "Proposition devenue sans objet"},
	} {
		add("enrolment."+a.s, "enrolment", path, a.l, "Enrolment", audOFAgence)
	}
	add("enrolment.absence", "enrolment", path, "Absence déclarée (data : l'absence)", "Absence", audOFAgence)
	add("enrolment.absence_correct", "enrolment_absence", path, "Absence corrigée (data : l'absence corrigée et le commentaire)", "AbsenceCorrection", audOFAgence)
	add("enrolment.absence_withdraw", "enrolment_absence", path, "Absence retirée (data : date du retrait et commentaire)", "AbsenceWithdrawal", audOFAgence)
	add("enrolment.correct", "enrolment_movement", path, "Date d'un mouvement corrigée", "MovementCorrection", audOFAgence)
	add("attestation.attest", "attestation", att, "Attestation mensuelle attestée", "AttestationChange", audOFFT)
	add("attestation.rectify", "attestation", att, "Attestation rectificative", "AttestationChange", audOFFT)
	add("attestation.transmit", "attestation", att, "Attestation transmise à France Travail", "AttestationChange", audOFFT)
	add("adhesion.submit", "adhesion", adh, "Demande d'adhésion déposée", "Adhesion", audOFFT)
	for _, a := range []struct{ s, l string }{{"instruire", "Adhésion mise en instruction"}, {"valider", "Adhésion validée"}, {"refuser", "Adhésion refusée"},
		{"suspendre", "Adhésion suspendue"}, {"reactiver", "Adhésion réactivée"}, {"resilier", "Adhésion résiliée"}} {
		add("adhesion."+a.s, "adhesion", adh, a.l, "Adhesion", audOFFT)
	}
	add("adhesion.qualiopi", "adhesion", adh, "Certificat Qualiopi renouvelé", "Certificate", audOFFT)
	add("catalogue.import", "catalogue_import", cat, "Import LHÉO terminé", "ImportResult", audCarif)
	// Bilans de formation (the drafts stay the OF's: « enregistrer » is not published).
	const bil, fac = "Bilans de formation", "Factures"
	for _, a := range []struct{ s, l string }{{"transmettre", "Bilan de formation transmis"}, {"corriger", "Bilan de formation corrigé (nouvelle version)"},
		{"retirer", "Bilan de formation retiré"}, {"rouvrir", "Bilan de formation rouvert"}} {
		add("assessment."+a.s, "assessment", bil, a.l, "AssessmentChange", audOFAgenceFT)
	}
	add("invoice.issue", "invoice", fac, "Facture émise à France Travail", "", audOFFT)
	add("invoice.credit_note", "invoice", fac, "Avoir émis : la facture est annulée", "", audOFFT)
	add("invoice.chorus_status_changed", "invoice", fac, "Nouvel état de la facture sur Chorus Pro (data : état, libellé, date, commentaire)", "", audOFFT)
	add("invoice.chorus_question_asked", "invoice", fac, "Question posée à l'assistance Chorus Pro sur la facture (data : question_id, catégorie, objet, message)", "", audOFFT)
	add("invoice.chorus_question_status_changed", "invoice", fac, "Suivi d'une question à l'assistance Chorus Pro (data : question_id, état, libellé, réponse)", "", audOFFT)
	// Devis AIF (issue 12): every step of quotes.Workflow, with the quote after it.
	const dev = "Devis AIF"
	add("quote.create", "quote", dev, "Devis créé (brouillon de l'organisme)", "Quote", audQuote)
	add("quote.update", "quote", dev, "Devis modifié par l'organisme", "Quote", audQuote)
	for _, a := range []struct{ s, l string }{
		{"transmettre", "Devis transmis au demandeur d'emploi"}, {"accepter", "Devis accepté par le demandeur d'emploi"},
		{"refuser_de", "Devis refusé par le demandeur d'emploi"}, {"reviser", "Devis repris en brouillon par l'organisme"},
		{"valider", "Devis validé par l'agence : AIF accordée (le parcours est confirmé)"}, {"soumettre_region", "Devis transmis à la décision régionale (au-delà du seuil)"},
		{"refuser", "Devis refusé par l'agence"}, {"a_completer", "Compléments demandés par l'agence"},
		{"valider_region", "Devis validé par la direction régionale : AIF accordée"}, {"refuser_region", "Devis refusé par la direction régionale"},
		{"a_completer_region", "Compléments demandés par la direction régionale"}, {"annuler", "Devis annulé par l'organisme"},
		{"expirer", "Devis expiré : la session a commencé sans décision"},
	} {
		add("quote."+a.s, "quote", dev, a.l, "Quote", audQuote)
	}
	add("enrolment.devis_valide", "enrolment", path, "Inscription confirmée par la validation d'un devis AIF (AIS)", "Enrolment", audOFAgence)
	byAction = map[string]*EventType{}
	byName = map[string]*EventType{}
	for i := range out {
		byAction[out[i].Action] = &out[i]
		byName[out[i].Name] = &out[i]
	}
	return out
}

// TypeOfAction returns the public type of an outbox action, if it has one.
func TypeOfAction(action string) (*EventType, bool) {
	t, ok := byAction[action]
	return t, ok
}

// TypeNamed returns the public type called name.
func TypeNamed(name string) (*EventType, bool) {
	t, ok := byName[name]
	return t, ok
}

// Families groups the types by family, in catalogue order.
func Families() []Family {
	var out []Family
	idx := map[string]int{}
	for _, t := range Types {
		i, ok := idx[t.Family]
		if !ok {
			i = len(out)
			idx[t.Family] = i
			out = append(out, Family{Label: t.Family})
		}
		out[i].Types = append(out[i].Types, t)
	}
	return out
}

// Family is a group of event types, for the subscription form.
type Family struct {
	Label string
	Types []EventType
}

// normTypes validates a list of type names ("*" alone: every type) and
// returns it sorted and deduplicated.
func normTypes(in []string) ([]string, string) {
	seen := map[string]bool{}
	var out []string
	for _, n := range in {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		if n == "*" {
			return []string{"*"}, ""
		}
		if _, ok := byName[n]; !ok {
			if len(n) > 80 {
				n = n[:80] + "…"
			}
			return nil, "Type d'événement inconnu : « " + n + " » (voir GET /api/v1/event-types)."
		}
		seen[n] = true
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, "Choisissez au moins un type d'événement (ou « * » pour tous)."
	}
	sort.Strings(out)
	return out, ""
}
