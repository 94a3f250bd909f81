package validate_test

import (
	"os"
	"testing"

	"github.com/usagekit/usagekit/generator/load"
	"github.com/usagekit/usagekit/generator/validate"
)

// exampleDocs loads the example definitions once for the benchmarks.
func exampleDocs(b *testing.B) *load.Result {
	res := load.Load("../../definitions")
	if len(res.Diagnostics) > 0 || len(res.Documents) == 0 {
		b.Fatalf("definitions: %v", res.Diagnostics)
	}
	return res
}

// BenchmarkValidateDefinitions validates the decoded example definitions:
// schemas and cross-file rules, without reading or parsing files.
func BenchmarkValidateDefinitions(b *testing.B) {
	res := exampleDocs(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := validate.Validate(res.Documents); len(diags) > 0 {
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
