package load

import "go.yaml.in/yaml/v3"

// KindOf names the JSON type a YAML node decodes to, with an article, for
// messages about a value of the wrong type: "a mapping", "a list", "a
// number", "a boolean", "a string"; "an empty value" for a key without a
// value, "null" for an explicit null (~, null), and "missing" for no node.
func KindOf(n *yaml.Node) string {
	if n == nil {
		return "missing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		if n.Value == "" {
			return "an empty value"
		}
		return "null"
	}
	return "a string"
}
