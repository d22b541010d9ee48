package gateway

import (
	"bytes"
	"io"
	"time"
)

const keepAliveComment = ": keep-alive\n\n"

// DefaultKeepAlive is how long an SSE stream may stay silent before the
// gateway sends a comment, so idle-killing proxies and clients (Cursor drops
// idle streams after ~5 min) keep the stream (TR-14).
const DefaultKeepAlive = 15 * time.Second

// keepAliveBody relays an upstream SSE body and, when the upstream has been
// silent for interval at an event boundary, yields an SSE comment instead.
// Comments never split an event: they are only sent after a blank line.
type keepAliveBody struct {
	src      io.ReadCloser
	interval time.Duration
	chunks   chan chunk
	pending  []byte
	boundary bool  // the bytes relayed so far end with an event boundary
	err      error // the upstream's final error, returned once pending is drained
	done     chan struct{}
	drain    <-chan struct{} // closed when the server shuts down: end the stream
}

type chunk struct {
	b   []byte
	err error
}

func newKeepAliveBody(src io.ReadCloser, interval time.Duration, drain <-chan struct{}) *keepAliveBody {
	k := &keepAliveBody{src: src, interval: interval, chunks: make(chan chunk), boundary: true, done: make(chan struct{}), drain: drain}
	go k.pump()
	return k
}

// pump reads the upstream in its own goroutine so Read can time out.
func (k *keepAliveBody) pump() {
	for {
		buf := make([]byte, 32<<10)
		n, err := k.src.Read(buf)
		select {
		case k.chunks <- chunk{buf[:n], err}:
		case <-k.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (k *keepAliveBody) Read(p []byte) (int, error) {
	if len(k.pending) == 0 && k.err != nil {
		return 0, k.err
	}
	if len(k.pending) == 0 {
		timer := time.NewTimer(k.interval)
		defer timer.Stop()
		for len(k.pending) == 0 {
			select {
			case c := <-k.chunks:
				if len(c.b) > 0 {
					k.pending = c.b
					k.boundary = bytes.HasSuffix(c.b, []byte("\n\n")) || bytes.HasSuffix(c.b, []byte("\r\n\r\n"))
				}
				if c.err != nil {
					// A read may return data and io.EOF together: relay the
					// data first, then the error, never wait for more.
					k.err = c.err
					if len(k.pending) == 0 {
						return 0, c.err
					}
				}
			case <-timer.C:
				if k.boundary && len(p) >= len(keepAliveComment) {
					return copy(p, keepAliveComment), nil
				}
				timer.Reset(k.interval)
			case <-k.drain:
				if k.boundary {
					// Shutting down: end at an event boundary; the client
					// reconnects (to another replica) and resumes.
					return 0, io.EOF
				}
				k.drain = nil // finish the event first
			}
		}
	}
	n := copy(p, k.pending)
	k.pending = k.pending[n:]
	return n, nil
}

func (k *keepAliveBody) Close() error {
	select {
	case <-k.done:
	default:
		close(k.done)
	}
	return k.src.Close()
}
