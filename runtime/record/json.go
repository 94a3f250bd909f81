package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/usagekit/usagekit/runtime/event"
)

// AppendJSON appends the record's JSON form (see the package doc) to dst.
// Keys come in a fixed order, identifiers without a value are left out,
// properties keep their order, and occurred_at is RFC 3339 in UTC with
// nine fractional digits, so equal records encode to equal bytes.
func (r *Record) AppendJSON(dst []byte) []byte { return appendRecord(dst, r, nil, nil) }

// MarshalJSON implements json.Marshaler.
func (r Record) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil), nil }

// appendRecord encodes r, with its context already encoded as ctxJSON
// when the caller has it (a pipeline's records all share one), and the
// text of the last second in tc when the caller keeps one.
func appendRecord(dst []byte, r *Record, ctxJSON []byte, tc *timeCache) []byte {
	dst = append(dst, `{"id":"`...)
	dst = r.ID.Append(dst)
	dst = append(dst, `","occurred_at":"`...)
	dst = tc.append(dst, r.OccurredAt)
	dst = append(dst, `","event":`...)
	dst = appendString(dst, r.Event)
	dst = append(dst, `,"identifiers":{`...)
	n := 0
	for _, id := range [...]struct{ key, val string }{
		{`"user":`, r.Identifiers.User}, {`"project":`, r.Identifiers.Project}, {`"namespace":`, r.Identifiers.Namespace},
	} {
		if id.val == "" {
			continue
		}
		if n++; n > 1 {
			dst = append(dst, ',')
		}
		dst = append(dst, id.key...)
		dst = appendString(dst, id.val)
	}
	if fe := r.Identifiers.FeatureEnabledByNamespaces; len(fe) > 0 {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `"feature_enabled_by_namespace_ids":[`...)
		for i, s := range fe {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, s)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `},"properties":{`...)
	for i, p := range r.Properties {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, p.Name)
		dst = append(dst, ':')
		dst = appendJSONValue(dst, p.Value)
	}
	dst = append(dst, `},"context":`...)
	if ctxJSON != nil {
		dst = append(dst, ctxJSON...)
	} else {
		dst = appendContext(dst, &r.Context)
	}
	return append(dst, '}')
}

func appendContext(dst []byte, c *Context) []byte {
	dst = append(dst, `{"instance_uuid":`...)
	dst = appendString(dst, c.InstanceUUID)
	dst = append(dst, `,"app_name":`...)
	dst = appendString(dst, c.AppName)
	dst = append(dst, `,"app_version":`...)
	dst = appendString(dst, c.AppVersion)
	dst = append(dst, `,"environment":`...)
	dst = appendString(dst, c.Environment)
	dst = append(dst, `,"host":`...)
	dst = appendString(dst, c.Host)
	return append(dst, '}')
}

// AppendValueJSON appends v as JSON: a string, a number (null for NaN
// and infinities) or a boolean.
func AppendValueJSON(dst []byte, v Value) []byte { return appendJSONValue(dst, v) }

// AppendJSONString appends s as a JSON string, escaped as the records'
// JSON form escapes it, for sinks that write JSON of their own.
func AppendJSONString(dst []byte, s string) []byte { return appendString(dst, s) }

func appendJSONValue(dst []byte, v Value) []byte {
	if v.Type() == event.String {
		return appendString(dst, v.String())
	}
	dst, _ = v.AppendText(dst)
	return dst
}

// timeCache keeps the text of one second, "2006-01-02T15:04:05.", since
// the records of a batch mostly share it; the zero value is empty, and a
// nil *timeCache formats every time.
type timeCache struct {
	sec    int64
	prefix []byte
}

func (tc *timeCache) append(dst []byte, t time.Time) []byte {
	if tc == nil {
		return appendTime(dst, t)
	}
	if sec := t.Unix(); sec != tc.sec || tc.prefix == nil {
		tc.prefix = appendTime(tc.prefix[:0], t)[:20]
		tc.sec = sec
	}
	dst = append(dst, tc.prefix...)
	dst = appendDigits(dst, t.Nanosecond(), 9)
	return append(dst, 'Z')
}

// appendTime writes t in UTC as 2006-01-02T15:04:05.000000000Z, faster
// than time.AppendFormat and always with nine fractional digits.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = appendDigits(dst, y, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(mo), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, h, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, mi, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, s, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, t.Nanosecond(), 9)
	return append(dst, 'Z')
}

func appendDigits(dst []byte, n, width int) []byte {
	var b [9]byte
	i := width
	for ; i >= 2; i -= 2 {
		q := n / 100
		copy(b[i-2:i], digitPairs[n-q*100][:])
		n = q
	}
	if i == 1 {
		b[0] = byte('0' + n%10)
	}
	return append(dst, b[:width]...)
}

// digitPairs holds the two decimal digits of 0 to 99.
var digitPairs = func() (t [100][2]byte) {
	for i := range t {
		t[i] = [2]byte{byte('0' + i/10), byte('0' + i%10)}
	}
	return t
}()

// safe marks the ASCII bytes a JSON string carries as they are.
var safe = func() (s [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		s[c] = c != '"' && c != '\\'
	}
	return s
}()

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD (as encoding/json
// does), and U+2028 and U+2029 escaped so the text is also valid
// JavaScript.
func appendString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	i := safePrefix(s)
	if i == len(s) {
		dst = append(dst, s...)
		return append(dst, '"')
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// safePrefix is the length of the longest prefix of s that a JSON string
// carries as it is, found eight bytes at a time: most strings of a record
// (pseudonyms, names, labels) need no escaping at all.
func safePrefix(s string) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		quote, backslash := w^(0x22*lo), w^(0x5c*lo)
		// A high bit in any term: a byte below 0x20, a quote, a
		// backslash, or a byte of 0x80 and above.
		if ((w-0x20*lo)&^w|(quote-lo)&^quote|(backslash-lo)&^backslash|w)&hi != 0 {
			break
		}
	}
	for i < len(s) && s[i] < utf8.RuneSelf && safe[s[i]] {
		i++
	}
	return i
}

// UnmarshalJSON implements json.Unmarshaler for the JSON form AppendJSON
// writes, for readers of records (a collector, a test). Properties keep
// their order; a number without fraction or exponent becomes an integer
// Value, any other number a float Value.
func (r *Record) UnmarshalJSON(data []byte) error {
	var w struct {
		ID          ID        `json:"id"`
		OccurredAt  time.Time `json:"occurred_at"`
		Event       string    `json:"event"`
		Identifiers struct {
			User      string   `json:"user"`
			Project   string   `json:"project"`
			Namespace string   `json:"namespace"`
			Feature   []string `json:"feature_enabled_by_namespace_ids"`
		} `json:"identifiers"`
		Properties json.RawMessage `json:"properties"`
		Context    struct {
			InstanceUUID string `json:"instance_uuid"`
			AppName      string `json:"app_name"`
			AppVersion   string `json:"app_version"`
			Environment  string `json:"environment"`
			Host         string `json:"host"`
		} `json:"context"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	props, err := parseProperties(w.Properties)
	if err != nil {
		return err
	}
	*r = Record{
		ID: w.ID, OccurredAt: w.OccurredAt, Event: w.Event,
		Identifiers: Identifiers{User: w.Identifiers.User, Project: w.Identifiers.Project,
			Namespace: w.Identifiers.Namespace, FeatureEnabledByNamespaces: w.Identifiers.Feature},
		Properties: props,
		Context:    Context(w.Context),
	}
	return nil
}

func parseProperties(data []byte) ([]Property, error) {
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("record: properties: want an object, got %s", data)
	}
	var props []Property
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("record: properties: %w", err)
		}
		name, _ := tok.(string)
		if tok, err = dec.Token(); err != nil {
			return nil, fmt.Errorf("record: property %s: %w", name, err)
		}
		var v Value
		switch x := tok.(type) {
		case string:
			v = event.StringValue(x)
		case bool:
			v = event.BoolValue(x)
		case json.Number:
			if n, err := x.Int64(); err == nil && !bytes.ContainsAny([]byte(x), ".eE") {
				v = event.IntValue(n)
			} else {
				f, err := x.Float64()
				if err != nil {
					return nil, fmt.Errorf("record: property %s: %w", name, err)
				}
				v = event.FloatValue(f)
			}
		case nil:
			v = event.FloatValue(math.NaN())
		default:
			return nil, fmt.Errorf("record: property %s: want a string, number or boolean, got %v", name, x)
		}
		props = append(props, Property{Name: name, Value: v})
	}
	return props, nil
}
