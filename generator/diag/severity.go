package diag

import "fmt"

// Severity says whether a finding fails a run. The zero value is
// SeverityError, so code written before warnings existed keeps failing on
// every problem it reports.
type Severity int

const (
	// SeverityError fails the run: validate and diff exit 1, Load returns
	// an error.
	SeverityError Severity = iota
	// SeverityWarning is shown but does not fail the run, unless the user
	// asks for it with --fail-on warning.
	SeverityWarning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// MarshalText writes the severity's name, so JSON reports say "warning"
// rather than a number.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "error" or "warning".
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = SeverityError
	case "warning":
		*s = SeverityWarning
	default:
		return fmt.Errorf("diag: unknown severity %q; want error or warning", b)
	}
	return nil
}

// FailOn is the least severity that fails a run: the value of the
// commands' --fail-on flag. The zero value fails on errors only.
type FailOn int

const (
	// FailOnError fails on errors only (the default).
	FailOnError FailOn = iota
	// FailOnWarning fails on errors and warnings.
	FailOnWarning
	// FailOnNever reports findings and never fails for them.
	FailOnNever
)

var failOnNames = [...]string{FailOnError: "error", FailOnWarning: "warning", FailOnNever: "never"}

// String returns the flag value naming f.
func (f FailOn) String() string {
	if f < 0 || int(f) >= len(failOnNames) {
		return fmt.Sprintf("FailOn(%d)", int(f))
	}
	return failOnNames[f]
}

// Set parses a --fail-on value, so a FailOn is a flag.Value.
func (f *FailOn) Set(s string) error {
	for i, n := range failOnNames {
		if n == s {
			*f = FailOn(i)
			return nil
		}
	}
	return fmt.Errorf("unknown value %q; want error, warning or never", s)
}

// Fails reports whether l holds a finding that fails a run under f.
func (l List) Fails(f FailOn) bool {
	for _, d := range l {
		switch {
		case f == FailOnNever:
			return false
		case d.Severity == SeverityError, f == FailOnWarning:
			return true
		}
	}
	return false
}
