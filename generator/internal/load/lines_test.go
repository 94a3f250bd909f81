package load_test

import (
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator/internal/load"
)

// lineBreaks are the line ends go-yaml knows. A file means the same and
// has its problems at the same lines and columns whichever it uses.
var lineBreaks = []struct{ name, br string }{
	{"LF", "\n"}, {"CRLF", "\r\n"}, {"CR", "\r"}, {"NEL", "\u0085"}, {"LS", "\u2028"}, {"PS", "\u2029"},
}

func TestLineBreaks(t *testing.T) {
	tests := []struct {
		name, content, want string // content with "\n", replaced by each line break
	}{
		{"fuzz: a key without its colon on the second line", ": \n0",
			`2:1: this key has no ":" after it on the same line; write "key: value", or put a value that spans lines in quotes`},
		{"mapping value in a plain value", "action: x\ndescription: a: b\n",
			`2:15: ":" is not allowed here: put a value that contains ": " in quotes, and start a nested mapping on a new line, indented under its key`},
		{"unclosed flow sequence", "action: x\ndescription: [unclosed\nidentifiers:\n - user\n",
			`2:14: flow sequence opened here is not closed with "]" (separate its items with ",")`},
		{"unclosed flow mapping", "action: x\nadditional_properties: {label: {description: x}\nstatus: active\n",
			`2:24: flow mapping opened here is not closed with "}" (separate its items with ",")`},
		{"bracket in a comment", "action: x\nx: [a, b # ]\ny: z\n",
			`2:4: flow sequence opened here is not closed with "]" (separate its items with ",")`},
		{"unclosed double quote", "action: x\ndescription: \"unclosed\nstatus: active\n",
			`2:14: double-quoted string opened here is not closed with '"'`},
		{"bad indentation", "action: x\nadditional_properties:\n  label:\n    description: x\n   value:\n",
			`5:4: bad indentation: key "value" is at column 4, between the indentation of line 3 (column 3) and line 4 (column 5); indent it like one of them`},
		{"key inside a list", "action: x\nidentifiers:\n  - user\n  status: active\n",
			`4:3: expected another list item ("- ") of the list that starts on line 3, found key "status"; a key after the list must be indented like the key the list belongs to`},
		{"list item among keys", "action: x\n- user\n",
			`2:1: a list item ("- ") cannot follow the keys of a mapping at their indentation; put the list under a key ("key:" on the line before, items indented)`},
		{"tab in indentation", "action: x\nadditional_properties:\n\tlabel:\n",
			`3:1: tab character in indentation; YAML indents with spaces only`},
		{"unknown escape", "action: x\ndescription: \"a\\qb\"\n",
			`2:16: unknown escape \q in a double-quoted string; allowed are \0 \a \b \t \n \v \f \r \e \" \/ \\ \N \_ \L \P \xXX \uXXXX \UXXXXXXXX, "\" before a space or a line break, or single quotes instead`},
		{"invalid block scalar header", "action: x\ndescription: |x\n  text\n",
			`2:14: invalid block scalar header "|x": after "|" or ">" only a chomping indicator ("-" or "+") and an indentation digit (1-9) may follow, then a comment or a line break`},
		{"undefined tag handle", "action: x\ndescription: !foo!bar x\n",
			`2:14: undefined tag handle in "!foo!bar": only "!" and "!!" are predefined; declare others with a %TAG directive`},
		{"alias before its anchor", "action: x\ndescription: *d\nx: &d text\n",
			`2:14: alias *d comes before its anchor &d (or there is none); define &d first`},
		{"document marker in a quoted string", "action: \"x\n---\ny\"\n",
			`2:1: document marker "---" inside a quoted string opened on line 1; close the string before it, or indent this line`},
		{"unknown directive after line 1", "# comment\n%FOO bar\n---\naction: x\n",
			`2:1: unknown directive: YAML has only %YAML and %TAG; put a value that starts with "%" in quotes`},
		{"control character", "action: x\ndescription: a\x01\n",
			`2:15: control character U+0001 is not allowed; YAML text may hold printable characters, tabs and line breaks only`},
		{"invalid UTF-8", "action: x\ndescription: caf\xe9\n",
			`2:17: invalid UTF-8 (byte 0xe9); definition files must be UTF-8 text`},
		{"duplicate key", "action: a\ndescription: x\naction: b\n",
			`3:1: duplicate key "action" (first at line 1)`},
		{"second document", "action: a\n---\naction: b\n",
			`2:1: a second YAML document starts here; a definition file holds exactly one`},
		{"content after the document end", "action: a\n...\ndescription: x\n",
			`3:1: expected "---" before key "description": only a directive or a document marker may follow "..."`},
	}
	for _, tt := range tests {
		for _, lb := range lineBreaks {
			t.Run(tt.name+"/"+lb.name, func(t *testing.T) {
				content := strings.ReplaceAll(tt.content, "\n", lb.br)
				doc, diags := load.Parse("events/bad.yml", []byte(content))
				if doc != nil || len(diags) != 1 {
					t.Fatalf("got a document and %d diagnostics %v, want one diagnostic", len(diags), diags)
				}
				if got, want := diags[0].String(), "events/bad.yml:"+tt.want; got != want {
					t.Errorf("\n got: %s\nwant: %s", got, want)
				}
			})
		}
	}
}
