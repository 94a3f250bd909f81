package warehouse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
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
// metrics is 2,000 numbers, not 2,000 map entries and boxed values. The
// numbers are in buffers reused from ping to ping: release them when done.
func parsePing(payload []byte) (facts, *pingValues, error) {
	s := scanners.Get().(*scanner)
	s.reset(payload)
	f, err := s.ping()
	if err != nil {
		s.release()
		return facts{}, nil, err
	}
	return f, &s.pingValues, nil
}

// scanners are scanners with their buffers, reused: a ping of 2,000
// metrics would otherwise allocate some 400 kB of them.
var scanners = sync.Pool{New: func() any { return new(scanner) }}

// ping reads the payload.
func (s *scanner) ping() (facts, error) {
	s.space()
	if s.i >= len(s.data) || s.data[s.i] != '{' {
		return facts{}, fmt.Errorf("%w: the payload is not a JSON object", ErrBadPing)
	}
	err := s.object(0)
	if err == nil {
		s.space()
		if s.i != len(s.data) {
			err = errSyntax
		}
	}
	if errors.Is(err, errPathsTooLong) {
		return facts{}, fmt.Errorf("%w: its key paths come to over %d times its size", ErrBadPing, maxPathsRatio)
	}
	if err != nil {
		return facts{}, fmt.Errorf("%w: the payload is not a JSON object", ErrBadPing)
	}
	var f facts
	f.uuid, f.hostname, f.version, f.edition = s.facts[factUUID], s.facts[factHostname], s.facts[factVersion], s.facts[factEdition]
	if strings.TrimSpace(f.uuid) == "" {
		return facts{}, fieldErr(ErrBadPing, "uuid", "uuid: want the instance's UUID, a string")
	}
	at := s.facts[factRecordedAt]
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return facts{}, fieldErr(ErrBadPing, "recorded_at", "recorded_at %q: want an RFC 3339 time", at)
	}
	f.recordedAt = t.UTC()
	if f.edition == "" {
		f.edition = s.facts[factLicensePlan]
	}
	s.finish()
	return f, nil
}

// pingValues are the numbers of a ping by key path, sorted, each path
// once.
type pingValues struct {
	// paths holds the key paths end to end.
	paths []byte
	vals  []metricValue
	// ids are the keys' ids in metric_keys, once keyIDs set them, and
	// nums the numbers, each beside its value in vals.
	ids  []int32
	nums []float64
	s    *scanner
}

// metricValue is one number of a ping, its key path at paths[start:end].
type metricValue struct {
	start, end int32
	value      float64
}

// len is the number of values.
func (v *pingValues) len() int { return len(v.vals) }

// path is the key path of the i-th value, in the buffer: valid until
// release.
func (v *pingValues) path(i int) []byte { return v.paths[v.vals[i].start:v.vals[i].end] }

// keyPath is the key path of the i-th value, copied.
func (v *pingValues) keyPath(i int) string { return string(v.path(i)) }

// release gives the buffers back for another ping.
func (v *pingValues) release() { v.s.release() }

// maxPooled is the largest buffer kept for another ping: one ping of
// unusual size does not hold its memory for good.
const maxPooled = 1 << 20

func (s *scanner) reset(payload []byte) {
	*s = scanner{
		data: payload, path: s.path[:0], members: s.members[:0], dead: s.dead[:0],
		pingValues: pingValues{paths: s.paths[:0], vals: s.vals[:0], ids: s.ids[:0], nums: s.nums[:0], s: s},
	}
}

func (s *scanner) release() {
	if cap(s.paths) > maxPooled || cap(s.vals) > maxPooled/16 || cap(s.members) > maxPooled/32 {
		return
	}
	s.data = nil // not the caller's payload
	scanners.Put(s)
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
	pingValues
	data []byte
	i    int
	// path is the key path of the member being read.
	path []byte
	// dead are ranges of vals whose member a later one of the same name
	// replaced.
	dead [][2]int
	// members is a stack of the members of the objects being read, each
	// object's above its parent's.
	members []member
	facts   [numFacts]string
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

// colon reads the colon after a member's name, and the space around it.
func (s *scanner) colon() error {
	s.space()
	if s.i >= len(s.data) || s.data[s.i] != ':' {
		return errSyntax
	}
	s.i++
	s.space()
	return nil
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
		if err := s.colon(); err != nil {
			return err
		}
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
		return s.add(n)
	case c == '-', c >= '0' && c <= '9':
		n, ok, err := s.number()
		if err == nil && ok {
			err = s.add(n)
		}
		return err
	}
	return s.skip(depth)
}

// maxPathsRatio bounds the key paths of a payload, end to end, by its
// size: a group's name is in every key path under it, and a long name
// over many members would otherwise take memory without end.
const maxPathsRatio = 16

// errPathsTooLong is a payload over maxPathsRatio.
var errPathsTooLong = errors.New("warehouse: key paths too long")

// add records a number at s.path.
func (s *scanner) add(n float64) error {
	if len(s.paths)+len(s.path) > maxPathsRatio*len(s.data)+4096 {
		return errPathsTooLong
	}
	start := int32(len(s.paths))
	s.paths = append(s.paths, s.path...)
	s.vals = append(s.vals, metricValue{start: start, end: int32(len(s.paths)), value: n})
	return nil
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
				if err := s.colon(); err != nil {
					return err
				}
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

// skipDigits is the index after the run of decimal digits at j.
func (s *scanner) skipDigits(j int) int {
	for j < len(s.data) && s.data[j] >= '0' && s.data[j] <= '9' {
		j++
	}
	return j
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
		j = s.skipDigits(j)
	default:
		return 0, false, errSyntax
	}
	integer := j - digits
	if j < len(s.data) && s.data[j] == '.' {
		j++
		k := j
		j = s.skipDigits(j)
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
		j = s.skipDigits(j)
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

// finish leaves the numbers read sorted by key path, each path once:
// members replaced by a later one of the same name left out, and of two
// values at one path (a name holding a dot beside a group: {"a.b": 1,
// "a": {"b": 2}}) the later one kept.
func (s *scanner) finish() {
	if len(s.dead) > 0 {
		// Ranges nest (a member replaced within one replaced later):
		// sorted, each value is looked at once however deep the nesting.
		slices.SortFunc(s.dead, func(a, b [2]int) int { return a[0] - b[0] })
		w, next := 0, 0
		for _, d := range s.dead {
			if d[0] > next {
				w += copy(s.vals[w:], s.vals[next:d[0]])
			}
			next = max(next, d[1])
		}
		w += copy(s.vals[w:], s.vals[next:])
		s.vals = s.vals[:w]
	}
	cmp := func(a, b metricValue) int { return bytes.Compare(s.paths[a.start:a.end], s.paths[b.start:b.end]) }
	if !slices.IsSortedFunc(s.vals, cmp) {
		slices.SortStableFunc(s.vals, cmp)
	}
	// Of equal paths, sorted stably, the last is the later in the payload.
	w := 0
	for k := range s.vals {
		if k+1 < len(s.vals) && cmp(s.vals[k], s.vals[k+1]) == 0 {
			continue
		}
		s.vals[w] = s.vals[k]
		w++
	}
	s.vals = s.vals[:w]
	for _, v := range s.vals {
		s.nums = append(s.nums, v.value)
	}
}
