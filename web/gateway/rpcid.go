package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
)

// maxIDPeek bounds how much of a POST body the gateway reads to learn the
// JSON-RPC id for its own error responses. Clients put "id" before
// "params", so a large message still yields its id from the prefix.
const maxIDPeek = 64 << 10

// nullID is the id of a response to a request whose id cannot be read
// (JSON-RPC 2.0 §5: "If there was an error in detecting the id … it MUST
// be Null").
var nullID = json.RawMessage("null")

// peekRPCID returns the JSON-RPC id of a POSTed message, reading at most
// maxIDPeek bytes and putting them back in front of the rest of the body,
// so the upstream (and the step-up check) still read all of it. Anything
// but a single object with a string or number id gives null: batches,
// notifications, non-JSON and GETs.
func peekRPCID(r *http.Request) json.RawMessage {
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return nullID
	}
	body := &stickyEOF{r: r.Body}
	prefix, err := io.ReadAll(io.LimitReader(body, maxIDPeek))
	// Once the inbound body has ended it is never read again: net/http
	// closes it as soon as the response starts, and the proxy's transport
	// reads once more after the declared length; a read of the closed body
	// would fail the upstream request mid-stream.
	rest := io.Reader(body)
	if body.eof {
		rest = bytes.NewReader(nil)
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(prefix), rest), r.Body}
	if err != nil {
		return nullID
	}
	return topLevelID(prefix)
}

// stickyEOF remembers that its reader ended and answers io.EOF from then
// on without reading it again.
type stickyEOF struct {
	r   io.Reader
	eof bool
}

func (s *stickyEOF) Read(p []byte) (int, error) {
	if s.eof {
		return 0, io.EOF
	}
	n, err := s.r.Read(p)
	if err == io.EOF {
		s.eof = true
	}
	return n, err
}

// topLevelID walks the members of a top-level object until "id", skipping
// other values whole; a prefix cut inside a value before "id" gives null.
func topLevelID(b []byte) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nullID
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nullID
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nullID
		}
		if k != "id" {
			continue
		}
		switch v[0] {
		case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return v
		}
		return nullID
	}
	return nullID
}
