package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/usagekit/usagekit/collector/warehouse"
)

// eventInfo is one event of the explorer: declared by a definition, or
// only seen in records.
type eventInfo struct {
	Action      string   `json:"action"`
	Description string   `json:"description"`
	Properties  []string `json:"properties"`
	Declared    bool     `json:"declared"`
	Records     int      `json:"records"`
}

// events lists the declared events and those the records hold, by action.
func (d *Dashboard) events(ctx context.Context) ([]eventInfo, error) {
	byAction := map[string]*eventInfo{}
	if d.opt.Set != nil {
		for _, e := range d.opt.Set.Events {
			info := &eventInfo{Action: e.Action, Description: e.Description, Properties: []string{}, Declared: true}
			for _, p := range e.Properties {
				info.Properties = append(info.Properties, p.Name)
			}
			byAction[e.Action] = info
		}
	}
	counts, err := d.w.EventCounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		info := byAction[c.Event]
		if info == nil {
			info = &eventInfo{Action: c.Event, Properties: []string{}}
			byAction[c.Event] = info
		}
		info.Records = c.Count
	}
	out := make([]eventInfo, 0, len(byAction))
	for _, info := range byAction {
		out = append(out, *info)
	}
	slices.SortFunc(out, func(a, b eventInfo) int { return strings.Compare(a.Action, b.Action) })
	return out, nil
}

func (d *Dashboard) apiEvents(w http.ResponseWriter, r *http.Request) {
	f, err := format(r)
	if err != nil {
		apiError(w, err)
		return
	}
	evs, err := d.events(r.Context())
	if err != nil {
		apiError(w, err)
		return
	}
	if f == "csv" {
		rows := [][]string{{"action", "description", "properties", "declared", "records"}}
		for _, e := range evs {
			rows = append(rows, []string{e.Action, e.Description, strings.Join(e.Properties, " "), strconv.FormatBool(e.Declared), strconv.Itoa(e.Records)})
		}
		writeCSV(w, "events.csv", rows)
		return
	}
	writeJSON(w, map[string]any{"events": evs})
}

type eventWeekJSON struct {
	Week  string `json:"week"`
	Count int    `json:"count"`
	Users int    `json:"users"`
}

type eventGroupJSON struct {
	Value string          `json:"value"`
	Weeks []eventWeekJSON `json:"weeks"`
}

type eventSeriesJSON struct {
	Event    string           `json:"event"`
	Property string           `json:"property,omitempty"`
	Weeks    []eventWeekJSON  `json:"weeks"`
	Groups   []eventGroupJSON `json:"groups,omitempty"`
}

func eventWeeksJSON(ws []warehouse.EventWeek) []eventWeekJSON {
	out := make([]eventWeekJSON, len(ws))
	for i, w := range ws {
		out[i] = eventWeekJSON{Week: w.Week, Count: w.Count, Users: w.Users}
	}
	return out
}

// eventSeries reads an event series request: the event must be declared or
// recorded, and the property one the event declares.
func (d *Dashboard) eventSeries(r *http.Request, action string) (*warehouse.EventSeries, error) {
	evs, err := d.events(r.Context())
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(evs, func(e eventInfo) bool { return e.Action == action })
	if i < 0 {
		return nil, notFound("no event %q: no definition declares it and no record has it", action)
	}
	q := r.URL.Query()
	prop := q.Get("property")
	if prop != "" && !slices.Contains(evs[i].Properties, prop) {
		return nil, badRequest("property %q: %s declares %s", prop, action, properties(evs[i].Properties))
	}
	weeks, err := weeksOf(q)
	if err != nil {
		return nil, err
	}
	return d.w.EventSeries(r.Context(), action, prop, weeks)
}

// properties names a list of properties for a message.
func properties(ps []string) string {
	if len(ps) == 0 {
		return "no property"
	}
	return strings.Join(ps, ", ")
}

func (d *Dashboard) apiEventSeries(w http.ResponseWriter, r *http.Request) {
	f, err := format(r)
	if err != nil {
		apiError(w, err)
		return
	}
	action := r.PathValue("event")
	s, err := d.eventSeries(r, action)
	if err != nil {
		apiError(w, err)
		return
	}
	if f == "csv" {
		rows := [][]string{{"value", "week", "count", "users"}}
		if s.Property == "" {
			rows[0] = rows[0][1:]
			for _, wk := range s.Weeks {
				rows = append(rows, []string{wk.Week, strconv.Itoa(wk.Count), strconv.Itoa(wk.Users)})
			}
		}
		for _, g := range s.ByValue {
			for _, wk := range g.Weeks {
				rows = append(rows, []string{g.Value, wk.Week, strconv.Itoa(wk.Count), strconv.Itoa(wk.Users)})
			}
		}
		writeCSV(w, action+".csv", rows)
		return
	}
	out := eventSeriesJSON{Event: action, Property: s.Property, Weeks: eventWeeksJSON(s.Weeks)}
	if out.Weeks == nil {
		out.Weeks = []eventWeekJSON{}
	}
	for _, g := range s.ByValue {
		out.Groups = append(out.Groups, eventGroupJSON{Value: g.Value, Weeks: eventWeeksJSON(g.Weeks)})
	}
	writeJSON(w, out)
}
