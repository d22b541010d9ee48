package metrics

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

type memStore struct {
	mu   sync.Mutex
	rows []oauth.MetricCount
	fail bool
}

func (m *memStore) AddMetrics(_ context.Context, c []oauth.MetricCount) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("down")
	}
	m.rows = append(m.rows, c...)
	return nil
}

// TestRecorderAggregates: counts merge per route, metric and hour; a failed
// flush keeps them for the next one.
func TestRecorderAggregates(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 10, 15, 0, 0, time.UTC)
	st := &memStore{fail: true}
	r := New(st, func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() { defer wg.Done(); r.Add("files", oauth.MetricGatewayRequests, 1) }()
	}
	wg.Wait()
	r.Add("files", oauth.MetricGatewayErrors, 2)
	if err := r.Flush(context.Background()); err == nil {
		t.Fatal("flush to a failing store succeeded")
	}
	st.fail = false
	now = now.Add(time.Hour)
	r.Add("files", oauth.MetricGatewayRequests, 5)
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, c := range st.rows {
		got[c.Bucket.Format("15")+" "+c.Metric] += c.Count
	}
	want := map[string]int64{"10 " + oauth.MetricGatewayRequests: 100, "10 " + oauth.MetricGatewayErrors: 2, "11 " + oauth.MetricGatewayRequests: 5}
	if len(got) != len(want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d", k, got[k], v)
		}
	}
	if err := r.Flush(context.Background()); err != nil || len(st.rows) != 3 {
		t.Fatalf("an empty flush wrote rows: %v %d", err, len(st.rows))
	}
}
