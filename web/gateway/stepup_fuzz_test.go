package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/oauth"
)

// rpcSeeds are JSON-RPC bodies MCP clients send, and the shapes that an
// upstream could read differently from the gateway.
var rpcSeeds = []string{
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_all","arguments":{}}}`,
	`{"jsonrpc":"2.0","id":"a","method":"tools/list"}`,
	`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read"}},{"jsonrpc":"2.0","method":"notifications/initialized"}]`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read","name":"delete_all"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"delete_all"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","Method":"x","params":{"name":"read"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"Name":"delete_all","name":"read"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"__proto__":{"name":"delete_all"}}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read","constructor":{"prototype":{"name":"x"}}}}`,
	`{"__proto__":{"method":"tools/call"},"id":1,"method":"ping"}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"n\u0061me":"delete_all"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"name":"delete\u005fall"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[{"name":"delete_all"}]}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":1}}`,
	`{"jsonrpc":"2.0","id":1,"method":null,"params":{"name":null}}`,
	`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"file:///x"}} {"method":"tools/call"}`,
	"\ufeff{\"method\":\"tools/call\",\"params\":{\"name\":\"delete_all\"}}",
	`[]`, `[[]]`, `"tools/call"`, `{"id":1e400,"method":"ping"}`, ``, ` `,
}

// jsonKeys returns an object's member names as written (escapes decoded),
// duplicates kept, or ok false when raw is not an object.
func jsonKeys(raw []byte) (keys []string, members map[string]json.RawMessage, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, false
	}
	members = map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, false
		}
		keys = append(keys, k)
		members[k] = v
	}
	return keys, members, true
}

// checkKeys fails when an accepted object has a repeated key, a key that
// is one of watched in another case, or a prototype key.
func checkKeys(t *testing.T, where string, keys []string, watched ...string) {
	t.Helper()
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			t.Fatalf("accepted duplicate key %q at %s level", k, where)
		}
		seen[k] = true
		switch k {
		case "__proto__", "constructor", "prototype":
			t.Fatalf("accepted prototype key %q at %s level", k, where)
		}
		for _, w := range watched {
			if k != w && strings.EqualFold(k, w) {
				t.Fatalf("accepted %q, a case variant of %q, at %s level", k, w, where)
			}
		}
	}
}

// decodeMessages reads body as encoding/json does into generic values (the
// differential side): one message or a batch, each a map.
func decodeMessages(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		t.Fatalf("accepted a body encoding/json refuses: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("accepted a body with data after the value")
	}
	items, isBatch := top.([]any)
	if !isBatch {
		items = []any{top}
	}
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			t.Fatalf("accepted a message that is not an object: %T", it)
		}
		out = append(out, m)
	}
	return out
}

// stringOrEmpty is what a generic decoder makes of an optional string
// member; ok is false for any other type.
func stringOrEmpty(v any) (string, bool) {
	switch s := v.(type) {
	case nil:
		return "", true
	case string:
		return s, true
	}
	return "", false
}

// FuzzParseCalls: an accepted body is JSON that encoding/json decodes to
// the same methods and tool names (a differential check); no message or
// params object has a duplicate key, a case variant of method, params or
// name, or a __proto__/constructor/prototype key; a tools/call always
// names its tool.
func FuzzParseCalls(f *testing.F) {
	for _, s := range rpcSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		calls, err := parseCalls(body)
		if err != nil {
			return
		}
		msgs := decodeMessages(t, body)
		if len(msgs) != len(calls) {
			t.Fatalf("%d calls, encoding/json sees %d messages", len(calls), len(msgs))
		}
		var raws []json.RawMessage
		if trimmed := bytes.TrimSpace(body); trimmed[0] == '[' {
			if err := json.Unmarshal(trimmed, &raws); err != nil {
				t.Fatal(err)
			}
		} else {
			raws = []json.RawMessage{trimmed}
		}
		for i, c := range calls {
			keys, members, _ := jsonKeys(raws[i])
			checkKeys(t, "message", keys, "method", "params")
			method, ok := stringOrEmpty(msgs[i]["method"])
			if !ok || method != c.Method {
				t.Fatalf("call %d: method %q, encoding/json %v", i, c.Method, msgs[i]["method"])
			}
			tool := ""
			if params, ok := msgs[i]["params"].(map[string]any); ok {
				pkeys, _, _ := jsonKeys(members["params"])
				checkKeys(t, "params", pkeys, "name")
				if tool, ok = stringOrEmpty(params["name"]); !ok {
					t.Fatalf("call %d: accepted params.name %v", i, params["name"])
				}
			}
			if tool != c.Tool {
				t.Fatalf("call %d: tool %q, encoding/json %q", i, c.Tool, tool)
			}
			if c.Method == "tools/call" && c.Tool == "" {
				t.Fatalf("call %d: tools/call without a tool accepted", i)
			}
		}
	})
}

// FuzzNeededScopes: with step-up rules, a body is either refused or its
// needed scopes are exactly those that encoding/json's reading of it
// calls for; the upstream still reads the body byte for byte; a
// compressed body is refused.
func FuzzNeededScopes(f *testing.F) {
	rules := []oauth.StepUpRule{
		{Method: "tools/call", Tool: "delete_*", Scopes: []string{"files:delete"}},
		{Method: "tools/call", Scopes: []string{"files:call"}},
		{Method: "resources/read", Scopes: []string{"files:read", "files:call"}},
	}
	for _, s := range rpcSeeds {
		f.Add([]byte(s), true, "")
	}
	f.Add([]byte(rpcSeeds[0]), true, "gzip")
	f.Add([]byte(rpcSeeds[0]), true, "Identity")
	f.Add([]byte(" "), false, "")
	f.Fuzz(func(t *testing.T, body []byte, post bool, contentEncoding string) {
		method := http.MethodGet
		if post {
			method = http.MethodPost
		}
		r := httptest.NewRequest(method, "/mcp/files", bytes.NewReader(body))
		if contentEncoding != "" {
			r.Header.Set("Content-Encoding", contentEncoding)
		}
		need, err := neededScopes(r, rules)
		if rest, rerr := io.ReadAll(r.Body); rerr != nil || !bytes.Equal(rest, body) {
			if contentEncoding == "" || strings.EqualFold(contentEncoding, "identity") {
				t.Fatalf("the upstream would read %q, the client sent %q", rest, body)
			}
		}
		if err != nil {
			return
		}
		if ce := contentEncoding; ce != "" && !strings.EqualFold(ce, "identity") {
			t.Fatalf("Content-Encoding %q passed", ce)
		}
		if len(bytes.TrimSpace(body)) == 0 && !post {
			if len(need) != 0 {
				t.Fatalf("empty GET needs %q", need)
			}
			return
		}
		var want []string
		for _, m := range decodeMessages(t, body) {
			method, _ := stringOrEmpty(m["method"])
			tool := ""
			if p, ok := m["params"].(map[string]any); ok {
				tool, _ = stringOrEmpty(p["name"])
			}
			for _, rule := range rules {
				if rule.Method != method {
					continue
				}
				if ok, _ := path.Match(rule.Tool, tool); rule.Tool != "" && !ok {
					continue
				}
				for _, s := range rule.Scopes {
					if !slices.Contains(want, s) {
						want = append(want, s)
					}
				}
			}
		}
		slices.Sort(want)
		got := slices.Sorted(slices.Values(need))
		if !slices.Equal(got, want) {
			t.Fatalf("needs %q, encoding/json's reading needs %q", got, want)
		}
	})
}
