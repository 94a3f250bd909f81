package keys

import (
	"slices"
	"testing"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
)

// TestISOWeekEdges pins the week suffix on the days around New Year, where
// the ISO year and the calendar year part, including years with a week 53.
// The expectations come from the ISO 8601 calendar, not from this package.
func TestISOWeekEdges(t *testing.T) {
	tests := []struct{ day, want string }{
		{"2008-12-28", "-2008-52"},
		{"2008-12-29", "-2009-01"}, // Monday: week 1 of 2009 starts in 2008
		{"2009-01-04", "-2009-01"},
		{"2014-12-29", "-2015-01"},
		{"2015-01-04", "-2015-01"},
		{"2015-12-31", "-2015-53"},
		{"2016-01-03", "-2015-53"}, // Sunday of 2016 in week 53 of 2015
		{"2016-01-04", "-2016-01"},
		{"2019-12-29", "-2019-52"},
		{"2019-12-30", "-2020-01"},
		{"2020-01-04", "-2020-01"},
		{"2020-12-29", "-2020-53"},
		{"2021-01-03", "-2020-53"},
		{"2021-01-04", "-2021-01"},
		{"2021-12-29", "-2021-52"},
		{"2022-01-01", "-2021-52"},
		{"2022-01-02", "-2021-52"},
		{"2022-01-03", "-2022-01"},
		{"2026-12-28", "-2026-53"},
		{"2027-01-03", "-2026-53"},
		{"2027-01-04", "-2027-01"},
		{"2032-12-29", "-2032-53"},
		{"2033-01-02", "-2032-53"},
		{"2033-01-03", "-2033-01"},
	}
	for _, tt := range tests {
		d, err := time.Parse(time.DateOnly, tt.day)
		if err != nil {
			t.Fatal(err)
		}
		if got := WeekOf(d).Suffix(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.day, got, tt.want)
		}
		// The last second of the day is in the same week.
		if got := WeekOf(d.Add(24*time.Hour - time.Second)).Suffix(); got != tt.want {
			t.Errorf("%s 23:59:59: got %q, want %q", tt.day, got, tt.want)
		}
	}
	// Every day from Dec 29 to Jan 4 across a year with 53 weeks.
	want := []string{"-2026-53", "-2026-53", "-2026-53", "-2026-53", "-2026-53", "-2026-53", "-2027-01"}
	var got []string
	for d := time.Date(2026, 12, 29, 0, 0, 0, 0, time.UTC); d.Before(time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		got = append(got, WeekOf(d).Suffix())
	}
	if !slices.Equal(got, want) {
		t.Errorf("Dec 29 2026 - Jan 4 2027: got %v, want %v", got, want)
	}
}

// Weeks are UTC: a local time late on Sunday evening west of Greenwich is
// already Monday, the next week.
func TestWeekIsUTC(t *testing.T) {
	ny := time.FixedZone("UTC-5", -5*3600)
	local := time.Date(2021, 1, 3, 23, 30, 0, 0, ny) // Sunday 23:30 local = Monday 04:30 UTC
	if got := WeekOf(local).Suffix(); got != "-2021-01" {
		t.Errorf("got %q, want -2021-01", got)
	}
}

func TestWeekArithmetic(t *testing.T) {
	tests := []struct {
		w    Week
		n    int
		want Week
	}{
		{Week{2026, 52}, 1, Week{2026, 53}},
		{Week{2026, 52}, 2, Week{2027, 1}},
		{Week{2027, 1}, -1, Week{2026, 53}},
		{Week{2025, 52}, 1, Week{2026, 1}}, // 2025 has 52 weeks
		{Week{2024, 7}, -6, Week{2024, 1}},
		{Week{2024, 7}, -7, Week{2023, 52}},
	}
	for _, tt := range tests {
		if got := tt.w.Add(tt.n); got != tt.want {
			t.Errorf("%v + %d = %v, want %v", tt.w, tt.n, got, tt.want)
		}
	}
	mondays := map[Week]string{
		{2026, 53}: "2026-12-28",
		{2027, 1}:  "2027-01-04",
		{2009, 1}:  "2008-12-29",
		{2024, 7}:  "2024-02-12",
	}
	for w, want := range mondays {
		if got := w.Monday().Format(time.DateOnly); got != want {
			t.Errorf("Monday of %v = %s, want %s", w, got, want)
		}
	}
	// 7d at the start of 2027-W01 is 2026-W53; 28d reaches back into
	// 2026-W50.
	now := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	if got := Weekly("k", Last(1, now)); !slices.Equal(got, []string{"k-2026-53"}) {
		t.Errorf("7d: %v", got)
	}
	if got := Weekly("k", Last(4, now)); !slices.Equal(got, []string{"k-2026-50", "k-2026-51", "k-2026-52", "k-2026-53"}) {
		t.Errorf("28d: %v", got)
	}
}

// TestFullKeys pins complete keys, week suffix included, for every kind in
// the layout.
func TestFullKeys(t *testing.T) {
	w := Week{2020, 53}.Suffix()
	terms := []event.FilterTerm{{Property: "property", Value: "web"}, {Property: "label", Value: "bug"}, {Property: "confidential", Value: "true"}}
	filter := event.NewFilter(terms...)
	tests := []struct{ got, want string }{
		{Counter("create_issue", nil) + w, "{event_counters}_create_issue-2020-53"},
		{Counter("create_issue", filter) + w, "{event_counters}_create_issue-filter:[confidential:true,label:bug,property:web]-2020-53"},
		{Sum("complete_pipeline", nil) + w, "{event_sums}_complete_pipeline-operator:sum(value)-2020-53"},
		// GitLab's EventSelectionRule: the operator, then the filter.
		{Sum("complete_pipeline", filter[1:2]) + w, "{event_sums}_complete_pipeline-operator:sum(value)-filter:[label:bug]-2020-53"},
		{Unique("create_issue", nil, event.UniqueUser) + w, "{hll_counters}_create_issue-user-2020-53"},
		{Unique("create_issue", nil, event.UniqueNamespace) + w, "{hll_counters}_create_issue-namespace-2020-53"},
		{Unique("create_issue", filter, event.UniqueProperty) + w, "{hll_counters}_create_issue-filter:[confidential:true,label:bug,property:web]-property-2020-53"},
		{Unique("complete_pipeline", nil, event.UniqueValue) + Week{2024, 7}.Suffix(), "{hll_counters}_complete_pipeline-value-2024-07"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	// NewFilter sorts a copy: the caller's terms keep their order.
	if terms[0].Property != "property" {
		t.Error("NewFilter reordered the caller's terms")
	}
}
