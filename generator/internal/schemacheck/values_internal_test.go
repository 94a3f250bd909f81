package schemacheck

import "testing"

// TestFewValues checks the count that keeps large documents off the quick
// path: every mapping, list and scalar counts once, the document too.
func TestFewValues(t *testing.T) {
	doc := map[string]any{"a": "x", "b": []any{1, 2}, "c": map[string]any{"d": nil}}
	for n, want := range map[int]bool{0: false, 6: false, 7: true, 8: true} {
		if got := fewValues(doc, n); got != want {
			t.Errorf("fewValues(doc of 7 values, %d) = %v, want %v", n, got, want)
		}
	}
}
