package privacy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
)

// event is an event definition with one custom property (lines 10 to 12
// hold it: the name at 10:3, the description's value at 11:18).
func event(identifiers, name, spec string) string {
	return `action: do_thing
description: A thing was done.
internal_events: true
identifiers: [` + identifiers + `]
product_group: shop
milestone: "1.0"
tiers: [free]
introduced_by_url: https://example.com/mr/1
additional_properties:
  ` + name + `:
` + spec + `
  label:
    description: The kind of thing.
  property:
    description: Where it was done.
`
}

// write makes a definitions tree in a temporary directory (with a .git, so
// no privacy.yml above it applies) and runs there.
func write(t *testing.T, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	files[".git/HEAD"] = "ref: refs/heads/main\n"
	files["definitions/product_groups.yml"] = "- shop\n"
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
}

func lines(l diag.List) string {
	var b strings.Builder
	for _, d := range l {
		b.WriteString(d.String())
		b.WriteString(" [" + d.Rule + "]\n")
	}
	return b.String()
}

// TestProperties is the table of properties and the exact finding each
// draws under the default rules.
func TestProperties(t *testing.T) {
	const at = "definitions/events/do_thing.yml:"
	tests := []struct {
		name, ids, prop, spec string
		want                  string
	}{
		// Names are judged by their last word.
		{"email_domain passes", "user", "email_domain", "    description: The domain part only.\n    enum: [a.com, b.com]", ""},
		{"token_count passes", "user", "token_count", "    description: How many were made.\n    type: integer", ""},
		{"secret_detection_enabled passes", "user", "secret_detection_enabled", "    description: Whether the scan is on.\n    type: boolean", ""},
		{"user_email", "project", "user_email", "    description: Who did it.",
			at + "10:3: warning: additional_properties.user_email: the name suggests personal data (\"email\"): record something that does not identify a person (a domain, a count, a kind), or give the property a classification [personal-data]\n"},
		{"author_name", "project", "author_name", "    description: Who did it.",
			at + "10:3: warning: additional_properties.author_name: the name suggests personal data (\"author_name\"): record something that does not identify a person (a domain, a count, a kind), or give the property a classification [personal-data]\n"},
		{"client ip", "project", "clientIp", "    description: Where from.",
			at + "10:3: warning: additional_properties.clientIp: the name suggests personal data (\"ip\"): record something that does not identify a person (a domain, a count, a kind), or give the property a classification [personal-data]\n"},
		{"access_token", "project", "access_token", "    description: The token used.",
			at + "10:3: warning: additional_properties.access_token: the name suggests a secret (\"token\"): never record secrets: record whether one is set, or its kind, instead, or give the property a classification [secret-data]\n"},
		{"api_key", "project", "api_key", "    description: The key used.",
			at + "10:3: warning: additional_properties.api_key: the name suggests a secret (\"api_key\"): never record secrets: record whether one is set, or its kind, instead, or give the property a classification [secret-data]\n"},
		{"referrer_url", "project", "referrer_url", "    description: Where the user came from.",
			at + "10:3: warning: additional_properties.referrer_url: the name suggests a URL, whose query string may carry anything (\"url\"): record the path without its query string and fragment, or give the property a classification [url-query]\n"},
		{"comment_body", "project", "comment_body", "    description: What was said.",
			at + "10:3: warning: additional_properties.comment_body: the name suggests free text, which holds whatever a person typed (\"body\"): record a category, a length or an enum instead, or give the property a classification [free-text]\n"},
		// Descriptions are judged by phrases, not words.
		{"password as a word passes", "project", "password_set", "    description: Whether a password is set.\n    type: boolean", ""},
		{"email address phrase", "project", "contact", "    description: The contact's email address.",
			at + "11:18: warning: additional_properties.contact.description: \"email address\" suggests personal data: record something that does not identify a person (a domain, a count, a kind), or give the property a classification [personal-data]\n"},
		{"access token phrase", "project", "credential_ref", "    description: The personal access token that ran it.",
			at + "11:18: warning: additional_properties.credential_ref.description: \"access token\" suggests a secret: never record secrets: record whether one is set, or its kind, instead, or give the property a classification [secret-data]\n"},
		{"query string phrase", "project", "page", "    description: The page with its query string.",
			at + "11:18: warning: additional_properties.page.description: \"query string\" suggests a URL, whose query string may carry anything: record the path without its query string and fragment, or give the property a classification [url-query]\n"},
		{"free text phrase", "project", "reason", "    description: Free-form text entered by the user.",
			at + "11:18: warning: additional_properties.reason.description: \"free-form\" suggests free text, which holds whatever a person typed: record a category, a length or an enum instead, or give the property a classification [free-text]\n"},
		{"phrase inside a word passes", "project", "layout", "    description: The rapi keyboard layout.\n    enum: [qwerty]", ""},
		// A classified property is taken at its word.
		{"classified name", "user", "user_email", "    description: Who did it.\n    classification: personal", ""},
		{"classified description", "user", "contact", "    description: The contact's email address.\n    classification: pseudonymous", ""},
		// Free-form strings on events with a user.
		{"unclassified free-form string", "user", "plan", "    description: The plan bought.",
			at + "10:3: warning: additional_properties.plan: a free-form string on an event that carries a user needs a classification (public, internal, pseudonymous or personal), or an enum [unclassified-free-text]\n"},
		{"untyped string too", "user, project", "plan", "    description: The plan bought.\n    type: string",
			at + "10:3: warning: additional_properties.plan: a free-form string on an event that carries a user needs a classification (public, internal, pseudonymous or personal), or an enum [unclassified-free-text]\n"},
		{"enum passes", "user", "plan", "    description: The plan bought.\n    enum: [free, paid]", ""},
		{"integer passes", "user", "seats", "    description: Seats bought.\n    type: integer", ""},
		{"classified passes", "user", "plan", "    description: The plan bought.\n    classification: internal", ""},
		{"no user passes", "project", "plan", "    description: The plan bought.", ""},
		{"bad classification", "user", "plan", "    description: The plan bought.\n    classification: secret",
			at + "12:21: additional_properties.plan.classification: \"secret\" is not one of public, internal, pseudonymous, personal [schema]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(t, map[string]string{"definitions/events/do_thing.yml": event(tt.ids, tt.prop, tt.spec)})
			res := generator.LoadResult("definitions")
			if got := lines(res.Diagnostics); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// metric counts do_thing, filtered on plan, with the data category given.
func metric(category string) string {
	return `key_path: counts.things_by_plan
description: Things done on the free plan.
product_group: shop
product_categories: [checkout]
value_type: number
status: active
milestone: "1.0"
introduced_by_url: https://example.com/mr/1
tiers: [free]
data_category: ` + category + `
time_frame: [7d, 28d]
data_source: internal_events
events:
- name: do_thing
  filter:
    plan: free
`
}

// TestRulesFile runs the rules through the load pipeline with privacy.yml
// files: levels, exceptions, the nearest file, personal-in-optional.
func TestRulesFile(t *testing.T) {
	const ev = "definitions/events/do_thing.yml"
	personalPlan := event("user", "plan", "    description: The plan bought.\n    classification: personal")
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"raised to error", map[string]string{
			ev:                        event("project", "user_email", "    description: Who did it."),
			"definitions/privacy.yml": "rules:\n  personal-data: error\n",
		}, ev + `:10:3: additional_properties.user_email: the name suggests personal data ("email"): record something that does not identify a person (a domain, a count, a kind), or give the property a classification [personal-data]` + "\n"},
		{"off with a reason", map[string]string{
			ev:                        event("project", "comment_body", "    description: What was said."),
			"definitions/privacy.yml": "rules:\n  free-text: {severity: off, reason: Comments are public here.}\n",
		}, ""},
		{"the nearest file applies, up to the repository root", map[string]string{
			ev:                        event("project", "comment_body", "    description: What was said."),
			"privacy.yml":             "rules:\n  free-text: error\n",
			"definitions/privacy.yml": "rules:\n  free-text: {severity: off, reason: Comments are public here.}\n",
		}, ""},
		{"a file above applies", map[string]string{
			ev:            event("project", "comment_body", "    description: What was said."),
			"privacy.yml": "rules:\n  free-text: error\n",
		}, ev + `:10:3: additional_properties.comment_body: the name suggests free text, which holds whatever a person typed ("body"): record a category, a length or an enum instead, or give the property a classification [free-text]` + "\n"},
		{"exception for the property", map[string]string{
			ev: event("project", "access_token", "    description: The token used."),
			"definitions/privacy.yml": "exceptions:\n- {rule: secret-data, event: do_thing, property: access_token, reason: It holds the token's id.}\n" +
				"- {rule: secret-data, event: do_thing, property: label, reason: Stale.}\n",
		}, "definitions/privacy.yml:3:3: warning: the exception to secret-data for event do_thing, property label matches no finding; remove it, or name the event, property or metric it is for [unused-exception]\n"},
		{"personal in optional", map[string]string{
			ev:                             personalPlan,
			"definitions/metrics/plan.yml": metric("optional"),
		}, "definitions/metrics/plan.yml:16:5: events[0].filter.plan: do_thing classifies plan personal, and a metric of data_category optional may not filter on personal data; use operational or standard, or filter on something else [personal-in-optional]\n"},
		{"personal in operational", map[string]string{
			ev:                             personalPlan,
			"definitions/metrics/plan.yml": metric("operational"),
		}, ""},
		{"personal in optional excused", map[string]string{
			ev:                             personalPlan,
			"definitions/metrics/plan.yml": metric("optional"),
			"definitions/privacy.yml":      "exceptions:\n- {rule: personal-in-optional, metric: counts.things_by_plan, reason: Legal agreed.}\n",
		}, ""},
		{"a broken rules file is reported", map[string]string{
			ev:                        event("project", "plan", "    description: The plan.\n    enum: [a]"),
			"definitions/privacy.yml": "rules:\n  free-txt: error\n",
		}, `definitions/privacy.yml:2:3: unknown rule "free-txt"; the rules are personal-data, secret-data, url-query, free-text, unclassified-free-text, personal-in-optional, personal-added (did you mean "free-text"?) [privacy-config]` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(t, tt.files)
			res := generator.LoadResult("definitions")
			if got := lines(res.Diagnostics); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestBuiltinDescriptions: a built-in property's name is never judged, its
// description is, and as it cannot be classified the advice leaves that
// out.
func TestBuiltinDescriptions(t *testing.T) {
	ev := strings.Replace(event("user", "plan", "    description: The plan.\n    enum: [free]"),
		"    description: The kind of thing.", "    description: The user's email address, as typed.", 1)
	write(t, map[string]string{"definitions/events/do_thing.yml": ev})
	want := "definitions/events/do_thing.yml:14:18: warning: additional_properties.label.description: \"email address\" suggests personal data: record something that does not identify a person (a domain, a count, a kind) [personal-data]\n"
	if got := lines(generator.LoadResult("definitions").Diagnostics); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
