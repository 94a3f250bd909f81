package record

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestIDBits(t *testing.T) {
	var src IDSource
	at := time.Date(2026, 11, 25, 10, 0, 0, 123_456_789, time.UTC)
	id := src.New(at)
	if id.Version() != 7 || id[6]>>4 != 7 {
		t.Errorf("version nibble %x, want 7", id[6]>>4)
	}
	if id[8]>>6 != 0b10 {
		t.Errorf("variant bits %02b, want 10", id[8]>>6)
	}
	ms := uint64(at.UnixMilli())
	var want [6]byte
	for i := range want {
		want[i] = byte(ms >> (40 - 8*i))
	}
	if !bytes.Equal(id[:6], want[:]) {
		t.Errorf("timestamp bytes %x, want %x", id[:6], want)
	}
	// 456,789 ns into the millisecond is 4096*456789/1e6 = 1871 (0x74f)
	// in the 12-bit sub-millisecond field.
	if sub := int(id[6]&0x0F)<<8 | int(id[7]); sub != 0x74f {
		t.Errorf("sub-millisecond field %#x, want 0x74f", sub)
	}
	if d := id.Time().Sub(at); d < -245*time.Nanosecond || d > 0 {
		t.Errorf("Time() is %v off", d)
	}
	if s := id.String(); len(s) != 36 || s[14] != '7' {
		t.Errorf("String() = %q", s)
	}
}

// Ids of one source increase strictly, even when the clock stands still
// or goes back, and ids of later times sort after earlier ones.
func TestIDOrder(t *testing.T) {
	var src IDSource
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var prev ID
	for i := range 200_000 {
		at := base.Add(time.Duration(i/3) * time.Microsecond) // three ids per tick
		if i%1000 == 999 {
			at = at.Add(-time.Millisecond) // a clock step back
		}
		id := src.New(at)
		if i > 0 && bytes.Compare(prev[:], id[:]) >= 0 {
			t.Fatalf("id %d %s not after %s", i, id, prev)
		}
		prev = id
	}
	// Two sources, interleaved by time: ordered by time across sources
	// whenever the times are more than one sub-millisecond step apart.
	var a, b IDSource
	ids := make([]ID, 0, 1000)
	for i := range 1000 {
		at := base.Add(time.Duration(i) * time.Microsecond)
		if i%2 == 0 {
			ids = append(ids, a.New(at))
		} else {
			ids = append(ids, b.New(at))
		}
	}
	for i := 1; i < len(ids); i++ {
		if bytes.Compare(ids[i-1][:], ids[i][:]) >= 0 {
			t.Fatalf("id of %d µs %s not after that of %d µs %s", i, ids[i], i-1, ids[i-1])
		}
	}
}

func TestIDUnique(t *testing.T) {
	seen := make(map[ID]struct{}, 1_000_000)
	var a, b IDSource
	at := time.Now() // one instant: only the random bits and the counter differ
	for range 500_000 {
		for _, src := range []*IDSource{&a, &b} {
			id := src.New(at)
			if _, dup := seen[id]; dup {
				t.Fatalf("duplicate id %s", id)
			}
			seen[id] = struct{}{}
		}
	}
}

func TestParseID(t *testing.T) {
	var src IDSource
	id := src.New(time.Now())
	got, err := ParseID(id.String())
	if err != nil || got != id {
		t.Fatalf("ParseID(%s) = %s, %v", id, got, err)
	}
	for _, s := range []string{
		"",
		"01935e1c8a2b7c3d9e4f0a1b2c3d4e5f",
		"01935e1c-8a2b-7c3d-9e4f-0a1b2c3d4e5g",
		"01935e1c-8a2b-7c3d-9e4f_0a1b2c3d4e5f",
	} {
		_, err := ParseID(s)
		if want := `record: not a UUID: "` + s + `"`; err == nil || err.Error() != want || !errors.Is(err, ErrID) {
			t.Errorf("ParseID(%q): %v, want %s", s, err, want)
		}
	}
}
