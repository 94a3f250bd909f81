package record

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
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

// maxPseudonyms bounds the cache: 2^17 entries of about 120 bytes.
const maxPseudonyms = 1 << 17

type pseudoKey struct {
	kind byte
	id   int64
}

// pseudonyms computes identifiers for records, with a cache: an HMAC
// costs about a microsecond, a lookup a few tens of nanoseconds, and the
// same users come back all the time. Used by one flush at a time.
type pseudonyms struct {
	raw   bool
	mac   hash.Hash
	cache map[pseudoKey]string
	msg   []byte
	sum   []byte
}

func newPseudonyms(secret []byte, raw bool) *pseudonyms {
	p := &pseudonyms{raw: raw, cache: make(map[pseudoKey]string)}
	if !raw {
		p.mac = hmac.New(sha256.New, secret)
	}
	return p
}

func (p *pseudonyms) of(kind byte, id int64) string {
	k := pseudoKey{kind, id}
	if s, ok := p.cache[k]; ok {
		return s
	}
	var s string
	if p.raw {
		s = strconv.FormatInt(id, 10)
	} else {
		p.msg = strconv.AppendInt(append(append(p.msg[:0], kindNames[kind]...), ':'), id, 10)
		p.mac.Reset()
		p.mac.Write(p.msg)
		p.sum = p.mac.Sum(p.sum[:0])
		s = hex.EncodeToString(p.sum)
	}
	if len(p.cache) >= maxPseudonyms {
		clear(p.cache) // a crude bound, but the working set refills it at once
	}
	p.cache[k] = s
	return s
}
