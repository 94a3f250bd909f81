package keys

import (
	"slices"
	"testing"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
)

func TestKeys(t *testing.T) {
	f := event.NewFilter(event.FilterTerm{Property: "property", Value: "b"}, event.FilterTerm{Property: "label", Value: "a"})
	tests := []struct{ got, want string }{
		{Counter("issue_created", nil), "{event_counters}_issue_created"},
		{Counter("issue_created", f), "{event_counters}_issue_created-filter:[label:a,property:b]"},
		{Sum("pipeline_finished", nil), "{event_sums}_pipeline_finished-operator:sum(value)"},
		// GitLab's order: the operator, then the filter.
		{Sum("pipeline_finished", f), "{event_sums}_pipeline_finished-operator:sum(value)-filter:[label:a,property:b]"},
		{Unique("issue_created", nil, event.UniqueUser), "{hll_counters}_issue_created-user"},
		{Unique("issue_created", f, event.UniqueProject), "{hll_counters}_issue_created-filter:[label:a,property:b]-project"},
		{Unique("issue_created", nil, event.UniqueLabel), "{hll_counters}_issue_created-label"},
		{Unique("issue_created", nil, event.UniqueValue), "{hll_counters}_issue_created-value"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestWeekSuffix(t *testing.T) {
	tests := []struct {
		day  string
		want string
	}{
		{"2024-02-14", "-2024-07"},
		{"2024-12-29", "-2024-52"}, // Sunday, still 2024
		{"2024-12-30", "-2025-01"}, // Monday of ISO 2025-W01
		{"2025-01-05", "-2025-01"},
		{"2020-12-31", "-2020-53"},
		{"2021-01-03", "-2020-53"},
		{"2021-01-04", "-2021-01"},
	}
	for _, tt := range tests {
		d, err := time.Parse(time.DateOnly, tt.day)
		if err != nil {
			t.Fatal(err)
		}
		if got := WeekOf(d).Suffix(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.day, got, tt.want)
		}
	}
}

func TestLast(t *testing.T) {
	now := time.Date(2021, 1, 13, 12, 0, 0, 0, time.UTC) // 2021-W02
	got := Weekly("k", Last(4, now))
	want := []string{"k-2020-51", "k-2020-52", "k-2020-53", "k-2021-01"}
	if !slices.Equal(got, want) {
		t.Errorf("4 weeks: got %v, want %v", got, want)
	}
	if got := Weekly("k", Last(1, now)); !slices.Equal(got, []string{"k-2021-01"}) {
		t.Errorf("1 week: got %v", got)
	}
	if got := Last(0, now); len(got) != 0 {
		t.Errorf("0 weeks: got %v", got)
	}
	if got := (Week{2021, 2}).String(); got != "2021-W02" {
		t.Errorf("String: got %q", got)
	}
	if m := (Week{2020, 53}).Monday(); !m.Equal(time.Date(2020, 12, 28, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("monday of 2020-W53: %v", m)
	}
}
