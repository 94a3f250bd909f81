package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/usagekit/usagekit/generated"
	"github.com/usagekit/usagekit/internal/golden"
	"github.com/usagekit/usagekit/internal/natstest"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/record/jsonl"
	"github.com/usagekit/usagekit/runtime/record/natssink"
	"github.com/usagekit/usagekit/runtime/track"
)

// trackSome tracks a few events through the generated Track functions into
// a record sink, as an application's integration tests would.
func trackSome(t *testing.T, sink record.Sink) {
	t.Helper()
	p, err := record.New(sink, record.Options{Secret: []byte("live-check-test-secret-0123456789"), FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tr := track.New(track.Options{FlushInterval: -1, Records: p, Now: func() time.Time { return clock }})
	ctx := track.NewContext(context.Background(), tr)
	generated.TrackCreateIssue(ctx, 1, 10, 100, generated.CreateIssueProperties{Label: "bug", Weight: 2})
	generated.TrackCreateIssue(ctx, 2, 10, 100, generated.CreateIssueProperties{Confidential: true})
	generated.TrackCloseIssue(ctx, 1, 10, 100, generated.CloseIssueProperties{Label: "bug"})
	generated.TrackGenerateMergeRequestSummary(ctx, 1, 10, 100, []event.NamespaceID{100})
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// liveFile writes the records of trackSome and two records no Track
// function would make to a JSON-lines file.
func liveFile(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	trackSome(t, jsonl.New(&b))
	b.WriteString(`{"id":"0193a6b8-0000-7000-8000-000000000001","occurred_at":"2026-11-25T10:00:00Z","event":"create_isue","identifiers":{"user":"ab","project":"cd","namespace":"ef"}}` + "\n")
	b.WriteString(`{"id":"0193a6b8-0000-7000-8000-000000000002","occurred_at":"2026-11-25T10:00:00Z","event":"create_issue","identifiers":{"user":"ab","project":"cd","namespace":"ef"},"properties":{"weight":"heavy"}}` + "\n")
	path := filepath.Join(t.TempDir(), "records.jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLiveCheckFile(t *testing.T) {
	path := liveFile(t)
	defs := filepath.Join("..", "..", "..", "definitions")
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		golden string
		stderr string
	}{
		{"text", []string{"--file", path}, exitProblems, "text.txt", ""},
		{"json", []string{"--file", path, "--format", "json"}, exitProblems, "json.json", ""},
		{"github", []string{"--format", "github", "--file", path}, exitProblems, "github.txt", ""},
		{"coverage below the minimum", []string{"--file", path, "--format", "json", "--min-coverage", "50"}, exitProblems, "json.json",
			"usagekit live-check: 20.0% of the active internal events were seen; --min-coverage is 50%\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"live-check", "--definitions", defs}, tt.args...), &stdout, &stderr)
			if code != tt.code || stderr.String() != tt.stderr {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, stderr.String(), tt.code, tt.stderr)
			}
			out := strings.ReplaceAll(stdout.String(), path, "records.jsonl")
			golden.Check(t, filepath.Join("testdata", "livecheck", tt.golden), []byte(out))
		})
	}
}

// Good records only, from standard input: exit 0.
func TestLiveCheckClean(t *testing.T) {
	var b bytes.Buffer
	trackSome(t, jsonl.New(&b))
	f, err := os.CreateTemp(t.TempDir(), "records")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(b.Bytes())
	f.Seek(0, 0)
	stdin := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = stdin }()
	var stdout, stderr bytes.Buffer
	code := run([]string{"live-check", "--definitions", "../../../definitions", "--file", "-"}, &stdout, &stderr)
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if code != exitOK || stderr.Len() > 0 || lines[len(lines)-1] != "checked 4 records: 0 with problems, 0 problems; 3 of 15 events seen (20.0%)" {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, stderr.String(), stdout.String())
	}
}

func TestLiveCheckStream(t *testing.T) {
	nc := natstest.Connect(t, "")
	stream, subject := natstest.Names(t, nc)
	sink, err := natssink.New(context.Background(), nc, natssink.Options{Stream: stream, Subject: subject})
	if err != nil {
		t.Fatal(err)
	}
	trackSome(t, sink)
	if _, err := nc.Request(subject+".create_isue", nil, time.Second); err != nil {
		// JetStream's acknowledgement of a message that is not a record.
		t.Fatal(err)
	}
	// A body in an encoding no sink writes is a problem of its message.
	bad := &nats.Msg{Subject: subject + ".create_issue", Data: []byte("x"), Header: nats.Header{natssink.HeaderEncoding: {"zstd"}}}
	if _, err := nc.RequestMsg(bad, time.Second); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"live-check", "--definitions", "../../../definitions", "--nats", natstest.URL(), "--stream", stream, "--format", "json"}, &stdout, &stderr)
	var out struct {
		Records     int
		Problems    int
		Diagnostics []struct{ Path, Message string }
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("exit %d, stderr %s: %v\n%s", code, stderr.String(), err, stdout.String())
	}
	want := stream + `/5: natssink: unreadable message body: Content-Encoding "zstd", want "snappy" or none`
	if code != exitProblems || out.Records != 4 || out.Problems != 1 || out.Diagnostics[0].Path+": "+out.Diagnostics[0].Message != want {
		t.Errorf("exit %d, %d records, %d problems; want 1, 4, 1 (an empty message is no record, a zstd one is a problem: %s): %s",
			code, out.Records, out.Problems, want, stdout.String())
	}
}

func TestLiveCheckUsage(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{nil, "usagekit live-check: give one of --file PATH (- for standard input) and --nats URL\n"},
		{[]string{"--file", "a", "--nats", "nats://x"}, "usagekit live-check: give one of --file PATH (- for standard input) and --nats URL\n"},
		{[]string{"--file", "a", "--follow"}, "usagekit live-check: --follow reads a stream: give --nats URL\n"},
		{[]string{"--file", "a", "--format", "xml"}, `usagekit live-check: unknown format "xml"; known formats: text, json, codequality, junit, github` + "\n"},
		{[]string{"--file", "a", "--min-coverage", "120"}, "usagekit live-check: --min-coverage 120: want a percentage from 0 to 100\n"},
		{[]string{"records.jsonl"}, `usagekit live-check: unexpected argument "records.jsonl"; records come from --file or --nats` + "\n"},
		{[]string{"--file", "nowhere.jsonl", "--definitions", "../../../definitions"}, "usagekit live-check: open nowhere.jsonl: no such file or directory\n"},
		{[]string{"--nats", "nats://127.0.0.1:1", "--definitions", "../../../definitions"}, "usagekit live-check: NATS at nats://127.0.0.1:1: nats: no servers available for connection\n"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"live-check"}, tt.args...), &stdout, &stderr)
		if code != exitUsage || stderr.String() != tt.stderr {
			t.Errorf("%q: exit %d, stderr %q; want 2, %q", tt.args, code, stderr.String(), tt.stderr)
		}
	}
}
