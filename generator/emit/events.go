package emit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/event"
)

// gen builds the declarations of every file from a plan.
type gen struct {
	opts Options
	plan *planned
}

// files lists every file to render: one per active event, one per metric
// definition file with an active or broken metric, and, last (Emit starts
// it first), the package-wide file.
func (g *gen) files() []job {
	var jobs []job
	for _, ep := range g.plan.events {
		jobs = append(jobs, job{
			name:   fileName("event", ep.ev.Action),
			source: g.opts.sourceName(ep.ev.File),
			pos:    ep.ev.Pos,
			decls:  func() []jen.Code { return eventDecls(ep) },
		})
	}
	jobs = append(jobs, g.metricJobs()...)
	jobs = append(jobs, job{name: "usagekit" + FileSuffix, source: g.opts.rootName(), decls: g.packageDecls})
	return jobs
}

// identifier parameters, in the order Track functions take them.
var identParams = map[model.Identifier]struct{ param, field, typ string }{
	model.User:                         {"user", "User", "UserID"},
	model.Project:                      {"project", "Project", "ProjectID"},
	model.Namespace:                    {"namespace", "Namespace", "NamespaceID"},
	model.FeatureEnabledByNamespaceIDs: {"featureEnabledByNamespaceIDs", "FeatureEnabledByNamespaceIDs", ""},
}

func eventDecls(ep *eventPlan) []jen.Code {
	var decls []jen.Code
	for _, f := range ep.fields {
		if f.enum != "" {
			decls = append(decls, enumDecl(ep, f))
		}
	}
	if ep.props != "" {
		decls = append(decls, propsDecl(ep))
	}
	decls = append(decls, descriptorDecl(ep), trackDecl(ep))
	return decls
}

// goType is the Go type of a property's values.
// valueFunc is the event.Value constructor of a property type: a property
// passed as a Value is not boxed, so building it allocates nothing.
func valueFunc(t model.Type) string {
	switch t {
	case model.Integer:
		return "IntValue"
	case model.Number:
		return "FloatValue"
	case model.Boolean:
		return "BoolValue"
	}
	return "StringValue"
}

func goType(t model.Type) *jen.Statement {
	switch t {
	case model.Integer:
		return jen.Int64()
	case model.Number:
		return jen.Float64()
	case model.Boolean:
		return jen.Bool()
	}
	return jen.String()
}

func (f *field) typ() *jen.Statement {
	if f.enum != "" {
		return jen.Id(f.enum)
	}
	return goType(f.prop.Type)
}

func enumDecl(ep *eventPlan, f *field) jen.Code {
	s := docComment(
		fmt.Sprintf("%s is a value of the %s property of the %s event.", f.enum, f.prop.Name, ep.ev.Action),
		userText(f.prop.Description),
	)
	s.Type().Id(f.enum).Add(goType(f.prop.Type)).Line().Line()
	s.Comment(fmt.Sprintf("// Values of %s.", f.enum)).Line()
	s.Const().DefsFunc(func(d *jen.Group) {
		for i, v := range f.prop.Enum {
			if f.consts[i] == "" {
				continue
			}
			d.Id(f.consts[i]).Id(f.enum).Op("=").Add(valueLit(v, f.prop.Type))
		}
	})
	return s
}

// valueLit is v as an untyped constant of a property of type t.
func valueLit(v model.Value, t model.Type) jen.Code {
	switch t {
	case model.Integer:
		return intLit(v.Int)
	case model.Number:
		return jen.Lit(v.Float)
	case model.Boolean:
		return jen.Lit(v.Bool)
	}
	return jen.Lit(v.Text)
}

// intLit renders v untyped, so it converts to any named integer type.
func intLit(v int64) jen.Code {
	if int64(int(v)) == v {
		return jen.Lit(int(v))
	}
	return jen.Lit(v)
}

func propsDecl(ep *eventPlan) jen.Code {
	s := docComment(fmt.Sprintf("%s are the additional properties of the %s event.", ep.props, ep.ev.Action))
	s.Type().Id(ep.props).StructFunc(func(st *jen.Group) {
		for _, f := range ep.fields {
			st.Add(docComment(userText(f.prop.Description))).Id(f.name).Add(f.typ())
		}
	})
	return s
}

func descriptorDecl(ep *eventPlan) jen.Code {
	s := docComment(fmt.Sprintf("event%s describes the %s event and the Redis keys it updates.", ep.name, ep.ev.Action))
	items := []jen.Code{
		kv("Name", jen.Lit(ep.ev.Action)),
		kv("Updates", jen.Index().Qual(pathEvent, "Update").CustomFunc(multiLine, func(rs *jen.Group) {
			for _, u := range ep.updates {
				rs.Add(updateLit(u))
			}
		})),
		kv("Always", bits(always(ep.updates))),
	}
	d := ep.ev.Descriptor()
	items = append(items, identifiersKV(d.Identifiers)...)
	items = append(items, propertiesKV(d.Properties)...)
	s.Var().Id("event"+ep.name).Op("=").Qual(pathEvent, "Descriptor").Add(composite(items...))
	return s
}

// identifierConsts name each identifier's bit in event.Identifiers, in
// bit order.
var identifierConsts = []string{"HasUser", "HasProject", "HasNamespace", "HasFeatureEnabledByNamespaceIDs"}

// identifiersKV is the Identifiers field of an event's descriptor, none
// when it declares no identifier.
func identifiersKV(ids event.Identifiers) []jen.Code {
	s := jen.Null()
	n := 0
	for i, c := range identifierConsts {
		if !ids.Has(1 << i) {
			continue
		}
		if n > 0 {
			s.Op("|")
		}
		s.Qual(pathEvent, c)
		n++
	}
	if n == 0 {
		return nil
	}
	return []jen.Code{kv("Identifiers", s)}
}

var propertyTypeConsts = map[event.PropertyType]string{
	event.String: "String", event.Integer: "Integer", event.Number: "Number", event.Boolean: "Boolean",
}

// propertiesKV is the Properties field of an event's descriptor: what the
// track endpoint accepts, one property a line.
func propertiesKV(props []event.Property) []jen.Code {
	if len(props) == 0 {
		return nil
	}
	return []jen.Code{kv("Properties", jen.Index().Qual(pathEvent, "Property").CustomFunc(multiLine, func(ps *jen.Group) {
		for _, p := range props {
			items := []jen.Code{kv("Name", jen.Lit(p.Name)), kv("Type", jen.Qual(pathEvent, propertyTypeConsts[p.Type]))}
			if p.Untyped {
				items = append(items, kv("Untyped", jen.True()))
			}
			if p.Builtin {
				items = append(items, kv("Builtin", jen.True()))
			}
			if len(p.Enum) > 0 {
				items = append(items, kv("Enum", jen.Index().String().ValuesFunc(func(vs *jen.Group) {
					for _, v := range p.Enum {
						vs.Lit(v)
					}
				})))
			}
			ps.Values(items...)
		}
	}))}
}

var kindNames = map[event.UpdateKind]string{event.Total: "Total", event.Sum: "Sum", event.UniqueCount: "UniqueCount"}

// updateLit is one event.Update on one line.
func updateLit(u event.Update) jen.Code {
	items := []jen.Code{kv("Kind", jen.Qual(pathEvent, kindNames[u.Kind]))}
	if u.Unique != event.UniqueNone {
		items = append(items, kv("Unique", uniqueLit(u.Unique)))
	}
	if len(u.Filter) > 0 {
		items = append(items, kv("Filter", filterLit(u.Filter)))
	}
	items = append(items, kv("Key", jen.Lit(u.Key)))
	if u.AllTime {
		items = append(items, kv("AllTime", jen.True()))
	}
	if u.Weekly {
		items = append(items, kv("Weekly", jen.True()))
	}
	return jen.Values(items...)
}

// bits renders a mask as 1<<i | 1<<j ..., which reads as update numbers.
func bits(mask uint64) jen.Code {
	s := jen.Null()
	n := 0
	for i := range event.MaxUpdates {
		if mask&(1<<i) == 0 {
			continue
		}
		if n > 0 {
			s.Op("|")
		}
		s.Lit(1).Op("<<").Lit(i)
		n++
	}
	if n == 0 {
		return jen.Lit(0)
	}
	return s
}

func trackDecl(ep *eventPlan) jen.Code {
	ev := ep.ev
	paras := []string{
		fmt.Sprintf("Track%s records the %s event.", ep.name, ev.Action),
		userText(ev.Description),
		facts(ev.ProductGroup, ev.Milestone),
	}
	if len(ep.feeds) > 0 {
		var b strings.Builder
		b.WriteString("It feeds these metrics:\n")
		for _, m := range ep.feeds {
			fmt.Fprintf(&b, "  - %s\n", m.KeyPath)
		}
		paras = append(paras, b.String())
	}
	paras = append(paras, deprecated(ev.MilestoneRemoved, ev.RemovedByURL))
	s := docComment(paras...)

	params := []jen.Code{jen.Id("ctx").Qual(pathContext, "Context")}
	var rec []jen.Code
	for _, id := range model.Identifiers {
		if !ev.HasIdentifier(id) {
			continue
		}
		p := identParams[id]
		typ := jen.Qual(pathEvent, p.typ)
		if id == model.FeatureEnabledByNamespaceIDs {
			typ = jen.Index().Qual(pathEvent, "NamespaceID")
		}
		params = append(params, jen.Id(p.param).Add(typ))
		rec = append(rec, kv(p.field, jen.Id(p.param)))
	}
	if ep.props != "" {
		params = append(params, jen.Id("props").Id(ep.props))
	}
	var custom []*field
	for _, f := range ep.fields {
		if !f.prop.Builtin {
			custom = append(custom, f)
			continue
		}
		// Built-ins: label and property are strings, value a number.
		rec = append(rec, kv(f.name, jen.Id("props").Dot(f.name)))
		if f.prop.Name == "value" {
			rec = append(rec, kv("HasValue", jen.True()))
		}
	}

	s.Func().Id("Track" + ep.name).Params(params...).BlockFunc(func(b *jen.Group) {
		b.Id("rec").Op(":=").Qual(pathEvent, "Record").Add(composite(rec...))
		for _, fg := range filterGroups(ep.updates) {
			b.If(ep.cond(fg.filter)).Block(jen.Id("rec").Dot("Match").Op("|=").Add(bits(fg.mask)))
		}
		call := func(t jen.Code) jen.Code {
			return jen.Add(t).Dot("Track").Call(jen.Id("ctx"), jen.Op("&").Id("event"+ep.name), jen.Op("&").Id("rec"))
		}
		if len(custom) == 0 {
			b.Add(call(jen.Qual(pathTrack, "From").Call(jen.Id("ctx"))))
			return
		}
		// Custom properties only matter to an event sink or records, so
		// they are built only when the tracker wants them.
		b.Id("t").Op(":=").Qual(pathTrack, "From").Call(jen.Id("ctx"))
		b.If(jen.Id("t").Dot("WantsCustom").Call()).Block(
			jen.Id("rec").Dot("Custom").Op("=").Index().Qual(pathEvent, "Prop").CustomFunc(multiLine, func(ps *jen.Group) {
				for _, f := range custom {
					v := jen.Id("props").Dot(f.name)
					if f.enum != "" {
						v = goType(f.prop.Type).Call(v)
					}
					ps.Values(kv("Name", jen.Lit(f.prop.Name)), kv("Value", jen.Qual(pathEvent, valueFunc(f.prop.Type)).Call(v)))
				}
			}),
		)
		b.Add(call(jen.Id("t")))
	})
	return s
}

// cond is the Go condition that the properties match every term of
// filter. Filter values are canonical text of the property's type, as
// validation left them.
func (ep *eventPlan) cond(filter event.Filter) jen.Code {
	s := jen.Null()
	for i, t := range filter {
		if i > 0 {
			s.Op("&&")
		}
		f := ep.field(t.Property)
		sel := jen.Id("props").Dot(f.name)
		v := parseValue(t.Value, f.prop.Type)
		switch k := slices.IndexFunc(f.prop.Enum, func(e model.Value) bool { return e.Text == t.Value }); {
		case f.enum != "" && k >= 0 && f.consts[k] != "":
			s.Add(sel.Op("==").Id(f.consts[k]))
		case f.prop.Type == model.Boolean && v.Bool:
			s.Add(sel)
		case f.prop.Type == model.Boolean:
			s.Op("!").Add(sel)
		default:
			s.Add(sel.Op("==").Add(valueLit(v, f.prop.Type)))
		}
	}
	return s
}

// parseValue reads the canonical text of a value of type t.
func parseValue(text string, t model.Type) model.Value {
	v := model.Value{Type: t, Text: text}
	switch t {
	case model.Integer:
		v.Int, _ = strconv.ParseInt(text, 10, 64)
		v.Float = float64(v.Int)
	case model.Number:
		v.Float, _ = strconv.ParseFloat(text, 64)
	case model.Boolean:
		v.Bool = text == "true"
	}
	return v
}

// facts is the "Product group: x. Milestone: y." line of a doc comment.
func facts(group, milestone string) string {
	var parts []string
	if group != "" {
		parts = append(parts, "Product group: "+group+".")
	}
	if milestone != "" {
		parts = append(parts, "Milestone: "+milestone+".")
	}
	return strings.Join(parts, " ")
}

// deprecated is the Deprecated paragraph of a definition scheduled for
// removal, so that gopls and staticcheck flag its callers.
func deprecated(milestoneRemoved, url string) string {
	if milestoneRemoved == "" {
		return ""
	}
	s := "Deprecated: scheduled for removal in milestone " + milestoneRemoved + "."
	if url != "" {
		s += " See " + url + "."
	}
	return s
}

// multiLine is a composite literal with one element per line.
var multiLine = jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}

// composite is a composite literal body listing items one per line, in the
// order given (jen.Dict would sort the keys).
func composite(items ...jen.Code) *jen.Statement {
	return jen.Custom(multiLine, items...)
}

// kv is one "Key: value" element of a composite literal.
func kv(key string, v jen.Code) jen.Code {
	return jen.Id(key).Op(":").Add(v)
}
