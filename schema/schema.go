// Package schema holds the JSON Schemas of usagekit's definition files,
// embedded in the binary, which the generator compiles and applies, and the
// Iglu schema of the context of the records sent to Snowplow.
//
// The schemas are versioned by directory: v1/event.json and v1/metric.json
// describe version 1 of the format. A breaking change to the format is a new
// directory; files written for an old version keep validating against it.
// Every property carries a description, so editors that read JSON Schemas
// (yaml-language-server, via a "# yaml-language-server: $schema=..." comment
// at the top of a definition) show help and complete keys.
//
// A definition's product_group is any well-formed group name as far as
// the schemas go; usagekit checks it against the project's own
// product_groups.yml, whose shape v1/product_group_list.json describes, or
// against GitLab's list, v1/product_groups.json, when the project has none.
// (An enum of GitLab's groups in the definition schemas would make editors
// reject a project's own groups.)
//
// Besides the standard keywords the schemas use two annotations of their
// own, which validators ignore and usagekit reads to word its messages:
// "x-pattern" says in words what a pattern accepts, and "x-error" replaces
// the message of any failure of the schema that holds it.
package schema

import (
	"embed"
	"io/fs"
)

//go:embed v1/*.json
var files embed.FS

// RecordContext is the Iglu self-describing JSON Schema of the context
// entity that the Snowplow record sink attaches to every event
// (iglu:com.usagekit/record_context/jsonschema/1-0-0), published here, at
// iglu/com.usagekit/record_context/jsonschema/1-0-0, in the layout of an
// Iglu static repository, for a Snowplow pipeline to resolve.
//
//go:embed iglu/com.usagekit/record_context/jsonschema/1-0-0
var RecordContext []byte

// Base is the URL the schemas are compiled under: a schema's URL is Base
// followed by its path in this directory, such as v1/event.json, and
// validation errors locate keywords by it. The files carry no $id, so an
// editor resolves their references next to the file it read.
const Base = "https://raw.githubusercontent.com/usagekit/usagekit/main/schema/"

// Current is the format version new definitions are checked against.
const Current = "v1"

// FS returns the schema files, by path (v1/event.json, v1/metric.json).
func FS() fs.FS { return files }
