package diag

import "testing"

// levenshtein is the textbook full-matrix distance, to check distance's
// early stop against.
func levenshtein(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
		}
	}
	return d[len(a)][len(b)]
}

func TestDistance(t *testing.T) {
	words := []string{"", "a", "ab", "ba", "abc", "cab", "kitten", "sitting", "create_issue", "craete_isue", "issue_create", "xyz"}
	for _, a := range words {
		for _, b := range words {
			for limit := 1; limit <= 6; limit++ {
				want := min(levenshtein(a, b), limit)
				if got := distance(a, b, limit); got != want {
					t.Errorf("distance(%q, %q, %d) = %d, want %d", a, b, limit, got, want)
				}
			}
		}
	}
}
