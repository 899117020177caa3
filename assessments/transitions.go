// Package assessments is the bilan de formation capability (DOMAIN §9):
// when a trainee has left his session, the OF (habilitation bilan) writes
// his assessment — result, blocks validated, skills acquired, comments,
// next steps — beside the attendance over the whole training, taken from
// the attested months (rectificatives included). Transmitted, it is read by
// the job seeker, his counsellor and France Travail's accounting, with the
// attestation de fin de formation (PDF). A correction after transmission is
// a new version with its reason; once an invoice refers to it, it can no
// longer be withdrawn. The accounting view tells, per OF, which exited
// trainees are « prêt à facturer » and what the others lack.
package assessments

import (
	"strings"
	"unicode/utf8"

	"kairos"
	"kairos/workflow"
)

// State of an assessment. None is "nothing written yet".
type State string

const (
	None      State = ""
	Brouillon State = "brouillon"
	Transmis  State = "transmis"
	Retire    State = "retire"
)

// States lists every state, None included.
var States = []State{None, Brouillon, Transmis, Retire}

var stateLabels = map[State]string{
	None:      "À rédiger",
	Brouillon: "Brouillon",
	Transmis:  "Transmis",
	Retire:    "Retiré",
}

// Label is the French label of s.
func (s State) Label() string { return stateLabels[s] }

// Badge is the DSFR badge variant of s.
func (s State) Badge() string {
	switch s {
	case Transmis:
		return "success"
	case Retire:
		return "warning"
	}
	return "new"
}

// Result of the training.
type Result string

const (
	Obtenue     Result = "obtenue"
	Partielle   Result = "partielle"
	NonObtenue  Result = "non_obtenue"
	NonPresente Result = "non_presente"
)

// Results lists the results, in the order of the form.
var Results = []Result{Obtenue, Partielle, NonObtenue, NonPresente}

var resultLabels = map[Result]string{
	Obtenue:     "Certification obtenue",
	Partielle:   "Certification obtenue en partie (blocs de compétences validés)",
	NonObtenue:  "Certification non obtenue",
	NonPresente: "Non présenté à la certification",
}

// Label is the French label of r.
func (r Result) Label() string { return resultLabels[r] }

// Action is a step of an assessment.
type Action string

const (
	ActEnregistrer Action = "enregistrer"
	ActTransmettre Action = "transmettre"
	ActCorriger    Action = "corriger"
	ActRetirer     Action = "retirer"
	ActRouvrir     Action = "rouvrir"
)

// Bounds of the texts, in characters.
const (
	MaxText   = 4000
	MaxBlocks = 2000
	MaxReason = 1000
)

// Content is what the OF writes.
type Content struct {
	Result    Result `json:"result"`
	Blocks    string `json:"blocks_validated,omitempty"` // blocks of competences validated (partielle)
	Skills    string `json:"skills"`
	Comments  string `json:"comments,omitempty"`
	NextSteps string `json:"next_steps,omitempty"`
}

func (c *Content) clean() {
	c.Result = Result(strings.TrimSpace(string(c.Result)))
	c.Blocks, c.Skills = strings.TrimSpace(c.Blocks), strings.TrimSpace(c.Skills)
	c.Comments, c.NextSteps = strings.TrimSpace(c.Comments), strings.TrimSpace(c.NextSteps)
}

// check checks the content: bounds always; completeness (a result, the
// blocks of a partial result, the skills) when complete is set (to
// transmit). It returns the field errors.
func (c Content) check(complete bool) map[string]string {
	f := map[string]string{}
	if c.Result != "" && resultLabels[c.Result] == "" {
		f["result"] = "Choisissez un résultat de la liste."
	}
	for _, x := range []struct {
		field, value string
		max          int
	}{{"blocks_validated", c.Blocks, MaxBlocks}, {"skills", c.Skills, MaxText}, {"comments", c.Comments, MaxText}, {"next_steps", c.NextSteps, MaxText}} {
		if n := utf8.RuneCountInString(x.value); n > x.max {
			f[x.field] = "Ce texte dépasse " + itoa(int64(x.max)) + " caractères (" + itoa(int64(n)) + ")."
		}
	}
	if !complete {
		return f
	}
	switch {
	case c.Result == "":
		f["result"] = "Indiquez le résultat de la formation."
	case c.Result == Partielle && c.Blocks == "" && f["blocks_validated"] == "":
		f["blocks_validated"] = "Indiquez les blocs de compétences validés."
	}
	if c.Skills == "" && f["skills"] == "" {
		f["skills"] = "Décrivez les compétences acquises : le demandeur d'emploi et son conseiller s'en servent pour la recherche d'emploi."
	}
	return f
}

// Cond is what the guards look at.
type Cond struct {
	Exited     bool // the trainee has left the session (enrolment sortie)
	Content    Content
	Changed    bool   // the content differs from the current version
	Reason     string // the reason of a correction or withdrawal
	InvoiceRef string // the invoice that refers to the assessment
}

func invalid(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return kairos.Invalid(fields)
}

func guardExited(c Cond) error {
	if !c.Exited {
		return kairos.Errorf(kairos.EConflict, "Le bilan se rédige une fois la sortie de formation déclarée.")
	}
	return nil
}

func guardSave(c Cond) error {
	if err := guardExited(c); err != nil {
		return err
	}
	return invalid(c.Content.check(false))
}

func guardTransmit(c Cond) error {
	if err := guardExited(c); err != nil {
		return err
	}
	return invalid(c.Content.check(true))
}

func guardReason(c Cond) map[string]string {
	f := map[string]string{}
	switch n := utf8.RuneCountInString(c.Reason); {
	case n == 0:
		f["reason"] = "Indiquez la raison : elle est transmise au demandeur d'emploi, à son conseiller et à France Travail."
	case n > MaxReason:
		f["reason"] = "La raison ne doit pas dépasser 1000 caractères."
	}
	return f
}

func guardCorrect(c Cond) error {
	f := c.Content.check(true)
	for k, v := range guardReason(c) {
		f[k] = v
	}
	if len(f) == 0 && !c.Changed {
		f["skills"] = "Le bilan est inchangé : une correction doit modifier au moins un élément."
	}
	return invalid(f)
}

func guardWithdraw(c Cond) error {
	if c.InvoiceRef != "" {
		return kairos.Errorf(kairos.EConflict, "Ce bilan est repris par la facture %s : il ne peut plus être retiré ; corrigez-le si besoin.", c.InvoiceRef)
	}
	return invalid(guardReason(c))
}

var ofRoles = []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}

// Transition is a row of the table.
type Transition = workflow.Transition[Action, State, Cond]

// Table is the transition table of an assessment: it drives the buttons,
// the server check, the API's allowed_actions and the tests.
var Table = workflow.Table[Action, State, Cond]{
	Subject:    "le bilan",
	StateLabel: State.Label,
	Rows: []Transition{
		{Action: ActEnregistrer, Label: "Enregistrer le brouillon", From: []State{None, Brouillon}, To: Brouillon, Roles: ofRoles, Habilitation: kairos.HabBilan,
			Guard: guardSave, Event: "Brouillon enregistré", Done: "Brouillon du bilan enregistré : il n'est visible que de votre organisme."},
		{Action: ActTransmettre, Label: "Transmettre le bilan", From: []State{None, Brouillon}, To: Transmis, Roles: ofRoles, Habilitation: kairos.HabBilan,
			Guard: guardTransmit, Event: "Bilan transmis", Done: "Bilan transmis au demandeur d'emploi, à son conseiller et à France Travail."},
		{Action: ActCorriger, Label: "Transmettre la correction", From: []State{Transmis}, To: Transmis, Roles: ofRoles, Habilitation: kairos.HabBilan,
			Guard: guardCorrect, ReasonRequired: true, Event: "Bilan corrigé", Done: "Correction transmise : une nouvelle version du bilan remplace la précédente, qui reste dans l'historique."},
		{Action: ActRetirer, Label: "Retirer le bilan", From: []State{Transmis}, To: Retire, Roles: ofRoles, Habilitation: kairos.HabBilan,
			Guard: guardWithdraw, ReasonRequired: true, Danger: true, Event: "Bilan retiré", Done: "Bilan retiré : il n'est plus transmis ; rouvrez-le pour le refaire."},
		{Action: ActRouvrir, Label: "Rouvrir le bilan", From: []State{Retire}, To: Brouillon, Roles: ofRoles, Habilitation: kairos.HabBilan,
			Guard: guardExited, Event: "Bilan rouvert", Done: "Bilan rouvert en brouillon."},
	},
}
