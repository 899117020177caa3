package web

import (
	"context"
	"strconv"
	"strings"

	"kairos/adhesion"
	"kairos/calendar"
	"kairos/store"
)

// The journal names objects as their users know them (« Inscription de
// Karim Benali — Développeur web ») rather than by type and number.

// auditObjectTypes name each object type in French.
var auditObjectTypes = map[string]string{
	"adhesion": "Adhésion", "api_key": "Clé d'API", "appointment": "Rendez-vous", "appointment_feed": "Agenda",
	"assessment": "Bilan de formation", "attestation": "Attestation de présence", "catalogue_import": "Import du catalogue",
	"demandeur": "Demandeur d'emploi", "enrolment": "Inscription", "enrolment_absence": "Absence", "enrolment_movement": "Déclaration",
	"invoice": "Facture", "organisation": "Organisation", "participant": "Participation", "quote": "Devis AIF", "session": "Session",
	"user": "Utilisateur", "webhook_subscription": "Abonnement webhook",
}

// auditNameQueries return (id, name parts…) for ids; the name is built by auditNamers.
var auditNameQueries = map[string]string{
	"user":                 "SELECT u.id, u.name, u.email FROM users u WHERE u.id IN (%s)",
	"demandeur":            "SELECT u.id, u.name, u.email FROM users u WHERE u.id IN (%s)",
	"organisation":         "SELECT o.id, o.name, '' FROM organisations o WHERE o.id IN (%s)",
	"enrolment":            "SELECT e.id, u.name, e.session_title FROM enrolments e JOIN users u ON u.id = e.demandeur_id WHERE e.id IN (%s)",
	"enrolment_absence":    "SELECT x.id, u.name, e.session_title FROM enrolment_absences x JOIN enrolments e ON e.id = x.enrolment_id JOIN users u ON u.id = e.demandeur_id WHERE x.id IN (%s)",
	"enrolment_movement":   "SELECT x.id, u.name, e.session_title FROM enrolment_movements x JOIN enrolments e ON e.id = x.enrolment_id JOIN users u ON u.id = e.demandeur_id WHERE x.id IN (%s)",
	"attestation":          "SELECT x.id, u.name, CAST(x.month AS TEXT) FROM attestations x JOIN enrolments e ON e.id = x.enrolment_id JOIN users u ON u.id = e.demandeur_id WHERE x.id IN (%s)",
	"assessment":           "SELECT x.id, u.name, e.session_title FROM assessments x JOIN enrolments e ON e.id = x.enrolment_id JOIN users u ON u.id = e.demandeur_id WHERE x.id IN (%s)",
	"quote":                "SELECT q.id, q.number, u.name FROM quotes q JOIN users u ON u.id = q.demandeur_id WHERE q.id IN (%s)",
	"invoice":              "SELECT x.id, x.number, u.name FROM invoices x JOIN enrolments e ON e.id = x.enrolment_id JOIN users u ON u.id = e.demandeur_id WHERE x.id IN (%s)",
	"appointment":          "SELECT a.id, a.title, '' FROM appointments a WHERE a.id IN (%s)",
	"participant":          "SELECT p.id, u.name, a.title FROM participants p JOIN users u ON u.id = p.demandeur_id JOIN appointments a ON a.id = p.appointment_id WHERE p.id IN (%s)",
	"adhesion":             "SELECT x.id, x.raison_sociale, x.siret FROM adhesions x WHERE x.id IN (%s)",
	"api_key":              "SELECT k.id, k.name, k.prefix FROM api_keys k WHERE k.id IN (%s)",
	"webhook_subscription": "SELECT w.id, w.url, w.description FROM webhook_subscriptions w WHERE w.id IN (%s)",
	"catalogue_import":     "SELECT c.id, c.file_name, c.source FROM catalogue_imports c WHERE c.id IN (%s)",
}

func auditName(typ string, id int64, a, b string) string {
	switch typ {
	case "user", "demandeur":
		return a
	case "organisation":
		return a
	case "enrolment":
		return "Inscription de " + a + " — " + b
	case "enrolment_absence":
		return "Absence de " + a + " — " + b
	case "enrolment_movement":
		return "Déclaration pour " + a + " — " + b
	case "attestation":
		m, _ := strconv.Atoi(b)
		return "Attestation de " + a + " " + calendar.Month(m).FrenchOf()
	case "assessment":
		return "Bilan de " + a + " — " + b
	case "quote":
		return "Devis " + a + " de " + b
	case "invoice":
		return "Facture " + a + " de " + b
	case "appointment":
		return "Rendez-vous « " + a + " »"
	case "participant":
		return "Participation de " + a + " à « " + b + " »"
	case "adhesion":
		return "Adhésion de " + a + " (" + adhesion.Reference(id) + ")"
	case "api_key":
		return "Clé d'API « " + a + " » (" + b + "…)"
	case "webhook_subscription":
		if b != "" {
			return "Webhook « " + b + " » (" + a + ")"
		}
		return "Webhook " + a
	case "catalogue_import":
		return "Import n°" + strconv.FormatInt(id, 10) + " — " + a + " (" + b + ")"
	}
	return ""
}

// auditObject is how the journal shows an entry's object.
type auditObject struct {
	Name string // as users know it
	Link string // its page for the administrator, "" when none
}

// auditObjects names the objects of entries, with one query per type.
func auditObjects(ctx context.Context, db *store.DB, entries []store.AuditEntry) map[string]auditObject {
	byType := map[string][]int64{}
	for _, e := range entries {
		if id, err := strconv.ParseInt(e.ObjectID, 10, 64); err == nil && id > 0 {
			byType[e.ObjectType] = append(byType[e.ObjectType], id)
		}
	}
	out := map[string]auditObject{}
	for typ, ids := range byType {
		q, ok := auditNameQueries[typ]
		if !ok {
			continue
		}
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		rows, err := db.Query(ctx, strings.Replace(q, "%s", strings.TrimSuffix(strings.Repeat("?,", len(ids)), ","), 1), args...)
		if err != nil {
			continue // a table of a capability not installed: the type and number are shown
		}
		for rows.Next() {
			var id int64
			var a, b string
			if rows.Scan(&id, &a, &b) != nil {
				continue
			}
			o := auditObject{Name: auditName(typ, id, a, b)}
			switch typ {
			case "user", "demandeur":
				o.Link = "/admin/utilisateurs/" + itoa(id)
			case "organisation":
				o.Link = "/admin/utilisateurs?organisation=" + itoa(id)
			}
			out[typ+":"+strconv.FormatInt(id, 10)] = o
		}
		rows.Close()
	}
	return out
}
