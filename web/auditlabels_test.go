package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"kairos/adhesion"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/enrolment"
	"kairos/quotes"
	"kairos/web"
)

// auditFamilies are the codes written as "prefix." + a table's action or
// state: every member of each family must have a label.
func auditFamilies() map[string][]string {
	f := map[string][]string{}
	for _, r := range adhesion.Workflow.Rows {
		f["adhesion."] = append(f["adhesion."], string(r.Action))
	}
	for _, r := range assessments.Table.Rows {
		f["assessment."] = append(f["assessment."], string(r.Action))
	}
	for _, r := range enrolment.Workflow.Rows {
		f["enrolment."] = append(f["enrolment."], r.Action)
	}
	for _, r := range quotes.Workflow.Rows {
		f["quote."] = append(f["quote."], string(r.Action))
	}
	for _, s := range appointments.States {
		if s != "" {
			f["appointment.participant."] = append(f["appointment.participant."], s)
		}
	}
	for _, r := range appointments.Results {
		if r != "" {
			f["appointment.result."] = append(f["appointment.result."], r)
		}
	}
	return f
}

// TestEveryAuditActionHasALabel reads every non-test Go file of the
// repository, finds each store.Change{Action: …} and resolves its code: a
// literal; "family." + something (every member of the family); a constant;
// a variable (the literals assigned to it in the function); a parameter
// (the literals passed for it by the package's calls). Each code must have
// a French label in the journal.
func TestEveryAuditActionHasALabel(t *testing.T) {
	fset := token.NewFileSet()
	type pkgFiles struct{ files []*ast.File }
	pkgs := map[string]*pkgFiles{}
	root := ".."
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		dir := filepath.Dir(p)
		if pkgs[dir] == nil {
			pkgs[dir] = &pkgFiles{}
		}
		pkgs[dir].files = append(pkgs[dir].files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	families := auditFamilies()
	codes := map[string]string{} // code → where
	var unresolved []string
	for _, pkg := range pkgs {
		// Functions of the package by name, for parameters.
		funcs := map[string]*ast.FuncDecl{}
		for _, f := range pkg.files {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok {
					funcs[fd.Name.Name] = fd
				}
			}
		}
		lits := func(fn ast.Node, name string) []string {
			var out []string
			ast.Inspect(fn, func(n ast.Node) bool {
				if as, ok := n.(*ast.AssignStmt); ok {
					for i, l := range as.Lhs {
						if id, ok := l.(*ast.Ident); ok && id.Name == name && i < len(as.Rhs) {
							if bl, ok := as.Rhs[i].(*ast.BasicLit); ok && bl.Kind == token.STRING {
								v, _ := strconv.Unquote(bl.Value)
								out = append(out, v)
							}
						}
					}
				}
				return true
			})
			return out
		}
		var resolve func(e ast.Expr, fn *ast.FuncDecl, where string, depth int)
		resolve = func(e ast.Expr, fn *ast.FuncDecl, where string, depth int) {
			switch x := e.(type) {
			case *ast.BasicLit:
				v, _ := strconv.Unquote(x.Value)
				codes[v] = where
				return
			case *ast.BinaryExpr:
				if bl, ok := x.X.(*ast.BasicLit); ok && x.Op == token.ADD {
					prefix, _ := strconv.Unquote(bl.Value)
					if id, ok := x.Y.(*ast.Ident); ok && id.Obj != nil && id.Obj.Kind == ast.Con {
						if vs, ok := id.Obj.Decl.(*ast.ValueSpec); ok {
							for i, n := range vs.Names {
								if n.Name == id.Name && i < len(vs.Values) {
									if v, ok := vs.Values[i].(*ast.BasicLit); ok {
										s, _ := strconv.Unquote(v.Value)
										codes[prefix+s] = where
										return
									}
								}
							}
						}
					}
					if members, ok := families[prefix]; ok {
						for _, m := range members {
							codes[prefix+m] = where
						}
						return
					}
				}
			case *ast.Ident:
				if fn != nil && depth < 3 {
					if vals := lits(fn.Body, x.Name); len(vals) > 0 {
						for _, v := range vals {
							codes[v] = where
						}
						return
					}
					// A parameter: the literals the package's calls pass for it.
					idx := -1
					n := 0
					for _, fld := range fn.Type.Params.List {
						for _, nm := range fld.Names {
							if nm.Name == x.Name {
								idx = n
							}
							n++
						}
					}
					if idx >= 0 {
						found := false
						for _, f := range pkg.files {
							ast.Inspect(f, func(nd ast.Node) bool {
								if fd, ok := nd.(*ast.FuncDecl); ok {
									ast.Inspect(fd, func(nd ast.Node) bool {
										call, ok := nd.(*ast.CallExpr)
										if !ok || idx >= len(call.Args) {
											return true
										}
										if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == fn.Name.Name {
											found = true
											resolve(call.Args[idx], fd, where, depth+1)
										}
										return true
									})
									return false
								}
								return true
							})
						}
						if found {
							return
						}
					}
				}
			}
			unresolved = append(unresolved, where)
		}
		for _, f := range pkg.files {
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok {
					continue
				}
				ast.Inspect(fd, func(n ast.Node) bool {
					cl, ok := n.(*ast.CompositeLit)
					if !ok {
						return true
					}
					sel, ok := cl.Type.(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != "Change" {
						return true
					}
					if pk, ok := sel.X.(*ast.Ident); !ok || pk.Name != "store" {
						return true
					}
					for _, el := range cl.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Action" {
								resolve(kv.Value, fd, fset.Position(kv.Pos()).String(), 0)
							}
						}
					}
					return true
				})
			}
		}
	}
	if len(unresolved) > 0 {
		t.Errorf("audit action codes the test cannot resolve (add a family or use a literal): %v", unresolved)
	}
	if len(codes) < 60 {
		t.Fatalf("only %d codes found: the scan is broken", len(codes))
	}
	for code, where := range codes {
		if _, ok := web.AuditActionLabel(code); !ok {
			t.Errorf("%s: action %q has no label in web/auditlabels.go", where, code)
		}
	}
	t.Logf("%d action codes, each with its label", len(codes))
}
