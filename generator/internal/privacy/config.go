package privacy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/internal/load"
)

// FileName is the name of a project's rules file, looked for beside the
// definitions and in every directory above them up to the repository's
// root.
const FileName = "privacy.yml"

// ConfigRule is the diagnostic rule of mistakes in privacy.yml.
const ConfigRule = "privacy-config"

// UnusedException is the diagnostic rule of an exception that matched no
// finding: it is stale, or it names the wrong event, property or metric.
const UnusedException = "unused-exception"

// Config is a project's privacy.yml: the level of each rule and the
// exceptions. The zero value (no file) gives every rule its default.
type Config struct {
	// Path is the file as messages name it; "" for the defaults.
	Path       string
	Levels     map[string]Level // by rule id; a missing rule is at its default
	Exceptions []*Exception
}

// Exception excuses one event's property, one whole event, or one metric
// from one rule.
type Exception struct {
	Rule     string
	Event    string
	Property string // "" for every property of Event
	Metric   string // a key_path as written in the file (before time-frame expansion)
	Reason   string
	Line     int
	Col      int

	used bool
}

// Level returns the level of rule id under c (nil means the defaults).
func (c *Config) Level(id string) Level {
	if c != nil {
		if l, ok := c.Levels[id]; ok {
			return l
		}
	}
	r, _ := ruleByID(id)
	return r.Default
}

// Parse reads a privacy.yml. path is the file as shown in messages. Every
// mistake is reported at its line and column; what is well written is
// kept, so one bad entry does not undo the others.
func Parse(path string, data []byte) (*Config, diag.List) {
	c := &Config{Path: path, Levels: map[string]Level{}}
	p := &parser{path: path}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		d := load.SyntaxError(path, data, err)
		p.add(d.Line, d.Col, "%s", d.Message)
		return c, p.diags
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	switch {
	case root.Kind == 0 || root.Kind == yaml.DocumentNode || isNull(root):
		return c, nil // an empty file keeps the defaults
	case root.Kind != yaml.MappingNode:
		p.add(root.Line, root.Column, "the top level is %s; expected a mapping with rules and exceptions", load.KindOf(root))
		return c, p.diags
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "rules":
			p.rules(c, v)
		case "exceptions":
			p.exceptions(c, v)
		default:
			p.add(k.Line, k.Column, "unknown key %s; privacy.yml has rules and exceptions", strconv.Quote(k.Value))
		}
	}
	return c, p.diags
}

type parser struct {
	path  string
	diags diag.List
}

func (p *parser) add(line, col int, format string, args ...any) {
	p.diags.Add(p.path, line, col, ConfigRule, format, args...)
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func (p *parser) knownRule(n *yaml.Node, what string) (Rule, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		p.add(n.Line, n.Column, "%s is %s; expected a rule id: %s", what, load.KindOf(n), strings.Join(ruleIDs(), ", "))
		return Rule{}, false
	}
	r, ok := ruleByID(n.Value)
	if !ok {
		p.add(n.Line, n.Column, "unknown rule %s; the rules are %s%s", strconv.Quote(n.Value), strings.Join(ruleIDs(), ", "), diag.Suggest(n.Value, ruleIDs()))
	}
	return r, ok
}

// rules reads the rules mapping: rule id to a level, or to
// {severity, reason}.
func (p *parser) rules(c *Config, v *yaml.Node) {
	if isNull(v) {
		return
	}
	if v.Kind != yaml.MappingNode {
		p.add(v.Line, v.Column, "rules is %s; expected a mapping of rule id to severity", load.KindOf(v))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		r, ok := p.knownRule(k, "a rule key")
		if !ok {
			continue
		}
		if line, dup := seen[r.ID]; dup {
			p.add(k.Line, k.Column, "rule %s is set twice (first at line %d); set each rule once", r.ID, line)
			continue
		}
		seen[r.ID] = k.Line
		levelNode, reason, reasonBad := val, "", false
		if val.Kind == yaml.MappingNode {
			levelNode = nil
			for j := 0; j+1 < len(val.Content); j += 2 {
				fk, fv := val.Content[j], val.Content[j+1]
				switch fk.Value {
				case "severity":
					levelNode = fv
				case "reason":
					if fv.Kind != yaml.ScalarNode || fv.ShortTag() != "!!str" {
						p.add(fv.Line, fv.Column, "%s.reason is %s; expected a sentence saying why", r.ID, load.KindOf(fv))
						reasonBad = true
						continue
					}
					reason = strings.TrimSpace(fv.Value)
				default:
					p.add(fk.Line, fk.Column, "%s: unknown key %s; a rule has severity and reason", r.ID, strconv.Quote(fk.Value))
				}
			}
			if levelNode == nil {
				p.add(val.Line, val.Column, "%s: severity is missing; give error, warning or off", r.ID)
				continue
			}
		}
		level, ok := p.level(r.ID, levelNode)
		if !ok {
			continue
		}
		if reasonBad {
			continue
		}
		if level < r.Default && reason == "" {
			p.add(levelNode.Line, levelNode.Column, "%s: lowering the rule from %s to %s needs a reason: write {severity: %s, reason: ...}",
				r.ID, r.Default, level, level)
			continue
		}
		c.Levels[r.ID] = level
	}
}

func (p *parser) level(id string, n *yaml.Node) (Level, bool) {
	// YAML 1.1 readers take a bare off for false; go-yaml v3 keeps it a
	// string, and a quoted "off" is a string everywhere.
	if n.Kind == yaml.ScalarNode {
		for l, name := range levelNames {
			if n.Value == name {
				return Level(l), true
			}
		}
	}
	shown := strconv.Quote(n.Value)
	if n.Kind != yaml.ScalarNode {
		shown = load.KindOf(n)
	}
	p.add(n.Line, n.Column, "%s: severity %s is not one of error, warning, off", id, shown)
	return 0, false
}

// exceptions reads the list of exceptions.
func (p *parser) exceptions(c *Config, v *yaml.Node) {
	if isNull(v) {
		return
	}
	if v.Kind != yaml.SequenceNode {
		p.add(v.Line, v.Column, "exceptions is %s; expected a list of {rule, event, property, reason} or {rule, metric, reason}", load.KindOf(v))
		return
	}
	for i, item := range v.Content {
		where := fmt.Sprintf("exceptions[%d]", i)
		if item.Kind != yaml.MappingNode {
			p.add(item.Line, item.Column, "%s is %s; expected {rule, event, property, reason} or {rule, metric, reason}", where, load.KindOf(item))
			continue
		}
		e := &Exception{Line: item.Line, Col: item.Column}
		ok, valuesOK := true, true
		var ruleNode *yaml.Node
		for j := 0; j+1 < len(item.Content); j += 2 {
			fk, fv := item.Content[j], item.Content[j+1]
			var dst *string
			switch fk.Value {
			case "rule":
				ruleNode = fv
				continue
			case "event":
				dst = &e.Event
			case "property":
				dst = &e.Property
			case "metric":
				dst = &e.Metric
			case "reason":
				dst = &e.Reason
			default:
				p.add(fk.Line, fk.Column, "%s: unknown key %s; an exception has rule, event, property, metric and reason", where, strconv.Quote(fk.Value))
				ok = false
				continue
			}
			if fv.Kind != yaml.ScalarNode || fv.ShortTag() != "!!str" || strings.TrimSpace(fv.Value) == "" {
				p.add(fv.Line, fv.Column, "%s.%s is %s; expected a string", where, fk.Value, load.KindOf(fv))
				ok, valuesOK = false, false
				continue
			}
			*dst = strings.TrimSpace(fv.Value)
		}
		if ruleNode == nil {
			p.add(item.Line, item.Column, "%s: rule is missing; name the rule it excuses from", where)
			ok = false
		} else if r, known := p.knownRule(ruleNode, where+".rule"); known {
			e.Rule = r.ID
		} else {
			ok = false
		}
		switch {
		case !valuesOK:
			// The value's own message says enough.
		case e.Event == "" && e.Metric == "":
			p.add(item.Line, item.Column, "%s: name the event (and property) or the metric it excuses", where)
			ok = false
		case e.Event != "" && e.Metric != "":
			p.add(item.Line, item.Column, "%s: give an event or a metric, not both", where)
			ok = false
		case e.Property != "" && e.Event == "":
			p.add(item.Line, item.Column, "%s: a property belongs to an event; give the event too", where)
			ok = false
		case e.Metric != "" && e.Rule != "" && e.Rule != PersonalInOptional:
			p.add(item.Line, item.Column, "%s: rule %s judges event properties; name the event and property, not a metric", where, e.Rule)
			ok = false
		}
		if e.Reason == "" && valuesOK {
			p.add(item.Line, item.Column, "%s: reason is missing; say why the finding does not apply", where)
			ok = false
		}
		if ok {
			c.Exceptions = append(c.Exceptions, e)
		}
	}
	slices.SortStableFunc(c.Exceptions, func(a, b *Exception) int { return a.Line - b.Line })
}
