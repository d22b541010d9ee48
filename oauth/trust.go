package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// Trust modes for client ID metadata documents (AS-14), stored in the
// database under SettingTrustMode so every replica and the console agree.
const (
	TrustAny       = "any"       // every https document
	TrustAllowlist = "allowlist" // documents on allowlisted domains only
	TrustOff       = "off"       // no documents at all
	// SettingTrustMode names the setting; unset means TrustAny.
	SettingTrustMode = "cimd_trust_mode"
)

// TrustPolicy is the current mode and allowlist.
type TrustPolicy struct {
	Mode    string
	Domains []string
}

// LoadTrustPolicy reads the policy from the store.
func LoadTrustPolicy(ctx context.Context, s TrustStore) (*TrustPolicy, error) {
	mode, err := s.GetSetting(ctx, SettingTrustMode)
	if errors.Is(err, ErrNotFound) {
		mode = TrustAny
	} else if err != nil {
		return nil, err
	}
	domains, err := s.ListTrustedDomains(ctx)
	if err != nil {
		return nil, err
	}
	return &TrustPolicy{Mode: mode, Domains: domains}, nil
}

// Allows reports whether a document on host may be used.
func (t *TrustPolicy) Allows(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	switch t.Mode {
	case TrustAny:
		return true
	case TrustAllowlist:
		for _, d := range t.Domains {
			if DomainMatches(d, host) {
				return true
			}
		}
	}
	return false
}

// DomainMatches matches a host against an allowlist entry: "example.com"
// matches itself only; "*.example.com" matches exactly one more label
// (a.example.com, not example.com, not a.b.example.com).
func DomainMatches(pattern, host string) bool {
	pattern = strings.ToLower(pattern)
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		label, parent, found := strings.Cut(host, ".")
		return found && label != "" && parent == rest
	}
	return pattern == host
}

// NormalizeTrustDomain validates an allowlist entry typed by an operator
// and returns its canonical (lower-case, ASCII) form.
func NormalizeTrustDomain(d string) (string, error) {
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	wild := strings.HasPrefix(d, "*.")
	name := strings.TrimPrefix(d, "*.")
	if _, err := netip.ParseAddr(name); err == nil {
		return "", fmt.Errorf("%q is an IP address; metadata documents are trusted by domain name", d)
	}
	ascii, err := idna.Lookup.ToASCII(name)
	if err != nil || ascii == "" || !strings.Contains(ascii, ".") || strings.Contains(ascii, "*") {
		return "", fmt.Errorf("%q is not a domain name (use example.com or *.example.com)", d)
	}
	if wild {
		return "*." + ascii, nil
	}
	return ascii, nil
}

// SetTrustMode validates and stores the mode.
func SetTrustMode(ctx context.Context, s TrustStore, mode string, at time.Time) error {
	switch mode {
	case TrustAny, TrustAllowlist, TrustOff:
		return s.SetSetting(ctx, SettingTrustMode, mode, at)
	}
	return fmt.Errorf("trust mode %q: want any, allowlist or off", mode)
}
