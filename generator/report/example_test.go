package report_test

import (
	"os"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/generator/report"
)

func ExampleWrite() {
	res := &generator.Result{
		Files: 2, Events: 1, Metrics: 1,
		Set: &model.Set{Metrics: []*model.Metric{{KeyPath: "counts.issues"}}},
		Diagnostics: diag.List{{Path: "definitions/metrics/issues.yml", Line: 11, Col: 13, Rule: "schema",
			Message: `time_frame: "30d" is not one of 7d, 28d, all, none`}},
	}
	_ = report.Write(os.Stdout, "text", res)
	// Output:
	// definitions/metrics/issues.yml:11:13: time_frame: "30d" is not one of 7d, 28d, all, none
	// checked 2 files: 1 event, 1 metric, 1 problem
}
