package demo

import "net/http"

// endFinishedResumptions answers 204 No Content to a resumption (a GET with
// Last-Event-ID) that next would answer with 200 and no event at all. The
// go-sdk v1.8.0 does that when the stream has already ended and nothing
// after Last-Event-ID is left to replay.
//
// An empty 200 stream tells an SSE client only that the connection closed,
// so it reconnects. The TypeScript SDK (1.32) does exactly that: it resumes
// a POST stream whose response was a JSON-RPC error (it only counts results
// as responses), gets the empty 200, and then reconnects without
// Last-Event-ID, which is a second standalone GET; the go-sdk refuses that
// with 409 while the first is open, and the client reports the error. 204 is
// the SSE standard's answer for "do not reconnect": the TypeScript SDK reads
// no stream and stops, and go-sdk clients never resume a stream they have
// the response for.
//
// Every other answer passes unchanged, and as early as before: the status
// line is held back only until the first write or flush.
func endFinishedResumptions(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || len(r.Header.Values("Last-Event-ID")) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		hw := &heldWriter{ResponseWriter: w}
		next.ServeHTTP(hw, r)
		if hw.sent {
			return
		}
		if hw.status == 0 || hw.status == http.StatusOK {
			// No content, so no type: nobody should read this as a stream.
			w.Header().Del("Content-Type")
			hw.status = http.StatusNoContent
		}
		w.WriteHeader(hw.status)
	})
}

// heldWriter holds back WriteHeader until the first Write or Flush, so that
// endFinishedResumptions can still change a status nothing followed.
type heldWriter struct {
	http.ResponseWriter
	status int  // from WriteHeader, not yet sent
	sent   bool // the status line went out
}

func (h *heldWriter) WriteHeader(code int) {
	if h.sent {
		h.ResponseWriter.WriteHeader(code) // let net/http report the superfluous call
		return
	}
	if h.status == 0 {
		h.status = code
	}
}

// send writes the held status line, if any, once.
func (h *heldWriter) send() {
	if h.sent {
		return
	}
	h.sent = true
	if h.status != 0 {
		h.ResponseWriter.WriteHeader(h.status)
	}
}

func (h *heldWriter) Write(b []byte) (int, error) {
	h.send()
	return h.ResponseWriter.Write(b)
}

// FlushError serves http.ResponseController.Flush, which the go-sdk calls
// after each event.
func (h *heldWriter) FlushError() error {
	h.send()
	return http.NewResponseController(h.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's other controls.
func (h *heldWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }
