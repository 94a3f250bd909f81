// Package validate checks decoded definition documents against the JSON
// Schemas in schema/ and against the rules that span files, and builds the
// typed model the rest of the generator reads.
package validate

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/load"
	"github.com/usagekit/usagekit/generator/model"
)

// Validate checks docs and returns the model and every problem found. The
// model is complete even when there are problems (invalid values are left
// zero), so callers can still show what was understood; it is only fit for
// code generation when the list is empty.
func Validate(docs []*load.Document) (*model.Set, diag.List) {
	var diags diag.List
	diags = append(diags, checkSchemas(docs)...)
	set := &model.Set{}
	for _, d := range docs {
		if err := build(set, d); err != nil {
			diags = append(diags, *err)
		}
	}
	slices.SortStableFunc(set.Events, func(a, b *model.Event) int {
		return cmp.Or(cmp.Compare(a.Action, b.Action), cmp.Compare(a.File, b.File))
	})
	slices.SortStableFunc(set.Metrics, func(a, b *model.Metric) int {
		return cmp.Or(cmp.Compare(a.KeyPath, b.KeyPath), cmp.Compare(a.File, b.File))
	})
	resolve(set)
	diags = append(diags, checkRules(set)...)
	return set, diags
}

// build adds one document to the model. A panic while building becomes a
// diagnostic for the file, so one pathological file cannot end the run.
func build(set *model.Set, d *load.Document) (problem *diag.Diagnostic) {
	defer func() {
		if r := recover(); r != nil {
			problem = &diag.Diagnostic{Path: d.Path, Rule: "internal",
				Message: fmt.Sprintf("internal error while reading this definition (please report it): %v", r)}
		}
	}()
	switch d.Kind {
	case load.Event:
		set.Events = append(set.Events, buildEvent(d))
	case load.Metric:
		set.Metrics = append(set.Metrics, buildMetrics(d)...)
	}
	return nil
}

// resolve links every event rule to its event and every event to the
// metrics that name it.
func resolve(set *model.Set) {
	byAction := make(map[string]*model.Event, len(set.Events))
	for _, e := range set.Events {
		if _, dup := byAction[e.Action]; !dup {
			byAction[e.Action] = e
		}
	}
	for _, m := range set.Metrics {
		for _, r := range m.Events {
			r.Ref = byAction[r.Event]
			if r.Ref != nil && !slices.Contains(r.Ref.Metrics, m) {
				r.Ref.Metrics = append(r.Ref.Metrics, m)
			}
		}
	}
}
