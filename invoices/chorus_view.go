package invoices

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"kairos"
	"kairos/chorus"
	"kairos/store"
	"kairos/workflow"
)

// ChorusLabel is the French label of a Chorus Pro state ("" : the deposit
// is still to be made).
func ChorusLabel(code string) string {
	if l, ok := chorusLabels[code]; ok {
		return l
	}
	return strings.ReplaceAll(strings.TrimPrefix(code, "IN_"), "_", " ")
}

// chorusStateLabel names a deposit's state: its Chorus Pro state, or why it
// has none.
func chorusStateLabel(phase, code string) string {
	switch {
	case phase == PhaseFailed:
		return "Dépôt refusé"
	case phase == PhaseDone && code == "":
		return "Non déposé (sans objet)"
	}
	return ChorusLabel(code)
}

var chorusLabels = map[string]string{
	"":                               "En attente de dépôt",
	chorus.FluxRecu:                  "Déposée sur Chorus Pro (flux reçu)",
	"IN_TRAITE_SE_CPP":               "Flux arrivé dans Chorus Pro",
	"IN_EN_ATTENTE_TRAITEMENT_CPP":   "Flux en attente de traitement",
	chorus.FluxEnTraitement:          "Flux en cours de traitement",
	"IN_EN_ATTENTE_RETRAITEMENT_CPP": "Flux bloqué, en attente de retraitement",
	"IN_INCIDENTE":                   "Flux en incident",
	chorus.FluxRejete:                "Dépôt rejeté",
	chorus.FluxIntegre:               "Intégrée dans Chorus Pro",
	chorus.FluxIntegrePartiel:        "Intégrée partiellement",
	chorus.StDeposee:                 "Déposée",
	chorus.StEnCoursAcheminement:     "En cours d'acheminement vers France Travail",
	chorus.StMiseADisposition:        "Mise à disposition de France Travail",
	"PRISE_EN_COMPTE_DESTINATAIRE":   "Prise en compte par France Travail",
	chorus.StServiceFait:             "Service fait",
	chorus.StMandatee:                "Mandatée",
	"MISE_A_DISPOSITION_COMPTABLE":   "Mise à disposition du comptable",
	"COMPTABILISEE":                  "Comptabilisée",
	chorus.StMiseEnPaiement:          "Mise en paiement",
	chorus.StARecycler:               "À recycler",
	chorus.StSuspendue:               "Suspendue",
	chorus.StCompletee:               "Complétée",
	chorus.StRejetee:                 "Rejetée par France Travail",
}

// ChorusNextStep says in plain French what happens next, or what to do.
func ChorusNextStep(phase, code string, isCredit bool) string {
	switch {
	case phase == PhaseFailed:
		return "Chorus Pro refuse le dépôt : lisez la raison ci-dessous. Corrigez-la puis annulez cette facture par un avoir et émettez-en une nouvelle."
	case phase == PhaseDone && code == "":
		return "Rien à déposer : ce document n'est pas transmis à Chorus Pro (voir la raison ci-dessous)."
	case phase == PhaseToDeposit || phase == PhaseSending && code == "":
		return "Kairos dépose le document sur Chorus Pro ; rien à faire de votre part."
	case code == chorus.FluxRejete:
		return "Chorus Pro a rejeté le dépôt : la facture n'existe pas pour France Travail. Corrigez ce qu'indique la raison ci-dessous, puis annulez cette facture par un avoir (qui ne sera pas déposé) et émettez une nouvelle facture : Kairos la déposera."
	case code == chorus.StARecycler:
		return "France Travail vous renvoie la facture pour des données d'acheminement erronées (destinataire, code service, engagement) : corrigez-les ci-dessous avec « Recycler la facture »."
	case code == chorus.StSuspendue:
		return "France Travail suspend la facture faute de pièce justificative : complétez-la ci-dessous avec « Compléter la facture » (les justificatifs déposés par Kairos lui sont joints)."
	case code == chorus.StRejetee:
		return "France Travail a rejeté la facture : elle est définitivement close sur Chorus Pro. Annulez-la par un avoir et émettez une nouvelle facture corrigée."
	case code == chorus.StMiseEnPaiement:
		return "Le paiement est émis : la facture est soldée, le suivi est terminé."
	case isCredit && (code == chorus.FluxIntegre || code == chorus.StDeposee || code == chorus.StMiseADisposition):
		return "L'avoir est transmis à France Travail ; rien à faire de votre part."
	case strings.HasPrefix(code, "IN_"):
		return "Chorus Pro traite le dépôt ; Kairos suit son intégration et vous le signale ici."
	}
	return "France Travail traite la facture (service fait, mandatement, mise en paiement) ; Kairos suit son avancement sur Chorus Pro."
}

var reLine = regexp.MustCompile(`ligne:? *(\d+)`)

// ExplainError turns a Chorus Pro error (ERR_XSD_…, ERR_FORMAT_…) into what
// to fix, in French.
func ExplainError(code, libelle string) string {
	detail := strings.TrimSpace(strings.TrimPrefix(libelle, "IRRECEVABILITE:"))
	switch {
	case strings.HasPrefix(code, "ERR_XSD"):
		where := ""
		if m := reLine.FindStringSubmatch(libelle); m != nil {
			where = " (ligne " + m[1] + " du XML)"
		}
		return "Le fichier Factur-X n'est pas conforme au schéma que Chorus Pro attend" + where + " : « " + detail + " ». " +
			"Cette erreur ne vient pas de vos données : Kairos produit ce fichier. Signalez-la à l'équipe de Kairos avec le numéro de la facture ; " +
			"une fois le fichier corrigé, annulez la facture par un avoir et émettez-en une nouvelle."
	case strings.HasPrefix(code, "ERR_FORMAT"):
		return "Le document déposé n'est pas lu comme une facture Factur-X : « " + detail + " ». Signalez-le à l'équipe de Kairos avec le numéro de la facture."
	}
	return "Erreur " + code + " : " + detail
}

// Chorus is the Chorus Pro follow-up of one document, for pages and API.
type Chorus struct {
	InvoiceID   int64             `json:"invoice_id"`
	Number      string            `json:"number"`
	Phase       string            `json:"phase"`
	State       string            `json:"state"`
	StateLabel  string            `json:"state_label"`
	NextStep    string            `json:"next_step"`
	Reason      string            `json:"reason,omitempty"`
	LastError   string            `json:"last_error,omitempty"`
	FluxNumber  string            `json:"numero_flux_depot,omitempty"`
	CPPID       int64             `json:"identifiant_facture_cpp,omitempty"`
	Deposits    int               `json:"deposits"`
	Attachments []Attachment      `json:"attachments"`
	NextAttempt *time.Time        `json:"next_attempt_at,omitempty"`
	Final       bool              `json:"final"`
	History     []ChorusEvent     `json:"history"`
	Actions     []ChorusAction    `json:"actions"`
	Allowed     []workflow.Action `json:"allowed_actions"`
	// OpenQuestions counts the questions to the assistance not answered
	// yet: « Actualiser le suivi » polls them too, even on a final state.
	OpenQuestions int `json:"open_questions"`
}

// ChorusEvent is one state of the history.
type ChorusEvent struct {
	Code    string    `json:"code"`
	Label   string    `json:"label"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
}

// ChorusAction is an action of the OF on Chorus Pro (recycler, completer).
type ChorusAction struct {
	Action  string    `json:"action"`
	Comment string    `json:"comment,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// NeedsAction reports whether Chorus Pro waits for the OF.
func (c *Chorus) NeedsAction() bool { return NeedsAction(c.State) }

// ChorusFollowup returns the follow-up of a document the actor reads (nil
// when it has none: documents issued before the deposit existed).
func (s *Issuer) ChorusFollowup(ctx context.Context, a *kairos.Actor, id int64) (*Issued, *Chorus, error) {
	x, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.followup(ctx, a, x)
	return x, c, err
}

func (s *Issuer) followup(ctx context.Context, a *kairos.Actor, x *Issued) (*Chorus, error) {
	d := &Depositor{DB: s.DB}
	r, err := d.load(ctx, s.DB, x.ID)
	if kairos.ErrorCode(err) == kairos.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c := &Chorus{InvoiceID: r.InvoiceID, Number: r.Number, Phase: r.Phase, State: r.ChorusState, StateLabel: chorusStateLabel(r.Phase, r.ChorusState),
		NextStep: ChorusNextStep(r.Phase, r.ChorusState, x.TypeCode == "381"), Reason: r.Reason, FluxNumber: r.FluxNumber, CPPID: r.CPPID, Deposits: r.Deposits,
		Final: r.Phase == PhaseDone || r.Phase == PhaseFailed, History: []ChorusEvent{}, Actions: []ChorusAction{}, Attachments: []Attachment{}}
	if r.LastError != "" && !c.Final {
		c.LastError = r.LastError
	}
	if !c.Final {
		t := r.NextAttemptAt
		c.NextAttempt = &t
	}
	if r.Attachments != "" {
		_ = json.Unmarshal([]byte(r.Attachments), &c.Attachments)
	}
	rows, err := s.DB.Query(ctx, "SELECT code, at, comment FROM chorus_history WHERE invoice_id = ? ORDER BY at, id", x.ID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e ChorusEvent
		if err := rows.Scan(&e.Code, &e.At, &e.Comment); err != nil {
			rows.Close()
			return nil, err
		}
		e.At, e.Label = e.At.UTC(), ChorusLabel(e.Code)
		c.History = append(c.History, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.DB.Query(ctx, "SELECT action, comment, actor_label, at FROM chorus_actions WHERE invoice_id = ? ORDER BY id", x.ID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e ChorusAction
		if err := rows.Scan(&e.Action, &e.Comment, &e.By, &e.At); err != nil {
			rows.Close()
			return nil, err
		}
		e.At = e.At.UTC()
		c.Actions = append(c.Actions, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM chorus_questions WHERE invoice_id = ? AND phase IN (?, ?, ?)", x.ID, QPhaseToSend, QPhaseSending, QPhaseFollow).Scan(&c.OpenQuestions); err != nil {
		return nil, err
	}
	c.Allowed = ChorusWorkflow.Actions(c.State, a, c)
	return c, rows.Err()
}

// Chorus actions of the OF.
const (
	ChorusRecycle  = "recycler"
	ChorusComplete = "completer"
	ChorusRefresh  = "actualiser"
)

// ChorusWorkflow is the table of the OF's actions on a document Chorus Pro
// holds: the same rows drive the buttons, the server check and the API.
var ChorusWorkflow = workflow.Table[string, string, *Chorus]{
	Subject:    "la facture sur Chorus Pro",
	StateLabel: ChorusLabel,
	Rows: []workflow.Transition[string, string, *Chorus]{
		{Action: ChorusRecycle, Label: "Recycler la facture", From: []string{chorus.StARecycler}, To: chorus.StDeposee,
			Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabFacturation, Done: "Facture recyclée sur Chorus Pro"},
		{Action: ChorusComplete, Label: "Compléter la facture", From: []string{chorus.StSuspendue}, To: chorus.StCompletee,
			Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabFacturation, Done: "Facture complétée sur Chorus Pro"},
		{Action: ChorusRefresh, Label: "Actualiser le suivi", From: chorusFollowed,
			Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleFTComptable, kairos.RoleFTGestionnaire}, Habilitation: kairos.HabFacturation,
			Guard: func(c *Chorus) error {
				if c.Final && c.OpenQuestions == 0 {
					return kairos.Errorf(kairos.EConflict, "Le suivi est terminé : l'état « %s » est définitif.", c.StateLabel)
				}
				return nil
			}},
	},
}

var chorusFollowed = func() []string {
	var out []string
	for k := range chorusLabels {
		out = append(out, k)
	}
	return out
}()

// RecycleForm is what the OF corrects on an invoice to recycle.
type RecycleForm struct {
	CodeDestinataire     string `json:"code_destinataire"`
	CodeServiceExecutant string `json:"code_service_executant"`
	NumeroBonCommande    string `json:"numero_bon_commande"`
	Comment              string `json:"commentaire"`
}

func checkText(fields map[string]string, key, label, v string, max int, required bool) string {
	v = strings.TrimSpace(v)
	switch n := utf8.RuneCountInString(v); {
	case n == 0 && required:
		fields[key] = "Indiquez " + label + "."
	case n > max:
		fields[key] = "Ce champ ne doit pas dépasser " + strconv.Itoa(max) + " caractères."
	}
	return v
}

// ChorusAct runs an OF action (recycler, completer, actualiser) on document
// id: checked against ChorusWorkflow, sent to Chorus Pro, recorded and
// audited; the follow-up is then refreshed.
func (d *Depositor) ChorusAct(ctx context.Context, a *kairos.Actor, id int64, action string, f RecycleForm) (*Chorus, error) {
	x, c, err := d.Issuer.ChorusFollowup(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, kairos.Errorf(kairos.EConflict, "Ce document n'est pas suivi sur Chorus Pro.")
	}
	if _, err := ChorusWorkflow.Check(action, c.State, a, c); err != nil {
		return nil, err
	}
	if action != ChorusRefresh {
		if err := kairos.OwnedBy(a, x.OrgID, "Facture"); err != nil {
			return nil, err
		}
	}
	if d.Client == nil {
		return nil, kairos.Errorf(kairos.EConflict, "Chorus Pro n'est pas configuré sur ce portail : réessayez plus tard.")
	}
	fields := map[string]string{}
	f.Comment = checkText(fields, "commentaire", "un commentaire pour France Travail", f.Comment, 500, action != ChorusRefresh)
	if action == ChorusRecycle {
		f.CodeDestinataire = checkText(fields, "code_destinataire", "le SIRET du destinataire (14 chiffres)", f.CodeDestinataire, 14, true)
		if _, ok := fields["code_destinataire"]; !ok && !regexp.MustCompile(`^[0-9]{14}$`).MatchString(f.CodeDestinataire) {
			fields["code_destinataire"] = "Le SIRET du destinataire compte 14 chiffres."
		}
		f.CodeServiceExecutant = checkText(fields, "code_service_executant", "le code service exécutant", f.CodeServiceExecutant, 100, true)
		f.NumeroBonCommande = checkText(fields, "numero_bon_commande", "", f.NumeroBonCommande, 50, false)
	}
	if len(fields) > 0 {
		return nil, kairos.Invalid(fields)
	}
	now := d.now()
	switch action {
	case ChorusRecycle:
		var q chorus.RecyclerRequest
		q.IdentifiantFactureCPP = c.CPPID
		q.Destinataire.CodeDestinataire, q.Destinataire.CodeServiceExecutant, q.Commentaire = f.CodeDestinataire, f.CodeServiceExecutant, f.Comment
		if f.NumeroBonCommande != "" {
			q.Reference = &struct {
				NumeroBonCommande string `json:"numeroBonCommande,omitempty"`
				NumeroMarche      string `json:"numeroMarche,omitempty"`
			}{NumeroBonCommande: f.NumeroBonCommande}
		}
		if _, err := d.Client.Recycler(ctx, q); err != nil {
			return nil, chorusRefusal(err)
		}
	case ChorusComplete:
		var pj []chorus.PieceJointeComplementaire
		for _, at := range c.Attachments {
			pj = append(pj, chorus.PieceJointeComplementaire{PieceJointeComplementaireDesignation: at.Name, PieceJointeComplementaireID: at.ID})
		}
		if len(pj) == 0 {
			return nil, kairos.Errorf(kairos.EConflict, "Aucun justificatif n'a été déposé avec cette facture : Chorus Pro demande au moins une pièce jointe.")
		}
		if _, err := d.Client.Completer(ctx, chorus.CompleterRequest{IdentifiantFactureCPP: c.CPPID, PieceJointeComplementaire: pj, Commentaire: f.Comment}); err != nil {
			return nil, chorusRefusal(err)
		}
	}
	err = d.DB.Tx(ctx, func(tx *store.Tx) error {
		if action != ChorusRefresh {
			if _, err := tx.Exec(ctx, "INSERT INTO chorus_actions (invoice_id, action, comment, actor_label, at) VALUES (?, ?, ?, ?, ?)", id, action, f.Comment, a.Label(), now); err != nil {
				return err
			}
			change := store.Change{Action: "invoice.chorus_recycler", OrgID: x.OrgID, ObjectType: "invoice", ObjectID: id,
				Before: map[string]any{"chorus_state": c.State}, After: f, At: now}
			if action == ChorusComplete {
				change.Action = "invoice.chorus_completer"
			}
			if err := tx.Record(ctx, change); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, "UPDATE chorus_deposits SET next_attempt_at = ?, polls = 0, updated_at = ? WHERE invoice_id = ?", now, now, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := d.Advance(ctx, id, true); err != nil {
		return nil, err
	}
	if action == ChorusRefresh {
		if err := d.advanceQuestionsOf(ctx, id); err != nil {
			return nil, err
		}
	}
	_, c, err = d.Issuer.ChorusFollowup(ctx, a, id)
	return c, err
}

func chorusRefusal(err error) error {
	var ce *chorus.Error
	if ok := asChorus(err, &ce); ok && ce.Status < 500 {
		return kairos.Errorf(kairos.EConflict, "Chorus Pro refuse : %s", ce.Libelle)
	}
	return kairos.Errorf(kairos.EConflict, "Chorus Pro ne répond pas pour le moment : réessayez dans quelques minutes.")
}

func asChorus(err error, ce **chorus.Error) bool {
	for err != nil {
		if e, ok := err.(*chorus.Error); ok {
			*ce = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// ChorusFilters are the filters of the invoice lists by Chorus Pro state.
var ChorusFilters = []struct{ Value, Label string }{
	{"", "Tous les états Chorus Pro"},
	{"en_cours", "En cours de dépôt ou de traitement"},
	{"action", "À corriger (à recycler, suspendue)"},
	{"rejet", "Rejetées"},
	{"paiement", "Mises en paiement"},
}

// chorusFilter is the SQL condition of a filter (on cd, chorus_deposits).
func chorusFilter(v string) (string, []any, error) {
	switch v {
	case "":
		return "", nil, nil
	case "en_cours":
		return " AND cd.phase IN ('a_deposer', 'envoi', 'pieces', 'suivi') AND cd.chorus_state NOT IN (?, ?)", []any{chorus.StARecycler, chorus.StSuspendue}, nil
	case "action":
		return " AND cd.chorus_state IN (?, ?)", []any{chorus.StARecycler, chorus.StSuspendue}, nil
	case "rejet":
		return " AND (cd.chorus_state IN (?, ?) OR cd.phase = 'echec')", []any{chorus.FluxRejete, chorus.StRejetee}, nil
	case "paiement":
		return " AND cd.chorus_state = ?", []any{chorus.StMiseEnPaiement}, nil
	}
	return "", nil, &kairos.Error{Code: kairos.EInvalid, Message: "Filtre inconnu : choisissez un état Chorus Pro de la liste.",
		Fields: map[string]string{"chorus": "Filtre inconnu : choisissez un état Chorus Pro de la liste."}}
}

// PhaseCount is the number of deposits in one phase (admin page).
type PhaseCount struct {
	Phase string
	Label string
	Count int
}

// FailingDeposit is a deposit whose last attempt failed (admin page).
type FailingDeposit struct {
	InvoiceID   int64
	Number      string
	OrgName     string
	Phase       string
	Attempts    int
	LastError   string
	NextAttempt time.Time
}

var phaseLabels = map[string]string{PhaseToDeposit: "À déposer", PhaseSending: "Dépôt sans réponse enregistrée (rapprochement)", PhasePieces: "Justificatifs à déposer",
	PhaseFollow: "Suivi en cours", PhaseDone: "Suivi terminé", PhaseFailed: "Dépôt refusé"}

// DepositStats counts the deposits by phase and lists the failing ones
// (platform administrators).
func DepositStats(ctx context.Context, db *store.DB) ([]PhaseCount, []FailingDeposit, error) {
	counts := map[string]int{}
	rows, err := db.Query(ctx, "SELECT phase, COUNT(*) FROM chorus_deposits GROUP BY phase")
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var p string
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			rows.Close()
			return nil, nil, err
		}
		counts[p] = n
	}
	rows.Close()
	var stats []PhaseCount
	for _, p := range []string{PhaseToDeposit, PhaseSending, PhasePieces, PhaseFollow, PhaseDone, PhaseFailed} {
		stats = append(stats, PhaseCount{p, phaseLabels[p], counts[p]})
	}
	rows, err = db.Query(ctx, `SELECT d.invoice_id, d.number, o.name, d.phase, d.attempts, d.last_error, d.next_attempt_at FROM chorus_deposits d
		JOIN organisations o ON o.id = d.org_id WHERE d.attempts > 0 OR d.phase = 'echec' ORDER BY d.updated_at DESC LIMIT 100`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var failing []FailingDeposit
	for rows.Next() {
		var f FailingDeposit
		if err := rows.Scan(&f.InvoiceID, &f.Number, &f.OrgName, &f.Phase, &f.Attempts, &f.LastError, &f.NextAttempt); err != nil {
			return nil, nil, err
		}
		f.Phase = phaseLabels[f.Phase]
		f.NextAttempt = f.NextAttempt.UTC()
		failing = append(failing, f)
	}
	return stats, failing, rows.Err()
}

// Can reports whether the reader may take action now (the page's buttons).
func (c *Chorus) Can(action string) bool {
	for _, a := range c.Allowed {
		if a.Action == action {
			return a.Allowed
		}
	}
	return false
}

// Filters lists the filters by Chorus Pro state (the lists' select).
func (c *Chorus) Filters() any { return ChorusFilters }
