package load

import (
	"iter"
	"strings"
)

// JSON pointers (RFC 6901) are how schema errors name the value they are
// about ("/events/0/filter/a~1b"); these helpers are the one place that
// encodes and decodes them.

// SplitPointer yields the reference tokens of a JSON pointer, unescaped:
// "/events/0/filter/a~1b" yields events, 0, filter and a/b. The empty
// pointer, which names the whole document, yields nothing; "/" yields the
// empty key.
func SplitPointer(ptr string) iter.Seq[string] {
	return func(yield func(string) bool) {
		if ptr == "" {
			return
		}
		for tok := range strings.SplitSeq(strings.TrimPrefix(ptr, "/"), "/") {
			if !yield(unescapeToken(tok)) {
				return
			}
		}
	}
}

// PointerToken escapes a mapping key for use as one token of a JSON
// pointer: "~" becomes "~0" and "/" becomes "~1".
func PointerToken(key string) string {
	if !strings.ContainsAny(key, "~/") {
		return key
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
}

// unescapeToken undoes PointerToken. "~1" is replaced first, so "~01"
// stays the key "~1" as RFC 6901 requires.
func unescapeToken(tok string) string {
	if !strings.Contains(tok, "~") {
		return tok
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}
