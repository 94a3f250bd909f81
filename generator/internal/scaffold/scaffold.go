// Package scaffold writes new event and metric definition files the way
// GitLab's internal events generator names them, so a definition starts
// schema-valid and in the right folder, and tells its author what code to add.
package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
)

// File is a definition file to create. Path is relative to the directory
// the tool runs in.
type File struct {
	Path string
	Data []byte
}

// ErrExists is returned by Create when the file is already there: a
// scaffold never overwrites a definition.
var ErrExists = errors.New("scaffold: file exists")

// Create writes f, refusing to replace an existing file.
func (f File) Create() error {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
		return fmt.Errorf("scaffold: %w", err)
	}
	w, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s; pick another name or edit it", ErrExists, f.Path)
	}
	if err != nil {
		return fmt.Errorf("scaffold: %w", err)
	}
	if _, err := w.Write(f.Data); err != nil {
		w.Close()
		return fmt.Errorf("scaffold: write %s: %w", f.Path, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("scaffold: write %s: %w", f.Path, err)
	}
	return nil
}

// The values definitions list in a fixed order; the scaffold writes them
// in it, so files read the same whatever order flags were given in.
// Whether a value is allowed is the schema's business, checked by Check.
var (
	identifierOrder = []string{"user", "project", "namespace", "feature_enabled_by_namespace_ids"}
	tierOrder       = []string{"free", "premium", "ultimate"}
	builtins        = []string{"label", "property", "value"}
)

// DefaultTiers is used when no tiers are given.
var DefaultTiers = []string{"free", "premium", "ultimate"}

// Property is an additional property of a new event.
type Property struct {
	Name string
	// Type is string, integer, number or boolean; empty for the built-ins
	// and for a custom property GitLab's way (untyped).
	Type string
	// Enum lists the allowed values, as they are written in YAML.
	Enum        []string
	Description string
}

// ParseProperty reads a --property flag: NAME[:TYPE][(V1|V2|...)][=DESCRIPTION].
// TYPE is string, integer, number or boolean; the values in parentheses
// make an enum, and "enum" alone stands for a string enum. The description
// is everything after the first "=", commas included.
func ParseProperty(spec string) (Property, error) {
	var p Property
	spec, p.Description, _ = strings.Cut(spec, "=")
	p.Name, p.Type, _ = strings.Cut(spec, ":")
	if open := strings.IndexByte(p.Type, '('); open >= 0 {
		if !strings.HasSuffix(p.Type, ")") {
			return p, fmt.Errorf("property %s: enum values go in parentheses, separated by |: %s(a|b)", p.Name, p.Type[:open])
		}
		for _, v := range strings.Split(p.Type[open+1:len(p.Type)-1], "|") {
			if v = strings.TrimSpace(v); v != "" {
				p.Enum = append(p.Enum, v)
			}
		}
		p.Type = p.Type[:open]
		if len(p.Enum) == 0 {
			return p, fmt.Errorf("property %s: the enum lists no value", p.Name)
		}
	}
	if p.Type == "enum" {
		p.Type = "string"
		if len(p.Enum) == 0 {
			return p, fmt.Errorf("property %s: an enum lists its values: %s:enum(a|b)", p.Name, p.Name)
		}
	}
	return p, nil
}

// EventOptions describes a new event. Action, Description, ProductGroup,
// Milestone and IntroducedByURL are required. ProductGroup must be in the
// project's product_groups.yml (nearest above the new file), or in GitLab's
// list when there is none.
type EventOptions struct {
	Action            string
	Description       string
	Identifiers       []string // subset of user, project, namespace, feature_enabled_by_namespace_ids
	Properties        []Property
	ProductGroup      string
	ProductCategories []string
	Milestone         string // "17.4"
	IntroducedByURL   string
	Tiers             []string // default DefaultTiers
}

// eventDoc is an event file, its fields in the order GitLab writes them.
type eventDoc struct {
	Description          string     `yaml:"description"`
	InternalEvents       bool       `yaml:"internal_events"`
	Action               string     `yaml:"action"`
	Identifiers          []string   `yaml:"identifiers,omitempty"`
	AdditionalProperties *yaml.Node `yaml:"additional_properties,omitempty"`
	ProductGroup         string     `yaml:"product_group"`
	ProductCategories    []string   `yaml:"product_categories,omitempty"`
	Milestone            string     `yaml:"milestone"`
	IntroducedByURL      string     `yaml:"introduced_by_url"`
	Tiers                []string   `yaml:"tiers"`
}

// Event returns the file for a new event, dir/events/<action>.yml. It does
// not judge the options: Check does, with the rules every definition meets.
func Event(dir string, o EventOptions) (File, error) {
	if o.Tiers == nil {
		o.Tiers = DefaultTiers
	}
	var props yaml.Node
	props.Kind = yaml.MappingNode
	for _, p := range o.Properties {
		desc := p.Description
		if desc == "" {
			desc = "The " + strings.ReplaceAll(p.Name, "_", " ") + "."
		}
		val := &yaml.Node{Kind: yaml.MappingNode}
		val.Content = append(val.Content, scalar("description"), scalar(desc))
		if p.Type != "" {
			val.Content = append(val.Content, scalar("type"), scalar(p.Type))
		}
		if len(p.Enum) > 0 {
			enum := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, v := range p.Enum {
				n := scalar(v)
				if p.Type == "" || p.Type == "string" {
					n.Tag = "!!str" // "1" stays a string in a string enum
				}
				enum.Content = append(enum.Content, n)
			}
			val.Content = append(val.Content, scalar("enum"), enum)
		}
		props.Content = append(props.Content, scalar(p.Name), val)
	}
	doc := eventDoc{
		Description: o.Description, InternalEvents: true, Action: o.Action,
		Identifiers:  ordered(o.Identifiers, identifierOrder),
		ProductGroup: o.ProductGroup, ProductCategories: o.ProductCategories,
		Milestone: o.Milestone, IntroducedByURL: o.IntroducedByURL, Tiers: ordered(o.Tiers, tierOrder),
	}
	if len(props.Content) > 0 {
		doc.AdditionalProperties = &props
	}
	data, err := marshal(doc)
	if err != nil {
		return File{}, err
	}
	return File{Path: filepath.Join(dir, "events", o.Action+".yml"), Data: data}, nil
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

// Check validates f as a definition among those under dir, with the JSON
// Schemas, the product group list that applies to it and the rules that
// span files, and returns the problems f would bring, as path:line:col
// diagnostics: those of f itself and those it would cause elsewhere (a
// key_path another file has, reported at that file). Problems the other
// definitions have anyway are not f's. Nothing is written until a file
// would validate.
func Check(f File, dir string) diag.List {
	before := map[string]bool{}
	var roots []string
	if _, err := os.Stat(dir); err == nil { // a new project has no definitions yet
		roots = []string{dir}
		for _, d := range generator.LoadResult(dir).Diagnostics {
			before[d.String()] = true
		}
	}
	res := generator.LoadResultWith([]generator.Overlay{{Path: f.Path, Data: f.Data}}, roots...)
	var out diag.List
	for _, d := range res.Diagnostics {
		if filepath.Clean(d.Path) == filepath.Clean(f.Path) || !before[d.String()] {
			out = append(out, d)
		}
	}
	return out
}

// ordered returns got in the order of all, values all lacks last in the
// order given (the schema will say what is wrong with them), without
// repeats.
func ordered(got, all []string) []string {
	var out []string
	for _, a := range all {
		if slices.Contains(got, a) {
			out = append(out, a)
		}
	}
	for _, g := range got {
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// WithSchemaLine starts f with the yaml-language-server comment that lets
// editors check the file as it is typed, when the project keeps usagekit's
// schemas (schema/v1/event.json or metric.json) in a directory above the
// file; without them there is nothing for the comment to point at, and f is
// returned as it is.
func WithSchemaLine(f File, kind string) File {
	f.Data = withSchemaLine(f.Path, kind+".json", f.Data)
	return f
}

func withSchemaLine(path, name string, data []byte) []byte {
	abs, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return data
	}
	for dir := abs; ; dir = filepath.Dir(dir) {
		schema := filepath.Join(dir, "schema", "v1", name)
		if info, err := os.Stat(schema); err == nil && info.Mode().IsRegular() {
			rel, err := filepath.Rel(abs, schema)
			if err != nil {
				return data
			}
			line := "# yaml-language-server: $schema=" + filepath.ToSlash(rel) + "\n"
			return append([]byte(line), data...)
		}
		if filepath.Dir(dir) == dir {
			return data
		}
	}
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("scaffold: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("scaffold: encode: %w", err)
	}
	return b.Bytes(), nil
}
