package load

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// restartBases are files of the shapes definitions take, each large enough
// for the search to restart: block and flow mappings, lists of mappings,
// strings over several lines in every style, anchors, comments, a
// document marker and a directive before the root, nested lists.
func restartBases() map[string]string {
	repeat := func(head string, n int, entry func(i int) string) string {
		var b strings.Builder
		b.WriteString(head)
		for i := range n {
			b.WriteString(entry(i))
		}
		return b.String()
	}
	return map[string]string{
		"properties": repeat("action: x\nadditional_properties:\n", 1000, func(i int) string {
			return fmt.Sprintf("  p%d:\n    description: x # note\n\n", i)
		}),
		"flow": repeat("# comment\naction: x\nadditional_properties:\n", 800, func(i int) string {
			return fmt.Sprintf("  p%d: {description: 'x, y', type: string}\n", i)
		}),
		"filters": repeat("---\nkey_path: a\nevents:\n", 700, func(i int) string {
			return fmt.Sprintf("- name: e%d\n  filter:\n    label: l\n    property: [a, b]\n", i)
		}),
		"strings": repeat("%YAML 1.1\n---\naction: x\nlist:\n", 500, func(i int) string {
			return fmt.Sprintf("- a: \"two\n    lines\"\n  b: |\n    block: %d\n  c: plain\n    continued\n- 'single'\n", i)
		}),
		"anchors": repeat("base: &b {x: 1}\nitems:\n", 1400, func(i int) string {
			return fmt.Sprintf("  i%d: *b\n  j%d: &a%d v\n", i, i, i)
		}),
		"nested": repeat("top:\n  list:\n", 1400, func(i int) string {
			return fmt.Sprintf("  - - a%d\n    - b\n  -\n    k: v\n", i)
		}),
	}
}

// mutate makes one to three random edits to data, most near its end:
// characters YAML gives a meaning to inserted, bytes deleted, a line
// repeated at another indentation.
func mutate(r *rand.Rand, data string) string {
	tokens := []string{":", ": ", "- ", "[", "]", "{", "}", "\"", "'", "#", " #", "&a ", "*a", "*zz", "!", "!!str ", "|", ">",
		"\n", "\r", "\r\n", "\t", " ", "  ", "? ", "---\n", "...\n", "%", "@", ",", "\\", "x", "\u2028"}
	for range 1 + r.IntN(3) {
		at := len(data) - 1 - r.IntN(len(data)/4+1)
		if r.IntN(4) == 0 {
			at = r.IntN(len(data))
		}
		for at > 0 && !utf8.RuneStart(data[at]) {
			at--
		}
		switch r.IntN(3) {
		case 0:
			data = data[:at] + tokens[r.IntN(len(tokens))] + data[at:]
		case 1:
			end := min(at+1+r.IntN(5), len(data))
			for end < len(data) && !utf8.RuneStart(data[end]) {
				end++
			}
			data = data[:at] + data[end:]
		case 2:
			start := strings.LastIndexByte(data[:at], '\n') + 1
			end := strings.IndexByte(data[at:], '\n')
			if end < 0 {
				continue
			}
			line := strings.TrimLeft(data[start:at+end+1], " ")
			data = data[:at+end+1] + strings.Repeat(" ", r.IntN(6)) + line + data[at+end+1:]
		}
	}
	return data
}

// TestRestartsFindWhatWholeFileSearchFinds checks that searching prefixes
// through restarts places every syntax error where searching prefixes of
// the whole file places it, in randomly broken large files.
// USAGEKIT_RESTART_CASES sets the number of files per shape and line end
// (4, or 1 with -short).
func TestRestartsFindWhatWholeFileSearchFinds(t *testing.T) {
	cases := 4
	if testing.Short() {
		cases = 1
	}
	if n, err := strconv.Atoi(os.Getenv("USAGEKIT_RESTART_CASES")); err == nil {
		cases = n
	}
	r := rand.New(rand.NewPCG(17, 11))
	restarted, compared := 0, 0
	for name, base := range restartBases() {
		if err := yaml.Unmarshal([]byte(base), new(yaml.Node)); err != nil {
			t.Fatalf("%s: the base does not parse: %v", name, err)
		}
		for _, nl := range []string{"\n", "\r"} {
			for i := 0; i < cases; {
				data := []byte(mutate(r, strings.ReplaceAll(base, "\n", nl)))
				err := yaml.Unmarshal(data, new(yaml.Node))
				if err == nil || !utf8.Valid(data) {
					continue
				}
				i++
				fast, s := placeSyntaxError("f.yml", data, err, true)
				slow, _ := placeSyntaxError("f.yml", data, err, false)
				compared++
				if s != nil && len(s.restarts) > 1 {
					restarted++
				}
				if fast != slow {
					os.WriteFile(t.TempDir()+"/case.yml", data, 0o644)
					t.Errorf("%s %q case %d:\nwith restarts: %s\nwhole file:    %s", name, nl, i, fast, slow)
				}
			}
		}
	}
	// Most errors are near the end, where restarts pay; a test that never
	// restarted would compare nothing.
	if restarted < compared/3 {
		t.Errorf("restarted in %d of %d searches; want at least a third", restarted, compared)
	}
	t.Logf("restarted in %d of %d searches", restarted, compared)
}

// TestSearchCost checks that placing a syntax error near the end of a
// large file parses about as much as two or three copies of the file (the
// whole file once, to learn how it fails, then prefixes through restarts),
// not the twenty of a bisection that parses every prefix from the start.
func TestSearchCost(t *testing.T) {
	var b strings.Builder
	b.WriteString("action: x\nadditional_properties:\n")
	for i := 0; b.Len() < 256<<10; i++ {
		fmt.Fprintf(&b, "  p%d:\n    description: x\n", i)
	}
	for _, tail := range []string{"   value:\n", "list:\n  - a\n  key: b\n", "  last:\n    description: \"unclosed\n", "  p: {a: b\n", "x: y: z\n"} {
		data := []byte(b.String() + tail)
		err := yaml.Unmarshal(data, new(yaml.Node))
		if err == nil {
			t.Fatalf("%q parses", tail)
		}
		_, s := placeSyntaxError("f.yml", data, err, true)
		if parses := float64(s.parsed) / float64(len(data)); parses > 4 {
			t.Errorf("%q: the search parsed %.1f times the file; want at most 4", tail, parses)
		}
	}
}
