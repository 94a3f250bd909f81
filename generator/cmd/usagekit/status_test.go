package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/internal/golden"
)

// shopDir is the test module status runs in: an application with its own
// go.mod (usagekit by a replace to this checkout), its definitions and
// generated package, and code that tracks some events, one removed event
// and a misspelt name through its track endpoint.
const shopDir = "../../internal/tracking/testdata/shop"

// TestStatusShop runs status on the test module in every format and holds
// the findings, positions and call sites to goldens.
func TestStatusShop(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go not installed")
	}
	goldens, err := filepath.Abs(filepath.Join("testdata", "status"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(shopDir)
	const endpoint = "--name-func=example.com/shop/api.Track:1"
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"text", []string{endpoint}, exitProblems},
		{"calls", []string{endpoint, "--calls"}, exitProblems},
		{"json", []string{endpoint, "--format", "json"}, exitProblems},
		{"codequality", []string{endpoint, "--format", "codequality"}, exitProblems},
		{"junit", []string{endpoint, "--format", "junit"}, exitProblems},
		{"github", []string{endpoint, "--format", "github"}, exitProblems},
		{"never", []string{endpoint, "--fail-on", "never"}, exitOK},
		{"one package", []string{"./checkout", "--fail-on", "warning"}, exitProblems},
		{"no endpoint", []string{"./checkout", "./api"}, exitProblems},
		{"misspelt endpoint", []string{"./api", "--name-func", "example.com/shop/api.Trak:1"}, exitProblems},
		{"no generated package", []string{"./api"}, exitProblems},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"status"}, tt.args...), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tt.code, stderr.String())
			}
			name := strings.ReplaceAll(tt.name, " ", "-")
			golden.Check(t, filepath.Join(goldens, "shop."+name+".golden"), stdout.Bytes())
			golden.Check(t, filepath.Join(goldens, "shop."+name+".stderr.golden"), stderr.Bytes())
		})
	}
}

func TestStatusUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"bad format", []string{"--format", "xml"}, "usagekit status: unknown format \"xml\"; known formats: codequality, github, json, junit, text\n"},
		{"bad fail-on", []string{"--fail-on", "all"}, "invalid value \"all\" for flag -fail-on: unknown value \"all\"; want error, warning or never\n"},
		{"bad name-func", []string{"--name-func", "Track"}, "invalid value \"Track\" for flag -name-func: \"Track\": want IMPORTPATH.FUNC[:ARG] or IMPORTPATH.TYPE.METHOD[:ARG]\n"},
		{"bad name-func arg", []string{"--name-func", "example.com/api.Track:x"}, "invalid value \"example.com/api.Track:x\" for flag -name-func: \"example.com/api.Track:x\": ARG must be an argument's index, 0 or more\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(append([]string{"status"}, tt.args...), &stdout, &stderr); code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if got := stderr.String(); !strings.HasPrefix(got, tt.stderr) {
				t.Errorf("stderr %q\nwant prefix %q", got, tt.stderr)
			}
		})
	}
}

// TestDocsPackages: usagekit docs --packages shows the call sites status
// finds in the dictionary.
func TestDocsPackages(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go not installed")
	}
	out := t.TempDir()
	t.Chdir(shopDir)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"docs", "--out", out, "--packages", "./checkout", "--packages", "./legacy"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	page, err := os.ReadFile(filepath.Join(out, "groups", "shop.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := "## Call sites\n\n" +
		"- `cancel_order`: never tracked\n" +
		"- `place_order`: `checkout/checkout.go:14:8`\n" +
		"- `refund_order`: `legacy/legacy.go:16:8`\n" +
		"- `view_cart`: `checkout/checkout.go:19:20`\n"
	if !strings.Contains(string(page), want) {
		t.Errorf("groups/shop.md lacks\n%s\n%s", want, page)
	}
	if stderr.String() != "legacy/legacy.go:16:8: undefined: usage.TrackRefundOrder\nlegacy/legacy.go:21:8: undefined: usage.TrackCancelOrdr\n" {
		t.Errorf("stderr %q", stderr.String())
	}
}
