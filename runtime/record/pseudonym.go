package record

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"unsafe"
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

// maxPseudonyms bounds the cache: 2^17 entries of 80 bytes, in slabs of
// 2^slabBits, and a table of up to twice as many 4-byte slots.
const (
	maxPseudonyms = 1 << 17
	slabBits      = 10
	slabMask      = 1<<slabBits - 1
)

// pseudonyms computes identifiers for records, with a cache: an HMAC
// costs about a microsecond and the same users come back all the time.
// With 100,000 users the cache is larger than the processor's caches, so
// what a lookup costs is its memory misses: a slot in a small table of
// indexes, the entry's key, and the line of its text, which the record's
// JSON reads next (a Go map of strings cost about 280 ns a record here).
// The flush looks up a whole batch before decoding it (see
// frameReader.lookup), so the misses of many lookups overlap. Used by one
// flush at a time.
type pseudonyms struct {
	raw   bool
	mac   hash.Hash
	slots []uint32 // open addressing: 0 empty, else 1 + the entry's index
	slabs []*pseudoSlab
	n     int
	msg   []byte
	sum   []byte
	touch byte
}

// pseudoSlab holds cached pseudonyms: keys apart from texts, so that a
// text is one cache line. An entry is written once, before the string
// that shows its text exists, and never again: slabs are not reused, so
// strings handed out stay valid and unchanged.
type pseudoSlab struct {
	keys  [1 << slabBits]pseudoKey
	texts [1 << slabBits][64]byte
}

type pseudoKey struct {
	id   int64
	kind byte
	len  byte
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
	p.slots = make([]uint32, 1<<slabBits)
	p.slabs = nil
	p.n = 0
}

// slot finds the slot of (kind, id): the one holding it, or the empty one
// where it goes.
func (p *pseudonyms) slot(kind byte, id int64) (i uint64, found bool) {
	mask := uint64(len(p.slots) - 1)
	i = (uint64(id)*0x9E3779B97F4A7C15 ^ uint64(kind)) * 0xBF58476D1CE4E5B9 >> 32 & mask
	for ; p.slots[i] != 0; i = (i + 1) & mask {
		v := p.slots[i] - 1
		if k := &p.slabs[v>>slabBits].keys[v&slabMask]; k.id == id && k.kind == kind {
			return i, true
		}
	}
	return i, false
}

// text is the string of entry v (a slot's value).
func (p *pseudonyms) text(v uint32) string {
	v--
	sl := p.slabs[v>>slabBits]
	return unsafe.String(&sl.texts[v&slabMask][0], int(sl.keys[v&slabMask].len))
}

func (p *pseudonyms) of(kind byte, id int64) string {
	i, found := p.slot(kind, id)
	if found {
		s := p.text(p.slots[i])
		// Reading a byte brings the text's line in now, while other
		// lookups of the batch are under way, not later in the encoder.
		p.touch ^= s[0]
		return s
	}
	switch {
	case p.n == maxPseudonyms:
		p.reset()
		i, _ = p.slot(kind, id)
	case 2*(p.n+1) > len(p.slots):
		// Keep the table at most half full, so probes stay short.
		old := p.slots
		p.slots = make([]uint32, 2*len(old))
		for _, v := range old {
			if v != 0 {
				k := &p.slabs[(v-1)>>slabBits].keys[(v-1)&slabMask]
				j, _ := p.slot(k.kind, k.id)
				p.slots[j] = v
			}
		}
		i, _ = p.slot(kind, id)
	}
	if p.n&slabMask == 0 {
		p.slabs = append(p.slabs, new(pseudoSlab))
	}
	sl := p.slabs[p.n>>slabBits]
	k, text := &sl.keys[p.n&slabMask], &sl.texts[p.n&slabMask]
	k.id, k.kind = id, kind
	if p.raw {
		k.len = byte(len(strconv.AppendInt(text[:0], id, 10)))
	} else {
		p.msg = strconv.AppendInt(append(append(p.msg[:0], kindNames[kind]...), ':'), id, 10)
		p.mac.Reset()
		p.mac.Write(p.msg)
		p.sum = p.mac.Sum(p.sum[:0])
		k.len = byte(hex.Encode(text[:], p.sum))
	}
	p.n++
	p.slots[i] = uint32(p.n)
	return p.text(uint32(p.n))
}
