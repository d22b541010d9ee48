package gateway

import (
	"net/url"
	"path"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSafeSubpath: an accepted escaped path, decoded once and decoded
// twice (for servers that decode again), has no "." or ".." segment, no
// backslash, no ';', no control character and no invalid UTF-8, so
// cleaning it removes no named segment: it stays below the route.
func FuzzSafeSubpath(f *testing.F) {
	for _, s := range []string{
		"/mcp/files/sse", "/mcp/files/a/b%20c", "/mcp/files/..", "/mcp/files/%2e%2e/admin", "/mcp/files/%2E./x",
		"/mcp/files/%252e%252e/x", "/mcp/files/%25252e%25252e/x", "/mcp/files/..%2fadmin", "/mcp/files/a%5c..%5cb",
		"/mcp/files/..;/x", "/mcp/files/a%3b/x", "/mcp/files/%c0%ae%c0%ae/x", "/mcp/files/%00", "/mcp/files/%zz",
		"/mcp/files/%25zz", "/mcp/files/a%2fb", "/mcp/files//x", "/mcp/files/.hidden", "/mcp/files/...", "/mcp/files/%u002e%u002e",
		"/mcp/files/%ef%bc%8e%ef%bc%8e/x", "/mcp/files/%7f",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, escaped string) {
		if !safeSubpath(escaped) {
			return
		}
		once, err := url.PathUnescape(escaped)
		if err != nil {
			t.Fatalf("%q accepted but does not decode: %v", escaped, err)
		}
		decoded := []string{once}
		if twice, err := url.PathUnescape(once); err == nil {
			decoded = append(decoded, twice)
		}
		for _, p := range decoded {
			if !utf8.ValidString(p) {
				t.Fatalf("%q accepted: %q is not UTF-8", escaped, p)
			}
			for _, r := range p {
				if r < 0x20 || r == 0x7f || r == '\\' || r == ';' {
					t.Fatalf("%q accepted: %q holds %q", escaped, p, r)
				}
			}
			var named []string
			for _, seg := range strings.Split(p, "/") {
				if seg == "." || seg == ".." {
					t.Fatalf("%q accepted: %q has dot segment %q", escaped, p, seg)
				}
				if seg != "" {
					named = append(named, seg)
				}
			}
			cleaned := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
			if strings.Join(cleaned, "/") != strings.Join(named, "/") {
				t.Fatalf("%q accepted: cleaning %q gives %q", escaped, p, path.Clean("/"+p))
			}
		}
	})
}
