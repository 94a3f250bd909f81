package load_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator/internal/load"
	"github.com/usagekit/usagekit/generator/internal/productgroups"
	"github.com/usagekit/usagekit/generator/internal/validate"
)

// FuzzLoad feeds arbitrary bytes through decoding and validation, as an event
// and as a metric. Neither may panic, a file either yields a document or
// at least one diagnostic, and a YAML syntax error is one diagnostic at a
// line and column inside the file.
func FuzzLoad(f *testing.F) {
	for _, root := range []string{"testdata", "../../../definitions", "../validate/testdata"} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
				if data, err := os.ReadFile(p); err == nil {
					f.Add(data)
				}
			}
			return nil
		})
	}
	addCorpusSeeds(f)
	f.Add([]byte(validEvent))
	f.Add([]byte("key_path: counts.a\ntime_frame: [7d, 28d]\nevents:\n  - name: a\n    unique: user.id\n    filter: {label: x, value: 1.5}\n"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\n"))
	gitlab, err := productgroups.GitLab()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range []string{"events/fuzz.yml", "metrics/fuzz.yml"} {
			doc, diags := load.Parse(p, data)
			if doc == nil && len(diags) == 0 {
				t.Fatalf("%s: no document and no diagnostic", p)
			}
			if doc != nil {
				validate.Link([]validate.Part{validate.CheckDocumentWith(doc, gitlab)})
			}
			var n yaml.Node
			if utf8.Valid(data) && yaml.Unmarshal(data, &n) != nil {
				if len(diags) != 1 {
					t.Fatalf("%s: syntax error reported as %d diagnostics: %v", p, len(diags), diags)
				}
				if !inside(data, diags[0].Line, diags[0].Col) {
					t.Fatalf("%s: syntax error at %d:%d, outside the file: %v", p, diags[0].Line, diags[0].Col, diags[0])
				}
			}
		}
	})
}

// inside reports whether line:col is a character of data, or the position
// just past the end of a line or of the file. Lines end where go-yaml ends
// them: at "\r\n", "\r", "\n", NEL, LS and PS.
func inside(data []byte, line, col int) bool {
	lines := yamlLineBreak.Split(string(data), -1)
	if line < 1 || col < 1 || line > len(lines) {
		return false
	}
	return col <= utf8.RuneCountInString(lines[line-1])+1
}

var yamlLineBreak = regexp.MustCompile(`\r\n|[\r\n\x{85}\x{2028}\x{2029}]`)
