// Package jsonl is a record sink that writes JSON lines (one record's JSON
// form per line) to an io.Writer: standard output or a file, for local
// development and debugging of the record path.
package jsonl

import (
	"context"
	"io"
	"sync"

	"github.com/usagekit/usagekit/runtime/record"
)

// Sink writes each batch as JSON lines in one Write. A failed Write is
// retried by the pipeline with the whole batch, so a writer that fails
// halfway may see part of a batch twice.
type Sink struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

var _ record.Sink = (*Sink)(nil)

// New returns a sink writing to w (os.Stdout, an *os.File, ...).
func New(w io.Writer) *Sink { return &Sink{w: w} }

// Send writes the batch's records, one JSON object and a newline each.
func (s *Sink) Send(_ context.Context, b *record.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = s.buf[:0]
	for i := range b.Len() {
		s.buf = append(b.AppendJSON(s.buf, i), '\n')
	}
	_, err := s.w.Write(s.buf)
	if cap(s.buf) > 4<<20 {
		s.buf = nil // do not pin a large batch's memory
	}
	return err
}
