// Package static embeds Latchkey's stylesheet, script and images and serves
// them under content-hash URLs, so that browsers may cache them forever.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed css js img
var files embed.FS

const (
	// prefix is the URL path under which Handler serves the assets.
	prefix = "/static/"
	// hashLen is the number of hex characters of the SHA-256 digest kept in URLs.
	hashLen = 10
	// cacheForever is sent when the URL names the current content hash.
	cacheForever = "public, max-age=31536000, immutable"
	// cacheRevalidate is sent for stale or forged hashes: the body is current,
	// so the URL must not be cached as if it were immutable.
	cacheRevalidate = "no-cache"
)

// asset is one embedded file with its precomputed hash and media type.
type asset struct {
	body        []byte
	hash        string
	contentType string
}

// Assets holds the embedded files and their content hashes. It is safe for
// concurrent use and never changes after New returns.
type Assets struct {
	files map[string]asset // keyed by slash-separated name, e.g. "css/app.css"
}

// New reads every embedded file once and computes its content hash.
func New() (*Assets, error) {
	a := &Assets{files: make(map[string]asset)}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		a.files[name] = asset{
			body:        body,
			hash:        hex.EncodeToString(sum[:])[:hashLen],
			contentType: contentType(name),
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static: hash assets: %w", err)
	}
	return a, nil
}

// URL returns the cache-busting URL of the named asset, for example
// URL("css/app.css") == "/static/0123456789/css/app.css". Unknown names give
// "/static/missing/"+name, which Handler answers with 404.
func (a *Assets) URL(name string) string {
	f, ok := a.files[name]
	if !ok {
		return prefix + "missing/" + name
	}
	return prefix + f.hash + "/" + name
}

// Handler serves GET and HEAD /static/{hash}/{name}. It expects the full
// request path, so mount it without http.StripPrefix:
//
//	mux.Handle("GET /static/", assets.Handler())
//
// A current hash is cached as immutable; a stale or wrong hash still gets the
// current file, marked no-cache; an unknown name gets 404.
func (a *Assets) Handler() http.Handler {
	return http.HandlerFunc(a.serve)
}

func (a *Assets) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	hash, name, ok := splitPath(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	f, ok := a.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if hash == f.hash {
		h.Set("Cache-Control", cacheForever)
	} else {
		h.Set("Cache-Control", cacheRevalidate)
	}
	h.Set("Content-Type", f.contentType)
	// The ETag lets ServeContent answer If-None-Match with 304 even for
	// no-cache responses.
	h.Set("ETag", `"`+f.hash+`"`)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}

// splitPath splits "/static/{hash}/{name}" into its hash and name. Names are
// looked up verbatim in the embedded set, so "..", empty segments and other
// tricks simply fail to match.
func splitPath(p string) (hash, name string, ok bool) {
	rest, found := strings.CutPrefix(p, prefix)
	if !found {
		return "", "", false
	}
	hash, name, found = strings.Cut(rest, "/")
	if !found || hash == "" || name == "" {
		return "", "", false
	}
	return hash, name, true
}

// contentType picks the media type for an embedded file by its extension.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}
