package quotes

import (
	"fmt"
	"strings"
	"time"

	"kairos"
	"kairos/calendar"
	"kairos/workflow"
)

// State is the state of a quote (DOMAIN §8).
type State string

const (
	Brouillon     State = "brouillon"
	TransmisAuDE  State = "transmis_au_de"
	AccepteParDE  State = "accepte_par_de"
	RefuseParDE   State = "refuse_par_de"
	EnInstruction State = "en_instruction" // above the regional threshold: a second, regional decision
	Valide        State = "valide"
	Refuse        State = "refuse"
	ACompleter    State = "a_completer"
	Annule        State = "annule"
	Expire        State = "expire"
)

// States lists every state, in the order of the workflow.
var States = []State{Brouillon, TransmisAuDE, AccepteParDE, RefuseParDE, EnInstruction, Valide, Refuse, ACompleter, Annule, Expire}

var stateLabels = map[State]string{
	Brouillon:     "Brouillon",
	TransmisAuDE:  "Transmis au demandeur",
	AccepteParDE:  "Accepté par le demandeur",
	RefuseParDE:   "Refusé par le demandeur",
	EnInstruction: "En instruction régionale",
	Valide:        "Validé",
	Refuse:        "Refusé par France Travail",
	ACompleter:    "À compléter",
	Annule:        "Annulé",
	Expire:        "Expiré",
}

// Label returns the French label of s.
func (s State) Label() string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return string(s)
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { _, ok := stateLabels[s]; return ok }

// Badge returns the DSFR badge variant of s.
func (s State) Badge() string {
	switch s {
	case Brouillon, ACompleter:
		return "new"
	case TransmisAuDE, AccepteParDE, EnInstruction:
		return "info"
	case Valide:
		return "success"
	case Refuse, RefuseParDE:
		return "error"
	}
	return "warning"
}

// Open states hold the job seeker's place: at most one open quote of a job
// seeker on overlapping sessions. Undecided ones expire when the session starts.
var (
	Open      = []State{Brouillon, TransmisAuDE, AccepteParDE, EnInstruction, ACompleter, Valide}
	Undecided = []State{Brouillon, TransmisAuDE, AccepteParDE, RefuseParDE, EnInstruction, ACompleter}
)

// Action is a step of a quote.
type Action string

const (
	Modifier       Action = "modifier"
	Transmettre    Action = "transmettre"
	Accepter       Action = "accepter"
	RefuserDE      Action = "refuser_de"
	Reviser        Action = "reviser"
	Valider        Action = "valider"
	Soumettre      Action = "soumettre_region"
	Refuser        Action = "refuser"
	Completer      Action = "a_completer"
	ValiderRegion  Action = "valider_region"
	RefuserRegion  Action = "refuser_region"
	CompleterRegio Action = "a_completer_region"
	Annuler        Action = "annuler"
	Expirer        Action = "expirer"
)

// Threshold is the regional review threshold: a quote whose AIF is above
// AIF or whose hours are above Hours needs a second decision by the
// regional France Travail manager (ft_gestionnaire of the OF's region).
type Threshold struct {
	AIF   Cents
	Hours int64
}

// DefaultThreshold is the historical rule: AIF > 3 200 € or > 400 h.
var DefaultThreshold = Threshold{AIF: 320000, Hours: 400}

// Over reports whether q needs the regional decision, and why (French).
func (t Threshold) Over(q *Quote) (bool, string) {
	var why []string
	if q.AIF > t.AIF {
		why = append(why, "AIF de "+q.AIF.String()+" supérieure à "+t.AIF.String())
	}
	if h := q.Hours().Hours(); h > t.Hours {
		why = append(why, fmt.Sprintf("%d h de formation, plus de %d h", h, t.Hours))
	}
	return len(why) > 0, strings.Join(why, " ; ")
}

// Cond is what the guards look at; the service fills it from the database
// (CanTrade, the session's visibility, the job seeker's other quotes and
// enrolments) and the request (the reason).
type Cond struct {
	Q         *Quote
	Now       time.Time
	Reason    string    // motif of a refusal, a request for changes, a cancellation
	Trade     string    // "" when the OF may trade, else CanTrade's reason
	Hidden    string    // "" when the session is visible for prescription, else why not
	Overlap   string    // number of another open quote on an overlapping session, or ""
	Enrolled  string    // "" or why the job seeker cannot be enrolled (overlapping training)
	Tolerance int       // days after the session's start a quote may still be decided
	Threshold Threshold // the review threshold of the OF's region
}

func conflict(format string, args ...any) error {
	return kairos.Errorf(kairos.EConflict, format, args...)
}

func today(c Cond) calendar.Date { return calendar.DateOf(c.Now) }

func guardReason(c Cond) error {
	if strings.TrimSpace(c.Reason) == "" {
		return kairos.Invalid(map[string]string{"reason": "Indiquez le motif : il est transmis à l'organisme et au demandeur d'emploi."})
	}
	return nil
}

func guardTrade(c Cond) error {
	if c.Trade != "" {
		return conflict("L'organisme ne peut pas établir de devis : %s", c.Trade)
	}
	return nil
}

func guardNotStarted(c Cond) error {
	last := c.Q.SessionDebut.AddDays(c.Tolerance)
	if today(c) > last {
		if c.Tolerance > 0 {
			return conflict("La session a commencé le %s (tolérance de %d jour(s) dépassée) : le devis ne peut plus être décidé.", c.Q.SessionDebut.French(), c.Tolerance)
		}
		return conflict("La session a commencé le %s : le devis ne peut plus être décidé.", c.Q.SessionDebut.French())
	}
	return nil
}

// guardContent checks what the quote says: hours, AIF > 0, the CPF rule.
func guardContent(q *Quote) error {
	switch {
	case q.Hours() == 0:
		return kairos.Invalid(map[string]string{"hours_centre": "Indiquez le nombre d'heures de formation."})
	case q.HourlyCost == 0:
		return kairos.Invalid(map[string]string{"hourly_cost": "Indiquez le coût horaire."})
	case q.Certifying && !q.CPFDeclared():
		return kairos.Invalid(map[string]string{"cofunding": "Formation certifiante : déclarez le montant du CPF mobilisé par le demandeur (0 € s'il n'a pas de droits)."})
	case q.Certifying && q.CPF() >= q.Total:
		return kairos.Invalid(map[string]string{"cofunding": "Formation certifiante entièrement finançable par le CPF du demandeur (" + q.CPF().String() + " pour un coût de " + q.Total.String() + ") : elle ne relève pas de l'AIF."})
	case q.Cofunding >= q.Total:
		return kairos.Invalid(map[string]string{"cofunding": "Le cofinancement (" + q.Cofunding.String() + ") couvre déjà le coût total (" + q.Total.String() + ") : aucune AIF n'est due."})
	}
	return nil
}

func guardTransmit(c Cond) error {
	if err := guardTrade(c); err != nil {
		return err
	}
	if c.Hidden != "" {
		return conflict("La session n'est pas visible pour la prescription : %s", c.Hidden)
	}
	if err := guardNotStarted(c); err != nil {
		return err
	}
	if c.Overlap != "" {
		return conflict("Le demandeur d'emploi a déjà un devis en cours (n° %s) sur une session dont les dates chevauchent celle-ci.", c.Overlap)
	}
	return guardContent(c.Q)
}

func guardAccept(c Cond) error { return guardNotStarted(c) }

func guardRefuseDE(c Cond) error { return guardReason(c) }

func guardDecide(c Cond) error {
	if err := guardTrade(c); err != nil {
		return err
	}
	if err := guardNotStarted(c); err != nil {
		return err
	}
	if c.Enrolled != "" {
		return conflict("%s", c.Enrolled)
	}
	return nil
}

func guardValidate(c Cond) error {
	if over, why := c.Threshold.Over(c.Q); over {
		return conflict("Au-delà du seuil régional (%s) : le devis demande la décision du gestionnaire régional (« Valider et transmettre au régional »).", why)
	}
	return guardDecide(c)
}

func guardSubmit(c Cond) error {
	if over, _ := c.Threshold.Over(c.Q); !over {
		return conflict("Le devis est sous le seuil régional (AIF ≤ %s et ≤ %d h) : validez-le directement.", c.Threshold.AIF.String(), c.Threshold.Hours)
	}
	return guardDecide(c)
}

func guardExpire(c Cond) error {
	if today(c) <= c.Q.SessionDebut.AddDays(c.Tolerance) {
		return conflict("La session n'a pas commencé : le devis n'expire que le %s.", c.Q.SessionDebut.AddDays(c.Tolerance+1).French())
	}
	return nil
}

var (
	ofRoles    = []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}
	deRoles    = []kairos.Role{kairos.RoleDemandeur}
	counsellor = []kairos.Role{kairos.RoleConseiller}
	manager    = []kairos.Role{kairos.RoleFTGestionnaire}
	system     = []kairos.Role{kairos.RoleAdmin}
)

// Transition is one row of the quote's table (workflow.Transition).
type Transition = workflow.Transition[Action, State, Cond]

// Transitions is the transition table of a quote. « modifier » keeps the
// state (To is empty): the OF edits a draft or a quote to complete.
var Transitions = []Transition{
	{Action: Modifier, Label: "Modifier le devis", From: []State{Brouillon, ACompleter}, Roles: ofRoles, Habilitation: kairos.HabDevis,
		Done: "Devis enregistré.", Event: "Devis modifié"},
	{Action: Transmettre, Label: "Transmettre au demandeur d'emploi", From: []State{Brouillon, ACompleter}, To: TransmisAuDE, Roles: ofRoles, Habilitation: kairos.HabDevis, Guard: guardTransmit,
		Done: "Devis transmis : le demandeur d'emploi peut l'accepter dans son espace.", Event: "Devis transmis au demandeur d'emploi"},
	{Action: Accepter, Label: "Accepter le devis", From: []State{TransmisAuDE}, To: AccepteParDE, Roles: deRoles, Guard: guardAccept,
		Done: "Vous avez accepté le devis : votre conseiller France Travail va l'examiner.", Event: "Devis accepté par le demandeur d'emploi"},
	{Action: RefuserDE, Label: "Refuser le devis", From: []State{TransmisAuDE}, To: RefuseParDE, Roles: deRoles, Guard: guardRefuseDE, ReasonRequired: true, Danger: true,
		Done: "Vous avez refusé le devis : l'organisme de formation a reçu votre motif.", Event: "Devis refusé par le demandeur d'emploi"},
	{Action: Reviser, Label: "Reprendre le devis en brouillon", From: []State{RefuseParDE}, To: Brouillon, Roles: ofRoles, Habilitation: kairos.HabDevis,
		Done: "Le devis est de nouveau un brouillon : modifiez-le puis transmettez-le.", Event: "Devis repris en brouillon"},
	{Action: Valider, Label: "Valider le devis", From: []State{AccepteParDE}, To: Valide, Roles: counsellor, Guard: guardValidate,
		Done: "Devis validé : l'inscription (AIS) est confirmée sur le parcours du demandeur.", Event: "Devis validé par le conseiller"},
	{Action: Soumettre, Label: "Valider et transmettre au régional", From: []State{AccepteParDE}, To: EnInstruction, Roles: counsellor, Guard: guardSubmit,
		Done: "Avis favorable enregistré : le devis, au-delà du seuil régional, attend la décision du gestionnaire régional.", Event: "Avis favorable du conseiller, transmis au régional"},
	{Action: Refuser, Label: "Refuser le devis", From: []State{AccepteParDE}, To: Refuse, Roles: counsellor, Guard: guardReason, ReasonRequired: true, Danger: true,
		Done: "Devis refusé : l'organisme et le demandeur d'emploi ont reçu le motif.", Event: "Devis refusé par le conseiller"},
	{Action: Completer, Label: "Demander des compléments", From: []State{AccepteParDE}, To: ACompleter, Roles: counsellor, Guard: guardReason, ReasonRequired: true,
		Done: "Demande de compléments envoyée à l'organisme et au demandeur d'emploi.", Event: "Compléments demandés par le conseiller"},
	{Action: ValiderRegion, Label: "Valider le devis (décision régionale)", From: []State{EnInstruction}, To: Valide, Roles: manager, Guard: guardDecide,
		Done: "Devis validé : l'inscription (AIS) est confirmée sur le parcours du demandeur.", Event: "Devis validé par le gestionnaire régional"},
	{Action: RefuserRegion, Label: "Refuser le devis (décision régionale)", From: []State{EnInstruction}, To: Refuse, Roles: manager, Guard: guardReason, ReasonRequired: true, Danger: true,
		Done: "Devis refusé : l'organisme et le demandeur d'emploi ont reçu le motif.", Event: "Devis refusé par le gestionnaire régional"},
	{Action: CompleterRegio, Label: "Demander des compléments (décision régionale)", From: []State{EnInstruction}, To: ACompleter, Roles: manager, Guard: guardReason, ReasonRequired: true,
		Done: "Demande de compléments envoyée à l'organisme et au demandeur d'emploi.", Event: "Compléments demandés par le gestionnaire régional"},
	{Action: Annuler, Label: "Annuler le devis", From: []State{Brouillon, TransmisAuDE, AccepteParDE, RefuseParDE, EnInstruction, ACompleter}, To: Annule, Roles: ofRoles, Habilitation: kairos.HabDevis, Guard: guardReason, ReasonRequired: true, Danger: true,
		Done: "Devis annulé.", Event: "Devis annulé par l'organisme"},
	{Action: Expirer, Label: "Expirer le devis", From: Undecided, To: Expire, Roles: system, Guard: guardExpire,
		Event: "Devis expiré : aucune décision avant le début de la session"},
}

// Workflow is the quote's table on the shared mechanism.
var Workflow = workflow.Table[Action, State, Cond]{Rows: Transitions, StateLabel: State.Label, Subject: "le devis"}
