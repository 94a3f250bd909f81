package load

import "testing"

func TestTextPosition(t *testing.T) {
	data := []byte("ab\r\nc\rd\u2028é\nf")
	tx := newText(data)
	for _, c := range []struct{ off, line, col int }{
		{0, 1, 1}, {2, 1, 3}, // "\r" of "\r\n" ends line 1
		{3, 1, 4}, // so does its "\n": one break, not two
		{4, 2, 1}, {5, 2, 2}, {6, 3, 1}, {7, 3, 2},
		{10, 4, 1}, {12, 4, 2}, // "é" is two bytes and one column
		{13, 5, 1}, {14, 5, 2}, // the end of the file
		{99, 5, 2}, {-1, 1, 1}, // offsets outside the file are clamped
	} {
		if l, col := tx.position(c.off); l != c.line || col != c.col {
			t.Errorf("position(%d) = %d:%d, want %d:%d", c.off, l, col, c.line, c.col)
		}
	}
	for n, want := range map[int]int{0: 0, 1: 0, 2: 4, 3: 6, 4: 10, 5: 13, 6: -1} {
		if got := tx.lineStart(n); got != want {
			t.Errorf("lineStart(%d) = %d, want %d", n, got, want)
		}
	}
	for n, want := range map[int]string{1: "ab", 2: "c", 3: "d", 4: "é", 5: "f", 6: ""} {
		if got := string(tx.line(n)); got != want {
			t.Errorf("line(%d) = %q, want %q", n, got, want)
		}
	}
	if l, col := newText([]byte("\ufeffa: b")).position(4); l != 1 || col != 2 {
		t.Errorf("after a byte order mark: %d:%d, want 1:2", l, col)
	}
}
