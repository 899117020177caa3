package web

import (
	"net/http"

	"kairos"
)

// route is one page or form endpoint and the rule it needs.
type route struct {
	pattern string
	rule    kairos.Rule
	handler http.HandlerFunc
}

// Rules used by the routes below.
var (
	public   = kairos.Rule{Public: true}
	loggedIn = kairos.Rule{}
	ofAdmin  = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin}}
	admin    = kairos.Rule{Roles: []kairos.Role{kairos.RoleAdmin}}
	ftGest   = kairos.Rule{Roles: []kairos.Role{kairos.RoleFTGestionnaire}}

	ofRDV      = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabRDV}
	demandeur  = kairos.Rule{Roles: []kairos.Role{kairos.RoleDemandeur}}
	conseiller = kairos.Rule{Roles: []kairos.Role{kairos.RoleConseiller}}
	deOrCons   = kairos.Rule{Roles: []kairos.Role{kairos.RoleDemandeur, kairos.RoleConseiller}}

	// Training path: the transition table (enrolment.Table) decides each
	// action; these rules only open the pages.
	ofCand      = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabCandidatures}
	ofStaff     = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}}
	proposers   = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleConseiller}}
	pathParties = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleConseiller, kairos.RoleDemandeur}}

	// The developers' page: every organisation's staff (not job seekers).
	developers = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleConseiller, kairos.RoleFTGestionnaire, kairos.RoleFTComptable, kairos.RoleCarif, kairos.RoleAdmin}}
)

// routeTable declares every route of the portal, in one place, with what it
// needs. guard checks the rule before the handler runs; handlers that load
// an organisation's object also check it belongs to the caller (not found
// otherwise).
func (s *Server) routeTable() []route {
	rs := []route{
		{"GET /{$}", public, s.landing},
		{"GET /connexion", public, s.loginForm},
		{"POST /connexion", public, s.login},
		{"POST /deconnexion", loggedIn, s.logout},
		{"GET /mot-de-passe/oublie", public, s.forgotForm},
		{"POST /mot-de-passe/oublie", public, s.forgot},
		{"GET /mot-de-passe/nouveau", public, s.setPasswordForm},
		{"POST /mot-de-passe/nouveau", public, s.setPassword},

		{"GET /accueil", loggedIn, s.home},
		{"GET /compte", loggedIn, s.myAccount},
		{"POST /compte/mot-de-passe", loggedIn, s.changePassword},

		{"GET /organisme/utilisateurs", ofAdmin, s.orgUsers},
		{"GET /organisme/utilisateurs/export.csv", ofAdmin, s.orgUsersExport},
		{"GET /organisme/utilisateurs/inviter", ofAdmin, s.inviteForm},
		{"POST /organisme/utilisateurs", ofAdmin, s.invite},
		{"GET /organisme/utilisateurs/{id}", ofAdmin, s.orgUser},
		{"POST /organisme/utilisateurs/{id}/habilitations", ofAdmin, s.setHabilitations},
		{"POST /organisme/utilisateurs/{id}/statut", ofAdmin, s.setUserStatus},
		{"POST /organisme/utilisateurs/{id}/invitation", ofAdmin, s.resendInvitation},
		{"GET /organisme/cles-api", ofAdmin, s.apiKeys},
		{"POST /organisme/cles-api", ofAdmin, s.createAPIKey},
		{"POST /organisme/cles-api/{id}/revocation", ofAdmin, s.revokeAPIKey},

		{"GET /adherer", public, s.adhesionPage},
		{"POST /adherer", public, s.submitAdhesion},
		{"GET /adherer/envoyee", public, s.adhesionSent},
		{"GET /mon-organisme", ofAdmin, s.myOrganisation},
		{"POST /mon-organisme/resiliation", ofAdmin, s.resignAdhesion},
		{"GET /mon-organisme/qualiopi", ofAdmin, s.qualiopiForm},
		{"POST /mon-organisme/qualiopi", ofAdmin, s.renewQualiopi},
		{"GET /mon-organisme/facturation", ofAdmin, s.billingForm},
		{"POST /mon-organisme/facturation", ofAdmin, s.saveBilling},
		{"GET /adhesions", ftGest, s.adhesionQueue},
		{"GET /adhesions/export.csv", ftGest, s.adhesionsExport},
		{"GET /adhesions/{id}", ftGest, s.adhesionDetail},
		{"POST /adhesions/{id}/decision", ftGest, s.adhesionDecide},
		{"GET /catalogue", catalogueReaders, s.catalogueSearch},
		{"GET /catalogue/sessions/{id}", catalogueReaders, s.catalogueSession},
		{"GET /catalogue/export.xml", catalogueReaders, s.catalogueExport},
		{"GET /catalogue/imports", catalogueCarif, s.catalogueImports},
		{"POST /catalogue/imports", catalogueCarif, s.catalogueUpload},
		{"GET /catalogue/imports/{id}", catalogueCarif, s.catalogueImport},
		{"GET /catalogue/imports/{id}/rapport.csv", catalogueCarif, s.catalogueImportCSV},
		{"GET /organisme/offre", catalogueOF, s.myOffer},

		{"GET /admin/journal", admin, s.auditLog},
		{"GET /admin/journal/export.csv", admin, s.auditExport},
		{"GET /admin/utilisateurs", admin, s.adminUsers},
		{"GET /admin/utilisateurs/export.csv", admin, s.adminUsersExport},
		{"GET /admin/utilisateurs/{id}", admin, s.adminUser},
		{"GET /admin/utilisateurs/{id}/confirmation", admin, s.adminUserConfirm},
		{"POST /admin/utilisateurs/{id}/statut", admin, s.adminUserStatus},
		{"POST /admin/utilisateurs/{id}/invitation", admin, s.adminUserInvite},

		{"GET /healthz", public, s.healthz},
		{"GET /etat-du-service", public, s.serviceStatus},
		{"GET /accessibilite", public, s.accessibilityPage},
		{"GET /mentions-legales", public, s.legalNotice},
		{"GET /donnees-personnelles", public, s.privacyPage},
		{"GET /conditions-utilisation", public, s.termsPage},
		{"GET /metrics", public, s.metrics},
		{"GET /static/", public, s.static},
	}
	if s.Appointments != nil {
		rs = append(rs,
			// OF (habilitation rdv): appointments, attendance, calendar, feed.
			route{"GET /rendez-vous", ofRDV, s.rdvList},
			route{"GET /rendez-vous/export.csv", ofRDV, s.rdvExport},
			route{"GET /rendez-vous/nouveau", ofRDV, s.rdvNewForm},
			route{"POST /rendez-vous", ofRDV, s.rdvCreate},
			route{"GET /rendez-vous/a-completer", ofRDV, s.rdvToComplete},
			route{"GET /rendez-vous/calendrier", ofRDV, s.rdvCalendar},
			route{"GET /rendez-vous/abonnement", ofRDV, s.rdvFeedPage},
			route{"POST /rendez-vous/abonnement", ofRDV, s.rdvFeedRegenerate},
			route{"GET /rendez-vous/{id}", ofRDV, s.rdvShow},
			route{"GET /rendez-vous/{id}/modifier", ofRDV, s.rdvEditForm},
			route{"POST /rendez-vous/{id}", ofRDV, s.rdvUpdate},
			route{"POST /rendez-vous/{id}/annulation", ofRDV, s.rdvCancel},
			route{"POST /rendez-vous/{id}/presences", ofRDV, s.rdvRecord},
			route{"GET /rendez-vous/{id}/dupliquer", ofRDV, s.rdvDuplicateForm},
			route{"GET /rendez-vous/{id}/emargement.pdf", ofRDV, s.rdvSignInSheet},
			// The OF's calendar feed, at a secret address.
			route{"GET /agenda/{token}", public, s.rdvFeed},
			// Job seekers and counsellors.
			route{"GET /mes-rendez-vous", demandeur, s.rdvMine},
			route{"GET /conseiller/rendez-vous", conseiller, s.rdvCounsellor},
			route{"GET /rendez-vous-proposes/{id}", deOrCons, s.rdvPublic},
			route{"POST /rendez-vous-proposes/{id}/inscription", deOrCons, s.rdvRegister},
			route{"POST /participations/{id}/desinscription", deOrCons, s.rdvUnregister},
		)
	}
	if s.Enrolment != nil {
		rs = append(rs,
			// Training path (issue 6): OF (habilitation candidatures), counsellors, job seekers.
			route{"GET /tableau-de-bord", ofCand, s.dashboard},
			route{"POST /tableau-de-bord/entrees", ofCand, s.dashboardBulkEntry},
			route{"GET /parcours/proposer", proposers, s.enrolmentProposeForm},
			route{"POST /parcours/inscriptions", proposers, s.enrolmentPropose},
			route{"GET /parcours/inscriptions/{id}", pathParties, s.enrolmentShow},
			route{"POST /parcours/inscriptions/{id}/actions", pathParties, s.enrolmentAction},
			route{"POST /parcours/inscriptions/{id}/absences", ofStaff, s.enrolmentAbsence},
			route{"POST /parcours/absences/{id}/correction", ofStaff, s.absenceCorrect},
			route{"POST /parcours/absences/{id}/retrait", ofStaff, s.absenceWithdraw},
			route{"GET /parcours/inscriptions/{id}/documents/{doc}", pathParties, s.enrolmentDocument},
			route{"POST /parcours/declarations/{id}/correction", ofCand, s.movementCorrect},
			route{"GET /parcours/justificatifs/{id}", pathParties, s.justificatif},
			route{"GET /conseiller/portefeuille", conseiller, s.portfolio},
			route{"GET /conseiller/portefeuille/export.csv", conseiller, s.portfolioExport},
			route{"GET /mon-parcours", demandeur, s.myPath},
			route{"GET /ponctualite", ftGest, s.punctuality},
			route{"GET /stagiaires", ofStaff, s.roster},
			route{"GET /stagiaires/export.csv", ofStaff, s.rosterExport},
			route{"GET /ponctualite/export.csv", ftGest, s.punctualityExport},
			route{"GET /ponctualite/organismes/{id}", ftGest, s.punctualityOF},
			route{"GET /ponctualite/organismes/{id}/export.csv", ftGest, s.punctualityOFExport},
		)
	}
	if s.Attestations != nil {
		rs = append(rs,
			// Monthly attendance attestations (issue 7): OF (habilitation assiduite), France Travail.
			route{"GET /attestations", ofAssid, s.attestationsPage},
			route{"POST /attestations/session", ofAssid, s.attestSession},
			route{"POST /attestations/sessions/{id}/rythme", ofAssid, s.attestationSchedule},
			route{"GET /attestations/sessions/{id}/emargement.pdf", ofAssid, s.attestationSignInSheet},
			route{"GET /attestations/{id}", ofAssid, s.attestationShow},
			route{"POST /attestations/{id}/rectificative", ofAssid, s.attestationRectify},
			route{"GET /france-travail/attestations", ftPay, s.attestationsFollow},
			route{"GET /france-travail/attestations/export.csv", ftPay, s.attestationsExport},
			route{"GET /france-travail/attestations/manquantes", ftPay, s.attestationsMissing},
			route{"GET /france-travail/attestations/manquantes/export.csv", ftPay, s.attestationsMissingExport},
			route{"POST /france-travail/attestations/relances", ftPay, s.attestationsRemind},
		)
	}
	if s.Webhooks != nil {
		rs = append(rs,
			// Webhooks (issue 15): the OF's account manager.
			route{"GET /organisme/webhooks", ofAdmin, s.webhooksPage},
			route{"POST /organisme/webhooks", ofAdmin, s.webhookCreate},
			route{"GET /organisme/webhooks/{id}", ofAdmin, s.webhookShow},
			route{"POST /organisme/webhooks/{id}", ofAdmin, s.webhookUpdate},
			route{"POST /organisme/webhooks/{id}/secret", ofAdmin, s.webhookRotate},
			route{"POST /organisme/webhooks/{id}/etat", ofAdmin, s.webhookSetState},
			route{"POST /organisme/webhooks/{id}/suppression", ofAdmin, s.webhookDelete},
			route{"POST /organisme/webhooks/{id}/rejeu", ofAdmin, s.webhookReplay},
			// The developers' page (the API, its events and their signatures).
			route{"GET /developpeurs", developers, s.developers},
			// Live pages: what changed for the user's organisation (server-sent events).
			route{"GET /evenements/flux", loggedIn, s.liveStream},
		)
	}
	if s.Assessments != nil {
		rs = append(rs,
			// Bilans de formation (issue 13): the OF (habilitation bilan writes),
			// the job seeker, his counsellor and France Travail read.
			route{"GET /bilans", ofBilan, s.assessmentsList},
			route{"GET /bilans/export.csv", ofBilan, s.assessmentsExport},
			route{"GET /bilans/inscriptions/{id}", pathReaders, s.assessmentShow},
			route{"POST /bilans/inscriptions/{id}", ofBilan, s.assessmentAction},
			route{"GET /bilans/inscriptions/{id}/attestation-fin-formation.pdf", pathReaders, s.assessmentCertificate},
			route{"GET /france-travail/bilans", ftPay, s.assessmentsAccounting},
		)
	}
	if s.Issuer != nil {
		rs = append(rs,
			// Invoices to France Travail (issue 14): the OF (habilitation
			// facturation) prepares, issues and cancels; France Travail reads.
			route{"GET /factures", ofFacturation, s.invoicesPage},
			route{"GET /factures/export.csv", ofFacturation, s.invoicesExport},
			route{"GET /factures/inscriptions/{id}", ofFacturation, s.invoiceDraft},
			route{"POST /factures/inscriptions/{id}", ofFacturation, s.invoiceIssue},
			route{"GET /factures/documents/{id}", invoiceReaders, s.invoiceShow},
			route{"GET /factures/documents/{id}/{doc}", invoiceReaders, s.invoiceDocument},
			route{"POST /factures/documents/{id}/avoir", ofFacturation, s.invoiceCreditNote},
			route{"GET /france-travail/factures", ftPay, s.invoicesFT},
			route{"GET /france-travail/factures/export.csv", ftPay, s.invoicesExport},
			// Chorus Pro follow-up (issue 17).
			route{"POST /factures/documents/{id}/chorus/recycler", ofFacturation, s.invoiceChorusAction("recycler")},
			route{"POST /factures/documents/{id}/chorus/completer", ofFacturation, s.invoiceChorusAction("completer")},
			route{"POST /factures/documents/{id}/chorus/actualiser", invoiceReaders, s.invoiceChorusAction("actualiser")},
			route{"POST /factures/documents/{id}/chorus/questions", ofFacturation, s.invoiceAsk},
			route{"GET /admin/chorus", admin, s.adminChorus},
		)
	}
	if s.Quotes != nil {
		rs = append(rs,
			// AIF quotes (issue 12): quotes.Workflow decides each step; these rules open the pages.
			route{"GET /devis", ofDevis, s.devisOF},
			route{"GET /devis/export.csv", ofDevis, s.devisExport},
			route{"GET /devis/nouveau", ofDevis, s.devisNewForm},
			route{"POST /devis", ofDevis, s.devisCreate},
			route{"GET /devis/{id}", quoteParties, s.devisShow},
			route{"GET /devis/{id}/modifier", ofDevis, s.devisEditForm},
			route{"POST /devis/{id}", ofDevis, s.devisUpdate},
			route{"POST /devis/{id}/actions", quoteParties, s.devisAction},
			route{"GET /devis/{id}/devis.pdf", quoteParties, s.devisPDF},
			route{"GET /conseiller/devis", conseiller, s.devisCounsellor},
			route{"GET /france-travail/devis", ftGest, s.devisRegion},
			route{"GET /mes-devis", demandeur, s.devisMine},
			route{"GET /mes-devis/{id}", demandeur, s.devisShow},
			route{"POST /mes-devis/{id}/actions", demandeur, s.devisAction},
			route{"GET /mes-devis/{id}/devis.pdf", demandeur, s.devisPDF},
		)
	}
	if s.Cfg.DevMailbox() {
		rs = append(rs,
			route{"GET /dev/courriels", public, s.mailbox},
			route{"GET /dev/courriels/{id}", public, s.mailboxMessage},
			route{"GET /dev/courriels/{id}/pieces-jointes/{n}", public, s.mailboxAttachment},
		)
	}
	rs = append(rs, route{"/", public, s.notFound})
	return rs
}

// Routes returns the patterns of every route, for tests and docs.
func (s *Server) Routes() []string {
	out := make([]string, len(s.routes))
	for i, r := range s.routes {
		out[i] = r.pattern
	}
	return out
}

// RouteRules returns the rule of every route, by pattern (for the route ×
// role × tenant matrix test).
func (s *Server) RouteRules() map[string]kairos.Rule {
	out := make(map[string]kairos.Rule, len(s.routes))
	for _, r := range s.routes {
		out[r.pattern] = r.rule
	}
	return out
}
