package load_test

import (
	"fmt"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator/internal/load"
)

// TestSyntaxErrors checks that every kind of YAML syntax error is reported
// at the line and column of its cause, with a message that says what is
// allowed there.
func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		// Constructs left open are reported where they were opened.
		{"unclosed flow sequence", "action: foo\ndescription: [unclosed\nidentifiers:\n - user\n",
			`2:14: flow sequence opened here is not closed with "]" (separate its items with ",")`},
		{"unclosed flow sequence on line 1", "action: [a, b\ndescription: x\n",
			`1:9: flow sequence opened here is not closed with "]" (separate its items with ",")`},
		{"unclosed flow sequence at the end", "action: x\nidentifiers: [user,\n",
			`2:14: flow sequence opened here is not closed with "]" (separate its items with ",")`},
		{"empty flow sequence at the end", "action: [\n",
			`1:9: flow sequence opened here is not closed with "]" (separate its items with ",")`},
		{"unclosed outer flow sequence", "action: x\nx: [a, [b,\n  c], d\ny: z\n",
			`2:4: flow sequence opened here is not closed with "]" (separate its items with ",")`},
		{"unclosed inner flow sequence", "action: x\nx: [a, [b, c\ny: z\n",
			`2:8: flow sequence opened here is not closed with "]" (separate its items with ",")`},
		{"flow sequence closed with a brace", "action: x\nidentifiers: [user, project}\n",
			`2:14: flow sequence opened here is not closed with "]" (separate its items with ",")`},
		{"brackets in quotes and comments", "action: x\nx: [a, 'b]', \"c\\\"]\", d # ]\n",
			`2:4: flow sequence opened here is not closed with "]" (separate its items with ",")`},
		{"unclosed flow mapping", "action: x\nadditional_properties: {label: {description: x}\nstatus: active\n",
			`2:24: flow mapping opened here is not closed with "}" (separate its items with ",")`},
		{"flow mapping closed with a bracket", "action: x\nb: {c: d]\n",
			`2:4: flow mapping opened here is not closed with "}" (separate its items with ",")`},
		{"unclosed double quote", "action: x\ndescription: \"unclosed\nstatus: active\n",
			`2:14: double-quoted string opened here is not closed with '"'`},
		{"unclosed double quote on line 1", "\"action: x\n",
			`1:1: double-quoted string opened here is not closed with '"'`},
		{"unclosed single quote", "action: x\ndescription: 'it''s\nstatus: active\n",
			`2:14: single-quoted string opened here is not closed with "'"`},
		{"document marker in a quoted string", "action: \"x\n---\ny\"\n",
			`2:1: document marker "---" inside a quoted string opened on line 1; close the string before it, or indent this line`},

		// Indentation.
		{"bad indentation", "action: x\nadditional_properties:\n  label:\n    description: x\n   value:\n",
			`5:4: bad indentation: key "value" is at column 4, between the indentation of line 3 (column 3) and line 4 (column 5); indent it like one of them`},
		{"key without value at the wrong indent", "action: x\nadditional_properties:\n  label:\n description\n",
			`4:2: bad indentation: "description" is at column 2, between the indentation of line 2 (column 1) and line 3 (column 3); indent it like one of them`},
		{"bad indentation after a block scalar", "action: x\ndescription: >\n  text\n\n # note\n more\n",
			`6:2: bad indentation: "more" is at column 2, between the indentation of line 2 (column 1) and line 3 (column 3); indent it like one of them`},
		{"key without colon", "action: x\nadditional_properties:\n  label:\n    description: x\n  value\n",
			`5:3: this key has no ":" after it on the same line; write "key: value", or put a value that spans lines in quotes`},
		{"list item at the wrong indent", "action: x\nidentifiers:\n  - user\n - project\n",
			`4:2: bad indentation: a list item ("- ") is at column 2, between the indentation of line 2 (column 1) and line 3 (column 3); indent it like one of them`},
		{"list item among keys", "action: x\n- user\n",
			`2:1: a list item ("- ") cannot follow the keys of a mapping at their indentation; put the list under a key ("key:" on the line before, items indented)`},
		{"key inside a list", "action: x\nidentifiers:\n  - user\n  status: active\n",
			`4:3: expected another list item ("- ") of the list that starts on line 3, found key "status"; a key after the list must be indented like the key the list belongs to`},
		{"indented key after a value", "action: x\ndescription: x\n  identifiers: [user]\n",
			`3:14: ":" is not allowed here: put a value that contains ": " in quotes, and start a nested mapping on a new line, indented under its key`},
		{"tab in indentation", "action: x\nadditional_properties:\n\tlabel:\n",
			`3:1: tab character in indentation; YAML indents with spaces only`},
		{"tab in block scalar indentation", "action: x\ndescription: >\n  text\n\tmore\n",
			`4:1: tab character in indentation; YAML indents with spaces only`},

		// Characters that cannot be where they are.
		{"mapping value in a plain value", "action: a: b\n",
			`1:10: ":" is not allowed here: put a value that contains ": " in quotes, and start a nested mapping on a new line, indented under its key`},
		{"list item after a key", "action: x\ndescription: - a\n",
			`2:14: a list item ("- ") cannot start here: start the list on a new line, indented under its key`},
		{"at sign", "action: x\ndescription: @mention\n",
			`2:14: "@" cannot start a value (YAML reserves it); put the value in quotes`},
		{"backtick", "action: x\ndescription: `code`\n",
			"2:14: \"`\" cannot start a value (YAML reserves it); put the value in quotes"},
		{"percent", "action: x\ndescription: %d\n",
			`2:14: "%" cannot start a value here; put the value in quotes`},
		{"block scalar in a flow sequence", "action: x\nx: [a, |\n",
			`2:8: "|" would start a block scalar, which cannot be inside [...] or {...}; put the value in quotes`},
		{"text after a quoted value", "action: x\ndescription: 'a' b\n",
			`2:18: unexpected "b" after a value; a line holds one "key: value" (put a value that contains it in quotes)`},
		{"closing bracket without opening", "action: x\nidentifiers: [user]]\n",
			`2:20: "]" closes nothing: there is no open "[" before it`},
		{"control character", "action: a\x01\n",
			`1:10: control character U+0001 is not allowed; YAML text may hold printable characters, tabs and line breaks only`},

		// Escapes in double quotes.
		{"unknown escape", "action: x\ndescription: \"a\\qb\"\n",
			`2:16: unknown escape \q in a double-quoted string; allowed are \0 \a \b \t \n \v \f \r \e \" \/ \\ \N \_ \L \P \xXX \uXXXX \UXXXXXXXX, "\" before a space or a line break, or single quotes instead`},
		{"short hex escape", "action: x\ndescription: \"caf\\xe\"\n",
			`2:18: escape \xe needs 2 hexadecimal digits (write a backslash as \\, or use single quotes)`},
		{"backslash before a letter", "action: x\ndescription: \"C:\\Users\"\n",
			`2:17: escape \U needs 8 hexadecimal digits (write a backslash as \\, or use single quotes)`},
		{"surrogate escape", "action: \"\\uD800\"\n",
			`1:10: escape \uD800 is not a valid Unicode character`},

		// Block scalars, anchors, tags, directives, documents.
		{"invalid block scalar header", "action: x\ndescription: |x\n  text\n",
			`2:14: invalid block scalar header "|x": after "|" or ">" only a chomping indicator ("-" or "+") and an indentation digit (1-9) may follow, then a comment or a line break`},
		{"two chomping indicators", "action: x\ndescription: >-+\n  text\n",
			`2:14: invalid block scalar header ">-+": after "|" or ">" only a chomping indicator ("-" or "+") and an indentation digit (1-9) may follow, then a comment or a line break`},
		{"indentation indicator 0", "action: x\ndescription: |0\n  text\n",
			`2:14: invalid block scalar header "|0": the indentation digit must be 1-9, not 0`},
		{"alias before its anchor", "action: x\ndescription: *d\nx: &d text\n",
			`2:14: alias *d comes before its anchor &d (or there is none); define &d first`},
		{"anchor without a name", "action: x\ndescription: & x\n",
			`2:14: "&" must be followed by the name of an anchor: letters, digits, "-" or "_"`},
		{"undefined tag handle", "action: x\ndescription: !foo!bar x\n",
			`2:14: undefined tag handle in "!foo!bar": only "!" and "!!" are predefined; declare others with a %TAG directive`},
		{"unclosed verbatim tag", "action: x\ndescription: !<foo x\n",
			`2:16: verbatim tag "!<" is not closed with ">"`},
		{"unknown directive", "%FOO bar\n---\naction: x\n",
			`1:1: unknown directive: YAML has only %YAML and %TAG; put a value that starts with "%" in quotes`},
		{"unknown directive after line 1", "# comment\n%FOO bar\n---\naction: x\n",
			`2:1: unknown directive: YAML has only %YAML and %TAG; put a value that starts with "%" in quotes`},
		{"unsupported YAML version", "%YAML 2.0\n---\naction: x\n",
			`1:1: unsupported YAML version: the only %YAML directive accepted is %YAML 1.1 (or leave it out)`},
		{"byte order mark", "\ufeffaction: a: b\n",
			`1:10: ":" is not allowed here: put a value that contains ": " in quotes, and start a nested mapping on a new line, indented under its key`},
		{"mismatched nested brackets", "action: x\nidentifiers: [user, {a: b]\n",
			`2:21: flow mapping opened here is not closed with "}" (separate its items with ",")`},
		{"duplicate document markers", "---\n---\naction: x\n",
			`2:1: a second YAML document starts here; a definition file holds exactly one`},
		{"content after document end", "action: x\n...\ndescription: x\n",
			`3:1: expected "---" before key "description": only a directive or a document marker may follow "..."`},
		{"empty entry in a flow sequence", "action: x\nidentifiers: [, user]\n",
			`2:15: expected a value, found ","`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, diags := load.Parse("events/bad.yml", []byte(tt.content))
			if doc != nil || len(diags) != 1 {
				t.Fatalf("got a document and %d diagnostics %v, want one diagnostic", len(diags), diags)
			}
			if got, want := diags[0].String(), "events/bad.yml:"+tt.want; got != want {
				t.Errorf("\n got: %s\nwant: %s", got, want)
			}
			if diags[0].Rule != "yaml" {
				t.Errorf("rule %q, want yaml", diags[0].Rule)
			}
		})
	}
}

func ExampleSyntaxError() {
	data := []byte("action: issue_created\ndescription: [unclosed\nidentifiers:\n  - user\n")
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		fmt.Println("go-yaml:  ", err)
		fmt.Println("usagekit:", load.SyntaxError("events/issue_created.yml", data, err))
	}
	// Output:
	// go-yaml:   yaml: line 1: did not find expected ',' or ']'
	// usagekit: events/issue_created.yml:2:14: flow sequence opened here is not closed with "]" (separate its items with ",")
}

// BenchmarkSyntaxError measures reporting one syntax error in a file of a
// typical definition's size (the error path only; valid files never reach
// it).
func BenchmarkSyntaxError(b *testing.B) {
	data := []byte("action: issue_created\ndescription: An issue is created\nidentifiers:\n  - user\n  - project\n" +
		"additional_properties:\n  label:\n    description: the issue's type\n   value:\n" +
		"product_group: project_management\nmilestone: \"16.4\"\ntiers: [free, premium, ultimate]\n")
	b.ReportAllocs()
	for b.Loop() {
		if doc, diags := load.Parse("events/issue_created.yml", data); doc != nil || diags[0].Col == 0 {
			b.Fatal(diags)
		}
	}
}
