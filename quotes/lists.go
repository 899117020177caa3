package quotes

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"kairos"
)

// Filter selects quotes in a list.
type Filter struct {
	State  State  `json:"state,omitempty"`
	Search string `json:"q,omitempty"` // number, job seeker, title
	Offset int    `json:"offset,omitempty"`
	Limit  int    `json:"limit,omitempty"` // 1–500, default 50
	Before int64  `json:"-"`               // keyset pagination: quotes older (smaller id) than Before; 0: from the newest
}

// Page is a page of quotes.
type Page struct {
	Items []Quote `json:"items"`
	Total int     `json:"total"`
}

// scope is the WHERE clause of the quotes the actor may list.
func (s *Service) scope(ctx context.Context, a *kairos.Actor) (string, []any, error) {
	switch {
	case isOF(a):
		if !a.Can(kairos.HabDevis) {
			return "", nil, kairos.Authorize(a, ofRule)
		}
		return "q.org_id = ?", []any{a.OrgID}, nil
	case a.Role == kairos.RoleConseiller:
		return "q.agence_id = ?", []any{a.OrgID}, nil
	case a.Role == kairos.RoleDemandeur:
		return "q.demandeur_id = ? AND q.transmitted_at IS NOT NULL", []any{a.UserID}, nil
	case a.Role == kairos.RoleFTGestionnaire:
		region, err := s.orgRegion(ctx, a.OrgID)
		if err != nil {
			return "", nil, err
		}
		if region == "" {
			return "1 = 1", nil, nil
		}
		return "q.region = ?", []any{region}, nil
	}
	return "", nil, kairos.Errorf(kairos.EForbidden, "Votre rôle ne permet pas de consulter les devis.")
}

// List lists the quotes the actor may see (the OF's, the agence's, the
// region's, the job seeker's own), newest first, filtered.
func (s *Service) List(ctx context.Context, a *kairos.Actor, f Filter) (*Page, error) {
	if err := kairos.Authorize(a, readRule); err != nil {
		return nil, err
	}
	where, args, err := s.scope(ctx, a)
	if err != nil {
		return nil, err
	}
	if f.State != "" {
		if !f.State.Valid() {
			return nil, kairos.Invalid(map[string]string{"state": "État inconnu."})
		}
		where += " AND q.state = ?"
		args = append(args, string(f.State))
	}
	if q := strings.TrimSpace(f.Search); q != "" {
		if len(q) > 100 {
			return nil, kairos.Invalid(map[string]string{"q": "Recherche trop longue (100 caractères au plus)."})
		}
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q)) + "%"
		where += ` AND (LOWER(q.number) LIKE ? ESCAPE '\' OR LOWER(u.name) LIKE ? ESCAPE '\' OR LOWER(q.title) LIKE ? ESCAPE '\' OR LOWER(COALESCE(d.ft_id, '')) LIKE ? ESCAPE '\')`
		args = append(args, like, like, like, like)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	if f.Offset < 0 || f.Offset > 1_000_000 {
		f.Offset = 0
	}
	p := &Page{Items: []Quote{}}
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*)"+from+" WHERE "+where, args...).Scan(&p.Total); err != nil {
		return nil, err
	}
	if f.Before > 0 {
		where += " AND q.id < ?"
		args = append(args, f.Before)
	}
	rows, err := s.DB.Query(ctx, "SELECT "+cols+from+" WHERE "+where+" ORDER BY q.id DESC LIMIT "+strconv.Itoa(f.Limit)+" OFFSET "+strconv.Itoa(f.Offset), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		q, err := scan(rows)
		if err != nil {
			return nil, err
		}
		p.Items = append(p.Items, *q)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i := range p.Items {
		if err := s.lines(ctx, &p.Items[i]); err != nil {
			return nil, err
		}
		if err := s.withActions(ctx, a, &p.Items[i]); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (s *Service) lines(ctx context.Context, q *Quote) error {
	rows, err := s.DB.Query(ctx, "SELECT funder, amount_cents FROM quote_lines WHERE quote_id = ? ORDER BY position", q.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	q.Lines = []Line{}
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.Funder, &l.Amount); err != nil {
			return err
		}
		l.Label = FunderLabel(l.Funder)
		q.Lines = append(q.Lines, l)
	}
	return rows.Err()
}

// ToDo counts the quotes waiting for the actor: drafts, quotes to complete
// and quotes refused by the job seeker for the OF; quotes to accept for the
// job seeker; accepted ones for his agence's counsellors; those above the
// threshold for the regional manager. It is the home pages' counter.
func (s *Service) ToDo(ctx context.Context, a *kairos.Actor) (int, error) {
	if a == nil || (isOF(a) && !a.Can(kairos.HabDevis)) {
		return 0, nil
	}
	var states []State
	switch {
	case isOF(a):
		states = []State{Brouillon, ACompleter, RefuseParDE}
	case a.Role == kairos.RoleDemandeur:
		states = []State{TransmisAuDE}
	case a.Role == kairos.RoleConseiller:
		states = []State{AccepteParDE}
	case a.Role == kairos.RoleFTGestionnaire:
		states = []State{EnInstruction}
	default:
		return 0, nil
	}
	where, args, err := s.scope(ctx, a)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.DB.QueryRow(ctx, "SELECT COUNT(*)"+from+" WHERE "+where+" AND q.state IN ("+inList(states)+")", args...).Scan(&n)
	return n, err
}

// WriteCSV writes the quotes of the list (every page) as CSV (semicolons,
// French headers and decimal commas, as spreadsheets in France expect).
func (s *Service) WriteCSV(ctx context.Context, a *kairos.Actor, f Filter, w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.Write([]string{"Numéro", "État", "Demandeur d'emploi", "Identifiant FT", "Formation", "N° session Carif", "N° action Carif", "Début", "Fin",
		"Heures centre", "Heures entreprise", "Coût horaire (€)", "Coût total (€)", "Cofinancement (€)", "AIF (€)", "Seuil régional", "Motif", "Mis à jour"})
	f.Limit, f.Offset = 500, 0
	for {
		p, err := s.List(ctx, a, f)
		if err != nil {
			return err
		}
		for _, q := range p.Items {
			review := "non"
			if q.Review {
				review = "oui"
			}
			cw.Write([]string{q.Number, q.State.Label(), csvSafe(q.DemandeurName), q.FTID, csvSafe(q.Title), csvSafe(q.SessionNumero), csvSafe(q.ActionNumero),
				q.SessionDebut.French(), q.SessionFin.French(), q.HoursCentre.Plain(), q.HoursCompany.Plain(), q.HourlyCost.Plain(), q.Total.Plain(),
				q.Cofunding.Plain(), q.AIF.Plain(), review, csvSafe(q.Reason), q.UpdatedAt.Format("02/01/2006 15:04")})
		}
		if f.Offset+len(p.Items) >= p.Total || len(p.Items) == 0 {
			break
		}
		f.Offset += len(p.Items)
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe neutralises cells a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ExpiryJob is the scheduled job that expires undecided quotes whose
// session has started (beyond the entry tolerance).
const ExpiryJob = "quotes.expire"

// Expire expires every undecided quote whose session started more than the
// tolerance ago, each in its own transaction, and returns how many.
func (s *Service) Expire(ctx context.Context) (int, error) {
	last := today(Cond{Now: s.now()}).AddDays(-s.EntryTolerance)
	rows, err := s.DB.Query(ctx, "SELECT id FROM quotes WHERE state IN ("+inList(Undecided)+") AND session_debut < ? ORDER BY id LIMIT 1000", int64(last))
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		_, err := s.do(kairos.WithActor(ctx, kairos.System), kairos.System, id, Step{Action: Expirer})
		switch kairos.ErrorCode(err) {
		case "":
			n++
		case kairos.EConflict: // decided meanwhile
		default:
			return n, err
		}
	}
	return n, nil
}

// HandleExpiry is the worker handler of ExpiryJob.
func (s *Service) HandleExpiry(ctx context.Context, _ json.RawMessage) error {
	n, err := s.Expire(ctx)
	if n > 0 && s.Log != nil {
		s.Log.Info("quotes expired", "count", n)
	}
	return err
}
