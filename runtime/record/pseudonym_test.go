package record

import (
	"encoding/hex"
	"strconv"
	"testing"
)

// The cache gives what Pseudonymize gives, keeps kinds apart, survives
// growing its table and being emptied at its bound, and never changes a
// string it handed out.
func TestPseudonymCache(t *testing.T) {
	secret := []byte("0123456789abcdef-cache")
	ps := newPseudonyms(secret, false)
	first := ps.of(kindUser, 1)
	for id := int64(1); id <= maxPseudonyms+10; id++ {
		ps.of(kindUser, id)
	}
	for _, id := range []int64{1, 2, 4097, maxPseudonyms + 10, -5, 1<<63 - 1} {
		for kind, name := range kindNames {
			if got, want := ps.of(byte(kind), id), Pseudonymize(secret, name, id); got != want {
				t.Fatalf("%s %d: %s, want %s", name, id, got, want)
			}
		}
	}
	if want := Pseudonymize(secret, "user", 1); first != want {
		t.Errorf("a pseudonym handed out before the cache was emptied changed: %s, want %s", first, want)
	}
	raw := newPseudonyms(nil, true)
	for _, id := range []int64{0, 42, -1 << 63, 1<<63 - 1} {
		if got := raw.of(kindProject, id); got != strconv.FormatInt(id, 10) {
			t.Errorf("raw %d: %q", id, got)
		}
	}
}

// appendHex writes what encoding/hex writes, for every length (the
// word-at-a-time loop and the bytes after it) and every byte value.
func TestAppendHex(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for n := range 40 {
		b := all[256-n:]
		if got, want := string(appendHex([]byte("x"), b)), "x"+hex.EncodeToString(b); got != want {
			t.Errorf("%d bytes: %s, want %s", n, got, want)
		}
	}
	if got, want := string(appendHex(nil, all)), hex.EncodeToString(all); got != want {
		t.Errorf("every byte: %s, want %s", got, want)
	}
}
