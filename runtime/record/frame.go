package record

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"strings"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
)

// A frame is one record as Add keeps it until a flush: raw identifiers and
// typed properties in a compact binary form, with no pointer into the
// caller's memory (event.Record is never retained). The flusher turns
// frames into Records, pseudonymizing there, off the caller's path.
//
//	u32   frame length, these four bytes included
//	[16]  id: zero from Add, written by the flusher (see stampIDs)
//	i64   occurred_at, Unix nanoseconds
//	u8    flags (hasUser ... hasCustom)
//	str   event name
//	i64   user, project, namespace: each only when its flag is set
//	uvar  count, then i64 each: feature_enabled_by_namespace_ids (flag)
//	str   label (flag); str property (flag); f64 value (flag)
//	uvar  count, then per custom property: str name, u8 kind, payload (flag)
//
// str is a uvarint length and the bytes; numbers are little-endian.
const (
	hasUser = 1 << iota
	hasProject
	hasNamespace
	hasFeature
	hasLabel
	hasProperty
	hasValue
	hasCustom
)

const frameHeader = 4 + 16 + 8 + 1

// appendFrame appends r's frame to dst, with id as its id.
func appendFrame(dst []byte, id ID, at time.Time, name string, r *event.Record) []byte {
	start := len(dst)
	var flags byte
	if r.User != 0 {
		flags |= hasUser
	}
	if r.Project != 0 {
		flags |= hasProject
	}
	if r.Namespace != 0 {
		flags |= hasNamespace
	}
	if len(r.FeatureEnabledByNamespaceIDs) > 0 {
		flags |= hasFeature
	}
	if r.Label != "" {
		flags |= hasLabel
	}
	if r.Property != "" {
		flags |= hasProperty
	}
	if r.HasValue {
		flags |= hasValue
	}
	if len(r.Custom) > 0 {
		flags |= hasCustom
	}
	dst = append(dst, 0, 0, 0, 0)
	dst = append(dst, id[:]...)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(at.UnixNano()))
	dst = append(dst, flags)
	dst = appendStr(dst, name)
	if flags&hasUser != 0 {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(r.User))
	}
	if flags&hasProject != 0 {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(r.Project))
	}
	if flags&hasNamespace != 0 {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(r.Namespace))
	}
	if flags&hasFeature != 0 {
		dst = binary.AppendUvarint(dst, uint64(len(r.FeatureEnabledByNamespaceIDs)))
		for _, ns := range r.FeatureEnabledByNamespaceIDs {
			dst = binary.LittleEndian.AppendUint64(dst, uint64(ns))
		}
	}
	if flags&hasLabel != 0 {
		dst = appendStr(dst, r.Label)
	}
	if flags&hasProperty != 0 {
		dst = appendStr(dst, r.Property)
	}
	if flags&hasValue != 0 {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(r.Value))
	}
	if flags&hasCustom != 0 {
		dst = binary.AppendUvarint(dst, uint64(len(r.Custom)))
		for _, p := range r.Custom {
			dst = appendStr(dst, p.Name)
			dst = appendValue(dst, p.Value)
		}
	}
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}

func appendStr(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// appendValue writes a custom property's type and value.
func appendValue(dst []byte, v event.Value) []byte {
	switch v.Type() {
	case event.Integer:
		return binary.LittleEndian.AppendUint64(append(dst, byte(event.Integer)), uint64(v.Int()))
	case event.Number:
		return binary.LittleEndian.AppendUint64(append(dst, byte(event.Number)), math.Float64bits(v.Float()))
	case event.Boolean:
		b := byte(0)
		if v.Bool() {
			b = 1
		}
		return append(dst, byte(event.Boolean), b)
	}
	return appendStr(append(dst, byte(event.String)), v.String())
}

// frameReader decodes frames from a string that holds many. The strings of
// the records it makes come from an interner, not from the frames, so the
// flush can reuse the frames' memory once their batch is delivered.
type frameReader struct {
	s   string
	pos int
}

func (f *frameReader) u8() byte {
	b := f.s[f.pos]
	f.pos++
	return b
}

func (f *frameReader) u64() uint64 {
	s := f.s[f.pos : f.pos+8]
	f.pos += 8
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func (f *frameReader) uvarint() uint64 {
	var x uint64
	var shift uint
	for {
		b := f.u8()
		x |= uint64(b&0x7F) << shift
		if b < 0x80 {
			return x
		}
		shift += 7
	}
}

func (f *frameReader) str() string {
	n := int(f.uvarint())
	s := f.s[f.pos : f.pos+n]
	f.pos += n
	return s
}

// frameLen is the length of the frame starting at s[pos].
func frameLen(s string, pos int) int {
	return int(uint32(s[pos]) | uint32(s[pos+1])<<8 | uint32(s[pos+2])<<16 | uint32(s[pos+3])<<24)
}

// decode reads the frame at f.pos into r, taking its identifiers from
// ids (in the order frameBatch.prepare made them), its strings from in, appending its properties to
// props and its feature namespaces to names; it returns what is left of
// ids and both slices.
func (f *frameReader) decode(r *Record, ids []string, in *interner, ctx *Context, props []Property, names []string) ([]string, []Property, []string) {
	f.pos += 4
	copy(r.ID[:], f.s[f.pos:f.pos+16])
	f.pos += 16
	r.OccurredAt = time.Unix(0, int64(f.u64())).UTC()
	flags := f.u8()
	r.Event = in.get(f.str())
	r.Identifiers = Identifiers{}
	if flags&hasUser != 0 {
		r.Identifiers.User, ids = ids[0], ids[1:]
		f.pos += 8
	}
	if flags&hasProject != 0 {
		r.Identifiers.Project, ids = ids[0], ids[1:]
		f.pos += 8
	}
	if flags&hasNamespace != 0 {
		r.Identifiers.Namespace, ids = ids[0], ids[1:]
		f.pos += 8
	}
	if flags&hasFeature != 0 {
		n := int(f.uvarint())
		start := len(names)
		names = append(names, ids[:n]...)
		ids = ids[n:]
		f.pos += 8 * n
		r.Identifiers.FeatureEnabledByNamespaces = names[start:len(names):len(names)]
	}
	start := len(props)
	if flags&hasLabel != 0 {
		props = append(props, Property{Name: "label", Value: event.StringValue(in.get(f.str()))})
	}
	if flags&hasProperty != 0 {
		props = append(props, Property{Name: "property", Value: event.StringValue(in.get(f.str()))})
	}
	if flags&hasValue != 0 {
		props = append(props, Property{Name: "value", Value: event.FloatValue(math.Float64frombits(f.u64()))})
	}
	if flags&hasCustom != 0 {
		for n := f.uvarint(); n > 0; n-- {
			name := in.get(f.str())
			var v Value
			switch event.PropertyType(f.u8()) {
			case event.Integer:
				v = event.IntValue(int64(f.u64()))
			case event.Number:
				v = event.FloatValue(math.Float64frombits(f.u64()))
			case event.Boolean:
				v = event.BoolValue(f.u8() == 1)
			default:
				v = event.StringValue(in.get(f.str()))
			}
			props = append(props, Property{Name: name, Value: v})
		}
	}
	r.Properties = props[start:len(props):len(props)]
	r.Context = *ctx
	return ids, props, names
}

// interner gives the strings of decoded records and their JSON form:
// names and values repeat (events, property names, labels, enum values),
// so a string seen lately is handed out again, and only a new one is
// copied and escaped. A slot is picked by a hash of the bytes; a
// collision replaces it. Strings handed out are copies, never the frames'
// memory, so they stay valid after the flush writes over that memory.
type interner struct {
	seed  maphash.Seed
	slots [1 << 12]internSlot
}

type internSlot struct {
	raw  string
	json string // raw as a JSON string; "" in a slot never filled
}

func newInterner() *interner { return &interner{seed: maphash.MakeSeed()} }

func (in *interner) slot(b string) *internSlot {
	s := &in.slots[maphash.String(in.seed, b)&(1<<12-1)]
	if s.raw != b || s.json == "" {
		s.raw = strings.Clone(b)
		s.json = string(appendString(nil, b))
	}
	return s
}

// get is b as a string of its own.
func (in *interner) get(b string) string { return in.slot(b).raw }

// json is b as a JSON string, quoted and escaped.
func (in *interner) json(b string) string { return in.slot(b).json }
