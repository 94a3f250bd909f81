package generator_test

import (
	"errors"
	"fmt"
	"go/format"
	"testing"
	"time"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/emit"
	"github.com/usagekit/usagekit/generator/internal/parallel"
)

// BenchmarkGenerate is what `usagekit generate` does per run, minus
// writing: load, validate and emit 10,000 definitions (the synthetic set of
// BenchmarkValidate, so the difference between the two is the cost of
// emitting). The goal is at most one second per run on two cores.
func BenchmarkGenerate(b *testing.B) {
	const n = 10_000
	dir := b.TempDir()
	if err := writeSyntheticDefinitions(dir, n); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("defs=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		var files int
		cpu := cpuTime()
		for b.Loop() {
			set, err := generator.Load(dir)
			if err != nil {
				b.Fatal(err)
			}
			out, err := emit.Emit(set, emit.Options{Package: "generated", Root: dir, RootName: "definitions"})
			if err != nil {
				b.Fatal(err)
			}
			files = len(out)
		}
		b.ReportMetric(float64(files), "files")
		reportCPU(b, cpu)
	})
	// Emit alone, from the loaded model: the generator's own share.
	set, err := generator.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("emit-only/defs=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			if _, err := emit.Emit(set, emit.Options{Package: "generated", Root: dir, RootName: "definitions"}); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
	// The two parts no emitter built on jennifer can skip, measured alone:
	// loading and validating, and go/format over the same output (jennifer
	// renders unformatted text, so gofmt-clean output costs at least one
	// format.Source per file). Their CPU seconds added, divided by the
	// cores, are the least wall time a run of the first benchmark can take.
	b.Run(fmt.Sprintf("load-only/defs=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			if _, err := generator.Load(dir); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
	files, err := emit.Emit(set, emit.Options{Package: "generated", Root: dir, RootName: "definitions"})
	if err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("format-only/defs=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		var size int
		for _, f := range files {
			size += len(f.Data)
		}
		b.SetBytes(int64(size))
		cpu := cpuTime()
		for b.Loop() {
			if err := formatAll(files); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
}

// formatAll runs go/format over every file, on as many goroutines as
// Emit uses.
func formatAll(files []emit.File) error {
	errs := make([]error, len(files))
	parallel.Each(len(files), func(i int) {
		_, errs[i] = format.Source(files[i].Data)
	})
	return errors.Join(errs...)
}

// reportCPU reports the CPU seconds per run used since start, all
// goroutines and the garbage collector included. It varies much less than
// wall time on a busy machine; divided by the cores, it is the least wall
// time a run can take.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric((cpuTime()-start).Seconds()/float64(b.N), "cpu-sec/op")
}
