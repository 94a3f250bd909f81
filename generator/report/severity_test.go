package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/internal/golden"
)

// mixedResult is a run with errors and warnings: a file with both, a file
// with a warning only, and a clean file.
func mixedResult() *generator.Result {
	return &generator.Result{
		Files:   3,
		Paths:   []string{"definitions/events/a.yml", "definitions/events/b.yml", "definitions/metrics/m.yml"},
		Events:  2,
		Metrics: 1,
		Set:     &model.Set{Metrics: []*model.Metric{{KeyPath: "counts.m"}}},
		Diagnostics: diag.List{
			{Path: "definitions/events/a.yml", Line: 8, Col: 3, Rule: "personal-data", Severity: diag.SeverityWarning,
				Message: `additional_properties.user_email: the name suggests personal data ("email"); give it a classification`},
			{Path: "definitions/events/a.yml", Line: 2, Col: 14, Rule: "schema", Message: `identifiers[0]: "usr" is not one of user, project, namespace`},
			{Path: "definitions/events/b.yml", Line: 5, Col: 3, Rule: "free-text", Severity: diag.SeverityWarning,
				Message: "additional_properties.comment_body: the name suggests free text"},
		}.Sort(),
	}
}

// TestMixedSeverityGolden writes a run with errors and warnings in every
// registered format.
func TestMixedSeverityGolden(t *testing.T) {
	for _, f := range Formats() {
		var b bytes.Buffer
		if err := Write(&b, f, mixedResult()); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", "mixed."+f+".golden"), b.Bytes())
	}
}

func TestWarningsInEachFormat(t *testing.T) {
	r := mixedResult()
	var b bytes.Buffer
	WriteText(&b, r)
	if got, want := SummaryLine(r), "checked 3 files: 2 events, 1 metric, 1 problem, 2 warnings"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if !strings.Contains(b.String(), "definitions/events/b.yml:5:3: warning: additional_properties.comment_body") {
		t.Errorf("text lacks the warning prefix:\n%s", b.String())
	}

	b.Reset()
	WriteJSON(&b, r)
	var js struct {
		Problems    int
		Warnings    int
		Diagnostics []map[string]any
	}
	if err := json.Unmarshal(b.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	if js.Problems != 1 || js.Warnings != 2 {
		t.Errorf("problems %d warnings %d, want 1 and 2", js.Problems, js.Warnings)
	}
	for _, d := range js.Diagnostics {
		sev, has := d["severity"]
		if warn := d["rule"] != "schema"; warn != has || (has && sev != "warning") {
			t.Errorf("diagnostic %v: severity %v", d, sev)
		}
	}

	b.Reset()
	Write(&b, "codequality", r)
	var issues []codeQualityIssue
	json.Unmarshal(b.Bytes(), &issues)
	sev := map[string]string{}
	for _, is := range issues {
		sev[is.CheckName] = is.Severity
	}
	if sev["schema"] != "major" || sev["personal-data"] != "minor" || sev["free-text"] != "minor" {
		t.Errorf("code quality severities %v", sev)
	}

	b.Reset()
	Write(&b, "github", r)
	if got := strings.Count(b.String(), "::warning "); got != 2 {
		t.Errorf("%d ::warning lines, want 2:\n%s", got, b.String())
	}

	b.Reset()
	Write(&b, "junit", r)
	var doc struct {
		Suites []struct {
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name      string    `xml:"name,attr"`
				Failure   *struct{} `xml:"failure"`
				SystemOut string    `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	if s.Failures != 1 {
		t.Errorf("failures = %d, want 1 (warnings pass)", s.Failures)
	}
	for _, c := range s.Cases {
		failed, out := c.Failure != nil, c.SystemOut != ""
		want := map[string][2]bool{
			"definitions/events/a.yml":  {true, true},
			"definitions/events/b.yml":  {false, true},
			"definitions/metrics/m.yml": {false, false},
		}[c.Name]
		if failed != want[0] || out != want[1] {
			t.Errorf("%s: failed %v, system-out %q", c.Name, failed, c.SystemOut)
		}
	}
}

// TestNoWarningsNoChange: a run without warnings keeps the output it had
// before severities existed (the sample goldens are unchanged), and the
// json format has no warnings key.
func TestNoWarningsNoChange(t *testing.T) {
	var b bytes.Buffer
	WriteJSON(&b, sampleResult())
	if strings.Contains(b.String(), "warning") {
		t.Errorf("json mentions warnings:\n%s", b.String())
	}
}
