package tracking

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"
)

var docAction = regexp.MustCompile(`records the (\S+) event`)

// parseDecls reads a generated file's Track functions and the event each
// tracks: the descriptor the function passes to the tracker names the
// event; the doc comment ("TrackX records the x event.") is the fallback.
func parseDecls(file string) map[string]string {
	// Comments are most of a generated file: they are read only when a
	// function's body names no descriptor.
	out, missing := parseDeclsMode(file, parser.SkipObjectResolution)
	if missing {
		out, _ = parseDeclsMode(file, parser.ParseComments|parser.SkipObjectResolution)
	}
	return out
}

// parseDeclsMode is parseDecls with the parser mode given; missing
// reports a Track function whose event it could not tell.
func parseDeclsMode(file string, mode parser.Mode) (out map[string]string, missing bool) {
	out = map[string]string{}
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, mode)
	if err != nil {
		return out, false
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
		if !ok || fd.Recv != nil || fd.Body == nil || !strings.HasPrefix(fd.Name.Name, "Track") {
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
		} else {
			missing = true
		}
	}
	return out, missing
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
