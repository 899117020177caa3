// Package quotes is the AIF quote capability (devis AIF, DOMAIN §8): the OF
// (habilitation devis) creates a quote from a catalogue session, pre-filled
// from the Carif-Oref data (its Carif numbers kept); it adjusts the hours
// (centre, company) and the hourly cost, adds the co-funding lines (LHÉO
// dict-financeurs and the CPF) and Kairos computes AIF = total − co-funding.
// The job seeker accepts or refuses it in his space; his counsellor
// validates it (which confirms the enrolment, AIS, on the training path,
// carrying the quote number), refuses it or asks for changes; above the
// regional threshold the regional manager decides. Undecided quotes expire
// when the session starts (ExpiryJob).
//
// Every step runs in one transaction that checks the transition table
// (Workflow, on the shared workflow mechanism), writes the history, the
// audit entry and the event (tx.Record) and the e-mails.
package quotes

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"kairos"
	"kairos/calendar"
	"kairos/store"
	"kairos/workflow"
)

// MaxComment bounds the comment and the reasons, in characters.
const MaxComment = 2000

// MaxLines bounds the co-funding lines of a quote.
const MaxLines = 10

// MaxHourly bounds the hourly cost (1 000 € per hour).
const MaxHourly Cents = 100000

// Line is a co-funding line: a funder (Funders) and its amount.
type Line struct {
	Funder string `json:"funder"`
	Label  string `json:"funder_label,omitempty"`
	Amount Cents  `json:"amount_cents"`
}

// Event is one entry of a quote's history.
type Event struct {
	At         time.Time `json:"at"`
	Action     string    `json:"action"`
	From       State     `json:"from_state,omitempty"`
	To         State     `json:"to_state"`
	Reason     string    `json:"reason,omitempty"`
	ActorLabel string    `json:"actor"`
	ActorRole  string    `json:"actor_role"`
}

// Label returns the French label of the event.
func (e Event) Label() string {
	if e.Action == "creer" {
		return "Devis créé à partir du catalogue"
	}
	if t := Workflow.Find(Action(e.Action)); t != nil {
		return t.Event
	}
	return e.Action
}

// Quote is an AIF quote.
type Quote struct {
	ID      int64  `json:"id"`
	Number  string `json:"number"` // also the commitment reference (numéro d'engagement)
	OrgID   int64  `json:"org_id"`
	OrgName string `json:"org_name"`
	Region  string `json:"region"`

	SessionID       int64         `json:"session_id"`
	CarifSource     string        `json:"carif_source"`
	FormationNumero string        `json:"formation_numero"`
	ActionNumero    string        `json:"action_numero"`
	SessionNumero   string        `json:"session_numero"`
	Title           string        `json:"title"`
	Place           string        `json:"place"`
	SessionDebut    calendar.Date `json:"session_debut"`
	SessionFin      calendar.Date `json:"session_fin"`
	Certifying      bool          `json:"certifying"`

	DemandeurID   int64  `json:"demandeur_id"`
	DemandeurName string `json:"demandeur_name"`
	FTID          string `json:"ft_id"`
	AgenceID      int64  `json:"agence_id"`

	State        State    `json:"state"`
	HoursCentre  Quarters `json:"hours_centre_quarters"`
	HoursCompany Quarters `json:"hours_company_quarters"`
	HourlyCost   Cents    `json:"hourly_cost_cents"`
	Total        Cents    `json:"total_cents"`
	Cofunding    Cents    `json:"cofunding_cents"`
	AIF          Cents    `json:"aif_cents"`
	Lines        []Line   `json:"cofunding_lines"`
	Comment      string   `json:"comment,omitempty"`
	Reason       string   `json:"reason,omitempty"` // of the last refusal, request for changes or cancellation
	Review       bool     `json:"regional_review"`  // above the regional threshold
	EnrolmentID  int64    `json:"enrolment_id,omitempty"`
	Version      int      `json:"version"`

	TransmittedAt *time.Time `json:"transmitted_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`

	History        []Event           `json:"history,omitempty"`
	Actions        []workflow.Action `json:"actions"`         // what the caller may do now, or why not
	AllowedActions []string          `json:"allowed_actions"` // the actions the caller may take now
}

// Hours is the total duration (centre and company).
func (q *Quote) Hours() Quarters { return q.HoursCentre + q.HoursCompany }

// CPF returns the amount of the CPF line.
func (q *Quote) CPF() Cents {
	for _, l := range q.Lines {
		if l.Funder == FunderCPF {
			return l.Amount
		}
	}
	return 0
}

// CPFDeclared reports whether the OF declared the CPF amount (a CPF line, 0 € allowed).
func (q *Quote) CPFDeclared() bool {
	return slices.ContainsFunc(q.Lines, func(l Line) bool { return l.Funder == FunderCPF })
}

// StateLabel returns the French label of the quote's state.
func (q *Quote) StateLabel() string { return q.State.Label() }

// Commitment is the commitment reference the invoice carries (BT-13): the
// quote number, once validated.
func (q *Quote) Commitment() string {
	if q.State == Valide {
		return q.Number
	}
	return ""
}

// compute sets the totals from the hours, the hourly cost and the lines.
// The total pedagogical cost is the centre hours at the hourly cost (the
// company hours, a placement, are not pedagogical costs, but count in the
// regional threshold).
func (q *Quote) compute() {
	q.Total = Cost(q.HoursCentre, q.HourlyCost)
	q.Cofunding = 0
	for _, l := range q.Lines {
		q.Cofunding += l.Amount
	}
	q.AIF = q.Total - q.Cofunding
}

// Service implements quotes over the store.
type Service struct {
	DB      *store.DB
	Catalog Catalog // the catalogue seam (CatalogueSource in production)
	Trade   Trader  // adhesion: may the OF trade?
	Path    Path    // the training path: the enrolment confirmed on validation
	Clock   kairos.Clock
	BaseURL string
	Log     *slog.Logger
	// EntryTolerance is how many days after the session's start a quote may
	// still be decided (the enrolment's entry tolerance).
	EntryTolerance int
	// Thresholds are the regional review thresholds (nil: DefaultThreshold).
	Thresholds Thresholds
}

// Trader tells whether an OF may trade (adhesion.Service.CanTrade).
type Trader interface {
	CanTrade(ctx context.Context, orgID int64) (ok bool, reason string, err error)
}

// Path confirms the enrolment of a validated quote, inside its transaction
// (enrolment.Service).
type Path interface {
	// EnrolmentConflict says why the job seeker could not be enrolled on
	// the quote's session now ("" if he can).
	EnrolmentConflict(ctx context.Context, q store.Querier, demandeurID, sessionID int64, debut, fin calendar.Date) (string, error)
	// EnrolFromQuote creates or confirms the enrolment (AIS) and returns its id.
	EnrolFromQuote(ctx context.Context, tx *store.Tx, a *kairos.Actor, in PathInput) (int64, error)
}

// PathInput is what the path needs to enrol the job seeker of a quote.
type PathInput struct {
	OrgID, SessionID, DemandeurID, AgenceID int64
	Title                                   string
	Debut, Fin                              calendar.Date
	Number                                  string
}

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock.Now()
	}
	return s.DB.Now()
}

func (s *Service) threshold(region string) Threshold { return s.Thresholds.For(region) }

var (
	ofRule   = kairos.Rule{Roles: ofRoles, Habilitation: kairos.HabDevis}
	readRule = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleConseiller, kairos.RoleFTGestionnaire, kairos.RoleDemandeur}}
)

func isOF(a *kairos.Actor) bool {
	return a != nil && (a.Role == kairos.RoleOFAdmin || a.Role == kairos.RoleOFUser)
}

const cols = `q.id, q.number, q.org_id, o.name, q.region, q.session_id, q.carif_source, q.formation_numero, q.action_numero, q.session_numero,
	q.title, q.place, q.session_debut, q.session_fin, q.certifying, q.demandeur_id, u.name, COALESCE(d.ft_id, ''), q.agence_id, q.state,
	q.hours_centre, q.hours_company, q.hourly_cents, q.total_cents, q.cofunding_cents, q.aif_cents, q.comment, q.reason, q.review,
	COALESCE(q.enrolment_id, 0), q.version, q.transmitted_at, q.created_at, q.updated_at`

const from = ` FROM quotes q JOIN organisations o ON o.id = q.org_id JOIN users u ON u.id = q.demandeur_id LEFT JOIN demandeurs d ON d.user_id = q.demandeur_id`

func scan(sc interface{ Scan(...any) error }) (*Quote, error) {
	var q Quote
	var cert, review int
	var tr sql.NullTime
	if err := sc.Scan(&q.ID, &q.Number, &q.OrgID, &q.OrgName, &q.Region, &q.SessionID, &q.CarifSource, &q.FormationNumero, &q.ActionNumero, &q.SessionNumero,
		&q.Title, &q.Place, &q.SessionDebut, &q.SessionFin, &cert, &q.DemandeurID, &q.DemandeurName, &q.FTID, &q.AgenceID, &q.State,
		&q.HoursCentre, &q.HoursCompany, &q.HourlyCost, &q.Total, &q.Cofunding, &q.AIF, &q.Comment, &q.Reason, &review,
		&q.EnrolmentID, &q.Version, &tr, &q.CreatedAt, &q.UpdatedAt); err != nil {
		return nil, err
	}
	q.Certifying, q.Review = cert == 1, review == 1
	if tr.Valid {
		t := tr.Time.UTC()
		q.TransmittedAt = &t
	}
	q.CreatedAt, q.UpdatedAt = q.CreatedAt.UTC(), q.UpdatedAt.UTC()
	q.Lines = []Line{}
	q.Actions, q.AllowedActions = []workflow.Action{}, []string{}
	return &q, nil
}

func (s *Service) load(ctx context.Context, db store.Querier, id int64) (*Quote, error) {
	q, err := scan(db.QueryRow(ctx, "SELECT "+cols+from+" WHERE q.id = ?", id))
	if err != nil {
		return nil, store.NotFoundIf(err, "Devis")
	}
	rows, err := db.Query(ctx, "SELECT funder, amount_cents FROM quote_lines WHERE quote_id = ? ORDER BY position", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.Funder, &l.Amount); err != nil {
			return nil, err
		}
		l.Label = FunderLabel(l.Funder)
		q.Lines = append(q.Lines, l)
	}
	return q, rows.Err()
}

// mayRead checks the actor may see q: its OF (habilitation devis), the
// counsellors of the job seeker's agence, the regional managers of the OF's
// region (a national service: every region), the job seeker once the quote
// was transmitted to him. Others: not found.
func (s *Service) mayRead(ctx context.Context, a *kairos.Actor, q *Quote) error {
	switch {
	case a == nil:
	case isOF(a) && a.OrgID == q.OrgID && a.Can(kairos.HabDevis):
		return nil
	case a.Role == kairos.RoleConseiller && a.OrgID == q.AgenceID:
		return nil
	case a.Role == kairos.RoleDemandeur && a.UserID == q.DemandeurID && q.TransmittedAt != nil:
		return nil
	case a.Role == kairos.RoleFTGestionnaire:
		region, err := s.orgRegion(ctx, a.OrgID)
		if err != nil {
			return err
		}
		if region == "" || region == q.Region {
			return nil
		}
	}
	return kairos.NotFound("Devis")
}

func (s *Service) orgRegion(ctx context.Context, orgID int64) (string, error) {
	var r string
	err := s.DB.QueryRow(ctx, "SELECT region FROM organisations WHERE id = ?", orgID).Scan(&r)
	return r, store.NotFoundIf(err, "Organisation")
}

// cond gathers what the guards of q need, from the database.
func (s *Service) cond(ctx context.Context, db store.Querier, q *Quote, reason string) (Cond, error) {
	c := Cond{Q: q, Now: s.now(), Reason: strings.TrimSpace(reason), Tolerance: s.EntryTolerance, Threshold: s.threshold(q.Region)}
	if slices.Contains([]State{Brouillon, ACompleter, AccepteParDE, EnInstruction}, q.State) {
		if s.Trade != nil {
			ok, why, err := s.Trade.CanTrade(ctx, q.OrgID)
			if err != nil {
				return c, err
			}
			if !ok {
				c.Trade = why
			}
		}
	}
	if q.State == Brouillon || q.State == ACompleter {
		if s.Catalog != nil {
			ref, err := s.Catalog.Session(ctx, q.SessionID)
			switch {
			case kairos.ErrorCode(err) == kairos.ENotFound:
				c.Hidden = "elle n'est plus au catalogue."
			case err != nil:
				return c, err
			case !ref.Visible:
				c.Hidden = ref.Hidden
			}
		}
		var other string
		err := db.QueryRow(ctx, `SELECT number FROM quotes WHERE demandeur_id = ? AND id <> ? AND state IN (`+inList(Open)+`)
			AND session_debut <= ? AND session_fin >= ? ORDER BY id LIMIT 1`, q.DemandeurID, q.ID, int64(q.SessionFin), int64(q.SessionDebut)).Scan(&other)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return c, err
		}
		c.Overlap = other
	}
	if (q.State == AccepteParDE || q.State == EnInstruction) && s.Path != nil {
		why, err := s.Path.EnrolmentConflict(ctx, db, q.DemandeurID, q.SessionID, q.SessionDebut, q.SessionFin)
		if err != nil {
			return c, err
		}
		c.Enrolled = why
	}
	return c, nil
}

func inList(states []State) string {
	q := make([]string, len(states))
	for i, s := range states {
		q[i] = "'" + string(s) + "'"
	}
	return strings.Join(q, ", ")
}

// withActions fills what the actor may do now, and why not.
func (s *Service) withActions(ctx context.Context, a *kairos.Actor, q *Quote) error {
	c, err := s.cond(ctx, s.DB, q, "")
	if err != nil {
		return err
	}
	q.Actions = []workflow.Action{}
	for _, x := range Workflow.Actions(q.State, a, c) {
		if x.Action == string(Expirer) {
			continue
		}
		if x.Action == string(Soumettre) && !x.Allowed {
			continue // below the threshold: « Valider » is the way, no need to show the other
		}
		if x.ReasonRequired && !x.Allowed && x.Reason == workflow.Reason(guardReason(Cond{})) {
			x.Allowed, x.Reason = true, "" // the form asks for the reason
		}
		q.Actions = append(q.Actions, x)
	}
	q.AllowedActions = []string{}
	for _, x := range q.Actions {
		if x.Allowed {
			q.AllowedActions = append(q.AllowedActions, x.Action)
		}
	}
	return nil
}

// Get returns quote id with its history and what the actor may do.
func (s *Service) Get(ctx context.Context, a *kairos.Actor, id int64) (*Quote, error) {
	if err := kairos.Authorize(a, readRule); err != nil {
		return nil, err
	}
	q, err := s.load(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	if err := s.mayRead(ctx, a, q); err != nil {
		return nil, err
	}
	if q.History, err = s.history(ctx, id); err != nil {
		return nil, err
	}
	return q, s.withActions(ctx, a, q)
}

func (s *Service) history(ctx context.Context, id int64) ([]Event, error) {
	rows, err := s.DB.Query(ctx, "SELECT at, action, from_state, to_state, reason, actor_label, actor_role FROM quote_history WHERE quote_id = ? ORDER BY id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.At, &e.Action, &e.From, &e.To, &e.Reason, &e.ActorLabel, &e.ActorRole); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// cleanText checks a free text: valid UTF-8, no control characters but
// line breaks, at most max characters.
func cleanText(field, label, s string, max int) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if !utf8.ValidString(s) {
		return "", kairos.Invalid(map[string]string{field: label + " contient des caractères invalides."})
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", kairos.Invalid(map[string]string{field: label + " contient des caractères de contrôle."})
		}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", kairos.Invalid(map[string]string{field: fmt.Sprintf("%s ne doit pas dépasser %d caractères (il en compte %d).", label, max, n)})
	}
	return s, nil
}

// Content is what the OF sets on a quote. Nil fields keep the current
// value (on creation: the catalogue's).
type Content struct {
	HoursCentre  *Quarters `json:"hours_centre_quarters,omitempty"`
	HoursCompany *Quarters `json:"hours_company_quarters,omitempty"`
	HourlyCost   *Cents    `json:"hourly_cost_cents,omitempty"`
	Lines        *[]Line   `json:"cofunding_lines,omitempty"`
	Comment      *string   `json:"comment,omitempty"`
	Version      int       `json:"version,omitempty"` // if set, the quote must still be at this version
}

// apply validates c and sets it on q, with the totals.
func (c Content) apply(q *Quote) error {
	fields := map[string]string{}
	if c.HoursCentre != nil {
		q.HoursCentre = *c.HoursCentre
	}
	if c.HoursCompany != nil {
		q.HoursCompany = *c.HoursCompany
	}
	if c.HourlyCost != nil {
		q.HourlyCost = *c.HourlyCost
	}
	if q.HoursCentre < 0 || q.HoursCentre > MaxQuarters {
		fields["hours_centre"] = "Les heures en centre doivent être comprises entre 0 et 5 000 h, par quarts d'heure."
	}
	if q.HoursCompany < 0 || q.HoursCompany > MaxQuarters {
		fields["hours_company"] = "Les heures en entreprise doivent être comprises entre 0 et 5 000 h, par quarts d'heure."
	}
	if q.HourlyCost < 0 || q.HourlyCost > MaxHourly {
		fields["hourly_cost"] = "Le coût horaire doit être compris entre 0 et " + MaxHourly.String() + "."
	}
	if c.Lines != nil {
		lines := []Line{}
		seen := map[string]bool{}
		if len(*c.Lines) > MaxLines {
			fields["cofunding"] = fmt.Sprintf("Au plus %d lignes de cofinancement.", MaxLines)
		}
		for i, l := range *c.Lines {
			key := fmt.Sprintf("cofunding_%d", i+1)
			l.Funder = strings.TrimSpace(l.Funder)
			switch {
			case !KnownFunder(l.Funder):
				fields[key] = fmt.Sprintf("Ligne %d : choisissez le financeur dans la liste.", i+1)
			case seen[l.Funder]:
				fields[key] = fmt.Sprintf("Ligne %d : le financeur « %s » figure déjà sur une autre ligne.", i+1, FunderLabel(l.Funder))
			case l.Amount < 0 || l.Amount > MaxCents:
				fields[key] = fmt.Sprintf("Ligne %d : montant invalide.", i+1)
			case l.Amount == 0 && l.Funder != FunderCPF:
				fields[key] = fmt.Sprintf("Ligne %d : indiquez un montant (seul le CPF peut être déclaré à 0 €).", i+1)
			}
			seen[l.Funder] = true
			lines = append(lines, Line{Funder: l.Funder, Label: FunderLabel(l.Funder), Amount: l.Amount})
		}
		q.Lines = lines
	}
	if c.Comment != nil {
		cm, err := cleanText("comment", "Le commentaire", *c.Comment, MaxComment)
		if err != nil {
			maps(fields, err)
		}
		q.Comment = cm
	}
	if len(fields) > 0 {
		return kairos.Invalid(fields)
	}
	q.compute()
	if q.Total > 0 {
		if err := guardContent(q); err != nil && kairos.FieldErrors(err)["cofunding"] != "" {
			return err
		}
	}
	return nil
}

func maps(dst map[string]string, err error) {
	for k, v := range kairos.FieldErrors(err) {
		dst[k] = v
	}
}

// NewQuote is what creates a quote: the catalogue session and the job
// seeker (his France Travail identifier and his last name, as he gives them
// to the OF), and the content (nil fields: pre-filled from the catalogue).
type NewQuote struct {
	SessionID int64  `json:"session_id"`
	FTID      string `json:"ft_id"`
	Nom       string `json:"nom"`
	Content
}

// Prefill returns a draft of the quote for session id, pre-filled from the
// Carif-Oref data, for the OF's form (nothing is stored).
func (s *Service) Prefill(ctx context.Context, a *kairos.Actor, sessionID int64) (*Quote, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	ref, err := s.sessionOf(ctx, a, sessionID)
	if err != nil {
		return nil, err
	}
	q := fromSession(ref)
	q.OrgID, q.State = a.OrgID, Brouillon
	q.compute()
	return q, nil
}

func (s *Service) sessionOf(ctx context.Context, a *kairos.Actor, id int64) (*SessionRef, error) {
	if s.Catalog == nil {
		return nil, kairos.Invalid(map[string]string{"session_id": "Le catalogue n'est pas disponible."})
	}
	ref, err := s.Catalog.Session(ctx, id)
	if kairos.ErrorCode(err) == kairos.ENotFound || (err == nil && ref.OrgID != a.OrgID) {
		return nil, kairos.Invalid(map[string]string{"session_id": "Session introuvable dans l'offre de votre organisme au catalogue."})
	}
	if err != nil {
		return nil, err
	}
	return &ref, nil
}

func fromSession(ref *SessionRef) *Quote {
	return &Quote{SessionID: ref.ID, CarifSource: ref.Source, FormationNumero: ref.FormationNumero, ActionNumero: ref.ActionNumero, SessionNumero: ref.SessionNumero,
		Title: ref.Title, Place: ref.Place, SessionDebut: ref.Debut, SessionFin: ref.Fin, Certifying: ref.Certifying,
		HoursCentre: ref.HoursCentre, HoursCompany: ref.HoursCompany, HourlyCost: ref.HourlyCost, Lines: []Line{}}
}

func normName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	r := strings.NewReplacer("é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a", "ä", "a", "î", "i", "ï", "i", "ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u", "ç", "c", "-", " ", "'", " ")
	return strings.Join(strings.Fields(r.Replace(s)), " ")
}

// nameMatches reports whether nom is the person's last name (or full name).
func nameMatches(full, nom string) bool {
	f, n := normName(full), normName(nom)
	if n == "" {
		return false
	}
	return f == n || strings.HasSuffix(f, " "+n) || strings.HasPrefix(f, n+" ")
}

// Create creates a draft quote.
func (s *Service) Create(ctx context.Context, a *kairos.Actor, in NewQuote) (*Quote, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	fields := map[string]string{}
	in.FTID = strings.ToUpper(strings.TrimSpace(in.FTID))
	if in.FTID == "" || len(in.FTID) > 20 {
		fields["ft_id"] = "Indiquez l'identifiant France Travail du demandeur d'emploi."
	}
	if strings.TrimSpace(in.Nom) == "" || utf8.RuneCountInString(in.Nom) > 100 {
		fields["nom"] = "Indiquez le nom du demandeur d'emploi."
	}
	if in.SessionID <= 0 {
		fields["session_id"] = "Choisissez la session du catalogue."
	}
	if len(fields) > 0 {
		return nil, kairos.Invalid(fields)
	}
	ref, err := s.sessionOf(ctx, a, in.SessionID)
	if err != nil {
		return nil, err
	}
	q := fromSession(ref)
	if err := in.Content.apply(q); err != nil {
		return nil, err
	}
	now := s.now()
	var out *Quote
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		var uid, agence int64
		var name string
		err := tx.QueryRow(ctx, `SELECT d.user_id, d.agence_id, u.name FROM demandeurs d JOIN users u ON u.id = d.user_id WHERE d.ft_id = ?`, in.FTID).Scan(&uid, &agence, &name)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !nameMatches(name, in.Nom)) {
			return kairos.Invalid(map[string]string{"ft_id": "Aucun demandeur d'emploi ne correspond à cet identifiant et à ce nom."})
		}
		if err != nil {
			return err
		}
		var region string
		if err := tx.QueryRow(ctx, "SELECT region FROM organisations WHERE id = ?", a.OrgID).Scan(&region); err != nil {
			return err
		}
		q.DemandeurID, q.AgenceID, q.OrgID, q.Region, q.State = uid, agence, a.OrgID, region, Brouillon
		q.Review, _ = s.threshold(region).Over(q)
		id, err := tx.Insert(ctx, `INSERT INTO quotes (number, org_id, region, session_id, carif_source, formation_numero, action_numero, session_numero, title, place,
			session_debut, session_fin, certifying, demandeur_id, agence_id, state, hours_centre, hours_company, hourly_cents, total_cents, cofunding_cents, aif_cents,
			comment, reason, review, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, 0, ?, ?)`,
			"en-cours-"+strconv.FormatInt(now.UnixNano(), 36)+"-"+strconv.FormatInt(a.UserID+a.APIKeyID<<20, 36), q.OrgID, q.Region, q.SessionID, q.CarifSource, q.FormationNumero, q.ActionNumero, q.SessionNumero, q.Title, q.Place,
			int64(q.SessionDebut), int64(q.SessionFin), boolInt(q.Certifying), q.DemandeurID, q.AgenceID, string(Brouillon), int64(q.HoursCentre), int64(q.HoursCompany),
			int64(q.HourlyCost), int64(q.Total), int64(q.Cofunding), int64(q.AIF), q.Comment, boolInt(q.Review), now, now)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE quotes SET number = ? WHERE id = ?", Number(calendar.DateOf(now).Year(), id), id); err != nil {
			return err
		}
		if err := writeLines(ctx, tx, id, q.Lines); err != nil {
			return err
		}
		if err := addHistory(ctx, tx, a, id, "creer", "", Brouillon, "", now); err != nil {
			return err
		}
		if out, err = s.load(ctx, tx, id); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "quote.create", OrgID: q.OrgID, ObjectType: "quote", ObjectID: id, After: out, At: now})
	})
	if err != nil {
		return nil, err
	}
	return out, s.withActions(ctx, a, out)
}

func writeLines(ctx context.Context, tx *store.Tx, id int64, lines []Line) error {
	if _, err := tx.Exec(ctx, "DELETE FROM quote_lines WHERE quote_id = ?", id); err != nil {
		return err
	}
	for i, l := range lines {
		if _, err := tx.Exec(ctx, "INSERT INTO quote_lines (quote_id, position, funder, amount_cents) VALUES (?, ?, ?, ?)", id, i+1, l.Funder, int64(l.Amount)); err != nil {
			return err
		}
	}
	return nil
}

func addHistory(ctx context.Context, tx *store.Tx, a *kairos.Actor, id int64, action string, fromState, to State, reason string, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO quote_history (quote_id, action, from_state, to_state, reason, actor_id, actor_label, actor_role, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, action, string(fromState), string(to), reason, nullID(a.UserID), a.Label(), string(a.Role), at)
	return err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lock re-reads quote id inside tx, its row locked (PostgreSQL; SQLite's
// immediate transactions are exclusive), and the job seeker's profile too,
// so that two quotes of one person on overlapping sessions are serialised.
func (s *Service) lock(ctx context.Context, tx *store.Tx, id int64) (*Quote, error) {
	var demandeur int64
	q := "SELECT demandeur_id FROM quotes WHERE id = ?"
	if tx.Engine() == store.Postgres {
		q += " FOR UPDATE"
	}
	if err := tx.QueryRow(ctx, q, id).Scan(&demandeur); err != nil {
		return nil, store.NotFoundIf(err, "Devis")
	}
	dq := "SELECT user_id FROM demandeurs WHERE user_id = ?"
	if tx.Engine() == store.Postgres {
		dq += " FOR UPDATE"
	}
	var u int64
	if err := tx.QueryRow(ctx, dq, demandeur).Scan(&u); err != nil {
		return nil, store.NotFoundIf(err, "Demandeur d'emploi")
	}
	return s.load(ctx, tx, id)
}

// Update changes the content of a draft or of a quote to complete.
func (s *Service) Update(ctx context.Context, a *kairos.Actor, id int64, c Content) (*Quote, error) {
	if err := kairos.Authorize(a, ofRule); err != nil {
		return nil, err
	}
	now := s.now()
	var out *Quote
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		before, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.mayRead(ctx, a, before); err != nil {
			return err
		}
		if c.Version != 0 && c.Version != before.Version {
			return conflict("Ce devis a été modifié entre-temps : rechargez la page.")
		}
		if _, err := Workflow.Check(Modifier, before.State, a, Cond{Q: before, Now: now}); err != nil {
			return err
		}
		q := *before
		q.Lines = slices.Clone(before.Lines)
		if err := c.apply(&q); err != nil {
			return err
		}
		q.Review, _ = s.threshold(q.Region).Over(&q)
		res, err := tx.Exec(ctx, `UPDATE quotes SET hours_centre = ?, hours_company = ?, hourly_cents = ?, total_cents = ?, cofunding_cents = ?, aif_cents = ?,
			comment = ?, review = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
			int64(q.HoursCentre), int64(q.HoursCompany), int64(q.HourlyCost), int64(q.Total), int64(q.Cofunding), int64(q.AIF), q.Comment, boolInt(q.Review), now, id, before.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return conflict("Ce devis a été modifié entre-temps : rechargez la page.")
		}
		if err := writeLines(ctx, tx, id, q.Lines); err != nil {
			return err
		}
		if err := addHistory(ctx, tx, a, id, string(Modifier), before.State, before.State, "", now); err != nil {
			return err
		}
		if out, err = s.load(ctx, tx, id); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "quote.update", OrgID: q.OrgID, ObjectType: "quote", ObjectID: id, Before: before, After: out, At: now})
	})
	if err != nil {
		return nil, err
	}
	return out, s.withActions(ctx, a, out)
}

// Step is a step requested on a quote.
type Step struct {
	Action  Action `json:"action"`
	Reason  string `json:"reason,omitempty"`
	Version int    `json:"version,omitempty"` // if set, the quote must still be at this version
}

// Do performs a step on quote id (every action but modifier, which is
// Update, and expirer, which only the expiry job does).
func (s *Service) Do(ctx context.Context, a *kairos.Actor, id int64, in Step) (*Quote, error) {
	if err := kairos.Authorize(a, readRule); err != nil {
		return nil, err
	}
	if in.Action == Modifier || in.Action == Expirer {
		return nil, kairos.Invalid(map[string]string{"action": "Action inconnue."})
	}
	return s.do(ctx, a, id, in)
}

func (s *Service) do(ctx context.Context, a *kairos.Actor, id int64, in Step) (*Quote, error) {
	reason, err := cleanText("reason", "Le motif", in.Reason, MaxComment)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *Quote
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		before, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if a != kairos.System {
			if err := s.mayRead(ctx, a, before); err != nil {
				return err
			}
		}
		if in.Version != 0 && in.Version != before.Version {
			return conflict("Ce devis a été modifié entre-temps : rechargez la page.")
		}
		c, err := s.cond(ctx, tx, before, reason)
		if err != nil {
			return err
		}
		c.Now = now
		t, err := Workflow.Check(in.Action, before.State, a, c)
		if err != nil {
			return err
		}
		if !t.ReasonRequired {
			reason = ""
		}
		set := "state = ?, version = version + 1, updated_at = ?"
		args := []any{string(t.To), now}
		if t.ReasonRequired {
			set += ", reason = ?"
			args = append(args, reason)
		}
		if t.To == Brouillon || t.To == TransmisAuDE {
			set += ", reason = ''"
		}
		if t.To == TransmisAuDE {
			set += ", transmitted_at = ?"
			args = append(args, now)
		}
		if t.To == Valide && s.Path != nil {
			eid, err := s.Path.EnrolFromQuote(ctx, tx, a, PathInput{OrgID: before.OrgID, SessionID: before.SessionID, DemandeurID: before.DemandeurID,
				AgenceID: before.AgenceID, Title: before.Title, Debut: before.SessionDebut, Fin: before.SessionFin, Number: before.Number})
			if err != nil {
				return err
			}
			set += ", enrolment_id = ?"
			args = append(args, eid)
		}
		args = append(args, id, before.Version)
		res, err := tx.Exec(ctx, "UPDATE quotes SET "+set+" WHERE id = ? AND version = ?", args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return conflict("Ce devis a été modifié entre-temps : rechargez la page.")
		}
		if err := addHistory(ctx, tx, a, id, string(t.Action), before.State, t.To, reason, now); err != nil {
			return err
		}
		if out, err = s.load(ctx, tx, id); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, t, out, reason); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "quote." + string(t.Action), OrgID: out.OrgID, ObjectType: "quote", ObjectID: id, Before: before, After: out, At: now})
	})
	if err != nil {
		return nil, err
	}
	if a == kairos.System {
		return out, nil
	}
	return out, s.withActions(ctx, a, out)
}
