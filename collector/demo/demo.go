// Package demo fills a warehouse with a year of realistic usage data for
// the metrics of a set of definitions, so that the dashboards have
// something to show on a first run: a few hundred instances of three
// tiers, of every size, joining through the year; a release every four
// weeks that instances take up some weeks later; a feature whose metrics
// jump from one release on; metrics that fail now and then, and one that
// a release broke; and a SaaS instance whose event records give its
// metrics. The data is the same for the same options.
package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/metric"
)

// Options shape the demo data. The zero value gives the default demo.
type Options struct {
	// Instances is how many instances send pings. Default 300.
	Instances int
	// Weeks is how many weeks of pings, up to the week before Now.
	// Default 52.
	Weeks int
	// Now is the end of the data. Default time.Now.
	Now time.Time
	// Seed makes other data. Default 1.
	Seed uint64
	// SaaSUUID, when set, is a SaaS instance whose records of the last
	// RecordWeeks weeks are generated and its weekly metrics computed.
	SaaSUUID string
	// RecordWeeks is how many weeks of SaaS records. Default 12.
	RecordWeeks int
}

// Facts about the demo data, which its tests and the README rely on.
const (
	// FeatureVersion is the release from which the feature's metrics jump.
	FeatureVersion = "17.6"
	// FeatureLift is how much they jump.
	FeatureLift = 1.4
	// BrokenVersion is the release whose instances fail one metric.
	BrokenVersion = "17.8"
	// releaseEvery is the weeks between releases.
	releaseEvery = 4
)

// Result says what Fill stored.
type Result struct {
	Instances, Pings, Values, Records int
	// Feature and Broken are the metrics with the release effects.
	Feature []string
	Broken  string
}

// instance is one demo installation.
type instance struct {
	uuid, hostname, tier string
	size                 float64 // relative activity
	joined               int     // first week of pings
	lag                  int     // weeks it takes to upgrade
	flags                map[string]bool
}

// Fill generates the demo data for set's metrics into w.
func Fill(ctx context.Context, w *warehouse.Warehouse, set *model.Set, opt Options) (Result, error) {
	if opt.Instances <= 0 {
		opt.Instances = 300
	}
	if opt.Weeks <= 0 {
		opt.Weeks = 52
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.RecordWeeks <= 0 {
		opt.RecordWeeks = 12
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 2))
	ds := set.Descriptors()
	g := &generator{rng: rng, ds: ds, opt: opt, rates: map[string]float64{}}
	g.chooseEffects()
	for _, d := range ds {
		g.rates[d.KeyPath] = math.Exp(rng.NormFloat64()) * 3
	}
	insts := g.instances()
	res := Result{Instances: len(insts), Feature: g.feature, Broken: g.broken}
	end := keys.WeekOf(opt.Now).Add(-1)
	first := end.Add(1 - opt.Weeks)
	for wk := range opt.Weeks {
		week := first.Add(wk)
		var batch []warehouse.Ping
		for _, in := range insts {
			if wk < in.joined {
				continue
			}
			batch = append(batch, g.ping(in, week, wk))
		}
		stored, err := w.StorePings(ctx, batch)
		if err != nil {
			return res, fmt.Errorf("demo: week %s: %w", week, err)
		}
		for _, s := range stored {
			res.Pings++
			res.Values += s.Values
		}
	}
	if opt.SaaSUUID != "" {
		n, err := g.saas(ctx, w, set, end)
		if err != nil {
			return res, err
		}
		res.Records = n
	}
	return res, nil
}

type generator struct {
	rng     *rand.Rand
	ds      []*metric.Descriptor
	opt     Options
	rates   map[string]float64
	feature []string
	broken  string
}

// chooseEffects picks the metrics of the release effects: the feature's
// (event metrics of the first two events named) and the broken one.
func (g *generator) chooseEffects() {
	var events []string
	for _, d := range g.ds {
		for _, r := range d.Events {
			if !slices.Contains(events, r.Event) {
				events = append(events, r.Event)
			}
		}
	}
	slices.Sort(events)
	for _, d := range g.ds {
		if len(d.Events) > 0 && len(events) > 0 && d.Events[0].Event == events[0] {
			g.feature = append(g.feature, d.KeyPath)
		}
		if g.broken == "" && d.Database != nil {
			g.broken = d.KeyPath
		}
	}
}

func (g *generator) instances() []instance {
	out := make([]instance, g.opt.Instances)
	for i := range out {
		tier := "free"
		switch r := g.rng.Float64(); {
		case r > 0.9:
			tier = "ultimate"
		case r > 0.6:
			tier = "premium"
		}
		joined := 0
		if i >= g.opt.Instances/2 {
			joined = g.rng.IntN(g.opt.Weeks)
		}
		out[i] = instance{
			uuid:     fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1),
			hostname: fmt.Sprintf("forge-%03d.example.com", i+1),
			tier:     tier,
			size:     math.Exp(g.rng.NormFloat64() * 1.2),
			joined:   joined,
			lag:      g.rng.IntN(9),
			flags:    map[string]bool{},
		}
		for _, d := range g.ds {
			out[i].flags[d.KeyPath] = g.rng.Float64() < 0.7
		}
	}
	return out
}

// version is the release an instance runs in week wk of the demo: a
// release every four weeks, taken up after the instance's lag.
func version(wk, lag int) string {
	return fmt.Sprintf("17.%d", max(0, wk-lag)/releaseEvery)
}

// versionAtLeast compares "17.N" releases.
func versionAtLeast(v, min string) bool {
	minor := func(s string) int {
		var major, m int
		fmt.Sscanf(s, "%d.%d", &major, &m)
		return major*1000 + m
	}
	return minor(v) >= minor(min)
}

// ping is one instance's ping of one week.
func (g *generator) ping(in instance, week keys.Week, wk int) warehouse.Ping {
	ver := version(wk, in.lag)
	recorded := week.Monday().Add(time.Duration(g.rng.IntN(7*24*60)) * time.Minute)
	doc := map[string]any{"uuid": in.uuid, "recorded_at": recorded.Format(time.RFC3339), "hostname": in.hostname, "version": ver, "edition": in.tier}
	growth := 1 + float64(wk)/float64(g.opt.Weeks)
	for _, d := range g.ds {
		if _, fact := doc[d.KeyPath]; fact {
			continue // uuid, hostname, version and recorded_at are the ping's own
		}
		var v any
		switch d.ValueType {
		case "string":
			v = in.tier
			if !strings.Contains(d.KeyPath, "plan") {
				v = "value-" + in.tier
			}
		case "boolean":
			v = in.flags[d.KeyPath]
		case "object":
			continue
		default:
			v = g.number(d, in, ver, growth, wk)
		}
		if g.rng.Float64() < 0.01 || (d.KeyPath == g.broken && ver == BrokenVersion) {
			v = -1
		}
		nestValue(doc, d.KeyPath, v)
	}
	payload, _ := json.Marshal(doc)
	return warehouse.Ping{Payload: payload}
}

// number is a metric's value: the instance's size times the metric's rate,
// growing through the year, for the metric's window, with noise.
func (g *generator) number(d *metric.Descriptor, in instance, ver string, growth float64, wk int) any {
	base := in.size * g.rates[d.KeyPath] * growth * (1 + 0.15*g.rng.NormFloat64())
	switch d.TimeFrame {
	case metric.Monthly:
		base *= 4
	case metric.AllTime, metric.None:
		base *= float64(wk+1) * 2
	}
	if slices.Contains(g.feature, d.KeyPath) && versionAtLeast(ver, FeatureVersion) {
		base *= FeatureLift
	}
	if base < 0 {
		base = 0
	}
	if d.Events != nil && d.Events[0].Operator == metric.SumValue || d.Database != nil && d.Database.Operation.Float() {
		return math.Round(base*100) / 100
	}
	return int64(math.Round(base))
}

// nestValue sets a value at a dotted key path of nested maps; a path
// clashing with a value already there is left out.
func nestValue(doc map[string]any, keyPath string, v any) {
	segs := strings.Split(keyPath, ".")
	cur := doc
	for _, s := range segs[:len(segs)-1] {
		next, ok := cur[s].(map[string]any)
		if !ok {
			if _, taken := cur[s]; taken {
				return
			}
			next = map[string]any{}
			cur[s] = next
		}
		cur = next
	}
	cur[segs[len(segs)-1]] = v
}

// saas generates the SaaS instance's records of the last weeks and stores
// its computed weekly pings.
func (g *generator) saas(ctx context.Context, w *warehouse.Warehouse, set *model.Set, end keys.Week) (int, error) {
	var events []*model.Event
	for _, e := range set.Events {
		if e.InternalEvents && e.Status.Computed() {
			events = append(events, e)
		}
	}
	if len(events) == 0 {
		return 0, nil
	}
	n := 0
	first := end.Add(1 - g.opt.RecordWeeks)
	for wk := range g.opt.RecordWeeks {
		week := first.Add(wk)
		var rs []warehouse.Record
		for i := range 400 + 40*wk {
			e := events[g.rng.IntN(len(events))]
			at := week.Monday().Add(time.Duration(g.rng.IntN(7*24*3600)) * time.Second)
			rs = append(rs, g.record(e, at, fmt.Sprintf("%s-%d-%d", week, wk, i)))
		}
		k, err := w.StoreRecords(ctx, rs)
		if err != nil {
			return n, fmt.Errorf("demo: SaaS records: %w", err)
		}
		n += k
		if _, err := w.StoreComputedPing(ctx, g.opt.SaaSUUID, version(g.opt.Weeks-g.opt.RecordWeeks+wk, 0), set.Descriptors(), week.Add(1).Monday()); err != nil {
			return n, fmt.Errorf("demo: SaaS metrics: %w", err)
		}
	}
	return n, nil
}

// record is one SaaS event record, its identifiers pseudonyms as the
// record pipeline makes them.
func (g *generator) record(e *model.Event, at time.Time, seed string) warehouse.Record {
	sum := sha256.Sum256([]byte(seed))
	id := hex.EncodeToString(sum[:16])
	r := warehouse.Record{
		ID:         id[0:8] + "-" + id[8:12] + "-7" + id[13:16] + "-8" + id[17:20] + "-" + id[20:32],
		OccurredAt: at,
		Event:      e.Action,
	}
	pseudonym := func(kind string, n int) string {
		h := sha256.Sum256([]byte(fmt.Sprintf("%s-%d", kind, n)))
		return hex.EncodeToString(h[:])
	}
	for _, id := range e.Identifiers {
		switch id {
		case model.User:
			r.Identifiers.User = pseudonym("user", int(math.Abs(g.rng.NormFloat64()*300)))
		case model.Project:
			r.Identifiers.Project = pseudonym("project", g.rng.IntN(200))
		case model.Namespace:
			r.Identifiers.Namespace = pseudonym("namespace", g.rng.IntN(40))
		}
	}
	props := map[string]any{}
	for _, p := range e.Properties {
		switch {
		case len(p.Enum) > 0:
			props[p.Name] = typed(p.Enum[g.rng.IntN(len(p.Enum))], p.Type)
		case p.Type == model.Boolean:
			props[p.Name] = g.rng.Float64() < 0.3
		case p.Type == model.Integer:
			props[p.Name] = g.rng.IntN(10)
		case p.Type == model.Number:
			props[p.Name] = math.Round(g.rng.ExpFloat64()*3000) / 100
		default:
			props[p.Name] = []string{"web", "api", "mobile"}[g.rng.IntN(3)]
		}
	}
	r.Properties, _ = json.Marshal(props)
	return r
}

// typed is an enum value as the property's type has it in a record.
func typed(v model.Value, t model.Type) any {
	switch t {
	case model.Integer:
		return v.Int
	case model.Number:
		return v.Float
	case model.Boolean:
		return v.Bool
	}
	return v.Text
}
