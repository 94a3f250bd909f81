package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/internal/golden"
)

// sampleDiags has the awkward cases: two identical findings in one file, a
// whole-file problem, and a message with characters every format escapes.
var sampleDiags = diag.List{
	{Path: "definitions/events/issue_created.yml", Line: 3, Col: 14, Rule: "schema", Message: `identifiers[0] must be one of "user", "project", "namespace", "feature_enabled_by_namespace_ids"`},
	{Path: "definitions/metrics/a, b.yml", Line: 0, Col: 0, Rule: "yaml", Message: "100% broken:\nline two\r<&>"},
	{Path: "definitions/metrics/counts.yml", Line: 7, Col: 3, Rule: "unknown-event", Message: "event no_such_event is not defined"},
	{Path: "definitions/metrics/counts.yml", Line: 9, Col: 3, Rule: "unknown-event", Message: "event no_such_event is not defined"},
	{Path: "definitions/metrics/counts.yml", Line: 12, Message: "no rule"},
}

var sampleFiles = []string{
	"definitions/events/issue_created.yml", "definitions/events/ok.yml",
	"definitions/metrics/a, b.yml", "definitions/metrics/counts.yml",
}

func TestCodeQualityGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCodeQuality(&b, sampleDiags); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "codequality.golden.json"), b.Bytes())
}

func TestCodeQualitySchema(t *testing.T) {
	sch, err := jsonschema.Compile("testdata/codequality.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		diags diag.List
	}{{"sampleDiags", sampleDiags}, {"empty", nil}} {
		var b bytes.Buffer
		if err := WriteCodeQuality(&b, tt.diags); err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b.Bytes(), &v); err != nil {
			t.Fatalf("%s: not JSON: %v", tt.name, err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: report does not match GitLab's Code Quality shape: %v\n%s", tt.name, err, b.Bytes())
		}
	}
	// The schema must reject what GitLab rejects, or the check above
	// proves nothing.
	var bad any
	json.Unmarshal([]byte(`[{"description":"x","check_name":"c","fingerprint":"f","severity":"error","location":{"path":"a","lines":{"begin":0}}}]`), &bad)
	if err := sch.Validate(bad); err == nil {
		t.Error("schema accepts severity error and line 0")
	}
}

func TestCodeQualityFingerprints(t *testing.T) {
	var b bytes.Buffer
	WriteCodeQuality(&b, sampleDiags)
	var issues []codeQualityIssue
	if err := json.Unmarshal(b.Bytes(), &issues); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, is := range issues {
		if seen[is.Fingerprint] {
			t.Errorf("fingerprint %s repeated", is.Fingerprint)
		}
		seen[is.Fingerprint] = true
	}
	// A finding that moved lines keeps its fingerprint.
	moved := append(diag.List(nil), sampleDiags...)
	moved[0].Line += 5
	var b2 bytes.Buffer
	WriteCodeQuality(&b2, moved)
	var issues2 []codeQualityIssue
	json.Unmarshal(b2.Bytes(), &issues2)
	if issues[0].Fingerprint != issues2[0].Fingerprint {
		t.Errorf("fingerprint changed when the finding moved: %s -> %s", issues[0].Fingerprint, issues2[0].Fingerprint)
	}
	if issues2[0].Location.Lines.Begin != 8 {
		t.Errorf("line = %d, want 8", issues2[0].Location.Lines.Begin)
	}
}

func TestGitHubGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteGitHub(&b, sampleDiags); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "github.golden.txt"), b.Bytes())
}

func TestGitHubEscaping(t *testing.T) {
	var b bytes.Buffer
	WriteGitHub(&b, diag.List{{Path: "a:b,c%.yml", Line: 1, Col: 2, Rule: "r", Message: "50%\n::error::injected\r"}})
	want := "::error file=a%3Ab%2Cc%25.yml,line=1,col=2,title=usagekit r::50%25%0A::error::injected%0D\n"
	if got := b.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if strings.Count(b.String(), "\n") != 1 {
		t.Error("a message produced more than one command line")
	}
}

// The documented JUnit structure, decoded independently of the writer's
// own types.
type junitDoc struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []struct {
		Name     *string `xml:"name,attr"`
		Tests    *int    `xml:"tests,attr"`
		Failures *int    `xml:"failures,attr"`
		Cases    []struct {
			Name      *string `xml:"name,attr"`
			Classname *string `xml:"classname,attr"`
			File      string  `xml:"file,attr"`
			Failure   *struct {
				Message *string `xml:"message,attr"`
				Type    string  `xml:"type,attr"`
				Text    string  `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, sampleFiles, sampleDiags); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "junit.golden.xml"), b.Bytes())
}

func TestJUnitShape(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, sampleFiles, sampleDiags); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d test suites, want 1", len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Name == nil || s.Tests == nil || s.Failures == nil {
		t.Fatal("testsuite lacks name, tests or failures")
	}
	if *s.Tests != len(s.Cases) || *s.Tests != 4 {
		t.Errorf("tests = %d with %d test cases, want 4", *s.Tests, len(s.Cases))
	}
	failed := map[string]string{}
	for _, c := range s.Cases {
		if c.Name == nil || c.Classname == nil || *c.Name == "" || *c.Classname == "" {
			t.Errorf("test case without name or classname: %+v", c)
			continue
		}
		if c.Failure != nil {
			if c.Failure.Message == nil {
				t.Errorf("%s: failure without message", *c.Name)
			}
			failed[*c.Name] = c.Failure.Text
		}
	}
	if *s.Failures != len(failed) || len(failed) != 3 {
		t.Errorf("failures = %d, failed cases = %d, want 3", *s.Failures, len(failed))
	}
	if _, ok := failed["definitions/events/ok.yml"]; ok {
		t.Error("file without problems failed")
	}
	wantText := "definitions/metrics/a, b.yml: 100% broken:\nline two\r<&>"
	if got := failed["definitions/metrics/a, b.yml"]; got != wantText {
		t.Errorf("failure text = %q, want %q", got, wantText)
	}
	if got := failed["definitions/metrics/counts.yml"]; strings.Count(got, "\n") != 2 {
		t.Errorf("counts.yml failure should list 3 problems:\n%s", got)
	}
}

func TestJUnitNoProblems(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, []string{"b.yml", "a.yml"}, nil); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	if *s.Failures != 0 || len(s.Cases) != 2 || *s.Cases[0].Name != "a.yml" {
		t.Errorf("unexpected report:\n%s", b.Bytes())
	}
}

// TestCIFormatsRegistered writes a whole run through the registry, as
// usagekit validate --format does.
func TestCIFormatsRegistered(t *testing.T) {
	for _, name := range []string{"codequality", "junit", "github"} {
		if !slices.Contains(Formats(), name) || Summary(name) == "" {
			t.Errorf("format %s not registered with a summary", name)
		}
	}
	var b bytes.Buffer
	if err := Write(&b, "junit", sampleResult()); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, c := range doc.Suites[0].Cases {
		state := "ok"
		if c.Failure != nil {
			state = "failed"
		}
		cases = append(cases, *c.Name+" "+state)
	}
	want := "definitions/events/a.yml ok,definitions/events/b.yml failed,definitions/metrics/m.yml failed,definitions/metrics/n.yml ok"
	if got := strings.Join(cases, ","); got != want {
		t.Errorf("test cases = %s\nwant %s", got, want)
	}

	b.Reset()
	if err := Write(&b, "github", sampleResult()); err != nil {
		t.Fatal(err)
	}
	want = "::error file=definitions/events/b.yml,title=usagekit yaml::file is empty; expected a mapping with an action (event) or a key_path (metric)\n" +
		"::error file=definitions/metrics/m.yml,line=11,col=13,title=usagekit schema::time_frame: \"30d\" is not one of 7d, 28d, all, none\n"
	if b.String() != want {
		t.Errorf("github:\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	if err := Write(&b, "codequality", sampleResult()); err != nil {
		t.Fatal(err)
	}
	var issues []codeQualityIssue
	if err := json.Unmarshal(b.Bytes(), &issues); err != nil || len(issues) != 2 || issues[1].Location.Lines.Begin != 11 {
		t.Errorf("codequality: %v\n%s", err, b.Bytes())
	}
}
