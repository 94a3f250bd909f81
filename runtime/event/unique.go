package event

import "strconv"

// Unique is the attribute a unique count is taken over: an identifier or a
// built-in property. The zero value means "not a unique count".
type Unique uint8

// Unique attributes, written in definitions as user.id, project.id,
// namespace.id, label, property and value.
const (
	UniqueNone Unique = iota
	UniqueUser
	UniqueProject
	UniqueNamespace
	UniqueLabel
	UniqueProperty
	UniqueValue
)

// uniqueNames are the definitions' spellings, indexed by Unique.
var uniqueNames = [...]string{"", "user.id", "project.id", "namespace.id", "label", "property", "value"}

// Uniques lists every unique attribute in declaration order.
var Uniques = []Unique{UniqueUser, UniqueProject, UniqueNamespace, UniqueLabel, UniqueProperty, UniqueValue}

// ParseUnique returns the attribute a definition spells as s ("user.id",
// "label", ...), and false when s is none of them.
func ParseUnique(s string) (Unique, bool) {
	for i, n := range uniqueNames {
		if i > 0 && n == s {
			return Unique(i), true
		}
	}
	return UniqueNone, false
}

// String is the definition's spelling: user.id, project.id, namespace.id,
// label, property or value; "" for UniqueNone.
func (u Unique) String() string {
	if int(u) < len(uniqueNames) {
		return uniqueNames[u]
	}
	return "Unique(" + strconv.Itoa(int(u)) + ")"
}

// KeyPart is the attribute's part of a HyperLogLog key: the spelling
// without ".id", as GitLab writes it (user, project, namespace, label,
// property, value).
func (u Unique) KeyPart() string {
	switch u {
	case UniqueUser:
		return "user"
	case UniqueProject:
		return "project"
	case UniqueNamespace:
		return "namespace"
	}
	return u.String()
}

// Identifier is the identifier an event must declare for a unique count
// over u (user, project or namespace), and "" for the property attributes.
func (u Unique) Identifier() string {
	switch u {
	case UniqueUser, UniqueProject, UniqueNamespace:
		return u.KeyPart()
	}
	return ""
}

// Property is the built-in property an event must declare for a unique
// count over u (label, property or value), and "" for identifiers.
func (u Unique) Property() string {
	switch u {
	case UniqueLabel, UniqueProperty, UniqueValue:
		return u.String()
	}
	return ""
}
