package generator_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
)

// TestPrivacyRulesOnGitLab holds the privacy rules' defaults to GitLab's
// own definitions: they load as they did, so no privacy rule may give an
// error there; its warnings are listed exactly, so a change of the rules'
// wording or reach shows here.
func TestPrivacyRulesOnGitLab(t *testing.T) {
	privacyRules := map[string]bool{"personal-data": true, "secret-data": true, "url-query": true, "free-text": true,
		"unclassified-free-text": true, "personal-in-optional": true, "personal-added": true, "privacy-config": true, "unused-exception": true}
	var warnings []string
	for _, dir := range []string{filepath.Join(corpusDir(t), "config"), sampleDefs, cliSource} {
		for _, d := range generator.LoadResult(dir).Diagnostics {
			if !privacyRules[d.Rule] {
				continue
			}
			if d.Severity == diag.SeverityError {
				t.Errorf("a privacy rule fails a GitLab file: %s", d)
			}
			warnings = append(warnings, d.Rule+" "+filepath.Base(d.Path))
		}
	}
	want := strings.Repeat("unclassified-free-text event_with_multiple_custom_properties.yml\n", 4)
	if got := strings.Join(warnings, "\n") + "\n"; got != want {
		t.Errorf("privacy warnings on GitLab's files:\n%s\nwant:\n%s", got, want)
	}
}
