package emit

import (
	"strings"

	"github.com/dave/jennifer/jen"
)

// docComment renders paragraphs as a // comment, one line at a time: a
// newline, "*/" or a backtick in a description can neither end the comment
// nor start code. Empty paragraphs are skipped.
func docComment(paras ...string) *jen.Statement {
	s := jen.Null()
	first := true
	for _, p := range paras {
		lines := commentLines(p)
		if len(lines) == 0 {
			continue
		}
		if !first {
			s.Comment("//").Line()
		}
		first = false
		for _, l := range lines {
			if l == "" {
				s.Comment("//").Line()
			} else {
				// Starting with "//" makes jennifer write the text as is.
				s.Comment("// " + l).Line()
			}
		}
	}
	return s
}

// commentLines splits text into lines without control characters or
// trailing blanks, dropping leading and trailing empty lines.
func commentLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	var out []string
	for l := range strings.SplitSeq(text, "\n") {
		l = strings.TrimRight(strings.Map(commentRune, l), " \t")
		out = append(out, l)
	}
	for len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// commentRune keeps tabs (they may indent a code block in a description)
// and replaces other control characters.
func commentRune(r rune) rune {
	if r == '\t' {
		return r
	}
	return printable(r)
}

// userText prepares a description from a definition for a doc comment: a
// line starting "Deprecated:" would mark the Go symbol deprecated, which
// only the definition's lifecycle fields may do, so its colon becomes " -".
func userText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		t := strings.TrimLeft(l, " \t")
		if rest, ok := strings.CutPrefix(t, "Deprecated:"); ok {
			lines[i] = l[:len(l)-len(t)] + "Deprecated -" + rest
		}
	}
	return strings.Join(lines, "\n")
}
