package scaffold

import (
	"cmp"
	"errors"
	"path/filepath"
	"slices"
	"strings"

	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/metric"
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

// timeFrameOrder is the order time frames are listed in.
var timeFrameOrder = []string{"7d", "28d", "all"}

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

// ErrNoName is returned for a metric of several events without a name:
// the default key_path names one event.
var ErrNoName = errors.New("scaffold: a metric of several events needs a name (--name)")

// Metric returns the file for a new metric counting events of set, placed
// and named as GitLab does: dir/metrics/counts_7d/<name>_weekly.yml for a
// weekly metric, counts_28d/<name>_monthly.yml for a monthly one, and
// counts_all/<name>.yml for all-time or several time frames (counts_28d
// when they are only 7d and 28d). It returns the key_paths the file
// defines, after time-frame expansion. The product group, categories and
// tiers default to the first event's. It does not judge the options: Check
// does.
func Metric(dir string, set *model.Set, o MetricOptions) (File, []string, error) {
	if len(o.Events) > 1 && o.Name == "" {
		return File{}, nil, ErrNoName
	}
	if o.TimeFrames == nil {
		o.TimeFrames = []string{"7d", "28d"}
		if o.Unique == "" {
			o.TimeFrames = append(o.TimeFrames, "all")
		}
	}
	if len(o.Events) > 0 {
		if first := set.Event(o.Events[0]); first != nil {
			o.ProductGroup = cmp.Or(o.ProductGroup, first.ProductGroup)
			if o.ProductCategories == nil {
				o.ProductCategories = first.ProductCategories
			}
			if o.Tiers == nil {
				o.Tiers = first.Tiers
			}
		}
	}
	if o.Tiers == nil {
		o.Tiers = DefaultTiers
	}
	o.DataCategory = cmp.Or(o.DataCategory, "optional")
	name := o.Name
	switch {
	case name != "" || len(o.Events) == 0:
	case o.Unique != "":
		name = "count_distinct_" + strings.ReplaceAll(o.Unique, ".", "_") + "_from_" + o.Events[0]
	default:
		name = "count_total_" + o.Events[0]
	}
	prefix := "counts."
	if o.Unique != "" {
		prefix = "redis_hll_counters."
	}
	frames := ordered(o.TimeFrames, timeFrameOrder)
	folder, file, key := "counts_all", name, prefix+name
	var timeFrame any = frames
	keys := []string{}
	if len(frames) == 1 {
		timeFrame = frames[0]
		switch frames[0] {
		case "7d":
			folder, file, key = "counts_7d", name+"_weekly", key+"_weekly"
		case "28d":
			folder, file, key = "counts_28d", name+"_monthly", key+"_monthly"
		}
		keys = append(keys, key)
	} else {
		if !slices.Contains(frames, "all") {
			folder = "counts_28d"
		}
		for _, f := range frames {
			keys = append(keys, key+metric.TimeFrame(f).KeyPathSuffix())
		}
	}
	doc := metricDoc{
		KeyPath: key, Description: o.Description, ProductGroup: o.ProductGroup,
		ProductCategories: o.ProductCategories, PerformanceIndicator: []string{}, ValueType: "number",
		Status: "active", Milestone: o.Milestone, IntroducedByURL: o.IntroducedByURL, TimeFrame: timeFrame,
		DataSource: "internal_events", DataCategory: o.DataCategory, Tiers: ordered(o.Tiers, tierOrder),
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
