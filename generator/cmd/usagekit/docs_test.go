package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDocsCommand(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"docs", "--out", out, filepath.Join("..", "..", "..", "definitions")}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	for _, name := range []string{"index.md", "index.html", "groups/project-management.md"} {
		data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("%s not written: %v", name, err)
			continue
		}
		if name == "index.html" && !bytes.Contains(data, []byte(`id="event-create_issue"`)) {
			t.Errorf("index.html does not list event create_issue")
		}
	}
	if !strings.HasPrefix(stdout.String(), "wrote ") {
		t.Errorf("stdout = %q", stdout.String())
	}
}

func TestDocsCommandErrors(t *testing.T) {
	bad := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bad, "events"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "events", "x.yml"), []byte("action: [unclosed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no --out", []string{"docs"}, exitUsage, "usagekit docs: --out DIR is required\n"},
		{"unknown flag", []string{"docs", "--nope"}, exitUsage, "flag provided but not defined: -nope"},
		{"invalid definitions", []string{"docs", "--out", t.TempDir(), bad}, exitProblems, "usagekit docs: 1 problem in the definitions; no dictionary was written\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, &stdout, &stderr); code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.stderr)
			}
		})
	}
}
