package event

import (
	"encoding/json"
	"math"
	"testing"
)

func TestValue(t *testing.T) {
	for _, c := range []struct {
		v    Value
		typ  PropertyType
		text string
		any  any
	}{
		{StringValue("x"), String, "x", "x"},
		{Value{}, String, "", ""},
		{IntValue(-7), Integer, "-7", int64(-7)},
		{FloatValue(2.5), Number, "2.5", 2.5},
		{FloatValue(math.NaN()), Number, "null", nil},
		{BoolValue(true), Boolean, "true", true},
		{BoolValue(false), Boolean, "false", false},
	} {
		if c.v.Type() != c.typ || c.v.String() != c.text || c.any != nil && c.v.Any() != c.any {
			t.Errorf("%#v: type %v text %q any %#v, want %v %q %#v", c.v, c.v.Type(), c.v.String(), c.v.Any(), c.typ, c.text, c.any)
		}
	}
	if IntValue(3).Float() != 3 || FloatValue(2.5).Int() != 0 || !BoolValue(true).Bool() || StringValue("true").Bool() {
		t.Error("accessors of the wrong type")
	}
	if !IntValue(3).Equal(IntValue(3)) || IntValue(3).Equal(FloatValue(3)) || !StringValue("").Equal(Value{}) {
		t.Error("Equal")
	}
}

// Numbers are written as encoding/json writes them.
func TestFloatMatchesEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 2.5, 1e20, 1e21, 1.5e300, 1e-6, 1e-7, -3.25e-9, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		want, _ := json.Marshal(f)
		if got := FloatValue(f).String(); got != string(want) {
			t.Errorf("FloatValue(%v).String() = %s, want %s", f, got, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got := FloatValue(f).String(); got != "null" {
			t.Errorf("FloatValue(%v).String() = %s, want null", f, got)
		}
	}
}
