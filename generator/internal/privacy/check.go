package privacy

import (
	"fmt"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/metric"
)

// ConfigFor returns the rules that apply to the definition file at path
// (as the model names it); nil means the defaults.
type ConfigFor func(path string) *Config

// Check judges every property of the active events of set, and every
// filter of the metrics of data_category optional, under the rules that
// apply to each definition's file. It also reports, as warnings, the
// exceptions of the configs used that matched nothing (exceptions of
// personal-added are left to Added, which alone can use them).
func Check(set *model.Set, configFor ConfigFor) diag.List {
	j := &judge{configFor: configFor, used: map[*Config]bool{}}
	for _, e := range set.Events {
		if e.Status == metric.Removed {
			continue
		}
		for _, p := range e.Properties {
			j.property(e, p)
		}
	}
	for _, m := range set.Metrics {
		if m.DataCategory == "optional" && m.Status != metric.Removed {
			j.metric(m)
		}
	}
	j.unused(func(e *Exception) bool { return e.Rule != PersonalAdded })
	return j.out
}

// Added reports the properties classified personal in head that base did
// not have, or had with another classification: the personal-added rule
// of usagekit diff, at the classification's position.
func Added(base, head *model.Set, configFor ConfigFor) diag.List {
	j := &judge{configFor: configFor, used: map[*Config]bool{}}
	for _, e := range head.Events {
		if e.Status == metric.Removed {
			continue
		}
		var old *model.Event
		if base != nil {
			old = base.Event(e.Action)
		}
		for _, p := range e.Properties {
			if p.Classification != model.Personal {
				continue
			}
			if old != nil {
				if q := old.Property(p.Name); q != nil && q.Classification == model.Personal {
					continue
				}
			}
			pos := p.ClassificationPos
			j.report(e.File, PersonalAdded, e.Action, p.Name, "", pos,
				"additional_properties.%s: a property classified personal is new since the base; make sure the event's consumers may hold personal data", p.Name)
		}
	}
	j.unused(func(e *Exception) bool { return e.Rule == PersonalAdded })
	return j.out
}

type judge struct {
	configFor ConfigFor
	used      map[*Config]bool
	out       diag.List
}

func (j *judge) config(file string) *Config {
	if j.configFor == nil {
		return nil
	}
	c := j.configFor(file)
	if c != nil {
		j.used[c] = true
	}
	return c
}

// report adds a finding of rule unless the rule is off or an exception
// of the file's config excuses it.
func (j *judge) report(file, rule, event, property, metricKey string, pos model.Pos, format string, args ...any) {
	c := j.config(file)
	level := c.Level(rule)
	if level == Off {
		return
	}
	if c != nil {
		for _, x := range c.Exceptions {
			if x.Rule != rule {
				continue
			}
			if (x.Event != "" && x.Event == event && (x.Property == "" || x.Property == property)) ||
				(x.Metric != "" && x.Metric == metricKey) {
				x.used = true
				return
			}
		}
	}
	if pos.File == "" {
		pos.File = file
	}
	j.out = append(j.out, diag.Diagnostic{Path: pos.File, Line: pos.Line, Col: pos.Col, Rule: rule,
		Severity: level.severity(), Message: fmt.Sprintf(format, args...)})
}

// unused reports the exceptions that matched nothing among those mine
// selects, in the configs this run used.
func (j *judge) unused(mine func(*Exception) bool) {
	for c := range j.used {
		for _, x := range c.Exceptions {
			if !x.used && mine(x) {
				what := "event " + x.Event
				if x.Property != "" {
					what += ", property " + x.Property
				}
				if x.Metric != "" {
					what = "metric " + x.Metric
				}
				j.out = append(j.out, diag.Diagnostic{Path: c.Path, Line: x.Line, Col: x.Col, Rule: UnusedException,
					Severity: diag.SeverityWarning,
					Message:  fmt.Sprintf("the exception to %s for %s matches no finding; remove it, or name the event, property or metric it is for", x.Rule, what)})
			}
		}
	}
}

// advice says what to do about a finding of rule; custom properties can
// be classified, built-ins cannot.
func advice(rule string, custom bool) string {
	classify := ""
	if custom {
		classify = ", or give the property a classification"
	}
	switch rule {
	case PersonalData:
		return "record something that does not identify a person (a domain, a count, a kind)" + classify
	case SecretData:
		return "never record secrets: record whether one is set, or its kind, instead" + classify
	case URLQuery:
		return "record the path without its query string and fragment" + classify
	}
	return "record a category, a length or an enum instead" + classify
}

var what = map[string]string{
	PersonalData: "personal data",
	SecretData:   "a secret",
	URLQuery:     "a URL, whose query string may carry anything",
	FreeText:     "free text, which holds whatever a person typed",
}

func (j *judge) property(e *model.Event, p *model.Property) {
	if p.Classification != "" {
		return // the definition has said what the values reveal
	}
	if rule, because := judgeName(p.Name); rule != "" && !p.Builtin {
		j.report(e.File, rule, e.Action, p.Name, "", p.Pos,
			"additional_properties.%s: the name suggests %s (%q): %s", p.Name, what[rule], because, advice(rule, true))
		return
	}
	if rule, because := judgeDescription(p.Description); rule != "" {
		j.report(e.File, rule, e.Action, p.Name, "", p.DescriptionPos,
			"additional_properties.%s.description: %q suggests %s: %s", p.Name, because, what[rule], advice(rule, !p.Builtin))
		return
	}
	if !p.Builtin && p.Type == model.String && len(p.Enum) == 0 && e.HasIdentifier(model.User) {
		j.report(e.File, UnclassifiedFreeText, e.Action, p.Name, "", p.Pos,
			"additional_properties.%s: a free-form string on an event that carries a user needs a classification (public, internal, pseudonymous or personal), or an enum", p.Name)
	}
}

func (j *judge) metric(m *model.Metric) {
	for i, r := range m.Events {
		if i >= len(m.Sources) || m.Sources[i].Event == nil {
			continue
		}
		src := m.Sources[i]
		for k, t := range r.Filter {
			p := src.Event.Property(t.Property)
			if p == nil || p.Classification != model.Personal {
				continue
			}
			pos := src.Pos
			if k < len(src.Filter) {
				pos = src.Filter[k].Pos
			}
			j.report(m.File, PersonalInOptional, "", "", m.BaseKeyPath, pos,
				"events[%d].filter.%s: %s classifies %s personal, and a metric of data_category optional may not filter on personal data; use operational or standard, or filter on something else",
				i, t.Property, r.Event, t.Property)
		}
	}
}
