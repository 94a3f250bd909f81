package scaffold

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/usagekit/usagekit/generator/model"
)

// MetricOptions describes a new internal_events metric. Events,
// Description, Milestone and IntroducedByURL are required; the product
// group, categories and tiers default to those of the first event.
type MetricOptions struct {
	Events []string
	// Unique is empty for a total count, else user.id, project.id or
	// namespace.id.
	Unique string
	// TimeFrames defaults to 7d and 28d for unique counts and to 7d, 28d and
	// all for totals.
	TimeFrames []string
	// Name is the last part of the key_path. It defaults to GitLab's
	// count_distinct_<unique>_from_<event> or count_total_<event>, and is
	// required when the metric counts more than one event.
	Name              string
	Description       string
	ProductGroup      string
	ProductCategories []string
	Milestone         string
	IntroducedByURL   string
	Tiers             []string
	DataCategory      string // default optional
}

var (
	uniques      = []string{"user.id", "project.id", "namespace.id"}
	timeFrames   = []string{"7d", "28d", "all"}
	dataCategory = []string{"operational", "optional", "subscription", "standard"}
)

type metricDoc struct {
	KeyPath              string     `yaml:"key_path"`
	Description          string     `yaml:"description"`
	ProductGroup         string     `yaml:"product_group"`
	ProductCategories    []string   `yaml:"product_categories,omitempty"`
	PerformanceIndicator []string   `yaml:"performance_indicator_type"`
	ValueType            string     `yaml:"value_type"`
	Status               string     `yaml:"status"`
	Milestone            string     `yaml:"milestone"`
	IntroducedByURL      string     `yaml:"introduced_by_url"`
	TimeFrame            any        `yaml:"time_frame"`
	DataSource           string     `yaml:"data_source"`
	DataCategory         string     `yaml:"data_category"`
	Tiers                []string   `yaml:"tiers"`
	Events               []eventRef `yaml:"events"`
}

type eventRef struct {
	Name   string `yaml:"name"`
	Unique string `yaml:"unique,omitempty"`
}

// Metric returns the file for a new metric counting events of set, placed
// and named as GitLab does: dir/metrics/counts_7d/<name>_weekly.yml for a
// weekly metric, counts_28d/<name>_monthly.yml for a monthly one, and
// counts_all/<name>.yml for all-time or several time frames (counts_28d
// when they are only 7d and 28d). It returns the key_paths the file
// defines, after time-frame expansion.
func Metric(dir string, set *model.Set, o MetricOptions) (File, []string, error) {
	var errs []error
	if len(o.Events) == 0 {
		errs = append(errs, errors.New("at least one event is required"))
	}
	var first *model.Event
	for _, name := range o.Events {
		e := internalEvent(set, name)
		if e == nil && set.Event(name) != nil {
			errs = append(errs, fmt.Errorf("event %s is a legacy event (without internal_events: true); a metric counts internal events only", name))
			continue
		}
		if e == nil {
			errs = append(errs, fmt.Errorf("event %s is not defined; create it first with usagekit new event %s", name, name))
			continue
		}
		if first == nil {
			first = e
		}
		if o.Unique != "" {
			id := model.Identifier(strings.TrimSuffix(o.Unique, ".id"))
			if slices.Contains(uniques, o.Unique) && !e.HasIdentifier(id) {
				errs = append(errs, fmt.Errorf("unique %s needs event %s to declare identifier %s", o.Unique, name, id))
			}
		}
	}
	if o.Unique != "" && !slices.Contains(uniques, o.Unique) {
		errs = append(errs, fmt.Errorf("unique %q is not one of %s", o.Unique, strings.Join(uniques, ", ")))
	}
	if o.TimeFrames == nil {
		o.TimeFrames = []string{"7d", "28d"}
		if o.Unique == "" {
			o.TimeFrames = append(o.TimeFrames, "all")
		}
	}
	errs = append(errs, subset("time frame", o.TimeFrames, timeFrames)...)
	if len(o.TimeFrames) == 0 {
		errs = append(errs, errors.New("at least one time frame is required"))
	}
	if o.Unique != "" && slices.Contains(o.TimeFrames, "all") {
		errs = append(errs, errors.New("a unique count needs a window: use time frames 7d and 28d, not all"))
	}
	if first != nil {
		if o.ProductGroup == "" {
			o.ProductGroup = first.ProductGroup
		}
		if o.ProductCategories == nil {
			o.ProductCategories = first.ProductCategories
		}
		if o.Tiers == nil {
			o.Tiers = first.Tiers
		}
	}
	if o.Tiers == nil {
		o.Tiers = DefaultTiers
	}
	errs = append(errs, subset("tier", o.Tiers, tiers)...)
	if len(o.ProductCategories) == 0 && first != nil {
		errs = append(errs, fmt.Errorf("product categories are required for an active metric (--product-categories), and event %s has none to inherit", first.Action))
	}
	if o.DataCategory == "" {
		o.DataCategory = "optional"
	}
	if !slices.Contains(dataCategory, o.DataCategory) {
		errs = append(errs, fmt.Errorf("data category %q is not one of %s", o.DataCategory, strings.Join(dataCategory, ", ")))
	}
	name := o.Name
	switch {
	case name != "":
		if !actionPattern.MatchString(name) {
			errs = append(errs, fmt.Errorf("metric name %q must match %s", name, actionPattern))
		}
	case len(o.Events) > 1:
		errs = append(errs, errors.New("a metric of several events needs a name (--name)"))
	case len(o.Events) == 1 && o.Unique != "":
		name = "count_distinct_" + strings.ReplaceAll(o.Unique, ".", "_") + "_from_" + o.Events[0]
	case len(o.Events) == 1:
		name = "count_total_" + o.Events[0]
	}
	// The list nearest above dir/metrics applies; the folder below it is
	// not settled yet, and no project keeps a list there.
	errs = append(errs, common(filepath.Join(dir, "metrics", name+".yml"), o.Description, o.ProductGroup, o.Milestone, o.IntroducedByURL)...)
	if err := errors.Join(errs...); err != nil {
		return File{}, nil, err
	}

	prefix := "counts."
	if o.Unique != "" {
		prefix = "redis_hll_counters."
	}
	frames := ordered(o.TimeFrames, timeFrames)
	folder, file, key := "counts_all", name, prefix+name
	var timeFrame any = frames
	var keys []string
	if len(frames) == 1 {
		timeFrame = frames[0]
		switch frames[0] {
		case "7d":
			folder, file, key = "counts_7d", name+"_weekly", key+"_weekly"
		case "28d":
			folder, file, key = "counts_28d", name+"_monthly", key+"_monthly"
		}
		keys = []string{key}
	} else {
		if !slices.Contains(frames, "all") {
			folder = "counts_28d"
		}
		for _, f := range frames {
			keys = append(keys, key+map[string]string{"7d": "_weekly", "28d": "_monthly", "all": ""}[f])
		}
	}
	for _, k := range keys {
		for _, m := range set.Metrics {
			if m.KeyPath == k {
				return File{}, nil, fmt.Errorf("key_path %s is already defined in %s; choose another --name or time frame", k, m.File)
			}
		}
	}
	doc := metricDoc{
		KeyPath: key, Description: o.Description, ProductGroup: o.ProductGroup,
		ProductCategories: o.ProductCategories, PerformanceIndicator: []string{}, ValueType: "number",
		Status: "active", Milestone: o.Milestone, IntroducedByURL: o.IntroducedByURL, TimeFrame: timeFrame,
		DataSource: "internal_events", DataCategory: o.DataCategory, Tiers: ordered(o.Tiers, tiers),
	}
	for _, e := range o.Events {
		doc.Events = append(doc.Events, eventRef{Name: e, Unique: o.Unique})
	}
	data, err := marshal(doc)
	if err != nil {
		return File{}, nil, err
	}
	return File{Path: filepath.Join(dir, "metrics", folder, file+".yml"), Data: data}, keys, nil
}

// internalEvent returns the internal event of set named action, or nil:
// legacy events may share their action with it.
func internalEvent(set *model.Set, action string) *model.Event {
	for _, e := range set.Events {
		if e.Action == action && e.InternalEvents {
			return e
		}
	}
	return nil
}
