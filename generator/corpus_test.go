package generator_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
)

// corpusCase is one set of real GitLab files compared with GitLab's
// schemas, with every way our verdicts may differ from GitLab's listed, and
// the figures the comparison must come to.
type corpusCase struct {
	name string
	// dir returns the directory holding the files at their GitLab paths
	// (config/..., spec/...).
	dir func(t testing.TB) string
	// stricter lists, per file, the findings of ours that GitLab's schemas
	// do not make: rules of ours documented as stricter than GitLab's. Each
	// entry is the exact diagnostic with paths relative to dir. A file
	// listed here may be one GitLab accepts; the test fails when a finding
	// is missing or unlisted, so the table stays exact.
	stricter map[string][]string
	// notDecoded lists files our loader refuses before schema validation
	// (so none of GitLab's schema reasons can be reported for them).
	notDecoded map[string]string
	// unreported lists, per file, reasons GitLab's schemas give that our
	// validator does not report although it rejects the file for others.
	// The test fails when a listed reason is reported.
	unreported map[string][]string
	// looser lists files GitLab's schemas reject and ours accept, with why:
	// each may differ only by a key of acceptedEventKeys.
	looser map[string]string
	want   corpusFigures
}

// corpusFigures is the agreement of one comparison, file by file.
type corpusFigures struct {
	Files         int // definition files compared
	GitLabAccepts int
	WeAccept      int
	BothAccept    int
	BothReject    int
	// ReasonsCompared counts the files both reject whose every GitLab
	// reason we were checked to report.
	ReasonsCompared int
	// Distributions counts the event files GitLab objects to for their
	// distributions key, which we accept (acceptedEventKeys).
	Distributions int
}

// acceptedEventKeys are top-level event keys GitLab's newest event schema
// refuses and ours accepts on purpose: DESIGN.md keeps distributions as an
// event field (GitLab's older event schemas had it). A file GitLab rejects
// for it and nothing else is one we accept, listed in looser; the figures
// count every file GitLab objects to for it.
var acceptedEventKeys = []string{"distributions"}

var corpusCases = []corpusCase{
	{
		name: "shared corpus",
		dir:  corpusDir,
		stricter: map[string][]string{
			// GitLab reads YAML with Psych, which keeps the last of
			// duplicate keys; we refuse duplicate keys (an edit that left
			// the first one stale).
			"config/events/1671198983_Gitlab__UsageDataCounters__MergeRequestActivityUniqueCounter_create.yml": {
				`config/events/1671198983_Gitlab__UsageDataCounters__MergeRequestActivityUniqueCounter_create.yml:6:1: duplicate key "label_description" (first at line 5)`,
			},
			// Cross-file: a metric's events must be defined. GitLab checks
			// this in Ruby, outside its schemas; the corpus is a sample
			// without the event.
			"config/metrics/counts_all/20210216174832_cycle_analytics_views.yml": {
				`config/metrics/counts_all/20210216174832_cycle_analytics_views.yml:13:3: events[0].name: unknown event "view_cycle_analytics"; no event definition has this action`,
			},
			// Cross-file: a metric counts internal events (GitLab's Ruby
			// checks InternalEvents' definitions the same way). The corpus
			// holds only the older legacy event of this action, not the
			// internal one.
			"config/metrics/counts_28d/20210216180334_g_edit_by_sfe_monthly.yml": {
				`config/metrics/counts_28d/20210216180334_g_edit_by_sfe_monthly.yml:13:5: events[0].name: event "g_edit_by_sfe" (config/events/1655726650_ide_edit_g_edit_by_sfe.yml:4:1) is a legacy event; a metric counts internal events only: add internal_events: true to the event`,
			},
		},
		notDecoded: map[string]string{
			"config/events/1671198983_Gitlab__UsageDataCounters__MergeRequestActivityUniqueCounter_create.yml": "duplicate key",
		},
		// 99 of its 100 event files still list distributions, and every
		// one of them has other problems too.
		want: corpusFigures{Files: 270, GitLabAccepts: 17, WeAccept: 15, BothAccept: 15, BothReject: 253, ReasonsCompared: 252, Distributions: 99},
	},
	{
		name: "sample of accepted files",
		dir:  func(testing.TB) string { return sampleDefs },
		looser: map[string]string{
			"config/events/create_merge_request.yml": "distributions, which DESIGN.md keeps as an event field",
		},
		want: corpusFigures{Files: 11, GitLabAccepts: 10, WeAccept: 11, BothAccept: 10, Distributions: 1},
	},
	{
		name: "internal events CLI",
		dir:  func(testing.TB) string { return cliSource },
		want: corpusFigures{Files: 2, BothReject: 2, ReasonsCompared: 2},
	},
}

// TestGitLabCorpus loads every definition of each set of real GitLab files
// with our loader and validator and compares, file by file, with GitLab's
// own schemas: the verdicts must match, except for the findings listed in
// stricter and the files listed in looser; where both reject a file, every
// reason GitLab gives must be reported by us too (a diagnostic that names
// the key, or that sits on the key GitLab objects to); and the figures of
// the comparison are stated exactly.
func TestGitLabCorpus(t *testing.T) {
	g := compileGitLabSchemas(t, corpusDir(t))
	for _, c := range corpusCases {
		t.Run(c.name, func(t *testing.T) {
			got := compareWithGitLab(t, g, c)
			if got != c.want {
				t.Errorf("figures\n got %+v\nwant %+v", got, c.want)
			}
			t.Logf("%+v", got)
		})
	}
}

// compareWithGitLab runs one comparison, reporting every disagreement that
// its tables do not list, and returns its figures.
func compareWithGitLab(t *testing.T, g *gitlabSchemas, c corpusCase) corpusFigures {
	dir, err := filepath.Abs(c.dir(t))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".yml") {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	res := generator.LoadResult(dir)
	if res.Files != len(files) {
		t.Errorf("loader read %d files, the directory has %d .yml files", res.Files, len(files))
	}
	ours := map[string]diag.List{}
	wd, _ := os.Getwd()
	for _, d := range res.Diagnostics {
		if d.Rule == "internal" {
			t.Errorf("the loader or validator crashed on a GitLab file: %s", d)
		}
		p := d.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(wd, p)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || !filepath.IsLocal(rel) {
			t.Errorf("diagnostic outside the directory: %s", d)
			continue
		}
		rel = filepath.ToSlash(rel)
		d.Path = rel
		// Messages naming another file name it as the tables do.
		d.Message = strings.ReplaceAll(d.Message, dir+string(filepath.Separator), "")
		if r, err := filepath.Rel(wd, dir); err == nil && filepath.IsLocal(r) {
			d.Message = strings.ReplaceAll(d.Message, filepath.ToSlash(r)+"/", "")
		}
		ours[rel] = append(ours[rel], d)
	}

	var fig corpusFigures
	for _, rel := range files {
		path := filepath.Join(dir, rel)
		ref := g.verdict(path, isEventPath(rel))
		got := ours[rel]
		delete(ours, rel)
		fig.Files++
		if ref.Valid {
			fig.GitLabAccepts++
		}
		if len(got) == 0 {
			fig.WeAccept++
		}
		reasons, accepted := gitlabReasons(t, g, path, isEventPath(rel))
		if accepted > 0 {
			fig.Distributions++
		}

		// Split our findings into the listed stricter ones and the rest.
		want := c.stricter[rel]
		var rest diag.List
		var extra []string
		for _, d := range got {
			if slices.Contains(want, d.String()) {
				extra = append(extra, d.String())
			} else {
				rest = append(rest, d)
			}
		}
		for _, w := range want {
			if !slices.Contains(extra, w) {
				t.Errorf("%s: expected the stricter finding\n\t%s\nbut got:\n\t%s", rel, w, joinDiags(got))
			}
		}

		switch {
		case ref.Valid:
			if len(got) == 0 {
				fig.BothAccept++
			}
			if len(rest) > 0 {
				t.Errorf("%s: GitLab's schema accepts it, but we report (add to stricter only if a documented rule of ours is stricter):\n\t%s", rel, joinDiags(rest))
			}
		case len(got) == 0:
			_, listed := c.looser[rel]
			switch {
			case !listed:
				t.Errorf("%s: GitLab's schema rejects it, we accept it. GitLab says:\n\t%s", rel, strings.Join(ref.Problems, "\n\t"))
			case len(reasons) > 0:
				t.Errorf("%s: listed in looser, but GitLab also rejects it for %s", rel, reasons[0].why)
			}
		default:
			fig.BothReject++
			if _, ok := c.looser[rel]; ok {
				t.Errorf("%s: listed in looser but we reject it:\n\t%s", rel, joinDiags(got))
			}
			if _, ok := c.notDecoded[rel]; ok {
				continue
			}
			fig.ReasonsCompared++
			for _, r := range reasons {
				known := slices.Contains(c.unreported[rel], r.why)
				switch reported := r.reportedBy(rest); {
				case !reported && !known:
					t.Errorf("%s: GitLab rejects it because %s; none of our findings names %s:\n\t%s",
						rel, r.why, strings.Join(r.names, " or "), joinDiags(got))
				case reported && known:
					t.Errorf("%s: we now report %q; remove it from unreported", rel, r.why)
				}
			}
		}
	}
	for rel, ds := range ours {
		t.Errorf("%s: findings for a file that is not a definition here:\n\t%s", rel, joinDiags(ds))
	}
	for _, table := range []map[string][]string{c.stricter, c.unreported} {
		for rel := range table {
			if !slices.Contains(files, rel) {
				t.Errorf("a table lists %s, which is not here", rel)
			}
		}
	}
	for rel := range c.looser {
		if !slices.Contains(files, rel) {
			t.Errorf("looser lists %s, which is not here", rel)
		}
	}
	return fig
}

func joinDiags(l diag.List) string {
	if len(l) == 0 {
		return "(nothing)"
	}
	s := make([]string, len(l))
	for i, d := range l {
		s[i] = d.String()
	}
	return strings.Join(s, "\n\t")
}

// reason is one thing GitLab's schema objects to in a file, as the keys it
// concerns: we report it when one of our diagnostics names one of the keys
// or lies within the lines of one of them.
type reason struct {
	why   string
	names []string
	spans [][2]int // line ranges of the keys that exist in the file
}

func (r reason) reportedBy(l diag.List) bool {
	for _, d := range l {
		// Only what the message is about counts, not the list of what is
		// allowed that follows "; ".
		subject, _, _ := strings.Cut(d.Message, "; ")
		for _, n := range r.names {
			if regexp.MustCompile(`(^|[^a-z0-9_])` + regexp.QuoteMeta(n) + `([^a-z0-9_]|$)`).MatchString(subject) {
				return true
			}
		}
		for _, s := range r.spans {
			if d.Line >= s[0] && d.Line <= s[1] {
				return true
			}
		}
	}
	return false
}

var quotedNames = regexp.MustCompile(`'([^']+)'`)

// gitlabReasons turns GitLab's schema errors for a file into reasons. The
// alternatives of a oneOf or anyOf make one reason (reporting any of them
// is enough: GitLab's own message only says no alternative matched); an
// unknown or missing key is a reason per key. Reasons that are an event key
// of acceptedEventKeys are left out and counted.
func gitlabReasons(t *testing.T, g *gitlabSchemas, path string, isEvent bool) (_ []reason, accepted int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, root, err := decodeLikePsych(data)
	if err != nil {
		return []reason{{why: err.Error()}}, 0
	}
	s := g.metric
	if isEvent {
		s = g.event
	}
	err = s.Validate(doc)
	if err == nil {
		return nil, 0
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []reason{{why: err.Error()}}, 0
	}
	var out []reason
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, leafReasons(root, e)...)
			return
		}
		if strings.HasSuffix(e.KeywordLocation, "/oneOf") || strings.HasSuffix(e.KeywordLocation, "/anyOf") {
			merged := reason{why: e.KeywordLocation + ": " + e.Message}
			for _, l := range leaves(e) {
				for _, r := range leafReasons(root, l) {
					merged.names = append(merged.names, r.names...)
					merged.spans = append(merged.spans, r.spans...)
				}
			}
			out = append(out, merged)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	if isEvent {
		out = slices.DeleteFunc(out, func(r reason) bool {
			if len(r.names) == 1 && slices.Contains(acceptedEventKeys, r.names[0]) {
				accepted++
				return true
			}
			return false
		})
	}
	return out, accepted
}

// leafReasons makes reasons from one schema error without causes.
func leafReasons(root *yaml.Node, e *jsonschema.ValidationError) []reason {
	why := e.InstanceLocation + ": " + e.Message
	parent := root
	if e.InstanceLocation != "" {
		parent = nodeAt(root, e.InstanceLocation)
	}
	kw := e.KeywordLocation[strings.LastIndex(e.KeywordLocation, "/")+1:]
	if kw == "additionalProperties" || kw == "required" {
		var out []reason
		for _, m := range quotedNames.FindAllStringSubmatch(e.Message, -1) {
			out = append(out, reason{why: why, names: []string{m[1]}, spans: spanOf(parent, m[1])})
		}
		if len(out) > 0 {
			return out
		}
	}
	// Any other failure concerns the value at the instance location: name
	// the innermost key on its path and the top-level key that holds it.
	toks := strings.Split(strings.TrimPrefix(e.InstanceLocation, "/"), "/")
	r := reason{why: why}
	if len(toks) > 0 && toks[0] != "" {
		r.names = append(r.names, toks[0])
		r.spans = append(r.spans, spanOf(root, toks[0])...)
		for i := len(toks) - 1; i > 0; i-- {
			if _, err := strconv.Atoi(toks[i]); err != nil {
				r.names = append(r.names, toks[i])
				break
			}
		}
	}
	return []reason{r}
}

// nodeAt returns the node at a JSON pointer, or nil.
func nodeAt(root *yaml.Node, pointer string) *yaml.Node {
	n, _ := psychLookup(root, pointer)
	return n
}

// spanOf returns the lines from key name in mapping m to the line before
// the next key (or the last line of its value), as a one-element slice, or
// nil when m has no such key.
func spanOf(m *yaml.Node, name string) [][2]int {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var spans [][2]int
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != name {
			continue
		}
		end := lastLine(m.Content[i+1])
		if i+2 < len(m.Content) {
			end = max(end, m.Content[i+2].Line-1)
		}
		spans = append(spans, [2]int{m.Content[i].Line, max(end, m.Content[i].Line)})
	}
	return spans
}

// lastLine is the last line a node's content starts on.
func lastLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		l = max(l, lastLine(c))
	}
	return l
}
