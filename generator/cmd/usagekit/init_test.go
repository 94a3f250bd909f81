package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runIn(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := run(args, &out, &errs)
	return code, out.String(), errs.String()
}

func TestInit(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if code, _, errs := runIn(t, "init"); code != exitUsage ||
		errs != "usagekit init: no go.mod here: run it at the root of a Go module (go mod init ...)\n" {
		t.Errorf("without go.mod: exit %d, stderr %q", code, errs)
	}
	must(t, os.WriteFile("go.mod", []byte("module example.com/my-shop\n\ngo 1.26\n"), 0o644))
	code, out, errs := runIn(t, "init")
	if code != exitOK {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"definitions/product_groups.yml: created\n", "definitions/privacy.yml: created\n", "internal/usage/doc.go: created\n", "usagekit.gitlab-ci.yml: created\n",
		"definitions/schema/v1/event.json: created\n", "definitions/schema/v1/metric.json: created\n",
		"go.mod has no tool directive for usagekit yet; add it:\n  go get -tool github.com/usagekit/usagekit/generator/cmd/usagekit@latest\n",
		"go tool usagekit new event NAME --description ... --product-group my_shop ",
		"go generate ./internal/usage\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	ci, _ := os.ReadFile("usagekit.gitlab-ci.yml")
	if !strings.Contains(string(ci), "\nusagekit-status:\n  image: golang:1.26\n  script:\n    - go tool usagekit status --definitions definitions --format codequality ./... > gl-code-quality-status.json\n") {
		t.Errorf("the CI file lacks the status job:\n%s", ci)
	}
	if priv, _ := os.ReadFile(filepath.Join("definitions", "privacy.yml")); !strings.Contains(string(priv), "\n  personal-in-optional: error ") {
		t.Errorf("privacy.yml:\n%s", priv)
	}
	doc, _ := os.ReadFile(filepath.Join("internal", "usage", "doc.go"))
	if !strings.Contains(string(doc), "package usage\n\n//go:generate go tool usagekit generate --definitions ../../definitions --out .\n") {
		t.Errorf("doc.go:\n%s", doc)
	}
	// What init wrote validates once a definition is there: the group is
	// the module's, and the schemas sit where the loader does not look.
	must(t, os.WriteFile("go.mod", []byte("module example.com/my-shop\n\ngo 1.26\n\ntool (\n\tgithub.com/usagekit/usagekit/generator/cmd/usagekit\n)\n"), 0o644))
	asTerminal(t, nil)
	if code, _, errs := runIn(t, "new", "event", "place_order", "--description", "An order.", "--product-group", "my_shop",
		"--milestone", "1.0", "--introduced-by-url", "https://example.com/mr/1"); code != exitOK {
		t.Fatalf("new event: %s", errs)
	}
	data, _ := os.ReadFile(filepath.Join("definitions", "events", "place_order.yml"))
	if !strings.HasPrefix(string(data), "# yaml-language-server: $schema=../schema/v1/event.json\n") {
		t.Errorf("the new event does not point at the schema init wrote:\n%s", data)
	}
	if code, out, errs := runIn(t, "validate"); code != exitOK {
		t.Errorf("validate: exit %d\n%s%s", code, out, errs)
	}
	// Again: nothing changes, nothing is overwritten, no tool notice.
	must(t, os.WriteFile("usagekit.gitlab-ci.yml", []byte("# mine\n"), 0o644))
	code, out, _ = runIn(t, "init")
	if code != exitOK || !strings.Contains(out, "definitions/product_groups.yml: unchanged\n") ||
		!strings.Contains(out, "usagekit.gitlab-ci.yml: exists, kept as it is\n") || strings.Contains(out, "no tool directive") {
		t.Errorf("second init: exit %d\n%s", code, out)
	}
	if data, _ := os.ReadFile("usagekit.gitlab-ci.yml"); string(data) != "# mine\n" {
		t.Errorf("init overwrote a file: %q", data)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"init", "--group", "My Group"}, "usagekit init: --group \"My Group\": a product group is lowercase letters and digits, words joined by _ or -\n"},
		{[]string{"init", "--package", "my-pkg"}, "usagekit init: --package my-pkg: emit: package name \"my-pkg\" is not a Go identifier\n"},
		{[]string{"init", "extra"}, "usagekit init: unexpected argument \"extra\"; see 'usagekit help init'\n"},
	} {
		if code, _, errs := runIn(t, tt.args...); code != exitUsage || errs != tt.want {
			t.Errorf("%q: exit %d, stderr %q, want %q", tt.args, code, errs, tt.want)
		}
	}
}
