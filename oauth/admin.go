package oauth

import (
	"errors"
	"fmt"
	"net/textproto"
	"net/url"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// Validation shared by the admin CLI and the console, so both accept and
// refuse exactly the same input. Messages are written for people and
// never echo secrets.

// Limits of admin input.
const (
	MaxUsernameLen = 64
	// MaxRouteTitleLen bounds a route's title (shown on the consent page).
	MaxRouteTitleLen = 200
	MinPasswordLen   = 8
	MaxPasswordLen   = 1024
	maxUpstreamLen   = 2000
	userIDPrefix     = "usr_"
)

// NewUserID mints a user ID.
func NewUserID() string { return userIDPrefix + RandomString(12) }

// CheckUsername allows letters, digits, '.', '_', '@' and '-'.
func CheckUsername(name string) error {
	if name == "" || len(name) > MaxUsernameLen {
		return fmt.Errorf("use 1 to %d characters", MaxUsernameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '@', c == '-':
		default:
			return errors.New("use only letters, digits, '.', '_', '@' and '-'")
		}
	}
	return nil
}

// CheckPassword enforces the length bounds.
func CheckPassword(pw string) error {
	switch n := utf8.RuneCountInString(pw); {
	case !utf8.ValidString(pw):
		return errors.New("the password is not valid UTF-8")
	case n < MinPasswordLen:
		return fmt.Errorf("the password must be at least %d characters", MinPasswordLen)
	case n > MaxPasswordLen:
		return fmt.Errorf("the password must be at most %d characters", MaxPasswordLen)
	}
	return nil
}

// CheckUpstream requires an absolute http(s) URL with a host and without
// userinfo or fragment: upstream credentials never live in the URL. The
// messages do not echo the URL, which might carry a password.
func CheckUpstream(raw string) error {
	if len(raw) > maxUpstreamLen || !CleanText(raw, maxUpstreamLen) || strings.ContainsAny(raw, " #") {
		return errors.New("want an absolute http(s) URL without spaces or fragment")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("want an http or https URL")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("the URL has no host")
	case u.User != nil:
		return errors.New("the URL must not carry a user or password")
	}
	return nil
}

// ParseScopes splits each value on spaces, checks every token against RFC
// 6749 §3.3 (visible ASCII except '"' and '\'), and drops duplicates,
// keeping the first occurrence's order.
func ParseScopes(values []string) ([]string, error) {
	var scopes []string
	for _, v := range values {
		for _, s := range strings.Fields(v) {
			if !validScopeToken(s) {
				return nil, fmt.Errorf("invalid scope %q: use visible ASCII characters other than '\"' and '\\'", s)
			}
			if !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
	}
	return scopes, nil
}

func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// ParseStepUpRule reads METHOD[:TOOL-GLOB]=SCOPE[,SCOPE].
func ParseStepUpRule(spec string) (StepUpRule, error) {
	lhs, rhs, ok := strings.Cut(spec, "=")
	if !ok {
		return StepUpRule{}, fmt.Errorf("%q: want METHOD[:TOOL-GLOB]=SCOPE[,SCOPE]", spec)
	}
	method, tool, _ := strings.Cut(lhs, ":")
	scopes, err := ParseScopes(strings.Split(rhs, ","))
	if err != nil {
		return StepUpRule{}, err
	}
	if method == "" || len(scopes) == 0 {
		return StepUpRule{}, fmt.Errorf("%q: needs a method and at least one scope", spec)
	}
	if _, err := path.Match(tool, ""); err != nil {
		return StepUpRule{}, fmt.Errorf("%q: bad tool pattern", spec)
	}
	return StepUpRule{Method: method, Tool: tool, Scopes: scopes}, nil
}

// ApplyStepUp adds a rule to a route, offering its scopes on the route.
func (r *Route) ApplyStepUp(rule StepUpRule) {
	for _, s := range rule.Scopes {
		if !slices.Contains(r.Scopes, s) {
			r.Scopes = append(r.Scopes, s)
		}
	}
	r.StepUp = append(r.StepUp, rule)
}

// FormatStepUpRule is the inverse of ParseStepUpRule.
func FormatStepUpRule(rule StepUpRule) string {
	lhs := rule.Method
	if rule.Tool != "" {
		lhs += ":" + rule.Tool
	}
	return lhs + "=" + strings.Join(rule.Scopes, ",")
}

// ParseUpstreamHeader splits "Name: value" into a canonical header name and
// its value; neither may hold line breaks.
func ParseUpstreamHeader(header string) (name, value string, err error) {
	n, v, ok := strings.Cut(header, ":")
	name, value = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(n)), strings.TrimSpace(v)
	if !ok || name == "" || value == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n\x00") {
		return "", "", errors.New("the upstream header must look like 'Name: value'")
	}
	return name, value, nil
}
