package diag_test

import (
	"fmt"
	"testing"

	"github.com/usagekit/usagekit/generator/diag"
)

func TestNearest(t *testing.T) {
	actions := []string{"create_issue", "close_issue", "create_project", "push"}
	tests := []struct {
		word string
		want string
	}{
		{"create_issue", "create_issue"},   // exact
		{"create_isue", "create_issue"},    // one deletion
		{"craete_issue", "create_issue"},   // two substitutions
		{"create_issue_x", "create_issue"}, // two insertions
		{"crate_isue", "create_issue"},     // two deletions
		{"cretae_isue", ""},                // three edits
		{"close_issues", "close_issue"},
		{"pull", "push"}, // two edits, however short the word
		{"", ""},
		{"delete_everything", ""},
	}
	for _, tt := range tests {
		if got := diag.Nearest(tt.word, actions); got != tt.want {
			t.Errorf("Nearest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestNearestFirstOfEqual(t *testing.T) {
	// "cat" is one edit from both: the first listed wins.
	if got := diag.Nearest("cat", []string{"cut", "cab"}); got != "cut" {
		t.Errorf("got %q, want cut", got)
	}
	if got := diag.Nearest("cat", []string{"cab", "cut"}); got != "cab" {
		t.Errorf("got %q, want cab", got)
	}
	// A nearer candidate later in the list replaces an earlier one.
	if got := diag.Nearest("cat", []string{"cost", "cat"}); got != "cat" {
		t.Errorf("got %q, want cat", got)
	}
	if got := diag.Nearest("cat", nil); got != "" {
		t.Errorf("no candidates: got %q", got)
	}
}

func ExampleSuggest() {
	groups := []string{"project_management", "source_code"}
	fmt.Printf("unknown group %q%s\n", "project_managment", diag.Suggest("project_managment", groups))
	fmt.Printf("unknown group %q%s\n", "payments", diag.Suggest("payments", groups))
	// Output:
	// unknown group "project_managment" (did you mean "project_management"?)
	// unknown group "payments"
}
