package api

import (
	"bufio"
	"net/http"
	"strconv"

	"kairos"
	"kairos/catalogue"
	"kairos/lheo"
)

// Rules of the catalogue routes, declared by the capability.
var (
	catalogueReaders = catalogue.ReadRule
	catalogueCarif   = catalogue.ImportRule
	catalogueOF      = catalogue.OfferRule
)

// MaxImportSize bounds an uploaded LHÉO file (the import streams it).
const MaxImportSize = 4 << 30

func (a *API) catalogue() *catalogue.Service { return a.Catalogue }

// filterFrom reads a search filter from the query string.
func filterFrom(r *http.Request) (catalogue.Filter, error) {
	q := r.URL.Query()
	f := catalogue.Filter{Q: q.Get("q"), Formacode: q.Get("formacode"), ROME: q.Get("rome"), Region: q.Get("region"), Departement: q.Get("departement"),
		Etat: q.Get("etat_recrutement"), Certifiante: q.Get("certifiante"), Modalite: q.Get("modalite"), Sort: q.Get("tri"), Withdrawn: q.Get("retirees") == "1"}
	fields := map[string]string{}
	var err error
	if f.StartFrom, err = catalogue.ParseDateParam(q.Get("debut_min")); err != nil {
		fields["debut_min"] = kairos.ErrorMessage(err)
	}
	if f.StartTo, err = catalogue.ParseDateParam(q.Get("debut_max")); err != nil {
		fields["debut_max"] = kairos.ErrorMessage(err)
	}
	if f.Offset, f.Limit, err = paging(q.Get("offset"), q.Get("limit")); err != nil {
		for k, v := range kairos.FieldErrors(err) {
			fields[k] = v
		}
	}
	// A search is run again for each page: its cursor is the rank of the
	// next result (see SessionPage).
	if v := q.Get("after"); v != "" {
		k, ok := decodeCursor(v)
		var n int64
		if ok && len(k) == 2 && k[0] == "rang" {
			n, ok = keyInt(k[1])
		} else {
			ok = false
		}
		if !ok || n > catalogue.MaxCount {
			fields["after"] = "Curseur invalide : reprenez la valeur « next » d'une page précédente de cette recherche."
		}
		f.Offset = int(n)
	}
	if len(fields) > 0 {
		return f, kairos.Invalid(fields)
	}
	return f, nil
}

// SessionPage is a page of catalogue sessions. A search is not a list of
// objects to walk: it is run again for each page and its cursor is a rank
// (the first 1 000 results); the complete, stable catalogue is the LHÉO
// export (GET /api/v1/catalogue/lheo).
type SessionPage struct {
	*catalogue.Result
	Offset int    `json:"offset"`
	Limit  int    `json:"limit"`
	Next   string `json:"next,omitempty"` // pass as ?after= for the next page
}

func (a *API) searchSessions(w http.ResponseWriter, r *http.Request) error {
	f, err := filterFrom(r)
	if err != nil {
		return err
	}
	res, err := a.catalogue().Search(r.Context(), f)
	if err != nil {
		return err
	}
	out := SessionPage{Result: res, Offset: f.Offset, Limit: f.Limit}
	if n := f.Offset + len(res.Items); len(res.Items) == f.Limit && n < res.Total && n <= catalogue.MaxCount {
		out.Next = encodeCursor([]string{"rang", kInt(int64(n))})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getSession(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id", "Session")
	if err != nil {
		return err
	}
	d, err := a.catalogue().Session(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (a *API) exportLHEO(w http.ResponseWriter, r *http.Request) error {
	// Stream the document; an error before the first byte is a problem document.
	bw := &lazyWriter{w: w}
	_, _, err := a.catalogue().Export(r.Context(), bw)
	if err != nil && !bw.started {
		return err
	}
	if err == nil {
		err = bw.flush()
	}
	if err != nil && a.Log != nil {
		a.Log.Error("api: LHÉO export interrupted", "err", err)
	}
	return nil
}

// lazyWriter sets the headers on the first write.
type lazyWriter struct {
	w       http.ResponseWriter
	bw      *bufio.Writer
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		l.w.Header().Set("Content-Disposition", `attachment; filename="catalogue-lheo-2.3.xml"`)
		l.bw = bufio.NewWriterSize(l.w, 64<<10)
	}
	return l.bw.Write(p)
}

func (l *lazyWriter) flush() error {
	if l.bw == nil {
		return nil
	}
	return l.bw.Flush()
}

// ImportReport is an import with its report lines.
type ImportReport struct {
	*catalogue.Import
	StatusLabel string                 `json:"status_label"`
	Lines       []catalogue.ReportLine `json:"lines"`
}

func (a *API) createImport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	name := q.Get("nom")
	if name == "" {
		name = "api.xml"
	}
	body := http.MaxBytesReader(w, r.Body, MaxImportSize)
	imp, err := a.catalogue().Import(r.Context(), body, catalogue.ImportOptions{Source: q.Get("source"), FileName: name, Size: r.ContentLength, Partial: q.Get("partiel") == "1"})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if imp.Status != catalogue.StatusDone {
		status = http.StatusUnprocessableEntity
	}
	w.Header().Set("Location", "/api/v1/catalogue/imports/"+strconv.FormatInt(imp.ID, 10))
	return a.writeImport(w, r, status, imp)
}

func (a *API) writeImport(w http.ResponseWriter, r *http.Request, status int, imp *catalogue.Import) error {
	lines, err := a.catalogue().ReportLines(r.Context(), imp.ID, 1000)
	if err != nil {
		return err
	}
	return writeJSON(w, status, ImportReport{Import: imp, StatusLabel: imp.StatusLabel(), Lines: lines})
}

// ImportList is a page of imports.
type ImportList struct {
	Items  []catalogue.Import `json:"items"`
	Total  int                `json:"total"`
	Offset int                `json:"offset"`
	Limit  int                `json:"limit"`
	Next   string             `json:"next,omitempty"` // pass as ?after= for the next page
}

func (a *API) listImports(w http.ResponseWriter, r *http.Request) error {
	offset, _, err := paging(r.URL.Query().Get("offset"), "")
	if err != nil {
		return err
	}
	p, err := readPage(r, 25)
	if err != nil {
		return err
	}
	var before int64
	if p.After != nil {
		ok := len(p.After) == 1
		if ok {
			before, ok = keyInt(p.After[0])
		}
		if !ok {
			return badCursor()
		}
	}
	items, total, err := a.catalogue().ImportsBefore(r.Context(), before, offset, p.Limit+1)
	if err != nil {
		return err
	}
	items, next := nextOf(items, p.Limit, func(x catalogue.Import) []string { return []string{kInt(x.ID)} })
	return writeJSON(w, http.StatusOK, ImportList{Items: items, Total: total, Offset: offset, Limit: p.Limit, Next: next})
}

func (a *API) getImport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id", "Import")
	if err != nil {
		return err
	}
	imp, err := a.catalogue().ImportByID(r.Context(), id)
	if err != nil {
		return err
	}
	return a.writeImport(w, r, http.StatusOK, imp)
}

func (a *API) importCSV(w http.ResponseWriter, r *http.Request) error {
	id, err := pathInt(r, "id", "Import")
	if err != nil {
		return err
	}
	if _, err := a.catalogue().ImportByID(r.Context(), id); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="rapport-import-`+strconv.FormatInt(id, 10)+`.csv"`)
	return a.catalogue().WriteReportCSV(r.Context(), id, w)
}

func (a *API) myOffer(w http.ResponseWriter, r *http.Request) error {
	offset, _, err := paging(r.URL.Query().Get("offset"), "")
	if err != nil {
		return err
	}
	p, err := readPage(r, 0)
	if err != nil {
		return err
	}
	var after *catalogue.OfferKey
	if p.After != nil {
		k, ok := offerKey(p.After)
		if !ok {
			return badCursor()
		}
		after = &k
	}
	o, err := a.catalogue().OfferAfter(r.Context(), kairos.ActorFrom(r.Context()), after, offset, p.Limit+1)
	if err != nil {
		return err
	}
	out := OfferPage{Offer: o}
	o.Sessions, out.Next = nextOf(o.Sessions, p.Limit, func(x catalogue.OfferSession) []string {
		k := catalogue.KeyOf(x.Session)
		w := int64(0)
		if k.Withdrawn {
			w = 1
		}
		return []string{kInt(w), kInt(int64(k.Debut)), kInt(k.ID)}
	})
	o.Visible = 0
	for _, x := range o.Sessions {
		if x.Visibility.Visible {
			o.Visible++
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// OfferPage is a page of the OF's offer: current sessions first, newest start first.
type OfferPage struct {
	*catalogue.Offer
	Next string `json:"next,omitempty"` // pass as ?after= for the next page
}

func offerKey(k []string) (catalogue.OfferKey, bool) {
	if len(k) != 3 {
		return catalogue.OfferKey{}, false
	}
	w, ok1 := keyInt(k[0])
	d, ok2 := keyInt(k[1])
	id, ok3 := keyInt(k[2])
	if !ok1 || !ok2 || !ok3 || w > 1 || d > 1<<32-1 {
		return catalogue.OfferKey{}, false
	}
	return catalogue.OfferKey{Withdrawn: w == 1, Debut: lheo.Date(d), ID: id}, true
}
