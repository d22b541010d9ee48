package static

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func newAssets(t *testing.T) *Assets {
	t.Helper()
	a, err := New()
	if err != nil {
		t.Fatalf("New() error: %v", err)
	}
	return a
}

func TestURL(t *testing.T) {
	t.Parallel()
	a := newAssets(t)
	hashed := regexp.MustCompile(`^/static/[0-9a-f]{10}/`)
	tests := []struct {
		name string
		want *regexp.Regexp
	}{
		{"css/app.css", regexp.MustCompile(hashed.String() + `css/app\.css$`)},
		{"js/app.js", regexp.MustCompile(hashed.String() + `js/app\.js$`)},
		{"img/logo.svg", regexp.MustCompile(hashed.String() + `img/logo\.svg$`)},
		{"css/nope.css", regexp.MustCompile(`^/static/missing/css/nope\.css$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := a.URL(tt.name); !tt.want.MatchString(got) {
				t.Errorf("URL(%q) = %q, want match %s", tt.name, got, tt.want)
			}
		})
	}
}

func TestURLStable(t *testing.T) {
	t.Parallel()
	a, b := newAssets(t), newAssets(t)
	if got, want := a.URL("css/app.css"), b.URL("css/app.css"); got != want {
		t.Errorf("URL differs between instances: got %q, want %q", got, want)
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	a := newAssets(t)
	css, js, svg := a.URL("css/app.css"), a.URL("js/app.js"), a.URL("img/logo.svg")
	tests := []struct {
		name        string
		method      string
		path        string
		wantStatus  int
		wantType    string
		wantCache   string
		wantBodyHas string
	}{
		{"css current hash", http.MethodGet, css, http.StatusOK, "text/css; charset=utf-8", "public, max-age=31536000, immutable", "--primary"},
		{"js current hash", http.MethodGet, js, http.StatusOK, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "data-confirm"},
		{"svg current hash", http.MethodGet, svg, http.StatusOK, "image/svg+xml", "public, max-age=31536000, immutable", "<svg"},
		{"stale hash serves current file", http.MethodGet, "/static/0000000000/css/app.css", http.StatusOK, "text/css; charset=utf-8", "no-cache", "--primary"},
		{"missing marker serves current file", http.MethodGet, "/static/missing/js/app.js", http.StatusOK, "text/javascript; charset=utf-8", "no-cache", "data-copy"},
		{"head", http.MethodHead, css, http.StatusOK, "text/css; charset=utf-8", "public, max-age=31536000, immutable", ""},
		{"unknown file", http.MethodGet, "/static/0000000000/css/nope.css", http.StatusNotFound, "", "", ""},
		{"directory", http.MethodGet, "/static/0000000000/css", http.StatusNotFound, "", "", ""},
		{"no hash segment", http.MethodGet, "/static/css", http.StatusNotFound, "", "", ""},
		{"empty hash", http.MethodGet, "/static//css/app.css", http.StatusNotFound, "", "", ""},
		{"traversal", http.MethodGet, "/static/x/../static.go", http.StatusNotFound, "", "", ""},
		{"dot segment", http.MethodGet, "/static/x/./css/app.css", http.StatusNotFound, "", "", ""},
		{"without prefix", http.MethodGet, "/css/app.css", http.StatusNotFound, "", "", ""},
		{"post", http.MethodPost, css, http.StatusMethodNotAllowed, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, "http://latchkey.test/", nil)
			req.URL.Path = tt.path // bypass NewRequest's URL parsing so odd paths reach the handler verbatim
			rec := httptest.NewRecorder()
			a.Handler().ServeHTTP(rec, req)
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)

			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			if tt.wantStatus != http.StatusOK {
				if got := res.Header.Get("Cache-Control"); strings.Contains(got, "immutable") {
					t.Errorf("Cache-Control = %q on error, want no immutable caching", got)
				}
				return
			}
			if got := res.Header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := res.Header.Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.wantCache)
			}
			if tt.method == http.MethodHead && len(body) != 0 {
				t.Errorf("HEAD body has %d bytes, want 0", len(body))
			}
			if !strings.Contains(string(body), tt.wantBodyHas) {
				t.Errorf("body does not contain %q", tt.wantBodyHas)
			}
		})
	}
}

func TestHandlerNotModified(t *testing.T) {
	t.Parallel()
	a := newAssets(t)
	url := a.URL("css/app.css")

	first := httptest.NewRecorder()
	a.Handler().ServeHTTP(first, httptest.NewRequest(http.MethodGet, url, nil))
	etag := first.Result().Header.Get("ETag")
	if etag == "" {
		t.Fatal("ETag is empty, want the content hash")
	}

	req := httptest.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("If-None-Match", etag)
	second := httptest.NewRecorder()
	a.Handler().ServeHTTP(second, req)
	if got, want := second.Code, http.StatusNotModified; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
}

func TestHandlerMounted(t *testing.T) {
	t.Parallel()
	a := newAssets(t)
	mux := http.NewServeMux()
	mux.Handle("GET /static/", a.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	res, err := srv.Client().Get(srv.URL + a.URL("img/logo.svg"))
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want %d", res.StatusCode, http.StatusOK)
	}
	if got, want := res.Header.Get("Content-Type"), "image/svg+xml"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
}
