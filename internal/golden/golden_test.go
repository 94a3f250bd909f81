package golden

import "testing"

func TestDiff(t *testing.T) {
	for _, tt := range []struct{ want, got, diff string }{
		{"a\nb\nc\n", "a\nb\nc\n", ""},
		{"a\nb\nc\n", "a\nx\nc\n", " a\n-b\n+x\n c\n \n"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\n5\n6\n7\n8\nnine\n", " 6\n 7\n 8\n-9\n+nine\n \n"},
	} {
		if got := Diff(tt.want, tt.got); got != tt.diff {
			t.Errorf("Diff(%q, %q) =\n%q\nwant\n%q", tt.want, tt.got, got, tt.diff)
		}
	}
}
