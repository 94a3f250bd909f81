package event

import (
	"cmp"
	"slices"
	"strings"
)

// FilterTerm is one exact-match condition on an additional property. Value
// is the canonical text of the value, the text Redis keys carry: strings as
// written, integers in decimal, numbers as written in the definition,
// booleans as true or false.
type FilterTerm struct {
	Property string
	Value    string
}

// Filter is the conditions of a metric rule, all of which must hold. It is
// sorted by property, the order Redis keys list them in; NewFilter sorts.
type Filter []FilterTerm

// NewFilter returns the terms as a Filter, sorted by property. It does not
// modify terms.
func NewFilter(terms ...FilterTerm) Filter {
	if len(terms) == 0 {
		return nil
	}
	f := slices.Clone(Filter(terms))
	slices.SortStableFunc(f, func(a, b FilterTerm) int { return cmp.Compare(a.Property, b.Property) })
	return f
}

// String is the filter as Redis keys write it, "k1:v1,k2:v2", with no
// spaces; "" for an empty filter.
func (f Filter) String() string {
	var b strings.Builder
	for i, t := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(t.Property)
		b.WriteByte(':')
		b.WriteString(t.Value)
	}
	return b.String()
}

// Value returns the value the filter requires of property, and false when
// the filter says nothing about it.
func (f Filter) Value(property string) (string, bool) {
	for _, t := range f {
		if t.Property == property {
			return t.Value, true
		}
	}
	return "", false
}
