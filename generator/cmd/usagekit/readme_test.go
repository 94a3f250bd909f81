package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/emit"
	"github.com/usagekit/usagekit/internal/testservers"
)

// snippet is one fenced block of the README, with the marker comment
// before it: <!-- excerpt: PATH --> says its lines stand in that file, in
// order; <!-- file: PATH --> that the adoption walkthrough writes it there.
type snippet struct {
	line       int // of the opening fence
	lang, body string
	excerpt    string
	file       string
	section    string // the "## " heading it is under
}

var markerRE = regexp.MustCompile(`^<!-- (excerpt|file): (\S+) -->$`)

func readmeSnippets(t *testing.T) []snippet {
	t.Helper()
	data, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []snippet
	var cur *snippet
	var marker []string
	section := ""
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case cur != nil && line == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.body += line + "\n"
		case strings.HasPrefix(line, "```"):
			cur = &snippet{line: i + 1, lang: strings.TrimPrefix(line, "```"), section: section}
			if marker != nil {
				cur.excerpt, cur.file = "", ""
				if marker[1] == "excerpt" {
					cur.excerpt = marker[2]
				} else {
					cur.file = marker[2]
				}
			}
		case strings.HasPrefix(line, "## "):
			section = strings.TrimPrefix(line, "## ")
		}
		if m := markerRE.FindStringSubmatch(line); m != nil {
			marker = m
		} else if strings.TrimSpace(line) != "" {
			marker = nil
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d snippets in the README", len(out))
	}
	return out
}

// adoptionOutputs are files the walkthrough's commands write in the
// throwaway module, which README excerpts may quote.
var adoptionOutputs = []string{"usagekit.gitlab-ci.yml"}

// TestREADMESnippets checks every YAML, Go and TypeScript snippet of the
// README: a definition validates, generates and compiles (all of them
// together, as one project); any other snippet is an excerpt of a file that
// this module's tests compile or check, or a file of the adoption
// walkthrough (TestAdoptFromREADME). An unchecked snippet fails the test.
func TestREADMESnippets(t *testing.T) {
	dir := t.TempDir()
	defs := 0
	for _, s := range readmeSnippets(t) {
		if s.lang != "yaml" && s.lang != "go" && s.lang != "ts" {
			continue
		}
		at := fmt.Sprintf("README.md:%d", s.line)
		switch {
		case s.excerpt != "" && slices.Contains(adoptionOutputs, s.excerpt):
			// Checked by TestAdoptFromREADME, against what init wrote.
		case s.excerpt != "":
			data, err := os.ReadFile(filepath.Join("../../..", s.excerpt))
			if err != nil {
				t.Errorf("%s: excerpt of %s: %v", at, s.excerpt, err)
				continue
			}
			if missing := excerptMissing(s.body, string(data)); missing != "" {
				t.Errorf("%s: excerpt of %s: line %q is not there (in order)", at, s.excerpt, missing)
			}
		case s.file != "":
			if s.section != "Use it in your project" {
				t.Errorf("%s: a file of the walkthrough outside its section", at)
			}
		case s.lang == "yaml" && (strings.HasPrefix(s.body, "action:") || strings.HasPrefix(s.body, "key_path:")):
			kind, name := "events", ""
			if strings.HasPrefix(s.body, "key_path:") {
				kind = "metrics"
			}
			name = strings.Fields(strings.SplitN(s.body, "\n", 2)[0])[1]
			p := filepath.Join(dir, "definitions", kind, strings.ReplaceAll(name, ".", "_")+".yml")
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			must(t, os.WriteFile(p, []byte(s.body), 0o644))
			defs++
		default:
			t.Errorf("%s: a %s snippet no test checks: mark it <!-- excerpt: PATH --> or make it a definition", at, s.lang)
		}
	}
	if defs < 2 {
		t.Fatalf("found %d definitions in the README, want the event and the metric", defs)
	}
	set, err := generator.Load(filepath.Join(dir, "definitions"))
	if err != nil {
		t.Fatalf("the README's definitions do not validate:\n%v", err)
	}
	files, err := emit.Emit(set, emit.Options{Package: "readme"})
	if err != nil {
		t.Fatalf("the README's definitions do not generate: %v", err)
	}
	compileOverlay(t, "generator/testdata/readmecheck", files)
}

// excerptMissing returns the first line of excerpt that does not follow
// the previous one in file, or "". Lines compare with runs of spaces as one
// (gofmt aligns comments by the lines around them).
func excerptMissing(excerpt, file string) string {
	lines := strings.Split(file, "\n")
	at := 0
	for want := range strings.SplitSeq(strings.TrimRight(excerpt, "\n"), "\n") {
		want = strings.Join(strings.Fields(want), " ")
		if want == "" {
			continue
		}
		found := false
		for ; at < len(lines); at++ {
			if strings.Join(strings.Fields(lines[at]), " ") == want {
				found = true
				at++
				break
			}
		}
		if !found {
			return want
		}
	}
	return ""
}

// compileOverlay compiles files as the package at dir (relative to the
// module root) through a build overlay, so nothing is written into the
// module.
func compileOverlay(t *testing.T, dir string, files []emit.File) {
	t.Helper()
	root, err := filepath.Abs("../../..")
	must(t, err)
	tmp := t.TempDir()
	overlay := map[string]string{}
	for _, f := range files {
		p := filepath.Join(tmp, f.Name)
		must(t, os.WriteFile(p, f.Data, 0o644))
		overlay[filepath.Join(root, dir, f.Name)] = p
	}
	data, err := json.Marshal(map[string]any{"Replace": overlay})
	must(t, err)
	ovl := filepath.Join(tmp, "overlay.json")
	must(t, os.WriteFile(ovl, data, 0o644))
	cmd := exec.Command("go", "build", "-overlay", ovl, "./"+dir)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the code generated for the README's definitions does not compile: %v\n%s", err, out)
	}
}

// TestAdoptFromREADME follows the README's "Use it in your project" as a
// new user would, in a throwaway module outside the repository: every
// shell block is run as written and every file block written, in order.
// Two things differ from a user's machine: usagekit comes from this
// checkout (a replace directive; the modules it needs come through the
// machine's GOPROXY, as they would for a user), and the ping reads a Redis
// database of its own.
func TestAdoptFromREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	root, err := filepath.Abs("../../..")
	must(t, err)
	mod := filepath.Join(t.TempDir(), "shop")
	must(t, os.MkdirAll(mod, 0o755))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644))
	redisURL, err := url.Parse(testservers.Redis.URL())
	must(t, err)
	redisURL.Path = "/12"
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local",
		"GIT_AUTHOR_NAME=usagekit", "GIT_AUTHOR_EMAIL=usagekit@example.com",
		"GIT_COMMITTER_NAME=usagekit", "GIT_COMMITTER_EMAIL=usagekit@example.com")
	sh := func(script string) string {
		t.Helper()
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
		cmd.Dir, cmd.Env = mod, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s\nfailed: %v\n%s", script, err, out)
		}
		return string(out)
	}
	sh("go mod init example.com/shop")
	const getTool = "go get -tool github.com/usagekit/usagekit/generator/cmd/usagekit@latest"
	ran := 0
	for _, s := range readmeSnippets(t) {
		if s.section != "Use it in your project" {
			continue
		}
		switch {
		case s.file != "":
			must(t, os.WriteFile(filepath.Join(mod, s.file), []byte(s.body), 0o644))
		case s.lang == "sh":
			script := s.body
			if !strings.Contains(script, getTool) && ran == 0 {
				t.Fatalf("the walkthrough does not start with %s", getTool)
			}
			script = strings.ReplaceAll(script, getTool,
				"go mod edit -replace github.com/usagekit/usagekit="+root+" -require github.com/usagekit/usagekit@"+replacedVersion+" -tool github.com/usagekit/usagekit/generator/cmd/usagekit && go mod tidy")
			script = strings.ReplaceAll(script, "redis://127.0.0.1:6379", redisURL.String())
			out := sh(script)
			t.Logf("README.md:%d:\n%s", s.line, out)
			ran++
		}
	}
	if ran < 3 {
		t.Fatalf("ran %d shell blocks of the walkthrough", ran)
	}
	// What the README quotes of the files init wrote is what it wrote.
	for _, s := range readmeSnippets(t) {
		if slices.Contains(adoptionOutputs, s.excerpt) {
			data, err := os.ReadFile(filepath.Join(mod, s.excerpt))
			must(t, err)
			if missing := excerptMissing(s.body, string(data)); missing != "" {
				t.Errorf("README.md:%d: excerpt of %s: line %q is not there (in order)", s.line, s.excerpt, missing)
			}
		}
	}
	// The definitions the walkthrough made are counted by the ping.
	out := sh("go tool usagekit ping --redis " + redisURL.String() + " --metadata")
	if !strings.Contains(out, `"count_distinct_user_id_from_place_order_weekly": 0`) {
		t.Errorf("the ping lacks the walkthrough's metric:\n%s", out)
	}
}

// replacedVersion is the version the go command gives a module that a
// replace directive supplies; requiring it by go mod edit keeps the go
// command from asking the module proxy about a checkout it does not have.
const replacedVersion = "v0.0.0-00010101000000-000000000000"
