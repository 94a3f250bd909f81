package main

import (
	"bytes"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestParseFlagsAnywhere(t *testing.T) {
	for _, tt := range []struct {
		args       []string
		format     string
		check      bool
		positional []string
		err        string
	}{
		{args: []string{"config", "--format", "json"}, format: "json", positional: []string{"config"}},
		{args: []string{"--format=json", "a", "b"}, format: "json", positional: []string{"a", "b"}},
		{args: []string{"a", "--check", "b"}, format: "text", check: true, positional: []string{"a", "b"}},
		{args: []string{"a", "--", "--format", "json"}, format: "text", positional: []string{"a", "--format", "json"}},
		{args: []string{"-", "--format", "junit"}, format: "junit", positional: []string{"-"}},
		{args: []string{"a", "--nope"}, err: "flag provided but not defined: -nope"},
		{args: []string{"a", "--format"}, err: "flag needs an argument: -format"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		format := fs.String("format", "text", "")
		check := fs.Bool("check", false, "")
		err := parseFlags(fs, tt.args)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: error %v, want %s", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || *format != tt.format || *check != tt.check || !slices.Equal(fs.Args(), tt.positional) {
			t.Errorf("%q: format %q, check %v, args %q, err %v; want %q, %v, %q", tt.args, *format, *check, fs.Args(), err, tt.format, tt.check, tt.positional)
		}
	}
}

// TestHelpAnywhere: a command's help is its usage text on stdout, exit 0,
// wherever -h or --help stands.
func TestHelpAnywhere(t *testing.T) {
	for _, args := range [][]string{
		{"validate", "--help"}, {"validate", "definitions", "-h"}, {"new", "event", "x", "--help"}, {"help", "ping"},
	} {
		var out, errs bytes.Buffer
		code := run(args, &out, &errs)
		if code != exitOK || errs.Len() != 0 || !strings.Contains(out.String(), "usagekit "+args[0]) && !strings.Contains(out.String(), "usagekit "+args[1]) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out.String(), errs.String())
		}
	}
}
