package privacy

import (
	"strings"
	"unicode"
)

// A name is judged by its last word, or its last two, because the last
// word says what a value is and the words before it say whose or about
// what: email_domain is a domain and token_count a count, while
// user_email is an email and access_token a token. Judging any word of
// the name would flag secret_detection_enabled, a boolean.
var (
	personalWords = words("email emails e_mail phone phones telephone mobile msisdn username usernames surname firstname lastname fullname birthday birthdate dob ssn passport ip ipv4 ipv6")
	personalPairs = words("first_name last_name full_name real_name display_name user_name author_name customer_name person_name given_name family_name ip_address email_address home_address street_address postal_address mailing_address billing_address shipping_address phone_number mobile_number date_of_birth")
	secretWords   = words("token tokens password passwords passwd passphrase secret secrets credential credentials apikey cookie cookies")
	secretPairs   = words("api_key private_key secret_key access_key signing_key ssh_key session_id session_key auth_header")
	urlWords      = words("url urls uri href referrer referer")
	freeTextWords = words("body text comment comments message messages note notes content contents description title query feedback prompt")
)

// Descriptions are judged by phrases, not single words: "the number of
// tokens" or "whether a password is set" describe counts and flags, while
// "the user's email address" describes what the value holds.
var (
	personalPhrases = []string{"email address", "e-mail address", "user's email", "users' email", "phone number",
		"ip address", "full name", "first name", "last name", "real name", "user's name", "name of the user",
		"home address", "postal address", "street address", "date of birth", "social security"}
	secretPhrases = []string{"access token", "api key", "private key", "secret key", "auth token", "authentication token",
		"session token", "session cookie", "the password", "user's password", "plain-text password", "plaintext password",
		"the secret value"}
	urlPhrases      = []string{"full url", "query string", "url with its query", "url including", "url with query", "complete url", "whole url"}
	freeTextPhrases = []string{"free text", "free-text", "free-form", "free form", "typed by the user", "entered by the user",
		"written by the user", "user input", "user-provided text", "the text of", "the body of", "the content of", "the contents of",
		"search terms", "search query"}
)

func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// nameWords splits a property name into lower-case words at underscores,
// hyphens, dots and lower-to-upper case changes (userEmail is user email).
func nameWords(name string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	prev := rune(0)
	for _, r := range name {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ':
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		prev = r
	}
	flush()
	return out
}

// judgeName returns the rule a property name falls under and the words
// that made it, or "" when the name says nothing worrying.
func judgeName(name string) (rule, because string) {
	ws := nameWords(name)
	if len(ws) == 0 {
		return "", ""
	}
	last := ws[len(ws)-1]
	pair := ""
	if len(ws) > 1 {
		pair = ws[len(ws)-2] + "_" + last
	}
	if len(ws) > 2 && ws[len(ws)-3]+"_"+pair == "date_of_birth" {
		pair = "date_of_birth"
	}
	switch {
	case secretPairs[pair]:
		return SecretData, pair
	case personalPairs[pair]:
		return PersonalData, pair
	case secretWords[last]:
		return SecretData, last
	case personalWords[last]:
		return PersonalData, last
	case urlWords[last]:
		return URLQuery, last
	case freeTextWords[last]:
		return FreeText, last
	}
	return "", ""
}

// judgeDescription returns the rule a description falls under and the
// phrase that made it, or "".
func judgeDescription(desc string) (rule, because string) {
	d := strings.ToLower(strings.Join(strings.Fields(desc), " "))
	d = strings.ReplaceAll(d, "’", "'")
	for _, c := range []struct {
		rule    string
		phrases []string
	}{{SecretData, secretPhrases}, {PersonalData, personalPhrases}, {URLQuery, urlPhrases}, {FreeText, freeTextPhrases}} {
		for _, p := range c.phrases {
			if containsPhrase(d, p) {
				return c.rule, p
			}
		}
	}
	return "", ""
}

// containsPhrase reports whether p occurs in s between word boundaries,
// so "api key" does not match "rapi keyboard".
func containsPhrase(s, p string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], p)
		if j < 0 {
			return false
		}
		at := i + j
		end := at + len(p)
		if (at == 0 || !isWordByte(s[at-1])) && (end == len(s) || !isWordByte(s[end])) {
			return true
		}
		i = at + 1
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
