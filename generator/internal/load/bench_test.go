package load_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator/internal/load"
)

// manyProperties is an event declaring n custom properties.
func manyProperties(n int) []byte {
	var b strings.Builder
	b.WriteString("action: many\ndescription: d\nadditional_properties:\n")
	for i := range n {
		fmt.Fprintf(&b, "  p%d:\n    description: x\n", i)
	}
	return []byte(b.String())
}

// BenchmarkLookup looks up every property of an event with n of them, as
// validation does to place each schema error and each property of the
// model: the time per lookup must not grow with n.
func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{1_000, 4_000, 16_000} {
		b.Run(fmt.Sprintf("properties=%d", n), func(b *testing.B) {
			doc, diags := load.Parse("events/many.yml", manyProperties(n))
			if len(diags) > 0 {
				b.Fatal(diags)
			}
			ptrs := make([]string, n)
			for i := range ptrs {
				ptrs[i] = fmt.Sprintf("/additional_properties/p%d/description", i)
			}
			b.ReportAllocs()
			for b.Loop() {
				for _, p := range ptrs {
					if _, v := doc.Lookup(p); v == nil {
						b.Fatalf("Lookup(%q) found nothing", p)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/lookup")
		})
	}
}

// BenchmarkParseDefinitions decodes the example definitions from memory:
// the path every valid file takes.
func BenchmarkParseDefinitions(b *testing.B) {
	files, diags := load.Files("../../../definitions/events", "../../../definitions/metrics")
	if len(diags) > 0 || len(files) == 0 {
		b.Fatalf("definitions: %d files, %v", len(files), diags)
	}
	data := make([][]byte, len(files))
	for i, f := range files {
		var err error
		if data[i], err = os.ReadFile(f.FSPath); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, f := range files {
			if _, diags := load.Parse(f.Path, data[i]); len(diags) > 0 {
				b.Fatal(diags)
			}
		}
	}
	b.ReportMetric(float64(len(files))*float64(b.N)/b.Elapsed().Seconds(), "defs/s")
}
