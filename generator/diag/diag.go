// Package diag holds the positioned problems the generator reports about
// definition files, in the path:line:col: message form that editors and CI
// systems understand.
package diag

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Diagnostic is one problem found in one definition file.
type Diagnostic struct {
	// Path is the file, relative to the directory the tool was run in.
	Path string `json:"path"`
	// Line and Col are 1-based; 0 means the problem concerns the whole file.
	Line int `json:"line"`
	Col  int `json:"column"`
	// Message says what is wrong and what is allowed.
	Message string `json:"message"`
	// Rule names the check that failed ("schema", "yaml", "unknown-event", ...),
	// so machine-readable reports can group findings.
	Rule string `json:"rule,omitempty"`
	// Severity is SeverityError unless a rule says the finding is only worth a
	// look; the zero value keeps every problem an error.
	Severity Severity `json:"severity,omitempty"`
}

// String formats d as path:line:col: message, and a warning as
// path:line:col: warning: message, as compilers print theirs.
func (d Diagnostic) String() string {
	msg := d.Message
	if d.Severity == SeverityWarning {
		msg = "warning: " + msg
	}
	switch {
	case d.Line > 0 && d.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", d.Path, d.Line, d.Col, msg)
	case d.Line > 0:
		return fmt.Sprintf("%s:%d: %s", d.Path, d.Line, msg)
	default:
		return fmt.Sprintf("%s: %s", d.Path, msg)
	}
}

// List is every problem of one run. Its zero value is an empty list.
type List []Diagnostic

// Add appends a diagnostic.
func (l *List) Add(path string, line, col int, rule, format string, args ...any) {
	*l = append(*l, Diagnostic{Path: path, Line: line, Col: col, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// Sort orders the list by path, line, column and message, and drops exact
// duplicates, so output is stable whatever order checks ran in.
func (l List) Sort() List {
	slices.SortFunc(l, Compare)
	return slices.Compact(l)
}

// Compare orders diagnostics by path, line, column, then message.
func Compare(a, b Diagnostic) int {
	return cmp.Or(
		cmp.Compare(a.Path, b.Path),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Col, b.Col),
		cmp.Compare(a.Message, b.Message),
		cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.Severity, b.Severity),
	)
}

// Err returns nil when the list holds no error (warnings alone do not fail
// a run) and an *Error holding the sorted errors otherwise.
func (l List) Err() error {
	errs := l.Errors()
	if len(errs) == 0 {
		return nil
	}
	return &Error{List: errs.Sort()}
}

// Errors returns the diagnostics of severity SeverityError, in order.
func (l List) Errors() List { return l.filter(SeverityError) }

// Warnings returns the diagnostics of severity SeverityWarning, in order.
func (l List) Warnings() List { return l.filter(SeverityWarning) }

func (l List) filter(s Severity) List {
	var out List
	for _, d := range l {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Error is a non-empty list of diagnostics used as an error value.
type Error struct {
	List List
}

// Error prints one diagnostic per line.
func (e *Error) Error() string {
	var b strings.Builder
	for i, d := range e.List {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

// From extracts the diagnostics carried by err, if it (or an error it wraps)
// is an *Error.
func From(err error) (List, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.List, true
	}
	return nil, false
}

// Recover, deferred, turns a panic into one diagnostic for the file at
// path, added to list, so that a defect met on one pathological file is
// reported for it and the run goes on. doing says what was under way
// ("reading this file"); the panic's value, not its stack, is shown, so
// no path of the tool's build ends up in a report.
func Recover(list *List, path, doing string) {
	if r := recover(); r != nil {
		*list = append(*list, Diagnostic{Path: path, Rule: "internal",
			Message: fmt.Sprintf("internal error while %s (please report it): %v", doing, r)})
	}
}
