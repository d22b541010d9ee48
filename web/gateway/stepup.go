package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/oauth"
)

// maxInspectBody bounds how much of a JSON-RPC POST the gateway reads to
// decide step-up; larger bodies are refused rather than passed unchecked.
const maxInspectBody = 4 << 20

// Why a body cannot be inspected.
var (
	errBodyTooLarge = errors.New("request body too large to inspect")
	errBodyUnclear  = errors.New("request body is not plain JSON-RPC")
)

// rpcCall is the part of a JSON-RPC message step-up rules look at.
type rpcCall struct {
	Method string
	Tool   string // params.name
}

// neededScopes reads the body (bounded, then restored for the proxy) and
// returns the scopes the route's step-up rules require for it (RS-5).
// When rules exist it fails closed: a body that an upstream might read
// differently from the gateway (compressed, a BOM, keys differing only in
// case, duplicate keys, trailing data, not JSON) is refused, never passed.
func neededScopes(r *http.Request, rules []oauth.StepUpRule) ([]string, error) {
	if len(rules) == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return nil, errBodyUnclear
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxInspectBody+1))
	if err != nil || len(body) > maxInspectBody {
		return nil, errBodyTooLarge
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if len(bytes.TrimSpace(body)) == 0 && r.Method != http.MethodPost {
		return nil, nil
	}
	calls, err := parseCalls(body)
	if err != nil {
		return nil, errBodyUnclear
	}
	var need []string
	for _, c := range calls {
		for _, rule := range rules {
			if rule.Method != c.Method {
				continue
			}
			if rule.Tool != "" {
				if ok, _ := path.Match(rule.Tool, c.Tool); !ok {
					continue
				}
			}
			for _, s := range rule.Scopes {
				if !slices.Contains(need, s) {
					need = append(need, s)
				}
			}
		}
	}
	return need, nil
}

// parseCalls reads one JSON-RPC message or a batch, strictly.
func parseCalls(body []byte) ([]rpcCall, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	v = bytes.TrimSpace(v)
	var items []json.RawMessage
	if len(v) > 0 && v[0] == '[' {
		if err := json.Unmarshal(v, &items); err != nil {
			return nil, err
		}
	} else {
		items = []json.RawMessage{v}
	}
	calls := make([]rpcCall, 0, len(items))
	for _, it := range items {
		obj, err := strictObject(it, "method", "params")
		if err != nil {
			return nil, err
		}
		var c rpcCall
		if m, ok := obj["method"]; ok {
			if err := json.Unmarshal(m, &c.Method); err != nil {
				return nil, err
			}
		}
		if p, ok := obj["params"]; ok && len(bytes.TrimSpace(p)) > 0 && bytes.TrimSpace(p)[0] == '{' {
			params, err := strictObject(p, "name")
			if err != nil {
				return nil, err
			}
			if n, ok := params["name"]; ok {
				if err := json.Unmarshal(n, &c.Tool); err != nil {
					return nil, err
				}
			}
		}
		// Fail closed: a tools/call whose tool the gateway cannot name is
		// an invalid request (JSON-RPC 2.0 §4.2), not a call without a tool.
		// An upstream might find a name where the gateway saw none.
		if c.Method == "tools/call" && c.Tool == "" {
			return nil, errors.New("tools/call without a string params.name")
		}
		calls = append(calls, c)
	}
	return calls, nil
}

// strictObject decodes a JSON object, refusing duplicate keys, keys that
// equal one of watched only when case is ignored (Go's decoder would match
// them; the SDKs would not), and the keys through which a JavaScript
// upstream that copies the object (Object.assign, spread into a class)
// reads inherited values the gateway never saw: {"params":{"__proto__":
// {"name":"delete_all"}}} has no own name for Go but a name for such code.
func strictObject(raw json.RawMessage, watched ...string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := t.(string)
		if _, dup := out[k]; dup {
			return nil, errors.New("duplicate key")
		}
		switch k {
		case "__proto__", "constructor", "prototype":
			return nil, errors.New("prototype key")
		}
		for _, w := range watched {
			if k != w && strings.EqualFold(k, w) {
				return nil, errors.New("key differs only in case")
			}
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// missing returns the needed scopes the token lacks.
func missing(need []string, granted []string) []string {
	var out []string
	for _, s := range need {
		if !slices.Contains(granted, s) {
			out = append(out, s)
		}
	}
	return out
}

// stepUpScope is the challenge's scope: what the token has plus what this
// request needs, so re-authorizing loses nothing (RS-5).
func stepUpScope(granted, need []string) string {
	all := slices.Clone(granted)
	for _, s := range need {
		if !slices.Contains(all, s) {
			all = append(all, s)
		}
	}
	return strings.Join(all, " ")
}
