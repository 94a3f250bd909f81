package report_test

import (
	"os"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/report"
)

func ExampleWriteGitHub() {
	report.WriteGitHub(os.Stdout, diag.List{
		{Path: "definitions/events/a.yml", Line: 3, Col: 7, Rule: "schema", Message: "identifiers[0]: \"group\" is not allowed\nuse namespace"},
	})
	// Output:
	// ::error file=definitions/events/a.yml,line=3,col=7,title=usagekit schema::identifiers[0]: "group" is not allowed%0Ause namespace
}
