package warehouse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParsePing(t *testing.T) {
	const head = `"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z"`
	for _, tt := range []struct{ name, payload, want string }{
		{"nested", `{` + head + `, "n": 1, "g": {"x": 2.5, "y": {"z": -3}}, "s": "text"}`, "g.x=2.5 g.y.z=-3 n=1"},
		{"booleans", `{` + head + `, "on": true, "off": false}`, "off=0 on=1"},
		{"not numbers", `{` + head + `, "a": null, "b": [1, {"c": 2}], "d": "4", "e": {}}`, ""},
		{"numbers", `{` + head + `, "a": 0, "b": -0, "c": 1e3, "d": 123456789012345678, "e": 0.1, "f": 1E-2, "g": 1e400}`,
			"a=0 b=-0 c=1000 d=1.2345678901234568e+17 e=0.1 f=0.01"},
		{"escaped names", `{` + head + `, "a\u002eb": 1, "\u00e9": 2, "caf\u00e9": {"x": 3}}`, "a.b=1 café.x=3 é=2"},
		{"invalid UTF-8 name", "{" + head + ", \"a\xffb\": 1}", "a\uFFFDb=1"},
		{"a later member replaces", `{` + head + `, "a": {"x": 1, "y": 2}, "b": 3, "a": {"z": 4}}`, "a.z=4 b=3"},
		{"a later member replaces a number", `{` + head + `, "a": 1, "a": "x", "b": 2, "b": {"c": 5}}`, "b.c=5"},
		{"unsorted, many members", `{` + head + manyMembers() + `}`, "m00=100 m01=1 m02=2 m03=3 m04=4 m05=5 m06=6 m07=7 m08=8 m09=9 m10=10 m11=11 m12=12 m13=13 m14=14 m15=15 m16=16 m17=17 m18=18 m19=119"},
		{"one path twice: the later", `{` + head + `, "a.b": 1, "a": {"b": 2}}`, "a.b=2"},
		{"facts are not numbers", `{` + head + `, "version": "17.6.0", "hostname": "h", "edition": "EE", "license_plan": "x"}`, ""},
		{"a fact that is a number", `{` + head + `, "version": 17}`, "version=17"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, values, err := parsePing([]byte(tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			defer values.release()
			var got []string
			for i := range values.len() {
				got = append(got, fmt.Sprintf("%s=%g", values.keyPath(i), values.nums[i]))
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("got  %s\nwant %s", g, tt.want)
			}
		})
	}
}

// manyMembers is an object's members out of order, two of them repeated,
// past the size where names are looked up in a map.
func manyMembers() string {
	var b strings.Builder
	for _, i := range []int{19, 0, 18, 1, 17, 2, 16, 3, 15, 4, 14, 5, 13, 6, 12, 7, 11, 8, 10, 9} {
		fmt.Fprintf(&b, `, "m%02d": %d`, i, i)
	}
	b.WriteString(`, "m00": 100, "m19": 119`)
	return b.String()
}

func TestParsePingFacts(t *testing.T) {
	f, _, err := parsePing([]byte(`{"uuid": "u", "uuid": "a1", "recorded_at": "2026-11-25T13:00:00+01:00", "hostname": "h",
		"version": "17.6.0", "license_plan": "premium"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%s %s %s %s %s", f.uuid, f.recordedAt.Format("2006-01-02T15:04:05Z07:00"), f.hostname, f.version, f.edition); got != "a1 2026-11-25T12:00:00Z h 17.6.0 premium" {
		t.Errorf("facts %s", got)
	}
	f, _, err = parsePing([]byte(`{"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z", "edition": "EE", "license_plan": "premium"}`))
	if err != nil || f.edition != "EE" {
		t.Errorf("edition %q, %v: want EE, before license_plan", f.edition, err)
	}
}

func TestParsePingRejects(t *testing.T) {
	const notObject = "warehouse: bad ping: the payload is not a JSON object"
	deep := strings.Repeat(`{"a":`, maxDepth) + "1" + strings.Repeat("}", maxDepth)
	for _, tt := range []struct{ payload, want string }{
		{``, notObject},
		{`[]`, notObject},
		{`null`, notObject},
		{`{"uuid": "a1"`, notObject},
		{`{"uuid": "a1"} {}`, notObject},
		{`{"uuid": "a1", "n": 01}`, notObject},
		{`{"uuid": "a1", "n": 1.}`, notObject},
		{`{"uuid": "a1", "n": tru}`, notObject},
		{`{"uuid": "a1", "l": [1, 2,]}`, notObject},
		{"{\"uuid\": \"a\tb\"}", notObject},
		{`{"uuid": "a\x"}`, notObject},
		{`{"recorded_at": "2026-11-25T12:00:00Z"}`, "warehouse: bad ping: uuid: want the instance's UUID, a string"},
		{`{"uuid": 7, "recorded_at": "2026-11-25T12:00:00Z"}`, "warehouse: bad ping: uuid: want the instance's UUID, a string"},
		{`{"uuid": "a1", "uuid": null, "recorded_at": "2026-11-25T12:00:00Z"}`, "warehouse: bad ping: uuid: want the instance's UUID, a string"},
		{`{"uuid": "a", "recorded_at": "yesterday"}`, `warehouse: bad ping: recorded_at "yesterday": want an RFC 3339 time`},
		{`{"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z", "d": ` + deep + `}`, notObject},
		{`{"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z", "` + strings.Repeat("g", 5000) + `": {` + manyLeaves(200) + `}}`,
			"warehouse: bad ping: its key paths come to over 16 times its size"},
	} {
		_, _, err := parsePing([]byte(tt.payload))
		if !errors.Is(err, ErrBadPing) || err == nil || err.Error() != tt.want {
			t.Errorf("%.60s: %v\nwant %s", tt.payload, err, tt.want)
		}
	}
	if _, _, err := parsePing([]byte(`{"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z", "d": ` + deep[len(`{"a":`):len(deep)-1] + `}`)); err != nil {
		t.Errorf("%d levels: %v", maxDepth, err)
	}
}

// manyLeaves is n members of numbers.
func manyLeaves(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `"m%d": %d`, i, i)
	}
	return b.String()
}

// TestParsePingReuse: buffers reused from a ping carry nothing of it into
// the next.
func TestParsePingReuse(t *testing.T) {
	for range 3 {
		_, values, err := parsePing([]byte(`{"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z", "edition": "EE", "a": {"x": 1, "y": 2, "x": 3}}`))
		if err != nil {
			t.Fatal(err)
		}
		values.release()
		f, values, err := parsePing([]byte(`{"uuid": "b2", "recorded_at": "2026-11-25T12:00:00Z", "b": 4}`))
		if err != nil {
			t.Fatal(err)
		}
		if f.edition != "" || values.len() != 1 || values.keyPath(0) != "b" || values.nums[0] != 4 {
			t.Errorf("edition %q, %d values", f.edition, values.len())
		}
		values.release()
	}
}

// FuzzParsePing: what parsePing reads of a payload is what decoding it
// into maps with encoding/json gives, whatever the bytes.
func FuzzParsePing(f *testing.F) {
	for _, s := range []string{
		`{"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z", "a": {"b": 1, "c": [1, {"d": 2}], "e": true}, "f": -1.5e-3}`,
		`{"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z", "b": {"x": 1}, "a": 2, "b": 3, "a": {"y": null}}`,
		"{\"uuid\": \"\\u00e9\", \"recorded_at\": \"2026-11-25T12:00:00Z\", \"\xff\": 1}",
		`{"n": 123456789012345678901234567890, "m": 1e999}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		gotFacts, got, err := parsePing(payload)
		var doc any
		valid := json.Valid(payload)
		if valid {
			dec := json.NewDecoder(bytes.NewReader(payload))
			dec.UseNumber()
			if dec.Decode(&doc) != nil {
				t.Fatalf("json.Valid, yet not decoded")
			}
		}
		obj, isObject := doc.(map[string]any)
		if err != nil {
			if !errors.Is(err, ErrBadPing) {
				t.Fatalf("error %v is not ErrBadPing", err)
			}
			if isObject && strings.Contains(err.Error(), "not a JSON object") {
				t.Fatalf("a JSON object refused as not one: %v", err)
			}
			return
		}
		if !isObject {
			t.Fatalf("not a JSON object, yet read: %q", payload)
		}
		if uuid, _ := obj["uuid"].(string); uuid != gotFacts.uuid {
			t.Errorf("uuid %q, encoding/json %q", gotFacts.uuid, uuid)
		}
		want := map[string]float64{}
		twice := false
		var walk func(prefix string, v any)
		walk = func(prefix string, v any) {
			add := func(n float64) {
				if _, ok := want[prefix]; ok {
					twice = true // a name with a dot beside a group: maps do not say which came later
				}
				want[prefix] = n
			}
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					p := k
					if prefix != "" {
						p = prefix + "." + k
					}
					walk(p, e)
				}
			case json.Number:
				if n, err := x.Float64(); err == nil {
					add(n)
				}
			case bool:
				add(map[bool]float64{true: 1, false: 0}[x])
			}
		}
		walk("", obj)
		gotMap := map[string]float64{}
		var paths []string
		for i := range got.len() {
			gotMap[got.keyPath(i)] = got.nums[i]
			paths = append(paths, got.keyPath(i))
		}
		got.release()
		if !slices.IsSorted(paths) || len(gotMap) != len(paths) {
			t.Errorf("values not sorted once by key path: %v", paths)
		}
		if twice {
			if !slices.Equal(slices.Sorted(maps.Keys(gotMap)), slices.Sorted(maps.Keys(want))) {
				t.Errorf("key paths %v, encoding/json %v", slices.Sorted(maps.Keys(gotMap)), slices.Sorted(maps.Keys(want)))
			}
			return
		}
		if !maps.EqualFunc(gotMap, want, func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }) {
			t.Errorf("values %v\nencoding/json %v", gotMap, want)
		}
	})
}

// BenchmarkParsePing reads a ping of 2,000 metrics in 40 groups, as the
// intake's benchmark sends.
func BenchmarkParsePing(b *testing.B) {
	doc := map[string]any{"uuid": "00000000-0000-4000-8000-000000000001", "recorded_at": "2026-11-25T12:00:00Z", "version": "17.6.0"}
	for g := range 40 {
		group := map[string]any{}
		for m := range 50 {
			group[fmt.Sprintf("metric_%d", m)] = g*1000 + m
		}
		doc[fmt.Sprintf("group_%d", g)] = group
	}
	payload, err := json.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		_, values, err := parsePing(payload)
		if err != nil || values.len() != 2000 {
			b.Fatal(err)
		}
		values.release()
	}
}
