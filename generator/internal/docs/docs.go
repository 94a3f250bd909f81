// Package docs renders the metrics dictionary: Markdown pages (an index and
// one page per product group) and a single self-contained HTML page with
// search and filters, from a validated definition set.
package docs

import (
	"bytes"
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/metric"
)

// File is one page of the dictionary. Name is relative to the output
// directory and uses forward slashes.
type File struct {
	Name string
	Data []byte
}

// Options add to the dictionary what the definitions do not hold.
type Options struct {
	// Calls, when not nil, are the call sites of each event by action
	// (path:line:col, as usagekit status finds them): each group's page
	// lists them, and the HTML page shows them with the event. An event
	// without any reads "never tracked".
	Calls map[string][]string
}

// Generate renders every page of the dictionary for set, sorted by name. It
// writes nothing, so callers and tests decide where the bytes go.
func Generate(set *model.Set) ([]File, error) { return GenerateWith(set, Options{}) }

// GenerateWith is Generate with the additions of opts.
func GenerateWith(set *model.Set, opts Options) ([]File, error) {
	groups := groupsOf(set)
	var files []File
	files = append(files, File{Name: "index.md", Data: markdownIndex(set, groups)})
	for _, g := range groups {
		files = append(files, File{Name: g.file, Data: markdownGroup(g, groups, opts.Calls)})
	}
	page, err := htmlPage(set, opts.Calls)
	if err != nil {
		return nil, fmt.Errorf("docs: render index.html: %w", err)
	}
	files = append(files, File{Name: "index.html", Data: page})
	slices.SortFunc(files, func(a, b File) int { return cmp.Compare(a.Name, b.Name) })
	return files, nil
}

// noGroup is the heading for definitions that name no product group.
const noGroup = "(no product group)"

type group struct {
	name    string
	file    string // its Markdown page, unique among groups
	desc    string // from the project's product_groups.yml
	events  []*model.Event
	metrics []*model.Metric
}

// groupsOf buckets definitions by product group, sorted by group name with
// the unnamed group last. When the project lists its own groups, every
// group of the list has a page, with its description, even one that owns
// nothing yet.
func groupsOf(set *model.Set) []*group {
	byName := map[string]*group{}
	get := func(name string) *group {
		if name == "" {
			name = noGroup
		}
		g, ok := byName[name]
		if !ok {
			g = &group{name: name}
			byName[name] = g
		}
		return g
	}
	for _, pg := range set.ProductGroups {
		get(pg.Name).desc = pg.Description
	}
	for _, e := range set.Events {
		g := get(e.ProductGroup)
		g.events = append(g.events, e)
	}
	for _, m := range set.Metrics {
		g := get(m.ProductGroup)
		g.metrics = append(g.metrics, m)
	}
	out := make([]*group, 0, len(byName))
	for _, g := range byName {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *group) int {
		if (a.name == noGroup) != (b.name == noGroup) {
			if a.name == noGroup {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.name, b.name)
	})
	// Names that reduce to the same file ("source_code", "Source Code")
	// get numbered pages, in sorted order so the numbers are stable.
	taken := map[string]bool{}
	for _, g := range out {
		base := strings.TrimSuffix(groupFile(g.name), ".md")
		g.file = base + ".md"
		for n := 2; taken[g.file]; n++ {
			g.file = fmt.Sprintf("%s-%d.md", base, n)
		}
		taken[g.file] = true
	}
	return out
}

// groupFile is the Markdown page of a product group: its name reduced to
// lower-case letters, digits and dashes.
func groupFile(name string) string {
	if name == noGroup {
		return "groups/no-product-group.md"
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if s == "" {
		s = "group"
	}
	return "groups/" + s + ".md"
}

func markdownIndex(set *model.Set, groups []*group) []byte {
	var b bytes.Buffer
	b.WriteString("# Metrics dictionary\n\n")
	fmt.Fprintf(&b, "%d events and %d metrics. The searchable page is [index.html](index.html).\n\n", len(set.Events), len(set.Metrics))
	if len(set.ProductGroups) == 0 {
		b.WriteString("| Product group | Events | Metrics |\n|---|---:|---:|\n")
		for _, g := range groups {
			fmt.Fprintf(&b, "| [%s](%s) | %d | %d |\n", mdCell(g.name), g.file, len(g.events), len(g.metrics))
		}
		return b.Bytes()
	}
	// The project's own list: its groups and their descriptions.
	b.WriteString("| Product group | Description | Events | Metrics |\n|---|---|---:|---:|\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "| [%s](%s) | %s | %d | %d |\n", mdCell(g.name), g.file, mdCell(g.desc), len(g.events), len(g.metrics))
	}
	return b.Bytes()
}

func markdownGroup(g *group, groups []*group, calls map[string][]string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", mdText(g.name))
	if g.desc != "" {
		fmt.Fprintf(&b, "%s\n\n", mdText(g.desc))
	}
	b.WriteString("[Back to the index](../index.md)\n")
	if len(g.events) == 0 && len(g.metrics) == 0 {
		b.WriteString("\nNo events or metrics yet.\n")
	}
	if len(g.events) > 0 {
		b.WriteString("\n## Events\n\n| Event | Description | Identifiers | Properties | Status | Tiers |\n|---|---|---|---|---|---|\n")
		for _, e := range g.events {
			props := make([]string, 0, len(e.Properties))
			for _, p := range e.Properties {
				props = append(props, p.Name+" ("+string(p.Type)+")")
			}
			ids := make([]string, 0, len(e.Identifiers))
			for _, id := range e.Identifiers {
				ids = append(ids, string(id))
			}
			fmt.Fprintf(&b, "| <a id=\"event-%s\"></a>`%s` | %s | %s | %s | %s | %s |\n",
				e.Action, e.Action, mdCell(e.Description), mdCell(strings.Join(ids, ", ")),
				mdCell(strings.Join(props, ", ")), eventStatus(e), mdCell(strings.Join(e.Tiers, ", ")))
		}
	}
	if calls != nil && len(g.events) > 0 {
		b.WriteString("\n## Call sites\n\n")
		for _, e := range g.events {
			fmt.Fprintf(&b, "- `%s`: %s\n", e.Action, callList(calls[e.Action], "`"))
		}
	}
	if len(g.metrics) > 0 {
		b.WriteString("\n## Metrics\n\n| Key path | Description | Data source | Time frame | Events | Status | Tiers |\n|---|---|---|---|---|---|---|\n")
		for _, m := range g.metrics {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n",
				m.KeyPath, mdCell(m.Description), mdCell(m.DataSource), m.TimeFrame,
				metricEventLinks(g, groups, m), metricStatus(m), mdCell(strings.Join(m.Tiers, ", ")))
		}
	}
	return b.Bytes()
}

// callList joins an event's call sites, each quoted with q, or says it is
// never tracked.
func callList(sites []string, q string) string {
	if len(sites) == 0 {
		return "never tracked"
	}
	out := make([]string, len(sites))
	for i, s := range sites {
		out[i] = q + s + q
	}
	return strings.Join(out, ", ")
}

// metricEventLinks links each event a metric names to its entry, on this
// page or on its own group's page.
func metricEventLinks(g *group, groups []*group, m *model.Metric) string {
	var parts []string
	for _, action := range metricEvents(m) {
		target := "#event-" + action
		var ref *model.Event
		for i, r := range m.Events {
			if r.Event == action {
				ref = m.Sources[i].Event
			}
		}
		if ref == nil {
			parts = append(parts, "`"+action+"`")
			continue
		}
		eg := ref.ProductGroup
		if eg == "" {
			eg = noGroup
		}
		if eg != g.name {
			for _, o := range groups {
				if o.name == eg {
					// Group pages share a directory.
					target = path.Base(o.file) + target
				}
			}
		}
		parts = append(parts, "[`"+action+"`]("+target+")")
	}
	return strings.Join(parts, ", ")
}

// metricEvents lists the distinct events a metric names, in rule order.
func metricEvents(m *model.Metric) []string {
	var out []string
	for _, r := range m.Events {
		if !slices.Contains(out, r.Event) {
			out = append(out, r.Event)
		}
	}
	return out
}

func eventStatus(e *model.Event) string {
	if e.Status == "" {
		return string(metric.Active)
	}
	return string(e.Status)
}

func metricStatus(m *model.Metric) string {
	if m.Status == "" {
		return string(metric.Active)
	}
	return string(m.Status)
}

// mdText makes s safe as Markdown text on one line.
func mdText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := strings.NewReplacer(`\`, `\\`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`)
	return r.Replace(s)
}

// mdCell makes s safe inside a Markdown table cell: one line, pipes escaped.
func mdCell(s string) string {
	return strings.ReplaceAll(mdText(s), "|", `\|`)
}
