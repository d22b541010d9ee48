package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

// testTrustStore: settings upsert, the domain allowlist, single-use jtis
// and the unused-client housekeeping queries.
func testTrustStore(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	at := base()
	_, err := s.GetSetting(ctx, "trust_mode")
	wantErr(t, "GetSetting unset", err, oauth.ErrNotFound)
	must(t, "SetSetting", s.SetSetting(ctx, "trust_mode", "allowlist", at))
	must(t, "SetSetting again", s.SetSetting(ctx, "trust_mode", "off", at.Add(time.Second)))
	if v, err := s.GetSetting(ctx, "trust_mode"); err != nil || v != "off" {
		t.Fatalf("GetSetting = %q, %v; want off", v, err)
	}

	must(t, "AddTrustedDomain", s.AddTrustedDomain(ctx, "*.example.com", at))
	must(t, "AddTrustedDomain", s.AddTrustedDomain(ctx, "claude.ai", at))
	wantErr(t, "AddTrustedDomain twice", s.AddTrustedDomain(ctx, "claude.ai", at), oauth.ErrConflict)
	if d, err := s.ListTrustedDomains(ctx); err != nil || len(d) != 2 || d[0] != "*.example.com" || d[1] != "claude.ai" {
		t.Fatalf("ListTrustedDomains = %v, %v", d, err)
	}
	must(t, "RemoveTrustedDomain", s.RemoveTrustedDomain(ctx, "claude.ai"))
	wantErr(t, "RemoveTrustedDomain again", s.RemoveTrustedDomain(ctx, "claude.ai"), oauth.ErrNotFound)

	must(t, "UseAssertion", s.UseAssertion(ctx, "c1", "j1", at.Add(time.Minute)))
	wantErr(t, "UseAssertion replay", s.UseAssertion(ctx, "c1", "j1", at.Add(time.Minute)), oauth.ErrAlreadyUsed)
	must(t, "UseAssertion other client", s.UseAssertion(ctx, "c2", "j1", at.Add(time.Minute)))
	if p, err := s.DeleteExpired(ctx, at.Add(2*time.Minute)); err != nil || p.Assertions != 2 {
		t.Fatalf("DeleteExpired = %+v, %v; want 2 assertions", p, err)
	}

	old := newClient("old", at)
	old.Source = oauth.SourceDCR
	fresh := newClient("fresh", at.Add(time.Hour))
	fresh.Source = oauth.SourceDCR
	used := newClient("used", at)
	used.Source = oauth.SourceDCR
	for _, c := range []*oauth.Client{old, fresh, used} {
		c.LastUsedAt = nil
		must(t, "CreateClient", s.CreateClient(ctx, c))
	}
	must(t, "TouchClient", s.TouchClient(ctx, "used", at))
	if n, err := s.CountUnusedClients(ctx, oauth.SourceDCR, ""); err != nil || n != 2 {
		t.Fatalf("CountUnusedClients = %d, %v; want 2", n, err)
	}
	if n, err := s.CountUnusedClients(ctx, oauth.SourceDCR, "192.0.2.7"); err != nil || n != 2 {
		t.Fatalf("CountUnusedClients from 192.0.2.7 = %d, %v; want 2", n, err)
	}
	if n, err := s.CountUnusedClients(ctx, oauth.SourceDCR, "198.51.100.1"); err != nil || n != 0 {
		t.Fatalf("CountUnusedClients from elsewhere = %d, %v; want 0", n, err)
	}
	if n, err := s.DeleteUnusedClients(ctx, oauth.SourceDCR, at.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("DeleteUnusedClients = %d, %v; want 1 (old)", n, err)
	}
	_, err = s.GetClient(ctx, "old")
	wantErr(t, "GetClient deleted", err, oauth.ErrNotFound)
}
