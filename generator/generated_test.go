package generator_test

import (
	"path/filepath"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/emit"
)

// TestGeneratedUpToDate regenerates the package from definitions/ in memory
// and compares it with generated/, so that changing a definition without
// running make generate fails make test.
func TestGeneratedUpToDate(t *testing.T) {
	root := moduleRoot(t)
	defs := filepath.Join(root, "definitions")
	set, err := generator.Load(defs)
	if err != nil {
		t.Fatalf("loading definitions/: %v", err)
	}
	files, err := emit.Emit(set, emit.Options{Package: "generated", Root: defs, RootName: "definitions"})
	if err != nil {
		t.Fatal(err)
	}
	if files, err = emit.WithRecordSchema(set, files); err != nil {
		t.Fatal(err)
	}
	c, err := emit.Diff(filepath.Join(root, "generated"), files)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Empty() {
		t.Errorf("generated/ is out of date with definitions/ (stale: %v, missing: %v, no longer generated: %v); run: make generate",
			c.Stale, c.Missing, c.Extra)
	}
}
