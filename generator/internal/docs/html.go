package docs

import (
	"bytes"
	"html/template"
	"slices"
	"strings"

	"github.com/usagekit/usagekit/generator/model"
)

// row is one line of the HTML table: an event or a metric.
type row struct {
	Kind        string // event or metric
	ID          string // anchor
	Name        string
	Description string
	Group       string
	DataSource  string // metrics only
	TimeFrame   string // metrics only
	Status      string
	Tiers       []string
	Events      []string // metrics: the events named, linked by anchor
	Details     string   // identifiers and properties, or value type
	Search      string   // lower-case text the search box matches
}

type pageData struct {
	Rows        []row
	Groups      []string
	DataSources []string
	TimeFrames  []string
	Statuses    []string
	Tiers       []string
	NumEvents   int
	NumMetrics  int
}

func htmlPage(set *model.Set, calls map[string][]string) ([]byte, error) {
	d := pageData{NumEvents: len(set.Events), NumMetrics: len(set.Metrics)}
	add := func(list *[]string, v string) {
		if v != "" && !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	for _, e := range set.Events {
		var details []string
		for _, id := range e.Identifiers {
			details = append(details, string(id))
		}
		for _, p := range e.Properties {
			details = append(details, p.Name+":"+string(p.Type))
		}
		r := row{
			Kind: "event", ID: "event-" + e.Action, Name: e.Action, Description: e.Description,
			Group: groupName(e.ProductGroup), Status: eventStatus(e), Tiers: e.Tiers,
			Details: strings.Join(details, ", "),
		}
		if sites := calls[e.Action]; len(sites) > 0 {
			r.Details += "; tracked at " + callList(sites, "")
		} else if calls != nil {
			r.Details += "; never tracked"
		}
		d.Rows = append(d.Rows, r)
	}
	for _, m := range set.Metrics {
		r := row{
			Kind: "metric", ID: "metric-" + m.KeyPath, Name: m.KeyPath, Description: m.Description,
			Group: groupName(m.ProductGroup), DataSource: m.DataSource, TimeFrame: string(m.TimeFrame),
			Status: metricStatus(m), Tiers: m.Tiers, Events: metricEvents(m), Details: m.ValueType,
		}
		add(&d.DataSources, r.DataSource)
		add(&d.TimeFrames, r.TimeFrame)
		d.Rows = append(d.Rows, r)
	}
	for _, g := range set.ProductGroups {
		add(&d.Groups, g.Name) // every group of the project's list can be chosen
	}
	for i := range d.Rows {
		r := &d.Rows[i]
		add(&d.Groups, r.Group)
		add(&d.Statuses, r.Status)
		for _, t := range r.Tiers {
			add(&d.Tiers, t)
		}
		r.Search = strings.ToLower(strings.Join([]string{r.Name, r.Description, r.Group, r.DataSource, strings.Join(r.Events, " ")}, " "))
	}
	for _, l := range [][]string{d.Groups, d.DataSources, d.TimeFrames, d.Statuses, d.Tiers} {
		slices.Sort(l)
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func groupName(g string) string {
	if g == "" {
		return noGroup
	}
	return g
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"join":      strings.Join,
	"breakable": breakable,
}).Parse(pageSource))

// breakable marks where a long name may wrap: after each dot and
// underscore, so that a narrow column breaks a key path between its words
// rather than inside one.
func breakable(name string) template.HTML {
	var b strings.Builder
	for _, r := range name {
		b.WriteString(template.HTMLEscapeString(string(r)))
		if r == '.' || r == '_' {
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String())
}

// pageSource is the whole page: styles and script are inline so the file
// works offline and from file:// URLs.
const pageSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Metrics dictionary</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1f1f1f; }
h1 { font-size: 1.4rem; margin: 0 0 .8rem; }
form { display: flex; flex-wrap: wrap; gap: .6rem; margin-bottom: .8rem; align-items: end; }
label { display: flex; flex-direction: column; font-size: .8rem; color: #555; }
input, select { font: inherit; padding: .25rem .4rem; }
#search { min-width: 18rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid #ddd; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; position: sticky; top: 0; }
tr:target { background: #fff6cc; }
code { font-size: .85rem; }
td:nth-child(2) code, td:nth-child(7) a { overflow-wrap: anywhere; }
th:nth-child(2) { width: 24%; }
th:nth-child(3) { width: 24%; }
th:nth-child(7) { width: 18%; }
.kind { font-size: .75rem; text-transform: uppercase; color: #666; }
.status-removed td { color: #888; text-decoration: line-through; }
.status-broken .st { color: #b00020; font-weight: bold; }
#count { font-size: .85rem; color: #555; margin-bottom: .5rem; }
</style>
</head>
<body>
<h1>Metrics dictionary</h1>
<form id="filters" onsubmit="return false">
<label>Search<input id="search" type="search" placeholder="name, description, group, event" autofocus></label>
<label>Kind<select id="filter-kind"><option value="">all</option><option value="event">event</option><option value="metric">metric</option></select></label>
<label>Product group<select id="filter-group"><option value="">all</option>{{range .Groups}}<option value="{{.}}">{{.}}</option>{{end}}</select></label>
<label>Data source<select id="filter-source"><option value="">all</option>{{range .DataSources}}<option value="{{.}}">{{.}}</option>{{end}}</select></label>
<label>Time frame<select id="filter-timeframe"><option value="">all</option>{{range .TimeFrames}}<option value="{{.}}">{{.}}</option>{{end}}</select></label>
<label>Status<select id="filter-status"><option value="">all</option>{{range .Statuses}}<option value="{{.}}">{{.}}</option>{{end}}</select></label>
<label>Tier<select id="filter-tier"><option value="">all</option>{{range .Tiers}}<option value="{{.}}">{{.}}</option>{{end}}</select></label>
</form>
<div id="count">{{.NumEvents}} events, {{.NumMetrics}} metrics</div>
<table id="dictionary">
<thead><tr><th>Kind</th><th>Name</th><th>Description</th><th>Product group</th><th>Data source</th><th>Time frame</th><th>Events / details</th><th>Status</th><th>Tiers</th></tr></thead>
<tbody>
{{range .Rows}}<tr id="{{.ID}}" class="row status-{{.Status}}" data-kind="{{.Kind}}" data-group="{{.Group}}" data-source="{{.DataSource}}" data-timeframe="{{.TimeFrame}}" data-status="{{.Status}}" data-tiers="{{join .Tiers " "}}" data-search="{{.Search}}">
<td class="kind">{{.Kind}}</td><td><code>{{breakable .Name}}</code></td><td>{{.Description}}</td><td>{{.Group}}</td><td>{{.DataSource}}</td><td>{{.TimeFrame}}</td>
<td>{{if eq .Kind "metric"}}{{range $i, $e := .Events}}{{if $i}}, {{end}}<a class="event-link" href="#event-{{$e}}">{{breakable $e}}</a>{{end}}{{if not .Events}}{{.Details}}{{end}}{{else}}{{.Details}}{{end}}</td>
<td class="st">{{.Status}}</td><td>{{join .Tiers ", "}}</td></tr>
{{end}}</tbody>
</table>
<script>
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll("#dictionary tbody tr"));
  var search = document.getElementById("search");
  var selects = {
    kind: document.getElementById("filter-kind"),
    group: document.getElementById("filter-group"),
    source: document.getElementById("filter-source"),
    timeframe: document.getElementById("filter-timeframe"),
    status: document.getElementById("filter-status"),
    tier: document.getElementById("filter-tier")
  };
  var count = document.getElementById("count");
  function apply() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = {event: 0, metric: 0};
    rows.forEach(function (tr) {
      var d = tr.dataset, ok = true;
      words.forEach(function (w) { if (d.search.indexOf(w) < 0) ok = false; });
      if (selects.kind.value && d.kind !== selects.kind.value) ok = false;
      if (selects.group.value && d.group !== selects.group.value) ok = false;
      if (selects.source.value && d.source !== selects.source.value) ok = false;
      if (selects.timeframe.value && d.timeframe !== selects.timeframe.value) ok = false;
      if (selects.status.value && d.status !== selects.status.value) ok = false;
      if (selects.tier.value && d.tiers.split(" ").indexOf(selects.tier.value) < 0) ok = false;
      tr.hidden = !ok;
      if (ok) shown[d.kind]++;
    });
    count.textContent = shown.event + " events, " + shown.metric + " metrics";
  }
  search.addEventListener("input", apply);
  Object.keys(selects).forEach(function (k) { selects[k].addEventListener("change", apply); });
  // Following a link to a hidden event clears the filters so it shows.
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a.event-link");
    if (!a) return;
    var target = document.getElementById(a.getAttribute("href").slice(1));
    if (target && target.hidden) {
      search.value = "";
      Object.keys(selects).forEach(function (k) { selects[k].value = ""; });
      apply();
    }
  });
  apply();
})();
</script>
</body>
</html>
`
