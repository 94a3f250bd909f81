// Package privacy holds the rules that ask whether an event's properties
// could carry personal or secret data, and the project's privacy.yml that
// raises, lowers or turns them off and grants exceptions.
//
// The rules judge a property by its name (its last word, or last two) and
// by phrases of its description; a custom property that states its
// classification is taken at its word. They are warnings by default, so
// GitLab's own definitions load unchanged; a project raises them to errors
// in privacy.yml beside its product_groups.yml.
package privacy

import "github.com/usagekit/usagekit/generator/diag"

// The rules' ids, as privacy.yml and reports name them.
const (
	// PersonalData: a name or description suggesting data about a person
	// (an email, a phone number, an IP address, a name).
	PersonalData = "personal-data"
	// SecretData: a name or description suggesting a secret (a token, a
	// password, a key).
	SecretData = "secret-data"
	// URLQuery: a URL, whose query string or fragment may carry anything.
	URLQuery = "url-query"
	// FreeText: text a person wrote (a comment's body, a title, a search
	// query), which may hold anything they typed.
	FreeText = "free-text"
	// UnclassifiedFreeText: a free-form string property (custom, no enum)
	// on an event that carries a user, without a classification.
	UnclassifiedFreeText = "unclassified-free-text"
	// PersonalInOptional: a property classified personal that a metric of
	// data_category optional filters on.
	PersonalInOptional = "personal-in-optional"
	// PersonalAdded: a property classified personal added since the base
	// revision (usagekit diff).
	PersonalAdded = "personal-added"
)

// Level is a rule's severity in privacy.yml: off, warning or error.
type Level int

// The levels, in increasing order.
const (
	Off Level = iota
	Warning
	Error
)

var levelNames = [...]string{Off: "off", Warning: "warning", Error: "error"}

// String returns the level as privacy.yml writes it.
func (l Level) String() string { return levelNames[l] }

// Rule is one privacy rule: its id, its default level and what it guards
// against, for help texts and usagekit init.
type Rule struct {
	ID      string
	Default Level
	Summary string
}

// Rules lists every rule in the order usagekit init writes them.
var Rules = []Rule{
	{PersonalData, Warning, "names and descriptions that suggest data about a person (email, phone, IP address, name)"},
	{SecretData, Warning, "names and descriptions that suggest a secret (token, password, key)"},
	{URLQuery, Warning, "URLs, whose query string may carry anything"},
	{FreeText, Warning, "text a person wrote (body, comment, title, search query)"},
	{UnclassifiedFreeText, Warning, "free-form string properties of events with a user identifier that give no classification"},
	{PersonalInOptional, Error, "properties classified personal filtered on by metrics of data_category optional"},
	{PersonalAdded, Warning, "properties classified personal added since the base revision (usagekit diff)"},
}

func ruleByID(id string) (Rule, bool) {
	for _, r := range Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

func ruleIDs() []string {
	ids := make([]string, len(Rules))
	for i, r := range Rules {
		ids[i] = r.ID
	}
	return ids
}

func (l Level) severity() diag.Severity {
	if l == Error {
		return diag.SeverityError
	}
	return diag.SeverityWarning
}

// DefaultFile is the privacy.yml usagekit init writes: every rule at its
// default, each with what it guards against, and no exceptions, so a
// project sees what it can raise or lower.
func DefaultFile() []byte {
	var b []byte
	b = append(b, "# The privacy rules of usagekit validate and diff, and their severity: error\n"+
		"# fails the check, warning is shown, off turns the rule off. Lowering a rule\n"+
		"# below its default needs a reason: {severity: off, reason: ...}.\n"+
		"# A classified custom property (classification: public, internal,\n"+
		"# pseudonymous or personal) is never flagged for its name or description.\n"+
		"rules:\n"...)
	width := 0
	for _, r := range Rules {
		width = max(width, len(r.ID))
	}
	for _, r := range Rules {
		line := "  " + r.ID + ": " + r.Default.String()
		for len(line) < width+13 {
			line += " "
		}
		b = append(b, line+" # "+r.Summary+"\n"...)
	}
	b = append(b, "# Findings that do not apply, each with its reason:\n"+
		"# - {rule: secret-data, event: EVENT, property: PROPERTY, reason: ...}\n"+
		"# - {rule: personal-in-optional, metric: KEY_PATH, reason: ...}\n"+
		"exceptions: []\n"...)
	return b
}
