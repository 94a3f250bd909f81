package validate

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

// The rules that span files, each with the name diagnostics carry in Rule.
const (
	ruleDuplicateAction  = "duplicate-action"
	ruleFileName         = "file-name"
	ruleEnumType         = "enum-type"
	ruleDuplicateKeyPath = "duplicate-key-path"
	ruleKeyPathParent    = "key-path-parent"
	ruleUnknownEvent     = "unknown-event"
	ruleLegacyEvent      = "legacy-event"
	ruleRemovedEvent     = "removed-event"
	ruleUniqueTimeFrame  = "unique-time-frame"
	ruleUniqueAttribute  = "unique-attribute"
	ruleMixedRules       = "mixed-rules"
	ruleFilter           = "filter"
	ruleSumValue         = "sum-value"
	ruleEventTimeFrame   = "event-time-frame"
	ruleTooManyUpdates   = "too-many-updates"
	// ruleGoName is emit's rule for names that collide or cannot become Go
	// identifiers.
	ruleGoName = "go-name"
)

// SpansFiles reports whether rule is one of the rules that span files: a
// diagnostic carrying it is about how a file relates to others, and the
// file itself loaded and matched its schema.
func SpansFiles(rule string) bool {
	switch rule {
	case ruleDuplicateAction, ruleFileName, ruleEnumType, ruleDuplicateKeyPath, ruleKeyPathParent,
		ruleUnknownEvent, ruleLegacyEvent, ruleRemovedEvent, ruleUniqueTimeFrame, ruleUniqueAttribute, ruleMixedRules,
		ruleFilter, ruleSumValue, ruleEventTimeFrame, ruleTooManyUpdates, ruleGoName:
		return true
	}
	return false
}

type checker struct {
	set   *model.Set
	diags diag.List
}

func (c *checker) add(p model.Pos, rule, format string, args ...any) {
	c.diags.Add(p.File, p.Line, p.Col, rule, format, args...)
}

// checkRules applies the rules that span files (DESIGN.md, "Cross-file
// rules") and settles filter value types on the model.
func checkRules(set *model.Set) diag.List {
	c := &checker{set: set}
	c.guard(model.Pos{File: "definitions"}, c.events)
	c.guard(model.Pos{File: "definitions"}, c.keyPaths)
	for _, m := range set.Metrics {
		c.guard(m.Pos, func() { c.metricRules(m) })
	}
	for _, e := range set.Events {
		c.guard(e.Pos, func() { c.updates(e) })
	}
	return c.diags
}

// guard runs a check, turning a panic into a diagnostic at p: a defect in
// one rule must not hide every other problem of the run.
func (c *checker) guard(p model.Pos, check func()) {
	defer diag.Recover(&c.diags, p.File, "checking this definition")
	check()
}

func posText(p model.Pos) string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// events checks what can be wrong with events alone: duplicate actions,
// file names in usagekit's layout, and enum values of the wrong type.
func (c *checker) events() {
	first := map[string]*model.Event{}
	for _, e := range c.set.Events {
		if e.Action == "" {
			continue // the schema reports it
		}
		if f, dup := first[eventKey(e)]; dup {
			c.duplicate(e, f)
		} else {
			first[eventKey(e)] = e
		}
		if ownLayout(e.File) && validAction(e.Action) {
			base := path.Base(e.File)
			if name := strings.TrimSuffix(base, path.Ext(base)); name != e.Action {
				c.add(e.Pos, ruleFileName, "action %q does not match the file name %s; rename the file to %s%s", e.Action, base, e.Action, path.Ext(base))
			}
		}
		for _, p := range e.Properties {
			for i, v := range p.Enum {
				if nv, ok := conform(p.Type, v); ok {
					p.Enum[i] = nv
					continue
				}
				c.add(p.Pos, ruleEnumType, "additional_properties.%s.enum[%d]: %s is %s; the property is %s", p.Name, i, quoted(v), article(v.Type), article(p.Type))
			}
		}
	}
}

// eventKey is what identifies an event among the others, as in GitLab: an
// internal event (internal_events: true) by its action, which names its
// Track function and Redis keys; a legacy Snowplow event by its category and
// action, so legacy events of different categories may share an action.
func eventKey(e *model.Event) string {
	if e.InternalEvents {
		return e.Action
	}
	return "legacy\x00" + e.Category + "\x00" + e.Action
}

// duplicate reports e, which has the key of the earlier event f.
func (c *checker) duplicate(e, f *model.Event) {
	if e.InternalEvents {
		c.add(e.Pos, ruleDuplicateAction, "duplicate event action %q: %s defines it too", e.Action, posText(f.Pos))
		return
	}
	c.add(e.Pos, ruleDuplicateAction, "duplicate legacy event: category %q and action %q: %s defines them too; a legacy event (without internal_events: true) is known by both",
		e.Category, e.Action, posText(f.Pos))
}

// validAction reports whether action matches the schema's pattern; the
// schema reports other actions, and naming a file after them would not help.
func validAction(action string) bool {
	for _, r := range action {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return action != ""
}

// ownLayout reports whether an event file is in usagekit's layout
// (definitions/events/<action>.yml), where the file is named after the
// action. GitLab's config/events files carry a timestamp prefix instead.
func ownLayout(file string) bool {
	dir := path.Dir(file)
	for ; dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
		if path.Base(dir) == "events" {
			return path.Base(path.Dir(dir)) != "config"
		}
	}
	return false
}

// keyPaths checks that key paths are unique after time-frame expansion and
// that none is both a value and the parent of another.
func (c *checker) keyPaths() {
	first := map[string]*model.Metric{}
	for _, m := range c.set.Metrics {
		if m.BaseKeyPath == "" {
			continue
		}
		if f, dup := first[m.KeyPath]; dup {
			if f.File == m.File {
				continue // one file listing a time frame twice; the schema reports it
			}
			c.add(m.Pos, ruleDuplicateKeyPath, "duplicate key_path %q: %s and %s both define it", m.KeyPath, posText(f.Pos), posText(m.Pos))
			continue
		}
		first[m.KeyPath] = m
	}
	for _, m := range c.set.Metrics {
		k := m.KeyPath
		for i := strings.LastIndexByte(k, '.'); i > 0; i = strings.LastIndexByte(k[:i], '.') {
			if parent, ok := first[k[:i]]; ok && first[k] == m {
				c.add(parent.Pos, ruleKeyPathParent, "key_path %q holds a value, but %s (%s) puts %q inside it; a key path is a value or a group, not both",
					parent.KeyPath, posText(m.Pos), m.KeyPath, m.KeyPath)
			}
		}
	}
}

// ruleKind says how a rule counts, for the rule against mixing kinds.
func ruleKind(r metric.EventRule) string {
	switch r.Kind() {
	case event.UniqueCount:
		return "counts unique " + r.Unique.String()
	case event.Sum:
		return "adds up value"
	}
	return "counts occurrences"
}

// metricRules checks one expanded metric's events list against the events.
func (c *checker) metricRules(m *model.Metric) {
	if len(m.Events) == 0 {
		return
	}
	c.eventTimeFrame(m)
	// The first valid rule with a name sets how the metric counts; entries
	// the schema rejected are not compared.
	first := -1
	for i, r := range m.Events {
		src := &m.Sources[i]
		at := "events[" + strconv.Itoa(i) + "]"
		if r.Event == "" || src.Invalid {
			continue
		}
		if first < 0 {
			first = i
		} else if ruleKind(r) != ruleKind(m.Events[first]) {
			c.add(src.Pos, ruleMixedRules, "%s %s, but events[%d] %s; the rules of one metric count the same way (make separate metrics)", at, ruleKind(r), first, ruleKind(m.Events[first]))
		}
		if r.Unique != event.UniqueNone && m.TimeFrame == metric.AllTime {
			c.add(src.Pos, ruleUniqueTimeFrame, "%s.unique: unique counts need time_frame 7d or 28d, not %s", at, m.TimeFrame)
		}
		if r.Unique != event.UniqueNone && r.Operator != "" {
			c.add(src.Pos, ruleMixedRules, "%s: unique and operator cannot be combined; a rule counts unique values or adds up value", at)
		}
		e := src.Event
		if e == nil {
			c.add(src.Pos, ruleUnknownEvent, "%s.name: unknown event %q; no event definition has this action%s", at, r.Event, c.suggest(r.Event))
			continue
		}
		c.ruleOnEvent(m, at, &m.Events[i], src, e)
	}
}

// eventTimeFrame reports an event metric whose time frame counts no
// events: none is a point-in-time value, which a count of events is not
// (GitLab fails such a metric at run time, "Unknown time frame").
func (c *checker) eventTimeFrame(m *model.Metric) {
	if m.TimeFrame.Valid() && !m.TimeFrame.Counts() {
		c.add(m.TimeFramePos, ruleEventTimeFrame, "time_frame: %s is a point in time, which no count of events is; an internal_events metric counts over 7d, 28d or all", m.TimeFrame)
	}
}

// ruleOnEvent checks a rule against the event it names, and gives its
// filter values the properties' types.
func (c *checker) ruleOnEvent(m *model.Metric, at string, r *metric.EventRule, src *model.RuleSource, e *model.Event) {
	if !e.InternalEvents {
		c.add(src.Pos, ruleLegacyEvent, "%s.name: event %q (%s) is a legacy event; a metric counts internal events only: add internal_events: true to the event", at, e.Action, posText(e.Pos))
		return
	}
	if e.Status == metric.Removed && m.Status != metric.Removed {
		c.add(src.Pos, ruleRemovedEvent, "%s.name: event %q is removed (%s); only a removed metric may still name it", at, e.Action, posText(e.Pos))
	}
	if id := r.Unique.Identifier(); id != "" && !e.HasIdentifier(model.Identifier(id)) {
		c.add(src.Pos, ruleUniqueAttribute, "%s.unique: %s needs event %q to declare the %s identifier (it declares %s)", at, r.Unique, e.Action, id, identifierList(e))
	}
	if p := r.Unique.Property(); p != "" && e.Property(p) == nil {
		c.add(src.Pos, ruleUniqueAttribute, "%s.unique: %s needs event %q to declare the %s property (it declares %s)", at, r.Unique, e.Action, p, propertyList(e))
	}
	if r.Operator == metric.SumValue && e.Property("value") == nil {
		c.add(src.Pos, ruleSumValue, "%s.operator: sum(value) needs event %q to declare the value property (it declares %s)", at, e.Action, propertyList(e))
	}
	for j := range r.Filter {
		c.filter(at, e, &r.Filter[j], src.Filter[j])
	}
}

// filter checks one filter term against the event's properties and gives
// its value the property's canonical text.
func (c *checker) filter(at string, e *model.Event, f *event.FilterTerm, src model.TermSource) {
	at += ".filter." + f.Property
	p := e.Property(f.Property)
	if p == nil {
		c.add(src.Pos, ruleFilter, "%s: event %q has no property %q (it declares %s)", at, e.Action, f.Property, propertyList(e))
		return
	}
	v, ok := conform(p.Type, src.Written)
	if !ok && p.Untyped {
		v, ok = untyped(src.Written)
	}
	if !ok {
		if p.Builtin {
			return // the schema fixes the built-ins' types and reports it
		}
		if p.Untyped {
			hint := ""
			if src.Written.Type == model.Boolean {
				hint = " (declare type: boolean to filter on true or false)"
			}
			c.add(src.Pos, ruleFilter, "%s: %s is %s; property %s of event %q has no type, so it takes a string or a number%s", at, quoted(src.Written), article(src.Written.Type), p.Name, e.Action, hint)
			return
		}
		c.add(src.Pos, ruleFilter, "%s: %s is %s; property %s of event %q is %s", at, quoted(src.Written), article(src.Written.Type), p.Name, e.Action, article(p.Type))
		return
	}
	f.Value = v.Text
	if len(p.Enum) > 0 && !slices.ContainsFunc(p.Enum, func(x model.Value) bool { return x.Text == v.Text }) {
		vals := make([]string, len(p.Enum))
		for i, x := range p.Enum {
			vals[i] = x.Text
		}
		c.add(src.Pos, ruleFilter, "%s: %s is not one of the values of property %s of event %q: %s", at, quoted(v), p.Name, e.Action, strings.Join(vals, ", "))
	}
}

// updates reports an event whose metrics need more Redis updates than a
// tracked record can mark (event.MaxUpdates).
func (c *checker) updates(e *model.Event) {
	if e.Status == metric.Removed {
		return
	}
	if n := len(e.Updates()); n > event.MaxUpdates {
		c.add(e.Pos, ruleTooManyUpdates, "event %s needs %d Redis updates from the metrics that name it; at most %d are supported: merge metrics that share filters or split the event",
			e.Action, n, event.MaxUpdates)
	}
}

// conform converts v to type t when a value written like v is a value of t:
// an integer is also a number. It reports false otherwise.
func conform(t model.Type, v model.Value) (model.Value, bool) {
	switch {
	case v.Type == t:
		return v, true
	case t == model.Number && v.Type == model.Integer:
		v.Type = model.Number
		return v, true
	}
	return v, false
}

// untyped converts a filter value for a property without a type: GitLab's
// filters give such properties strings or numbers. The property holds text
// at run time, so a number becomes the string of its canonical text, the
// text its Redis key carries (plan: 1 matches "1" and counts under
// filter:[plan:1]).
func untyped(v model.Value) (model.Value, bool) {
	switch v.Type {
	case model.String:
		return v, true
	case model.Integer, model.Number:
		return model.Value{Type: model.String, Text: v.Text}, true
	}
	return v, false
}

func quoted(v model.Value) string {
	if v.Type == model.String {
		return strconv.Quote(v.Text)
	}
	return v.Text
}

func article(t model.Type) string {
	switch t {
	case model.Integer:
		return "an integer"
	case "":
		return "not a scalar"
	}
	return "a " + string(t)
}

func identifierList(e *model.Event) string {
	if len(e.Identifiers) == 0 {
		return "none"
	}
	s := make([]string, len(e.Identifiers))
	for i, id := range e.Identifiers {
		s[i] = string(id)
	}
	return strings.Join(s, ", ")
}

func propertyList(e *model.Event) string {
	if len(e.Properties) == 0 {
		return "none"
	}
	s := make([]string, len(e.Properties))
	for i, p := range e.Properties {
		s[i] = p.Name
	}
	return strings.Join(s, ", ")
}

// suggest names the closest defined action when one is close enough to be
// a typo.
func (c *checker) suggest(name string) string {
	actions := make([]string, len(c.set.Events))
	for i, e := range c.set.Events {
		actions[i] = e.Action
	}
	return diag.Suggest(name, actions)
}
