package emit

import (
	"fmt"
	"go/token"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/model"
)

// initialisms are written in capitals inside Go names, as golint and the
// standard library do (UserID, not UserId).
var initialisms = map[string]string{
	"api": "API", "ci": "CI", "cpu": "CPU", "db": "DB", "dns": "DNS", "hll": "HLL", "html": "HTML", "http": "HTTP",
	"https": "HTTPS", "id": "ID", "ide": "IDE", "ids": "IDs", "ip": "IP", "json": "JSON", "ldap": "LDAP", "sha": "SHA",
	"sql": "SQL", "ssh": "SSH", "ssl": "SSL", "tls": "TLS", "ui": "UI", "uri": "URI", "url": "URL",
	"uuid": "UUID", "xml": "XML", "yaml": "YAML",
}

// GoName turns a definition name (an event action, a metric key path, a
// property name or an enum value) into an exported Go identifier: every run
// of characters that are neither letters nor digits separates words, each
// word starts with a capital (known initialisms are all capitals), and a name
// that would not start with an upper-case letter (a leading digit, a letter
// without case) gets the prefix X. It returns "" when s has no letter or
// digit at all. The mapping is deterministic and not injective: callers
// detect two names mapping to one identifier and report it.
func GoName(s string) string {
	var b strings.Builder
	for part := range strings.FieldsFuncSeq(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if up, ok := initialisms[strings.ToLower(part)]; ok {
			b.WriteString(up)
			continue
		}
		r, n := utf8.DecodeRuneInString(part)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(part[n:])
	}
	name := b.String()
	if name == "" {
		return ""
	}
	if r, _ := utf8.DecodeRuneInString(name); !unicode.IsUpper(r) {
		name = "X" + name
	}
	// Exported names never collide with keywords, which are lower case; the
	// check guards the rules above against a future change.
	if !token.IsIdentifier(name) || !token.IsExported(name) {
		return ""
	}
	return name
}

// origin says where a Go name came from, for collision reports.
type origin struct {
	pos  model.Pos
	what string // e.g. `event "create_issue"`
}

func (o origin) String() string {
	if o.pos.File == "" {
		return o.what
	}
	return fmt.Sprintf("%s (%s:%d:%d)", o.what, o.pos.File, o.pos.Line, o.pos.Col)
}

// scope is one Go name space (the package block, or the fields of one
// struct). The first definition to claim a name keeps it; a later one gets a
// positioned error naming both, never a silent rename.
type scope struct {
	kind  string // "package", "struct field"
	seen  map[string]origin
	diags *diag.List
}

func newScope(kind string, diags *diag.List) *scope {
	return &scope{kind: kind, seen: map[string]origin{}, diags: diags}
}

// claim reserves name for o, reporting a collision or an unusable name at
// o's position. It reports whether the name is o's.
func (s *scope) claim(name string, o origin, source string) bool {
	if name == "" {
		s.diags.Add(o.pos.File, o.pos.Line, o.pos.Col, "go-name",
			"%s: cannot form a Go name from %q (it has no letter or digit)", o.what, source)
		return false
	}
	if prev, ok := s.seen[name]; ok {
		s.diags.Add(o.pos.File, o.pos.Line, o.pos.Col, "go-name",
			"%s maps to the Go %s name %s, already used by %s; rename one of them", o.what, s.kind, name, prev)
		return false
	}
	s.seen[name] = o
	return true
}
