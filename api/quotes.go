package api

import (
	"net/http"
	"strconv"

	"kairos"
	"kairos/quotes"
)

// AIF quotes: the OF (API key of an OF: creates, edits, transmits, takes
// back, cancels), the counsellors' agence (decides) and the regional service
// (decides above the threshold). Every quote carries allowed_actions, the
// actions the caller may take now, and actions, with the reason of those it
// may not. The job seeker accepts or refuses in his space (he has no API key).

var (
	ofQuotes     = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser}, Habilitation: kairos.HabDevis}
	quoteReaders = kairos.Rule{Roles: []kairos.Role{kairos.RoleOFAdmin, kairos.RoleOFUser, kairos.RoleConseiller, kairos.RoleFTGestionnaire}}
)

func (a *API) quotes() (*quotes.Service, error) {
	if a.Quotes == nil {
		return nil, kairos.Errorf(kairos.ENotFound, "Les devis AIF ne sont pas disponibles sur cette instance.")
	}
	return a.Quotes, nil
}

func (a *API) listQuotes(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.quotes()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := quotes.Filter{State: quotes.State(q.Get("state")), Search: q.Get("q")}
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	pg, err := readPage(r, 0)
	if err != nil {
		return err
	}
	if pg.After != nil {
		ok := len(pg.After) == 1
		if ok {
			f.Before, ok = keyInt(pg.After[0])
		}
		if !ok {
			return badCursor()
		}
	}
	f.Limit = pg.Limit + 1
	p, err := svc.List(r.Context(), kairos.ActorFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := QuoteList{Total: p.Total}
	out.Items, out.Next = nextOf(p.Items, pg.Limit, func(x quotes.Quote) []string { return []string{kInt(x.ID)} })
	return writeJSON(w, http.StatusOK, out)
}

// QuoteList is a page of quotes, newest first.
type QuoteList struct {
	Items []quotes.Quote `json:"items"`
	Total int            `json:"total"`
	Next  string         `json:"next,omitempty"` // pass as ?after= for the next page
}

func (a *API) createQuote(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.quotes()
	if err != nil {
		return err
	}
	var in quotes.NewQuote
	if err := readJSON(r, &in); err != nil {
		return err
	}
	q, err := svc.Create(r.Context(), kairos.ActorFrom(r.Context()), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/quotes/"+strconv.FormatInt(q.ID, 10))
	return a.quoteDetail(w, r, svc, q.ID, http.StatusCreated)
}

func (a *API) quoteDetail(w http.ResponseWriter, r *http.Request, svc *quotes.Service, id int64, status int) error {
	q, err := svc.Get(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, status, q)
}

func (a *API) getQuote(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.quotes()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Devis")
	if err != nil {
		return err
	}
	return a.quoteDetail(w, r, svc, id, http.StatusOK)
}

func (a *API) updateQuote(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.quotes()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Devis")
	if err != nil {
		return err
	}
	var in quotes.Content
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if _, err := svc.Update(r.Context(), kairos.ActorFrom(r.Context()), id, in); err != nil {
		return err
	}
	return a.quoteDetail(w, r, svc, id, http.StatusOK)
}

func (a *API) quoteAction(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.quotes()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Devis")
	if err != nil {
		return err
	}
	var in quotes.Step
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if _, err := svc.Do(r.Context(), kairos.ActorFrom(r.Context()), id, in); err != nil {
		return err
	}
	return a.quoteDetail(w, r, svc, id, http.StatusOK)
}

func (a *API) quotePDF(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.quotes()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Devis")
	if err != nil {
		return err
	}
	q, err := svc.Get(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	pdf, err := quotes.PDF(q, a.Accounts.DB.Now())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="devis-`+q.Number+`.pdf"`)
	_, err = w.Write(pdf)
	return err
}

func (a *API) quotesCSV(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.quotes()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := quotes.Filter{State: quotes.State(q.Get("state")), Search: q.Get("q")}
	actor := kairos.ActorFrom(r.Context())
	if _, err := svc.List(r.Context(), actor, quotes.Filter{State: f.State, Search: f.Search, Limit: 1}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="devis-aif.csv"`)
	w.Write([]byte("\uFEFF"))
	return svc.WriteCSV(r.Context(), actor, f, w)
}
