package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/web/metrics"
)

// regResponse is /register's answer with the RFC 7592 fields.
type regResponse struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Token        string `json:"registration_access_token"`
	URI          string `json:"registration_client_uri"`
}

func (e *env) registerFull(body map[string]any) regResponse {
	e.t.Helper()
	resp, m := e.register(body)
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("register: %d %v", resp.StatusCode, m)
	}
	raw, _ := json.Marshal(m)
	var r regResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

func publicRegistration() map[string]any {
	return map[string]any{"client_name": "Per-login client", "redirect_uris": []string{cb}, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code", "refresh_token"}}
}

// wantUnknownClient checks that a reaped client is simply unknown: its
// registration access token gets 401, its authorization requests the
// unknown-client page, and the token endpoint 401 invalid_client (what
// makes a client register again; a 400 would leave it stuck).
func (e *env) wantUnknownClient(reg regResponse, refresh string) {
	e.t.Helper()
	t := e.t
	if resp, body := e.configRequest(http.MethodGet, reg.URI, reg.Token, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("%s: RFC 7592 read: %d %v, want 401", reg.ClientID, resp.StatusCode, body)
	}
	ap := e.authParams(reg.ClientID, cb, "notes", "")
	resp := e.get(e.browser(), "/authorize?"+ap.Encode())
	if page := body(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "not registered") {
		t.Errorf("%s: authorize: %d, want 400 and the unknown-client page", reg.ClientID, resp.StatusCode)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}
	if reg.ClientSecret == "" {
		form.Set("client_id", reg.ClientID)
		if resp, tok := e.token(form, "", ""); resp.StatusCode != http.StatusUnauthorized || tok["error"] != "invalid_client" {
			t.Errorf("%s: refresh with client_id: %d %v, want 401 invalid_client", reg.ClientID, resp.StatusCode, tok)
		}
		return
	}
	resp, tok := e.token(form, reg.ClientID, reg.ClientSecret)
	if resp.StatusCode != http.StatusUnauthorized || tok["error"] != "invalid_client" || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("%s: refresh with Basic: %d %v %q, want 401 invalid_client with a Basic challenge", reg.ClientID, resp.StatusCode, tok,
			resp.Header.Get("WWW-Authenticate"))
	}
	form.Set("client_id", reg.ClientID)
	form.Set("client_secret", reg.ClientSecret)
	if resp, tok := e.token(form, "", ""); resp.StatusCode != http.StatusUnauthorized || tok["error"] != "invalid_client" {
		t.Errorf("%s: refresh with client_secret_post: %d %v, want 401 invalid_client", reg.ClientID, resp.StatusCode, tok)
	}
}

// TestCleanupReapsIdleClients: with the idle retention off (the provider's
// zero value) a pass reaps only the unused registration; with it on, the
// registrations used and then revoked go, while one with a live grant and
// an operator's client stay. Each pass that reaped writes one audit event
// with the counts, /metrics counts per kind, and a reaped client is
// unknown to every endpoint, whatever way it authenticates.
func TestCleanupReapsIdleClients(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, dbtest.SQLite(t))
	rec := metrics.New(e.store, e.clock.Now, slog.New(slog.DiscardHandler))
	reaper, err := oauth.New(oauth.Config{Issuer: e.issuer, IdleClientTTL: 48 * time.Hour}, e.store, e.provider.Keys(),
		oauth.WithClock(e.clock.Now), oauth.WithMetrics(rec))
	if err != nil {
		t.Fatal(err)
	}

	idle := e.registerFull(publicRegistration())
	code, verifier := e.codeFlow(idle.ClientID, cb, "notes", "")
	resp, tok := e.exchange(idle.ClientID, code, cb, verifier)
	wantStatus(t, resp, http.StatusOK)
	idleRefresh := tok["refresh_token"].(string)

	conf := e.registerFull(map[string]any{"client_name": "Confidential", "redirect_uris": []string{cb}, "token_endpoint_auth_method": "client_secret_basic",
		"grant_types": []string{"authorization_code", "refresh_token"}})
	code, verifier = e.codeFlow(conf.ClientID, cb, "notes", "")
	resp, tok = e.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {cb}, "code_verifier": {verifier}},
		conf.ClientID, conf.ClientSecret)
	wantStatus(t, resp, http.StatusOK)
	confRefresh := tok["refresh_token"].(string)

	live := e.registerFull(publicRegistration())
	code, verifier = e.codeFlow(live.ClientID, cb, "notes", "")
	resp, tok = e.exchange(live.ClientID, code, cb, verifier)
	wantStatus(t, resp, http.StatusOK)
	liveRefresh := tok["refresh_token"].(string)

	unused := e.registerFull(publicRegistration())
	static, _, err := e.provider.NewClient(&oauth.ClientMetadata{ClientName: "Operator's", RedirectURIs: []string{cb}, TokenEndpointAuthMethod: oauth.AuthNone},
		oauth.SourceStatic)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateClient(ctx, static); err != nil {
		t.Fatal(err)
	}
	if err := e.store.TouchClient(ctx, static.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{idle.ClientID, conf.ClientID} {
		if _, err := oauth.RevokeGrantsOf(ctx, e.store, "", id, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(49 * time.Hour)

	if r, err := e.provider.Cleanup(ctx); err != nil || r.UnusedClients != 1 || r.IdleClients != 0 {
		t.Fatalf("pass with the idle retention off: %+v %v; want 1 unused, 0 idle", r, err)
	}
	if _, err := e.store.GetClient(ctx, idle.ClientID); err != nil {
		t.Fatalf("idle retention off, yet the idle client is gone: %v", err)
	}
	if r, err := reaper.Cleanup(ctx); err != nil || r.UnusedClients != 0 || r.IdleClients != 2 {
		t.Fatalf("pass with a 48h idle retention: %+v %v; want 0 unused, 2 idle", r, err)
	}
	if r, err := reaper.Cleanup(ctx); err != nil || r != (oauth.CleanupReport{}) {
		t.Fatalf("pass with nothing left to reap: %+v %v", r, err)
	}
	for id, want := range map[string]error{idle.ClientID: oauth.ErrNotFound, conf.ClientID: oauth.ErrNotFound, unused.ClientID: oauth.ErrNotFound,
		live.ClientID: nil, static.ID: nil} {
		if _, err := e.store.GetClient(ctx, id); (want == nil) != (err == nil) {
			t.Errorf("client %s after clean-up: got %v, want %v", id, err, want)
		}
	}
	if g, err := e.store.ListGrants(ctx, "", idle.ClientID); err != nil || len(g) != 0 {
		t.Errorf("grants of the reaped client: %d %v, want none left", len(g), err)
	}

	events, err := e.store.ListAudit(ctx, oauth.AuditFilter{Query: oauth.AuditClientReap})
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, ev := range events {
		if ev.Actor != "(clean-up)" {
			t.Errorf("audit event by %q, want (clean-up)", ev.Actor)
		}
		details = append(details, ev.Detail)
	}
	if got, want := strings.Join(details, "; "), "unused=0 idle=2; unused=1 idle=0"; got != want {
		t.Errorf("audit events (newest first): got %q, want %q", got, want)
	}
	if got := rec.Totals()[metrics.Series{Metric: oauth.MetricClientsReapedIdle}]; got != 2 {
		t.Errorf("idle reaped counter: got %d, want 2", got)
	}
	if page := body(t, e.get(http.DefaultClient, "/metrics")); !strings.Contains(page, `latchkey_clients_reaped_total{kind="unused"} 1`) ||
		!strings.Contains(page, `latchkey_clients_reaped_total{kind="idle"} 0`) {
		t.Errorf("/metrics lacks the reaped-client counters of the server's own passes:\n%s", page)
	}

	e.wantUnknownClient(idle, idleRefresh)
	e.wantUnknownClient(conf, confRefresh)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	assertion := signAssertion(t, key, "k1", idle.ClientID, e.issuer+"/token", "jti-reaped", e.clock.Now().Add(time.Minute))
	if resp, tok := e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {idleRefresh},
		"client_assertion_type": {oauth.AssertionTypeJWTBearer}, "client_assertion": {assertion}}, "", ""); resp.StatusCode != http.StatusUnauthorized ||
		tok["error"] != "invalid_client" {
		t.Errorf("assertion naming a reaped client: %d %v, want 401 invalid_client", resp.StatusCode, tok)
	}
	if resp, tok := e.refresh(live.ClientID, liveRefresh); resp.StatusCode != http.StatusOK {
		t.Errorf("the client with a live grant cannot refresh: %d %v", resp.StatusCode, tok)
	}
}

// TestConsoleClientsNeverUsedFilter: /admin/clients shows when each client
// last got a token and ?used=never (the filter bar's select) lists only
// the clients that never did.
func TestConsoleClientsNeverUsedFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.addUser("root", "root password 1", true)
	used := e.registerPublic(cb)
	code, verifier := e.codeFlow(used.ClientID, cb, "notes", "")
	resp, _ := e.exchange(used.ClientID, code, cb, verifier)
	wantStatus(t, resp, http.StatusOK)
	never := e.registerPublic(cb)
	root := e.browser()
	e.loginAs(root, "root", "root password 1")

	all := body(t, e.get(root, "/admin/clients"))
	if !strings.Contains(all, `data-testid="used-filter"`) || !strings.Contains(all, `<option value="never">Never used</option>`) {
		t.Fatalf("the filter bar has no never-used select:\n%s", all)
	}
	for _, id := range []string{used.ClientID, never.ClientID} {
		if !strings.Contains(all, `data-testid="client-`+id+`"`) {
			t.Errorf("unfiltered list lacks %s", id)
		}
	}
	if !strings.Contains(all, `data-testid="client-last-used">never<`) || !strings.Contains(all, `data-testid="client-last-used">`+e.clock.Now().UTC().Format("2006-01-02")) {
		t.Errorf("last use not shown (never, and today's date)")
	}
	filtered := body(t, e.get(root, "/admin/clients?used=never"))
	if strings.Contains(filtered, `data-testid="client-`+used.ClientID+`"`) || !strings.Contains(filtered, `data-testid="client-`+never.ClientID+`"`) {
		t.Errorf("?used=never: want only %s", never.ClientID)
	}
	if !strings.Contains(filtered, `<option value="never" selected>`) {
		t.Errorf("?used=never: the select does not show the filter")
	}
	if other := body(t, e.get(root, "/admin/clients?used=bogus")); !strings.Contains(other, `data-testid="client-`+used.ClientID+`"`) {
		t.Errorf("an unknown ?used= value should not filter")
	}
}

// TestClientRetentionEndToEnd: `latchkey serve` with short retentions on
// an SQLite file and on Postgres: an unused registration and a used one
// whose grants were revoked with the CLI disappear; a registration with a
// live grant and the operator's clients (one never used, one used and
// revoked) stay; the reaped ones get 401 invalid_client at the token
// endpoint; /metrics and the audit log count what was reaped.
func TestClientRetentionEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	eachBinaryBackend(t, clientRetention)
}

func clientRetention(t *testing.T, in *installation) {
	ctx := context.Background()
	in.cli("", "migrate")
	in.cli("correct horse battery\n", "users", "add", "--username", "u", "--password-stdin")
	in.cli("", "routes", "add", "--name", "notes", "--upstream", "http://127.0.0.1:9/mcp")
	var opNever, opUsed struct {
		ClientID string `json:"client_id"`
	}
	for _, c := range []*struct {
		ClientID string `json:"client_id"`
	}{&opNever, &opUsed} {
		out := in.cli("", "clients", "add", "--name", "Operator's", "--redirect-uri", cb, "--public", "--json")
		if err := json.Unmarshal([]byte(out), c); err != nil || c.ClientID == "" {
			t.Fatalf("clients add --json: %v\n%s", err, out)
		}
	}
	addr := freeAddr(t)
	issuer := "http://" + addr
	// The unused retention leaves time to finish a flow after registering.
	p := in.serve(addr, issuer, "--unused-client-retention", "3s", "--idle-client-retention", "4s", "--cleanup-interval", "200ms")
	e := &env{t: t, issuer: issuer, user: &oauth.User{Username: "u"}, password: "correct horse battery"}

	flow := func(clientID string) string {
		code, verifier := e.codeFlow(clientID, cb, "notes", "")
		resp, tok := e.exchange(clientID, code, cb, verifier)
		wantStatus(t, resp, http.StatusOK)
		return tok["refresh_token"].(string)
	}
	unused := e.registerFull(publicRegistration())
	idle := e.registerFull(publicRegistration())
	idleRefresh := flow(idle.ClientID)
	live := e.registerFull(publicRegistration())
	liveRefresh := flow(live.ClientID)
	flow(opUsed.ClientID)
	in.cli("", "tokens", "revoke", "--client", idle.ClientID)
	in.cli("", "tokens", "revoke", "--client", opUsed.ClientID)

	st := db.New(dbtest.Open(t, in.dsn))
	for deadline := time.Now().Add(20 * time.Second); ; {
		_, errUnused := st.GetClient(ctx, unused.ClientID)
		_, errIdle := st.GetClient(ctx, idle.ClientID)
		if errUnused != nil && errIdle != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: unused client: %v, idle client: %v; want both deleted\n%s", errUnused, errIdle, p.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // a few more passes past the idle retention
	for name, id := range map[string]string{"live grant": live.ClientID, "operator's, never used": opNever.ClientID, "operator's, revoked": opUsed.ClientID} {
		if _, err := st.GetClient(ctx, id); err != nil {
			t.Errorf("%s client %s was deleted: %v", name, id, err)
		}
	}

	if resp, tok := e.refresh(idle.ClientID, idleRefresh); resp.StatusCode != http.StatusUnauthorized || tok["error"] != "invalid_client" {
		t.Errorf("reaped idle client refreshing: %d %v, want 401 invalid_client", resp.StatusCode, tok)
	}
	if resp, tok := e.exchange(unused.ClientID, "lkc_whatever", cb, "verifier"); resp.StatusCode != http.StatusUnauthorized || tok["error"] != "invalid_client" {
		t.Errorf("reaped unused client at the token endpoint: %d %v, want 401 invalid_client", resp.StatusCode, tok)
	}
	if resp, body := e.configRequest(http.MethodGet, idle.URI, idle.Token, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("reaped client's RFC 7592 read: %d %v, want 401", resp.StatusCode, body)
	}
	if resp, tok := e.refresh(live.ClientID, liveRefresh); resp.StatusCode != http.StatusOK {
		t.Errorf("client with a live grant refreshing: %d %v", resp.StatusCode, tok)
	}

	resp, err := http.Get(p.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`latchkey_clients_reaped_total{kind="unused"} 1`, `latchkey_clients_reaped_total{kind="idle"} 1`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("/metrics lacks %s:\n%s", want, raw)
		}
	}
	events, err := st.ListAudit(ctx, oauth.AuditFilter{Query: oauth.AuditClientReap})
	if err != nil || len(events) == 0 || len(events) > 2 {
		t.Fatalf("audit events of the reaping: %d %v, want one or two passes", len(events), err)
	}
	if logs := p.logs.String(); strings.Contains(logs, "clean-up failed") || !strings.Contains(logs, `"idle_clients":1`) {
		t.Errorf("clean-up failed or never logged an idle client:\n%s", logs)
	}
}
