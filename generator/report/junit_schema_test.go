package report

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator/diag"
)

// TestJUnitSchema checks JUnit reports against testdata/junit.xsd, the
// shape GitLab's and Jenkins' readers expect, with xmllint (Debian's
// libxml2-utils, which .ci/run installs). A report missing what the schema
// requires is refused, so the check can fail.
func TestJUnitSchema(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (Debian package libxml2-utils): JUnit reports not checked against testdata/junit.xsd")
	}
	validate := func(t *testing.T, report []byte) error {
		t.Helper()
		path := filepath.Join(t.TempDir(), "report.xml")
		if err := os.WriteFile(path, report, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "junit.xsd"), path).CombinedOutput()
		if err != nil {
			return &xmllintError{out: string(out)}
		}
		return nil
	}
	cases := map[string]struct {
		files []string
		diags diag.List
	}{
		"problems":    {sampleFiles, sampleDiags},
		"no problems": {[]string{"b.yml", "a.yml"}, nil},
		"no files":    {nil, nil},
		"warnings":    {mixedResult().Paths, mixedResult().Diagnostics},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJUnit(&b, c.files, c.diags); err != nil {
				t.Fatal(err)
			}
			if err := validate(t, b.Bytes()); err != nil {
				t.Errorf("report does not match testdata/junit.xsd: %v\n%s", err, b.Bytes())
			}
		})
	}
	t.Run("a test case without classname is refused", func(t *testing.T) {
		var b bytes.Buffer
		if err := WriteJUnit(&b, sampleFiles, sampleDiags); err != nil {
			t.Fatal(err)
		}
		broken := strings.Replace(b.String(), ` classname="usagekit"`, "", 1)
		if broken == b.String() {
			t.Fatal("report has no classname attribute to remove")
		}
		if err := validate(t, []byte(broken)); err == nil {
			t.Error("xmllint accepted a test case without classname")
		}
	})
}

type xmllintError struct{ out string }

func (e *xmllintError) Error() string { return "xmllint: " + strings.TrimSpace(e.out) }
