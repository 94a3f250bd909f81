package record

import (
	"math"
	"slices"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
)

// Batch is records to deliver together. It and what its methods return are
// valid only during Send (with an AsyncSink, until SendAsync returns); a
// sink must not keep them, but may keep the strings of a Record.
//
// A pipeline's batch holds its records in the compact form Add wrote:
// AppendJSON writes a record's JSON straight from it, and Record decodes
// the records only when a sink asks for one, so a sink that sends JSON
// (natssink, httpsink, jsonl) never pays for Records it does not read.
type Batch struct {
	// ID identifies the batch across retries (a UUIDv7): sinks derive
	// message ids and idempotency keys from it.
	ID      ID
	records []Record
	// fb holds a pipeline batch's frames; records is decoded from it on
	// the first call of Record.
	fb *frameBatch
	// ctxJSON is the records' shared context, encoded once.
	ctxJSON []byte
	times   timeCache
}

// NewBatch returns a batch of records, for sinks' tests and for sending
// records made elsewhere.
func NewBatch(id ID, records []Record) *Batch { return &Batch{ID: id, records: records} }

// Len is the number of records in the batch.
func (b *Batch) Len() int {
	if b.fb != nil {
		return len(b.fb.offs)
	}
	return len(b.records)
}

// Record returns record i, 0 <= i < Len(). The first call on a
// pipeline's batch decodes all its records.
func (b *Batch) Record(i int) *Record {
	if b.fb != nil && b.records == nil {
		b.records = b.fb.decodeAll()
	}
	return &b.records[i]
}

// Event is record i's event, without decoding the record.
func (b *Batch) Event(i int) string {
	if b.fb != nil && b.records == nil {
		return b.fb.event(i)
	}
	return b.records[i].Event
}

// AppendJSON appends the JSON form of record i to dst: the bytes
// b.Record(i).AppendJSON would append.
func (b *Batch) AppendJSON(dst []byte, i int) []byte {
	if b.fb != nil {
		return b.fb.appendJSON(dst, i, b.ctxJSON, &b.times)
	}
	return appendRecord(dst, &b.records[i], b.ctxJSON, &b.times)
}

// frameBatch is a batch's frames, as a flush prepares them: where each
// frame starts, and the text of each identifier, computed by one loop
// over the batch before any record is encoded (see prepare). The flusher
// keeps one and reuses its memory from batch to batch.
type frameBatch struct {
	frames string
	offs   []int32 // record i's frame starts at frames[offs[i]]
	// record i's identifiers are firstID[i] onwards: identifier k is
	// text[idEnd[k-1]:idEnd[k]], with idEnd[-1] = 0.
	firstID []int32
	idEnd   []int32
	text    []byte
	keys    []identKey // the batch's identifiers, in order
	in      *interner
	ctx     *Context
	recs    []Record
	props   []Property
	fe      []string
}

// prepare sets fb to the frames of one batch: their offsets, and every
// identifier's text from ps. With many users most lookups miss the
// processor's caches. So a first loop only reads the frames, a second,
// short enough for the processor to have many misses under way at once,
// touches each identifier's slot, and a third computes the texts from
// slots that are then in the cache.
func (fb *frameBatch) prepare(frames string, ps *pseudonyms) {
	fb.frames = frames
	fb.offs, fb.firstID, fb.keys = fb.offs[:0], fb.firstID[:0], fb.keys[:0]
	for pos := 0; pos < len(frames); pos += frameLen(frames, pos) {
		fb.offs = append(fb.offs, int32(pos))
		fb.firstID = append(fb.firstID, int32(len(fb.keys)))
		fr := frameReader{s: frames, pos: pos + frameHeader - 1}
		flags := fr.u8()
		if flags&(hasUser|hasProject|hasNamespace|hasFeature) == 0 {
			continue
		}
		fr.str()
		for kind, flag := range [...]byte{hasUser, hasProject, hasNamespace} {
			if flags&flag != 0 {
				fb.keys = append(fb.keys, identKey{kind: byte(kind), id: int64(fr.u64())})
			}
		}
		if flags&hasFeature != 0 {
			for n := fr.uvarint(); n > 0; n-- {
				fb.keys = append(fb.keys, identKey{kind: kindNamespace, id: int64(fr.u64())})
			}
		}
	}
	fb.idEnd, fb.text = fb.idEnd[:0], fb.text[:0]
	// A chunk's slots stay in the first-level cache between the loops.
	for keys := fb.keys; len(keys) > 0; {
		chunk := keys[:min(len(keys), 256)]
		keys = keys[len(chunk):]
		ps.touchAll(chunk)
		for _, k := range chunk {
			fb.text = ps.appendTo(fb.text, k.kind, k.id)
			fb.idEnd = append(fb.idEnd, int32(len(fb.text)))
		}
	}
}

// identKey is an identifier as a frame holds it.
type identKey struct {
	id   int64
	kind byte
}

// ident is the text of identifier k.
func (fb *frameBatch) ident(k int32) []byte {
	start := int32(0)
	if k > 0 {
		start = fb.idEnd[k-1]
	}
	return fb.text[start:fb.idEnd[k]]
}

// event is the event name of record i.
func (fb *frameBatch) event(i int) string {
	fr := frameReader{s: fb.frames, pos: int(fb.offs[i]) + frameHeader}
	return fb.in.get(fr.str())
}

var identKeys = [...]string{`"user":"`, `"project":"`, `"namespace":"`}

// appendJSON writes record i's JSON form from its frame: the bytes
// appendRecord writes for the record decodeAll makes of it. Strings come
// escaped from the interner, and identifiers (hex or decimal) need no
// escaping.
func (fb *frameBatch) appendJSON(dst []byte, i int, ctxJSON []byte, tc *timeCache) []byte {
	f := frameReader{s: fb.frames, pos: int(fb.offs[i]) + 4}
	dst = append(dst, `{"id":"`...)
	dst = appendIDHex(dst, f.s[f.pos:f.pos+16])
	f.pos += 16
	dst = append(dst, `","occurred_at":"`...)
	dst = tc.appendNanos(dst, int64(f.u64()))
	dst = append(dst, `","event":`...)
	flags := f.u8()
	dst = append(dst, fb.in.json(f.str())...)
	dst = append(dst, `,"identifiers":{`...)
	k := fb.firstID[i]
	sep := false
	for j, flag := range [...]byte{hasUser, hasProject, hasNamespace} {
		if flags&flag == 0 {
			continue
		}
		if sep {
			dst = append(dst, ',')
		}
		dst = append(dst, identKeys[j]...)
		dst = append(append(dst, fb.ident(k)...), '"')
		k++
		f.pos += 8
		sep = true
	}
	if flags&hasFeature != 0 {
		if sep {
			dst = append(dst, ',')
		}
		dst = append(dst, `"feature_enabled_by_namespace_ids":[`...)
		n := int(f.uvarint())
		for j := range n {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(append(append(dst, '"'), fb.ident(k)...), '"')
			k++
		}
		f.pos += 8 * n
		dst = append(dst, ']')
	}
	dst = append(dst, `},"properties":{`...)
	sep = false
	if flags&hasLabel != 0 {
		dst = append(append(dst, `"label":`...), fb.in.json(f.str())...)
		sep = true
	}
	if flags&hasProperty != 0 {
		if sep {
			dst = append(dst, ',')
		}
		dst = append(append(dst, `"property":`...), fb.in.json(f.str())...)
		sep = true
	}
	if flags&hasValue != 0 {
		if sep {
			dst = append(dst, ',')
		}
		dst = appendJSONValue(append(dst, `"value":`...), event.FloatValue(math.Float64frombits(f.u64())))
		sep = true
	}
	if flags&hasCustom != 0 {
		for n := f.uvarint(); n > 0; n-- {
			if sep {
				dst = append(dst, ',')
			}
			sep = true
			dst = append(append(dst, fb.in.json(f.str())...), ':')
			switch event.PropertyType(f.u8()) {
			case event.Integer:
				dst = appendJSONValue(dst, event.IntValue(int64(f.u64())))
			case event.Number:
				dst = appendJSONValue(dst, event.FloatValue(math.Float64frombits(f.u64())))
			case event.Boolean:
				dst = appendJSONValue(dst, event.BoolValue(f.u8() == 1))
			default:
				dst = append(dst, fb.in.json(f.str())...)
			}
		}
	}
	dst = append(dst, `},"context":`...)
	dst = append(dst, ctxJSON...)
	return append(dst, '}')
}

// decodeAll decodes the batch's records. Their identifiers are slices of
// one string copied from fb.text, so a sink may keep them.
func (fb *frameBatch) decodeAll() []Record {
	text := string(fb.text)
	ids := make([]string, len(fb.idEnd))
	start := int32(0)
	for k, end := range fb.idEnd {
		ids[k], start = text[start:end], end
	}
	fb.recs, fb.props, fb.fe = fb.recs[:0], fb.props[:0], fb.fe[:0]
	rd := frameReader{s: fb.frames}
	for rd.pos < len(rd.s) {
		fb.recs = append(fb.recs, Record{})
		ids, fb.props, fb.fe = rd.decode(&fb.recs[len(fb.recs)-1], ids, fb.in, fb.ctx, fb.props, fb.fe)
	}
	if fb.recs == nil {
		fb.recs = []Record{}
	}
	return fb.recs
}

// appendNanos is append for a time given in Unix nanoseconds.
func (tc *timeCache) appendNanos(dst []byte, ns int64) []byte {
	sec, nsec := ns/1e9, ns%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	if sec != tc.sec || tc.prefix == nil {
		tc.prefix = appendTime(tc.prefix[:0], time.Unix(sec, 0))[:20]
		tc.sec = sec
	}
	dst = append(dst, tc.prefix...)
	dst = appendDigits(dst, int(nsec), 9)
	return append(dst, 'Z')
}

// appendIDHex appends the canonical form of the id whose 16 bytes are s.
func appendIDHex(dst []byte, s string) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 36)[:n+36]
	out := dst[n:]
	j := 0
	for i := range 16 {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexPairs[s[i]][0], hexPairs[s[i]][1]
		j += 2
	}
	return dst
}
