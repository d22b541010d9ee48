package main

import (
	"strings"
	"testing"
	"time"
)

func TestKeysListAndRotate(t *testing.T) {
	e := newTestEnv(t)
	var keys []keyView
	e.jsonOut(t, &keys, "keys", "list")
	if len(keys) != 1 || keys[0].Status != keyActive || keys[0].Algorithm != "ES256" {
		t.Fatalf("keys list on first use: got %+v, want one active ES256 key", keys)
	}
	first := keys[0].KID

	var rot rotation
	before := time.Now()
	e.jsonOut(t, &rot, "keys", "rotate", "--access-token-ttl", "5m")
	if rot.KID == first || rot.Status != keyActive || len(rot.Retired) != 1 || rot.Retired[0].KID != first {
		t.Fatalf("keys rotate: got %+v, want a new active key retiring %s", rot, first)
	}
	notAfter := rot.Retired[0].NotAfter
	if notAfter == nil || notAfter.Before(before.Add(6*time.Minute-time.Second)) || notAfter.After(time.Now().Add(6*time.Minute)) {
		t.Errorf("retired key not_after: got %v, want about now + 5m TTL + 1m", notAfter)
	}

	e.jsonOut(t, &keys, "keys", "list")
	status := map[string]string{}
	for _, k := range keys {
		status[k.KID] = k.Status
	}
	if len(keys) != 2 || status[rot.KID] != keyActive || status[first] != keyRetired {
		t.Errorf("keys list after rotate: got %+v, want %s active and %s retired", keys, rot.KID, first)
	}
	if out := e.ok(t, "keys", "list"); !strings.Contains(out, "retired (verifies until ") {
		t.Errorf("keys list: got %q, want the retired key's end of verification", out)
	}
	if out := e.ok(t, "keys", "rotate"); !strings.Contains(out, "new active key: ") || !strings.Contains(out, "verifies tokens until") {
		t.Errorf("keys rotate: got %q", out)
	}
}

func TestKeysWrongSecret(t *testing.T) {
	e := newTestEnv(t)
	e.ok(t, "--secret", strings.Repeat("a", 40), "keys", "list")
	e.fails(t, exitError, "master secret", "--secret", strings.Repeat("b", 40), "keys", "list")
}
