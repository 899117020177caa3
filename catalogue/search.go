package catalogue

import (
	"context"
	"database/sql"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	"kairos"
	"kairos/lheo"
	"kairos/store"
)

// Sort orders of a search.
const (
	SortRelevance = "pertinence"
	SortStart     = "debut"
)

// Filter selects sessions of the catalogue.
type Filter struct {
	Q           string    `json:"q,omitempty"` // full text: titles, objectives, contents, organisme, town
	Formacode   string    `json:"formacode,omitempty"`
	ROME        string    `json:"rome,omitempty"`
	Region      string    `json:"region,omitempty"`      // code INSEE de la région
	Departement string    `json:"departement,omitempty"` // e.g. "31", "2A"
	StartFrom   lheo.Date `json:"debut_min,omitempty"`   // sessions starting on or after
	StartTo     lheo.Date `json:"debut_max,omitempty"`   // sessions starting on or before
	Etat        string    `json:"etat_recrutement,omitempty"`
	Certifiante string    `json:"certifiante,omitempty"` // "1", "0" or ""
	Modalite    string    `json:"modalite,omitempty"`    // dict-modalites-enseignement: 0 présentiel, 1 mixte, 2 à distance
	SIRET       string    `json:"siret,omitempty"`
	Withdrawn   bool      `json:"retirees,omitempty"` // include withdrawn sessions
	Sort        string    `json:"tri,omitempty"`
	Offset      int       `json:"offset"`
	Limit       int       `json:"limit"`
}

// MaxCount is where counting the matches of a search stops.
const MaxCount = 1000

// Session is a session as listed by searches and the OF's view.
type Session struct {
	ID          int64      `json:"id"`
	FormationID int64      `json:"formation_id"`
	Source      string     `json:"source"`
	Numero      string     `json:"numero"`
	Intitule    string     `json:"intitule"`
	Organisme   string     `json:"organisme"`
	SIRET       string     `json:"siret"`
	Formacodes  []string   `json:"formacodes"`
	ROME        []string   `json:"rome"`
	Region      string     `json:"region"`
	Departement string     `json:"departement"`
	Ville       string     `json:"ville"`
	Debut       lheo.Date  `json:"debut"`
	Fin         lheo.Date  `json:"fin"`
	Etat        string     `json:"etat_recrutement"`
	Certifiante bool       `json:"certifiante"`
	Modalite    string     `json:"modalite_enseignement"`
	UpdatedAt   time.Time  `json:"updated_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
	skey        string
}

// EtatLabel returns the French label of the recruitment state.
func (s Session) EtatLabel() string { return lheo.Label(lheo.TableEtatRecrutement, s.Etat) }

// ModaliteLabel returns the French label of the teaching mode.
func (s Session) ModaliteLabel() string {
	return lheo.Label(lheo.TableModalitesEnseignement, s.Modalite)
}

// Result is a page of sessions.
type Result struct {
	Items []Session `json:"items"`
	Total int       `json:"total"` // capped at MaxCount
	More  bool      `json:"more"`  // more than MaxCount sessions match
}

const sessionSelect = `s.id, s.formation_id, s.source, s.numero, s.intitule, s.organisme, s.siret, s.formacodes, s.romes, s.region, s.departement, s.ville,
	s.debut, s.fin, s.etat, s.certifiante, s.modalite, s.updated_at, s.withdrawn_at, s.skey`

func scanSession(rows interface{ Scan(...any) error }) (Session, error) {
	var x Session
	var fc, rome string
	var debut, fin int64
	var cert int
	var wd sql.NullTime
	err := rows.Scan(&x.ID, &x.FormationID, &x.Source, &x.Numero, &x.Intitule, &x.Organisme, &x.SIRET, &fc, &rome, &x.Region, &x.Departement, &x.Ville,
		&debut, &fin, &x.Etat, &cert, &x.Modalite, &x.UpdatedAt, &wd, &x.skey)
	x.Formacodes, x.ROME = strings.Fields(fc), strings.Fields(rome)
	if x.Formacodes == nil {
		x.Formacodes = []string{}
	}
	if x.ROME == nil {
		x.ROME = []string{}
	}
	x.Debut, x.Fin, x.Certifiante = lheo.Date(debut), lheo.Date(fin), cert == 1
	if wd.Valid {
		t := wd.Time.UTC()
		x.WithdrawnAt = &t
	}
	return x, err
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9]{1,12}$`)

// Validate checks f and sets its defaults.
func (f *Filter) Validate() error {
	fields := map[string]string{}
	f.Q = strings.TrimSpace(f.Q)
	if len(f.Q) > 200 {
		fields["q"] = "La recherche ne doit pas dépasser 200 caractères."
	}
	for name, v := range map[string]*string{"formacode": &f.Formacode, "rome": &f.ROME, "region": &f.Region, "departement": &f.Departement, "siret": &f.SIRET} {
		*v = strings.ToUpper(strings.TrimSpace(*v))
		if *v != "" && !codeRE.MatchString(*v) {
			fields[name] = "Code invalide."
		}
	}
	if f.Etat != "" && !lheo.Valid(lheo.TableEtatRecrutement, f.Etat) {
		fields["etat_recrutement"] = "État du recrutement inconnu."
	}
	if f.Modalite != "" && !lheo.Valid(lheo.TableModalitesEnseignement, f.Modalite) {
		fields["modalite"] = "Modalité d'enseignement inconnue."
	}
	if f.Certifiante != "" && f.Certifiante != "0" && f.Certifiante != "1" {
		fields["certifiante"] = "Valeur attendue : 1 ou 0."
	}
	switch f.Sort {
	case "":
		f.Sort = SortStart
		if f.Q != "" {
			f.Sort = SortRelevance
		}
	case SortRelevance, SortStart:
	default:
		fields["tri"] = "Tri attendu : pertinence ou debut."
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 20
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	if f.Offset > MaxCount {
		fields["offset"] = "Affinez la recherche : seuls les 1 000 premiers résultats sont consultables."
	}
	if len(fields) > 0 {
		return kairos.Invalid(fields)
	}
	return nil
}

// ParseDateParam reads a date given as AAAA-MM-JJ (HTML date input) or
// AAAAMMJJ.
func ParseDateParam(s string) (lheo.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return lheo.DateOf(t), nil
	}
	if d, err := lheo.ParseDate(s); err == nil && !d.IsUnknown() {
		return d, nil
	}
	return 0, kairos.Errorf(kairos.EInvalid, "Date invalide : %s (attendu AAAA-MM-JJ).", s)
}

// terms returns the folded words of a query.
func terms(q string) []string {
	ws := strings.Fields(Fold(q))
	if len(ws) > 12 {
		ws = ws[:12]
	}
	return ws
}

// Search lists sessions matching f, with the total number of matches (up
// to MaxCount).
func (s *Service) Search(ctx context.Context, f Filter) (*Result, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	pg := s.DB.Engine() == store.Postgres
	from := " FROM catalogue_sessions s"
	countFrom := ""
	var where []string
	var args, joinArgs []any
	order := " ORDER BY CASE WHEN s.debut = 0 THEN 1 ELSE 0 END, s.debut, s.id"
	if ts := terms(f.Q); len(ts) > 0 {
		if pg {
			q := strings.Join(ts, ":* & ") + ":*"
			from += " JOIN catalogue_formations f ON f.id = s.formation_id"
			where = append(where, "f.search @@ to_tsquery('simple', ?)")
			args = append(args, q)
			if f.Sort == SortRelevance {
				order = " ORDER BY ts_rank(f.search, to_tsquery('simple', ?)) DESC, s.debut, s.id"
				joinArgs = append(joinArgs, q)
			}
		} else {
			var b strings.Builder
			for i, t := range ts {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(`"` + t + `"*`)
			}
			// bm25 only where the order needs it: ranking every match of
			// a common word is the costly part of a search.
			countFrom = from + " JOIN (SELECT rowid AS fid FROM catalogue_search WHERE catalogue_search MATCH ?) m ON m.fid = s.formation_id"
			if f.Sort == SortRelevance {
				from += " JOIN (SELECT rowid AS fid, bm25(catalogue_search) AS score FROM catalogue_search WHERE catalogue_search MATCH ?) m ON m.fid = s.formation_id"
				order = " ORDER BY m.score, s.debut, s.id"
			} else {
				from = countFrom
			}
			args = append(args, b.String())
		}
	}
	if !f.Withdrawn {
		where = append(where, "s.withdrawn_at IS NULL")
	}
	like := func(col, v string) {
		where = append(where, "(' ' || "+col+" || ' ') LIKE ?")
		args = append(args, "% "+v+" %")
	}
	if f.Formacode != "" {
		like("s.formacodes", f.Formacode)
	}
	if f.ROME != "" {
		like("s.romes", f.ROME)
	}
	eq := func(col string, v any) {
		where = append(where, col+" = ?")
		args = append(args, v)
	}
	if f.Region != "" {
		eq("s.region", f.Region)
	}
	if f.Departement != "" {
		eq("s.departement", f.Departement)
	}
	if f.SIRET != "" {
		eq("s.siret", f.SIRET)
	}
	if f.Etat != "" {
		eq("s.etat", f.Etat)
	}
	if f.Modalite != "" {
		eq("s.modalite", f.Modalite)
	}
	if f.Certifiante != "" {
		eq("s.certifiante", map[string]int{"1": 1, "0": 0}[f.Certifiante])
	}
	if f.StartFrom != 0 {
		where = append(where, "s.debut >= ?")
		args = append(args, int64(f.StartFrom))
	}
	if f.StartTo != 0 {
		where = append(where, "s.debut BETWEEN 1 AND ?")
		args = append(args, int64(f.StartTo))
	}
	w := ""
	if len(where) > 0 {
		w = " WHERE " + strings.Join(where, " AND ")
	}
	res := &Result{Items: []Session{}}
	if countFrom == "" {
		countFrom = from
	}
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1"+countFrom+w+" LIMIT "+strconv.Itoa(MaxCount+1)+") x", args...).Scan(&res.Total); err != nil {
		return nil, err
	}
	if res.Total > MaxCount {
		res.Total, res.More = MaxCount, true
	}
	if res.Total == 0 {
		return res, nil
	}
	q := "SELECT " + sessionSelect + from + w + order + " LIMIT " + strconv.Itoa(f.Limit) + " OFFSET " + strconv.Itoa(f.Offset)
	rows, err := s.DB.Query(ctx, q, append(args, joinArgs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		res.Items = append(res.Items, x)
	}
	return res, rows.Err()
}

// Detail is a session with its formation, action and visibility.
type Detail struct {
	Session    Session         `json:"session"`
	Visibility Visibility      `json:"visibility"`
	Formation  *lheo.Formation `json:"formation"`
	Action     *lheo.Action    `json:"-"`
	LHEO       *lheo.Session   `json:"-"` // nil when the session left its formation (withdrawn)
}

// Session returns one session of the catalogue.
func (s *Service) Session(ctx context.Context, id int64) (*Detail, error) {
	row := s.DB.QueryRow(ctx, "SELECT "+sessionSelect+" FROM catalogue_sessions s WHERE s.id = ?", id)
	x, err := scanSession(row)
	if err != nil {
		return nil, store.NotFoundIf(err, "Session")
	}
	d := &Detail{Session: x}
	var doc, fkey string
	if err := s.DB.QueryRow(ctx, "SELECT doc, fkey FROM catalogue_formations WHERE id = ?", x.FormationID).Scan(&doc, &fkey); err != nil {
		return nil, err
	}
	d.Formation = &lheo.Formation{}
	if err := json.Unmarshal([]byte(doc), d.Formation); err != nil {
		return nil, err
	}
	// Find the action and session by recomputing their keys.
	if p, err := prepare(cloneFormation(d.Formation), fkey); err == nil {
		i := 0
		for ai := range d.Formation.Actions {
			for si := range d.Formation.Actions[ai].Sessions {
				if i < len(p.sessions) && p.sessions[i].skey == x.skey {
					d.Action = &d.Formation.Actions[ai]
					d.LHEO = &d.Formation.Actions[ai].Sessions[si]
				}
				i++
			}
		}
	}
	vs, err := s.Visibilities(ctx, []Session{x})
	if err != nil {
		return nil, err
	}
	d.Visibility = vs[0]
	return d, nil
}

func cloneFormation(f *lheo.Formation) *lheo.Formation {
	b, _ := json.Marshal(f)
	var c lheo.Formation
	json.Unmarshal(b, &c)
	return &c
}
