package generator_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator"
)

// mutation breaks (or, for a few, merely changes) a decoded definition. It
// returns false when it does not apply to m.
type mutation struct {
	name  string
	apply func(m map[string]any) bool
}

func mutSet(key string, v any) func(map[string]any) bool {
	return func(m map[string]any) bool { m[key] = v; return true }
}

func mutDel(key string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		_, ok := m[key]
		delete(m, key)
		return ok
	}
}

// onFirstRule changes the first entry of an internal_events metric's events.
func onFirstRule(f func(r map[string]any)) func(map[string]any) bool {
	return func(m map[string]any) bool {
		events, _ := m["events"].([]any)
		if len(events) == 0 {
			return false
		}
		r, ok := events[0].(map[string]any)
		if ok {
			f(r)
		}
		return ok
	}
}

// onRedisHLL changes a redis_hll metric counted by RedisHLLMetric with
// options.events.
func onRedisHLL(f func(m map[string]any)) func(map[string]any) bool {
	return func(m map[string]any) bool {
		opts, ok := m["options"].(map[string]any)
		if !ok || m["data_source"] != "redis_hll" || m["instrumentation_class"] != "RedisHLLMetric" || opts["events"] == nil {
			return false
		}
		f(m)
		return true
	}
}

var metricMutations = []mutation{
	{"unknown key", mutSet("product_stage", "create")},
	{"value_type integer", mutSet("value_type", "integer")},
	{"status data_available", mutSet("status", "data_available")},
	{"time_frame 30d", mutSet("time_frame", "30d")},
	{"time_frame list repeated", mutSet("time_frame", []any{"7d", "7d"})},
	{"time_frame list with none", mutSet("time_frame", []any{"7d", "none"})},
	{"time_frame number", mutSet("time_frame", 7)},
	{"tiers repeated", mutSet("tiers", []any{"free", "free"})},
	{"tiers unknown", mutSet("tiers", []any{"gold"})},
	{"tiers string", mutSet("tiers", "free")},
	{"milestone number", mutSet("milestone", 17.1)},
	{"milestone pattern", mutSet("milestone", "v17")},
	{"introduced_by_url not a URI", mutSet("introduced_by_url", "not a url")},
	{"data_source ruby", mutSet("data_source", "ruby")},
	{"data_category unknown", mutSet("data_category", "secret")},
	{"product_group unknown", mutSet("product_group", "group::nothing")},
	{"performance_indicator_type unknown", mutSet("performance_indicator_type", []any{"mau"})},
	{"product_categories empty", mutSet("product_categories", []any{})},
	{"description number", mutSet("description", 3)},
	{"key_path list", mutSet("key_path", []any{"a"})},
	{"removed without removal fields", func(m map[string]any) bool {
		m["status"] = "removed"
		delete(m, "milestone_removed")
		delete(m, "removed_by_url")
		return true
	}},
	{"broken without repair_issue_url", func(m map[string]any) bool {
		m["status"] = "broken"
		delete(m, "repair_issue_url")
		return true
	}},
	{"events unique unknown", onFirstRule(func(r map[string]any) { r["unique"] = "user" })},
	{"events operator unknown", onFirstRule(func(r map[string]any) { r["operator"] = "sum(x)" })},
	{"events unknown key", onFirstRule(func(r map[string]any) { r["where"] = "x" })},
	{"events without name", onFirstRule(func(r map[string]any) { delete(r, "name") })},
	{"events filter object", onFirstRule(func(r map[string]any) { r["filter"] = map[string]any{"label": map[string]any{"a": 1}} })},
	{"events filter label number", onFirstRule(func(r map[string]any) { r["filter"] = map[string]any{"label": 3} })},
	{"internal_events without events", func(m map[string]any) bool {
		_, ok := m["events"]
		delete(m, "events")
		return ok && m["data_source"] == "internal_events"
	}},
	{"internal_events with instrumentation_class", func(m map[string]any) bool {
		m["instrumentation_class"] = "CountMetric"
		return m["data_source"] == "internal_events"
	}},
	{"instrumentation_class pattern", func(m map[string]any) bool {
		_, ok := m["instrumentation_class"]
		m["instrumentation_class"] = "count_metric"
		return ok
	}},
	{"redis_hll without instrumentation_class", func(m map[string]any) bool {
		m["data_source"] = "redis_hll"
		for _, k := range []string{"instrumentation_class", "options", "events", "database"} {
			delete(m, k)
		}
		return true
	}},
	{"redis_hll legacy key path without instrumentation_class", func(m map[string]any) bool {
		m["data_source"] = "redis_hll"
		m["key_path"] = "usage_activity_by_stage_monthly.create.merge_requests_users"
		for _, k := range []string{"instrumentation_class", "options", "events", "database"} {
			delete(m, k)
		}
		return true
	}},
	{"redis_hll with an unknown option", onRedisHLL(func(m map[string]any) { m["options"].(map[string]any)["prefix"] = "x" })},
	{"redis_hll with events beside options", onRedisHLL(func(m map[string]any) { m["events"] = []any{map[string]any{"name": "x"}} })},
	{"redis_hll as AggregatedMetric", onRedisHLL(func(m map[string]any) {
		m["instrumentation_class"] = "AggregatedMetric"
		m["options"].(map[string]any)["aggregate"] = map[string]any{"attribute": "user.id"}
	})},
	{"redis_hll AggregatedMetric without aggregate", onRedisHLL(func(m map[string]any) { m["instrumentation_class"] = "AggregatedMetric" })},
	{"redis_hll AggregatedMetric on namespace.id", onRedisHLL(func(m map[string]any) {
		m["instrumentation_class"] = "AggregatedMetric"
		m["options"].(map[string]any)["aggregate"] = map[string]any{"attribute": "namespace.id"}
	})},
	{"options not an object", func(m map[string]any) bool {
		_, ok := m["options"]
		m["options"] = "x"
		return ok
	}},
}

var eventMutations = []mutation{
	{"unknown key", mutSet("product_stage", "create")},
	{"action pattern", mutSet("action", "Create-Issue")},
	{"identifiers unknown", mutSet("identifiers", []any{"group"})},
	{"identifiers string", mutSet("identifiers", "user")},
	{"internal_events false", mutSet("internal_events", false)},
	{"tiers unknown", mutSet("tiers", []any{"gold"})},
	{"milestone pattern", mutSet("milestone", "17")},
	{"introduced_by_url not a URI", mutSet("introduced_by_url", "not a url")},
	{"product_group unknown", mutSet("product_group", "group::nothing")},
	{"classification duo", mutSet("classification", "duo")},
	{"classification unknown", mutSet("classification", "other")},
	{"removed without removal fields", func(m map[string]any) bool {
		m["status"] = "removed"
		delete(m, "milestone_removed")
		delete(m, "removed_by_url")
		return true
	}},
	{"active with milestone_removed", func(m map[string]any) bool {
		m["status"] = "active"
		m["milestone_removed"] = "17.9"
		return true
	}},
	{"status broken", mutSet("status", "broken")},
	{"property without description", func(m map[string]any) bool {
		props, ok := m["additional_properties"].(map[string]any)
		if !ok || props["label"] == nil {
			return false
		}
		props["label"] = map[string]any{}
		return true
	}},
	{"property with unknown key", func(m map[string]any) bool {
		props, ok := m["additional_properties"].(map[string]any)
		if !ok || props["label"] == nil {
			return false
		}
		props["label"] = map[string]any{"description": "x", "example": "y"}
		return true
	}},
	{"custom property without built-ins", func(m map[string]any) bool {
		m["additional_properties"] = map[string]any{"color": map[string]any{"description": "x"}}
		return true
	}},
	{"additional_properties list", mutSet("additional_properties", []any{"label"})},
}

func init() {
	for _, k := range []string{"key_path", "description", "value_type", "status", "product_group", "time_frame", "data_source", "data_category", "milestone", "introduced_by_url", "tiers"} {
		metricMutations = append(metricMutations, mutation{"without " + k, mutDel(k)})
	}
	for _, k := range []string{"description", "action", "product_group", "introduced_by_url", "milestone", "tiers"} {
		eventMutations = append(eventMutations, mutation{"without " + k, mutDel(k)})
	}
}

// TestGitLabSchemaDifferential breaks each example definition in the ways
// listed above, one at a time, and checks that our validator rejects the
// result exactly when GitLab's schemas do (after our extensions are taken
// out of the copy GitLab sees). The corpus only shows mistakes real files
// happened to make; this covers the rest of GitLab's schemas.
func TestGitLabSchemaDifferential(t *testing.T) {
	corpus := corpusDir(t)
	g := compileGitLabSchemas(t, corpus)
	defs := filepath.Join(moduleRoot(t), "definitions")
	eventFiles, err := filepath.Glob(filepath.Join(defs, "events", "*.yml"))
	if err != nil || len(eventFiles) == 0 {
		t.Fatalf("no events under %s: %v", defs, err)
	}
	metricFiles, err := filepath.Glob(filepath.Join(defs, "metrics", "*", "*.yml"))
	if err != nil || len(metricFiles) == 0 {
		t.Fatalf("no metrics under %s: %v", defs, err)
	}
	tmp := t.TempDir()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	cases, disagreements := 0, 0

	// run applies mu to base and compares verdicts; it reports whether mu
	// applied.
	run := func(base string, isEvent bool, mu mutation) bool {
		data, err := os.ReadFile(base)
		if err != nil {
			t.Fatal(err)
		}
		doc, _, err := decodeLikePsych(data)
		if err != nil {
			t.Fatal(err)
		}
		m := doc.(map[string]any)
		if !mu.apply(m) {
			return false
		}
		cases++
		out, err := yaml.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(defs, base)
		mutated := filepath.Join(tmp, rel)
		if err := os.MkdirAll(filepath.Dir(mutated), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(mutated, out, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(mutated)

		// GitLab sees the mutated file without our extensions.
		gl := deepCopy(m).(map[string]any)
		stripExtensions(gl)
		s := g.metric
		if isEvent {
			s = g.event
		}
		gitlabRejects := s.Validate(gl) != nil

		// We see every event (the mutated one in place of its original) and
		// the mutated metric, so cross-file rules have what they need.
		paths := []string{mutated}
		for _, e := range eventFiles {
			if e != base {
				paths = append(paths, e)
			}
		}
		res := generator.LoadResult(paths...)
		var ours []string
		for _, d := range res.Diagnostics {
			p := d.Path
			if !filepath.IsAbs(p) {
				p = filepath.Join(wd, p)
			}
			if filepath.Clean(p) == mutated {
				ours = append(ours, d.String())
			}
		}
		if gitlabRejects != (len(ours) > 0) {
			disagreements++
			gv, ov := "accepts", "accept"
			if gitlabRejects {
				gv = "rejects"
			}
			if len(ours) > 0 {
				ov = "reject"
			}
			t.Errorf("%s, %s: GitLab %s it, we %s it:\n\t%s\n--- file:\n%s",
				rel, mu.name, gv, ov, strings.Join(ours, "\n\t"), out)
		}
		return true
	}
	// Each mutation goes to perFile files it applies to, starting at a
	// different file for each mutation so every kind of definition is hit.
	const perFile = 6
	each := func(files []string, isEvent bool, mus []mutation) {
		for i, mu := range mus {
			applied := 0
			for k := range files {
				if run(files[(i*5+k)%len(files)], isEvent, mu) {
					applied++
				}
				if applied == perFile {
					break
				}
			}
			if applied == 0 {
				t.Errorf("mutation %q applies to no example definition", mu.name)
			}
		}
	}
	each(eventFiles, true, eventMutations)
	each(metricFiles, false, metricMutations)
	t.Logf("%d mutated definitions, %d disagreements", cases, disagreements)
}

// deepCopy copies decoded YAML (maps, slices and scalars).
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		c := maps.Clone(x)
		for k, e := range c {
			c[k] = deepCopy(e)
		}
		return c
	case []any:
		c := slices.Clone(x)
		for i, e := range c {
			c[i] = deepCopy(e)
		}
		return c
	}
	return v
}
