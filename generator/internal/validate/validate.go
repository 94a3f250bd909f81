// Package validate checks decoded definition documents against the JSON
// Schemas in schema/ and against the rules that span files, and builds the
// typed model the rest of the generator reads.
package validate

import (
	"cmp"
	"slices"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/emit"
	"github.com/usagekit/usagekit/generator/internal/load"
	"github.com/usagekit/usagekit/generator/internal/productgroups"
	"github.com/usagekit/usagekit/generator/internal/schemacheck"
	"github.com/usagekit/usagekit/generator/model"
)

// Part is what one document contributes: its event or its metrics (one per
// time frame) and the problems found in the document alone.
type Part struct {
	Events      []*model.Event
	Metrics     []*model.Metric
	Diagnostics diag.List
}

// CheckDocumentWith validates one document against its schema, with its
// product group checked against list (the project's product_groups.yml
// that applies to the file, or GitLab's list), and builds its part of the
// model. The document is not needed afterwards, so a caller streaming many
// files can let each go once checked.
func CheckDocumentWith(d *load.Document, list *productgroups.List) Part {
	set, err := schemacheck.Compiled()
	if err != nil {
		return Part{Diagnostics: diag.List{{Path: d.Path, Rule: "internal", Message: err.Error()}}}
	}
	p := Part{Diagnostics: checkSchema(set, d)}
	checkGroup(&p.Diagnostics, d, list)
	p.Diagnostics = append(p.Diagnostics, build(&p, d)...)
	return p
}

// groupPtr is where a definition names its product group.
const groupPtr = "/product_group"

// checkGroup reports a product group that is not in list. The schema only
// checks that it is a string (and, for editors, what a name looks like);
// whether it names a group depends on the list that applies to the file,
// so the message comes from here and names that list.
func checkGroup(diags *diag.List, d *load.Document, list *productgroups.List) {
	name, ok := d.Value["product_group"].(string)
	if !ok {
		return
	}
	if msg := list.Check(name); msg != "" {
		_, n := d.Lookup(groupPtr)
		line, col := 0, 0
		if n != nil {
			line, col = n.Line, n.Column
		}
		diags.Add(d.Path, line, col, productgroups.CheckRule, "product_group: %s", msg)
	}
}

// Link joins the parts of a run into the model: it sorts events and
// metrics, resolves the events metrics name, and applies the rules that
// span files. The diagnostics returned include the parts'.
func Link(parts []Part) (*model.Set, diag.List) {
	set := &model.Set{}
	var diags diag.List
	for _, p := range parts {
		set.Events = append(set.Events, p.Events...)
		set.Metrics = append(set.Metrics, p.Metrics...)
		diags = append(diags, p.Diagnostics...)
	}
	slices.SortStableFunc(set.Events, func(a, b *model.Event) int {
		return cmp.Or(cmp.Compare(a.Action, b.Action), cmp.Compare(a.File, b.File))
	})
	slices.SortStableFunc(set.Metrics, func(a, b *model.Metric) int {
		return cmp.Or(cmp.Compare(a.KeyPath, b.KeyPath), cmp.Compare(a.File, b.File))
	})
	resolve(set)
	diags = append(diags, checkRules(set)...)
	diags = append(diags, checkNames(set, diags)...)
	return set, diags
}

// checkNames applies the generator's name rules (emit.Check) to the
// definitions that have no problem yet, so that a set that validates also
// generates. Files with problems are left out: the names of a file the
// schema rejects (an action missing, say) would only add noise.
func checkNames(set *model.Set, diags diag.List) diag.List {
	bad := map[string]bool{}
	for _, d := range diags {
		bad[d.Path] = true
	}
	clean := &model.Set{}
	for _, e := range set.Events {
		if !bad[e.File] {
			clean.Events = append(clean.Events, e)
		}
	}
	for _, m := range set.Metrics {
		if !bad[m.File] {
			clean.Metrics = append(clean.Metrics, m)
		}
	}
	return emit.Check(clean)
}

// build adds one document to the model. A panic while building becomes a
// diagnostic for the file, so one pathological file cannot end the run.
func build(p *Part, d *load.Document) (problems diag.List) {
	defer diag.Recover(&problems, d.Path, "reading this definition")
	switch d.Kind {
	case load.Event:
		p.Events = append(p.Events, buildEvent(d))
	case load.Metric:
		p.Metrics = append(p.Metrics, buildMetrics(d)...)
	}
	return nil
}

// resolve links every event rule to its event and every event to the
// metrics that name it. A rule names an internal event; it resolves to a
// legacy event of that action only when there is no internal one, for the
// rules to report.
func resolve(set *model.Set) {
	byAction := make(map[string]*model.Event, len(set.Events))
	for _, e := range set.Events {
		if prev, dup := byAction[e.Action]; !dup || (!prev.InternalEvents && e.InternalEvents) {
			byAction[e.Action] = e
		}
	}
	for _, m := range set.Metrics {
		for i, r := range m.Events {
			e := byAction[r.Event]
			m.Sources[i].Event = e
			if e != nil && !slices.Contains(e.Metrics, m) {
				e.Metrics = append(e.Metrics, m)
			}
		}
	}
}
