package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// FuzzPeekRPCID: peeking never changes the bytes the upstream reads, for
// bodies on either side of maxIDPeek; the id is null or a JSON string or
// number taken from the first maxIDPeek bytes; for a whole object with
// one top-level "id", it is that member's value as encoding/json reads it.
func FuzzPeekRPCID(f *testing.F) {
	for _, s := range rpcSeeds {
		f.Add([]byte(s), uint32(0), uint16(0), true)
	}
	f.Add([]byte(`{"id":7,"params":"x"}`), uint32(maxIDPeek), uint16(17), true)
	f.Add([]byte(`{"params":"x","id":7}`), uint32(maxIDPeek), uint16(12), true)
	f.Add([]byte(`{"id":"a","id":"b"}`), uint32(3), uint16(5), true)
	f.Add([]byte(`{"id":1}`), uint32(0), uint16(0), false)
	f.Fuzz(func(t *testing.T, data []byte, pad uint32, at uint16, post bool) {
		// Pad with spaces somewhere inside, to reach past maxIDPeek.
		n := int(pad % (2*maxIDPeek + 2))
		i := 0
		if len(data) > 0 {
			i = int(at) % (len(data) + 1)
		}
		body := slices.Concat(data[:i], bytes.Repeat([]byte{' '}, n), data[i:])
		method := http.MethodPost
		if !post {
			method = http.MethodGet
		}
		r := httptest.NewRequest(method, "/mcp/files", bytes.NewReader(body))
		id := peekRPCID(r)
		rest, err := io.ReadAll(r.Body)
		if err != nil || !bytes.Equal(rest, body) {
			t.Fatalf("the upstream would read %d bytes (%v), the client sent %d", len(rest), err, len(body))
		}
		if err := r.Body.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if !post || len(body) == 0 {
			if string(id) != "null" {
				t.Fatalf("%s with %d bytes: id %s, want null", method, len(body), id)
			}
			return
		}
		if string(id) != "null" {
			if !json.Valid(id) || !(id[0] == '"' || id[0] == '-' || (id[0] >= '0' && id[0] <= '9')) {
				t.Fatalf("id %q is not a JSON string or number", id)
			}
		}
		if got := topLevelID(body[:min(len(body), maxIDPeek)]); !bytes.Equal(got, id) {
			t.Fatalf("id %s, but the first %d bytes give %s", id, maxIDPeek, got)
		}
		if len(body) > maxIDPeek {
			return
		}
		var whole map[string]json.RawMessage
		if json.Unmarshal(body, &whole) != nil {
			return
		}
		keys, _, _ := jsonKeys(body)
		if count := len(slices.DeleteFunc(keys, func(k string) bool { return k != "id" })); count != 1 {
			if count == 0 && string(id) != "null" {
				t.Fatalf("no top-level id, but peeked %s", id)
			}
			return
		}
		want := whole["id"]
		switch want[0] {
		case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		default:
			want = nullID
		}
		if !bytes.Equal(id, want) {
			t.Fatalf("id %s, encoding/json reads %s", id, want)
		}
	})
}
