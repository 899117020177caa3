// Package adhesion is the adhesion capability (DOMAIN §3): a training
// organisation (OF) applies online, a France Travail regional manager
// (ft_gestionnaire) instructs the request and validates or refuses it; on
// validation the OF's organisation, its convention and its account manager
// (RGC, of_admin) are created and the RGC receives an activation link. The
// OF keeps its Qualiopi certificate up to date; CanTrade tells other
// capabilities whether the OF may trade (quotes, invoices).
package adhesion

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"kairos"
	"kairos/account"
	"kairos/mail"
	"kairos/siret"
	"kairos/store"
)

// Validity is how long a validated adhesion lasts before it is expiree.
const Validity = 3 // years

// Qualiopi reminders are sent this many days before the certificate ends.
const (
	RemindFirst = 60
	RemindLast  = 15
)

// Adhesion is an OF's request to join Kairos and, once validated, its convention.
type Adhesion struct {
	ID               int64        `json:"id"`
	Reference        string       `json:"reference"`
	State            State        `json:"state"` // effective state (expiree derived)
	StateLabel       string       `json:"state_label"`
	StoredState      State        `json:"-"`
	RaisonSociale    string       `json:"raison_sociale"`
	SIRET            string       `json:"siret"`
	SIREN            string       `json:"siren"`
	NDA              string       `json:"nda"`
	Address          string       `json:"adresse"`
	PostalCode       string       `json:"code_postal"`
	City             string       `json:"ville"`
	Region           string       `json:"region"`
	RGCName          string       `json:"rgc_nom"`
	RGCEmail         string       `json:"rgc_email"`
	RGCPhone         string       `json:"rgc_telephone,omitempty"`
	OrgID            int64        `json:"org_id,omitempty"`
	ConventionNumber string       `json:"convention_number,omitempty"`
	ValidFrom        *time.Time   `json:"valid_from,omitempty"`
	ValidUntil       *time.Time   `json:"valid_until,omitempty"`
	Reason           string       `json:"reason,omitempty"` // reason of the last decision that needed one
	SubmittedAt      time.Time    `json:"submitted_at"`
	UpdatedAt        time.Time    `json:"updated_at"`
	Qualiopi         *Certificate `json:"qualiopi,omitempty"` // the latest certificate
	// Existing is the organisation that already holds this SIRET on Kairos,
	// when it is not (yet) this adhesion's: shown to France Travail before a
	// decision (filled by Get only, never for the anonymous submitter).
	Existing *ExistingOrg `json:"organisation_existante,omitempty"`

	rgcDenied bool // set by Decide: the validation gave the RGC no access (existing organisation)
}

// ExistingOrg describes an organisation already on Kairos with an
// adhesion's SIRET. Validating the adhesion renews that organisation's
// convention; it gives no access to the adhesion's account manager unless
// he is already one of its users: its administrators decide (they invite
// him from « Utilisateurs »).
type ExistingOrg struct {
	ID          int64    `json:"id"`
	Name        string   `json:"nom"`
	Users       int      `json:"utilisateurs"`
	Admins      []string `json:"responsables"`         // e-mails of its active or invited account managers
	RGCIsMember bool     `json:"rgc_deja_utilisateur"` // the adhesion's RGC e-mail is already one of its users
}

// existing returns the organisation other than the adhesion's own that
// holds its SIRET, or nil.
func (s *Service) existing(ctx context.Context, q store.Querier, a *Adhesion) (*ExistingOrg, error) {
	var e ExistingOrg
	err := q.QueryRow(ctx, "SELECT id, name FROM organisations WHERE kind = ? AND siret = ? ORDER BY id LIMIT 1", kairos.OrgOF, a.SIRET).Scan(&e.ID, &e.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE org_id = ?", e.ID).Scan(&e.Users); err != nil {
		return nil, err
	}
	var member int
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE org_id = ? AND email = ?", e.ID, a.RGCEmail).Scan(&member); err != nil {
		return nil, err
	}
	e.RGCIsMember = member > 0
	rows, err := q.Query(ctx, "SELECT email FROM users WHERE org_id = ? AND role = ? AND status <> ? ORDER BY email LIMIT 20", e.ID, kairos.RoleOFAdmin, account.StatusDisabled)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		e.Admins = append(e.Admins, m)
	}
	return &e, rows.Err()
}

// Takeover reports whether validating would hand an existing organisation,
// which already has users, to a person who is not one of them.
func (e *ExistingOrg) Takeover() bool { return e != nil && e.Users > 0 && !e.RGCIsMember }

// RegionLabel returns the name of the adhesion's region.
func (a *Adhesion) RegionLabel() string { return RegionLabel(a.Region) }

// Certificate is a Qualiopi certificate (dates are calendar days, stored at
// midnight UTC; ValidUntil is the last valid day).
type Certificate struct {
	ID         int64     `json:"id"`
	Number     string    `json:"numero"`
	Certifier  string    `json:"certificateur"`
	ValidFrom  time.Time `json:"debut"`
	ValidUntil time.Time `json:"fin"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
}

// ValidOn reports whether the certificate covers the (Paris) day of now.
func (c *Certificate) ValidOn(now time.Time) bool {
	d := Day(now)
	return !d.Before(c.ValidFrom) && !d.After(c.ValidUntil)
}

// DaysLeft is the number of days from the day of now to the last valid day.
func (c *Certificate) DaysLeft(now time.Time) int {
	return int(c.ValidUntil.Sub(Day(now)).Hours() / 24)
}

// Event is one entry of an adhesion's history.
type Event struct {
	At         time.Time `json:"at"`
	Action     string    `json:"action"`
	From       State     `json:"from_state,omitempty"`
	To         State     `json:"to_state"`
	Reason     string    `json:"reason,omitempty"`
	ActorLabel string    `json:"actor"`
}

// ActionLabel returns the French label of the event's action.
func (e Event) ActionLabel() string {
	switch e.Action {
	case "depot":
		return "Demande déposée"
	case "qualiopi":
		return "Certificat Qualiopi renouvelé"
	}
	if t := TransitionFor(Action(e.Action)); t != nil {
		return t.Event
	}
	return e.Action
}

var paris = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Paris"); err == nil {
		return l
	}
	return time.UTC
}()

// Day returns the calendar day of t in Paris, as midnight UTC (how dates are stored).
func Day(t time.Time) time.Time {
	y, m, d := t.In(paris).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// FormatDate formats a stored date (or the Paris day of a timestamp) as JJ/MM/AAAA.
func FormatDate(t time.Time) string {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Location() == time.UTC {
		return t.Format("02/01/2006")
	}
	return t.In(paris).Format("02/01/2006")
}

// ParseDate parses AAAA-MM-JJ (or JJ/MM/AAAA) into a stored date.
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02/01/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Reference returns the public reference of adhesion id.
func Reference(id int64) string { return fmt.Sprintf("ADH-%06d", id) }

// ConventionNumber returns the convention number given at validation:
// KAI-<year of validation>-<region code>-<adhesion id on 6 digits>, unique
// because the adhesion id is.
func ConventionNumber(id int64, region string, at time.Time) string {
	return fmt.Sprintf("KAI-%d-%s-%06d", at.In(paris).Year(), region, id)
}

// Service implements the adhesion capability over the store.
type Service struct {
	DB       *store.DB
	Accounts *account.Service
	Clock    kairos.Clock
	BaseURL  string
}

// New returns the service sharing acc's database, clock and base URL.
func New(acc *account.Service) *Service {
	return &Service{DB: acc.DB, Accounts: acc, Clock: acc.Clock, BaseURL: acc.BaseURL}
}

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock().UTC()
	}
	return s.DB.Now()
}

// Application is what an OF submits (web form or API). Dates are AAAA-MM-JJ.
type Application struct {
	RaisonSociale     string `json:"raison_sociale"`
	SIRET             string `json:"siret"`
	NDA               string `json:"nda"`
	Address           string `json:"adresse"`
	PostalCode        string `json:"code_postal"`
	City              string `json:"ville"`
	Region            string `json:"region"`
	RGCName           string `json:"rgc_nom"`
	RGCEmail          string `json:"rgc_email"`
	RGCPhone          string `json:"rgc_telephone"`
	QualiopiNumber    string `json:"qualiopi_numero"`
	QualiopiCertifier string `json:"qualiopi_certificateur"`
	QualiopiFrom      string `json:"qualiopi_debut"`
	QualiopiUntil     string `json:"qualiopi_fin"`
	AcceptConditions  bool   `json:"conditions"`
}

func checkText(fields map[string]string, name, v, label string, max int) {
	switch {
	case v == "":
		fields[name] = label + " est obligatoire."
	case utf8.RuneCountInString(v) > max:
		fields[name] = fmt.Sprintf("%s ne doit pas dépasser %d caractères.", label, max)
	}
}

// QualiopiInput is a Qualiopi certificate as typed.
type QualiopiInput struct {
	Number, Certifier, From, Until string
}

func (s *Service) checkQualiopi(fields map[string]string, q QualiopiInput) *Certificate {
	c := &Certificate{Number: strings.TrimSpace(q.Number), Certifier: strings.TrimSpace(q.Certifier)}
	checkText(fields, "qualiopi_numero", c.Number, "Le numéro du certificat Qualiopi", 60)
	checkText(fields, "qualiopi_certificateur", c.Certifier, "L'organisme certificateur", 120)
	from, okFrom := ParseDate(q.From)
	until, okUntil := ParseDate(q.Until)
	if !okFrom {
		fields["qualiopi_debut"] = "Indiquez la date de début de validité du certificat (JJ/MM/AAAA)."
	}
	switch {
	case !okUntil:
		fields["qualiopi_fin"] = "Indiquez la date de fin de validité du certificat (JJ/MM/AAAA)."
	case okFrom && !until.After(from):
		fields["qualiopi_fin"] = "La fin de validité doit être postérieure au début."
	case until.Before(Day(s.now())):
		fields["qualiopi_fin"] = "Ce certificat a expiré le " + FormatDate(until) + " : un certificat Qualiopi en cours de validité est nécessaire."
	}
	c.ValidFrom, c.ValidUntil = from, until
	return c
}

func (s *Service) validate(in *Application) (map[string]string, *Certificate) {
	f := map[string]string{}
	in.RaisonSociale = strings.Join(strings.Fields(in.RaisonSociale), " ")
	in.SIRET = siret.Normalize(in.SIRET)
	in.NDA = siret.Normalize(in.NDA)
	in.Address = strings.TrimSpace(in.Address)
	in.PostalCode = strings.ReplaceAll(strings.TrimSpace(in.PostalCode), " ", "")
	in.City = strings.TrimSpace(in.City)
	in.Region = strings.TrimSpace(in.Region)
	in.RGCName = strings.Join(strings.Fields(in.RGCName), " ")
	in.RGCEmail = account.NormalizeEmail(in.RGCEmail)
	in.RGCPhone = strings.TrimSpace(in.RGCPhone)
	checkText(f, "raison_sociale", in.RaisonSociale, "La raison sociale", 200)
	if msg := siret.CheckSIRET(in.SIRET); msg != "" {
		f["siret"] = msg
	}
	if msg := siret.CheckNDA(in.NDA); msg != "" {
		f["nda"] = msg
	}
	checkText(f, "adresse", in.Address, "L'adresse", 200)
	if len(in.PostalCode) != 5 || strings.Trim(in.PostalCode, "0123456789") != "" {
		f["code_postal"] = "Le code postal doit comporter 5 chiffres."
	}
	checkText(f, "ville", in.City, "La commune", 100)
	if !validRegion(in.Region) {
		f["region"] = "Choisissez la région de l'organisme."
	}
	checkText(f, "rgc_nom", in.RGCName, "Le nom du responsable du compte", 120)
	if !account.ValidEmail(in.RGCEmail) {
		f["rgc_email"] = "Saisissez une adresse e-mail valide, par exemple prenom.nom@organisme.fr."
	}
	if in.RGCPhone != "" {
		p := strings.Map(func(r rune) rune {
			if r == ' ' || r == '.' || r == '-' {
				return -1
			}
			return r
		}, in.RGCPhone)
		if len(p) < 10 || len(p) > 15 || strings.Trim(strings.TrimPrefix(p, "+"), "0123456789") != "" {
			f["rgc_telephone"] = "Le numéro de téléphone doit comporter 10 chiffres (par exemple 05 61 00 00 00)."
		}
	}
	c := s.checkQualiopi(f, QualiopiInput{in.QualiopiNumber, in.QualiopiCertifier, in.QualiopiFrom, in.QualiopiUntil})
	if !in.AcceptConditions {
		f["conditions"] = "Vous devez accepter les conditions d'utilisation de Kairos."
	}
	return f, c
}

func newToken() (token, hash string) {
	var b [24]byte
	rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashToken(token)
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// Submit records an application (anyone may submit, logged in or not). It
// returns the adhesion and a follow-up token, shown once, that reads its
// state through the API. A SIRET with a pending or active adhesion is refused.
func (s *Service) Submit(ctx context.Context, in Application) (*Adhesion, string, error) {
	fields, cert := s.validate(&in)
	if len(fields) > 0 {
		return nil, "", kairos.Invalid(fields)
	}
	now := s.now()
	token, hash := newToken()
	var a *Adhesion
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := s.checkNoActive(ctx, tx, in.SIRET, now); err != nil {
			return err
		}
		id, err := tx.Insert(ctx, `INSERT INTO adhesions (state, raison_sociale, siret, siren, nda, address, postal_code, city, region,
			rgc_name, rgc_email, rgc_phone, token_hash, conditions_at, submitted_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			Demandee, in.RaisonSociale, in.SIRET, siret.SIREN(in.SIRET), in.NDA, in.Address, in.PostalCode, in.City, in.Region,
			in.RGCName, in.RGCEmail, in.RGCPhone, hash, now, now, now)
		if store.IsUniqueViolation(err) {
			return activeErr("Une demande d'adhésion est déjà en cours d'instruction pour ce SIRET.")
		}
		if err != nil {
			return err
		}
		if err := insertCert(ctx, tx, id, cert, now, in.RGCName); err != nil {
			return err
		}
		if err := addHistory(ctx, tx, id, now, "depot", "", Demandee, "", actorLabel(ctx, in.RGCName)); err != nil {
			return err
		}
		a, err = s.load(ctx, tx, id, now)
		if err != nil {
			return err
		}
		if err := tx.Record(ctx, store.Change{Action: "adhesion.submit", ObjectType: "adhesion", ObjectID: id, After: a, At: now}); err != nil {
			return err
		}
		return mail.Enqueue(ctx, tx, mail.Message{To: a.RGCEmail, Subject: "Demande d'adhésion à Kairos reçue (" + a.Reference + ")", Body: s.submittedMail(a)})
	})
	if err != nil {
		return nil, "", err
	}
	return a, token, nil
}

func activeErr(msg string) error {
	return &kairos.Error{Code: kairos.EConflict, Message: msg, Fields: map[string]string{"siret": msg}}
}

// checkNoActive refuses a SIRET that has a pending request or a validated
// (or suspended) adhesion that has not expired.
func (s *Service) checkNoActive(ctx context.Context, q store.Querier, siretNum string, now time.Time) error {
	var state State
	var conv sql.NullString
	err := q.QueryRow(ctx, `SELECT state, convention_number FROM adhesions WHERE siret = ?
		AND (state IN (?, ?) OR (state IN (?, ?) AND valid_until > ?)) ORDER BY id DESC LIMIT 1`,
		siretNum, Demandee, EnInstruction, Validee, Suspendue, now).Scan(&state, &conv)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if state == Demandee || state == EnInstruction {
		return activeErr("Une demande d'adhésion est déjà en cours d'instruction pour ce SIRET.")
	}
	return activeErr("Ce SIRET a déjà une adhésion active à Kairos (convention n° " + conv.String + ") : son responsable du compte peut gérer l'organisme dans « Mon organisme ».")
}

func insertCert(ctx context.Context, tx *store.Tx, adhesionID int64, c *Certificate, now time.Time, by string) error {
	_, err := tx.Exec(ctx, `INSERT INTO qualiopi_certificates (adhesion_id, number, certifier, valid_from, valid_until, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, adhesionID, c.Number, c.Certifier, c.ValidFrom, c.ValidUntil, now, by)
	return err
}

func addHistory(ctx context.Context, tx *store.Tx, id int64, at time.Time, action string, from, to State, reason, actor string) error {
	_, err := tx.Exec(ctx, "INSERT INTO adhesion_history (adhesion_id, at, action, from_state, to_state, reason, actor_label) VALUES (?, ?, ?, ?, ?, ?, ?)",
		id, at, action, string(from), string(to), reason, actor)
	return err
}

func actorLabel(ctx context.Context, anonymous string) string {
	if a := kairos.ActorFrom(ctx); a != nil && a != kairos.System {
		return a.Label()
	}
	if anonymous != "" {
		return anonymous
	}
	return "Kairos"
}

const adhesionCols = `id, state, raison_sociale, siret, siren, nda, address, postal_code, city, region, rgc_name, rgc_email, rgc_phone,
	COALESCE(org_id, 0), COALESCE(convention_number, ''), valid_from, valid_until, reason, submitted_at, updated_at`

func scanAdhesion(sc interface{ Scan(...any) error }, now time.Time) (*Adhesion, error) {
	var a Adhesion
	if err := sc.Scan(&a.ID, &a.StoredState, &a.RaisonSociale, &a.SIRET, &a.SIREN, &a.NDA, &a.Address, &a.PostalCode, &a.City, &a.Region,
		&a.RGCName, &a.RGCEmail, &a.RGCPhone, &a.OrgID, &a.ConventionNumber, &a.ValidFrom, &a.ValidUntil, &a.Reason, &a.SubmittedAt, &a.UpdatedAt); err != nil {
		return nil, err
	}
	a.Reference = Reference(a.ID)
	a.State = effective(a.StoredState, a.ValidUntil, now)
	a.StateLabel = a.State.Label()
	return &a, nil
}

// effective derives expiree from the stored state and the validity.
func effective(stored State, until *time.Time, now time.Time) State {
	if (stored == Validee || stored == Suspendue) && until != nil && !now.Before(*until) {
		return Expiree
	}
	return stored
}

func (s *Service) load(ctx context.Context, q store.Querier, id int64, now time.Time) (*Adhesion, error) {
	a, err := scanAdhesion(q.QueryRow(ctx, "SELECT "+adhesionCols+" FROM adhesions WHERE id = ?", id), now)
	if err != nil {
		return nil, store.NotFoundIf(err, "Adhésion")
	}
	certs, err := certificates(ctx, q, id, 1)
	if err != nil {
		return nil, err
	}
	if len(certs) > 0 {
		a.Qualiopi = &certs[0]
	}
	return a, nil
}

func certificates(ctx context.Context, q store.Querier, id int64, limit int) ([]Certificate, error) {
	query := "SELECT id, number, certifier, valid_from, valid_until, created_at, created_by FROM qualiopi_certificates WHERE adhesion_id = ? ORDER BY id DESC"
	if limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := q.Query(ctx, query, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Certificate
	for rows.Next() {
		var c Certificate
		if err := rows.Scan(&c.ID, &c.Number, &c.Certifier, &c.ValidFrom, &c.ValidUntil, &c.CreatedAt, &c.CreatedBy); err != nil {
			return nil, err
		}
		c.ValidFrom, c.ValidUntil = c.ValidFrom.UTC(), c.ValidUntil.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// actorRegion returns the region of an FT manager's organisation ("" for a
// national service, which sees every region).
func (s *Service) actorRegion(ctx context.Context, q store.Querier, a *kairos.Actor) (string, error) {
	var region string
	err := q.QueryRow(ctx, "SELECT region FROM organisations WHERE id = ?", a.OrgID).Scan(&region)
	return region, store.NotFoundIf(err, "Organisation")
}

// visible checks that actor may see adhesion ad: an FT manager of its region
// (or a national one), the OF's own users; another tenant's adhesion is not found.
func (s *Service) visible(ctx context.Context, q store.Querier, actor *kairos.Actor, ad *Adhesion) error {
	if actor == nil {
		return kairos.Errorf(kairos.EUnauthorized, "Veuillez vous connecter.")
	}
	switch actor.Role {
	case kairos.RoleFTGestionnaire:
		region, err := s.actorRegion(ctx, q, actor)
		if err != nil {
			return err
		}
		if region != "" && region != ad.Region {
			return kairos.NotFound("Adhésion")
		}
		return nil
	case kairos.RoleOFAdmin, kairos.RoleOFUser:
		return kairos.OwnedBy(actor, ad.OrgID, "Adhésion")
	case kairos.RoleAdmin:
		return nil
	}
	return kairos.Errorf(kairos.EForbidden, "Votre rôle ne permet pas de consulter les adhésions.")
}

// Get returns an adhesion the actor may see.
func (s *Service) Get(ctx context.Context, actor *kairos.Actor, id int64) (*Adhesion, error) {
	a, err := s.load(ctx, s.DB, id, s.now())
	if err != nil {
		return nil, err
	}
	if err := s.visible(ctx, s.DB, actor, a); err != nil {
		return nil, err
	}
	if a.Existing, err = s.existing(ctx, s.DB, a); err != nil {
		return nil, err
	}
	return a, nil
}

// ByToken returns an adhesion given its follow-up token (anonymous follow-up).
func (s *Service) ByToken(ctx context.Context, id int64, token string) (*Adhesion, error) {
	var hash string
	err := s.DB.QueryRow(ctx, "SELECT token_hash FROM adhesions WHERE id = ?", id).Scan(&hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err != nil || token == "" || subtle.ConstantTimeCompare([]byte(hash), []byte(hashToken(token))) != 1 {
		return nil, kairos.NotFound("Adhésion")
	}
	return s.load(ctx, s.DB, id, s.now())
}

// History returns the history of an adhesion, oldest first (callers check visibility first).
func (s *Service) History(ctx context.Context, id int64) ([]Event, error) {
	rows, err := s.DB.Query(ctx, "SELECT at, action, from_state, to_state, reason, actor_label FROM adhesion_history WHERE adhesion_id = ? ORDER BY id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.At, &e.Action, &e.From, &e.To, &e.Reason, &e.ActorLabel); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Certificates returns the Qualiopi certificates of an adhesion, newest first.
func (s *Service) Certificates(ctx context.Context, id int64) ([]Certificate, error) {
	return certificates(ctx, s.DB, id, 0)
}

// Filter selects adhesions in the France Travail queue.
type Filter struct {
	Region string // "" every region (national services only)
	State  State  // "" every state
	Offset int
	Limit  int // 1 to 201 (50 when out of range)
	// After continues the queue after the adhesion (AfterSubmitted, AfterID)
	// in its order (keyset pagination); AfterID 0: from the start.
	AfterSubmitted time.Time
	AfterID        int64
}

// List returns the queue of an FT manager: adhesions of its region (a
// national service may choose the region), oldest requests first, with the total.
func (s *Service) List(ctx context.Context, actor *kairos.Actor, f Filter) ([]Adhesion, int, error) {
	if actor == nil || (actor.Role != kairos.RoleFTGestionnaire && actor.Role != kairos.RoleAdmin) {
		return nil, 0, kairos.Errorf(kairos.EForbidden, "Seuls les gestionnaires France Travail instruisent les adhésions.")
	}
	if actor.Role == kairos.RoleFTGestionnaire {
		region, err := s.actorRegion(ctx, s.DB, actor)
		if err != nil {
			return nil, 0, err
		}
		if region != "" {
			f.Region = region
		}
	}
	now := s.now()
	where := " WHERE 1=1"
	var args []any
	if f.Region != "" {
		where += " AND region = ?"
		args = append(args, f.Region)
	}
	switch f.State {
	case "":
	case Expiree:
		where += " AND state IN (?, ?) AND valid_until <= ?"
		args = append(args, Validee, Suspendue, now)
	case Validee, Suspendue:
		where += " AND state = ? AND valid_until > ?"
		args = append(args, f.State, now)
	default:
		where += " AND state = ?"
		args = append(args, f.State)
	}
	var total int
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM adhesions"+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 201 {
		f.Limit = 50
	}
	if f.AfterID > 0 {
		where += " AND (submitted_at > ? OR (submitted_at = ? AND id > ?))"
		args = append(args, f.AfterSubmitted, f.AfterSubmitted, f.AfterID)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+adhesionCols+" FROM adhesions"+where+" ORDER BY submitted_at, id LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Adhesion
	for rows.Next() {
		a, err := scanAdhesion(rows, now)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *a)
	}
	return out, total, rows.Err()
}

// Decide applies action act to adhesion id, by actor, with a reason where
// the table requires one. The change, its history entry, its audit record and
// the e-mail to the OF commit together.
func (s *Service) Decide(ctx context.Context, actor *kairos.Actor, id int64, act Action, reason string) (*Adhesion, error) {
	reason = strings.TrimSpace(reason)
	now := s.now()
	var after *Adhesion
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		before, err := s.load(ctx, tx, id, now)
		if err != nil {
			return err
		}
		if err := s.visible(ctx, tx, actor, before); err != nil {
			return err
		}
		t, err := Check(before, act, actor.Role, now)
		if err != nil {
			return err
		}
		if t.ReasonRequired && reason == "" {
			return kairos.Invalid(map[string]string{"motif": "Indiquez le motif : il est communiqué à l'organisme."})
		}
		if utf8.RuneCountInString(reason) > 2000 {
			return kairos.Invalid(map[string]string{"motif": "Le motif ne doit pas dépasser 2 000 caractères."})
		}
		storedReason := before.Reason
		if t.ReasonRequired {
			storedReason = reason
		} else if t.To == Validee {
			storedReason = ""
		}
		denied := false
		if act == Valider {
			if denied, err = s.validateAdhesion(ctx, tx, actor, before, now); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE adhesions SET state = ?, reason = ?, updated_at = ? WHERE id = ?", t.To, storedReason, now, id); err != nil {
			return err
		}
		if err := addHistory(ctx, tx, id, now, string(act), before.State, t.To, reason, actorLabel(ctx, actor.Label())); err != nil {
			return err
		}
		after, err = s.load(ctx, tx, id, now)
		if err != nil {
			return err
		}
		after.rgcDenied = denied
		if err := tx.Record(ctx, store.Change{Action: "adhesion." + string(act), OrgID: after.OrgID, ObjectType: "adhesion", ObjectID: id, Before: before, After: after, At: now}); err != nil {
			return err
		}
		return mail.Enqueue(ctx, tx, s.decisionMail(after, act, reason))
	})
	return after, err
}

// validateAdhesion creates (or finds) the OF's organisation and its account
// manager, and gives the convention its number and validity.
func (s *Service) validateAdhesion(ctx context.Context, tx *store.Tx, actor *kairos.Actor, a *Adhesion, now time.Time) (denied bool, err error) {
	orgID := a.OrgID
	if orgID == 0 {
		err = tx.QueryRow(ctx, "SELECT id FROM organisations WHERE kind = ? AND siret = ? ORDER BY id LIMIT 1", kairos.OrgOF, a.SIRET).Scan(&orgID)
		if errors.Is(err, sql.ErrNoRows) {
			orgID, err = s.Accounts.CreateOrganisationTx(ctx, tx, account.Organisation{Kind: kairos.OrgOF, Name: a.RaisonSociale, SIRET: a.SIRET, Region: a.Region})
		}
		if err != nil {
			return false, err
		}
	}
	var people int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE org_id = ?", orgID).Scan(&people); err != nil {
		return false, err
	}
	var userOrg sql.NullInt64
	err = tx.QueryRow(ctx, "SELECT org_id FROM users WHERE email = ?", a.RGCEmail).Scan(&userOrg)
	switch {
	case errors.Is(err, sql.ErrNoRows) && people > 0:
		// The organisation is already on Kairos with its people: the
		// validation renews its convention but gives no access to a new
		// person (that would hand over the organisation to whoever filed an
		// adhesion with its SIRET). Its account managers are told, and
		// invite the new account manager themselves if they agree.
		if err := s.notifyTakeover(ctx, tx, orgID, a); err != nil {
			return false, err
		}
		if err := tx.Record(ctx, store.Change{Action: "adhesion.rgc_not_granted", OrgID: orgID, ObjectType: "adhesion", ObjectID: a.ID,
			After: map[string]any{"rgc_email": a.RGCEmail, "reason": "organisation existante avec des utilisateurs"}, At: now}); err != nil {
			return false, err
		}
		denied = true
	case errors.Is(err, sql.ErrNoRows):
		if _, err := s.Accounts.CreateUserTx(ctx, tx, account.NewUser{OrgID: orgID, Role: kairos.RoleOFAdmin, Email: a.RGCEmail, Name: a.RGCName,
			InvitedBy: "France Travail, à la validation de l'adhésion de votre organisme,"}); err != nil {
			return false, err
		}
	case err != nil:
		return false, err
	case !userOrg.Valid || userOrg.Int64 != orgID:
		return false, kairos.Errorf(kairos.EConflict, "L'adresse e-mail du responsable du compte (%s) est déjà celle d'un compte d'une autre organisation : l'organisme doit indiquer une autre adresse.", a.RGCEmail)
	}
	until := now.AddDate(Validity, 0, 0)
	_, err = tx.Exec(ctx, "UPDATE adhesions SET org_id = ?, convention_number = ?, valid_from = ?, valid_until = ? WHERE id = ?",
		orgID, ConventionNumber(a.ID, a.Region, now), now, until, a.ID)
	return denied, err
}

// Current returns the latest adhesion of organisation orgID (nil when none).
func (s *Service) Current(ctx context.Context, orgID int64) (*Adhesion, error) {
	var id int64
	err := s.DB.QueryRow(ctx, "SELECT id FROM adhesions WHERE org_id = ? ORDER BY id DESC LIMIT 1", orgID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.load(ctx, s.DB, id, s.now())
}

// CanTrade reports whether organisation orgID may trade on Kairos (quotes,
// invoices): its adhesion is validated and not expired, and a Qualiopi
// certificate covers today. When it may not, reason says why, in French.
func (s *Service) CanTrade(ctx context.Context, orgID int64) (ok bool, reason string, err error) {
	a, err := s.Current(ctx, orgID)
	if err != nil {
		return false, "", err
	}
	return s.CanTradeWith(ctx, a)
}

// CanTradeWith is CanTrade for the adhesion a already read by Current (nil:
// none), so that a caller that needs it too reads it once.
func (s *Service) CanTradeWith(ctx context.Context, a *Adhesion) (ok bool, reason string, err error) {
	now := s.now()
	if a == nil {
		return false, "L'organisme n'a pas d'adhésion à Kairos : son responsable doit déposer une demande d'adhésion.", nil
	}
	switch a.State {
	case Validee:
	case Suspendue:
		return false, "L'adhésion de l'organisme est suspendue par France Travail (motif : " + a.Reason + ").", nil
	case Expiree:
		return false, "L'adhésion de l'organisme a expiré le " + FormatDate(*a.ValidUntil) + " : elle doit être renouvelée.", nil
	case Resiliee:
		return false, "L'adhésion de l'organisme est résiliée.", nil
	default:
		return false, "L'adhésion de l'organisme n'est pas validée (état : " + a.State.Label() + ").", nil
	}
	var n int
	day := Day(now)
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM qualiopi_certificates WHERE adhesion_id = ? AND valid_from <= ? AND valid_until >= ?", a.ID, day, day).Scan(&n); err != nil {
		return false, "", err
	}
	if n == 0 {
		if a.Qualiopi == nil {
			return false, "Aucun certificat Qualiopi n'est enregistré pour l'organisme.", nil
		}
		if a.Qualiopi.ValidUntil.Before(day) {
			return false, "Le certificat Qualiopi de l'organisme a expiré le " + FormatDate(a.Qualiopi.ValidUntil) + " : il doit être renouvelé dans « Mon organisme ».", nil
		}
		return false, "Le certificat Qualiopi de l'organisme n'est valide qu'à partir du " + FormatDate(a.Qualiopi.ValidFrom) + ".", nil
	}
	return true, "", nil
}

// RenewQualiopi records a new Qualiopi certificate for the actor's OF (its
// account manager), keeping the earlier ones as history.
func (s *Service) RenewQualiopi(ctx context.Context, actor *kairos.Actor, in QualiopiInput) (*Certificate, error) {
	if actor == nil || actor.Role != kairos.RoleOFAdmin {
		return nil, kairos.Errorf(kairos.EForbidden, "Seul le responsable du compte de l'organisme peut renouveler le certificat Qualiopi.")
	}
	fields := map[string]string{}
	c := s.checkQualiopi(fields, in)
	if len(fields) > 0 {
		return nil, kairos.Invalid(fields)
	}
	a, err := s.Current(ctx, actor.OrgID)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, kairos.NotFound("Adhésion")
	}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := insertCert(ctx, tx, a.ID, c, now, actor.Label()); err != nil {
			return err
		}
		if err := addHistory(ctx, tx, a.ID, now, "qualiopi", a.State, a.State, "Certificat "+c.Number+" ("+c.Certifier+"), valable du "+FormatDate(c.ValidFrom)+" au "+FormatDate(c.ValidUntil), actor.Label()); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "adhesion.qualiopi", OrgID: a.OrgID, ObjectType: "adhesion", ObjectID: a.ID, Before: a.Qualiopi, After: c, At: now})
	})
	if err != nil {
		return nil, err
	}
	c.CreatedAt, c.CreatedBy = now, actor.Label()
	return c, nil
}

// RemindQualiopi e-mails the account managers of OFs whose current Qualiopi
// certificate ends within RemindFirst, then RemindLast days; each reminder is
// sent once. It returns how many reminders were sent (the scheduled job).
func (s *Service) RemindQualiopi(ctx context.Context) (int, error) {
	now := s.now()
	day := Day(now)
	sent := 0
	for _, days := range []int{RemindLast, RemindFirst} {
		col := fmt.Sprintf("reminded_%d_at", days)
		rows, err := s.DB.Query(ctx, `SELECT q.id, q.adhesion_id FROM qualiopi_certificates q JOIN adhesions a ON a.id = q.adhesion_id
			WHERE q.id = (SELECT MAX(id) FROM qualiopi_certificates WHERE adhesion_id = a.id)
			AND a.state IN (?, ?) AND a.valid_until > ? AND q.valid_until >= ? AND q.valid_until <= ? AND q.`+col+` IS NULL`,
			Validee, Suspendue, now, day, day.AddDate(0, 0, days))
		if err != nil {
			return sent, err
		}
		type due struct{ cert, adhesion int64 }
		var list []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.cert, &d.adhesion); err != nil {
				rows.Close()
				return sent, err
			}
			list = append(list, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return sent, err
		}
		for _, d := range list {
			err := s.DB.Tx(ctx, func(tx *store.Tx) error {
				// Conditional update: one instance sends each reminder.
				// The 60-day reminder is not sent after the 15-day one.
				set, args := col+" = ?", []any{now}
				if days != RemindFirst {
					set += ", reminded_60_at = COALESCE(reminded_60_at, ?)"
					args = append(args, now)
				}
				res, err := tx.Exec(ctx, "UPDATE qualiopi_certificates SET "+set+" WHERE id = ? AND "+col+" IS NULL", append(args, d.cert)...)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return nil
				}
				a, err := s.load(ctx, tx, d.adhesion, now)
				if err != nil {
					return err
				}
				to, err := s.managers(ctx, tx, a)
				if err != nil {
					return err
				}
				for _, addr := range to {
					if err := mail.Enqueue(ctx, tx, s.reminderMail(a, addr, now)); err != nil {
						return err
					}
				}
				sent++
				return tx.Record(ctx, store.Change{Action: "adhesion.qualiopi_reminder", OrgID: a.OrgID, ObjectType: "adhesion", ObjectID: a.ID,
					After: map[string]any{"certificate_id": d.cert, "days": days}, At: now})
			})
			if err != nil {
				return sent, err
			}
		}
	}
	return sent, nil
}

// managers returns the addresses of the OF's account managers (the RGC of the request when none).
func (s *Service) managers(ctx context.Context, q store.Querier, a *Adhesion) ([]string, error) {
	var out []string
	if a.OrgID != 0 {
		rows, err := q.Query(ctx, "SELECT email FROM users WHERE org_id = ? AND role = ? AND status <> ? ORDER BY id", a.OrgID, kairos.RoleOFAdmin, account.StatusDisabled)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var e string
			if err := rows.Scan(&e); err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		out = []string{a.RGCEmail}
	}
	return out, nil
}

// CanTradeSIRET is CanTrade for the OF organisation with this SIRET (the
// organisme responsable of a catalogue session). It implements
// catalogue.TradeChecker.
func (s *Service) CanTradeSIRET(ctx context.Context, siret string) (bool, string, error) {
	o, err := s.Accounts.OrganisationBySIRET(ctx, kairos.OrgOF, siret)
	if kairos.ErrorCode(err) == kairos.ENotFound {
		return false, "Aucun organisme de formation inscrit sur Kairos n'a ce SIRET : l'organisme doit adhérer à Kairos.", nil
	}
	if err != nil {
		return false, "", err
	}
	return s.CanTrade(ctx, o.ID)
}
