package api

import (
	"bufio"
	"net/http"
	"strconv"

	"kairos"
	"kairos/catalogue"
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
	if len(fields) > 0 {
		return f, kairos.Invalid(fields)
	}
	return f, nil
}

// SessionPage is a page of catalogue sessions.
type SessionPage struct {
	*catalogue.Result
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
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
	return writeJSON(w, http.StatusOK, SessionPage{Result: res, Offset: f.Offset, Limit: f.Limit})
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
}

func (a *API) listImports(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := paging(r.URL.Query().Get("offset"), r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	items, total, err := a.catalogue().Imports(r.Context(), offset, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ImportList{Items: items, Total: total, Offset: offset, Limit: limit})
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
	offset, limit, err := paging(r.URL.Query().Get("offset"), r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	o, err := a.catalogue().Offer(r.Context(), kairos.ActorFrom(r.Context()), offset, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}
