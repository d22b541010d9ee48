package gateway

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// sessionReadings are how common servers read a query parameter's name
// into the name an application looks up: exactly, case-insensitively
// (ASP.NET), qs-style with brackets or dots (Express: sessionId[]=x,
// sessionId.a=x), and PHP's (leading spaces dropped, ' ' and '.' become
// '_', a '[' starts an array).
var sessionReadings = map[string]func(string) string{
	"exact":            func(k string) string { return k },
	"case-insensitive": strings.ToLower,
	"qs": func(k string) string {
		if i := strings.IndexAny(k, "[."); i > 0 {
			return k[:i]
		}
		return k
	},
	"php": func(k string) string {
		k = strings.TrimLeft(k, " ")
		if i := strings.IndexByte(k, '['); i > 0 && strings.Contains(k[i:], "]") {
			k = k[:i]
		}
		return strings.NewReplacer(" ", "_", ".", "_", "[", "_").Replace(k)
	},
}

// FuzzAmbiguousSession: a query the gateway passes (it parses, and
// ambiguousSession is false) has no parameter that any common server
// reads as a legacy session parameter unless it is spelled exactly as
// one, so legacyKeys binds every session value an upstream could use.
func FuzzAmbiguousSession(f *testing.F) {
	for _, q := range []string{
		"sessionId=abc", "sessionid=a&sessionId=b&session_id=c", "SESSIONID=x", "sessionId[]=x", "sessionId[a]=x",
		"sessionId.a=x", "session_id[]=x",
		"sessionIdx=1", "x=1&y=2", "sessionId=a;sessionId=b", "sessionId=%zz",
	} {
		f.Add(q, uint8(0))
	}
	f.Add("sessionId=a", uint8(2))
	f.Fuzz(func(t *testing.T, rawQuery string, headers uint8) {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return // the gateway refuses a query it cannot parse
		}
		hdrs := slices.Repeat([]string{"s"}, int(headers%3))
		if ambiguousSession(q, hdrs) {
			return
		}
		if len(hdrs) > 1 {
			t.Fatalf("%d Mcp-Session-Id headers passed", len(hdrs))
		}
		keys := legacyKeys(q)
		for k, vs := range q {
			exact := slices.Contains(legacySessionParams[:], k)
			for how, read := range sessionReadings {
				name := read(k)
				for _, p := range legacySessionParams {
					if (name == p || (how == "case-insensitive" && name == strings.ToLower(p))) && !exact {
						t.Fatalf("query %q: parameter %q is %q to a %s server, but is not bound", rawQuery, k, p, how)
					}
				}
			}
			if exact {
				for _, v := range vs {
					if !slices.Contains(keys, "legacy:"+v) {
						t.Fatalf("query %q: session %q of %q is not bound", rawQuery, v, k)
					}
				}
			}
		}
	})
}
