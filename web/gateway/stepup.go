package gateway

import (
	"bytes"
	"encoding/json"
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

// rpcCall is the part of a JSON-RPC message step-up rules look at.
type rpcCall struct {
	Method string `json:"method"`
	Params struct {
		Name string `json:"name"`
	} `json:"params"`
}

// neededScopes reads the body (bounded, then restored for the proxy) and
// returns the scopes the route's step-up rules require for it (RS-5).
func neededScopes(r *http.Request, rules []oauth.StepUpRule) ([]string, bool) {
	if len(rules) == 0 || r.Method != http.MethodPost || r.Body == nil {
		return nil, true
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxInspectBody+1))
	if err != nil || len(body) > maxInspectBody {
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var calls []rpcCall
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		_ = json.Unmarshal(trimmed, &calls) // a batch: every message counts
	} else {
		var c rpcCall
		_ = json.Unmarshal(trimmed, &c)
		calls = []rpcCall{c}
	}
	var need []string
	for _, c := range calls {
		for _, rule := range rules {
			if rule.Method != c.Method {
				continue
			}
			if rule.Tool != "" {
				if ok, _ := path.Match(rule.Tool, c.Params.Name); !ok {
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
	return need, true
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
