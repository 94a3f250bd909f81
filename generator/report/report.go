// Package report writes the outcome of checking definition files in the
// formats people and tools read: text for terminals and editors, JSON for
// scripts, and the formats CI systems show inline in merge requests.
//
// Every format is registered by name, so `usagekit validate --format NAME`
// and Formats stay in step with the formats compiled in.
//
// # text
//
// One problem a line, "path:line:col: message", sorted by path, line and
// column (the form editors and compilers use, so a terminal click or a
// quickfix list jumps to the spot), then one summary line:
//
//	checked 48 files: 16 events, 32 metrics (38 after time-frame expansion), 0 problems
//
// The part in parentheses appears only when time-frame lists expanded some
// metrics into several. Problems are errors; warnings print as
// "path:line:col: warning: message" and the summary counts them apart
// (", 2 warnings"), only when there are some.
//
// # json
//
// One JSON object, indented, whose shape is stable within version 1:
//
//	{
//	  "version": 1,            // of this shape
//	  "files": 48,             // YAML files read
//	  "events": 16,            // event definition files
//	  "metrics": 32,           // metric definition files
//	  "expanded_metrics": 38,  // metrics after time-frame expansion
//	  "problems": 1,           // diagnostics of severity error
//	  "warnings": 1,           // only when there are warnings
//	  "diagnostics": [         // sorted as in text; [] when clean
//	    {"path": "definitions/metrics/x.yml", "line": 3, "column": 13,
//	     "message": "time_frame: \"30d\" is not one of 7d, 28d, all, none",
//	     "rule": "schema"},
//	    {"path": "definitions/events/y.yml", "line": 9, "column": 3,
//	     "message": "…", "rule": "personal-data", "severity": "warning"}
//	  ]
//	}
//
// line and column are 1-based, 0 when a problem concerns the whole file.
// rule names the check ("yaml", "schema", "unknown-event", ...). severity
// appears on warnings only, so a run without warnings reads as it did
// before warnings existed.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
)

// WriterFunc writes a report of r to w.
type WriterFunc func(w io.Writer, r *generator.Result) error

type format struct {
	summary string
	write   WriterFunc
}

var (
	mu      sync.RWMutex
	formats = map[string]format{}
)

// Register makes a format available under name, with a one-line summary for
// help texts. Formats register themselves from init; registering a name
// twice is a programming error and replaces the first.
func Register(name, summary string, write WriterFunc) {
	mu.Lock()
	defer mu.Unlock()
	formats[name] = format{summary: summary, write: write}
}

// Formats returns the registered format names, sorted.
func Formats() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(formats))
	for n := range formats {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Summary returns the one-line description of a format, or "".
func Summary(name string) string {
	mu.RLock()
	defer mu.RUnlock()
	return formats[name].summary
}

// UnknownFormatError is returned by Write for a name no format registered.
type UnknownFormatError struct {
	Name string
}

func (e *UnknownFormatError) Error() string {
	return fmt.Sprintf("report: unknown format %q; known formats: %s", e.Name, strings.Join(Formats(), ", "))
}

// Write writes r to w in the named format.
func Write(w io.Writer, name string, r *generator.Result) error {
	mu.RLock()
	f, ok := formats[name]
	mu.RUnlock()
	if !ok {
		return &UnknownFormatError{Name: name}
	}
	if err := f.write(w, r); err != nil {
		return fmt.Errorf("report: writing %s: %w", name, err)
	}
	return nil
}

func init() {
	Register("text", "path:line:col: message lines, then a summary line", WriteText)
	Register("json", "one JSON object with the counts and every diagnostic", WriteJSON)
}

// WriteText writes the text format: the sorted diagnostics, then Summary.
func WriteText(w io.Writer, r *generator.Result) error {
	var b strings.Builder
	for _, d := range r.Diagnostics.Sort() {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	b.WriteString(SummaryLine(r))
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// SummaryLine is the last line of the text format.
func SummaryLine(r *generator.Result) string {
	metrics := count(r.Metrics, "metric", "metrics")
	if n := expanded(r); n != r.Metrics {
		metrics += fmt.Sprintf(" (%d after time-frame expansion)", n)
	}
	line := fmt.Sprintf("checked %s: %s, %s, %s", count(r.Files, "file", "files"),
		count(r.Events, "event", "events"), metrics, count(len(r.Diagnostics.Errors()), "problem", "problems"))
	if n := len(r.Diagnostics.Warnings()); n > 0 {
		line += ", " + count(n, "warning", "warnings")
	}
	return line
}

func expanded(r *generator.Result) int {
	if r.Set == nil {
		return r.Metrics
	}
	return len(r.Set.Metrics)
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// jsonReport is the json format's shape; see the package documentation.
type jsonReport struct {
	Version         int              `json:"version"`
	Files           int              `json:"files"`
	Events          int              `json:"events"`
	Metrics         int              `json:"metrics"`
	ExpandedMetrics int              `json:"expanded_metrics"`
	Problems        int              `json:"problems"`
	Warnings        int              `json:"warnings,omitempty"`
	Diagnostics     []jsonDiagnostic `json:"diagnostics"`
}

type jsonDiagnostic struct {
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
	Rule    string `json:"rule"`
	// Severity is "warning" or empty: errors keep the shape they had.
	Severity string `json:"severity,omitempty"`
}

// WriteJSON writes the json format.
func WriteJSON(w io.Writer, r *generator.Result) error {
	out := jsonReport{
		Version:         1,
		Files:           r.Files,
		Events:          r.Events,
		Metrics:         r.Metrics,
		ExpandedMetrics: expanded(r),
		Problems:        len(r.Diagnostics.Errors()),
		Warnings:        len(r.Diagnostics.Warnings()),
		Diagnostics:     []jsonDiagnostic{},
	}
	for _, d := range r.Diagnostics.Sort() {
		jd := jsonDiagnostic{Path: d.Path, Line: d.Line, Column: d.Col, Message: d.Message, Rule: d.Rule}
		if d.Severity == diag.SeverityWarning {
			jd.Severity = "warning"
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
