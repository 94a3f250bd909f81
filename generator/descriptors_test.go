package generator_test

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/emit"
	"github.com/usagekit/usagekit/generator/model"
	rtevent "github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

// dumped is what the dump program reads from a generated package: every
// metric and event descriptor it holds.
type dumped struct {
	Metrics []metric.Descriptor
	Events  []rtevent.Descriptor
}

// dumpMain is the program that gob-encodes a generated package's
// descriptors. gob keeps the dynamic types of option values (int64 stays
// int64) and skips the Value function, which is the application's.
const dumpMain = `package main

import (
	"encoding/gob"
	"os"

	gen "IMPORT"
	rtevent "github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

func main() {
	gob.Register(map[string]any{})
	gob.Register([]any{})
	var d struct {
		Metrics []metric.Descriptor
		Events  []rtevent.Descriptor
	}
	for _, m := range gen.Metrics(nil) {
		d.Metrics = append(d.Metrics, *m)
	}
	for _, e := range gen.Events() {
		d.Events = append(d.Events, *e)
	}
	if err := gob.NewEncoder(os.Stdout).Encode(d); err != nil {
		panic(err)
	}
}
`

// fromYAML is what the same definitions give through the model, encoded
// and decoded the way the dump is, so that both sides go through gob.
func fromYAML(t *testing.T, set *model.Set) dumped {
	t.Helper()
	var d dumped
	for _, m := range set.Descriptors() {
		d.Metrics = append(d.Metrics, *m)
	}
	for _, e := range set.Events {
		if e.Status == metric.Removed || !e.InternalEvents {
			continue
		}
		d.Events = append(d.Events, e.Descriptor())
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(d); err != nil {
		t.Fatal(err)
	}
	var out dumped
	if err := gob.NewDecoder(&buf).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func init() {
	gob.Register(map[string]any{})
	gob.Register([]any{})
}

// dumpGenerated builds and runs the dump program against the package at
// pkg (an import path), with overlay mapping files into the build.
func dumpGenerated(t *testing.T, pkg string, overlay map[string]string) dumped {
	t.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	root := moduleRoot(t)
	tmp := t.TempDir()
	mainSrc := filepath.Join(tmp, "main.go")
	if err := os.WriteFile(mainSrc, []byte(strings.Replace(dumpMain, "IMPORT", pkg, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	mainDir := filepath.Join(root, "generator", "testdata", "descriptordump")
	if overlay == nil {
		overlay = map[string]string{}
	}
	overlay[filepath.Join(mainDir, "main.go")] = mainSrc
	data, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		t.Fatal(err)
	}
	ovl := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovl, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gotool, "run", "-overlay", ovl, "./generator/testdata/descriptordump")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running the descriptor dump of %s: %v\n%s", pkg, err, stderr.Bytes())
	}
	var d dumped
	if err := gob.NewDecoder(bytes.NewReader(out)).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// compareDumps reports every descriptor that differs between the
// generated code and the model.
func compareDumps(t *testing.T, gen, yaml dumped) {
	t.Helper()
	if len(gen.Metrics) != len(yaml.Metrics) || len(gen.Events) != len(yaml.Events) {
		t.Fatalf("generated code holds %d metrics and %d events, the YAML %d and %d",
			len(gen.Metrics), len(gen.Events), len(yaml.Metrics), len(yaml.Events))
	}
	for i := range gen.Metrics {
		if !reflect.DeepEqual(gen.Metrics[i], yaml.Metrics[i]) {
			t.Errorf("metric %s differs:\ngenerated %#v\nYAML      %#v", yaml.Metrics[i].KeyPath, gen.Metrics[i], yaml.Metrics[i])
		}
	}
	for i := range gen.Events {
		if !reflect.DeepEqual(gen.Events[i], yaml.Events[i]) {
			t.Errorf("event %s differs:\ngenerated %#v\nYAML      %#v", yaml.Events[i].Name, gen.Events[i], yaml.Events[i])
		}
	}
}

// TestGeneratedDescriptorsEqualYAML checks that generated/ holds exactly
// the descriptors the model builds from definitions/: the metric
// descriptors usagekit ping computes from YAML are those an application's
// ping computes (application metrics aside, whose Value is the
// application's), and the event updates are those the model derives.
func TestGeneratedDescriptorsEqualYAML(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	set, err := generator.Load(filepath.Join(moduleRoot(t), "definitions"))
	if err != nil {
		t.Fatal(err)
	}
	yaml := fromYAML(t, set)
	if len(yaml.Metrics) == 0 || !slices.ContainsFunc(yaml.Metrics, func(d metric.Descriptor) bool { return d.Options != nil }) ||
		!slices.ContainsFunc(yaml.Metrics, func(d metric.Descriptor) bool { return d.Database != nil }) {
		t.Fatal("definitions/ lack metrics with options or a database query: the comparison would prove little")
	}
	compareDumps(t, dumpGenerated(t, "github.com/usagekit/usagekit/generated", nil), yaml)
}

// TestCorpusDescriptorsEqualYAML generates code for every file of the
// GitLab corpus that usagekit accepts, builds it, and compares what it
// holds with the descriptors built from the YAML.
func TestCorpusDescriptorsEqualYAML(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	set, root := acceptedCorpus(t)
	files, err := emit.Emit(set, emit.Options{Package: "gen", Root: root})
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	dir := filepath.Join(moduleRoot(t), "generator", "testdata", "descriptordump", "gen")
	overlay := map[string]string{}
	for _, f := range files {
		p := filepath.Join(tmp, f.Name)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		overlay[filepath.Join(dir, f.Name)] = p
	}
	yaml := fromYAML(t, set)
	t.Logf("%d accepted corpus files: %d metrics, %d events", len(set.Metrics)+len(set.Events), len(yaml.Metrics), len(yaml.Events))
	compareDumps(t, dumpGenerated(t, "github.com/usagekit/usagekit/generator/testdata/descriptordump/gen", overlay), yaml)
}

// acceptedCorpus loads the files of the GitLab corpus that usagekit
// accepts: files with a problem are left out, and so, until none is left,
// are files that depended on them (a metric naming a left-out event).
func acceptedCorpus(t *testing.T) (*model.Set, string) {
	t.Helper()
	corpus := filepath.Join(corpusDir(t), "config")
	res := generator.LoadResult(corpus)
	paths := res.Paths
	for range 10 {
		bad := map[string]bool{}
		for _, d := range res.Diagnostics {
			bad[d.Path] = true
		}
		if len(bad) == 0 {
			return res.Set, corpus
		}
		paths = slices.DeleteFunc(paths, func(p string) bool { return bad[p] })
		if len(paths) == 0 {
			t.Fatal("no corpus file is accepted")
		}
		res = generator.LoadResult(paths...)
	}
	t.Fatalf("accepted corpus files did not settle: %v", res.Diagnostics)
	return nil, ""
}
