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
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator/groups"
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

var (
	actionPattern    = regexp.MustCompile(`^[a-z0-9_]+$`)
	milestonePattern = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
	urlPattern       = regexp.MustCompile(`^https?://\S+$`)
)

// Allowed values, as in the definition schema.
var (
	identifiers = []string{"user", "project", "namespace", "feature_enabled_by_namespace_ids"}
	tiers       = []string{"free", "premium", "ultimate"}
	propTypes   = []string{"string", "integer", "number", "boolean"}
	builtins    = []string{"label", "property", "value"}
)

// DefaultTiers is used when no tiers are given.
var DefaultTiers = []string{"free", "premium", "ultimate"}

// Property is an additional property of a new event.
type Property struct {
	Name        string
	Type        string // custom properties only; empty means string
	Description string
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

// Event returns the file for a new event: dir/events/<action>.yml. It
// reports every invalid option at once.
func Event(dir string, o EventOptions) (File, error) {
	var errs []error
	if !actionPattern.MatchString(o.Action) {
		errs = append(errs, fmt.Errorf("event name %q must match %s (lower case, digits, underscores)", o.Action, actionPattern))
	}
	path := filepath.Join(dir, "events", o.Action+".yml")
	errs = append(errs, common(path, o.Description, o.ProductGroup, o.Milestone, o.IntroducedByURL)...)
	errs = append(errs, subset("identifier", o.Identifiers, identifiers)...)
	if o.Tiers == nil {
		o.Tiers = DefaultTiers
	}
	errs = append(errs, subset("tier", o.Tiers, tiers)...)
	var props yaml.Node
	props.Kind = yaml.MappingNode
	seen := map[string]bool{}
	for _, p := range o.Properties {
		switch {
		case !actionPattern.MatchString(p.Name):
			errs = append(errs, fmt.Errorf("property name %q must match %s", p.Name, actionPattern))
			continue
		case seen[p.Name]:
			errs = append(errs, fmt.Errorf("property %s given twice", p.Name))
			continue
		case slices.Contains(builtins, p.Name) && p.Type != "":
			errs = append(errs, fmt.Errorf("property %s is built in; it takes no type", p.Name))
			continue
		case p.Type != "" && !slices.Contains(propTypes, p.Type):
			errs = append(errs, fmt.Errorf("property %s: type %q is not one of %s", p.Name, p.Type, strings.Join(propTypes, ", ")))
			continue
		}
		seen[p.Name] = true
		desc := p.Description
		if desc == "" {
			desc = "The " + strings.ReplaceAll(p.Name, "_", " ") + "."
		}
		val := &yaml.Node{Kind: yaml.MappingNode}
		val.Content = append(val.Content, scalar("description"), scalar(desc))
		if p.Type != "" {
			val.Content = append(val.Content, scalar("type"), scalar(p.Type))
		}
		props.Content = append(props.Content, scalar(p.Name), val)
	}
	custom := slices.ContainsFunc(o.Properties, func(p Property) bool { return !slices.Contains(builtins, p.Name) })
	if custom && !(seen["label"] && seen["property"]) && !seen["value"] {
		errs = append(errs, errors.New("custom properties need the built-ins label and property, or value, declared as well"))
	}
	if err := errors.Join(errs...); err != nil {
		return File{}, err
	}
	doc := eventDoc{
		Description: o.Description, InternalEvents: true, Action: o.Action,
		Identifiers:  ordered(o.Identifiers, identifiers),
		ProductGroup: o.ProductGroup, ProductCategories: o.ProductCategories,
		Milestone: o.Milestone, IntroducedByURL: o.IntroducedByURL, Tiers: ordered(o.Tiers, tiers),
	}
	if len(props.Content) > 0 {
		doc.AdditionalProperties = &props
	}
	data, err := marshal(doc)
	if err != nil {
		return File{}, err
	}
	return File{Path: path, Data: data}, nil
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

// common checks the options events and metrics share. The product group
// is checked against the list that validation will use for a file at path:
// the project's product_groups.yml nearest above it, else GitLab's list.
func common(path, description, group, milestone, url string) []error {
	var errs []error
	if strings.TrimSpace(description) == "" {
		errs = append(errs, errors.New("description is required"))
	}
	if group == "" {
		errs = append(errs, errors.New("product group is required"))
	} else if list, err := groups.NewResolver().For(path); err != nil {
		errs = append(errs, err)
	} else if msg := list.Check(group); msg != "" {
		errs = append(errs, fmt.Errorf("product group %s", msg))
	}
	if !milestonePattern.MatchString(milestone) {
		errs = append(errs, fmt.Errorf("milestone %q must look like 17.4", milestone))
	}
	if !urlPattern.MatchString(url) {
		errs = append(errs, fmt.Errorf("introduced-by URL %q must be an http(s) URL", url))
	}
	return errs
}

func subset(what string, got, allowed []string) []error {
	var errs []error
	for i, g := range got {
		if !slices.Contains(allowed, g) {
			errs = append(errs, fmt.Errorf("%s %q is not one of %s", what, g, strings.Join(allowed, ", ")))
		} else if slices.Contains(got[:i], g) {
			errs = append(errs, fmt.Errorf("%s %s given twice", what, g))
		}
	}
	return errs
}

// ordered returns the members of got in the order of all, so files read
// the same whatever order flags were given in.
func ordered(got, all []string) []string {
	var out []string
	for _, a := range all {
		if slices.Contains(got, a) {
			out = append(out, a)
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
