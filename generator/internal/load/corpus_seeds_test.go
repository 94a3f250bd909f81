package load_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addCorpusSeeds adds every definition file of the GitLab corpus
// (../shared/corpus/gitlab relative to the module root) as a fuzzing seed:
// real files with real oddities (duplicate keys, float milestones, old
// formats) are the best starting points for mutation. The corpus is not
// part of the repository; without it nothing is added.
func addCorpusSeeds(f *testing.F) {
	f.Helper()
	root := filepath.Join("..", "..", "..", "..", "shared", "corpus", "gitlab", "config")
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
}
