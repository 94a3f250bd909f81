package diag

import "fmt"

// maxTypo is the edit distance below which a name counts as a typo of
// another: one or two characters inserted, deleted or changed.
const maxTypo = 3

// Nearest returns the candidate nearest to word by edit distance, or ""
// when none is close enough to be what was meant (two edits at most). Of
// equally near candidates the first wins, so callers pass them in a stable
// order.
func Nearest(word string, candidates []string) string {
	best, bestDist := "", maxTypo
	for _, c := range candidates {
		if d := distance(word, c, bestDist); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Suggest words Nearest for the end of a message: ` (did you mean "x"?)`,
// or "" when no candidate is near enough.
func Suggest(word string, candidates []string) string {
	best := Nearest(word, candidates)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance between a and b, or limit when it is
// at least limit. It stops early once every entry of a row reaches limit:
// later rows can only be as large.
func distance(a, b string, limit int) int {
	if abs(len(a)-len(b)) >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
