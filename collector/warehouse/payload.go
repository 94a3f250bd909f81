package warehouse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxDepth is how deeply a payload may nest objects and arrays, as for
// encoding/json: deeper is refused rather than followed.
const maxDepth = 10000

// errSyntax is a payload that is not JSON; parsePing reports it as a ping
// that is not a JSON object.
var errSyntax = errors.New("warehouse: not JSON")

// parsePing reads a payload in one pass over its bytes: its instance facts
// and its numbers by key path, sorted, as decoding it into maps and
// walking them would give (a later member of an object replaces an earlier
// one of the same name; booleans count as 1 and 0; strings, lists and
// nulls are not numbers), without building the maps: a ping of 2,000
// metrics is 2,000 numbers, not 2,000 map entries and boxed values.
func parsePing(payload []byte) (facts, []metricValue, error) {
	s := scanner{data: payload}
	s.space()
	if s.i >= len(s.data) || s.data[s.i] != '{' {
		return facts{}, nil, fmt.Errorf("%w: the payload is not a JSON object", ErrBadPing)
	}
	err := s.object(0)
	if err == nil {
		s.space()
		if s.i != len(s.data) {
			err = errSyntax
		}
	}
	if err != nil {
		return facts{}, nil, fmt.Errorf("%w: the payload is not a JSON object", ErrBadPing)
	}
	var f facts
	f.uuid, f.hostname, f.version, f.edition = s.facts[factUUID], s.facts[factHostname], s.facts[factVersion], s.facts[factEdition]
	if strings.TrimSpace(f.uuid) == "" {
		return facts{}, nil, fieldErr(ErrBadPing, "uuid", "uuid: want the instance's UUID, a string")
	}
	at := s.facts[factRecordedAt]
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return facts{}, nil, fieldErr(ErrBadPing, "recorded_at", "recorded_at %q: want an RFC 3339 time", at)
	}
	f.recordedAt = t.UTC()
	if f.edition == "" {
		f.edition = s.facts[factLicensePlan]
	}
	return f, s.values(), nil
}

// The instance facts a ping's top level carries, as strings.
const (
	factUUID = iota
	factRecordedAt
	factHostname
	factVersion
	factEdition
	factLicensePlan
	numFacts
)

var factNames = [numFacts]string{"uuid", "recorded_at", "hostname", "version", "edition", "license_plan"}

// scanner walks a JSON document's bytes.
type scanner struct {
	data []byte
	i    int
	// path is the key path of the member being read.
	path []byte
	// paths holds the key paths of vals end to end; each val holds where
	// its path ends.
	paths []byte
	vals  []scannedValue
	// dead are ranges of vals whose member a later one of the same name
	// replaced.
	dead [][2]int
	// members is a stack of the members of the objects being read, each
	// object's above its parent's.
	members []member
	facts   [numFacts]string
}

type scannedValue struct {
	end   int
	value float64
}

// member is an object's member already read: its name and the range of
// vals its value gave.
type member struct {
	name       []byte
	start, end int
}

func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// object reads an object, at s.data[s.i] == '{', adding its numbers under
// s.path.
func (s *scanner) object(depth int) error {
	if depth++; depth > maxDepth {
		return errSyntax
	}
	s.i++
	base := len(s.path)
	first := len(s.members)
	sorted := true            // the names so far, each greater than the one before
	var byName map[string]int // the members' positions, once the names come unsorted in a large object
	defer func() { s.members, s.path = s.members[:first], s.path[:base] }()
	s.space()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		s.space()
		name, err := s.string()
		if err != nil {
			return err
		}
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return errSyntax
		}
		s.i++
		s.space()
		s.path = s.path[:base]
		if base > 0 { // as maps were walked: an empty group's name adds no dot
			s.path = append(s.path, '.')
		}
		s.path = append(s.path, name...)
		start := len(s.vals)
		if err := s.value(depth, name); err != nil {
			return err
		}
		// A name repeated replaces the member before it, as decoding into
		// a map does. Names in order (as encoding/json writes maps) need
		// no search.
		m := member{name: name, start: start, end: len(s.vals)}
		ms := s.members[first:]
		if sorted && (len(ms) == 0 || bytes.Compare(name, ms[len(ms)-1].name) > 0) {
			s.members = append(s.members, m)
		} else {
			sorted = false
			if byName == nil && len(ms) > 16 {
				byName = make(map[string]int, 2*len(ms))
				for j, e := range ms {
					byName[string(e.name)] = j
				}
			}
			j := -1
			if byName != nil {
				if k, ok := byName[string(name)]; ok {
					j = k
				}
			} else {
				j = slices.IndexFunc(ms, func(e member) bool { return bytes.Equal(e.name, name) })
			}
			if j >= 0 {
				s.dead = append(s.dead, [2]int{ms[j].start, ms[j].end})
				ms[j] = m
			} else {
				s.members = append(s.members, m)
				if byName != nil {
					byName[string(name)] = len(ms)
				}
			}
		}
		s.space()
		if s.i >= len(s.data) {
			return errSyntax
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// value reads the value of the member name of an object at depth, adding
// it or its numbers under s.path; a top-level string may be a fact.
func (s *scanner) value(depth int, name []byte) error {
	if s.i >= len(s.data) {
		return errSyntax
	}
	fact := -1
	if depth == 1 {
		fact = slices.IndexFunc(factNames[:], func(f string) bool { return f == string(name) })
		if fact >= 0 {
			s.facts[fact] = "" // a later member of the name replaces it, whatever it is
		}
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object(depth)
	case c == '"':
		v, err := s.string()
		if err == nil && fact >= 0 {
			s.facts[fact] = string(v)
		}
		return err
	case c == 't', c == 'f':
		word, n := "false", 0.0
		if c == 't' {
			word, n = "true", 1
		}
		if !bytes.HasPrefix(s.data[s.i:], []byte(word)) {
			return errSyntax
		}
		s.i += len(word)
		s.add(n)
		return nil
	case c == '-', c >= '0' && c <= '9':
		n, ok, err := s.number()
		if err == nil && ok {
			s.add(n)
		}
		return err
	}
	return s.skip(depth)
}

// add records a number at s.path.
func (s *scanner) add(n float64) {
	s.paths = append(s.paths, s.path...)
	s.vals = append(s.vals, scannedValue{end: len(s.paths), value: n})
}

// skip reads past a value that holds no numbers of the payload: null, a
// string, or an array (whose numbers are not metrics).
func (s *scanner) skip(depth int) error {
	if s.i >= len(s.data) {
		return errSyntax
	}
	switch c := s.data[s.i]; {
	case c == 'n':
		if !bytes.HasPrefix(s.data[s.i:], []byte("null")) {
			return errSyntax
		}
		s.i += 4
		return nil
	case c == 't' || c == 'f':
		if bytes.HasPrefix(s.data[s.i:], []byte("true")) {
			s.i += 4
			return nil
		}
		if bytes.HasPrefix(s.data[s.i:], []byte("false")) {
			s.i += 5
			return nil
		}
		return errSyntax
	case c == '"':
		return s.skipString()
	case c == '-', c >= '0' && c <= '9':
		_, _, err := s.number()
		return err
	case c == '[' || c == '{':
		if depth++; depth > maxDepth {
			return errSyntax
		}
		end := byte(']')
		if c == '{' {
			end = '}'
		}
		s.i++
		s.space()
		if s.i < len(s.data) && s.data[s.i] == end {
			s.i++
			return nil
		}
		for {
			s.space()
			if c == '{' {
				if err := s.skipString(); err != nil {
					return err
				}
				s.space()
				if s.i >= len(s.data) || s.data[s.i] != ':' {
					return errSyntax
				}
				s.i++
				s.space()
			}
			if err := s.skip(depth); err != nil {
				return err
			}
			s.space()
			if s.i >= len(s.data) {
				return errSyntax
			}
			switch s.data[s.i] {
			case ',':
				s.i++
			case end:
				s.i++
				return nil
			default:
				return errSyntax
			}
		}
	}
	return errSyntax
}

// string reads a string at s.data[s.i], unquoted as encoding/json does
// (invalid UTF-8 becomes U+FFFD): the payload's bytes themselves when they
// need no unquoting, as member names do, so that names cost no copies.
func (s *scanner) string() ([]byte, error) {
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		return nil, errSyntax
	}
	start := s.i
	plain := true // no escapes and valid UTF-8: the bytes are the string
	for j := s.i + 1; j < len(s.data); j++ {
		switch c := s.data[j]; {
		case c == '"':
			s.i = j + 1
			if plain {
				return s.data[start+1 : j], nil
			}
			var v string
			if err := json.Unmarshal(s.data[start:s.i], &v); err != nil {
				return nil, errSyntax
			}
			return []byte(v), nil
		case c < 0x20:
			return nil, errSyntax
		case c == '\\':
			plain = false
			j++ // the escaped byte cannot end the string; json.Unmarshal checks the escape
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(s.data[j:])
			if r == utf8.RuneError && n == 1 {
				plain = false
			}
			j += n - 1
		}
	}
	return nil, errSyntax
}

// skipString reads past a string, checking it as string does.
func (s *scanner) skipString() error {
	_, err := s.string()
	return err
}

// number reads a number; ok is false for one out of float64's range,
// which, as for json.Number's Float64, is no value.
func (s *scanner) number() (n float64, ok bool, err error) {
	start := s.i
	j := s.i
	if j < len(s.data) && s.data[j] == '-' {
		j++
	}
	digits := j
	switch {
	case j < len(s.data) && s.data[j] == '0':
		j++
	case j < len(s.data) && s.data[j] >= '1' && s.data[j] <= '9':
		for j < len(s.data) && s.data[j] >= '0' && s.data[j] <= '9' {
			j++
		}
	default:
		return 0, false, errSyntax
	}
	integer := j - digits
	if j < len(s.data) && s.data[j] == '.' {
		j++
		k := j
		for j < len(s.data) && s.data[j] >= '0' && s.data[j] <= '9' {
			j++
		}
		if j == k {
			return 0, false, errSyntax
		}
		integer = -1
	}
	if j < len(s.data) && (s.data[j] == 'e' || s.data[j] == 'E') {
		j++
		if j < len(s.data) && (s.data[j] == '+' || s.data[j] == '-') {
			j++
		}
		k := j
		for j < len(s.data) && s.data[j] >= '0' && s.data[j] <= '9' {
			j++
		}
		if j == k {
			return 0, false, errSyntax
		}
		integer = -1
	}
	s.i = j
	// Integers of up to 15 digits, most metrics, are exact in a float64:
	// no parsing of text needed.
	if integer > 0 && integer <= 15 {
		var v int64
		for _, c := range s.data[digits:j] {
			v = 10*v + int64(c-'0')
		}
		f := float64(v)
		if digits > start {
			f = -f // -0 stays -0, as strconv reads "-0"
		}
		return f, true, nil
	}
	f, perr := strconv.ParseFloat(string(s.data[start:j]), 64)
	return f, perr == nil, nil
}

// values returns the numbers read, by key path, sorted, each path once:
// members replaced by a later one of the same name left out, and of two
// values at one path (a name holding a dot beside a group: {"a.b": 1,
// "a": {"b": 2}}) the later one kept. The paths share one string.
func (s *scanner) values() []metricValue {
	all := string(s.paths)
	out := make([]metricValue, 0, len(s.vals))
	var drop []bool
	if len(s.dead) > 0 {
		// Ranges nest (a member replaced within one replaced later):
		// sorted, each value is marked once however deep the nesting.
		drop = make([]bool, len(s.vals))
		slices.SortFunc(s.dead, func(a, b [2]int) int { return a[0] - b[0] })
		marked := 0
		for _, d := range s.dead {
			for k := max(d[0], marked); k < d[1]; k++ {
				drop[k] = true
			}
			marked = max(marked, d[1])
		}
	}
	start := 0
	for k, v := range s.vals {
		if drop == nil || !drop[k] {
			out = append(out, metricValue{keyPath: all[start:v.end], value: v.value})
		}
		start = v.end
	}
	cmp := func(a, b metricValue) int { return strings.Compare(a.keyPath, b.keyPath) }
	if !slices.IsSortedFunc(out, cmp) {
		slices.SortStableFunc(out, cmp)
	}
	// Of equal paths, sorted stably, the last is the later in the payload.
	w := 0
	for k := range out {
		if k+1 < len(out) && out[k+1].keyPath == out[k].keyPath {
			continue
		}
		out[w] = out[k]
		w++
	}
	return out[:w]
}
