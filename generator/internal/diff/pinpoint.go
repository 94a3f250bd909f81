package diff

import (
	"os"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/internal/load"
)

// pointers says, per rule, which key of the working-tree file a finding is
// about. The model keeps the position of each definition, not of every key,
// so Pinpoint reads the file again to point at the line that changed.
var pointers = map[string]string{
	RuleTimeFrameChanged:  "/time_frame",
	RuleUniqueChanged:     "/events",
	RuleIdentifierRemoved: "/identifiers",
	RulePropertyRemoved:   "/additional_properties",
}

// Pinpoint moves findings from the start of a definition to the key they
// concern (time_frame, events, identifiers, additional_properties) when the
// file still has that key. Findings it cannot place are left as they are.
func Pinpoint(l diag.List) diag.List {
	docs := map[string]*load.Document{}
	for i, d := range l {
		ptr, ok := pointers[d.Rule]
		if !ok {
			continue
		}
		doc, seen := docs[d.Path]
		if !seen {
			if data, err := os.ReadFile(d.Path); err == nil {
				doc, _ = load.Parse(d.Path, data)
			}
			docs[d.Path] = doc
		}
		if doc == nil {
			continue
		}
		if d.Rule == RuleUniqueChanged {
			// The first rule's unique key, where the change most likely is.
			if key := firstUnique(doc); key != nil {
				l[i].Line, l[i].Col = key.Line, key.Column
				continue
			}
		}
		if key, _ := doc.Lookup(ptr); key != nil {
			l[i].Line, l[i].Col = key.Line, key.Column
		}
	}
	return l.Sort()
}

// firstUnique returns the key of the first unique of the metric's event
// rules, or nil when no rule has one.
func firstUnique(doc *load.Document) *yaml.Node {
	_, events := doc.Lookup("/events")
	if events == nil || events.Kind != yaml.SequenceNode {
		return nil
	}
	for i := range events.Content {
		if key, _ := doc.Lookup("/events/" + strconv.Itoa(i) + "/unique"); key != nil {
			return key
		}
	}
	return nil
}
