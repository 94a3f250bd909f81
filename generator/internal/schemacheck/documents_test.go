package schemacheck

import (
	"github.com/usagekit/usagekit/generator/internal/load"
	"github.com/usagekit/usagekit/generator/internal/productgroups"
)

// Documents are decoded definitions, as the loader leaves them.
type Documents struct{ Documents []*load.Document }

// ReadDocuments reads and decodes the definitions under roots with the
// loader's own steps (load.Files, load.ReadFile); product group lists and
// files that do not decode are left out.
func ReadDocuments(roots ...string) Documents {
	files, _ := load.Files(roots...)
	var res Documents
	for _, f := range files {
		if productgroups.IsList(f.Path) {
			continue
		}
		if doc, _ := load.ReadFile(f); doc != nil && doc.Kind != load.Unknown {
			res.Documents = append(res.Documents, doc)
		}
	}
	return res
}
