package load

import (
	"bytes"
	"errors"
	"io"
	"slices"

	"go.yaml.in/yaml/v3"
)

// syntax finds where go-yaml gives up on a document by parsing its
// prefixes, each behind a blank line (see SyntaxError).
//
// Parsing every prefix from the start of the file made placing an error
// near the end of a large file cost some twenty parses of the whole file.
// A prefix that parses cleanly shows, in its tree, where the last entry of
// its innermost block collection starts. From that line on, go-yaml reads
// the rest of the file in the same state as a short document made of the
// lines that open the enclosing collections (the header) followed by that
// rest. So later prefixes are parsed as such short documents (restarts),
// and a search costs about two parses of the file instead.
type syntax struct {
	t *text
	// restarts are the known ways to parse a prefix of the file, sorted by
	// where their tail starts; the first is the file itself.
	restarts []restart
	// learn is whether the search may add restarts; without, every prefix
	// is parsed from the start of the file.
	learn bool
	// parsed counts the bytes given to go-yaml, to keep the cost in check.
	parsed int
	buf    []byte
}

// restart is a short document that go-yaml reads as it reads the file from
// offset at on: head (a blank line and the header lines) followed by
// data[at:].
type restart struct {
	at    int
	head  []byte
	lines []int // the line in the file of each line of head after the blank one
	// fail is how head + data[at:] fails: how the whole file fails, with
	// lines counted in the short document.
	fail failure
}

// minRestart is how far past the current restart a new one must start to
// be worth the extra parse its tail needs; smaller files are searched
// with the file as it is, as they always were.
const minRestart = 16 << 10

func newSyntax(t *text) *syntax {
	return &syntax{t: t, learn: true, restarts: []restart{{head: []byte("\n")}}}
}

// whole parses the whole file as Parse does (at most two documents) and
// reports how that fails.
func (s *syntax) whole() (failure, bool) {
	f, failed, _ := s.parse(s.restarts[0], len(s.t.data))
	if failed {
		s.restarts[0].fail = f
	}
	return f, failed
}

// parse decodes r's head followed by data[r.at:n] and reports how that
// fails, or the first document when it does not.
func (s *syntax) parse(r restart, n int) (failure, bool, *yaml.Node) {
	s.buf = append(append(s.buf[:0], r.head...), s.t.data[r.at:n]...)
	s.parsed += len(s.buf)
	dec := yaml.NewDecoder(bytes.NewReader(s.buf))
	var first *yaml.Node
	for range 2 {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return failure{}, false, first
			}
			return splitError(err), true, nil
		}
		if first == nil {
			first = &doc
		}
	}
	return failure{}, false, first
}

// restartFor is the restart that parses the prefix data[:n] most cheaply.
func (s *syntax) restartFor(n int) restart {
	r := s.restarts[0]
	for _, c := range s.restarts[1:] {
		if c.at <= n {
			r = c
		}
	}
	return r
}

// failsAt reports whether the prefix data[:n] fails the way the whole file
// does. A prefix that does not teaches the search a later restart, when it
// is far enough on.
func (s *syntax) failsAt(n int) bool {
	r := s.restartFor(n)
	g, failed, doc := s.parse(r, n)
	if failed && g == r.fail {
		return true
	}
	if s.learn && n-r.at >= minRestart {
		if failed {
			// The prefix ends inside a line; the lines before it may parse.
			if start := s.t.lineOf(n); start-r.at >= minRestart {
				_, failed, doc = s.parse(r, start)
				n = start
			}
		}
		if !failed && doc != nil {
			s.add(r, n, doc)
		}
	}
	return false
}

// prepare learns a restart before offset lo, where the search starts, when
// the file before it is long: every prefix searched is longer than lo.
func (s *syntax) prepare(lo int) {
	if !s.learn || lo < minRestart {
		return
	}
	r := s.restarts[0]
	if _, failed, doc := s.parse(r, lo); !failed && doc != nil {
		s.add(r, lo, doc)
	}
}

// shortest finds the shortest prefix of the document, starting at or after
// offset lo, that fails as the whole file does. go-yaml reads its input in
// order and stops at the first problem, so a prefix that reaches the
// problem fails with it;
// bisection finds such a prefix in about log2(len) parses. A shorter prefix
// can fail the same way for another reason (a quoted string cut at its
// closing quote, for one), so the first failing prefix is then searched
// for linearly, when that costs little.
func (s *syntax) shortest(lo int) int {
	s.prepare(lo)
	start := lo
	hi := len(s.t.data)
	for lo < hi {
		mid := lo + (hi-lo)/2
		if s.failsAt(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if (lo-start)*lo > linearBudget {
		return lo
	}
	for n := start; n < lo; n++ {
		if s.failsAt(n) {
			return n
		}
	}
	return lo
}

// linearBudget bounds the bytes parsed by the linear search of shortest.
const linearBudget = 4 << 20

// add learns a restart from doc, the first document of r's head followed by
// data[r.at:n], which go-yaml parsed without error: it starts at the last
// entry of the innermost block collection open at the end of doc, if that
// is far enough past r and the short document fails as the file does.
func (s *syntax) add(r restart, n int, doc *yaml.Node) {
	lines := lineMap{r: r, tail: s.t.lineNumber(r.at)}
	at, header, ok := s.lastEntry(lines, doc)
	if !ok || at-r.at < max(minRestart, (len(s.t.data)-r.at)/4) {
		return
	}
	// An alias after the restart may name an anchor before it.
	if bytes.IndexByte(s.t.data[:at], '&') >= 0 && bytes.IndexByte(s.t.data[at:], '*') >= 0 {
		return
	}
	c := restart{at: at, head: []byte("\n"), lines: header}
	for _, l := range header {
		if s.t.lineStart(l) < 0 {
			return
		}
		c.head = append(c.head, s.t.data[s.t.lineStart(l):s.t.lineEnd(l)]...)
	}
	// The header alone must be a complete document (no string or bracket
	// left open on its lines), and the whole short document must fail with
	// the file's message, on the same line when that line is past the
	// restart.
	if _, failed, _ := s.parse(restart{at: len(s.t.data), head: c.head}, len(s.t.data)); failed {
		return
	}
	g, failed, _ := s.parse(c, len(s.t.data))
	f := s.restarts[0].fail
	if !failed || g.msg != f.msg || (g.line == 0) != (f.line == 0) {
		return
	}
	if g.line != 0 {
		short := lineMap{r: c, tail: s.t.lineNumber(at)}
		if l, ok := short.inTail(textLine(g)); ok && l+1 != textLine(f) || !ok && textLine(f)-1 > short.tail {
			return
		}
	}
	c.fail = g
	i := len(s.restarts)
	for i > 1 && s.restarts[i-1].at > at {
		i--
	}
	s.restarts = append(s.restarts[:i], append([]restart{c}, s.restarts[i:]...)...)
}

// textLine is the 1-based line of the parsed text that a failure names:
// go-yaml prints parser errors' lines from 0.
func textLine(f failure) int {
	if parserMessages[f.msg] {
		return f.line + 1
	}
	return f.line
}

// lineMap turns lines of a restart's short document into lines of the
// file: line 1 is the blank line, the header's lines follow, then the
// tail from line tail of the file on.
type lineMap struct {
	r    restart
	tail int
}

// file is the line of the file that line l of the short document holds,
// or 0 for the blank line.
func (m lineMap) file(l int) int {
	if l < 2 {
		return 0
	}
	if h := l - 2; h < len(m.r.lines) {
		return m.r.lines[h]
	}
	l, _ = m.inTail(l)
	return l
}

// inTail is the line of the file that line l of the short document holds
// when l is past the first line of the tail.
func (m lineMap) inTail(l int) (int, bool) {
	first := len(m.r.lines) + 2
	return m.tail + l - first, l > first
}

// lastEntry finds the start of the last entry, at the deepest level, of
// the block collections open at the end of doc, and the header that opens
// the collections around it: the lines before the root (comments, "---")
// and, for each enclosing collection, the line of its entry that holds the
// next. The entry must begin its line and open no collection there, so
// that the short document opens on that line exactly the collection the
// file had open. Lines are the file's.
func (s *syntax) lastEntry(m lineMap, doc *yaml.Node) (at int, header []int, ok bool) {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if !isBlock(root) || root.Line < 2 {
		return 0, nil, false
	}
	var lines []int
	for l := 2; l < root.Line; l++ {
		lines = append(lines, m.file(l))
	}
	if len(lines) > 64 || bytes.HasPrefix(s.t.line(m.file(root.Line)), []byte("---")) {
		return 0, nil, false
	}
	for node := root; isBlock(node); {
		var next *yaml.Node
		if node.Kind == yaml.MappingNode {
			k, v := node.Content[len(node.Content)-2], node.Content[len(node.Content)-1]
			l := m.file(k.Line)
			if isBlock(v) && v.Line > k.Line {
				next = v
			}
			switch {
			case l != 0 && s.t.lineStart(l) >= 0 && s.t.firstNonBlank(l) == k.Column:
				if !isCollection(v) || v.Line > k.Line {
					at, header, ok = s.t.lineStart(l), slices.Clone(lines), true
				}
				lines = append(lines, l)
			case len(lines) > 0 && lines[len(lines)-1] == l:
				// The first key of "- key:", whose line is in the header.
			default:
				next = nil
			}
		} else {
			item := node.Content[len(node.Content)-1]
			l := m.file(item.Line)
			if l == 0 || item.Column <= node.Column || s.t.firstNonBlank(l) != node.Column || s.t.charAt(l, node.Column) != '-' {
				break // not an item on its own line after "- "
			}
			switch {
			case !isCollection(item):
				at, header, ok = s.t.lineStart(l), slices.Clone(lines), true
			case item.Kind == yaml.MappingNode && isBlock(item):
				next = item // "- key: value" opens a mapping on the line
				lines = append(lines, l)
			}
		}
		if next == nil {
			break
		}
		node = next
	}
	return at, header, ok
}

// isCollection reports whether n is a mapping or a list.
func isCollection(n *yaml.Node) bool {
	return n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode
}

// isBlock reports whether n is a mapping or a list in block style, with at
// least one entry.
func isBlock(n *yaml.Node) bool {
	return isCollection(n) && n.Style&yaml.FlowStyle == 0 && len(n.Content) > 0
}
