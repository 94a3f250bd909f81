package record

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
	"strconv"
)

// Pseudonymize is the pseudonym of an identifier in records: the lowercase
// hex of HMAC-SHA256 under secret of "<kind>:<id in decimal>", kind being
// user, project or namespace. The same secret gives the same pseudonym in
// every process, so a warehouse counts distinct users without seeing
// their ids; the kind keeps user 7 and project 7 apart.
func Pseudonymize(secret []byte, kind string, id int64) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(kind + ":" + strconv.FormatInt(id, 10)))
	return hex.EncodeToString(m.Sum(nil))
}

// Kinds of identifier, as Pseudonymize takes them.
const (
	kindUser byte = iota
	kindProject
	kindNamespace
)

var kindNames = [...]string{"user", "project", "namespace"}

// maxPseudonyms bounds the cache: at most 2^17 entries, in a table of up
// to twice as many 64-byte slots (16 MiB).
const maxPseudonyms = 1 << 17

// pseudonyms computes identifiers for records, with a cache: an HMAC
// costs about a microsecond and the same users come back all the time.
// With 100,000 users the cache is larger than the processor's caches, so
// what a lookup costs is its memory misses. Each slot of the open
// addressing table holds its key and its HMAC, so a lookup misses once,
// where a table of indexes into entries and texts missed two or three
// times one after the other; the flush touches a whole batch's slots in
// a loop of its own (see frameBatch.prepare), so the misses of many
// lookups overlap. Used by one flush at a time.
type pseudonyms struct {
	raw bool
	mac hash.Hash
	tab []pseudoSlot
	n   int
	msg []byte
	sum []byte
	// touched keeps what touchAll read, so that its loads are not thought
	// useless.
	touched byte
}

// pseudoSlot is a cached HMAC; kind is the identifier's kind plus one, 0
// for an empty slot. A slot is a cache line of its own (the table is a
// large allocation, so its array starts on a page), so that touching it
// brings in both its key and its HMAC.
type pseudoSlot struct {
	id   int64
	kind byte
	sum  [sha256.Size]byte
	_    [64 - 8 - 1 - sha256.Size]byte
}

func newPseudonyms(secret []byte, raw bool) *pseudonyms {
	p := &pseudonyms{raw: raw}
	if !raw {
		p.mac = hmac.New(sha256.New, secret)
	}
	p.reset()
	return p
}

// reset empties the cache; a crude bound, but the working set refills it
// at once.
func (p *pseudonyms) reset() {
	p.tab = make([]pseudoSlot, 1<<10)
	p.n = 0
}

// touchAll reads the first slot of each key, to bring its line into the
// cache before the lookups.
func (p *pseudonyms) touchAll(keys []identKey) {
	if p.raw {
		return
	}
	var t byte
	tab, mask := p.tab, uint64(len(p.tab)-1)
	for _, k := range keys {
		t ^= tab[(uint64(k.id)*0x9E3779B97F4A7C15^uint64(k.kind))*0xBF58476D1CE4E5B9>>32&mask].kind
	}
	p.touched ^= t
}

// slot finds the slot of (kind, id): the one holding it, or the empty one
// where it goes.
func (p *pseudonyms) slot(kind byte, id int64) *pseudoSlot {
	mask := uint64(len(p.tab) - 1)
	i := (uint64(id)*0x9E3779B97F4A7C15 ^ uint64(kind)) * 0xBF58476D1CE4E5B9 >> 32 & mask
	for {
		s := &p.tab[i]
		if s.kind == 0 || s.id == id && s.kind == kind+1 {
			return s
		}
		i = (i + 1) & mask
	}
}

// appendTo appends the identifier's text to dst: the hex of its HMAC, or
// with raw identifiers its decimal id.
func (p *pseudonyms) appendTo(dst []byte, kind byte, id int64) []byte {
	if p.raw {
		return strconv.AppendInt(dst, id, 10)
	}
	s := p.slot(kind, id)
	if s.kind == 0 {
		s = p.add(kind, id)
	}
	return appendHex(dst, s.sum[:])
}

// add computes the HMAC of (kind, id), which is not in the cache, and
// caches it.
func (p *pseudonyms) add(kind byte, id int64) *pseudoSlot {
	switch {
	case p.n == maxPseudonyms:
		p.reset()
	case 2*(p.n+1) > len(p.tab):
		// Keep the table at most half full, so probes stay short.
		old := p.tab
		p.tab = make([]pseudoSlot, 2*len(old))
		for i := range old {
			if old[i].kind != 0 {
				*p.slot(old[i].kind-1, old[i].id) = old[i]
			}
		}
	}
	s := p.slot(kind, id)
	p.msg = strconv.AppendInt(append(append(p.msg[:0], kindNames[kind]...), ':'), id, 10)
	p.mac.Reset()
	p.mac.Write(p.msg)
	p.sum = p.mac.Sum(p.sum[:0])
	s.id, s.kind = id, kind+1
	copy(s.sum[:], p.sum)
	p.n++
	return s
}

// of is the identifier's text as a string of its own.
func (p *pseudonyms) of(kind byte, id int64) string {
	return string(p.appendTo(nil, kind, id))
}

// hexPairs holds the two hex digits of every byte.
var hexPairs = func() (t [256][2]byte) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = [2]byte{digits[i>>4], digits[i&0xF]}
	}
	return t
}()

// appendHex appends the lowercase hex of b to dst, four bytes at a time:
// their nibbles are spread into the eight bytes of a word and turned into
// digits together, which takes a third of the time of a table lookup per
// byte.
func appendHex(dst, b []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 2*len(b))[:n+2*len(b)]
	out := dst[n:]
	for len(b) >= 4 {
		x := uint64(binary.BigEndian.Uint32(b))
		x = (x | x<<16) & 0x0000FFFF0000FFFF
		x = (x | x<<8) & 0x00FF00FF00FF00FF
		x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
		// A nibble of 10 or more gets 'a'-'0'-10 more than '0' + nibble.
		x += 0x3030303030303030 + (x+0x0606060606060606)>>4&0x0101010101010101*('a'-'0'-10)
		binary.BigEndian.PutUint64(out, x)
		b, out = b[4:], out[8:]
	}
	for i, c := range b {
		out[2*i], out[2*i+1] = hexPairs[c][0], hexPairs[c][1]
	}
	return dst
}
