package event

import (
	"math"
	"strconv"
)

// Value is a custom property's value, typed as the property is declared.
// Like slog.Value it holds a string or a number without boxing it, so a
// generated Track function builds its custom properties without
// allocating. The zero Value is the empty string.
type Value struct {
	typ PropertyType
	str string
	num uint64
}

// StringValue returns a string Value.
func StringValue(s string) Value { return Value{typ: String, str: s} }

// IntValue returns an integer Value.
func IntValue(n int64) Value { return Value{typ: Integer, num: uint64(n)} }

// FloatValue returns a number Value.
func FloatValue(f float64) Value { return Value{typ: Number, num: math.Float64bits(f)} }

// BoolValue returns a boolean Value.
func BoolValue(b bool) Value {
	v := Value{typ: Boolean}
	if b {
		v.num = 1
	}
	return v
}

// Type is the value's type.
func (v Value) Type() PropertyType {
	if v.typ == 0 {
		return String
	}
	return v.typ
}

// Int is the value of an integer Value, else 0.
func (v Value) Int() int64 {
	if v.typ != Integer {
		return 0
	}
	return int64(v.num)
}

// Float is the value of a number Value, or an integer's value as a
// float64, else 0.
func (v Value) Float() float64 {
	switch v.typ {
	case Number:
		return math.Float64frombits(v.num)
	case Integer:
		return float64(int64(v.num))
	}
	return 0
}

// Bool is the value of a boolean Value, else false.
func (v Value) Bool() bool { return v.typ == Boolean && v.num == 1 }

// String is the value as text: a string as it is, numbers as JSON writes
// them (null for NaN and infinities), booleans as true or false.
func (v Value) String() string {
	if v.typ <= String {
		return v.str
	}
	b, _ := v.AppendText(nil)
	return string(b)
}

// AppendText appends the value's text, as String gives it, to b; it
// implements encoding.TextAppender and never fails.
func (v Value) AppendText(b []byte) ([]byte, error) {
	switch v.typ {
	case Integer:
		return strconv.AppendInt(b, int64(v.num), 10), nil
	case Number:
		return appendFloat(b, math.Float64frombits(v.num)), nil
	case Boolean:
		return strconv.AppendBool(b, v.num == 1), nil
	}
	return append(b, v.str...), nil
}

// Any is the value as a string, int64, float64 or bool.
func (v Value) Any() any {
	switch v.typ {
	case Integer:
		return int64(v.num)
	case Number:
		return math.Float64frombits(v.num)
	case Boolean:
		return v.num == 1
	}
	return v.str
}

// Equal reports whether v and w have the same type and value.
func (v Value) Equal(w Value) bool { return v.Type() == w.Type() && v.str == w.str && v.num == w.num }

// appendFloat writes f as encoding/json does; NaN and infinities, which
// JSON cannot carry, become null.
func appendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 becomes 1e-7, as encoding/json writes it.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}
