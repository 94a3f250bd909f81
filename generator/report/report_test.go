package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/internal/golden"
)

// sampleResult is a run over four files with two problems; one metric file
// expanded into two metrics.
func sampleResult() *generator.Result {
	return &generator.Result{
		Files:   4,
		Paths:   []string{"definitions/events/a.yml", "definitions/events/b.yml", "definitions/metrics/m.yml", "definitions/metrics/n.yml"},
		Events:  2,
		Metrics: 2,
		Set:     &model.Set{Metrics: []*model.Metric{{KeyPath: "counts.m_weekly"}, {KeyPath: "counts.m_monthly"}, {KeyPath: "counts.n"}}},
		Diagnostics: diag.List{
			{Path: "definitions/metrics/m.yml", Line: 11, Col: 13, Rule: "schema", Message: `time_frame: "30d" is not one of 7d, 28d, all, none`},
			{Path: "definitions/events/b.yml", Line: 0, Col: 0, Rule: "yaml", Message: "file is empty; expected a mapping with an action (event) or a key_path (metric)"},
		}.Sort(),
	}
}

func TestTextAndJSONGolden(t *testing.T) {
	for _, f := range []string{"text", "json"} {
		var b bytes.Buffer
		if err := Write(&b, f, sampleResult()); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", "sample."+f+".golden"), b.Bytes())
	}
}

func TestSummaryLine(t *testing.T) {
	tests := []struct {
		r    *generator.Result
		want string
	}{
		{sampleResult(), "checked 4 files: 2 events, 2 metrics (3 after time-frame expansion), 2 problems"},
		{&generator.Result{Files: 1, Events: 1, Set: &model.Set{}}, "checked 1 file: 1 event, 0 metrics, 0 problems"},
		{&generator.Result{Files: 2, Metrics: 1, Set: &model.Set{Metrics: []*model.Metric{{}}},
			Diagnostics: diag.List{{Path: "x.yml", Message: "m"}}}, "checked 2 files: 0 events, 1 metric, 1 problem"},
		{&generator.Result{}, "checked 0 files: 0 events, 0 metrics, 0 problems"},
	}
	for _, tt := range tests {
		if got := SummaryLine(tt.r); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}

// TestJSONShape decodes the json format strictly into its documented shape
// and checks a clean run gives an empty list, not null.
func TestJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, &generator.Result{Files: 3, Events: 1, Metrics: 2, Set: &model.Set{Metrics: []*model.Metric{{}, {}}}}); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"diagnostics", "events", "expanded_metrics", "files", "metrics", "problems", "version"}; !slices.Equal(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	if d, ok := raw["diagnostics"].([]any); !ok || len(d) != 0 {
		t.Errorf("diagnostics = %#v, want []", raw["diagnostics"])
	}
	var r jsonReport
	dec := json.NewDecoder(bytes.NewReader(sampleJSON(t)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	if r.Problems != 2 || len(r.Diagnostics) != 2 || r.Diagnostics[0].Path != "definitions/events/b.yml" || r.Diagnostics[1].Column != 13 {
		t.Errorf("decoded %+v", r)
	}
}

func sampleJSON(t *testing.T) []byte {
	var b bytes.Buffer
	if err := WriteJSON(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestUnknownFormat(t *testing.T) {
	err := Write(&bytes.Buffer{}, "yaml", sampleResult())
	var u *UnknownFormatError
	if !errors.As(err, &u) || u.Name != "yaml" {
		t.Fatalf("err = %v", err)
	}
	if !slices.Contains(Formats(), "text") || !slices.Contains(Formats(), "json") {
		t.Errorf("Formats() = %v", Formats())
	}
}

func TestRegister(t *testing.T) {
	Register("test-only", "counts files", func(w io.Writer, r *generator.Result) error {
		_, err := fmt.Fprintf(w, "%d\n", r.Files)
		return err
	})
	defer func() {
		mu.Lock()
		delete(formats, "test-only")
		mu.Unlock()
	}()
	var b bytes.Buffer
	if err := Write(&b, "test-only", sampleResult()); err != nil || b.String() != "4\n" {
		t.Errorf("Write = %q, %v", b.String(), err)
	}
	if Summary("test-only") != "counts files" {
		t.Error("summary lost")
	}
	failing := errors.New("disk full")
	Register("test-only", "fails", func(io.Writer, *generator.Result) error { return failing })
	if err := Write(&b, "test-only", sampleResult()); !errors.Is(err, failing) {
		t.Errorf("error not wrapped: %v", err)
	}
}
