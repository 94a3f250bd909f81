package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/usagekit/usagekit/generator/diag"
)

// JUnit XML as read by GitLab, Jenkins and most CI systems: a testsuites
// root holding one testsuite, holding one testcase per definition file.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
	// SystemOut lists a file's warnings: they are shown with the test
	// case but do not fail it.
	SystemOut string `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnitSuite names the test suite and is the class name of every test case.
const JUnitSuite = "usagekit"

// WriteJUnit writes a JUnit XML report with one test case per file: files
// lists every file checked, and a file with errors fails, its failure
// listing them one per line as path:line:col: message. A file's warnings
// go to its test case's system-out, so a file with warnings only passes.
// Files that appear only in diags get a test case too. Times are zero so
// the report is reproducible.
func WriteJUnit(w io.Writer, files []string, diags diag.List) error {
	byFile := map[string][]diag.Diagnostic{}
	all := slices.Clone(files)
	for _, d := range diags {
		if _, ok := byFile[d.Path]; !ok && !slices.Contains(files, d.Path) {
			all = append(all, d.Path)
		}
		byFile[d.Path] = append(byFile[d.Path], d)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	suite := junitSuite{Name: JUnitSuite, Tests: len(all), Time: "0"}
	for _, f := range all {
		c := junitCase{Name: f, Classname: JUnitSuite, File: f, Time: "0"}
		ds := diag.List(byFile[f])
		if ws := ds.Warnings(); len(ws) > 0 {
			lines := make([]string, len(ws))
			for i, d := range ws {
				lines[i] = d.String()
			}
			c.SystemOut = strings.Join(lines, "\n")
		}
		if ds := ds.Errors(); len(ds) > 0 {
			lines := make([]string, len(ds))
			for i, d := range ds {
				lines[i] = d.String()
			}
			msg := "1 problem"
			if len(ds) > 1 {
				msg = fmt.Sprintf("%d problems", len(ds))
			}
			c.Failure = &junitFailure{Message: msg, Type: "usagekit", Text: strings.Join(lines, "\n")}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	doc := junitSuites{Name: JUnitSuite, Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
