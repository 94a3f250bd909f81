package validate_test

import (
	"os"
	"testing"

	"github.com/usagekit/usagekit/generator/internal/load"
	"github.com/usagekit/usagekit/generator/internal/productgroups"
	"github.com/usagekit/usagekit/generator/internal/validate"
)

// documents holds decoded definitions, as the loader leaves them.
type documents struct{ Documents []*load.Document }

// exampleDocs reads and decodes the example definitions once for the
// benchmarks, with the loader's own steps.
func exampleDocs(b *testing.B) documents {
	files, diags := load.Files("../../../definitions")
	var res documents
	for _, f := range files {
		if productgroups.IsList(f.Path) {
			continue
		}
		doc, d := load.ReadFile(f)
		diags = append(diags, d...)
		if doc != nil && doc.Kind != load.Unknown {
			res.Documents = append(res.Documents, doc)
		}
	}
	if len(diags) > 0 || len(res.Documents) == 0 {
		b.Fatalf("definitions: %v", diags)
	}
	return res
}

// BenchmarkValidateDefinitions validates the decoded example definitions:
// schemas and cross-file rules, without reading or parsing files.
func BenchmarkValidateDefinitions(b *testing.B) {
	res := exampleDocs(b)
	gitlab, err := productgroups.GitLab()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		parts := make([]validate.Part, len(res.Documents))
		for i, d := range res.Documents {
			parts[i] = validate.CheckDocumentWith(d, gitlab)
		}
		if _, diags := validate.Link(parts); len(diags) > 0 {
			b.Fatal(diags)
		}
	}
	b.ReportMetric(float64(len(res.Documents))*float64(b.N)/b.Elapsed().Seconds(), "defs/s")
}

// BenchmarkParseDefinitions decodes the example definitions from bytes
// already in memory.
func BenchmarkParseDefinitions(b *testing.B) {
	res := exampleDocs(b)
	data := make([][]byte, len(res.Documents))
	for i, d := range res.Documents {
		var err error
		if data[i], err = os.ReadFile(d.Path); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, d := range res.Documents {
			if _, diags := load.Parse(d.Path, data[i]); len(diags) > 0 {
				b.Fatal(diags)
			}
		}
	}
	b.ReportMetric(float64(len(data))*float64(b.N)/b.Elapsed().Seconds(), "defs/s")
}
