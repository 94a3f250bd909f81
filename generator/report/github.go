package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/usagekit/usagekit/generator/diag"
)

// WriteGitHub writes diags as GitHub Actions workflow commands, one
// "::error file=…,line=…,col=…,title=…::message" line each (::warning for
// warnings), which GitHub shows as annotations on the pull request's files.
func WriteGitHub(w io.Writer, diags diag.List) error {
	for _, d := range diags {
		var b strings.Builder
		b.WriteString("::" + d.Severity.String() + " file=")
		b.WriteString(escapeProperty(d.Path))
		if d.Line > 0 {
			fmt.Fprintf(&b, ",line=%d", d.Line)
			if d.Col > 0 {
				fmt.Fprintf(&b, ",col=%d", d.Col)
			}
		}
		if d.Rule != "" {
			b.WriteString(",title=")
			b.WriteString(escapeProperty("usagekit " + d.Rule))
		}
		b.WriteString("::")
		b.WriteString(escapeData(d.Message))
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// escapeData escapes a workflow command's message the way the GitHub
// Actions toolkit does: % first, then carriage returns and newlines, so a
// message cannot end the command early or inject another one.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a property value: as escapeData, plus the : and ,
// that separate properties.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
