package emit

import (
	"bytes"
	"go/format"
	"strings"
	"testing"

	"github.com/dave/jennifer/jen"
)

// renderDoc renders a function whose doc comment holds desc between two
// paragraphs of ours, as Track functions and calculators have, and formats
// it once, as Emit does.
func renderDoc(t testing.TB, desc string) []byte {
	t.Helper()
	f := jen.NewFile("p")
	f.NoFormat = true
	f.Add(docComment("F records the f event.", userText(desc), "Product group: x.").Func().Id("F").Params().Block())
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		t.Fatalf("rendering %q: %v", desc, err)
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		t.Fatalf("formatting %q: %v\n%s", desc, err, buf.Bytes())
	}
	return src
}

// docOf returns the doc comment lines of the rendered function.
func docOf(src []byte) []string {
	_, after, _ := strings.Cut(string(src), "\n\n// F records")
	doc, _, _ := strings.Cut("// F records"+after, "\nfunc F")
	return strings.Split(doc, "\n")
}

// TestDocCommentGofmtForm: descriptions become the comment gofmt would
// make of them (a list indented, a code block set apart), so formatting
// the file again changes nothing, and a description is never a heading.
// The first rows are real GitLab descriptions.
func TestDocCommentGofmtForm(t *testing.T) {
	for _, tc := range []struct {
		name, desc string
		want       []string // the description's lines in the comment
	}{
		{"no final period", "Configuration page rendered", []string{"// Configuration page rendered."}},
		{"no final period, several words", "Render event to understand if users view this page more on average",
			[]string{"// Render event to understand if users view this page more on average."}},
		{"a path is not a heading", "Unique visitors to /admin/dev_ops_report by month", []string{"// Unique visitors to /admin/dev_ops_report by month"}},
		{"final period", "Tracks creation of merge requests.", []string{"// Tracks creation of merge requests."}},
		{"ends in a parenthesis", "Count of pipelines (all sources)", []string{"// Count of pipelines (all sources)"}},
		{"markdown heading", "# Pipelines", []string{"// Pipelines."}},
		{"dashes at the margin are text", "Counts one of:\n- a push\n- a merge", []string{"// Counts one of:", "// - a push", "// - a merge"}},
		{"indented list", "Counts one of:\n- a push\n * a merge", []string{"// Counts one of:", "// - a push", "//   - a merge"}},
		{"numbered list", "Steps:\n 1. open\n 2) close", []string{"// Steps:", "//  1. open", "//  2. close"}},
		{"indented code", "Call it so:\n  track(ctx)", []string{"// Call it so:", "//", "//\ttrack(ctx)"}},
		{"tab-indented line", "One.\n\tTwo.\nThree.", []string{"// One.", "//", "//\tTwo.", "//", "// Three."}},
		{"two paragraphs, the first short", "Short\n\nLonger text follows here.", []string{"// Short.", "//", "// Longer text follows here."}},
		{"comment markers", "Ends */ and opens /* here\n// not a second comment", []string{"// Ends */ and opens /* here", "// // not a second comment"}},
		{"deprecation is text", "Deprecated: no", []string{"// Deprecated - no."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := renderDoc(t, tc.desc)
			again, err := format.Source(src)
			if err != nil || !bytes.Equal(again, src) {
				t.Errorf("formatting again changes the file (%v):\n%s\n---\n%s", err, src, again)
			}
			want := append(append([]string{"// F records the f event.", "//"}, tc.want...), "//", "// Product group: x.")
			if got := docOf(src); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("doc comment:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// FuzzDocComment: whatever a description holds, the generated file is
// valid Go and formatting it again changes nothing.
func FuzzDocComment(f *testing.F) {
	for _, s := range []string{
		"Configuration page rendered", "a\n\n- b\n\n  c", "# H\n\nx", "1) one\n2) two", "\t\tcode\n\ntext",
		"[link]: https://example.com", "x */ y", "\r\n\u2028z", "- \n-", "Text\n  indented\nback",
		"One.\n\nTwo\n\nThree.", "See https://example.com/a_b.", "Plain text.\nOn two lines.\n\nAnd more",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, desc string) {
		src := renderDoc(t, desc)
		if again, err := format.Source(src); err != nil || !bytes.Equal(again, src) {
			t.Errorf("description %q: formatting again changes the file (%v):\n%s\n---\n%s", desc, err, src, again)
		}
		// The shortcut for plain text skips only what would not change.
		text := strings.Join(commentLines(desc), "\n") + "\n"
		if plainText(text) && reformat(text) != text {
			t.Errorf("description %q is taken for plain text, but gofmt prints it as %q", desc, reformat(text))
		}
	})
}
