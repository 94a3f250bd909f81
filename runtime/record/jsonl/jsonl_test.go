package jsonl_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/record/jsonl"
)

type flaky struct {
	bytes.Buffer
	fails int
}

func (f *flaky) Write(p []byte) (int, error) {
	if f.fails > 0 {
		f.fails--
		return 0, errors.New("disk full")
	}
	return f.Buffer.Write(p)
}

func TestJSONLines(t *testing.T) {
	out := &flaky{fails: 1}
	p, err := record.New(jsonl.New(out), record.Options{RawIdentifiers: true, FlushInterval: -1,
		Context: record.Context{AppName: "dev", Host: "laptop"}})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for i := range 3 {
		r := event.Record{User: event.UserID(i + 1), Label: "l"}
		p.Add("create_issue", &r, at.Add(time.Duration(i)*time.Second))
	}
	if err := p.Flush(context.Background()); err == nil || !errors.Is(err, record.ErrSend) {
		t.Fatalf("flush to a failing writer: %v", err)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&out.Buffer)
	n := 0
	for sc.Scan() {
		var r record.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d: %v: %s", n+1, err, sc.Bytes())
		}
		// Records of different processors' buffers may come in any order:
		// the user says which one this is.
		u := int(r.Identifiers.User[0] - '1')
		if want := at.Add(time.Duration(u) * time.Second); r.Event != "create_issue" || u < 0 || u > 2 ||
			!r.OccurredAt.Equal(want) || r.Context.AppName != "dev" || r.Context.Host != "laptop" ||
			len(r.Properties) != 1 || r.Properties[0].Value.String() != "l" {
			t.Errorf("line %d: %+v", n+1, r)
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d lines, want 3", n)
	}
}
