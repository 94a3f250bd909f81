package trackapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/usagekit/usagekit/runtime/event"
)

// wireEvent is one event as GitLab's API takes it. Fields stay raw so that
// each problem is reported against its field, not as a decoding error.
type wireEvent struct {
	Event                json.RawMessage `json:"event"`
	NamespaceID          json.RawMessage `json:"namespace_id"`
	ProjectID            json.RawMessage `json:"project_id"`
	AdditionalProperties json.RawMessage `json:"additional_properties"`
	SendToSnowplow       json.RawMessage `json:"send_to_snowplow"`

	// notObject is the element of the request that stands in the place of
	// an event but is not an object.
	notObject json.RawMessage
}

// Problem is one reason an event was refused.
type Problem struct {
	// Index is the event's position in the request (0 for track_event).
	Index int `json:"index"`
	// Event is the event's name, when the request gave one.
	Event string `json:"event,omitempty"`
	// Field is the top-level field at fault (event, project_id,
	// namespace_id, send_to_snowplow, additional_properties), or "" for
	// a property.
	Field string `json:"field,omitempty"`
	// Property is the additional property at fault.
	Property string `json:"property,omitempty"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Expected says what is allowed.
	Expected string `json:"expected,omitempty"`
}

// String is the problem on one line, for the error handler.
func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "events[%d]", p.Index)
	if p.Event != "" {
		fmt.Fprintf(&b, " (%s)", p.Event)
	}
	switch {
	case p.Property != "":
		fmt.Fprintf(&b, " property %s", p.Property)
	case p.Field != "":
		fmt.Fprintf(&b, " %s", p.Field)
	}
	b.WriteString(": " + p.Message)
	if p.Expected != "" {
		b.WriteString("; expected " + p.Expected)
	}
	return b.String()
}

// checkedEvent is a valid event, ready for the tracker.
type checkedEvent struct {
	desc   *event.Descriptor
	rec    event.Record
	record bool // send_to_snowplow: also make a record
}

// check validates every event, returning the valid ones and every problem
// of the others.
func (h *Handler) check(wire []wireEvent, id Identity) ([]checkedEvent, []Problem) {
	out := make([]checkedEvent, 0, len(wire))
	var problems []Problem
	for i := range wire {
		if w := &wire[i]; w.notObject != nil {
			problems = append(problems, Problem{Index: i, Message: "not an event: " + shown(w.notObject), Expected: "an object"})
			continue
		}
		c, ps := h.checkOne(i, &wire[i], id)
		if len(ps) > 0 {
			problems = append(problems, ps...)
			continue
		}
		out = append(out, c)
	}
	return out, problems
}

func (h *Handler) checkOne(i int, w *wireEvent, id Identity) (checkedEvent, []Problem) {
	var ps []Problem
	add := func(p Problem) {
		p.Index = i
		ps = append(ps, p)
	}
	var c checkedEvent
	name, ok := jsonString(w.Event)
	switch {
	case isNull(w.Event):
		add(Problem{Field: "event", Message: "event is missing", Expected: "the name of a defined event"})
		return c, ps
	case !ok:
		add(Problem{Field: "event", Message: "event is not a string", Expected: "the name of a defined event"})
		return c, ps
	}
	d := h.events[name]
	if d == nil {
		add(Problem{Event: name, Field: "event", Message: fmt.Sprintf("unknown event %q", name), Expected: "the name of a defined event"})
		return c, ps
	}
	c.desc = d
	project, ok := jsonID(w.ProjectID)
	if !ok {
		add(Problem{Event: name, Field: "project_id", Message: "project_id is invalid: " + shown(w.ProjectID), Expected: "a positive integer"})
	}
	namespace, ok := jsonID(w.NamespaceID)
	if !ok {
		add(Problem{Event: name, Field: "namespace_id", Message: "namespace_id is invalid: " + shown(w.NamespaceID), Expected: "a positive integer"})
	}
	if !isNull(w.SendToSnowplow) {
		var b bool
		if err := json.Unmarshal(w.SendToSnowplow, &b); err != nil {
			add(Problem{Event: name, Field: "send_to_snowplow", Message: "send_to_snowplow is invalid: " + shown(w.SendToSnowplow), Expected: "true or false"})
		}
		c.record = b
	}
	// Identifiers the event does not declare are ignored, not refused:
	// GitLab's frontend sends the page's project and namespace with every
	// event.
	if d.Identifiers.Has(event.HasUser) {
		c.rec.User = id.User
	}
	if d.Identifiers.Has(event.HasProject) {
		c.rec.Project = event.ProjectID(project)
	}
	if d.Identifiers.Has(event.HasNamespace) {
		c.rec.Namespace = event.NamespaceID(namespace)
	}
	var props map[string]json.RawMessage
	if !isNull(w.AdditionalProperties) {
		if w.AdditionalProperties[0] != '{' || json.Unmarshal(w.AdditionalProperties, &props) != nil {
			add(Problem{Event: name, Field: "additional_properties", Message: "additional_properties is invalid: " + shown(w.AdditionalProperties),
				Expected: "an object of property names and values"})
		}
	}
	vals := make([]value, len(d.Properties))
	for _, k := range sortedKeys(props) {
		raw := props[k]
		j := slices.IndexFunc(d.Properties, func(p event.Property) bool { return p.Name == k })
		if j < 0 {
			add(Problem{Event: name, Property: k, Message: "undeclared property", Expected: declared(d)})
			continue
		}
		p := &d.Properties[j]
		v, msg := parseValue(p, raw)
		if msg != "" {
			add(Problem{Event: name, Property: k, Message: msg, Expected: expected(p)})
			continue
		}
		vals[j] = v
	}
	if len(ps) > 0 {
		return c, ps
	}
	c.rec.Match = match(d, vals)
	fill(&c.rec, d, vals)
	return c, nil
}

// value is a property's value; the zero value stands for an absent one,
// which reads as its type's zero, as in a generated Track call.
type value struct {
	text string // canonical text, for strings and enums
	i    int64
	f    float64
	b    bool
}

// parseValue reads raw as a value of p, or says why it is not one.
func parseValue(p *event.Property, raw json.RawMessage) (value, string) {
	if isNull(raw) {
		return value{}, ""
	}
	var v value
	switch p.Type {
	case event.Integer:
		n, ok := jsonNumber(raw)
		if !ok {
			return v, "got " + shown(raw)
		}
		i, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(n, 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
				return v, "got " + n
			}
			i = int64(f)
		}
		v.i, v.f, v.text = i, float64(i), strconv.FormatInt(i, 10)
	case event.Number:
		n, ok := jsonNumber(raw)
		if !ok {
			return v, "got " + shown(raw)
		}
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return v, "got " + n
		}
		v.f, v.text = f, n
	case event.Boolean:
		if err := json.Unmarshal(raw, &v.b); err != nil {
			return v, "got " + shown(raw)
		}
		v.text = strconv.FormatBool(v.b)
	default:
		s, ok := jsonString(raw)
		if !ok && p.Untyped {
			// GitLab's untyped custom properties take numbers too,
			// compared by their text as filters compare them.
			s, ok = jsonNumber(raw)
		}
		if !ok {
			return v, "got " + shown(raw)
		}
		v.text = s
	}
	if len(p.Enum) > 0 && !slices.ContainsFunc(p.Enum, func(e string) bool { return equal(p.Type, v, e) }) {
		return v, fmt.Sprintf("%s is not allowed", shown(raw))
	}
	return v, ""
}

// equal reports whether v equals the canonical text e, compared as
// generated code compares a property with a filter or enum value: integers
// and numbers by value, strings and booleans by text.
func equal(t event.PropertyType, v value, e string) bool {
	switch t {
	case event.Integer:
		n, err := strconv.ParseInt(e, 10, 64)
		return err == nil && n == v.i
	case event.Number:
		f, err := strconv.ParseFloat(e, 64)
		return err == nil && f == v.f
	case event.Boolean:
		return strconv.FormatBool(v.b) == e
	}
	return v.text == e
}

// match sets the bit of every filtered update whose filter the values meet;
// the tracker adds the unfiltered ones (Descriptor.Always).
func match(d *event.Descriptor, vals []value) uint64 {
	var m uint64
	for i, u := range d.Updates {
		if len(u.Filter) == 0 {
			continue
		}
		ok := true
		for _, t := range u.Filter {
			j := slices.IndexFunc(d.Properties, func(p event.Property) bool { return p.Name == t.Property })
			if j < 0 || !equal(d.Properties[j].Type, vals[j], t.Value) {
				ok = false
				break
			}
		}
		if ok {
			m |= 1 << i
		}
	}
	return m
}

// fill sets the built-in properties and the custom ones, as a generated
// Track call does: every declared custom property, zero when absent.
func fill(r *event.Record, d *event.Descriptor, vals []value) {
	for j, p := range d.Properties {
		v := vals[j]
		switch {
		case p.Builtin && p.Name == "label":
			r.Label = v.text
		case p.Builtin && p.Name == "property":
			r.Property = v.text
		case p.Builtin && p.Name == "value":
			r.Value, r.HasValue = v.f, true
		case p.Type == event.Integer:
			r.Custom = append(r.Custom, event.Prop{Name: p.Name, Value: event.IntValue(v.i)})
		case p.Type == event.Number:
			r.Custom = append(r.Custom, event.Prop{Name: p.Name, Value: event.FloatValue(v.f)})
		case p.Type == event.Boolean:
			r.Custom = append(r.Custom, event.Prop{Name: p.Name, Value: event.BoolValue(v.b)})
		default:
			r.Custom = append(r.Custom, event.Prop{Name: p.Name, Value: event.StringValue(v.text)})
		}
	}
}

// expected says what a property takes.
func expected(p *event.Property) string {
	if len(p.Enum) > 0 {
		quoted := make([]string, len(p.Enum))
		for i, e := range p.Enum {
			if p.Type == event.String {
				e = strconv.Quote(e)
			}
			quoted[i] = e
		}
		return "one of " + strings.Join(quoted, ", ")
	}
	switch {
	case p.Untyped:
		return "a string or a number"
	case p.Type == event.Integer:
		return "an integer"
	case p.Type == event.Number:
		return "a number"
	case p.Type == event.Boolean:
		return "true or false"
	}
	return "a string"
}

// declared lists the event's properties, for an undeclared one.
func declared(d *event.Descriptor) string {
	if len(d.Properties) == 0 {
		return "no additional properties"
	}
	names := make([]string, len(d.Properties))
	for i, p := range d.Properties {
		names[i] = p.Name
	}
	return "one of " + strings.Join(names, ", ")
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonNumber is the text of a JSON number.
func jsonNumber(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return "", false
	}
	return string(raw), true
}

// jsonID reads an identifier: absent or null is zero; a positive integer,
// as a number or a string of digits (GitLab's API coerces both).
func jsonID(raw json.RawMessage) (int64, bool) {
	if isNull(raw) {
		return 0, true
	}
	text, ok := jsonNumber(raw)
	if !ok {
		if text, ok = jsonString(raw); !ok {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	return n, err == nil && n > 0
}

// shown is a JSON value as messages quote it, cut short when long.
func shown(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	const limit = 40
	if len(raw) > limit {
		return string(raw[:limit]) + "…"
	}
	return string(raw)
}
