package generator_test

import (
	"bytes"
	"os"
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
	opts := emit.Options{Package: "generated", Root: defs, RootName: "definitions"}
	files, err := emit.Emit(set, opts)
	if err != nil {
		t.Fatal(err)
	}
	if files, err = emit.WithRecordSchema(set, files); err != nil {
		t.Fatal(err)
	}
	ts, err := emit.TypeScript(set, opts)
	if err != nil {
		t.Fatal(err)
	}
	if old, err := os.ReadFile(filepath.Join(root, "generated", "usage.ts")); err != nil || !bytes.Equal(old, ts) {
		t.Errorf("generated/usage.ts is out of date with definitions/ (%v); run: make generate", err)
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
