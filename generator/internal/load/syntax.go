package load

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/usagekit/usagekit/generator/diag"
)

// SyntaxError turns the error go-yaml returned for data into a diagnostic
// at the line and column of its cause, with a message that says what YAML
// allows there.
//
// go-yaml's errors carry a line only, and not always the right one: a
// parser error prints the 0-based line of the construct being parsed, a
// scanner error the 1-based one, and neither prints a line when both
// positions are on the first line. SyntaxError therefore parses data again
// behind a blank line, so every position is past the first line and the
// printed line is always there, and corrects it by the kind of error (the
// message says which). The column comes from the shortest prefix of data
// that fails the same way: the last character of that prefix is where
// go-yaml gave up. A construct left open (a quote, a bracket) is reported
// where it was opened.
func SyntaxError(path string, data []byte, err error) diag.Diagnostic {
	d, _ := placeSyntaxError(path, data, err, true)
	return d
}

// placeSyntaxError is SyntaxError, with or without restarts in the search (see
// syntax), returning the search for its cost.
func placeSyntaxError(path string, data []byte, err error, learn bool) (diag.Diagnostic, *syntax) {
	d := diag.Diagnostic{Path: path, Rule: "yaml"}
	t := newText(data)
	orig := splitError(err)
	if off, ok := controlChar(data); ok && orig.msg == "control characters are not allowed" {
		r, _ := utf8.DecodeRune(data[off:])
		d.Line, d.Col = t.position(off)
		d.Message = fmt.Sprintf("control character %U is not allowed; YAML text may hold printable characters, tabs and line breaks only", r)
		return d, nil
	}
	s := newSyntax(t)
	s.learn = learn
	f, failed := s.whole()
	if !failed || f.msg != orig.msg {
		// The blank line changed the outcome, which only an unusual input
		// can do: report go-yaml's own words at the start of its line.
		d.Line, d.Col = orig.line, 1
		if d.Line == 0 {
			d.Line = 1
		}
		d.Message = "invalid YAML: " + orig.msg
		return d, s
	}
	line := f.line // the line in data (go-yaml's numbering behind the blank line)
	if !parserMessages[f.msg] {
		line-- // scanner errors count from 1
	}
	// data[:end] fails as data does; data[end-1] is the trigger. It is not
	// before the line go-yaml names, which narrows the search.
	end := s.shortest(max(t.lineStart(line), 0))
	at := end - 1
	if at < 0 || at >= len(data) {
		at = -1
	}
	d.Line, d.Col, d.Message = explain(t, f.msg, line, at)
	if d.Line <= 0 {
		d.Line, d.Col = 1, 1
	}
	if d.Col <= 0 {
		d.Col = t.firstNonBlank(d.Line)
	}
	return d, s
}

// failure is a go-yaml error: its message and the line it printed (0 when
// it printed none).
type failure struct {
	msg  string
	line int
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func splitError(err error) failure {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return failure{m[2], n}
	}
	return failure{strings.TrimPrefix(msg, "yaml: "), 0}
}

// parserMessages are the errors of go-yaml's parser (parserc.go), which
// print 0-based lines; every other positioned error comes from its scanner
// (scannerc.go) and prints 1-based lines.
var parserMessages = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
	"found undefined tag handle":             true,
	"did not find expected key":              true,
	"did not find expected '-' indicator":    true,
	"did not find expected node content":     true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
}

// controlChar finds the first character go-yaml's reader refuses.
func controlChar(data []byte) (int, bool) {
	for i, r := range string(data) {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		case r >= 0x20 && r <= 0x7e:
		case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
		default:
			return i, true
		}
	}
	return 0, false
}
