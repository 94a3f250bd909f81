package tracking

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"regexp"
	"strconv"
	"sync"
)

// declIndex maps a generated Track function to its event by reading the
// file that declares it: the descriptor the function passes to the
// tracker names the event; the doc comment ("TrackX records the x
// event.") is the fallback. Each file is parsed once.
type declIndex struct {
	mu    sync.Mutex
	files map[string]map[string]string // file → function → action
}

func newDeclIndex() *declIndex { return &declIndex{files: map[string]map[string]string{}} }

// action returns the event fn tracks, or "" when its file cannot say.
func (x *declIndex) action(fset *token.FileSet, fn *types.Func) string {
	file := fset.Position(fn.Pos()).Filename
	if file == "" {
		return ""
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	byFunc, ok := x.files[file]
	if !ok {
		byFunc = parseDecls(file)
		x.files[file] = byFunc
	}
	return byFunc[fn.Name()]
}

var docAction = regexp.MustCompile(`records the (\S+) event`)

// parseDecls reads a generated file's Track functions and the event each
// tracks.
func parseDecls(file string) map[string]string {
	out := map[string]string{}
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return out
	}
	// The descriptors: var eventX = event.Descriptor{Name: "x", ...}.
	names := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, v := range vs.Values {
				if i < len(vs.Names) {
					if name := descriptorName(v); name != "" {
						names[vs.Names[i].Name] = name
					}
				}
			}
		}
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv != nil || fd.Body == nil {
			continue
		}
		action := ""
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || action != "" {
				return action == ""
			}
			for _, a := range call.Args {
				if u, ok := a.(*ast.UnaryExpr); ok && u.Op == token.AND {
					if id, ok := u.X.(*ast.Ident); ok && names[id.Name] != "" {
						action = names[id.Name]
					}
				}
			}
			return true
		})
		if action == "" && fd.Doc != nil {
			if m := docAction.FindStringSubmatch(fd.Doc.Text()); m != nil {
				action = m[1]
			}
		}
		if action != "" {
			out[fd.Name.Name] = action
		}
	}
	return out
}

// descriptorName returns the Name of an event.Descriptor composite
// literal, or "".
func descriptorName(v ast.Expr) string {
	lit, ok := v.(*ast.CompositeLit)
	if !ok {
		return ""
	}
	sel, ok := lit.Type.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Descriptor" {
		return ""
	}
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Name" {
			if b, ok := kv.Value.(*ast.BasicLit); ok && b.Kind == token.STRING {
				s, err := strconv.Unquote(b.Value)
				if err == nil {
					return s
				}
			}
		}
	}
	return ""
}
