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

// stricter lists, per corpus file (relative to the corpus), the findings of
// ours that GitLab's schemas do not make: rules of ours that are documented
// as stricter than GitLab's. Each entry is the exact diagnostic with the path
// relative to the corpus. A file listed here may be one GitLab accepts; the
// test fails when a finding is missing or unlisted, so the table stays exact.
var stricter = map[string][]string{
	// GitLab reads YAML with Psych, which keeps the last of duplicate keys;
	// we refuse duplicate keys (an edit that left the first one stale).
	"config/events/1671198983_Gitlab__UsageDataCounters__MergeRequestActivityUniqueCounter_create.yml": {
		`config/events/1671198983_Gitlab__UsageDataCounters__MergeRequestActivityUniqueCounter_create.yml:6:1: duplicate key "label_description" (first at line 5)`,
	},
	// Cross-file: a metric's events must be defined. GitLab checks this in
	// Ruby, outside its schemas; the corpus is a sample without the event.
	"config/metrics/counts_all/20210216174832_cycle_analytics_views.yml": {
		`config/metrics/counts_all/20210216174832_cycle_analytics_views.yml:13:3: events[0].name: unknown event "view_cycle_analytics"; no event definition has this action`,
	},
	// Cross-file: a metric counts internal events (GitLab's Ruby checks
	// InternalEvents' definitions the same way). The corpus holds only the
	// older legacy event of this action, not the internal one.
	"config/metrics/counts_28d/20210216180334_g_edit_by_sfe_monthly.yml": {
		`config/metrics/counts_28d/20210216180334_g_edit_by_sfe_monthly.yml:13:5: events[0].name: event "g_edit_by_sfe" (config/events/1655726650_ide_edit_g_edit_by_sfe.yml:4:1) is a legacy event; a metric counts internal events only: add internal_events: true to the event`,
	},
}

// notDecoded lists corpus files our loader refuses before schema validation
// (so none of GitLab's schema reasons can be reported for them), with why.
var notDecoded = map[string]string{
	"config/events/1671198983_Gitlab__UsageDataCounters__MergeRequestActivityUniqueCounter_create.yml": "duplicate key",
}

// acceptedEventKeys are top-level event keys GitLab's newest event schema
// refuses and ours accepts on purpose: DESIGN.md keeps distributions as an
// event field (GitLab's older event schemas had it). No corpus file is
// accepted because of it; it only is not one of the reasons we give.
var acceptedEventKeys = []string{"distributions"}

// unreported lists, per corpus file, reasons GitLab's schemas give that our
// validator does not report yet, although it rejects the file for others
// (the verdicts agree). The test fails when a listed reason is reported,
// so the table shrinks as the schemas catch up. It is empty: every reason
// GitLab gives for a corpus file is one of ours too.
var unreported = map[string][]string{}

// looser lists corpus files GitLab's schemas reject and ours accept, with
// the reason we accept them. It is empty: a file GitLab rejects must be
// rejected by us too.
var looser = map[string]string{}

// TestGitLabCorpus loads every definition of the GitLab corpus with our
// loader and validator and compares, file by file, with GitLab's own
// schemas: the verdicts must match, except for the findings listed in
// stricter and the files listed in looser; and where both reject a file,
// every reason GitLab gives must be reported by us too (a diagnostic that
// names the key, or that sits on the key GitLab objects to).
func TestGitLabCorpus(t *testing.T) {
	corpus := corpusDir(t)
	g := compileGitLabSchemas(t, corpus)

	var files []string
	err := filepath.WalkDir(filepath.Join(corpus, "config"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".yml") {
			rel, err := filepath.Rel(corpus, p)
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

	res := generator.LoadResult(filepath.Join(corpus, "config"))
	if res.Files != len(files) {
		t.Errorf("loader read %d files, the corpus has %d .yml files", res.Files, len(files))
	}
	ours := map[string]diag.List{}
	wd, _ := os.Getwd()
	for _, d := range res.Diagnostics {
		if d.Rule == "internal" {
			t.Errorf("the loader or validator crashed on a corpus file: %s", d)
		}
		p := d.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(wd, p)
		}
		rel, err := filepath.Rel(corpus, p)
		if err != nil || !filepath.IsLocal(rel) {
			t.Errorf("diagnostic outside the corpus: %s", d)
			continue
		}
		rel = filepath.ToSlash(rel)
		d.Path = rel
		// Messages naming another corpus file name it as the tables do.
		d.Message = strings.ReplaceAll(d.Message, corpus+string(filepath.Separator), "")
		ours[rel] = append(ours[rel], d)
	}

	var gitlabValid, bothReject, reasonsChecked int
	for _, rel := range files {
		path := filepath.Join(corpus, rel)
		ref := g.verdict(path, isEventPath(rel))
		got := ours[rel]
		delete(ours, rel)

		// Split our findings into the listed stricter ones and the rest.
		want := stricter[rel]
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
			gitlabValid++
			if len(rest) > 0 {
				t.Errorf("%s: GitLab's schema accepts it, but we report (add to stricter only if a documented rule of ours is stricter):\n\t%s", rel, joinDiags(rest))
			}
		case len(got) == 0:
			if _, ok := looser[rel]; !ok {
				t.Errorf("%s: GitLab's schema rejects it, we accept it. GitLab says:\n\t%s", rel, strings.Join(ref.Problems, "\n\t"))
			}
		default:
			bothReject++
			if _, ok := looser[rel]; ok {
				t.Errorf("%s: listed in looser but we reject it:\n\t%s", rel, joinDiags(got))
			}
			if _, ok := notDecoded[rel]; ok {
				continue
			}
			reasonsChecked++
			for _, r := range gitlabReasons(t, g, path, isEventPath(rel)) {
				known := slices.Contains(unreported[rel], r.why)
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
		t.Errorf("%s: findings for a file that is not a corpus definition:\n\t%s", rel, joinDiags(ds))
	}
	for rel := range stricter {
		if !slices.Contains(files, rel) {
			t.Errorf("stricter lists %s, which is not in the corpus", rel)
		}
	}
	t.Logf("%d corpus definitions: GitLab accepts %d; both reject %d (reasons compared for %d)",
		len(files), gitlabValid, bothReject, reasonsChecked)
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
// unknown or missing key is a reason per key.
func gitlabReasons(t *testing.T, g *gitlabSchemas, path string, isEvent bool) []reason {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, root, err := decodeLikePsych(data)
	if err != nil {
		return []reason{{why: err.Error()}}
	}
	s := g.metric
	if isEvent {
		s = g.event
	}
	err = s.Validate(doc)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []reason{{why: err.Error()}}
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
			return len(r.names) == 1 && slices.Contains(acceptedEventKeys, r.names[0])
		})
	}
	return out
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
func nodeAt(n *yaml.Node, pointer string) *yaml.Node {
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		if n == nil {
			return nil
		}
		for n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == tok {
					next = n.Content[i+1]
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
			}
		}
		n = next
	}
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
