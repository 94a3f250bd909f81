package generator_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/emit"
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
}

// reportCPU reports the CPU seconds per run used since start, all
// goroutines and the garbage collector included. It varies much less than
// wall time on a busy machine; divided by the cores, it is the least wall
// time a run can take.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric((cpuTime()-start).Seconds()/float64(b.N), "cpu-sec/op")
}
