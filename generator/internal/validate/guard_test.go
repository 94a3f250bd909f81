package validate

import (
	"testing"

	"github.com/usagekit/usagekit/generator/internal/load"
	"github.com/usagekit/usagekit/generator/internal/productgroups"
	"github.com/usagekit/usagekit/generator/model"
)

// TestPanicsBecomeDiagnostics checks the last line of defence: a defect
// that panics while checking one definition is reported for that file and
// the run goes on.
func TestPanicsBecomeDiagnostics(t *testing.T) {
	c := &checker{}
	ran := false
	c.guard(model.Pos{File: "metrics/a.yml", Line: 3}, func() { panic("boom") })
	c.guard(model.Pos{File: "metrics/b.yml"}, func() { ran = true })
	if !ran || len(c.diags) != 1 {
		t.Fatalf("ran=%v diags=%v", ran, c.diags)
	}
	if got, want := c.diags[0].String(), "metrics/a.yml: internal error while checking this definition (please report it): boom"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	// A document whose tree does not match its decoded value (which Parse
	// never produces) makes building panic; that too is a diagnostic.
	d := &load.Document{Path: "metrics/c.yml", Kind: load.Metric, Value: map[string]any{"key_path": "x"}}
	gitlab, err := productgroups.GitLab()
	if err != nil {
		t.Fatal(err)
	}
	p := CheckDocumentWith(d, gitlab)
	found := false
	for _, diag := range p.Diagnostics {
		if diag.Path == "metrics/c.yml" && diag.Rule == "internal" {
			found = true
		}
	}
	if !found {
		t.Errorf("no internal diagnostic: %v", p.Diagnostics)
	}
}
