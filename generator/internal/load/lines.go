package load

import (
	"bytes"
	"sort"
	"unicode/utf8"
)

// go-yaml (like libyaml, after YAML 1.1) ends a line at "\r\n", "\r",
// "\n", NEL (U+0085), LS (U+2028) and PS (U+2029), and the positions of
// nodes and errors count lines that way. Every position load computes
// from bytes counts them the same way, so a file saved with old Mac line
// ends ("\r") is reported at the lines go-yaml and editors show.

// breakAt returns the length of the line break that starts at data[i], or
// 0 when none does. "\r\n" is one break.
func breakAt(data []byte, i int) int {
	switch data[i] {
	case '\n':
		return 1
	case '\r':
		if i+1 < len(data) && data[i+1] == '\n' {
			return 2
		}
		return 1
	case 0xc2: // NEL
		if i+1 < len(data) && data[i+1] == 0x85 {
			return 2
		}
	case 0xe2: // LS, PS
		if i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xa8 || data[i+2] == 0xa9) {
			return 3
		}
	}
	return 0
}

// breakBefore reports whether a line break ends just before data[i].
func breakBefore(data []byte, i int) bool {
	switch {
	case i <= 0:
		return false
	case data[i-1] == '\n':
		return true
	case data[i-1] == '\r':
		return i == len(data) || data[i] != '\n'
	case i >= 2 && data[i-2] == 0xc2 && data[i-1] == 0x85:
		return true
	}
	return i >= 3 && data[i-3] == 0xe2 && data[i-2] == 0x80 && (data[i-1] == 0xa8 || data[i-1] == 0xa9)
}

// text is a file with the offsets where its lines start.
type text struct {
	data   []byte
	starts []int // line n starts at starts[n-1]
}

func newText(data []byte) *text {
	t := &text{data: data, starts: make([]int, 1, 1+bytes.Count(data, []byte("\n")))}
	for i := 0; i < len(data); {
		if n := breakAt(data, i); n > 0 {
			i += n
			t.starts = append(t.starts, i)
		} else {
			i++
		}
	}
	return t
}

// position turns a byte offset into a 1-based line and a column counted in
// characters, as go-yaml counts them. An offset inside a line break is on
// the line the break ends.
func (t *text) position(off int) (line, col int) {
	off = max(min(off, len(t.data)), 0)
	line = sort.Search(len(t.starts), func(i int) bool { return t.starts[i] > off })
	start := t.starts[line-1]
	if line == 1 && bytes.HasPrefix(t.data, bom) && off >= len(bom) {
		start = len(bom) // a byte order mark is no column
	}
	return line, utf8.RuneCount(t.data[start:off]) + 1
}

var bom = []byte("\ufeff")

// lineStart returns the offset where 1-based line n starts, or -1.
func (t *text) lineStart(n int) int {
	switch {
	case n <= 1:
		return 0
	case n > len(t.starts):
		return -1
	}
	return t.starts[n-1]
}

// lineEnd returns the offset just past line n and its line break: where
// line n+1 starts, or the end of the data.
func (t *text) lineEnd(n int) int {
	if n < len(t.starts) {
		return t.starts[n]
	}
	return len(t.data)
}

// lineNumber returns the 1-based line that holds offset off.
func (t *text) lineNumber(off int) int {
	l, _ := t.position(off)
	return l
}

// lineOf returns the offset where the line holding off starts.
func (t *text) lineOf(off int) int {
	l, _ := t.position(off)
	return t.starts[l-1]
}

// line returns the text of line n without its line break, or nil.
func (t *text) line(n int) []byte {
	start := t.lineStart(n)
	if start < 0 {
		return nil
	}
	end := start
	for end < len(t.data) && breakAt(t.data, end) == 0 {
		end++
	}
	return t.data[start:end]
}

// charAt returns the byte at column col of line n when the columns before
// it are one byte each (indentation), or 0 when there is no such byte.
func (t *text) charAt(n, col int) byte {
	off := t.lineStart(n)
	if off < 0 || col < 1 || off+col-1 >= t.lineEnd(n) {
		return 0
	}
	return t.data[off+col-1]
}

// firstNonBlank is the column of the first character of line n that is not
// a space or tab, or 1.
func (t *text) firstNonBlank(n int) int {
	off := t.lineStart(n)
	if off < 0 {
		return 1
	}
	col := 1
	for _, c := range t.data[off:] {
		if c != ' ' && c != '\t' {
			break
		}
		col++
	}
	if off+col-1 >= len(t.data) || breakAt(t.data, off+col-1) > 0 {
		return 1
	}
	return col
}
