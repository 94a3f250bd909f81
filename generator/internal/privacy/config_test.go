package privacy

import (
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	c, diags := Parse("privacy.yml", []byte(`rules:
  personal-data: error
  free-text: {severity: off, reason: Titles are public in this product.}
  url-query:
    severity: warning
exceptions:
- {rule: secret-data, event: create_token, property: label, reason: "The label is the token's name, not the token."}
- rule: personal-in-optional
  metric: counts.by_author
  reason: Reviewed by legal.
`))
	if len(diags) > 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	for id, want := range map[string]Level{PersonalData: Error, FreeText: Off, URLQuery: Warning, SecretData: Warning, PersonalInOptional: Error} {
		if got := c.Level(id); got != want {
			t.Errorf("%s = %v, want %v", id, got, want)
		}
	}
	if len(c.Exceptions) != 2 || c.Exceptions[0].Event != "create_token" || c.Exceptions[0].Property != "label" ||
		c.Exceptions[1].Metric != "counts.by_author" || c.Exceptions[1].Line != 8 {
		t.Errorf("exceptions %+v %+v", *c.Exceptions[0], *c.Exceptions[1])
	}
	var nilConfig *Config
	if nilConfig.Level(PersonalInOptional) != Error || nilConfig.Level(FreeText) != Warning {
		t.Error("defaults wrong")
	}
	for _, empty := range []string{"", "# nothing yet\n", "rules:\nexceptions:\n"} {
		if _, diags := Parse("privacy.yml", []byte(empty)); len(diags) > 0 {
			t.Errorf("%q: %v", empty, diags)
		}
	}
}

// TestParseMistakes lists every mistake privacy.yml can hold and the exact
// message, at its position.
func TestParseMistakes(t *testing.T) {
	ids := "personal-data, secret-data, url-query, free-text, unclassified-free-text, personal-in-optional, personal-added"
	tests := []struct {
		name, in, want string
	}{
		{"syntax", "rules: [a\n", "privacy.yml:1:8: "},
		{"top level list", "- a\n", "privacy.yml:1:1: the top level is a list; expected a mapping with rules and exceptions"},
		{"unknown top key", "rule:\n  free-text: error\n", `privacy.yml:1:1: unknown key "rule"; privacy.yml has rules and exceptions`},
		{"rules not a mapping", "rules: [free-text]\n", "privacy.yml:1:8: rules is a list; expected a mapping of rule id to severity"},
		{"unknown rule", "rules:\n  personal_data: error\n", `privacy.yml:2:3: unknown rule "personal_data"; the rules are ` + ids + ` (did you mean "personal-data"?)`},
		{"rule key not a string", "rules:\n  [a]: error\n", "privacy.yml:2:3: a rule key is a list; expected a rule id: " + ids},
		{"bad level", "rules:\n  free-text: fatal\n", `privacy.yml:2:14: free-text: severity "fatal" is not one of error, warning, off`},
		{"level a mapping without severity", "rules:\n  free-text: {reason: x}\n", "privacy.yml:2:14: free-text: severity is missing; give error, warning or off"},
		{"level a list", "rules:\n  free-text: [error]\n", "privacy.yml:2:14: free-text: severity a list is not one of error, warning, off"},
		{"unknown rule key", "rules:\n  free-text: {severity: error, why: x}\n", `privacy.yml:2:32: free-text: unknown key "why"; a rule has severity and reason`},
		{"reason not a string", "rules:\n  free-text: {severity: off, reason: [x]}\n", "privacy.yml:2:38: free-text.reason is a list; expected a sentence saying why"},
		{"lowering without reason", "rules:\n  free-text: off\n", "privacy.yml:2:14: free-text: lowering the rule from warning to off needs a reason: write {severity: off, reason: ...}"},
		{"lowering with an empty reason", "rules:\n  personal-in-optional: {severity: warning, reason: ' '}\n", "privacy.yml:2:36: personal-in-optional: lowering the rule from error to warning needs a reason: write {severity: warning, reason: ...}"},
		{"rule twice", "rules:\n  free-text: error\n  free-text: warning\n", "privacy.yml:3:3: rule free-text is set twice (first at line 2); set each rule once"},
		{"exceptions not a list", "exceptions: {rule: free-text}\n", "privacy.yml:1:13: exceptions is a mapping; expected a list of {rule, event, property, reason} or {rule, metric, reason}"},
		{"exception not a mapping", "exceptions:\n- free-text\n", "privacy.yml:2:3: exceptions[0] is a string; expected {rule, event, property, reason} or {rule, metric, reason}"},
		{"exception without rule", "exceptions:\n- {event: a, reason: r}\n", "privacy.yml:2:3: exceptions[0]: rule is missing; name the rule it excuses from"},
		{"exception unknown rule", "exceptions:\n- {rule: secret_data, event: a, reason: r}\n", `privacy.yml:2:10: unknown rule "secret_data"; the rules are ` + ids + ` (did you mean "secret-data"?)`},
		{"exception unknown key", "exceptions:\n- {rule: free-text, event: a, props: b, reason: r}\n", `privacy.yml:2:31: exceptions[0]: unknown key "props"; an exception has rule, event, property, metric and reason`},
		{"exception without target", "exceptions:\n- {rule: free-text, reason: r}\n", "privacy.yml:2:3: exceptions[0]: name the event (and property) or the metric it excuses"},
		{"exception with both", "exceptions:\n- {rule: personal-in-optional, event: a, metric: m, reason: r}\n", "privacy.yml:2:3: exceptions[0]: give an event or a metric, not both"},
		{"property without event", "exceptions:\n- {rule: personal-in-optional, metric: m, property: p, reason: r}\n", "privacy.yml:2:3: exceptions[0]: a property belongs to an event; give the event too"},
		{"metric for a property rule", "exceptions:\n- {rule: free-text, metric: m, reason: r}\n", "privacy.yml:2:3: exceptions[0]: rule free-text judges event properties; name the event and property, not a metric"},
		{"exception without reason", "exceptions:\n- {rule: free-text, event: a}\n", "privacy.yml:2:3: exceptions[0]: reason is missing; say why the finding does not apply"},
		{"exception value not a string", "exceptions:\n- {rule: free-text, event: [a], reason: r}\n", "privacy.yml:2:28: exceptions[0].event is a list; expected a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Parse("privacy.yml", []byte(tt.in))
			if len(diags) != 1 {
				t.Fatalf("%d diagnostics, want 1: %v", len(diags), diags)
			}
			got := diags[0].String()
			if tt.name == "syntax" {
				if !strings.HasPrefix(got, tt.want) {
					t.Errorf("got %q, want it to start with %q", got, tt.want)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if diags[0].Rule != ConfigRule {
				t.Errorf("rule %q", diags[0].Rule)
			}
		})
	}
}

func TestJudgeName(t *testing.T) {
	tests := []struct{ name, rule, because string }{
		{"email_domain", "", ""},
		{"token_count", "", ""},
		{"secret_detection_enabled", "", ""},
		{"user_email", PersonalData, "email"},
		{"access_token", SecretData, "token"},
		{"comment_body", FreeText, "body"},
		{"date_of_birth", PersonalData, "date_of_birth"},
		{"ssh_key", SecretData, "ssh_key"},
		{"key", "", ""},
		{"userEmail", PersonalData, "email"},
		{"ip_address", PersonalData, "ip_address"},
		{"address", "", ""},
		{"page_url", URLQuery, "url"},
		{"", "", ""},
	}
	for _, tt := range tests {
		rule, because := judgeName(tt.name)
		if rule != tt.rule || because != tt.because {
			t.Errorf("judgeName(%q) = %q, %q; want %q, %q", tt.name, rule, because, tt.rule, tt.because)
		}
	}
}

func TestDefaultFile(t *testing.T) {
	c, diags := Parse("privacy.yml", DefaultFile())
	if len(diags) > 0 {
		t.Fatalf("usagekit init's privacy.yml has mistakes: %v\n%s", diags, DefaultFile())
	}
	for _, r := range Rules {
		if l, ok := c.Levels[r.ID]; !ok || l != r.Default {
			t.Errorf("%s = %v (set %v), want its default %v", r.ID, l, ok, r.Default)
		}
	}
	if len(c.Exceptions) != 0 {
		t.Errorf("exceptions %v", c.Exceptions)
	}
}
