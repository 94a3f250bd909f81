package load_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator/load"
	"github.com/usagekit/usagekit/generator/validate"
)

// FuzzLoad feeds arbitrary bytes through decoding and validation, as an event
// and as a metric. Neither may panic, and a file either yields a document or
// at least one diagnostic.
func FuzzLoad(f *testing.F) {
	for _, root := range []string{"testdata", "../../definitions", "../validate/testdata"} {
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
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range []string{"events/fuzz.yml", "metrics/fuzz.yml"} {
			doc, diags := load.Parse(p, data)
			if doc == nil && len(diags) == 0 {
				t.Fatalf("%s: no document and no diagnostic", p)
			}
			if doc != nil {
				validate.Validate([]*load.Document{doc})
			}
		}
	})
}
