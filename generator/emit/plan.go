package emit

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

// planned is what Emit will generate, with every Go name decided and every
// problem found before any code is built.
type planned struct {
	events  []*eventPlan  // active events, by action
	metrics []*metricPlan // active and broken metrics, by key_path
}

type eventPlan struct {
	ev      *model.Event
	name    string // Go name of the action
	props   string // name of the properties struct; "" when the event has none
	fields  []*field
	updates []event.Update
	feeds   []*model.Metric // active and broken metrics naming the event
}

// field is one additional property as a struct field.
type field struct {
	prop   *model.Property
	name   string
	enum   string   // named type of an enum property; "" otherwise
	consts []string // constant per enum value, in prop.Enum order
}

func (p *eventPlan) field(property string) *field {
	for _, f := range p.fields {
		if f.prop.Name == property {
			return f
		}
	}
	return nil
}

type metricPlan struct {
	m    *model.Metric
	name string
	// descriptor is the name of the variable holding the metric's
	// descriptor.
	descriptor string
}

// ref is the address of the metric's descriptor.
func (mp *metricPlan) ref() *jen.Statement {
	return jen.Op("&").Id(mp.descriptor)
}

// Names of the package-level API that definitions cannot take.
var fixedNames = []string{"Events", "Instrumentation", "Metrics"}

func plan(set *model.Set, diags *diag.List) *planned {
	pkg := newScope("package-level", diags)
	for _, n := range fixedNames {
		pkg.claim(n, origin{what: "the generated " + n}, n)
	}
	for _, n := range tsReserved {
		pkg.claim(n, origin{what: "the TypeScript client's " + n}, n)
	}
	p := &planned{}
	events := slices.Clone(set.Events)
	slices.SortFunc(events, func(a, b *model.Event) int { return cmp.Compare(a.Action, b.Action) })
	for _, ev := range events {
		// Only internal events are tracked: a legacy event (no
		// internal_events: true) is known by category and action, shares
		// its action with others, and gets no Track function.
		if ev.Status == metric.Removed || !ev.InternalEvents {
			continue
		}
		p.events = append(p.events, planEvent(ev, pkg, diags))
	}
	metrics := slices.Clone(set.Metrics)
	slices.SortFunc(metrics, func(a, b *model.Metric) int { return cmp.Compare(a.KeyPath, b.KeyPath) })
	for _, m := range metrics {
		if !m.Status.Computed() {
			continue
		}
		mp := &metricPlan{m: m, name: GoName(m.KeyPath)}
		pkg.claim(mp.name, origin{pos: m.Pos, what: fmt.Sprintf("metric %s", m.KeyPath)}, m.KeyPath)
		p.metrics = append(p.metrics, mp)
	}
	return p
}

func planEvent(ev *model.Event, pkg *scope, diags *diag.List) *eventPlan {
	ep := &eventPlan{ev: ev, name: GoName(ev.Action)}
	o := origin{pos: ev.Pos, what: fmt.Sprintf("event %s", ev.Action)}
	if ep.name == "" {
		pkg.claim("", o, ev.Action)
		return ep
	}
	pkg.claim("Track"+ep.name, o, ev.Action)
	if len(ev.Properties) > 0 {
		ep.props = ep.name + "Properties"
		pkg.claim(ep.props, o, ev.Action)
	}
	fields := newScope("struct field", diags)
	for _, prop := range ev.Properties {
		f := &field{prop: prop, name: GoName(prop.Name)}
		po := origin{pos: prop.Pos, what: fmt.Sprintf("property %s of event %s", shown(prop.Name), ev.Action)}
		checkTSName(ev, prop, po, diags)
		if !fields.claim(f.name, po, prop.Name) {
			continue
		}
		ep.fields = append(ep.fields, f)
		if len(prop.Enum) == 0 {
			continue
		}
		f.enum = ep.name + f.name
		pkg.claim(f.enum, po, prop.Name)
		for _, v := range prop.Enum {
			c := GoName(v.Text)
			vo := origin{pos: prop.Pos, what: fmt.Sprintf("value %q of property %s of event %s", v.Text, shown(prop.Name), ev.Action)}
			if c == "" {
				pkg.claim("", vo, v.Text)
			} else {
				c = f.enum + c
				pkg.claim(c, vo, v.Text)
			}
			f.consts = append(f.consts, c)
		}
	}
	for _, m := range ev.Metrics {
		if m.Status.Computed() && !slices.Contains(ep.feeds, m) {
			ep.feeds = append(ep.feeds, m)
		}
	}
	ep.updates = ev.Updates()
	return ep
}

// shown is a name as messages show it: as it is, or quoted when it has
// nothing to show.
func shown(name string) string {
	if strings.TrimSpace(name) == "" {
		return strconv.Quote(name)
	}
	return name
}

// checkTSName reports a property the TypeScript client cannot take by its
// name: the key of an identifier the event declares, or __proto__, which an
// object literal takes for its prototype.
func checkTSName(ev *model.Event, prop *model.Property, po origin, diags *diag.List) {
	for _, id := range []model.Identifier{model.Project, model.Namespace} {
		if prop.Name == tsIdentifierKeys[id] && ev.HasIdentifier(id) {
			diags.Add(prop.Pos.File, prop.Pos.Line, prop.Pos.Col, "ts-name",
				"%s: the TypeScript client takes the %s identifier by this key; rename the property", po.what, id)
		}
	}
	if prop.Name == "__proto__" {
		diags.Add(prop.Pos.File, prop.Pos.Line, prop.Pos.Col, "ts-name",
			"%s: a JavaScript object literal takes this key for its prototype; rename the property", po.what)
	}
}
