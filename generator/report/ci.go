package report

import (
	"io"
	"slices"

	"github.com/usagekit/usagekit/generator"
)

// The formats CI systems show in merge and pull requests.
func init() {
	Register("codequality", "GitLab Code Quality JSON, shown inline in merge requests", func(w io.Writer, r *generator.Result) error {
		return WriteCodeQuality(w, r.Diagnostics.Sort())
	})
	Register("junit", "JUnit XML, one test case per definition file", func(w io.Writer, r *generator.Result) error {
		return WriteJUnit(w, resultFiles(r), r.Diagnostics.Sort())
	})
	Register("github", "GitHub Actions workflow commands, shown as annotations", func(w io.Writer, r *generator.Result) error {
		return WriteGitHub(w, r.Diagnostics.Sort())
	})
}

// resultFiles lists every file a run read, falling back to the files the
// model came from when the result does not carry them.
func resultFiles(r *generator.Result) []string {
	files := slices.Clone(r.Paths)
	if len(files) == 0 && r.Set != nil {
		for _, e := range r.Set.Events {
			files = append(files, e.File)
		}
		for _, m := range r.Set.Metrics {
			files = append(files, m.File)
		}
	}
	slices.Sort(files)
	return slices.Compact(files)
}
