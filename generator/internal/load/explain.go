package load

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// explain words one go-yaml error. msg is go-yaml's message, line the line
// go-yaml's position points at (corrected: the start of the construct being
// read, or the problem itself), at the offset of the character that made
// go-yaml fail (-1 at the end of the file). It returns where to report and
// what; a column of 0 means the first non-blank one of the line.
func explain(t *text, msg string, line, at int) (int, int, string) {
	e := &explainer{text: t, msg: msg, line: line, at: at}
	if at >= 0 {
		e.c = t.data[at]
	}
	if word, ok := explainers[msg]; ok {
		return word(e)
	}
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		return e.unknownAnchor(strings.TrimSuffix(name, "' referenced"))
	}
	return e.problem("invalid YAML: %s", msg)
}

// explainer holds one go-yaml error while it is worded; see explain.
type explainer struct {
	*text
	msg  string
	line int
	at   int
	c    byte // data[at] as go-yaml reported it, or 0 at the end of the file
}

// explainers word go-yaml's errors, by message, one method per kind of
// mistake.
var explainers = map[string]func(*explainer) (int, int, string){
	// Scanner: a character that cannot be where it is.
	"found character that cannot start any token":                  (*explainer).cannotStart,
	"mapping values are not allowed in this context":               (*explainer).notHere,
	"block sequence entries are not allowed in this context":       (*explainer).notHere,
	"mapping keys are not allowed in this context":                 (*explainer).notHere,
	"could not find expected ':'":                                  (*explainer).notHere,
	"found a tab character that violates indentation":              (*explainer).tabIndent,
	"found a tab character where an indentation space is expected": (*explainer).tabIndent,

	// Scanner: quoted scalars.
	"found unexpected end of stream":              (*explainer).unclosedQuote,
	"found unexpected document indicator":         (*explainer).markerInQuote,
	"found unknown escape character":              (*explainer).escape,
	"did not find expected hexdecimal number":     (*explainer).escape,
	"found invalid Unicode character escape code": (*explainer).escape,

	// Scanner: block scalars, anchors, tags, directives.
	"did not find expected comment or line break":           (*explainer).blockHeader,
	"found an indentation indicator equal to 0":             (*explainer).blockHeader,
	"did not find expected alphabetic or numeric character": (*explainer).anchorName,
	"found undefined tag handle":                            (*explainer).tag,
	"did not find the expected '>'":                         (*explainer).tag,
	"did not find expected tag URI":                         (*explainer).tag,
	"did not find URI escaped octet":                        (*explainer).tag,
	"did not find expected '!'":                             (*explainer).tag,
	"found an incorrect leading UTF-8 octet":                (*explainer).tag,
	"found an incorrect trailing UTF-8 octet":               (*explainer).tag,
	"found unknown directive name":                          (*explainer).directive,
	"found incompatible YAML document":                      (*explainer).directive,
	"found duplicate %YAML directive":                       (*explainer).directive,
	"found duplicate %TAG directive":                        (*explainer).directive,
	"could not find expected directive name":                (*explainer).directive,
	"found unexpected non-alphabetical character":           (*explainer).directive,
	"did not find expected whitespace or line break":        (*explainer).directive,
	"did not find expected digit or '.' character":          (*explainer).directive,
	"found extremely long version number":                   (*explainer).directive,
	"did not find expected version number":                  (*explainer).directive,
	"did not find expected whitespace":                      (*explainer).directive,

	// Parser: what the tokens make.
	"did not find expected ',' or ']'":       (*explainer).unclosedFlow,
	"did not find expected ',' or '}'":       (*explainer).unclosedFlow,
	"did not find expected key":              (*explainer).expectedKey,
	"did not find expected '-' indicator":    (*explainer).expectedItem,
	"did not find expected node content":     (*explainer).expectedValue,
	"did not find expected <document start>": (*explainer).expectedDocument,

	// Decoding.
	"exceeded max depth of 10000": (*explainer).tooDeep,
}

// problem reports text at e.at, or at e.line when go-yaml failed at the
// end of the file. A tab in the indentation before e.at is the real
// problem whatever go-yaml made of it.
func (e *explainer) problem(text string, args ...any) (int, int, string) {
	if e.at < 0 || e.at >= len(e.data) {
		return e.line, 0, fmt.Sprintf(text, args...)
	}
	if tl, tc, ok := e.tabBefore(e.at); ok {
		return tl, tc, tabMessage
	}
	l, c := e.position(e.at)
	return l, c, fmt.Sprintf(text, args...)
}

const tabMessage = "tab character in indentation; YAML indents with spaces only"

func (e *explainer) cannotStart() (int, int, string) {
	switch e.c {
	case '\t':
		if tl, tc, ok := e.tabBefore(e.at); ok {
			return tl, tc, tabMessage
		}
		return e.problem("tab character cannot start a value; separate values with spaces")
	case '@', '`':
		return e.problem("%q cannot start a value (YAML reserves it); put the value in quotes", string(e.c))
	case '|', '>':
		return e.problem("%q would start a block scalar, which cannot be inside [...] or {...}; put the value in quotes", string(e.c))
	case '%':
		return e.problem(`"%%" cannot start a value here; put the value in quotes`)
	}
	return e.problem("%q cannot start a value here; put the value in quotes", e.token(e.at))
}

// notHere words an indicator in a place that does not take it.
func (e *explainer) notHere() (int, int, string) {
	switch e.msg {
	case "mapping values are not allowed in this context":
		return e.problem(`":" is not allowed here: put a value that contains ": " in quotes, and start a nested mapping on a new line, indented under its key`)
	case "block sequence entries are not allowed in this context":
		return e.problem(`a list item ("- ") cannot start here: start the list on a new line, indented under its key`)
	case "mapping keys are not allowed in this context":
		return e.problem(`an explicit key ("? ") cannot start here: start it on a new line`)
	}
	return e.line, 0, `this key has no ":" after it on the same line; write "key: value", or put a value that spans lines in quotes`
}

func (e *explainer) tabIndent() (int, int, string) {
	if tl, tc, ok := e.tabBefore(e.at); ok {
		return tl, tc, tabMessage
	}
	return e.problem(tabMessage)
}

func (e *explainer) unclosedQuote() (int, int, string) {
	switch e.c {
	case '"':
		return e.problem(`double-quoted string opened here is not closed with '"'`)
	case '\'':
		return e.problem(`single-quoted string opened here is not closed with "'"`)
	}
	return e.line, 0, "quoted string opened on this line is not closed before the end of the file"
}

// markerInQuote words a document marker at the start of a line inside a
// quoted string, which go-yaml reports at the line's end.
func (e *explainer) markerInQuote() (int, int, string) {
	e.at = e.lineOf(max(e.at, 0))
	return e.problem("document marker %q inside a quoted string opened on line %d; close the string before it, or indent this line", e.token(e.at), e.line)
}

// escape words a bad escape sequence, reported at its backslash.
func (e *explainer) escape() (int, int, string) {
	if e.msg == "found unknown escape character" {
		return e.problem(`unknown escape %s in a double-quoted string; allowed are \0 \a \b \t \n \v \f \r \e \" \/ \\ \N \_ \L \P \xXX \uXXXX \UXXXXXXXX, "\" before a space or a line break, or single quotes instead`, escapeAt(e.data, e.at))
	}
	e.at = bytes.LastIndexByte(e.data[:max(e.at, 0)], '\\')
	seq := escapeAt(e.data, e.at)
	if e.msg == "found invalid Unicode character escape code" {
		return e.problem("escape %s is not a valid Unicode character", seq)
	}
	digits := map[string]int{`\x`: 2, `\u`: 4, `\U`: 8}[seq[:min(2, len(seq))]]
	return e.problem("escape %s needs %d hexadecimal digits (write a backslash as \\\\, or use single quotes)", seq, digits)
}

// blockHeader words a bad "|" or ">" header, or what follows a directive
// (go-yaml's message is the same for both).
func (e *explainer) blockHeader() (int, int, string) {
	h := e.blockHeaderAt(e.at)
	if e.msg == "found an indentation indicator equal to 0" {
		if h >= 0 {
			e.at = h
		}
		return e.problem("invalid block scalar header %q: the indentation digit must be 1-9, not 0", e.token(e.at))
	}
	if h >= 0 {
		e.at = h
		return e.problem(`invalid block scalar header %q: after "|" or ">" only a chomping indicator ("-" or "+") and an indentation digit (1-9) may follow, then a comment or a line break`, e.token(e.at))
	}
	return e.problem("unexpected %q after a directive; only a comment may follow it", e.token(e.at))
}

func (e *explainer) anchorName() (int, int, string) {
	if e.c == '&' || e.c == '*' {
		kind := map[byte]string{'&': "an anchor", '*': "an alias"}[e.c]
		return e.problem("%q must be followed by the name of %s: letters, digits, \"-\" or \"_\"", string(e.c), kind)
	}
	return e.problem("invalid anchor or alias name")
}

func (e *explainer) tag() (int, int, string) {
	switch e.msg {
	case "found undefined tag handle":
		e.at = e.tokenStart(e.at)
		return e.problem(`undefined tag handle in %q: only "!" and "!!" are predefined; declare others with a %%TAG directive`, e.token(e.at))
	case "did not find the expected '>'":
		return e.problem(`verbatim tag "!<" is not closed with ">"`)
	}
	return e.problem("invalid tag: %s", e.msg)
}

// directive words a bad %YAML or %TAG line, reported at its start.
func (e *explainer) directive() (int, int, string) {
	switch e.msg {
	case "found unknown directive name":
		return e.line, 1, `unknown directive: YAML has only %YAML and %TAG; put a value that starts with "%" in quotes`
	case "found incompatible YAML document":
		return e.line, 1, "unsupported YAML version: the only %YAML directive accepted is %YAML 1.1 (or leave it out)"
	case "found duplicate %YAML directive", "found duplicate %TAG directive":
		return e.line, 1, strings.Replace(e.msg, "found duplicate", "duplicate", 1)
	}
	return e.line, 1, "invalid directive: " + e.msg
}

func (e *explainer) unclosedFlow() (int, int, string) {
	if e.msg == "did not find expected ',' or '}'" {
		return e.closer(e.line, '{', '}', "flow mapping")
	}
	return e.closer(e.line, '[', ']', "flow sequence")
}

// expectedKey words a token where a mapping expects its next key: most
// often a line indented like no key above it.
func (e *explainer) expectedKey() (int, int, string) {
	e.at = e.keyStart(e.at)
	if e.at < 0 {
		return e.problem("expected a key")
	}
	if c := e.data[e.at]; c == ']' || c == '}' {
		return e.problem("%q closes nothing: there is no open %q before it", string(c), map[byte]string{']': "[", '}': "{"}[c])
	}
	l, col := e.position(e.at)
	if col == e.firstNonBlank(l) {
		if lo, loCol, hi, hiCol, ok := e.around(l, col); ok {
			return e.problem("bad indentation: %s is at column %d, between the indentation of line %d (column %d) and line %d (column %d); "+
				"indent it like one of them", e.found(e.at), col, lo, loCol, hi, hiCol)
		}
		if keys := e.keyColumn(e.line); keys != col {
			return e.problem("bad indentation: %s is at column %d, which lines up with no mapping or list above it "+
				"(the keys of the mapping that starts on line %d are at column %d)", e.found(e.at), col, e.line, keys)
		}
		if e.data[e.at] == '-' {
			return e.problem(`a list item ("- ") cannot follow the keys of a mapping at their indentation; put the list under a key ("key:" on the line before, items indented)`)
		}
	}
	return e.problem("unexpected %s after a value; a line holds one \"key: value\" (put a value that contains it in quotes)", e.found(e.at))
}

func (e *explainer) expectedItem() (int, int, string) {
	e.at = e.keyStart(e.at)
	return e.problem("expected another list item (\"- \") of the list that starts on line %d, found %s; a key after the list must be indented like the key the list belongs to", e.line, e.found(e.at))
}

// expectedValue words a missing value: often a flow collection left open,
// reported where it was opened.
func (e *explainer) expectedValue() (int, int, string) {
	// The line is that of the token found; a bracket left open may be
	// on the trigger's line, before it.
	from := e.line
	if e.at >= 0 {
		l, _ := e.position(e.at)
		from = min(from, l)
	}
	if start := e.lineStart(from); start >= 0 {
		if o := innermostOpen(e.data[start:], '['); o >= 0 {
			return e.closer(from, '[', ']', "flow sequence")
		}
		if o := innermostOpen(e.data[start:], '{'); o >= 0 {
			return e.closer(from, '{', '}', "flow mapping")
		}
	}
	if e.at < 0 || len(bytes.TrimSpace(e.data[e.at+1:])) == 0 {
		return e.problem("the file ends where a value is expected")
	}
	return e.problem("expected a value, found %s", e.found(e.at))
}

func (e *explainer) expectedDocument() (int, int, string) {
	return e.problem(`expected "---" before %s: only a directive or a document marker may follow "..."`, e.found(e.at))
}

func (e *explainer) tooDeep() (int, int, string) {
	return e.problem("nesting deeper than 10000 levels")
}

func (e *explainer) unknownAnchor(name string) (int, int, string) {
	e.at = e.aliasAt(name)
	return e.problem("alias *%s comes before its anchor &%s (or there is none); define &%s first", name, name, name)
}

// found describes the token at off for messages.
func (t *text) found(off int) string {
	tok := t.token(off)
	switch {
	case tok == "":
		return "the end of the file"
	case tok == "-":
		return `a list item ("- ")`
	case len(tok) > 1 && strings.HasSuffix(tok, ":"):
		return fmt.Sprintf("key %q", tok[:len(tok)-1])
	}
	return fmt.Sprintf("%q", tok)
}

// token is the text starting at off up to the next blank or line end,
// shortened for messages.
func (t *text) token(off int) string {
	data := t.data
	if off < 0 || off >= len(data) {
		return ""
	}
	end := off
	for end < len(data) && end-off < 24 && data[end] != ' ' && data[end] != '\t' && breakAt(data, end) == 0 {
		end++
	}
	if end == off {
		end = off + 1
	}
	for !utf8.Valid(data[off:end]) && end < len(data) {
		end++
	}
	return string(data[off:end])
}

// closer reports a flow collection that is not closed, where it was opened:
// the innermost bracket of its kind that line opens and nothing closes.
func (t *text) closer(line int, open, close byte, what string) (int, int, string) {
	msg := fmt.Sprintf("%s opened here is not closed with %q (separate its items with \",\")", what, string(close))
	if start := t.lineStart(line); start >= 0 {
		if o := innermostOpen(t.data[start:], open); o >= 0 {
			l, c := t.position(start + o)
			if l == line {
				return l, c, msg
			}
		}
	}
	return line, 0, msg
}

// innermostOpen scans flow text, skipping quoted strings and comments, and
// returns the offset of the innermost bracket of kind open left unclosed.
func innermostOpen(text []byte, open byte) int {
	var stack []int
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '"', '\'':
			if i > 0 && !strings.ContainsRune(" \t\r\n[{,:", rune(text[i-1])) && !breakBefore(text, i) {
				continue // a quote inside a plain value
			}
			for i++; i < len(text); i++ {
				if c == '"' && text[i] == '\\' {
					i++
				} else if text[i] == c {
					if c == '\'' && i+1 < len(text) && text[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		case '#':
			if i == 0 || text[i-1] == ' ' || text[i-1] == '\t' || breakBefore(text, i) {
				for i < len(text) && breakAt(text, i) == 0 {
					i++
				}
			}
		case '[', '{':
			stack = append(stack, i)
		case ']', '}':
			if len(stack) == 0 || text[stack[len(stack)-1]] != c-2 {
				// A bracket that closes nothing or the wrong kind: go-yaml
				// stops here, inside whatever is still open.
				i = len(text)
				break
			}
			stack = stack[:len(stack)-1]
		}
	}
	for i := len(stack) - 1; i >= 0; i-- {
		if text[stack[i]] == open {
			return stack[i]
		}
	}
	return -1
}

// escapeAt is the escape sequence starting at the backslash at off: the
// backslash, its letter, and the hexadecimal digits that follow \x, \u or
// \U (as many as there are, up to the number needed).
func escapeAt(data []byte, off int) string {
	if off < 0 || off+1 >= len(data) {
		return `\`
	}
	_, size := utf8.DecodeRune(data[off+1:])
	end := off + 1 + size
	need := map[byte]int{'x': 2, 'u': 4, 'U': 8}[data[off+1]]
	for ; need > 0 && end < len(data) && strings.IndexByte("0123456789abcdefABCDEF", data[end]) >= 0; need-- {
		end++
	}
	return string(data[off:end])
}

// blockHeaderAt finds the "|" or ">" that starts the block scalar header
// around off, on off's line, or -1.
func (t *text) blockHeaderAt(off int) int {
	if off < 0 || off >= len(t.data) {
		return -1
	}
	for i := off; i >= t.lineOf(off); i-- {
		if t.data[i] == '|' || t.data[i] == '>' {
			return i
		}
		if t.data[i] == ' ' {
			return -1
		}
	}
	return -1
}

// tabBefore reports a tab in the indentation of off's line.
func (t *text) tabBefore(off int) (line, col int, ok bool) {
	if off < 0 || off > len(t.data) {
		return 0, 0, false
	}
	for i := t.lineOf(off); i < len(t.data) && i <= off; i++ {
		switch t.data[i] {
		case '\t':
			l, c := t.position(i)
			return l, c, true
		case ' ':
		default:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// tokenStart moves back from off to the start of its token.
func (t *text) tokenStart(off int) int {
	if off < 0 || off >= len(t.data) {
		return off
	}
	for off > 0 && !strings.ContainsRune(" \t\r\n[{,", rune(t.data[off-1])) && !breakBefore(t.data, off) {
		off--
	}
	return off
}

// keyStart moves off from the ":" after a key (which go-yaml only
// recognises once it sees the ":") to the start of that key's line.
func (t *text) keyStart(off int) int {
	if off < 0 || off >= len(t.data) || t.data[off] != ':' {
		return off
	}
	l, _ := t.position(off)
	return t.lineStart(l) + t.firstNonBlank(l) - 1
}

// keyColumn is the column of the first key on line n: its first non-blank
// character after any list item markers.
func (t *text) keyColumn(n int) int {
	start := t.lineStart(n)
	if start < 0 {
		return 0
	}
	data := t.data
	i := start
	for i < len(data) && (data[i] == ' ' || (data[i] == '-' && i+1 < len(data) && data[i+1] == ' ')) {
		i++
	}
	_, c := t.position(i)
	return c
}

// aliasAt finds the first alias *name in the text: a "*" that starts a
// token and is followed by exactly name. It is -1 when there is none.
func (t *text) aliasAt(name string) int {
	data := t.data
	want := "*" + name
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte(want))
		if j < 0 {
			return -1
		}
		j += i
		end := j + len(want)
		startsToken := j == 0 || strings.ContainsRune(" \t\r\n[{,", rune(data[j-1])) || breakBefore(data, j)
		endsToken := end == len(data) || strings.ContainsRune(" \t\r\n]},", rune(data[end])) || breakAt(data, end) > 0
		if startsToken && endsToken {
			return j
		}
		i = j + 1
	}
}

// around finds, above line n, the nearest line indented less than col and
// the nearest line between the two indented more: a line at col that
// lines up with neither sits between them. ok is false when a line above
// is indented exactly col first, or either line is missing.
func (t *text) around(n, col int) (lo, loCol, hi, hiCol int, ok bool) {
	for i := min(n-1, len(t.starts)); i >= 1; i-- {
		line := t.line(i)
		text := bytes.TrimLeft(line, " ")
		if len(bytes.TrimSpace(text)) == 0 || text[0] == '#' {
			continue
		}
		c := len(line) - len(text) + 1
		switch {
		case c == col:
			return 0, 0, 0, 0, false
		case c > col && hi == 0:
			hi, hiCol = i, c
		case c < col:
			return i, c, hi, hiCol, hi != 0
		}
	}
	return 0, 0, 0, 0, false
}
