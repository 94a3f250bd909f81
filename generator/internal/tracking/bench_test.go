package tracking

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/emit"
)

// The benchmark's application: benchPackages packages tracking benchEvents
// events between them, each package importing the one before it, and a
// metric per ten events.
const (
	benchPackages = 200
	benchEvents   = 3700
)

// BenchmarkStatus measures what usagekit status does on a large
// application, warm (the build cache holds the generated package's export
// data, as it does on a developer's machine and in CI with a cached
// GOCACHE): load and validate the definitions, list the packages, load the
// application's from source and the generated one from export data, and
// judge. The module lives in a fixed directory under the temporary
// directory, rewritten only when its content changes, so the build cache
// stays valid from one run to the next; the first, cold, load is done
// before the clock starts.
func BenchmarkStatus(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("go not installed")
	}
	dir := filepath.Join(os.TempDir(), "usagekit-status-bench")
	if err := writeBenchModule(dir); err != nil {
		b.Fatal(err)
	}
	b.Chdir(dir)
	// As usagekit status does: the definitions load while the packages do.
	scan := func() *Report {
		done := make(chan *Uses, 1)
		go func() {
			u, err := Collect(Options{})
			if err != nil {
				b.Error(err)
			}
			done <- u
		}()
		set, err := generator.Load("definitions")
		u := <-done
		if err != nil || u == nil {
			b.Fatal(err)
		}
		return u.Judge(set)
	}
	r := scan() // cold: compiles the generated package once
	if r.Packages != benchPackages || r.Tracked != benchEvents || len(r.Findings) != 0 {
		b.Fatalf("scanned %d packages, %d of %d events tracked, findings %v", r.Packages, r.Tracked, r.Events, r.Findings)
	}
	b.ResetTimer()
	for b.Loop() {
		scan()
	}
}

// writeBenchModule writes the benchmark's module into dir, leaving files
// whose content is already right untouched.
func writeBenchModule(dir string) error {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		return err
	}
	// The test module needs what the benchmark's does: its go.sum fits.
	sum, err := os.ReadFile(filepath.Join("testdata", "shop", "go.sum"))
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"go.mod":                         fmt.Appendf(nil, "module example.com/big\n\ngo 1.26.0\n\nrequire github.com/usagekit/usagekit v0.0.0\n\nreplace github.com/usagekit/usagekit => %s\n", root),
		"go.sum":                         sum,
		"definitions/product_groups.yml": []byte("- big\n"),
		"internal/usage/doc.go":          []byte("// Package usage is generated from the definitions.\npackage usage\n"),
	}
	for i := range benchEvents {
		files[fmt.Sprintf("definitions/events/event_%04d.yml", i)] = fmt.Appendf(nil, `action: event_%04d
description: Event number %d happened.
internal_events: true
identifiers: [user, project]
product_group: big
product_categories: [big]
milestone: "1.0"
introduced_by_url: https://example.com/big/-/merge_requests/1
tiers: [free]
`, i, i)
	}
	for m := range benchEvents / 10 {
		var rules strings.Builder
		for i := m * 10; i < m*10+10; i++ {
			fmt.Fprintf(&rules, "- name: event_%04d\n  unique: user.id\n", i)
		}
		files[fmt.Sprintf("definitions/metrics/metric_%03d.yml", m)] = fmt.Appendf(nil, `key_path: counts.users_of_group_%03d
description: Users of events %d to %d.
product_group: big
product_categories: [big]
value_type: number
status: active
milestone: "1.0"
introduced_by_url: https://example.com/big/-/merge_requests/1
tiers: [free]
data_category: operational
time_frame: 28d
data_source: internal_events
events:
%s`, m, m*10, m*10+9, rules.String())
	}
	for p := range benchPackages {
		var b strings.Builder
		fmt.Fprintf(&b, "// Package p%03d tracks its share of the events.\npackage p%03d\n\nimport (\n\t\"context\"\n\n\t\"github.com/usagekit/usagekit/runtime/event\"\n\n\t\"example.com/big/internal/usage\"\n", p, p)
		if p > 0 {
			fmt.Fprintf(&b, "\t\"example.com/big/p%03d\"\n", p-1)
		}
		b.WriteString(")\n\n// Run tracks every event of the package for one user in one project.\nfunc Run(ctx context.Context, user, project int64) {\n")
		if p > 0 {
			fmt.Fprintf(&b, "\tp%03d.Run(ctx, user, project)\n", p-1)
		}
		for i := p; i < benchEvents; i += benchPackages {
			fmt.Fprintf(&b, "\tusage.Track%s(ctx, event.UserID(user), event.ProjectID(project))\n", emit.GoName(fmt.Sprintf("event_%04d", i)))
		}
		b.WriteString("}\n")
		files[fmt.Sprintf("p%03d/p.go", p)] = []byte(b.String())
	}
	for name, data := range files {
		if err := writeIfChanged(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	// The generated package, from the definitions just written.
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(dir); err != nil {
		return err
	}
	set, err := generator.Load("definitions")
	if err != nil {
		return err
	}
	gen, err := emit.Emit(set, emit.Options{Package: "usage", Root: "definitions"})
	if err != nil {
		return err
	}
	for _, f := range gen {
		if err := writeIfChanged(filepath.Join(dir, "internal", "usage", f.Name), f.Data); err != nil {
			return err
		}
	}
	return nil
}

func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
