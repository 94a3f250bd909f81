package load_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/internal/load"
)

// writeTree creates files (path → content) under a fresh directory, makes it
// the working directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return dir
}

// loaded is what the loader's steps make of some paths: the files found
// (load.Files) and each one read and decoded (load.ReadFile), as
// generator.LoadResult does before validating.
type loaded struct {
	Files       int
	Paths       []string
	Documents   []*load.Document
	Diagnostics diag.List
}

func loadPaths(paths ...string) *loaded {
	files, diags := load.Files(paths...)
	r := &loaded{Files: len(files), Diagnostics: diags}
	for _, f := range files {
		r.Paths = append(r.Paths, f.Path)
		doc, d := load.ReadFile(f)
		r.Diagnostics = append(r.Diagnostics, d...)
		if doc != nil {
			r.Documents = append(r.Documents, doc)
		}
	}
	return r
}

func diagLines(r *loaded) string {
	var b strings.Builder
	for _, d := range r.Diagnostics.Sort() {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

const validEvent = "action: issue_created\ndescription: An issue is created\n"

func TestLoadBadInput(t *testing.T) {
	aliasBomb := "action: x\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"invalid syntax", "action: [a, b\ndescription: x\n",
			"events/bad.yml:1:9: flow sequence opened here is not closed with \"]\" (separate its items with \",\")\n"},
		{"mapping value in scalar", "action: a: b\n",
			"events/bad.yml:1:10: \":\" is not allowed here: put a value that contains \": \" in quotes, and start a nested mapping on a new line, indented under its key\n"},
		{"duplicate key", "action: a\ndescription: x\naction: b\n",
			"events/bad.yml:3:1: duplicate key \"action\" (first at line 1)\n"},
		{"duplicate nested key", "action: a\nadditional_properties:\n  label:\n    description: x\n    description: y\n",
			"events/bad.yml:5:5: duplicate key \"description\" (first at line 4)\n"},
		{"empty file", "",
			"events/bad.yml: file is empty; expected a mapping with an action (event) or a key_path (metric)\n"},
		{"only comments", "# nothing here\n\n",
			"events/bad.yml: file is empty; expected a mapping with an action (event) or a key_path (metric)\n"},
		{"top level list", "- action: a\n",
			"events/bad.yml:1:1: the top level is a list; expected a mapping with an action (event) or a key_path (metric)\n"},
		{"top level scalar", "issue_created\n",
			"events/bad.yml:1:1: the top level is a scalar (\"issue_created\"); expected a mapping with an action (event) or a key_path (metric)\n"},
		{"top level null", "~\n",
			"events/bad.yml:1:1: the top level is null; expected a mapping with an action (event) or a key_path (metric)\n"},
		{"two documents", validEvent + "---\n" + validEvent,
			"events/bad.yml:3:1: a second YAML document starts here; a definition file holds exactly one\n"},
		{"invalid UTF-8", "action: a\ndescription: caf\xe9\n",
			"events/bad.yml:2:17: invalid UTF-8 (byte 0xe9); definition files must be UTF-8 text\n"},
		{"tab indentation", "action: a\nadditional_properties:\n\tlabel:\n",
			"events/bad.yml:3:1: tab character in indentation; YAML indents with spaces only\n"},
		{"alias bomb", aliasBomb,
			"events/bad.yml:5:36: alias *c takes this file beyond 10000 values; refused (anchors and aliases may not multiply a definition's size)\n"},
		{"complex key", "action: a\n? [x, y]\n: z\n",
			"events/bad.yml:2:3: a mapping key must be a plain value, not a list\n"},
		{"deep nesting", "action: a\nx: " + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "\n",
			"events/bad.yml:2:68: nesting deeper than 64 levels\n"},
		{"control character", "action: a\x01\n",
			"events/bad.yml:1:10: control character U+0001 is not allowed; YAML text may hold printable characters, tabs and line breaks only\n"},
		{"unknown kind", "name: x\n",
			""}, // placed under events/, so it is an event; the schema reports the keys
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeTree(t, map[string]string{"events/bad.yml": tt.content})
			r := loadPaths("events")
			if got := diagLines(r); got != tt.want {
				t.Errorf("diagnostics:\n got: %q\nwant: %q", got, tt.want)
			}
			if r.Files != 1 {
				t.Errorf("Files = %d, want 1", r.Files)
			}
			if tt.want != "" && len(r.Documents) != 0 {
				t.Errorf("a file with problems produced a document")
			}
		})
	}
}

func TestLoadPaths(t *testing.T) {
	t.Run("missing directory", func(t *testing.T) {
		writeTree(t, nil)
		r := loadPaths("definitions")
		if got, want := diagLines(r), "definitions: no such file or directory\n"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("file too large", func(t *testing.T) {
		writeTree(t, map[string]string{"events/big.yml": validEvent + "# " + strings.Repeat("x", load.MaxFileSize) + "\n"})
		r := loadPaths(".")
		if got, want := diagLines(r), "events/big.yml: file is 1.0 MiB; the limit is 1 MiB\n"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("non-YAML files ignored", func(t *testing.T) {
		writeTree(t, map[string]string{
			"events/a.yml":          validEvent,
			"events/README.md":      "# not a definition: [",
			"events/logo.png":       "\x89PNG\x00\xff",
			"events/schema/x.yml":   "not: [valid",
			"events/.hidden/x.yaml": "not: [valid",
		})
		r := loadPaths(".")
		if got := diagLines(r); got != "" {
			t.Errorf("unexpected diagnostics: %q", got)
		}
		if r.Files != 1 || len(r.Documents) != 1 {
			t.Errorf("Files = %d, Documents = %d; want 1, 1", r.Files, len(r.Documents))
		}
	})
	t.Run("binary file named .yml", func(t *testing.T) {
		writeTree(t, map[string]string{"events/logo.yml": "\x89PNG\r\n\x1a\n\x00\x00"})
		r := loadPaths(".")
		if got, want := diagLines(r), "events/logo.yml:1:1: invalid UTF-8 (byte 0x89); definition files must be UTF-8 text\n"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("symlink loop to an ancestor", func(t *testing.T) {
		dir := writeTree(t, map[string]string{"defs/events/a.yml": validEvent})
		if err := os.Symlink(filepath.Join(dir, "defs"), filepath.Join(dir, "defs/events/loop")); err != nil {
			t.Skip("symlinks not supported:", err)
		}
		r := loadPaths("defs")
		if got, want := diagLines(r), "defs/events/loop: symlink loop: the link leads back to a directory it is inside; not followed\n"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
		if len(r.Documents) != 1 {
			t.Errorf("Documents = %d, want 1", len(r.Documents))
		}
	})
	t.Run("symlink to itself", func(t *testing.T) {
		dir := writeTree(t, map[string]string{"events/a.yml": validEvent})
		if err := os.Symlink("self.yml", filepath.Join(dir, "events/self.yml")); err != nil {
			t.Skip("symlinks not supported:", err)
		}
		r := loadPaths("events")
		if got, want := diagLines(r), "events/self.yml: symlink loop: too many levels of symbolic links\n"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("symlinked directory is followed", func(t *testing.T) {
		dir := writeTree(t, map[string]string{"shared/a.yml": validEvent})
		if err := os.Symlink(filepath.Join(dir, "shared"), filepath.Join(dir, "events")); err != nil {
			t.Skip("symlinks not supported:", err)
		}
		r := loadPaths("events")
		if diagLines(r) != "" || len(r.Documents) != 1 || r.Documents[0].Path != "events/a.yml" {
			t.Errorf("got %q and %d documents", diagLines(r), len(r.Documents))
		}
	})
	t.Run("absolute paths print relative to the working directory", func(t *testing.T) {
		dir := writeTree(t, map[string]string{"definitions/events/a.yml": "action: [\n"})
		r := loadPaths(filepath.Join(dir, "definitions"))
		if got, want := diagLines(r), "definitions/events/a.yml:1:9: flow sequence opened here is not closed with \"]\" (separate its items with \",\")\n"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("same file twice", func(t *testing.T) {
		writeTree(t, map[string]string{"events/a.yml": validEvent})
		r := loadPaths("events", "events/a.yml", "./events")
		if r.Files != 1 {
			t.Errorf("Files = %d, want 1", r.Files)
		}
	})
}

func TestKind(t *testing.T) {
	files := map[string]string{
		"definitions/events/a.yml":                         "action: a\n",
		"definitions/metrics/counts_all/m.yml":             "key_path: counts.m\n",
		"config/events/b.yml":                              "action: b\n",
		"ee/config/events/c.yaml":                          "action: c\n",
		"config/metrics/counts_28d/removed/r.yml":          "key_path: counts.r\n",
		"loose/e.yml":                                      "action: e\n",
		"loose/m.yml":                                      "key_path: counts.loose\n",
		"config/metrics/schema/ignored.yml":                "key_path: ignored\n",
		"definitions/metrics/events_metrics/events_x.yml":  "key_path: counts.x\n",
		"definitions/events/nested/metrics_named/ev.yml":   "action: ev\n",
		"definitions/metrics/weird/events/in_metrics.yaml": "action: in_metrics\n",
	}
	writeTree(t, files)
	r := loadPaths(".")
	if got := diagLines(r); got != "" {
		t.Fatalf("unexpected diagnostics: %q", got)
	}
	got := map[string]string{}
	for _, d := range r.Documents {
		got[d.Path] = d.Kind.String()
	}
	want := map[string]string{
		"definitions/events/a.yml":                         "event",
		"definitions/metrics/counts_all/m.yml":             "metric",
		"config/events/b.yml":                              "event",
		"ee/config/events/c.yaml":                          "event",
		"config/metrics/counts_28d/removed/r.yml":          "metric",
		"loose/e.yml":                                      "event",
		"loose/m.yml":                                      "metric",
		"definitions/metrics/events_metrics/events_x.yml":  "metric",
		"definitions/events/nested/metrics_named/ev.yml":   "event",
		"definitions/metrics/weird/events/in_metrics.yaml": "event",
	}
	for p, k := range want {
		if got[p] != k {
			t.Errorf("%s: kind %q, want %q", p, got[p], k)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d documents, want %d: %v", len(got), len(want), got)
	}
}

func TestKindUnknown(t *testing.T) {
	writeTree(t, map[string]string{"loose/x.yml": "name: x\n"})
	r := loadPaths("loose")
	want := "loose/x.yml:1:1: cannot tell whether this is an event or a metric: put it under an events/ or metrics/ directory, or give it an action or a key_path\n"
	if got := diagLines(r); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestValueAndLookup(t *testing.T) {
	src := "key_path: counts.a\nmilestone: 8.10\ncount: 0x10\nratio: 1.50\nflag: true\nnone: ~\n" +
		"when: 2021-02-16\nevents:\n  - name: a\n    filter:\n      a/b: x\n      t~: y\n"
	d, diags := load.Parse("metrics/a.yml", []byte(src))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	v := d.Value
	checks := []struct {
		key  string
		want any
	}{
		{"milestone", 8.1}, {"count", int64(16)}, {"ratio", 1.5}, {"flag", true}, {"none", nil}, {"when", "2021-02-16"},
	}
	for _, c := range checks {
		if v[c.key] != c.want {
			t.Errorf("%s = %#v, want %#v", c.key, v[c.key], c.want)
		}
	}
	for _, c := range []struct {
		ptr             string
		keyLine, valCol int
		val             string
	}{
		{"/milestone", 2, 12, "8.10"},
		{"/events/0/name", 9, 11, "a"},
		{"/events/0/filter/a~1b", 11, 12, "x"},
		{"/events/0/filter/t~0", 12, 11, "y"},
	} {
		k, n := d.Lookup(c.ptr)
		if k == nil || n == nil || k.Line != c.keyLine || n.Column != c.valCol || n.Value != c.val {
			t.Errorf("Lookup(%q) = %v, %v", c.ptr, k, n)
		}
	}
	for _, ptr := range []string{"/events/3", "/nope", "/milestone/x", "/events/x"} {
		if k, n := d.Lookup(ptr); k != nil || n != nil {
			t.Errorf("Lookup(%q) = %v, %v; want nil, nil", ptr, k, n)
		}
	}
}

// TestLookupLargeMapping checks lookups in a mapping large enough to be
// indexed, against the same lookups in a small one, and duplicate keys in
// both.
func TestLookupLargeMapping(t *testing.T) {
	for _, n := range []int{3, 40} {
		t.Run(fmt.Sprintf("%d properties", n), func(t *testing.T) {
			d, diags := load.Parse("events/a.yml", manyProperties(n))
			if len(diags) != 0 {
				t.Fatal(diags)
			}
			last := n - 1
			k, v := d.Lookup(fmt.Sprintf("/additional_properties/p%d/description", last))
			if k == nil || v == nil || k.Line != 5+2*last || k.Column != 5 || v.Value != "x" {
				t.Errorf("Lookup(p%d) = %v, %v", last, k, v)
			}
			if k, v := d.Lookup(fmt.Sprintf("/additional_properties/p%d", n)); k != nil || v != nil {
				t.Errorf("Lookup(p%d) = %v, %v; want nil, nil", n, k, v)
			}
			dup := string(manyProperties(n)) + "  p1:\n    description: y\n"
			_, diags = load.Parse("events/a.yml", []byte(dup))
			want := fmt.Sprintf("events/a.yml:%d:3: duplicate key \"p1\" (first at line 6)", 4+2*n)
			if len(diags) != 1 || diags[0].String() != want {
				t.Errorf("duplicate: got %v, want %s", diags, want)
			}
		})
	}
}

func TestLookupThroughAliases(t *testing.T) {
	src := "action: a\nname: &n tiers\nlist: &l [x, y]\n*n : [free]\nalias: *l\n\"\": empty\n"
	d, diags := load.Parse("events/a.yml", []byte(src))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	for _, c := range []struct {
		ptr             string
		keyLine, keyCol int
		valLine, valCol int
	}{
		{"/tiers", 4, 1, 4, 6},    // an alias as a key stands for its anchor's value
		{"/tiers/0", 0, 0, 4, 7},  // a list item has no key
		{"/alias/1", 0, 0, 3, 14}, // into the list the alias stands for
		{"/alias", 5, 1, 3, 7},    // the value is the anchored list, not the alias
		{"/", 6, 1, 6, 5},         // the empty key
		{"", 0, 0, 1, 1},          // the root
	} {
		k, v := d.Lookup(c.ptr)
		kl, kc := 0, 0
		if k != nil {
			kl, kc = k.Line, k.Column
		}
		if v == nil || kl != c.keyLine || kc != c.keyCol || v.Line != c.valLine || v.Column != c.valCol {
			t.Errorf("Lookup(%q): key at %d:%d, value %v; want key at %d:%d, value at %d:%d", c.ptr, kl, kc, v, c.keyLine, c.keyCol, c.valLine, c.valCol)
		}
	}
	if k, v := d.Lookup("/n"); k != nil || v != nil {
		t.Errorf("Lookup(/n) found the alias by its anchor's name: %v, %v", k, v)
	}
}

func TestAliasesWithinLimit(t *testing.T) {
	src := "action: a\ntiers: &t [free, premium]\ndistributions: *t\n"
	d, diags := load.Parse("events/a.yml", []byte(src))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	if got := d.Value["distributions"].([]any); len(got) != 2 || got[1] != "premium" {
		t.Errorf("alias not expanded: %v", got)
	}
}

func TestTabsInsideValuesAreFine(t *testing.T) {
	src := "action: a\ndescription: |\n  line one\n  \tindented with a tab inside the text\n"
	if _, diags := load.Parse("events/a.yml", []byte(src)); len(diags) != 0 {
		t.Errorf("unexpected %v", diags)
	}
	if !bytes.Contains([]byte(src), []byte("\t")) {
		t.Fatal("test input lost its tab")
	}
}
