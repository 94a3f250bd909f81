package emit

import (
	"go/doc/comment"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dave/jennifer/jen"
)

// docComment renders paragraphs as a // comment, one line at a time: a
// newline, "*/" or a backtick in a description can neither end the comment
// nor start code. Empty paragraphs are skipped.
//
// The lines are those gofmt would write: gofmt reformats doc comments
// (go/doc/comment), so text it reads as a list or a code block is written
// in its form here, and formatting the generated file again changes
// nothing. A description is never a heading: a paragraph gofmt would turn
// into one keeps its text and ends with a period.
func docComment(paras ...string) *jen.Statement {
	var text strings.Builder
	for _, p := range paras {
		lines := commentLines(p)
		if len(lines) == 0 {
			continue
		}
		if text.Len() > 0 {
			text.WriteByte('\n')
		}
		for _, l := range lines {
			text.WriteString(l)
			text.WriteByte('\n')
		}
	}
	s := jen.Null()
	for _, l := range gofmtLines(text.String()) {
		// Starting with "//" makes jennifer write the line as is.
		s.Comment(l).Line()
	}
	return s
}

// gofmtLines returns the // lines of a doc comment holding text, in the
// form gofmt gives doc comments, with headings made paragraphs.
func gofmtLines(text string) []string {
	if text == "" {
		return nil
	}
	// Printing can set a line apart that was not before (after a code
	// block), and gofmt would then read it as a heading: reformat until
	// nothing changes. Each round that changes the text turns a heading
	// into a paragraph for good, so few rounds are ever needed. Most
	// comments are plain paragraphs, which need no round at all.
	for i := 0; i < 16 && !plainText(text); i++ {
		next := reformat(text)
		if next == text {
			break
		}
		text = next
	}
	var lines []string
	for l := range strings.SplitSeq(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case l == "":
			lines = append(lines, "//")
		case strings.HasPrefix(l, "\t"):
			lines = append(lines, "//"+l)
		default:
			lines = append(lines, "// "+l)
		}
	}
	return lines
}

// plainText reports whether text is plain paragraphs that go/doc/comment
// prints back unchanged, so parsing can be skipped: no doubled quote marks,
// no line starting with a space, a tab or a character that may start a
// heading, list or link definition, paragraphs separated by single blank
// lines, and no paragraph but the first a single line ending in a letter or
// digit (what gofmt may take for a heading). It errs on the side of false.
func plainText(text string) bool {
	if strings.Contains(text, "``") || strings.Contains(text, "''") {
		return false // printed as typographic quotes
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	start := 0 // first line of the current paragraph
	for i, l := range lines {
		if l == "" {
			if i == start {
				return false // a blank line first, or two in a row
			}
			if !paragraphEnd(lines, start, i) {
				return false
			}
			start = i + 1
			continue
		}
		switch r, _ := utf8.DecodeRuneInString(l); {
		case r == ' ' || r == '\t' || r == '#' || r == '[' || r == '-' || r == '*' || r == '+',
			unicode.IsDigit(r), r >= utf8.RuneSelf:
			return false
		}
	}
	return start < len(lines) && paragraphEnd(lines, start, len(lines))
}

// paragraphEnd reports whether the paragraph lines[start:end] cannot be read
// as a heading.
func paragraphEnd(lines []string, start, end int) bool {
	if start == 0 || end-start > 1 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(lines[start])
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// reformat parses text as a doc comment and prints it back as gofmt does
// (go/printer uses go/doc/comment the same way), with every heading made a
// paragraph.
func reformat(text string) string {
	var p comment.Parser
	doc := p.Parse(text)
	for i, b := range doc.Content {
		if h, ok := b.(*comment.Heading); ok {
			doc.Content[i] = headingParagraph(h)
		}
	}
	var pr comment.Printer
	return string(pr.Comment(doc))
}

// headingParagraph turns a heading back into the paragraph it was written
// as, ending it with a period when it ends in a letter or digit, so that it
// is not read as a heading again: a single line without final punctuation
// between paragraphs is an implicit heading.
func headingParagraph(h *comment.Heading) *comment.Paragraph {
	text := append([]comment.Text(nil), h.Text...)
	var last string
	if n := len(text); n > 0 {
		if p, ok := text[n-1].(comment.Plain); ok {
			last = string(p)
		}
	}
	if r, _ := utf8.DecodeLastRuneInString(last); unicode.IsLetter(r) || unicode.IsDigit(r) {
		text = append(text, comment.Plain("."))
	}
	return &comment.Paragraph{Text: text}
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
