package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"

	"kairos/webhooks"
)

// The developers' page renders the API's OpenAPI document (read from the
// mounted API handler, so that it is the one served) as HTML: no script, no CDN.

type apiDoc struct {
	Groups  []apiGroup
	Schemas []apiSchema
	Events  []webhooks.EventType
	Retries []string
	Base    string
	Err     string
}

type apiGroup struct {
	Name string
	Ops  []apiOp
}

type apiOp struct {
	ID, Method, Path, Summary, Description string
	Params                                 []apiParam
	Body                                   string // schema name
	Responses                              []apiResponse
	Curl                                   string
}

type apiParam struct{ Name, In, Type, Desc string }

type apiResponse struct{ Code, Desc, Schema string }

type apiSchema struct {
	Name, Desc string
	Props      []apiProp
	JSON       string // other shapes (allOf…)
}

type apiProp struct{ Name, Type, Desc string }

var (
	docOnce sync.Once
	docRaw  map[string]any
	docErr  error
)

func (s *Server) openAPI() (map[string]any, error) {
	docOnce.Do(func() {
		if s.API == nil {
			docErr = fmt.Errorf("no API")
			return
		}
		rec := httptest.NewRecorder()
		s.API.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
		docErr = json.Unmarshal(rec.Body.Bytes(), &docRaw)
	})
	return docRaw, docErr
}

func (s *Server) developers(w http.ResponseWriter, r *http.Request) {
	p := apiDoc{Events: webhooks.Types, Base: strings.TrimRight(s.Cfg.BaseURL, "/")}
	for i, d := range webhooks.Retries {
		if i > 0 {
			p.Retries = append(p.Retries, d.String())
		}
	}
	doc, err := s.openAPI()
	if err != nil {
		s.Log.Error("web: openapi", "err", err)
		p.Err = "La description de l'API est indisponible."
		s.render(w, r, http.StatusOK, "developers", p)
		return
	}
	schemas, _ := dig(doc, "components", "schemas").(map[string]any)
	sharedParams, _ := dig(doc, "components", "parameters").(map[string]any)
	paths, _ := doc["paths"].(map[string]any)
	groups := map[string]*apiGroup{}
	var names []string
	for path, v := range paths {
		ops, _ := v.(map[string]any)
		seg := strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")[0]
		seg = strings.TrimSuffix(seg, ".json")
		g, ok := groups[seg]
		if !ok {
			g = &apiGroup{Name: seg}
			groups[seg] = g
			names = append(names, seg)
		}
		for method, o := range ops {
			op, _ := o.(map[string]any)
			if op == nil {
				continue
			}
			x := apiOp{Method: strings.ToUpper(method), Path: path, ID: str(op["operationId"]), Summary: str(op["summary"]), Description: str(op["description"])}
			params, _ := op["parameters"].([]any)
			for _, pp := range params {
				pm, _ := pp.(map[string]any)
				if ref := str(pm["$ref"]); ref != "" { // a shared parameter (Idempotency-Key)
					pm, _ = sharedParams[refName(ref)].(map[string]any)
				}
				x.Params = append(x.Params, apiParam{Name: str(pm["name"]), In: str(pm["in"]), Type: typeOf(pm["schema"]), Desc: str(pm["description"])})
			}
			var example string
			if ref := str(dig(op, "requestBody", "content", "application/json", "schema", "$ref")); ref != "" {
				x.Body = refName(ref)
				b, _ := json.MarshalIndent(exampleOf(schemas, ref, 0), "", "  ")
				example = string(b)
			}
			resps, _ := op["responses"].(map[string]any)
			var codes []string
			for c := range resps {
				codes = append(codes, c)
			}
			sort.Strings(codes)
			for _, c := range codes {
				rm, _ := resps[c].(map[string]any)
				res := apiResponse{Code: c, Desc: str(rm["description"])}
				if ref := str(rm["$ref"]); ref != "" {
					res.Desc = "voir " + refName(ref)
				}
				if ref := str(dig(rm, "content", "application/json", "schema", "$ref")); ref != "" {
					res.Schema = refName(ref)
				}
				x.Responses = append(x.Responses, res)
			}
			x.Curl = curl(p.Base, x.Method, path, example)
			g.Ops = append(g.Ops, x)
		}
		sort.Slice(g.Ops, func(i, j int) bool {
			if g.Ops[i].Path != g.Ops[j].Path {
				return g.Ops[i].Path < g.Ops[j].Path
			}
			return g.Ops[i].Method < g.Ops[j].Method
		})
	}
	sort.Strings(names)
	for _, n := range names {
		p.Groups = append(p.Groups, *groups[n])
	}
	var snames []string
	for n := range schemas {
		if !strings.HasPrefix(n, "Event.") {
			snames = append(snames, n)
		}
	}
	sort.Strings(snames)
	for _, n := range snames {
		sm, _ := schemas[n].(map[string]any)
		sc := apiSchema{Name: n, Desc: str(sm["description"])}
		props, _ := sm["properties"].(map[string]any)
		var pn []string
		for k := range props {
			pn = append(pn, k)
		}
		sort.Strings(pn)
		for _, k := range pn {
			pm, _ := props[k].(map[string]any)
			sc.Props = append(sc.Props, apiProp{Name: k, Type: typeOf(pm), Desc: str(pm["description"])})
		}
		if len(pn) == 0 {
			b, _ := json.MarshalIndent(sm, "", "  ")
			sc.JSON = string(b)
		}
		p.Schemas = append(p.Schemas, sc)
	}
	s.render(w, r, http.StatusOK, "developers", p)
}

func curl(base, method, path, body string) string {
	var b strings.Builder
	b.WriteString("curl")
	if method != "GET" {
		b.WriteString(" -X " + method)
	}
	b.WriteString(" \\\n  -H \"Authorization: Bearer $KAIROS_CLE\"")
	if method == "POST" {
		b.WriteString(" \\\n  -H \"Idempotency-Key: $(uuidgen)\"")
	}
	if body != "" {
		b.WriteString(" \\\n  -H \"Content-Type: application/json\" \\\n  -d '" + strings.ReplaceAll(body, "'", "'\\''") + "'")
	}
	b.WriteString(" \\\n  \"" + base + path + "\"")
	return b.String()
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string { s, _ := v.(string); return s }

func refName(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }

func typeOf(v any) string {
	m, _ := v.(map[string]any)
	if m == nil {
		return ""
	}
	if ref := str(m["$ref"]); ref != "" {
		return refName(ref)
	}
	t := str(m["type"])
	if t == "array" {
		return "liste de " + typeOf(m["items"])
	}
	if f := str(m["format"]); f != "" {
		t += " (" + f + ")"
	}
	if e, ok := m["enum"].([]any); ok {
		var vs []string
		for _, x := range e {
			vs = append(vs, fmt.Sprint(x))
		}
		t += " : " + strings.Join(vs, ", ")
	}
	return t
}

// exampleOf builds an example value of a schema, for the curl examples.
func exampleOf(schemas map[string]any, v any, depth int) any {
	if depth > 4 {
		return nil
	}
	if ref, ok := v.(string); ok {
		return exampleOf(schemas, schemas[refName(ref)], depth+1)
	}
	m, _ := v.(map[string]any)
	if m == nil {
		return nil
	}
	if ref := str(m["$ref"]); ref != "" {
		return exampleOf(schemas, schemas[refName(ref)], depth+1)
	}
	if ex, ok := m["example"]; ok {
		return ex
	}
	if e, ok := m["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	switch str(m["type"]) {
	case "object", "":
		props, _ := m["properties"].(map[string]any)
		if len(props) == 0 {
			return map[string]any{}
		}
		req := map[string]bool{}
		if rs, ok := m["required"].([]any); ok {
			for _, r := range rs {
				req[str(r)] = true
			}
		}
		out := map[string]any{}
		for k, p := range props {
			if len(req) == 0 || req[k] {
				out[k] = exampleOf(schemas, p, depth+1)
			}
		}
		return out
	case "array":
		return []any{exampleOf(schemas, m["items"], depth+1)}
	case "integer":
		return 1
	case "number":
		return 1.5
	case "boolean":
		return true
	case "string":
		switch str(m["format"]) {
		case "date":
			return "2026-09-01"
		case "date-time":
			return "2026-09-01T09:00:00Z"
		case "uri":
			return "https://erp.exemple.fr/kairos/webhooks"
		}
		return "texte"
	}
	return nil
}
