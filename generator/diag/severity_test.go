package diag

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestWarningString(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Path: "a.yml", Line: 3, Col: 5, Message: "m"}, "a.yml:3:5: m"},
		{Diagnostic{Path: "a.yml", Line: 3, Col: 5, Message: "m", Severity: SeverityWarning}, "a.yml:3:5: warning: m"},
		{Diagnostic{Path: "a.yml", Line: 3, Message: "m", Severity: SeverityWarning}, "a.yml:3: warning: m"},
		{Diagnostic{Path: "a.yml", Message: "m", Severity: SeverityWarning}, "a.yml: warning: m"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestErrCountsErrorsOnly(t *testing.T) {
	w := Diagnostic{Path: "b.yml", Line: 1, Col: 1, Message: "w", Severity: SeverityWarning}
	e := Diagnostic{Path: "a.yml", Line: 2, Col: 1, Message: "e"}
	if err := (List{w}).Err(); err != nil {
		t.Errorf("warnings alone: Err() = %v, want nil", err)
	}
	err := List{w, e}.Err()
	list, ok := From(err)
	if !ok || len(list) != 1 || list[0] != e {
		t.Errorf("Err() carries %v, want the error only", list)
	}
	var de *Error
	if !errors.As(err, &de) || err.Error() != "a.yml:2:1: e" {
		t.Errorf("Err() = %v", err)
	}
}

func TestFails(t *testing.T) {
	w := Diagnostic{Path: "b.yml", Message: "w", Severity: SeverityWarning}
	e := Diagnostic{Path: "a.yml", Message: "e"}
	tests := []struct {
		l    List
		f    FailOn
		want bool
	}{
		{nil, FailOnWarning, false},
		{List{w}, FailOnError, false},
		{List{w}, FailOnWarning, true},
		{List{w}, FailOnNever, false},
		{List{w, e}, FailOnError, true},
		{List{e}, FailOnWarning, true},
		{List{e}, FailOnNever, false},
	}
	for _, tt := range tests {
		if got := tt.l.Fails(tt.f); got != tt.want {
			t.Errorf("%v.Fails(%v) = %v, want %v", tt.l, tt.f, got, tt.want)
		}
	}
}

func TestFailOnSet(t *testing.T) {
	tests := []struct {
		in      string
		want    FailOn
		wantErr string
	}{
		{"error", FailOnError, ""},
		{"warning", FailOnWarning, ""},
		{"never", FailOnNever, ""},
		{"warnings", 0, `unknown value "warnings"; want error, warning or never`},
		{"", 0, `unknown value ""; want error, warning or never`},
		{"Error", 0, `unknown value "Error"; want error, warning or never`},
	}
	for _, tt := range tests {
		var f FailOn
		err := f.Set(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Set(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
		case err != nil || f != tt.want || f.String() != tt.in:
			t.Errorf("Set(%q) = %v, %v", tt.in, f, err)
		}
	}
}

func TestSeverityJSON(t *testing.T) {
	b, _ := json.Marshal(List{{Path: "a", Message: "e"}, {Path: "b", Message: "w", Severity: SeverityWarning}})
	want := `[{"path":"a","line":0,"column":0,"message":"e"},{"path":"b","line":0,"column":0,"message":"w","severity":"warning"}]`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var back List
	if err := json.Unmarshal(b, &back); err != nil || back[1].Severity != SeverityWarning {
		t.Errorf("round trip: %v %v", back, err)
	}
	var s Severity
	if err := s.UnmarshalText([]byte("info")); err == nil || err.Error() != `diag: unknown severity "info"; want error or warning` {
		t.Errorf("UnmarshalText(info) = %v", err)
	}
}
