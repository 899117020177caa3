package api

import (
	"net/http"

	"kairos"
	"kairos/invoices"
)

// The Chorus Pro follow-up of invoices (issue 17).

func (a *API) getInvoiceChorus(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.issuer()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Facture")
	if err != nil {
		return err
	}
	_, c, err := svc.ChorusFollowup(r.Context(), kairos.ActorFrom(r.Context()), id)
	if err != nil {
		return err
	}
	if c == nil {
		return kairos.Errorf(kairos.ENotFound, "Ce document n'est pas suivi sur Chorus Pro (émis avant le dépôt automatique).")
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) invoiceChorusAction(action string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := a.issuer(); err != nil {
			return err
		}
		if a.Chorus == nil {
			return kairos.Errorf(kairos.ENotFound, "Chorus Pro n'est pas disponible sur cette instance.")
		}
		id, err := pathInt(r, "id", "Facture")
		if err != nil {
			return err
		}
		var in invoices.RecycleForm
		if action != invoices.ChorusRefresh || r.ContentLength > 0 {
			if err := readJSON(r, &in); err != nil {
				return err
			}
		}
		c, err := a.Chorus.ChorusAct(r.Context(), kairos.ActorFrom(r.Context()), id, action, in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, c)
	}
}

// QuestionList is a page of the questions to the Chorus Pro assistance
// about an invoice, the most recent first.
type QuestionList struct {
	Items []invoices.Question `json:"items"`
	Next  string              `json:"next,omitempty"` // pass as ?after= for the next page
}

func (a *API) listInvoiceQuestions(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.issuer()
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id", "Facture")
	if err != nil {
		return err
	}
	p, err := readPage(r, 0)
	if err != nil {
		return err
	}
	before, err := afterInt(p)
	if err != nil {
		return err
	}
	list, err := svc.Questions(r.Context(), kairos.ActorFrom(r.Context()), id, before, p.Limit+1)
	if err != nil {
		return err
	}
	out := QuestionList{}
	out.Items, out.Next = nextOf(list, p.Limit, func(q invoices.Question) []string { return []string{kInt(q.ID)} })
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) askInvoiceQuestion(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.issuer(); err != nil {
		return err
	}
	if a.Chorus == nil {
		return kairos.Errorf(kairos.ENotFound, "Chorus Pro n'est pas disponible sur cette instance.")
	}
	id, err := pathInt(r, "id", "Facture")
	if err != nil {
		return err
	}
	var in invoices.QuestionForm
	if err := readJSON(r, &in); err != nil {
		return err
	}
	q, created, err := a.Chorus.Ask(r.Context(), kairos.ActorFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	return writeJSON(w, status, q)
}

// QuestionCategories are the categories of question of the assistance.
type QuestionCategories struct {
	Items []QuestionCategory `json:"items"`
}

type QuestionCategory struct {
	ID    int64  `json:"id"`
	Code  string `json:"code"`
	Label string `json:"label"`
}

func (a *API) invoiceQuestionCategories(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.issuer()
	if err != nil {
		return err
	}
	if a.Chorus == nil {
		return kairos.Errorf(kairos.ENotFound, "Chorus Pro n'est pas disponible sur cette instance.")
	}
	id, err := pathInt(r, "id", "Facture")
	if err != nil {
		return err
	}
	if _, err := svc.Get(r.Context(), kairos.ActorFrom(r.Context()), id); err != nil {
		return err
	}
	cats, err := a.Chorus.QuestionCategories(r.Context())
	if err != nil {
		return err
	}
	out := QuestionCategories{Items: []QuestionCategory{}}
	for _, c := range cats {
		out.Items = append(out.Items, QuestionCategory{ID: c.IDTechniqueCategorie, Code: c.CodeCategorie, Label: c.LibelleCategorie})
	}
	return writeJSON(w, http.StatusOK, out)
}
