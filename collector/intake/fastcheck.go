package intake

import (
	"bytes"
	"encoding/json"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// fastSchema answers, in one pass over a payload's bytes, whether it
// certainly fits the payload schema: decoding a ping of 2,000 metrics into
// maps and validating them costs about 2 ms, as much Go as storing it, and
// nearly every ping fits. It understands the keywords a payload schema is
// made of (type, properties, additionalProperties, required, anyOf, const,
// minLength, format) and nothing else: compileFast gives none for a schema
// with any other, and a payload it cannot vouch for (an escaped name, a
// member given twice, a value that does not fit) goes through the full
// validation, which finds the problems and words them. So the fast path
// only ever skips a validation that would have found nothing.
type fastSchema struct {
	types      uint8 // a bit per fastKind; 0 accepts every kind
	properties map[string]int
	children   []*fastSchema // by properties' index
	noOthers   bool          // additionalProperties: false
	required   []int         // indexes into children
	anyOf      []*fastSchema // leaves: no properties of their own
	constant   *big.Rat      // a const number
	minLength  int
	format     func(any) bool
}

// fastKind is the kind of a JSON value.
type fastKind uint8

const (
	kindObject fastKind = iota
	kindArray
	kindString
	kindNumber
	kindBoolean
	kindNull
)

var fastTypes = map[string]fastKind{
	"object": kindObject, "array": kindArray, "string": kindString,
	"number": kindNumber, "boolean": kindBoolean, "null": kindNull,
}

// compileFast returns the fast form of s, or nil when s uses a keyword
// it does not understand.
func compileFast(s *jsonschema.Schema) *fastSchema {
	if s == nil || !plain(s) {
		return nil
	}
	f := &fastSchema{minLength: max(s.MinLength, 0)}
	for _, t := range s.Types {
		k, ok := fastTypes[t]
		if !ok {
			return nil // integer: 1.0 is one, a number check is not enough
		}
		f.types |= 1 << k
	}
	if s.Format != "" {
		if f.format = jsonschema.Formats[s.Format]; f.format == nil {
			return nil
		}
	}
	if len(s.Constant) > 0 {
		var ok bool
		switch c := s.Constant[0].(type) {
		case json.Number:
			f.constant, ok = new(big.Rat).SetString(string(c))
		case float64:
			f.constant, ok = new(big.Rat).SetString(strconv.FormatFloat(c, 'g', -1, 64))
		}
		if !ok {
			return nil // a constant string, list or object
		}
	}
	switch a := s.AdditionalProperties.(type) {
	case nil:
	case bool:
		f.noOthers = !a
	default:
		return nil // a schema for the other members
	}
	if len(s.Properties) > 0 {
		f.properties = make(map[string]int, len(s.Properties))
		for name, p := range s.Properties {
			c := compileFast(p)
			if c == nil {
				return nil
			}
			f.properties[name] = len(f.children)
			f.children = append(f.children, c)
		}
	}
	for _, name := range s.Required {
		i, ok := f.properties[name]
		if !ok {
			return nil
		}
		f.required = append(f.required, i)
	}
	for _, alt := range s.AnyOf {
		c := compileFast(alt)
		if c == nil || c.properties != nil || c.noOthers || len(c.required) > 0 || len(c.anyOf) > 0 {
			return nil
		}
		f.anyOf = append(f.anyOf, c)
	}
	return f
}

// plain reports whether s uses only the keywords fastSchema understands.
func plain(s *jsonschema.Schema) bool {
	return s.Always == nil && s.Ref == nil && s.RecursiveRef == nil && s.DynamicRef == nil &&
		len(s.Enum) == 0 && s.Not == nil && len(s.AllOf) == 0 && len(s.OneOf) == 0 && s.If == nil &&
		s.MinProperties <= 0 && s.MaxProperties < 0 && s.PropertyNames == nil && len(s.PatternProperties) == 0 &&
		len(s.Dependencies) == 0 && len(s.DependentRequired) == 0 && len(s.DependentSchemas) == 0 &&
		s.UnevaluatedProperties == nil &&
		s.MinItems <= 0 && s.MaxItems < 0 && !s.UniqueItems && s.Items == nil && s.AdditionalItems == nil &&
		len(s.PrefixItems) == 0 && s.Items2020 == nil && s.Contains == nil && s.UnevaluatedItems == nil &&
		s.MaxLength < 0 && s.Pattern == nil && s.ContentEncoding == "" && s.ContentMediaType == "" && s.ContentSchema == nil &&
		s.Minimum == nil && s.ExclusiveMinimum == nil && s.Maximum == nil && s.ExclusiveMaximum == nil && s.MultipleOf == nil &&
		len(s.Extensions) == 0
}

// fits reports whether payload, valid JSON, certainly fits f.
func (f *fastSchema) fits(payload []byte) bool {
	r := fastReader{data: payload}
	r.space()
	ok := r.value(f, 0)
	r.space()
	return ok && r.i == len(r.data)
}

// fastReader walks valid JSON; every method returns false as soon as the
// payload is not certainly fitting, or not as it expects.
type fastReader struct {
	data []byte
	i    int
}

// maxFastDepth bounds the nesting the fast path follows; deeper payloads
// go through the full validation.
const maxFastDepth = 64

func (r *fastReader) space() {
	for r.i < len(r.data) {
		switch r.data[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// value reads one value, which must fit f (nil: anything).
func (r *fastReader) value(f *fastSchema, depth int) bool {
	if r.i >= len(r.data) || depth > maxFastDepth {
		return false
	}
	start := r.i
	var kind fastKind
	switch c := r.data[r.i]; {
	case c == '{':
		kind = kindObject
	case c == '[':
		kind = kindArray
	case c == '"':
		kind = kindString
	case c == 't' || c == 'f':
		kind = kindBoolean
	case c == 'n':
		kind = kindNull
	default:
		kind = kindNumber
	}
	if f == nil {
		return r.skip(kind) && (kind != kindNumber || inRange(r.data[start:r.i]))
	}
	if f.types != 0 && f.types&(1<<kind) == 0 {
		return false
	}
	if kind == kindObject && (f.properties != nil || f.noOthers || len(f.required) > 0) {
		if !r.object(f, depth) {
			return false
		}
	} else if !r.skip(kind) {
		return false
	}
	text := r.data[start:r.i]
	if kind == kindNumber && !inRange(text) {
		return false
	}
	if f.constant != nil {
		n, ok := new(big.Rat).SetString(string(text))
		if kind != kindNumber || !ok || n.Cmp(f.constant) != 0 {
			return false
		}
	}
	if kind == kindString && (f.minLength > 0 || f.format != nil) {
		s, ok := plainString(text)
		if !ok || utf8.RuneCountInString(s) < f.minLength || (f.format != nil && !f.format(s)) {
			return false
		}
	}
	if len(f.anyOf) > 0 && !r.anyOf(f.anyOf, kind, text) {
		return false
	}
	return true
}

// anyOf reports whether a value of kind, read as text, fits one of alts,
// each a leaf schema.
func (r *fastReader) anyOf(alts []*fastSchema, kind fastKind, text []byte) bool {
	for _, a := range alts {
		sub := fastReader{data: text}
		if sub.value(a, 0) && sub.i == len(text) {
			return true
		}
	}
	return false
}

// object reads an object whose members f describes.
func (r *fastReader) object(f *fastSchema, depth int) bool {
	var seenSmall [64]bool
	seen := seenSmall[:0]
	if len(f.children) <= len(seenSmall) {
		seen = seenSmall[:len(f.children)]
	} else {
		seen = make([]bool, len(f.children))
	}
	r.i++ // {
	r.space()
	if r.i < len(r.data) && r.data[r.i] == '}' {
		r.i++
	} else {
		for {
			name, ok := r.name()
			if !ok {
				return false
			}
			r.space()
			r.i++ // :
			r.space()
			idx, known := f.properties[string(name)]
			switch {
			case known:
				if seen[idx] {
					return false // given twice: the last counts, leave it to the full validation
				}
				seen[idx] = true
				if !r.value(f.children[idx], depth+1) {
					return false
				}
			case f.noOthers:
				return false
			default:
				if !r.value(nil, depth+1) {
					return false
				}
			}
			r.space()
			if r.i >= len(r.data) {
				return false
			}
			c := r.data[r.i]
			r.i++
			if c == '}' {
				break
			}
			if c != ',' {
				return false
			}
			r.space()
		}
	}
	for _, i := range f.required {
		if !seen[i] {
			return false
		}
	}
	return true
}

// name reads a member's name; one with an escape is not read.
func (r *fastReader) name() ([]byte, bool) {
	if r.i >= len(r.data) || r.data[r.i] != '"' {
		return nil, false
	}
	start := r.i + 1
	end := bytes.IndexByte(r.data[start:], '"')
	if end < 0 {
		return nil, false
	}
	name := r.data[start : start+end]
	if bytes.IndexByte(name, '\\') >= 0 {
		return nil, false
	}
	r.i = start + end + 1
	return name, true
}

// skip reads past a value of kind, without recursion. The numbers in
// an object or list are checked too: the full validation decodes them all.
func (r *fastReader) skip(kind fastKind) bool {
	switch kind {
	case kindString:
		return r.skipString()
	case kindObject, kindArray:
		// Valid JSON: count brackets outside strings.
		level := 0
		for r.i < len(r.data) {
			switch c := r.data[r.i]; {
			case c == '{' || c == '[':
				level++
			case c == '}' || c == ']':
				level--
				if level == 0 {
					r.i++
					return true
				}
			case c == '"':
				if !r.skipString() {
					return false
				}
				continue
			case c == '-' || c >= '0' && c <= '9':
				start := r.i
				r.skipScalar()
				if !inRange(r.data[start:r.i]) {
					return false
				}
				continue
			}
			r.i++
		}
		return false
	}
	r.skipScalar()
	return true
}

// skipScalar reads past a number, true, false or null.
func (r *fastReader) skipScalar() {
	for r.i < len(r.data) {
		switch r.data[r.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return
		}
		r.i++
	}
}

// skipString reads past a string.
func (r *fastReader) skipString() bool {
	for j := r.i + 1; j < len(r.data); j++ {
		switch r.data[j] {
		case '\\':
			j++
		case '"':
			r.i = j + 1
			return true
		}
	}
	return false
}

// plainString is the text of a JSON string as decoding gives it; not
// for one with bytes that are not UTF-8, which decoding replaces.
func plainString(text []byte) (string, bool) {
	if !utf8.Valid(text) {
		return "", false
	}
	if bytes.IndexByte(text, '\\') < 0 {
		return string(text[1 : len(text)-1]), true
	}
	var s string
	if json.Unmarshal(text, &s) != nil {
		return "", false
	}
	return s, true
}

// inRange reports whether a JSON number decodes to a float64, as the
// full validation decodes it: one too large for it is refused there.
func inRange(text []byte) bool {
	if len(text) < 300 && bytes.IndexAny(text, "eE") < 0 {
		return true // under 10^300
	}
	_, err := strconv.ParseFloat(string(text), 64)
	return err == nil
}
