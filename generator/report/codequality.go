package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"

	"github.com/usagekit/usagekit/generator/diag"
)

// codeQualityIssue is one entry of a GitLab Code Quality report: the fields
// GitLab reads to show a finding inline in a merge request.
type codeQualityIssue struct {
	Description string              `json:"description"`
	CheckName   string              `json:"check_name"`
	Fingerprint string              `json:"fingerprint"`
	Severity    string              `json:"severity"`
	Location    codeQualityLocation `json:"location"`
}

type codeQualityLocation struct {
	Path  string           `json:"path"`
	Lines codeQualityLines `json:"lines"`
}

type codeQualityLines struct {
	Begin int `json:"begin"`
}

// CodeQualitySeverity is the severity given to errors: each one fails the
// check, so none is merely informational.
const CodeQualitySeverity = "major"

// CodeQualityWarningSeverity is the severity given to warnings: GitLab
// shows them in the merge request, ranked below the findings that fail it.
const CodeQualityWarningSeverity = "minor"

// WriteCodeQuality writes diags as a GitLab Code Quality report (a JSON
// array). Paths should be relative to the repository root, which is what
// GitLab matches them against; run the tool from the root.
//
// A fingerprint identifies a finding across pipelines, so GitLab can tell new
// findings from old ones: it hashes the path, rule and message but not the
// line, so a finding that only moved is not new. Identical findings in one
// file are told apart by their order.
func WriteCodeQuality(w io.Writer, diags diag.List) error {
	issues := make([]codeQualityIssue, 0, len(diags))
	seen := map[string]int{}
	for _, d := range diags {
		check := d.Rule
		if check == "" {
			check = "usagekit"
		}
		key := d.Path + "\x00" + check + "\x00" + d.Message
		n := seen[key]
		seen[key]++
		sum := sha256.Sum256([]byte(key + "\x00" + strconv.Itoa(n)))
		line := d.Line
		if line < 1 {
			line = 1 // GitLab needs a line; whole-file problems go on the first
		}
		issues = append(issues, codeQualityIssue{
			Description: d.Message,
			CheckName:   check,
			Fingerprint: hex.EncodeToString(sum[:16]),
			Severity:    codeQualitySeverity(d.Severity),
			Location:    codeQualityLocation{Path: d.Path, Lines: codeQualityLines{Begin: line}},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(issues)
}

func codeQualitySeverity(s diag.Severity) string {
	if s == diag.SeverityWarning {
		return CodeQualityWarningSeverity
	}
	return CodeQualitySeverity
}
